"""Local GitHub code-scanning emulator (test infrastructure for agent-hubble, not shipped).

    python tests/emulators/github_api.py --host 127.0.0.1 --port 0 [--exit-on-stdin-eof]
        [--html-base https://github.com]           -> prints READY <port>

Written from GitHub's REST description (github/rest-api-description, api.github.com, as
rendered in github/docs src/rest/data/fpt-2022-11-28/code-scanning.json) and GitHub's REST
docs on pagination and rate limits. The endpoints served, all also under /api/v3/… (the
GitHub Enterprise Server form: a client with endpoint_url = http://HOST:PORT/api/v3 works,
its alerts' url fields carry /api/v3 and html_url points at http://HOST:PORT/…):

    GET   /repos/{owner}/{repo}/code-scanning/alerts          code-scanning/list-alerts-for-repo
          (alias /repositories/{id}/code-scanning/alerts)
          tool_name | tool_guid, ref | pr, state (open|closed|dismissed|fixed; closed = dismissed
          or fixed), severity (critical|high|medium|low = rule.security_severity_level,
          error|warning|note = rule.severity), assignees (a,b | * | none), sort (created|updated,
          default created), direction (asc|desc, default desc), page (default 1), per_page
          (default 30, above 100 = 100), before/after cursors. Without ref the default branch's
          alerts are listed, like GitHub; ref "main" means refs/heads/main, pr=N refs/pull/N/merge.
    GET   /orgs/{org}/code-scanning/alerts                     code-scanning/list-alerts-for-org
          the same filters but ref/pr; every alert carries `repository` (simple-repository).
    GET   /repos/{owner}/{repo}/code-scanning/alerts/{n}       code-scanning/get-alert
    PATCH /repos/{owner}/{repo}/code-scanning/alerts/{n}       code-scanning/update-alert
          {"state": "dismissed", "dismissed_reason": "false positive"|"won't fix"|"used in tests",
           "dismissed_comment": "≤ 280 chars"} | {"state": "open"} | {"assignees": ["login"]};
          `create_request` is accepted and ignored. Bad bodies answer 400, the status the
          description documents for this operation (it documents 200/400/403/404/503; no 422).
    GET   /repos/{owner}/{repo}/code-scanning/alerts/{n}/instances  (ref, page, per_page)
    GET   /rate_limit, GET /user                              (do not count against the limit)

Paging: Link header as GitHub writes it, absolute URLs back to this emulator with every query
parameter kept: page mode `<…page=2>; rel="next", <…page=N>; rel="last"` (then rel="prev" /
rel="first" past page 1); cursor mode (a `before` or `after` parameter, even empty) rel="next"
with after=<cursor> and rel="prev" with before=<cursor>, no last/first.
GET answers carry a weak ETag; If-None-Match with it answers 304 (not counted, like GitHub).

Errors use GitHub's shape {"message", "documentation_url", "status"}:
  401  no Authorization header: "Requires authentication"; unknown token or scheme: "Bad
       credentials". Accepted: `Authorization: Bearer <token>` or `token <token>`.
  404  "Not Found" for an unknown repo/org, a private repo the token cannot see, or an org the
       token is not owner/security manager of; "No alert found for alert number N";
       "no analysis found" when the repo has code scanning off ("code_scanning": false).
  403  a public repo the token has no access to, or a read-only token on PATCH: "Resource not
       accessible by personal access token"; PATCH on an archived repo: "Repository was
       archived so is read-only."; a private repo without Advanced Security: "Advanced
       Security must be enabled for this repository to use code scanning."
  403  primary rate limit (or 429, configurable): "API rate limit exceeded for user ID …",
       X-RateLimit-Remaining: 0; secondary: "You have exceeded a secondary rate limit…" with
       Retry-After.
  422  an invalid query parameter value (emulator choice: the description documents no status
       for it); 400 an unsupported X-GitHub-Api-Version (2022-11-28 and 2026-03-10 are known).
Every answer but the control endpoints' carries X-RateLimit-Limit/-Remaining/-Reset/-Used and
X-RateLimit-Resource: core (one shared bucket, 5000/hour by default; every authenticated call
counts one), X-GitHub-Request-Id, X-GitHub-Media-Type, X-GitHub-Api-Version-Selected, and under
/api/v3 X-GitHub-Enterprise-Version.

Test-only control endpoints (no auth), besides emu_base's /_emu/faults, /_emu/requests, /_emu/reset:

    POST /_emu/github/tokens        {"token", "login", "repos": ["owner/name", …] | "*",
                                     "orgs": ["org", …] | "*", "write": true}  -> 201
         A token sees the repos listed, every repo of the orgs listed, and lists org alerts of
         those orgs ("*" = all). "write": false makes it read-only (PATCH -> 403).
         DEFAULT TOKEN: `ghp_emulator`, login `hubble-emulator`, repos "*", orgs "*", write.
    GET  /_emu/github/tokens
    POST /_emu/github/repos         {"full_name": "acme/api", "private": false, "archived": false,
                                     "default_branch": "main", "description": "…",
                                     "advanced_security": true, "code_scanning": true,
                                     "owner_type": "Organization"|"User"}  -> 201 the repo
    GET  /_emu/github/repos
    POST /_emu/github/alerts        {"repo": "acme/api", "alert": {partial}} -> 201 the full alert
         (the repo is created, public, if unknown). The partial may set any alert field;
         "rule" may be a rule id string or a partial rule ({"id": "js/xss"}) filled from
         github/codeql-rules.json (CodeQL rules with CWE tags and security-severity, and two
         Bandit rules); "tool" a partial tool; "most_recent_instance" a partial instance;
         "ref" puts the alert on that ref only; "instances" gives every instance; "dismissed_by"
         and "assignees" take logins. Numbers count up per repo unless "number" is given.
    GET  /_emu/github/alerts[?repo=owner/name]   -> {"alerts": [alert with repository, …]}
    POST /_emu/github/alerts/{owner}/{repo}/{n}/fix   {"commit_sha"?}  a new analysis no longer
         finds the alert: state fixed, fixed_at/updated_at now, its instance fixed.
    POST /_emu/github/rate-limit    {"limit": N, "remaining": N, "reset_in": seconds,
                                     "status": 403|429}; GET returns the bucket
    POST /_emu/github/secondary-limit {"count": N, "retry_after": S, "status": 403|429}
         the next N API calls answer the secondary-rate-limit error with Retry-After: S.
    POST /_emu/github/seed-demo     org acme, repos acme/api (private) and acme/web (public),
                                    13 alerts from github/demo.json -> {"repos": […], "alerts": N}
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import os
import time
import urllib.parse
import uuid
import zlib
from datetime import datetime, timezone
from typing import Any

from emu_base import Emulator, Request, Response, json_response, serve

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "github")

DEFAULT_TOKEN = "ghp_emulator"
DEFAULT_LOGIN = "hubble-emulator"
DOCS = "https://docs.github.com/rest"
DOC_ALERTS = "https://docs.github.com/rest/code-scanning/code-scanning"
DOC_RATE = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
DOC_SECONDARY = ("https://docs.github.com/free-pro-team@latest/rest/overview/"
                 "rate-limits-for-the-rest-api#about-secondary-rate-limits")
API_VERSIONS = ("2022-11-28", "2026-03-10")
GHES_VERSION = "3.17.0"
GHES_PREFIX = "/api/v3"

STATES_FILTER = ("open", "closed", "dismissed", "fixed")
SEVERITIES = ("critical", "high", "medium", "low", "warning", "note", "error")
SECURITY_LEVELS = ("critical", "high", "medium", "low")
DISMISSED_REASONS = ("false positive", "won't fix", "used in tests")
CLASSIFICATIONS = ("source", "generated", "test", "library", None)

USER_URLS = ("followers", "following{/other_user}", "gists{/gist_id}", "starred{/owner}{/repo}",
             "subscriptions", "orgs", "repos", "events{/privacy}", "received_events")
REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors",
    "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
    "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}", "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}", "languages_url": "/languages",
    "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
    "teams_url": "/teams", "trees_url": "/git/trees{/sha}", "hooks_url": "/hooks",
}


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def security_level(score: Any) -> str | None:
    """GitHub's mapping of the SARIF rule property security-severity to a level."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return None
    if value >= 9.0:
        return "critical"
    if value >= 7.0:
        return "high"
    if value >= 4.0:
        return "medium"
    if value > 0.0:
        return "low"
    return None


