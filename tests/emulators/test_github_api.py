"""Tests of the GitHub code-scanning emulator (github_api.py): behaviour a client depends on."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse

import jsonschema

from emu_case import HERE, EmulatorTestCase

AUTH = {"Authorization": "Bearer ghp_emulator"}
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

with open(os.path.join(HERE, "github", "code-scanning-alert.schema.json"), encoding="utf-8") as _fh:
    SCHEMA = json.load(_fh)


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": SCHEMA["$defs"]})


def parse_link(header: str | None) -> dict[str, str]:
    out = {}
    for part in (header or "").split(", "):
        m = re.fullmatch(r'<([^>]+)>; rel="(\w+)"', part)
        if m:
            out[m.group(2)] = m.group(1)
    return out


class GitHubEmulatorTests(EmulatorTestCase):
    script = "github_api.py"

    # ---- helpers -----------------------------------------------------------------
    def api(self, method: str, path: str, body=None, token: str | None = "ghp_emulator", scheme="Bearer",
            headers: dict | None = None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"{scheme} {token}"
        return self.call(method, path, body, hdrs)

    def seed(self, repo: str, n: int, **alert) -> list[dict]:
        out = []
        for i in range(n):
            a = dict(alert)
            a.setdefault("created_at", f"2020-03-{1 + i // 24:02d}T{i % 24:02d}:00:00Z")  # before "now"
            status, _, body = self.call("POST", "/_emu/github/alerts", {"repo": repo, "alert": a})
            self.assertEqual(status, 201, body)
            out.append(body)
        return out

    def demo(self) -> None:
        self.assertEqual(self.call("POST", "/_emu/github/seed-demo")[0], 200)

    def follow(self, path: str) -> list[dict]:
        """Every item, following rel="next" links as a client would (absolute URLs)."""
        items, url, pages = [], self.endpoint + path, 0
        while url:
            self.assertTrue(url.startswith(self.endpoint), url)
            status, headers, body = self.api("GET", url[len(self.endpoint):])
            self.assertEqual(status, 200, body)
            items += body
            url = parse_link(headers.get("Link")).get("next")
            pages += 1
            self.assertLess(pages, 50)
        return items

    # ---- auth --------------------------------------------------------------------
    def test_auth_missing_bad_and_both_schemes(self):
        self.demo()
        path = "/repos/acme/web/code-scanning/alerts"
        status, headers, body = self.api("GET", path, token=None)
        self.assertEqual(status, 401)
        self.assertEqual(body["message"], "Requires authentication")
        self.assertIn("documentation_url", body)
        self.assertIn("X-RateLimit-Limit", headers)
        status, _, body = self.api("GET", path, token="ghp_nope")
        self.assertEqual((status, body["message"]), (401, "Bad credentials"))
        self.assertTrue(body["documentation_url"].startswith("https://docs.github.com/"))
        self.assertEqual(self.api("GET", path, scheme="Basic")[0], 401)
        self.assertEqual(self.api("GET", path, scheme="token")[0], 200)
        self.assertEqual(self.api("GET", path, scheme="Bearer")[0], 200)
        self.assertEqual(self.api("GET", "/user")[2]["login"], "hubble-emulator")

    def test_token_scopes_hide_private_and_forbid_public(self):
        self.demo()
        self.call("POST", "/_emu/github/repos", {"full_name": "other/tool", "private": True})
        self.assertEqual(self.call("POST", "/_emu/github/tokens",
                                   {"token": "ghp_api_only", "login": "dev", "repos": ["acme/API"]})[0], 201)
        ok = self.api("GET", "/repos/acme/api/code-scanning/alerts", token="ghp_api_only")
        self.assertEqual(ok[0], 200)
        hidden = self.api("GET", "/repos/other/tool/code-scanning/alerts", token="ghp_api_only")
        self.assertEqual((hidden[0], hidden[2]["message"]), (404, "Not Found"))
        public = self.api("GET", "/repos/acme/web/code-scanning/alerts", token="ghp_api_only")
        self.assertEqual(public[0], 403)
        self.assertEqual(self.api("GET", "/orgs/acme/code-scanning/alerts", token="ghp_api_only")[0], 404)
        self.call("POST", "/_emu/github/tokens", {"token": "ghp_ro", "login": "auditor", "orgs": ["acme"],
                                                  "write": False})
        self.assertEqual(self.api("GET", "/orgs/acme/code-scanning/alerts", token="ghp_ro")[0], 200)
        denied = self.api("PATCH", "/repos/acme/api/code-scanning/alerts/1", {"state": "dismissed",
                          "dismissed_reason": "won't fix"}, token="ghp_ro")
        self.assertEqual(denied[0], 403)
        self.assertEqual(self.api("GET", "/repos/acme/api/code-scanning/alerts/1")[2]["state"], "open")

    def test_repo_conditions(self):
        self.call("POST", "/_emu/github/repos", {"full_name": "acme/old", "archived": True})
        self.call("POST", "/_emu/github/repos", {"full_name": "acme/noghas", "private": True,
                                                 "advanced_security": False})
        self.call("POST", "/_emu/github/repos", {"full_name": "acme/off", "code_scanning": False})
        self.seed("acme/old", 1)
        self.assertEqual(self.api("GET", "/repos/acme/old/code-scanning/alerts")[0], 200)
        status, _, body = self.api("PATCH", "/repos/acme/old/code-scanning/alerts/1", {"state": "dismissed",
                                   "dismissed_reason": "won't fix"})
        self.assertEqual((status, body["message"]), (403, "Repository was archived so is read-only."))
        self.assertEqual(self.api("GET", "/repos/acme/noghas/code-scanning/alerts")[0], 403)
        status, _, body = self.api("GET", "/repos/acme/off/code-scanning/alerts")
        self.assertEqual((status, body["message"]), (404, "no analysis found"))
        self.assertEqual(self.api("GET", "/repos/acme/none/code-scanning/alerts")[0], 404)
        self.assertEqual(self.api("GET", "/orgs/nobody/code-scanning/alerts")[0], 404)

    # ---- alert shape -------------------------------------------------------------
    def test_get_alert_matches_official_schema(self):
        self.demo()
        status, headers, alert = self.api("GET", "/repos/acme/api/code-scanning/alerts/3")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        validator("code-scanning-alert").validate(alert)
        self.assertEqual(list(alert)[:15], [
            "number", "created_at", "updated_at", "url", "html_url", "state", "fixed_at", "dismissed_by",
            "dismissed_at", "dismissed_reason", "dismissed_comment", "rule", "tool", "most_recent_instance",
            "instances_url"])
        self.assertEqual(alert["html_url"], "https://github.com/acme/api/security/code-scanning/3")
        self.assertEqual(alert["url"], self.endpoint + "/repos/acme/api/code-scanning/alerts/3")
        self.assertEqual(alert["instances_url"], alert["url"] + "/instances")
        self.assertEqual((alert["state"], alert["dismissed_reason"], alert["dismissed_by"]["login"]),
                         ("dismissed", "false positive", "mona"))
        rule = alert["rule"]
        self.assertEqual((rule["id"], rule["severity"], rule["security_severity_level"]),
                         ("py/path-injection", "error", "high"))
        self.assertIn("external/cwe/cwe-022", rule["tags"])
        for key in ("id", "name", "description", "full_description", "tags", "help", "help_uri"):
            self.assertIn(key, rule)
        inst = alert["most_recent_instance"]
        self.assertEqual(set(inst), {"ref", "analysis_key", "environment", "category", "state", "commit_sha",
                                     "message", "location", "classifications"})
        self.assertEqual(inst["location"]["path"], "app/files/download.py")
        self.assertEqual(set(inst["location"]), {"path", "start_line", "end_line", "start_column", "end_column"})
        self.assertRegex(inst["commit_sha"], r"^[0-9a-f]{40}$")
        for key in ("created_at", "updated_at", "dismissed_at"):
            self.assertRegex(alert[key], TS)
        status, _, body = self.api("GET", "/repos/acme/api/code-scanning/alerts/999")
        self.assertEqual((status, body["message"]), (404, "No alert found for alert number 999"))
        self.assertEqual(self.api("GET", "/repos/acme/api/code-scanning/alerts/abc")[0], 404)

    def test_seeded_defaults_are_realistic(self):
        status, _, alert = self.call("POST", "/_emu/github/alerts", {"repo": "acme/web", "alert": {"rule": {"id": "js/xss"}}})
        self.assertEqual(status, 201)
        validator("code-scanning-alert").validate(alert)
        self.assertEqual(alert["number"], 1)
        self.assertEqual(alert["rule"]["security_severity_level"], "medium")
        self.assertEqual(alert["rule"]["severity"], "error")
        self.assertIn("external/cwe/cwe-079", alert["rule"]["tags"])
        self.assertEqual(alert["tool"]["name"], "CodeQL")
        self.assertEqual(alert["most_recent_instance"]["category"], "/language:javascript")
        self.assertEqual(alert["state"], "open")
        second = self.call("POST", "/_emu/github/alerts", {"repo": "acme/web", "alert": {
            "rule": "py/sql-injection", "state": "dismissed", "dismissed_reason": "won't fix"}})[2]
        self.assertEqual(second["number"], 2)
        self.assertEqual(second["rule"]["security_severity_level"], "high")
        self.assertEqual(second["dismissed_by"]["login"], "hubble-emulator")
        custom = self.call("POST", "/_emu/github/alerts", {"repo": "acme/web", "alert": {
            "rule": {"id": "custom/rule", "security_severity": "9.1"}, "tool": {"name": "Semgrep"}}})[2]
        self.assertEqual(custom["rule"]["security_severity_level"], "critical")
        self.assertEqual(custom["tool"]["name"], "Semgrep")
        self.assertEqual(self.call("POST", "/_emu/github/alerts", {"repo": "acme/web", "alert": {"bogus": 1}})[0],
                         400)
        listed = self.call("GET", "/_emu/github/alerts?repo=acme/web")[2]["alerts"]
        self.assertEqual([a["number"] for a in listed], [1, 2, 3])
        self.assertEqual(listed[0]["repository"]["full_name"], "acme/web")

    # ---- listing -----------------------------------------------------------------
    def test_repo_list_default_branch_sort_and_filters(self):
        self.demo()
        base = "/repos/acme/api/code-scanning/alerts"
        alerts = self.api("GET", base)[2]
        for a in alerts:
            validator("code-scanning-alert-items").validate(a)
            self.assertNotIn("repository", a)
        # the PR-only alert (6) is not on the default branch
        self.assertEqual(sorted(a["number"] for a in alerts), [1, 2, 3, 4, 5, 7, 8])
        created = [a["created_at"] for a in alerts]
        self.assertEqual(created, sorted(created, reverse=True))
        asc = [a["number"] for a in self.api("GET", base + "?direction=asc")[2]]
        self.assertEqual(asc[:2], [1, 2])

        def numbers(query: str) -> list[int]:
            status, _, body = self.api("GET", base + "?" + query)
            self.assertEqual(status, 200, body)
            return sorted(a["number"] for a in body)

        self.assertEqual(numbers("state=open"), [1, 2, 5, 7, 8])
        self.assertEqual(numbers("state=dismissed"), [3])
        self.assertEqual(numbers("state=fixed"), [4])
        self.assertEqual(numbers("state=closed"), [3, 4])
        self.assertEqual(numbers("severity=critical"), [2])
        self.assertEqual(numbers("severity=high"), [1, 3, 4, 5])
        self.assertEqual(numbers("severity=note"), [8])
        self.assertEqual(numbers("tool_name=Bandit"), [7])
        self.assertEqual(numbers("ref=refs/pull/7/merge"), [6])
        self.assertEqual(numbers("pr=7"), [6])
        self.assertEqual(numbers("ref=main"), numbers("ref=refs/heads/main"))
        for bad in ("state=bogus", "sort=name", "direction=up", "severity=huge", "tool_name=a&tool_guid=b"):
            status, _, body = self.api("GET", base + "?" + bad)
            self.assertEqual(status, 422, bad)
            self.assertIn("message", body)

    def test_sort_updated_follows_patch(self):
        self.seed("acme/api", 3)
        self.api("PATCH", "/repos/acme/api/code-scanning/alerts/1",
                 {"state": "dismissed", "dismissed_reason": "used in tests"})
        first = self.api("GET", "/repos/acme/api/code-scanning/alerts?sort=updated")[2][0]
        self.assertEqual(first["number"], 1)
        first = self.api("GET", "/repos/acme/api/code-scanning/alerts?sort=created")[2][0]
        self.assertEqual(first["number"], 3)

    def test_org_list_carries_repository(self):
        self.demo()
        status, _, alerts = self.api("GET", "/orgs/acme/code-scanning/alerts?per_page=100")
        self.assertEqual(status, 200)
        self.assertEqual(len(alerts), 12)
        for a in alerts:
            validator("code-scanning-organization-alert-items").validate(a)
            self.assertEqual(a["url"], f"{self.endpoint}/repos/{a['repository']['full_name']}"
                                       f"/code-scanning/alerts/{a['number']}")
        self.assertEqual({a["repository"]["full_name"] for a in alerts}, {"acme/api", "acme/web"})
        self.assertEqual({a["repository"]["private"] for a in alerts}, {True, False})
        created = [a["created_at"] for a in alerts]
        self.assertEqual(created, sorted(created, reverse=True))
        web = self.api("GET", "/orgs/acme/code-scanning/alerts?state=dismissed")[2]
        self.assertEqual(sorted((a["repository"]["name"], a["number"]) for a in web),
                         [("api", 3), ("web", 2), ("web", 5)])

    # ---- paging ------------------------------------------------------------------
    def test_link_header_pages_exactly_like_github(self):
        self.seed("acme/api", 7)
        base = "/repos/acme/api/code-scanning/alerts"
        url = lambda page: f"{self.endpoint}{base}?state=open&per_page=3&page={page}"
        status, headers, body = self.api("GET", base + "?state=open&per_page=3")
        self.assertEqual([a["number"] for a in body], [7, 6, 5])
        self.assertEqual(headers["Link"], f'<{url(2)}>; rel="next", <{url(3)}>; rel="last"')
        status, headers, body = self.api("GET", base + "?state=open&per_page=3&page=2")
        self.assertEqual([a["number"] for a in body], [4, 3, 2])
        self.assertEqual(headers["Link"], f'<{url(1)}>; rel="prev", <{url(3)}>; rel="next", '
                                          f'<{url(3)}>; rel="last", <{url(1)}>; rel="first"')
        status, headers, body = self.api("GET", base + "?state=open&per_page=3&page=3")
        self.assertEqual([a["number"] for a in body], [1])
        self.assertEqual(headers["Link"], f'<{url(2)}>; rel="prev", <{url(1)}>; rel="first"')
        status, headers, body = self.api("GET", base + "?per_page=3&page=9")
        self.assertEqual((status, body), (200, []))
        self.assertNotIn("Link", self.api("GET", base)[1])
        self.assertEqual(len(self.follow(base + "?per_page=2")), 7)

    def test_per_page_default_30_and_max_100(self):
        self.seed("acme/api", 101)
        base = "/repos/acme/api/code-scanning/alerts"
        status, headers, body = self.api("GET", base)
        self.assertEqual(len(body), 30)
        self.assertIn("page=4>; rel=\"last\"", headers["Link"])
        status, headers, body = self.api("GET", base + "?per_page=1000")
        self.assertEqual(len(body), 100)
        self.assertEqual(parse_link(headers["Link"])["last"], f"{self.endpoint}{base}?per_page=1000&page=2")
        numbers = [a["number"] for a in self.follow(base + "?per_page=100")]
        self.assertEqual(sorted(numbers), list(range(1, 102)))

    def test_cursor_paging(self):
        self.seed("acme/api", 5)
        base = "/repos/acme/api/code-scanning/alerts"
        status, headers, body = self.api("GET", base + "?per_page=2&after=")
        self.assertEqual([a["number"] for a in body], [5, 4])
        links = parse_link(headers["Link"])
        self.assertEqual(set(links), {"next"})
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(links["next"]).query)
        self.assertEqual(q["per_page"], ["2"])
        self.assertNotIn("page", q)
        status, headers, body = self.api("GET", links["next"][len(self.endpoint):])
        self.assertEqual([a["number"] for a in body], [3, 2])
        links = parse_link(headers["Link"])
        self.assertEqual(set(links), {"prev", "next"})
        back = self.api("GET", links["prev"][len(self.endpoint):])[2]
        self.assertEqual([a["number"] for a in back], [5, 4])
        self.assertEqual([a["number"] for a in self.follow(base + "?per_page=2&after=")], [5, 4, 3, 2, 1])
        self.assertEqual(self.api("GET", base + "?after=not-a-cursor")[0], 422)

    def test_ghes_prefix(self):
        self.demo()
        status, headers, body = self.api("GET", "/api/v3/repos/acme/api/code-scanning/alerts?per_page=2")
        self.assertEqual(status, 200)
        self.assertIn("X-GitHub-Enterprise-Version", headers)
        self.assertTrue(parse_link(headers["Link"])["next"].startswith(self.endpoint + "/api/v3/repos/acme/api/"))
        alert = body[0]
        self.assertEqual(alert["url"], f"{self.endpoint}/api/v3/repos/acme/api/code-scanning/alerts/{alert['number']}")
        self.assertEqual(alert["html_url"], f"{self.endpoint}/acme/api/security/code-scanning/{alert['number']}")
        self.assertEqual(self.api("GET", "/api/v3/orgs/acme/code-scanning/alerts")[0], 200)
        status, _, patched = self.api("PATCH", "/api/v3/repos/acme/api/code-scanning/alerts/1",
                                      {"state": "dismissed", "dismissed_reason": "won't fix"})
        self.assertEqual((status, patched["state"]), (200, "dismissed"))
        # the repository-id form GitHub sometimes puts in Link headers
        repo_id = self.api("GET", "/orgs/acme/code-scanning/alerts")[2][0]["repository"]["id"]
        self.assertEqual(self.api("GET", f"/repositories/{repo_id}/code-scanning/alerts")[0], 200)

    # ---- update ------------------------------------------------------------------
    def test_dismiss_and_reopen(self):
        self.seed("acme/api", 2)
        path = "/repos/acme/api/code-scanning/alerts/1"
        before = self.api("GET", path)[2]
        status, _, alert = self.api("PATCH", path, {"state": "dismissed", "dismissed_reason": "false positive",
                                                    "dismissed_comment": "sanitised upstream"})
        self.assertEqual(status, 200)
        validator("code-scanning-alert").validate(alert)
        self.assertEqual(alert["state"], "dismissed")
        self.assertEqual(alert["dismissed_by"]["login"], "hubble-emulator")
        self.assertEqual((alert["dismissed_reason"], alert["dismissed_comment"]),
                         ("false positive", "sanitised upstream"))
        self.assertRegex(alert["dismissed_at"], TS)
        self.assertGreaterEqual(alert["updated_at"], before["updated_at"])
        self.assertEqual(alert["most_recent_instance"]["state"], "dismissed")
        self.assertEqual(self.api("GET", path)[2], alert)
        listed = self.api("GET", "/repos/acme/api/code-scanning/alerts?state=dismissed")[2]
        self.assertEqual([a["number"] for a in listed], [1])
        status, _, alert = self.api("PATCH", path, {"state": "open"})
        self.assertEqual(status, 200)
        for key in ("dismissed_by", "dismissed_at", "dismissed_reason", "dismissed_comment"):
            self.assertIsNone(alert[key], key)
        self.assertEqual(alert["state"], "open")
        status, _, alert = self.api("PATCH", path, {"assignees": ["mona", "hubot"]})
        self.assertEqual([u["login"] for u in alert["assignees"]], ["mona", "hubot"])
        self.assertEqual([a["number"] for a in self.api("GET", "/repos/acme/api/code-scanning/alerts?assignees=mona")[2]], [1])
        self.assertEqual([a["number"] for a in self.api("GET", "/repos/acme/api/code-scanning/alerts?assignees=none")[2]], [2])

    def test_update_validation_is_400(self):
        self.seed("acme/api", 1)
        path = "/repos/acme/api/code-scanning/alerts/1"
        for body in ({"state": "dismissed"}, {"state": "dismissed", "dismissed_reason": "meh"},
                     {"state": "fixed"}, {}, ["state"],
                     {"state": "dismissed", "dismissed_reason": "won't fix", "dismissed_comment": "x" * 281},
                     {"state": "open", "create_request": "yes"}):
            status, _, err = self.api("PATCH", path, body)
            self.assertEqual(status, 400, body)
            self.assertEqual(set(err), {"message", "documentation_url", "status"})
            self.assertEqual(err["status"], "400")
        status, _, err = self.call("PATCH", path, None, {**AUTH, "Content-Type": "application/json"})
        self.assertEqual(status, 400)
        ok = self.api("PATCH", path, {"state": "dismissed", "dismissed_reason": "won't fix",
                                      "dismissed_comment": "x" * 280, "create_request": False})
        self.assertEqual(ok[0], 200)
        self.assertEqual(self.api("PATCH", "/repos/acme/api/code-scanning/alerts/77", {"state": "open"})[0], 404)

    def test_fix_by_new_analysis(self):
        self.seed("acme/api", 2)
        status, _, alert = self.call("POST", "/_emu/github/alerts/acme/api/2/fix", {"commit_sha": "f" * 40})
        self.assertEqual(status, 200)
        alert = self.api("GET", "/repos/acme/api/code-scanning/alerts/2")[2]
        self.assertEqual(alert["state"], "fixed")
        self.assertRegex(alert["fixed_at"], TS)
        self.assertEqual(alert["updated_at"], alert["fixed_at"])
        self.assertEqual(alert["most_recent_instance"]["state"], "fixed")
        self.assertEqual(alert["most_recent_instance"]["commit_sha"], "f" * 40)
        self.assertEqual([a["number"] for a in self.api("GET", "/repos/acme/api/code-scanning/alerts?state=fixed")[2]], [2])
        self.assertEqual([a["number"] for a in self.api("GET", "/repos/acme/api/code-scanning/alerts?state=closed")[2]], [2])
        status, _, _ = self.api("PATCH", "/repos/acme/api/code-scanning/alerts/2",
                                {"state": "dismissed", "dismissed_reason": "won't fix"})
        self.assertEqual(status, 400)
        self.assertEqual(self.call("POST", "/_emu/github/alerts/acme/api/9/fix")[0], 404)

    def test_instances(self):
        self.call("POST", "/_emu/github/alerts", {"repo": "acme/api", "alert": {"rule": "py/sql-injection",
                  "instances": [{"ref": "main"}, {"ref": "refs/pull/3/merge", "state": "open"}]}})
        status, _, insts = self.api("GET", "/repos/acme/api/code-scanning/alerts/1/instances")
        self.assertEqual([i["ref"] for i in insts], ["refs/heads/main", "refs/pull/3/merge"])
        insts = self.api("GET", "/repos/acme/api/code-scanning/alerts/1/instances?ref=refs/pull/3/merge")[2]
        self.assertEqual(len(insts), 1)

    # ---- rate limits, ETags, versions, faults ------------------------------------
    def test_rate_limit_headers_and_primary_limit(self):
        self.demo()
        path = "/repos/acme/api/code-scanning/alerts"
        self.call("POST", "/_emu/github/rate-limit", {"limit": 10, "remaining": 2, "reset_in": 600})
        status, headers, _ = self.api("GET", path)
        self.assertEqual(status, 200)
        self.assertEqual((headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"],
                          headers["X-RateLimit-Used"], headers["X-RateLimit-Resource"]), ("10", "1", "9", "core"))
        reset = int(headers["X-RateLimit-Reset"])
        self.assertAlmostEqual(reset, time.time() + 600, delta=5)
        self.assertEqual(self.api("GET", path)[1]["X-RateLimit-Remaining"], "0")
        status, headers, body = self.api("GET", path)
        self.assertEqual(status, 403)
        self.assertEqual(headers["X-RateLimit-Remaining"], "0")
        self.assertEqual(headers["X-RateLimit-Reset"], str(reset))
        self.assertTrue(body["message"].startswith("API rate limit exceeded for user ID "))
        self.assertIn("rate-limits", body["documentation_url"])
        self.assertEqual(self.api("GET", "/rate_limit")[2]["resources"]["core"]["remaining"], 0)
        self.call("POST", "/_emu/github/rate-limit", {"status": 429})
        self.assertEqual(self.api("GET", path)[0], 429)
        self.call("POST", "/_emu/github/rate-limit", {"reset_in": -1})  # the window has passed
        status, headers, _ = self.api("GET", path)
        self.assertEqual((status, headers["X-RateLimit-Remaining"]), (200, "9"))

    def test_secondary_rate_limit(self):
        self.demo()
        self.call("POST", "/_emu/github/secondary-limit", {"count": 2, "retry_after": 7})
        for _ in range(2):
            status, headers, body = self.api("GET", "/repos/acme/web/code-scanning/alerts")
            self.assertEqual(status, 403)
            self.assertEqual(headers["Retry-After"], "7")
            self.assertIn("secondary rate limit", body["message"])
            self.assertIn("X-RateLimit-Remaining", headers)
        self.assertEqual(self.api("GET", "/repos/acme/web/code-scanning/alerts")[0], 200)
        self.call("POST", "/_emu/github/secondary-limit", {"count": 1, "retry_after": 1, "status": 429})
        self.assertEqual(self.api("GET", "/repos/acme/web/code-scanning/alerts")[0], 429)

    def test_etag_304_is_not_counted(self):
        self.demo()
        path = "/repos/acme/web/code-scanning/alerts"
        status, headers, _ = self.api("GET", path)
        etag, remaining = headers["ETag"], int(headers["X-RateLimit-Remaining"])
        status, headers, body = self.api("GET", path, headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, None))
        self.assertEqual(int(headers["X-RateLimit-Remaining"]), remaining)
        self.api("PATCH", "/repos/acme/web/code-scanning/alerts/1",
                 {"state": "dismissed", "dismissed_reason": "won't fix"})
        self.assertEqual(self.api("GET", path, headers={"If-None-Match": etag})[0], 200)

    def test_api_version_header(self):
        self.demo()
        path = "/repos/acme/web/code-scanning/alerts"
        status, headers, _ = self.api("GET", path, headers={"X-GitHub-Api-Version": "2022-11-28"})
        self.assertEqual((status, headers["X-GitHub-Api-Version-Selected"]), (200, "2022-11-28"))
        self.assertEqual(self.api("GET", path, headers={"X-GitHub-Api-Version": "1999-01-01"})[0], 400)

    def test_faults_use_github_error_shape_and_reset(self):
        self.demo()
        self.call("POST", "/_emu/faults", {"path": "code-scanning", "status": 503})
        status, _, body = self.api("GET", "/repos/acme/web/code-scanning/alerts")
        self.assertEqual(status, 503)
        self.assertEqual(set(body), {"message", "documentation_url", "status"})
        self.call("POST", "/_emu/reset")
        self.assertEqual(self.api("GET", "/repos/acme/web/code-scanning/alerts")[0], 404)
        self.assertEqual(self.api("GET", "/user")[0], 200)  # the default token survives a reset