class ApiError(Exception):
    def __init__(self, status: int, message: str, doc: str = DOCS, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.doc, self.headers = status, message, doc, headers or {}


class Ctx:
    """Per-request facts: who, and which base URLs the answer's links use."""

    def __init__(self, api_base: str, html_base: str, ghes: bool, token: dict | None = None) -> None:
        self.api_base, self.html_base, self.ghes, self.token = api_base, html_base, ghes, token


class GitHub(Emulator):
    name = "github"
    html_base = "https://github.com"

    def __init__(self) -> None:
        with open(os.path.join(DATA, "codeql-rules.json"), encoding="utf-8") as fh:
            catalog = json.load(fh)
        self.rule_catalog: dict[str, dict] = catalog["rules"]
        self.tool_catalog: dict[str, dict] = catalog["tools"]
        super().__init__()
        repo = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/code-scanning/alerts"
        self.route("GET", repo, self._list_repo)
        self.route("GET", r"/repositories/(?P<repo_id>\d+)/code-scanning/alerts", self._list_repo)
        self.route("GET", r"/orgs/(?P<org>[^/]+)/code-scanning/alerts", self._list_org)
        self.route("GET", repo + r"/(?P<number>[^/]+)", self._get_alert)
        self.route("PATCH", repo + r"/(?P<number>[^/]+)", self._update_alert)
        self.route("GET", repo + r"/(?P<number>[^/]+)/instances", self._list_instances)
        self.route("GET", r"/rate_limit", self._rate_limit_api)
        self.route("GET", r"/user", self._user_api)
        # control endpoints
        self.route("POST", r"/_emu/github/tokens", self._c_add_token)
        self.route("GET", r"/_emu/github/tokens", lambda r: json_response(200, {"tokens": list(self.tokens.values())}))
        self.route("POST", r"/_emu/github/repos", self._c_add_repo)
        self.route("GET", r"/_emu/github/repos", self._c_list_repos)
        self.route("POST", r"/_emu/github/alerts", self._c_add_alert)
        self.route("GET", r"/_emu/github/alerts", self._c_list_alerts)
        self.route("POST", r"/_emu/github/alerts/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?P<number>\d+)/fix", self._c_fix)
        self.route("POST", r"/_emu/github/rate-limit", self._c_rate_limit)
        self.route("GET", r"/_emu/github/rate-limit", lambda r: json_response(200, self._rate_snapshot()))
        self.route("POST", r"/_emu/github/secondary-limit", self._c_secondary)
        self.route("POST", r"/_emu/github/seed-demo", self._c_seed_demo)

    # ---- state -------------------------------------------------------------------
    def reset(self) -> None:
        self.tokens: dict[str, dict] = {}
        self._put_token({"token": DEFAULT_TOKEN, "login": DEFAULT_LOGIN, "repos": "*", "orgs": "*", "write": True})
        self.repos: dict[str, dict] = {}          # lower-case full name -> repo
        self.alerts: dict[str, dict[int, dict]] = {}  # lower-case full name -> number -> alert
        self.next_repo_id = 700001
        self.rate = {"limit": 5000, "remaining": 5000, "reset": int(time.time()) + 3600, "status": 403}
        self.secondary = {"count": 0, "retry_after": 60, "status": 403}

    def error_body(self, status: int, message: str, doc: str = DOCS) -> Any:
        return {"message": message, "documentation_url": doc, "status": str(status)}

    def _put_token(self, spec: dict) -> dict:
        def names(v: Any, what: str) -> Any:
            if v == "*":
                return "*"
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError(f"'{what}' must be a list of names or \"*\"")
            return [x.lower() for x in v]
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            raise ValueError("'token' is required")
        entry = {"token": token, "login": str(spec.get("login") or f"user-{zlib.crc32(token.encode()) % 10000}"),
                 "repos": names(spec.get("repos", []), "repos"), "orgs": names(spec.get("orgs", []), "orgs"),
                 "write": bool(spec.get("write", True))}
        self.tokens[token] = entry
        return entry

    # ---- users and repositories --------------------------------------------------
    @staticmethod
    def user_id(login: str) -> int:
        return 1000 + zlib.crc32(login.lower().encode()) % 90_000_000

    def simple_user(self, login: str, ctx: Ctx, kind: str = "User") -> dict:
        uid = self.user_id(login)
        api = f"{ctx.api_base}/users/{login}"
        user = {"login": login, "id": uid,
                "node_id": base64.b64encode(f"04:{kind}{uid}".encode()).decode().rstrip("="),
                "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4", "gravatar_id": "",
                "url": api, "html_url": f"{ctx.html_base}/{login}"}
        for suffix in USER_URLS:
            key = suffix.split("{")[0].replace("orgs", "organizations") + "_url"
            user[key] = f"{api}/{suffix}"
        user.update({"type": kind, "user_view_type": "public", "site_admin": False})
        return user

    def simple_repo(self, repo: dict, ctx: Ctx) -> dict:
        api = f"{ctx.api_base}/repos/{repo['full_name']}"
        out = {"id": repo["id"], "node_id": repo["node_id"], "name": repo["name"],
               "full_name": repo["full_name"], "owner": self.simple_user(repo["owner"], ctx, repo["owner_type"]),
               "private": repo["private"], "html_url": f"{ctx.html_base}/{repo['full_name']}",
               "description": repo["description"], "fork": False, "url": api}
        for key, suffix in REPO_URLS.items():
            out[key] = api + suffix
        return out

    def _make_repo(self, spec: dict) -> dict:
        full = spec.get("full_name")
        if not isinstance(full, str) or full.count("/") != 1 or not all(full.split("/")):
            raise ValueError("'full_name' must be OWNER/NAME")
        key = full.lower()
        if key in self.repos:
            raise ValueError(f"repository {full} exists")
        owner, name = full.split("/")
        rid = self.next_repo_id
        self.next_repo_id += 1
        repo = {"id": rid, "node_id": base64.b64encode(f"010:Repository{rid}".encode()).decode().rstrip("="),
                "full_name": full, "owner": owner, "name": name,
                "owner_type": spec.get("owner_type", "Organization"),
                "private": bool(spec.get("private", False)), "archived": bool(spec.get("archived", False)),
                "default_branch": spec.get("default_branch", "main"),
                "description": spec.get("description"),
                "advanced_security": bool(spec.get("advanced_security", True)),
                "code_scanning": bool(spec.get("code_scanning", True))}
        if repo["owner_type"] not in ("Organization", "User"):
            raise ValueError("'owner_type' must be Organization or User")
        self.repos[key] = repo
        self.alerts[key] = {}
        return repo

    # ---- alerts ------------------------------------------------------------------
    def _normalize_ref(self, ref: str) -> str:
        return ref if ref.startswith("refs/") else f"refs/heads/{ref}"

    def _make_alert(self, repo: dict, partial: dict) -> dict:
        if not isinstance(partial, dict):
            raise ValueError("'alert' must be an object")
        p = copy.deepcopy(partial)
        store = self.alerts[repo["full_name"].lower()]
        number = int(p.pop("number", max(store, default=0) + 1))
        if number in store:
            raise ValueError(f"alert {number} exists in {repo['full_name']}")
        # rule: a catalog id or a partial merged over the catalog entry
        rule_in = p.pop("rule", None)
        if isinstance(rule_in, str):
            rule_in = {"id": rule_in}
        rule_in = rule_in or {}
        rule_id = rule_in.get("id")
        if rule_id is None:
            ids = [k for k, v in self.rule_catalog.items() if v["tool"] == "CodeQL"]
            rule_id = ids[(number - 1) % len(ids)]
        cat = self.rule_catalog.get(rule_id, {})
        rule = {"id": rule_id, "name": cat.get("name", rule_id), "severity": cat.get("severity", "warning"),
                "security_severity_level": security_level(cat.get("security_severity")),
                "description": cat.get("description", rule_id),
                "full_description": cat.get("full_description", cat.get("description", rule_id)),
                "tags": list(cat.get("tags", ["security"])), "help": cat.get("help"),
                "help_uri": cat.get("help_uri")}
        rule.update({k: v for k, v in rule_in.items() if k != "security_severity"})
        if "security_severity" in rule_in:
            rule["security_severity_level"] = security_level(rule_in["security_severity"])
        if isinstance(p.get("tool"), str):
            p["tool"] = {"name": p["tool"]}
        tool_name = (p.get("tool") or {}).get("name") or cat.get("tool", "CodeQL")
        tool = dict(self.tool_catalog.get(tool_name, {"name": tool_name, "version": None, "guid": None}))
        tool.update(p.pop("tool", None) or {})
        language = cat.get("language", "python")
        sample = cat.get("sample", {"message": rule["description"], "path": "src/main.py"})
        created = p.pop("created_at", None) or iso()
        state = p.pop("state", "open")
        if state not in ("open", "dismissed", "fixed"):
            raise ValueError("'state' must be open, dismissed or fixed")
        default_ref = self._normalize_ref(repo["default_branch"])
        seed = zlib.crc32(f"{repo['full_name']}#{number}".encode())
        line = 5 + seed % 140
        instance = {
            "ref": default_ref,
            "analysis_key": (".github/workflows/codeql.yml:analyze" if tool["name"] == "CodeQL"
                             else f".github/workflows/{tool['name'].lower()}.yml:scan"),
            "environment": json.dumps({"language": language}, separators=(",", ":")) if tool["name"] == "CodeQL" else "{}",
            "category": f"/language:{language}" if tool["name"] == "CodeQL" else tool["name"].lower(),
            "state": state,
            "commit_sha": hashlib.sha1(f"{repo['full_name']}@{created}".encode()).hexdigest(),
            "message": {"text": sample["message"]},
            "location": {"path": sample["path"], "start_line": line, "end_line": line,
                         "start_column": 5 + seed % 30, "end_column": 40 + seed % 40},
            "classifications": [],
        }
        mri = p.pop("most_recent_instance", None) or {}
        for k, v in mri.items():
            if k in ("location", "message") and isinstance(v, dict):
                instance[k] = {**instance[k], **v}
            else:
                instance[k] = v
        ref = p.pop("ref", None)
        if ref:
            instance["ref"] = self._normalize_ref(ref)
        instances = p.pop("instances", None)
        if instances is None:
            instances = [instance]
        else:
            instances = [{**instance, **i, "ref": self._normalize_ref(i.get("ref", instance["ref"]))}
                         for i in instances]
        dismissed_by = p.pop("dismissed_by", None)
        if state == "dismissed" and dismissed_by is None:
            dismissed_by = DEFAULT_LOGIN
        if isinstance(dismissed_by, dict):
            dismissed_by = dismissed_by.get("login")
        alert = {
            "number": number, "created_at": created, "updated_at": p.pop("updated_at", None),
            "state": state,
            "fixed_at": p.pop("fixed_at", None),
            "dismissed_by": dismissed_by if state == "dismissed" else None,
            "dismissed_at": p.pop("dismissed_at", None),
            "dismissed_reason": p.pop("dismissed_reason", None),
            "dismissed_comment": p.pop("dismissed_comment", None),
            "rule": rule, "tool": tool, "instances": instances,
            "assignees": [a if isinstance(a, str) else a.get("login") for a in p.pop("assignees", [])],
        }
        if state == "fixed" and not alert["fixed_at"]:
            alert["fixed_at"] = created
        if state == "dismissed":
            alert["dismissed_at"] = alert["dismissed_at"] or created
            alert["dismissed_reason"] = alert["dismissed_reason"] or "false positive"
        else:
            alert["dismissed_at"] = alert["dismissed_reason"] = alert["dismissed_comment"] = None
        if alert["dismissed_reason"] not in (None, *DISMISSED_REASONS):
            raise ValueError(f"'dismissed_reason' must be one of {DISMISSED_REASONS}")
        alert["updated_at"] = alert["updated_at"] or max(
            t for t in (created, alert["fixed_at"], alert["dismissed_at"]) if t)
        p.pop("url", None), p.pop("html_url", None), p.pop("instances_url", None), p.pop("repository", None)
        if p:
            raise ValueError(f"unknown alert keys: {sorted(p)}")
        store[number] = alert
        return alert

    def _instance_for(self, alert: dict, ref: str) -> dict | None:
        for inst in alert["instances"]:
            if inst["ref"] == ref:
                return inst
        return None

    def render(self, repo: dict, alert: dict, ctx: Ctx, ref: str | None = None,
               with_repository: bool = False) -> dict:
        ref = ref or self._normalize_ref(repo["default_branch"])
        inst = self._instance_for(alert, ref) or alert["instances"][0]
        api = f"{ctx.api_base}/repos/{repo['full_name']}/code-scanning/alerts/{alert['number']}"
        out = {
            "number": alert["number"], "created_at": alert["created_at"], "updated_at": alert["updated_at"],
            "url": api,
            "html_url": f"{ctx.html_base}/{repo['full_name']}/security/code-scanning/{alert['number']}",
            "state": alert["state"], "fixed_at": alert["fixed_at"],
            "dismissed_by": self.simple_user(alert["dismissed_by"], ctx) if alert["dismissed_by"] else None,
            "dismissed_at": alert["dismissed_at"], "dismissed_reason": alert["dismissed_reason"],
            "dismissed_comment": alert["dismissed_comment"],
            "rule": dict(alert["rule"]), "tool": dict(alert["tool"]),
            "most_recent_instance": copy.deepcopy(inst),
            "instances_url": api + "/instances",
            "dismissal_approved_by": None,
            "assignees": [self.simple_user(a, ctx) for a in alert["assignees"]],
        }
        if with_repository:
            out["repository"] = self.simple_repo(repo, ctx)
        return out

    # ---- request plumbing --------------------------------------------------------
    def _ctx(self, req: Request, ghes: bool) -> Ctx:
        host = req.headers.get("host") or "127.0.0.1"
        if ghes:
            return Ctx(f"http://{host}{GHES_PREFIX}", f"http://{host}", True)
        return Ctx(f"http://{host}", self.html_base, False)

    def _rate_snapshot(self) -> dict:
        with self.lock:
            now = time.time()
            if now >= self.rate["reset"]:
                self.rate["remaining"] = self.rate["limit"]
                self.rate["reset"] = int(now) + 3600
            r = self.rate
            return {"limit": r["limit"], "remaining": r["remaining"], "reset": r["reset"],
                    "used": r["limit"] - r["remaining"], "resource": "core"}

    def _rate_headers(self) -> dict[str, str]:
        s = self._rate_snapshot()
        return {"X-RateLimit-Limit": str(s["limit"]), "X-RateLimit-Remaining": str(s["remaining"]),
                "X-RateLimit-Reset": str(s["reset"]), "X-RateLimit-Used": str(s["used"]),
                "X-RateLimit-Resource": "core"}

    def _authenticate(self, req: Request) -> dict:
        header = req.headers.get("authorization")
        if not header:
            raise ApiError(401, "Requires authentication")
        scheme, _, value = header.strip().partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() in ("bearer", "token") else None
        if token is None:
            raise ApiError(401, "Bad credentials")
        return token

    def dispatch(self, req: Request) -> Response:
        if req.path.startswith("/_emu/"):
            return super().dispatch(req)
        ghes = req.path == GHES_PREFIX or req.path.startswith(GHES_PREFIX + "/")
        if ghes:
            req.path = req.path[len(GHES_PREFIX):] or "/"
        rid = uuid.uuid4().hex[:8].upper() + ":" + uuid.uuid4().hex[:6].upper()
        version = req.headers.get("x-github-api-version") or API_VERSIONS[0]
        extra = {"X-GitHub-Request-Id": rid, "X-GitHub-Media-Type": "github.v3; format=json",
                 "X-GitHub-Api-Version-Selected": version}
        if ghes:
            extra["X-GitHub-Enterprise-Version"] = GHES_VERSION
        counted = False
        try:
            if version not in API_VERSIONS:
                raise ApiError(400, f"API version {version} is not supported.",
                               "https://docs.github.com/rest/about-the-rest-api/api-versions")
            token = self._authenticate(req)
            with self.lock:
                if self.secondary["count"] > 0:
                    self.secondary["count"] -= 1
                    raise ApiError(self.secondary["status"],
                                   "You have exceeded a secondary rate limit. Please wait a few minutes "
                                   "before you try again. If you reach out to GitHub Support for help, "
                                   f"please include the request ID {rid}.", DOC_SECONDARY,
                                   {"Retry-After": str(self.secondary["retry_after"])})
                exempt = req.path.rstrip("/") in ("/rate_limit", "/user")
                snap = self._rate_snapshot()
                if not exempt:
                    if snap["remaining"] <= 0:
                        raise ApiError(self.rate["status"],
                                       f"API rate limit exceeded for user ID {self.user_id(token['login'])}. "
                                       "If you reach out to GitHub Support for help, please include the "
                                       f"request ID {rid} and timestamp {iso()}.", DOC_RATE)
                    self.rate["remaining"] -= 1
                    counted = True
            req.ctx = self._ctx(req, ghes)          # type: ignore[attr-defined]
            req.ctx.token = token                   # type: ignore[attr-defined]
            resp = super().dispatch(req)
        except ApiError as err:
            resp = json_response(err.status, self.error_body(err.status, err.message, err.doc), err.headers)
        if req.method in ("GET", "HEAD") and resp.status == 200 and isinstance(resp.body, (dict, list)):
            etag = 'W/"' + hashlib.sha256(resp.encode()).hexdigest()[:40] + '"'
            resp.headers["ETag"] = etag
            if etag in [t.strip() for t in req.headers.get("if-none-match", "").split(",")]:
                resp = Response(304, None, {"ETag": etag})
                if counted:
                    with self.lock:
                        self.rate["remaining"] += 1
        resp.headers.update(extra)
        resp.headers.update(self._rate_headers())
        if resp.status != 304 and isinstance(resp.body, (dict, list)):
            resp.content_type = "application/json; charset=utf-8"
        return resp

    # ---- access ------------------------------------------------------------------
    def _sees_repo(self, token: dict, repo: dict) -> bool:
        return (token["repos"] == "*" or repo["full_name"].lower() in token["repos"]
                or token["orgs"] == "*" or repo["owner"].lower() in token["orgs"])

    def _repo_for(self, req: Request, write: bool = False) -> dict:
        token = req.ctx.token  # type: ignore[attr-defined]
        with self.lock:
            if req.match.groupdict().get("repo_id"):
                rid = int(req.match["repo_id"])
                repo = next((r for r in self.repos.values() if r["id"] == rid), None)
            else:
                repo = self.repos.get(f"{req.match['owner']}/{req.match['repo']}".lower())
        if repo is None:
            raise ApiError(404, "Not Found", DOC_ALERTS)
        if not self._sees_repo(token, repo):
            if repo["private"]:
                raise ApiError(404, "Not Found", DOC_ALERTS)
            raise ApiError(403, "Resource not accessible by personal access token", DOC_ALERTS)
        if write and not token["write"]:
            raise ApiError(403, "Resource not accessible by personal access token", DOC_ALERTS)
        if write and repo["archived"]:
            raise ApiError(403, "Repository was archived so is read-only.", DOC_ALERTS)
        if repo["private"] and not repo["advanced_security"]:
            raise ApiError(403, "Advanced Security must be enabled for this repository to use code scanning.",
                           DOC_ALERTS)
        if not repo["code_scanning"]:
            raise ApiError(404, "no analysis found", DOC_ALERTS)
        return repo

    def _alert_for(self, req: Request, repo: dict) -> dict:
        raw = req.match["number"]
        alert = self.alerts[repo["full_name"].lower()].get(int(raw)) if raw.isdigit() else None
        if alert is None:
            raise ApiError(404, f"No alert found for alert number {raw}", DOC_ALERTS)
        return alert

    # ---- listing -----------------------------------------------------------------
    @staticmethod
    def _invalid(name: str, value: str, allowed: tuple) -> ApiError:
        return ApiError(422, f"Invalid request.\n\nFor '{name}', \"{value}\" is not a valid value. "
                             f"Expected one of: {', '.join(a for a in allowed if a)}.", DOC_ALERTS)

    def _enum(self, req: Request, name: str, allowed: tuple, default: str | None = None) -> str | None:
        value = req.q(name)
        if value is None or value == "":
            return default
        if value not in allowed:
            raise self._invalid(name, value, allowed)
        return value

    def _paging(self, req: Request) -> tuple[int, int]:
        def num(name: str, default: int) -> int:
            try:
                n = int(req.q(name) or default)
            except ValueError:
                raise ApiError(422, f"Invalid request.\n\nFor '{name}', \"{req.q(name)}\" is not an integer.",
                               DOC_ALERTS) from None
            return n if n >= 1 else default
        return num("page", 1), min(num("per_page", 30), 100)

    def _filters(self, req: Request) -> dict:
        f = {"state": self._enum(req, "state", STATES_FILTER),
             "severity": self._enum(req, "severity", SEVERITIES),
             "sort": self._enum(req, "sort", ("created", "updated"), "created"),
             "direction": self._enum(req, "direction", ("asc", "desc"), "desc"),
             "tool_name": req.q("tool_name") or None, "tool_guid": req.q("tool_guid") or None,
             "assignees": req.q("assignees") or None}
        if f["tool_name"] and f["tool_guid"]:
            raise ApiError(422, "Invalid request.\n\nSpecify either 'tool_name' or 'tool_guid', not both.",
                           DOC_ALERTS)
        return f

    @staticmethod
    def _matches(alert: dict, f: dict) -> bool:
        st = f["state"]
        if st == "closed":
            if alert["state"] not in ("dismissed", "fixed"):
                return False
        elif st and alert["state"] != st:
            return False
        sev = f["severity"]
        if sev in SECURITY_LEVELS and alert["rule"].get("security_severity_level") != sev:
            return False
        if sev and sev not in SECURITY_LEVELS and alert["rule"].get("severity") != sev:
            return False
        if f["tool_name"] and alert["tool"].get("name") != f["tool_name"]:
            return False
        if f["tool_guid"] and alert["tool"].get("guid") != f["tool_guid"]:
            return False
        a = f["assignees"]
        if a == "*" and not alert["assignees"]:
            return False
        if a == "none" and alert["assignees"]:
            return False
        if a and a not in ("*", "none"):
            wanted = {x.strip().lower() for x in a.split(",") if x.strip()}
            if not wanted & {x.lower() for x in alert["assignees"]}:
                return False
        return True

    def _page(self, req: Request, ctx: Ctx, rows: list[tuple[tuple, Any]], render) -> Response:
        """rows: (sort key, item) already sorted; answers one page with GitHub's Link header."""
        page, per_page = self._paging(req)
        raw_query = urllib.parse.urlsplit(req.raw_path).query
        params = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
        path = urllib.parse.urlsplit(req.raw_path).path

        def url(**changes: Any) -> str:
            out, seen = [], set()
            for k, v in params:
                if k in changes:
                    if k in seen:
                        continue
                    seen.add(k)
                    if changes[k] is None:
                        continue
                    v = str(changes[k])
                out.append((k, v))
            for k, v in changes.items():
                if k not in seen and v is not None:
                    out.append((k, str(v)))
            host = req.headers.get("host") or "127.0.0.1"
            return f"http://{host}{path}?" + urllib.parse.urlencode(out, quote_via=urllib.parse.quote)

        links: list[tuple[str, str]] = []
        if "before" in req.query or "after" in req.query:
            keys = [k for k, _ in rows]
            before, after = req.q("before") or "", req.q("after") or ""
            try:
                if after:
                    cut = self._decode_cursor(after)
                    start = next((i for i, k in enumerate(keys) if self._after(k, cut, rows_desc=req.desc)),
                                 len(keys))
                    window = rows[start:start + per_page]
                elif before:
                    cut = self._decode_cursor(before)
                    end = next((i for i, k in enumerate(keys) if not self._before(k, cut, rows_desc=req.desc)),
                               len(keys))
                    start = max(0, end - per_page)
                    window = rows[start:end]
                else:
                    start, window = 0, rows[:per_page]
            except (ValueError, TypeError):
                raise ApiError(422, "Invalid request.\n\nThe 'before' or 'after' cursor is not valid.",
                               DOC_ALERTS) from None
            if window and start > 0:
                links.append((url(before=self._encode_cursor(window[0][0]), after=None, page=None), "prev"))
            if window and start + len(window) < len(rows):
                links.append((url(after=self._encode_cursor(window[-1][0]), before=None, page=None), "next"))
        else:
            last = max(1, math.ceil(len(rows) / per_page))
            window = rows[(page - 1) * per_page: page * per_page]
            if page > 1:
                links.append((url(page=page - 1), "prev"))
            if page < last:
                links.append((url(page=page + 1), "next"))
                links.append((url(page=last), "last"))
            if page > 1:
                links.append((url(page=1), "first"))
        headers = {}
        if links:
            headers["Link"] = ", ".join(f'<{u}>; rel="{rel}"' for u, rel in links)
        return json_response(200, [render(item) for _, item in window], headers)

    @staticmethod
    def _encode_cursor(key: tuple) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(cursor: str) -> tuple:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, list) or len(data) != 3:
            raise ValueError("bad cursor")
        return (str(data[0]), int(data[1]), int(data[2]))

    @staticmethod
    def _after(key: tuple, cut: tuple, rows_desc: bool) -> bool:
        return key < cut if rows_desc else key > cut

    @staticmethod
    def _before(key: tuple, cut: tuple, rows_desc: bool) -> bool:
        return key > cut if rows_desc else key < cut

    def _sorted(self, req: Request, items: list[tuple[dict, dict]], f: dict) -> list[tuple[tuple, Any]]:
        field = "updated_at" if f["sort"] == "updated" else "created_at"
        rows = [((alert[field] or alert["created_at"], repo["id"], alert["number"]), (repo, alert))
                for repo, alert in items]
        req.desc = f["direction"] == "desc"  # type: ignore[attr-defined]
        rows.sort(key=lambda r: r[0], reverse=req.desc)  # type: ignore[attr-defined]
        return rows

    def _list_repo(self, req: Request) -> Response:
        repo = self._repo_for(req)
        f = self._filters(req)
        ref = req.q("ref")
        pr = req.q("pr")
        if pr:
            if not pr.isdigit():
                raise ApiError(422, f"Invalid request.\n\nFor 'pr', \"{pr}\" is not an integer.", DOC_ALERTS)
            ref = f"refs/pull/{pr}/merge"
        ref = self._normalize_ref(ref) if ref else self._normalize_ref(repo["default_branch"])
        with self.lock:
            items = [(repo, a) for a in self.alerts[repo["full_name"].lower()].values()
                     if self._instance_for(a, ref) and self._matches(a, f)]
            rows = self._sorted(req, items, f)
            return self._page(req, req.ctx, rows, lambda it: self.render(it[0], it[1], req.ctx, ref))

    def _list_org(self, req: Request) -> Response:
        token = req.ctx.token  # type: ignore[attr-defined]
        org = req.match["org"].lower()
        with self.lock:
            org_repos = [r for r in self.repos.values()
                         if r["owner"].lower() == org and r["owner_type"] == "Organization"]
        if not org_repos or not (token["orgs"] == "*" or org in token["orgs"]):
            raise ApiError(404, "Not Found", DOC_ALERTS)
        f = self._filters(req)
        with self.lock:
            items = []
            for repo in org_repos:
                if not repo["code_scanning"] or (repo["private"] and not repo["advanced_security"]):
                    continue
                ref = self._normalize_ref(repo["default_branch"])
                items += [(repo, a) for a in self.alerts[repo["full_name"].lower()].values()
                          if self._instance_for(a, ref) and self._matches(a, f)]
            rows = self._sorted(req, items, f)
            return self._page(req, req.ctx, rows,
                              lambda it: self.render(it[0], it[1], req.ctx, with_repository=True))

    def _get_alert(self, req: Request) -> Response:
        repo = self._repo_for(req)
        with self.lock:
            return json_response(200, self.render(repo, self._alert_for(req, repo), req.ctx))

    def _list_instances(self, req: Request) -> Response:
        repo = self._repo_for(req)
        ref = req.q("ref")
        pr = req.q("pr")
        if pr and pr.isdigit():
            ref = f"refs/pull/{pr}/merge"
        with self.lock:
            alert = self._alert_for(req, repo)
            insts = [i for i in alert["instances"] if not ref or i["ref"] == self._normalize_ref(ref)]
            rows = [((i["ref"], 0, n), i) for n, i in enumerate(insts)]
            req.desc = False  # type: ignore[attr-defined]
            return self._page(req, req.ctx, rows, lambda i: copy.deepcopy(i))

    # ---- update ------------------------------------------------------------------
    def _update_alert(self, req: Request) -> Response:
        repo = self._repo_for(req, write=True)
        try:
            body = json.loads(req.body or b"null")
        except ValueError:
            raise ApiError(400, "Problems parsing JSON", DOC_ALERTS) from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid request.\n\nThe request body must be a JSON object.", DOC_ALERTS)
        if "state" not in body and "assignees" not in body:
            raise ApiError(400, "Invalid request.\n\nEither \"state\" or \"assignees\" must be provided.",
                           DOC_ALERTS)
        state = body.get("state")
        reason = body.get("dismissed_reason")
        comment = body.get("dismissed_comment")
        if "state" in body and state not in ("open", "dismissed"):
            raise ApiError(400, f"Invalid request.\n\n{json.dumps(state)} is not a valid value for \"state\". "
                                "Expected one of: open, dismissed.", DOC_ALERTS)
        if state == "dismissed":
            if reason is None:
                raise ApiError(400, "Invalid request.\n\n\"dismissed_reason\" is required when \"state\" is "
                                    "\"dismissed\".", DOC_ALERTS)
            if reason not in DISMISSED_REASONS:
                raise ApiError(400, f"Invalid request.\n\n{json.dumps(reason)} is not a valid value for "
                                    "\"dismissed_reason\". Expected one of: false positive, won't fix, "
                                    "used in tests.", DOC_ALERTS)
        if comment is not None and (not isinstance(comment, str) or len(comment) > 280):
            raise ApiError(400, "Invalid request.\n\n\"dismissed_comment\" must be a string of at most 280 "
                                "characters.", DOC_ALERTS)
        if "create_request" in body and not isinstance(body["create_request"], bool):
            raise ApiError(400, "Invalid request.\n\n\"create_request\" must be a boolean.", DOC_ALERTS)
        assignees = body.get("assignees")
        if "assignees" in body and (not isinstance(assignees, list)
                                    or not all(isinstance(a, str) and a for a in assignees)):
            raise ApiError(400, "Invalid request.\n\n\"assignees\" must be an array of user logins.", DOC_ALERTS)
        token = req.ctx.token  # type: ignore[attr-defined]
        with self.lock:
            alert = self._alert_for(req, repo)
            if state and alert["state"] == "fixed":
                raise ApiError(400, f"Alert {alert['number']} is fixed; only open or dismissed alerts can "
                                    "change state.", DOC_ALERTS)
            now = iso()
            default_ref = self._normalize_ref(repo["default_branch"])
            if state == "dismissed":
                alert.update({"state": "dismissed", "dismissed_by": token["login"], "dismissed_at": now,
                              "dismissed_reason": reason, "dismissed_comment": comment})
            elif state == "open":
                alert.update({"state": "open", "dismissed_by": None, "dismissed_at": None,
                              "dismissed_reason": None, "dismissed_comment": None})
            if state:
                for inst in alert["instances"]:
                    if inst["ref"] == default_ref:
                        inst["state"] = state
            if assignees is not None:
                alert["assignees"] = list(dict.fromkeys(assignees))
            alert["updated_at"] = now
            return json_response(200, self.render(repo, alert, req.ctx))

    # ---- misc API ----------------------------------------------------------------
    def _rate_limit_api(self, req: Request) -> Response:
        s = self._rate_snapshot()
        core = {k: s[k] for k in ("limit", "used", "remaining", "reset")}
        return json_response(200, {"resources": {"core": core}, "rate": core})

    def _user_api(self, req: Request) -> Response:
        return json_response(200, self.simple_user(req.ctx.token["login"], req.ctx))  # type: ignore[attr-defined]

    # ---- control -----------------------------------------------------------------
    def _control_ctx(self, req: Request) -> Ctx:
        return self._ctx(req, False)

    def _c_add_token(self, req: Request) -> Response:
        spec = req.json()
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        with self.lock:
            return json_response(201, self._put_token(spec))

    def _c_add_repo(self, req: Request) -> Response:
        spec = req.json()
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        with self.lock:
            repo = self._make_repo(spec)
            return json_response(201, dict(self.simple_repo(repo, self._control_ctx(req)),
                                           archived=repo["archived"], default_branch=repo["default_branch"]))

    def _c_list_repos(self, req: Request) -> Response:
        with self.lock:
            return json_response(200, {"repos": [dict(r) for r in self.repos.values()]})

    def _c_add_alert(self, req: Request) -> Response:
        spec = req.json()
        if not isinstance(spec, dict) or not isinstance(spec.get("repo"), str):
            raise ValueError("body must be {\"repo\": \"owner/name\", \"alert\": {...}}")
        with self.lock:
            repo = self.repos.get(spec["repo"].lower()) or self._make_repo({"full_name": spec["repo"]})
            alert = self._make_alert(repo, spec.get("alert") or {})
            ctx = self._control_ctx(req)
            return json_response(201, self.render(repo, alert, ctx, ref=alert["instances"][0]["ref"]))

    def _c_list_alerts(self, req: Request) -> Response:
        only = (req.q("repo") or "").lower()
        ctx = self._control_ctx(req)
        with self.lock:
            out = []
            for key, alerts in self.alerts.items():
                if only and key != only:
                    continue
                repo = self.repos[key]
                for alert in sorted(alerts.values(), key=lambda a: a["number"]):
                    out.append(dict(self.render(repo, alert, ctx, ref=alert["instances"][0]["ref"],
                                                with_repository=True),
                                    instances=copy.deepcopy(alert["instances"])))
            return json_response(200, {"alerts": out})

    def _c_fix(self, req: Request) -> Response:
        spec = req.json() or {}
        with self.lock:
            repo = self.repos.get(f"{req.match['owner']}/{req.match['repo']}".lower())
            alert = self.alerts.get(repo["full_name"].lower(), {}).get(int(req.match["number"])) if repo else None
            if alert is None:
                return json_response(404, self.error_body(404, "No such alert"))
            now = iso()
            alert.update({"state": "fixed", "fixed_at": now, "updated_at": now})
            default_ref = self._normalize_ref(repo["default_branch"])
            for inst in alert["instances"]:
                if inst["ref"] == default_ref:
                    inst["state"] = "fixed"
                    if spec.get("commit_sha"):
                        inst["commit_sha"] = spec["commit_sha"]
            return json_response(200, self.render(repo, alert, self._control_ctx(req)))

    def _c_rate_limit(self, req: Request) -> Response:
        spec = req.json() or {}
        with self.lock:
            if "limit" in spec:
                self.rate["limit"] = int(spec["limit"])
                self.rate["remaining"] = min(self.rate["remaining"], self.rate["limit"])
            if "remaining" in spec:
                self.rate["remaining"] = int(spec["remaining"])
            if "reset_in" in spec:
                self.rate["reset"] = int(time.time() + float(spec["reset_in"]))
            if "status" in spec:
                if int(spec["status"]) not in (403, 429):
                    raise ValueError("'status' must be 403 or 429")
                self.rate["status"] = int(spec["status"])
            return json_response(200, dict(self._rate_snapshot(), status=self.rate["status"]))

    def _c_secondary(self, req: Request) -> Response:
        spec = req.json() or {}
        status = int(spec.get("status", 403))
        if status not in (403, 429):
            raise ValueError("'status' must be 403 or 429")
        with self.lock:
            self.secondary = {"count": int(spec.get("count", 1)), "retry_after": int(spec.get("retry_after", 60)),
                              "status": status}
            return json_response(200, dict(self.secondary))

    def _c_seed_demo(self, req: Request) -> Response:
        with open(os.path.join(DATA, "demo.json"), encoding="utf-8") as fh:
            demo = json.load(fh)
        with self.lock:
            for spec in demo["repos"]:
                if spec["full_name"].lower() not in self.repos:
                    self._make_repo(spec)
            for item in demo["alerts"]:
                self._make_alert(self.repos[item["repo"].lower()], item["alert"])
            return json_response(200, {"repos": [r["full_name"] for r in demo["repos"]],
                                       "alerts": len(demo["alerts"])})


def main() -> None:
    def extra(parser) -> None:
        parser.add_argument("--html-base", default=GitHub.html_base,
                            help="web root for html_url fields (api.github.com form)")

    def configure(emu: Emulator, args, port: int) -> None:
        emu.html_base = args.html_base.rstrip("/")  # type: ignore[attr-defined]

    serve(GitHub(), extra_args=extra, configure=configure)


if __name__ == "__main__":
    main()
