"""Tests of the notification receivers (notify_receivers.py): each service's validation and
answers, over raw HTTP against one receiver process."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from emu_case import HERE, EmulatorTestCase

DATA = os.path.join(HERE, "notify")


def sample(name: str):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


HOOK = "/slack/services/T000/B000/XXXX"
TEAMS = "/teams/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke"
TEAMS_Q = "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g"
JIRA = "/jira/rest/api/3"
JIRA_DC = "/jira-dc/rest/api/2"
CLOUD_AUTH = {"Authorization": "Basic " + base64.b64encode(b"hubble@example.com:hubble-api-token").decode()}
DC_AUTH = {"Authorization": "Bearer hubble-pat"}


class NotifyCase(EmulatorTestCase):
    script = "notify_receivers.py"

    def raw(self, method: str, path: str, data: bytes = b"", headers: dict | None = None):
        """(status, headers, body bytes) for a request with an exact body."""
        req = urllib.request.Request(self.endpoint + path, method=method, data=data, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def messages(self, service: str, accepted: bool | None = None) -> list[dict]:
        q = f"?service={service}" + ("" if accepted is None else f"&accepted={str(accepted).lower()}")
        return self.call("GET", "/_emu/notify/messages" + q)[2]["messages"]


# ==== Slack ====================================================================================

class SlackTests(NotifyCase):
    def setUp(self):
        super().setUp()
        self.call("POST", "/_emu/notify/slack", {"rate_per_sec": None})

    def post(self, body, hook=HOOK):
        status, headers, text = self.call("POST", hook, body)
        return status, headers, text

    def assert_rejected(self, body, error, status=400):
        got = self.post(body)
        self.assertEqual((got[0], got[2]), (status, error), body)
        self.assertTrue(got[1]["Content-Type"].startswith("text/plain"))

    def test_good_message_ok_and_recorded(self):
        status, headers, text = self.post(sample("slack_finding.json"))
        self.assertEqual((status, text), (200, "ok"))
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        (m,) = self.messages("slack")
        self.assertTrue(m["accepted"])
        self.assertEqual(m["body"]["blocks"][0]["type"], "header")
        self.assertEqual(m["meta"]["hook"], "T000/B000/XXXX")
        self.assertEqual(m["headers"]["content-type"], "application/json")

    def test_text_only_and_form_encoded_payload(self):
        self.assertEqual(self.post({"text": "hello"})[:3:2], (200, "ok"))
        form = urllib.parse.urlencode({"payload": json.dumps({"text": "from a form"})}).encode()
        status, _, body = self.raw("POST", HOOK, form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, body), (200, b"ok"))

    def test_invalid_payload_and_no_text(self):
        status, _, body = self.raw("POST", HOOK, b"{not json", {"Content-Type": "application/json"})
        self.assertEqual((status, body), (400, b"invalid_payload"))
        self.assert_rejected([1, 2], "invalid_payload")
        self.assert_rejected({"text": 5}, "invalid_payload")
        self.assert_rejected({}, "no_text")
        self.assert_rejected({"text": "", "blocks": []}, "no_text")
        self.assert_rejected({"text": "x" * 40_001}, "msg_too_long")
        self.assert_rejected({"text": "x", "attachments": [{}] * 101}, "too_many_attachments")
        rejected = self.messages("slack", accepted=False)
        self.assertEqual(len(rejected), 7)
        self.assertTrue(rejected[0]["reason"].startswith("invalid_payload"))
        self.assertEqual(self.messages("slack", accepted=True), [])

    def test_invalid_blocks(self):
        good = sample("slack_finding.json")
        cases = {
            "header too long": lambda m: m["blocks"][0]["text"].update(text="h" * 151),
            "header mrkdwn": lambda m: m["blocks"][0]["text"].update(type="mrkdwn"),
            "empty text": lambda m: m["blocks"][2]["text"].update(text=""),
            "section text 3001": lambda m: m["blocks"][2]["text"].update(text="s" * 3001),
            "11 fields": lambda m: m["blocks"][1].update(fields=[{"type": "mrkdwn", "text": "f"}] * 11),
            "field 2001": lambda m: m["blocks"][1]["fields"][0].update(text="f" * 2001),
            "section empty": lambda m: m["blocks"][2].pop("text"),
            "bad text type": lambda m: m["blocks"][2]["text"].update(type="markdown"),
            "context 11": lambda m: m["blocks"][4].update(elements=[{"type": "mrkdwn", "text": "c"}] * 11),
            "context empty": lambda m: m["blocks"][4].update(elements=[]),
            "button no url": lambda m: m["blocks"][5]["elements"][0].pop("url"),
            "button text 76": lambda m: m["blocks"][5]["elements"][0]["text"].update(text="b" * 76),
            "button style": lambda m: m["blocks"][5]["elements"][0].update(style="green"),
            "actions select": lambda m: m["blocks"][5]["elements"].append({"type": "static_select"}),
            "unknown block": lambda m: m["blocks"].append({"type": "banner"}),
            "unknown property": lambda m: m["blocks"][3].update(color="red"),
            "duplicate block_id": lambda m: (m["blocks"][0].update(block_id="a"), m["blocks"][3].update(block_id="a")),
            "51 blocks": lambda m: m.update(blocks=[{"type": "divider"}] * 51),
            "blocks not a list": lambda m: m.update(blocks={"type": "divider"}),
        }
        for name, mutate in cases.items():
            with self.subTest(name):
                msg = copy.deepcopy(good)
                mutate(msg)
                self.assert_rejected(msg, "invalid_blocks")
        # the limits themselves are fine
        msg = copy.deepcopy(good)
        msg["blocks"][0]["text"]["text"] = "h" * 150
        msg["blocks"][1]["fields"] = [{"type": "plain_text", "text": "f" * 2000}] * 10
        msg["blocks"][4]["elements"] = [{"type": "mrkdwn", "text": "c"}] * 9 + [
            {"type": "image", "image_url": "https://example.com/i.png", "alt_text": "i"}]
        self.assertEqual(self.post(msg)[0], 200)

    def test_hook_errors(self):
        self.assertEqual(self.post({"text": "x"}, "/slack/services/nope")[::2], (404, "no_service"))
        for error, status in (("channel_is_archived", 410), ("action_prohibited", 403),
                              ("no_service", 404), ("channel_not_found", 404), ("invalid_token", 403)):
            with self.subTest(error):
                self.call("POST", "/_emu/notify/slack", {"hooks": {"T000/B000/XXXX": error}})
                self.assertEqual(self.post({"text": "x"})[::2], (status, error))
        self.call("POST", "/_emu/notify/slack", {"hooks": {"T000/B000/XXXX": None}})
        self.assertEqual(self.post({"text": "x"})[::2], (200, "ok"))
        self.assertEqual(self.call("POST", "/_emu/notify/slack", {"hooks": {"T000/B000/XXXX": "bogus"}})[0], 400)

    def test_rate_limit_one_per_second_per_url(self):
        self.call("POST", "/_emu/notify/slack", {"rate_per_sec": 1})
        self.assertEqual(self.post({"text": "1"})[0], 200)
        status, headers, text = self.post({"text": "2"})
        self.assertEqual(status, 429)
        self.assertEqual(headers.get("Retry-After"), "1")
        # another webhook URL has its own budget
        self.assertEqual(self.post({"text": "3"}, "/slack/services/T000/B111/YYYY")[0], 200)
        time.sleep(1.05)
        self.assertEqual(self.post({"text": "4"})[0], 200)
        accepted = [m["body"]["text"] for m in self.messages("slack", accepted=True)]
        self.assertEqual(accepted, ["1", "3", "4"])
        self.assertEqual(self.messages("slack", accepted=False)[0]["status"], 429)

    def test_rate_limit_is_on_by_default_and_can_be_switched_off(self):
        self.call("POST", "/_emu/reset")
        self.assertEqual(self.call("GET", "/_emu/notify/slack")[2]["rate_per_sec"], 1.0)
        self.assertEqual([self.post({"text": "x"})[0] for _ in range(2)], [200, 429])
        self.call("POST", "/_emu/notify/slack", {"rate_per_sec": None})
        self.assertEqual({self.post({"text": str(i)})[0] for i in range(20)}, {200})

    def test_throughput_without_rate_limit(self):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda i: self.post({"text": f"m{i}"})[0], range(40)))
        self.assertEqual(set(statuses), {200})
        self.assertEqual(len(self.messages("slack", accepted=True)), 40)

    def test_faults_use_slack_shape(self):
        self.call("POST", "/_emu/faults", {"path": "^/slack/", "status": 500, "count": 1})
        status, headers, text = self.post({"text": "x"})
        self.assertEqual((status, text), (500, "rollup_error"))
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(self.post({"text": "x"})[0], 200)


# ==== Teams ====================================================================================

class TeamsTests(NotifyCase):
    def post(self, body, query=TEAMS_Q, path=TEAMS):
        return self.call("POST", path + query, body)

    def assert_schema_error(self, body, needle=""):
        status, _, err = self.post(body)
        self.assertEqual(status, 400, body)
        self.assertEqual(err["error"]["code"], "TriggerInputSchemaMismatch")
        self.assertIn(needle, err["error"]["message"])

    def test_good_card_202_empty(self):
        status, headers, body = self.post(sample("teams_finding.json"))
        self.assertEqual((status, body), (202, None))
        self.assertIn("x-ms-workflow-run-id", {k.lower() for k in headers})
        (m,) = self.messages("teams")
        self.assertTrue(m["accepted"])
        self.assertEqual(m["meta"]["workflow"], "0a1b2c3d4e5f")
        self.assertEqual(m["body"]["attachments"][0]["content"]["version"], "1.4")
        # the newer Power Platform URL shape works as well
        path = "/teams/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke"
        self.assertEqual(self.post(sample("teams_finding.json"), "?api-version=1&sig=x", path)[0], 202)

    def test_query_and_signature(self):
        card = sample("teams_finding.json")
        status, _, err = self.post(card, "?sig=x")
        self.assertEqual((status, err["error"]["code"]), (400, "MissingApiVersionParameter"))
        status, _, err = self.post(card, "?api-version=2016-06-01")
        self.assertEqual((status, err["error"]["code"]), (401, "DirectApiAuthorizationRequired"))
        self.call("POST", "/_emu/notify/teams", {"workflows": {"0a1b2c3d4e5f": "right"}})
        status, _, err = self.post(card, "?api-version=2016-06-01&sig=wrong")
        self.assertEqual((status, err["error"]["code"]), (401, "DirectApiInvalidAuthorizationSignature"))
        self.assertEqual(self.post(card, "?api-version=2016-06-01&sig=right")[0], 202)

    def test_legacy_messagecard_rejected(self):
        self.assert_schema_error(sample("teams_messagecard.json"), "MessageCard")
        self.assertIn("MessageCard", self.messages("teams", accepted=False)[0]["reason"])

    def test_envelope_and_card_errors(self):
        good = sample("teams_finding.json")
        card = lambda m: m["attachments"][0]["content"]  # noqa: E731
        cases = {
            "not a message": lambda m: m.update(type="note"),
            "no attachments": lambda m: m.update(attachments=[]),
            "connector card type": lambda m: m["attachments"][0].update(
                contentType="application/vnd.microsoft.teams.card.o365connector"),
            "content not a card": lambda m: card(m).update(type="HeroCard"),
            "version 1.5": lambda m: card(m).update(version="1.5"),
            "version missing": lambda m: card(m).pop("version"),
            "textblock without text": lambda m: card(m)["body"][0].pop("text"),
            "textblock bad size": lambda m: card(m)["body"][0].update(size="huge"),
            "fact without value": lambda m: card(m)["body"][2]["items"][0]["facts"][0].pop("value"),
            "factset without facts": lambda m: card(m)["body"][2]["items"][0].pop("facts"),
            "container without items": lambda m: card(m)["body"][2].pop("items"),
            "column not a column": lambda m: card(m)["body"][1]["columns"][0].update(type="TextBlock"),
            "unknown element": lambda m: card(m)["body"].append({"type": "Carousel"}),
            "table needs 1.5": lambda m: card(m)["body"].append({"type": "Table", "columns": []}),
            "openurl without url": lambda m: card(m)["actions"][0].pop("url"),
            "unknown action": lambda m: card(m)["actions"].append({"type": "Action.Http"}),
        }
        for name, mutate in cases.items():
            with self.subTest(name):
                msg = copy.deepcopy(good)
                mutate(msg)
                self.assert_schema_error(msg)
        status, _, _ = self.raw("POST", TEAMS + TEAMS_Q, b"not json", {"Content-Type": "application/json"})
        self.assertEqual(status, 400)

    def test_too_large_413(self):
        msg = sample("teams_finding.json")
        msg["attachments"][0]["content"]["body"][0]["text"] = "x" * 30_000
        status, _, err = self.post(msg)
        self.assertEqual((status, err["error"]["code"]), (413, "RequestEntityTooLarge"))

    def test_async_mode_accepts_then_fails_the_run(self):
        self.call("POST", "/_emu/notify/teams", {"mode": "async"})
        status, _, body = self.post(sample("teams_messagecard.json"))
        self.assertEqual((status, body), (202, None))
        (m,) = self.messages("teams")
        self.assertFalse(m["accepted"])
        self.assertTrue(m["reason"].startswith("flow run failed"))

    def test_max_version_is_configurable(self):
        msg = sample("teams_finding.json")
        msg["attachments"][0]["content"]["version"] = "1.5"
        msg["attachments"][0]["content"]["body"].append({"type": "Table", "columns": []})
        self.assertEqual(self.post(msg)[0], 400)
        self.call("POST", "/_emu/notify/teams", {"max_version": "1.5"})
        self.assertEqual(self.post(msg)[0], 202)


# ==== generic webhook ==========================================================================

class WebhookTests(NotifyCase):
    SECRET = "s3cr3t"

    def setUp(self):
        super().setUp()
        self.call("POST", "/_emu/notify/webhook-secrets", {"name": "soar", "secret": self.SECRET})

    def send(self, body=None, key="evt-0001", secret=None, name="soar", headers=None, drop=()):
        data = json.dumps(body if body is not None else sample("webhook_finding_created.json")).encode()
        sig = "sha256=" + hmac.new((secret or self.SECRET).encode(), data, hashlib.sha256).hexdigest()
        h = {"Content-Type": "application/json", "X-Hubble-Signature-256": sig,
             "X-Hubble-Idempotency-Key": key, "X-Hubble-Timestamp": str(int(time.time()))}
        h.update(headers or {})
        for d in drop:
            h.pop(d)
        return self.raw("POST", f"/webhook/{name}", data, h)

    def deliveries(self):
        return self.call("GET", "/_emu/notify/webhook/deliveries?name=soar")[2]["deliveries"]

    def test_signed_delivery_204(self):
        status, _, body = self.send()
        self.assertEqual((status, body), (204, b""))
        (d,) = self.deliveries()
        self.assertEqual((d["idempotency_key"], d["deliveries"], d["duplicates"]), ("evt-0001", 1, 0))
        self.assertEqual(d["body"]["event"], "finding.created")
        (m,) = self.messages("webhook")
        self.assertTrue(m["headers"]["x-hubble-signature-256"].startswith("sha256="))
        self.assertFalse(m["meta"]["duplicate"])

    def test_bad_or_missing_signature_401(self):
        self.assertEqual(self.send(secret="other")[0], 401)
        self.assertEqual(self.send(drop=("X-Hubble-Signature-256",))[0], 401)
        self.assertEqual(self.send(headers={"X-Hubble-Signature-256": "sha1=abc"})[0], 401)
        # a body changed after signing
        data = json.dumps({"event": "finding.created", "id": "1", "occurred_at": "now"}).encode()
        sig = "sha256=" + hmac.new(self.SECRET.encode(), data, hashlib.sha256).hexdigest()
        status, _, _ = self.raw("POST", "/webhook/soar", data + b" ", {
            "X-Hubble-Signature-256": sig, "X-Hubble-Idempotency-Key": "k", "X-Hubble-Timestamp": "1"})
        self.assertEqual(status, 401)
        self.assertEqual(self.deliveries(), [])
        self.assertEqual(len(self.messages("webhook", accepted=False)), 4)

    def test_other_rejections(self):
        self.assertEqual(self.send(drop=("X-Hubble-Idempotency-Key",))[0], 400)
        self.assertEqual(self.send(drop=("X-Hubble-Timestamp",))[0], 400)
        self.assertEqual(self.send(headers={"X-Hubble-Timestamp": "yesterday"})[0], 400)
        self.assertEqual(self.send(headers={"X-Hubble-Timestamp": "2026-05-02T10:00:00Z"})[0], 204)
        self.assertEqual(self.send(name="unknown")[0], 404)
        self.assertEqual(self.send(body={"event": "finding.created"}, key="k2")[0], 400)
        self.call("POST", "/_emu/notify/webhook", {"validate_envelope": False})
        self.assertEqual(self.send(body={"anything": 1}, key="k3")[0], 204)

    def test_timestamp_skew_when_enabled(self):
        self.call("POST", "/_emu/notify/webhook", {"max_skew_seconds": 300})
        self.assertEqual(self.send(headers={"X-Hubble-Timestamp": str(int(time.time()) - 600)})[0], 401)
        self.assertEqual(self.send()[0], 204)

    def test_duplicates_delivered_once(self):
        for _ in range(3):
            self.assertEqual(self.send()[0], 204)
        self.assertEqual(self.send(key="evt-0002")[0], 204)
        by_key = {d["idempotency_key"]: d for d in self.deliveries()}
        self.assertEqual((by_key["evt-0001"]["deliveries"], by_key["evt-0001"]["duplicates"]), (1, 2))
        self.assertEqual(by_key["evt-0002"]["duplicates"], 0)
        self.assertEqual([m["meta"]["duplicate"] for m in self.messages("webhook")], [False, True, True, False])

    def test_concurrent_duplicates_still_delivered_once(self):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: self.send(key="evt-race")[0], range(16)))
        self.assertEqual(set(statuses), {204})
        (d,) = self.deliveries()
        self.assertEqual((d["deliveries"], d["duplicates"]), (1, 15))

    def test_500_then_retry_and_accepted_then_lost(self):
        self.call("POST", "/_emu/faults", {"path": "^/webhook/soar$", "status": 500, "count": 1})
        self.assertEqual(self.send()[0], 500)
        self.assertEqual(self.deliveries(), [])
        self.assertEqual(self.send()[0], 204)
        self.assertEqual(self.deliveries()[0]["deliveries"], 1)
        # processed, but the answer is lost: the retry is a counted duplicate, not a 2nd delivery
        self.call("POST", "/_emu/faults", {"path": "^/webhook/soar$", "status": 502, "after": True})
        self.assertEqual(self.send(key="evt-0009")[0], 502)
        self.assertEqual(self.send(key="evt-0009")[0], 204)
        d = {x["idempotency_key"]: x for x in self.deliveries()}["evt-0009"]
        self.assertEqual((d["deliveries"], d["duplicates"]), (1, 1))

    def test_429_with_retry_after(self):
        self.call("POST", "/_emu/faults", {"path": "^/webhook/", "status": 429, "headers": {"Retry-After": "2"}})
        status, headers, _ = self.send()
        self.assertEqual((status, headers.get("Retry-After")), (429, "2"))
        self.assertEqual(self.send()[0], 204)


# ==== PagerDuty ================================================================================

class PagerDutyTests(NotifyCase):
    def enqueue(self, event, path="/v2/enqueue"):
        return self.call("POST", path, event)

    def incident(self, dedup_key):
        return self.call("GET", "/_emu/notify/pagerduty/incidents?dedup_key=" + urllib.parse.quote(dedup_key))[2]["incidents"]

    def test_trigger_ack_resolve_by_dedup_key(self):
        ev = sample("pagerduty_trigger.json")
        dk = ev["dedup_key"]
        status, _, body = self.enqueue(ev)
        self.assertEqual((status, body), (202, {"status": "success", "message": "Event processed", "dedup_key": dk}))
        self.assertEqual(self.enqueue(ev)[0], 202)  # a repeat trigger joins the open alert
        (inc,) = self.incident(dk)
        self.assertEqual((inc["status"], inc["trigger_count"], inc["severity"]), ("triggered", 2, "critical"))
        base = {"routing_key": ev["routing_key"], "dedup_key": dk}
        self.assertEqual(self.enqueue(dict(base, event_action="acknowledge"), "/pagerduty/v2/enqueue")[0], 202)
        self.assertEqual(self.incident(dk)[0]["status"], "acknowledged")
        self.assertEqual(self.enqueue(dict(base, event_action="resolve"))[2]["dedup_key"], dk)
        (inc,) = self.incident(dk)
        self.assertEqual((inc["status"], inc["actions"]), ("resolved", ["trigger", "trigger", "acknowledge", "resolve"]))
        self.assertIsNotNone(inc["resolved_at"])
        # after a resolve, a trigger opens a new alert; a resolve for nothing open is dropped
        self.enqueue(ev)
        incs = self.incident(dk)
        self.assertEqual([i["status"] for i in incs], ["resolved", "triggered"])
        other = dict(base, dedup_key="never-triggered", event_action="resolve")
        self.assertEqual(self.enqueue(other)[0], 202)
        self.assertTrue(self.messages("pagerduty")[-1]["meta"]["dropped"])
        self.assertEqual(self.incident("never-triggered"), [])

    def test_generated_dedup_key(self):
        ev = sample("pagerduty_trigger.json")
        del ev["dedup_key"]
        status, _, body = self.enqueue(ev)
        self.assertEqual(status, 202)
        self.assertRegex(body["dedup_key"], r"^[0-9a-f]{32}$")
        self.assertEqual(self.incident(body["dedup_key"])[0]["trigger_count"], 1)

    def test_invalid_events(self):
        good = sample("pagerduty_trigger.json")
        cases = {
            "short routing key": (lambda e: e.update(routing_key="abc"), "routing_key"),
            "no routing key": (lambda e: e.pop("routing_key"), "routing_key"),
            "bad action": (lambda e: e.update(event_action="escalate"), "event_action"),
            "no summary": (lambda e: e["payload"].pop("summary"), "payload.summary"),
            "long summary": (lambda e: e["payload"].update(summary="s" * 1025), "payload.summary"),
            "no source": (lambda e: e["payload"].pop("source"), "payload.source"),
            "bad severity": (lambda e: e["payload"].update(severity="high"), "payload.severity"),
            "bad timestamp": (lambda e: e["payload"].update(timestamp="yesterday"), "payload.timestamp"),
            "no payload": (lambda e: e.pop("payload"), "payload"),
            "long dedup key": (lambda e: e.update(dedup_key="d" * 256), "dedup_key"),
            "link without href": (lambda e: e.update(links=[{"text": "x"}]), "links[0].href"),
            "image without src": (lambda e: e.update(images=[{"alt": "x"}]), "images[0].src"),
            "ack without dedup key": (lambda e: (e.update(event_action="acknowledge"), e.pop("dedup_key")), "dedup_key"),
        }
        for name, (mutate, needle) in cases.items():
            with self.subTest(name):
                ev = copy.deepcopy(good)
                mutate(ev)
                status, _, body = self.enqueue(ev)
                self.assertEqual(status, 400)
                self.assertEqual((body["status"], body["message"]), ("invalid event", "Event object is invalid"))
                self.assertTrue(any(needle in e for e in body["errors"]), body["errors"])
        status, _, body = self.raw("POST", "/v2/enqueue", b"{oops", {"Content-Type": "application/json"})
        self.assertEqual((status, json.loads(body)["status"]), (400, "invalid event"))
        ok = copy.deepcopy(good)
        ok["payload"]["timestamp"] = "2015-07-17T08:42:58.315+0000"  # the documented example format
        ok["dedup_key"] = "d" * 255
        self.assertEqual(self.enqueue(ok)[0], 202)
        self.assertEqual(len(self.messages("pagerduty", accepted=False)), len(cases) + 1)

    def test_rate_limit_and_routing_keys(self):
        self.call("POST", "/_emu/notify/pagerduty", {"rate_per_minute": 2})
        ev = sample("pagerduty_trigger.json")
        self.assertEqual([self.enqueue(ev)[0] for _ in range(3)], [202, 202, 429])
        self.assertEqual(self.enqueue(ev)[2]["status"], "throttle event")
        self.assertEqual(self.enqueue(dict(ev, routing_key="f" * 32))[0], 202)  # per routing key
        self.call("POST", "/_emu/notify/pagerduty", {"rate_per_minute": None, "routing_keys": ["a" * 32]})
        status, _, body = self.enqueue(ev)
        self.assertEqual((status, body["errors"]), (400, ["Invalid routing key"]))
        self.assertEqual(self.enqueue(dict(ev, routing_key="a" * 32))[0], 202)


# ==== Jira =====================================================================================

class JiraTests(NotifyCase):
    def create(self, fields_update=None, auth=CLOUD_AUTH, base=JIRA, body=None):
        body = body if body is not None else sample("jira_create_issue.json")
        body["fields"].update(fields_update or {})
        return self.call("POST", base + "/issue", body, auth)

    def test_auth(self):
        self.assertEqual(self.call("GET", JIRA + "/myself")[0], 401)
        bad = {"Authorization": "Basic " + base64.b64encode(b"hubble@example.com:wrong").decode()}
        self.assertEqual(self.create(auth=bad)[0], 401)
        self.call("POST", "/_emu/notify/jira-users", {"email": "soc@example.com", "token": "t0k"})
        mine = {"Authorization": "Basic " + base64.b64encode(b"soc@example.com:t0k").decode()}
        status, _, me = self.call("GET", JIRA + "/myself", headers=mine)
        self.assertEqual((status, me["emailAddress"]), (200, "soc@example.com"))
        self.assertEqual(self.call("GET", JIRA + "/myself", headers=DC_AUTH)[0], 401)  # Bearer is for DC
        self.assertFalse(self.messages("jira")[0]["accepted"])

    def test_create_with_adf_and_get(self):
        status, _, created = self.create()
        self.assertEqual(status, 201)
        self.assertEqual(created["key"], "SEC-1")
        self.assertEqual(created["self"], f"{self.endpoint}/jira/rest/api/3/issue/{created['id']}")
        self.assertEqual(self.create()[2]["key"], "SEC-2")
        status, _, issue = self.call("GET", JIRA + "/issue/SEC-1", headers=CLOUD_AUTH)
        self.assertEqual(status, 200)
        f = issue["fields"]
        self.assertEqual((f["summary"], f["status"]["name"], f["issuetype"]["name"], f["priority"]["name"]),
                         ("[HIGH] S3.8 my-bucket", "To Do", "Task", "High"))
        self.assertEqual(f["description"]["type"], "doc")
        self.assertIn("hubble-3f2a9c", f["labels"])
        self.assertEqual(self.call("GET", JIRA + f"/issue/{created['id']}?fields=labels", headers=CLOUD_AUTH)[2]["fields"],
                         {"labels": ["securityhub", "S3.8", "hubble-3f2a9c"]})
        status, _, err = self.call("GET", JIRA + "/issue/SEC-99", headers=CLOUD_AUTH)
        self.assertEqual((status, err["errorMessages"]), (404, ["Issue does not exist or you do not have permission to see it."]))
        (m, _) = self.messages("jira", accepted=True)
        self.assertEqual(m["meta"]["issue_key"], "SEC-1")

    def test_plain_string_description_rejected(self):
        status, _, err = self.create({"description": "Finding in my-bucket"})
        self.assertEqual(status, 400)
        self.assertEqual(err, {"errorMessages": [], "errors": {
            "description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}})

    def test_bad_adf_rejected(self):
        para = lambda *c: {"type": "paragraph", "content": list(c)}  # noqa: E731
        text = {"type": "text", "text": "x"}
        cases = {
            "version 2": {"type": "doc", "version": 2, "content": []},
            "no content": {"type": "doc", "version": 1},
            "unknown block": {"type": "doc", "version": 1, "content": [{"type": "panel", "content": [para(text)]}]},
            "text at top": {"type": "doc", "version": 1, "content": [text]},
            "heading no level": {"type": "doc", "version": 1, "content": [{"type": "heading", "content": [text]}]},
            "list of paragraphs": {"type": "doc", "version": 1, "content": [{"type": "bulletList", "content": [para(text)]}]},
            "unknown mark": {"type": "doc", "version": 1, "content": [para(dict(text, marks=[{"type": "blink"}]))]},
            "link without href": {"type": "doc", "version": 1, "content": [para(dict(text, marks=[{"type": "link"}]))]},
            "marks in code": {"type": "doc", "version": 1, "content": [
                {"type": "codeBlock", "content": [dict(text, marks=[{"type": "strong"}])]}]},
            "paragraph in paragraph": {"type": "doc", "version": 1, "content": [para(para(text))]},
        }
        for name, doc in cases.items():
            with self.subTest(name):
                status, _, err = self.create({"description": doc})
                self.assertEqual(status, 400)
                self.assertIn("Atlassian Document", err["errors"]["description"])
        reasons = [m["reason"] for m in self.messages("jira", accepted=False)]
        self.assertTrue(any("heading needs attrs.level" in r for r in reasons), reasons)

    def test_field_validation(self):
        cases = {
            "label with space": ({"labels": ["security hub"]}, "labels", "The label 'security hub' contains spaces which is invalid."),
            "summary newline": ({"summary": "a\nb"}, "summary", "The summary is invalid because it contains newline characters."),
            "summary 256": ({"summary": "s" * 256}, "summary", "Summary must be less than 255 characters."),
            "no summary": ({"summary": ""}, "summary", "You must specify a summary of the issue."),
            "unknown project": ({"project": {"key": "NOPE"}}, "project", "Specify a valid project ID or key"),
            "unknown issue type": ({"issuetype": {"name": "Incident"}}, "issuetype", None),
            "unknown field": ({"customfield_10099": "x"}, "customfield_10099", None),
        }
        for name, (update, field, message) in cases.items():
            with self.subTest(name):
                status, _, err = self.create(update)
                self.assertEqual(status, 400)
                self.assertEqual(err["errorMessages"], [])
                self.assertIn(field, err["errors"])
                if message:
                    self.assertEqual(err["errors"][field], message)
        self.assertEqual(self.create({"summary": "s" * 255, "issuetype": {"id": "10002"}})[0], 201)
        status, _, err = self.call("POST", JIRA + "/issue", {"summary": "no fields"}, CLOUD_AUTH)
        self.assertEqual((status, err["errors"]), (400, {}))
        status, _, _ = self.raw("POST", JIRA + "/issue", b"{}", dict(CLOUD_AUTH, **{"Content-Type": "text/plain"}))
        self.assertEqual(status, 415)

    def test_search_by_label_for_idempotency(self):
        self.create()
        self.create({"labels": ["securityhub", "hubble-other"]})
        jql = 'project = SEC AND labels = "hubble-3f2a9c"'
        status, _, res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode({"jql": jql}), headers=CLOUD_AUTH)
        self.assertEqual((status, res), (200, {"issues": [{"id": "10000"}], "isLast": True}))
        status, _, res = self.call("POST", JIRA + "/search/jql", {"jql": jql, "fields": ["summary", "labels"]}, CLOUD_AUTH)
        (issue,) = res["issues"]
        self.assertEqual((issue["key"], sorted(issue["fields"])), ("SEC-1", ["labels", "summary"]))
        res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode(
            {"jql": "labels = hubble-none", "fields": "key"}), headers=CLOUD_AUTH)[2]
        self.assertEqual(res["issues"], [])
        res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode(
            {"jql": "project = SEC AND labels in (hubble-other, x) ORDER BY created DESC", "fields": "key"}), headers=CLOUD_AUTH)[2]
        self.assertEqual([i["key"] for i in res["issues"]], ["SEC-2"])
        # paging
        res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode(
            {"jql": "project = SEC ORDER BY key ASC", "maxResults": 1, "fields": "key"}), headers=CLOUD_AUTH)[2]
        self.assertEqual(([i["key"] for i in res["issues"]], res["isLast"]), (["SEC-1"], False))
        res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode(
            {"jql": "project = SEC ORDER BY key ASC", "maxResults": 1, "fields": "key",
             "nextPageToken": res["nextPageToken"]}), headers=CLOUD_AUTH)[2]
        self.assertEqual(([i["key"] for i in res["issues"]], res["isLast"]), (["SEC-2"], True))
        # errors: unknown project, bad JQL, the removed /search
        status, _, err = self.call("GET", JIRA + "/search/jql?jql=project%20%3D%20NOPE", headers=CLOUD_AUTH)
        self.assertEqual((status, err["errorMessages"]), (400, ["The value 'NOPE' does not exist for the field 'project'."]))
        self.assertEqual(self.call("GET", JIRA + "/search/jql?jql=labels%20%3D", headers=CLOUD_AUTH)[0], 400)
        self.assertEqual(self.call("GET", JIRA + "/search/jql?jql=a%20OR%20b", headers=CLOUD_AUTH)[0], 400)
        status, _, err = self.call("GET", JIRA + "/search?jql=project%20%3D%20SEC", headers=CLOUD_AUTH)
        self.assertEqual(status, 410)
        self.assertIn("/rest/api/3/search/jql", err["errorMessages"][0])

    def test_transitions(self):
        self.create()
        status, _, res = self.call("GET", JIRA + "/issue/SEC-1/transitions", headers=CLOUD_AUTH)
        self.assertEqual(status, 200)
        self.assertEqual([(t["id"], t["name"]) for t in res["transitions"]], [("21", "In Progress"), ("31", "Done")])
        status, _, body = self.call("POST", JIRA + "/issue/SEC-1/transitions", {"transition": {"id": "31"}}, CLOUD_AUTH)
        self.assertEqual((status, body), (204, None))
        issue = self.call("GET", JIRA + "/issue/SEC-1", headers=CLOUD_AUTH)[2]
        self.assertEqual(issue["fields"]["status"]["statusCategory"]["key"], "done")
        ids = [t["id"] for t in self.call("GET", JIRA + "/issue/SEC-1/transitions", headers=CLOUD_AUTH)[2]["transitions"]]
        self.assertEqual(ids, ["11", "21"])
        status, _, err = self.call("POST", JIRA + "/issue/SEC-1/transitions", {"transition": {"id": "31"}}, CLOUD_AUTH)
        self.assertEqual((status, err["errorMessages"]), (400, ["Transition id '31' is not valid for this issue."]))
        self.assertEqual(self.call("POST", JIRA + "/issue/SEC-1/transitions", {}, CLOUD_AUTH)[0], 400)
        self.assertEqual(self.call("POST", JIRA + "/issue/SEC-9/transitions", {"transition": {"id": "21"}}, CLOUD_AUTH)[0], 404)
        res = self.call("GET", JIRA + "/search/jql?" + urllib.parse.urlencode({"jql": "status = Done", "fields": "key"}),
                        headers=CLOUD_AUTH)[2]
        self.assertEqual([i["key"] for i in res["issues"]], ["SEC-1"])

    def test_comment_and_remote_link(self):
        self.create()
        doc = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Resolved by Hubble"}]}]}
        status, _, c = self.call("POST", JIRA + "/issue/SEC-1/comment", {"body": doc}, CLOUD_AUTH)
        self.assertEqual((status, c["body"]), (201, doc))
        self.assertEqual(self.call("POST", JIRA + "/issue/SEC-1/comment", {"body": "plain"}, CLOUD_AUTH)[0], 400)
        self.assertEqual(self.call("GET", JIRA + "/issue/SEC-1/comment", headers=CLOUD_AUTH)[2]["total"], 1)
        link = {"globalId": "hubble:finding:abc", "object": {"url": "https://console.aws.amazon.com/x", "title": "Finding"}}
        status, _, first = self.call("POST", JIRA + "/issue/SEC-1/remotelink", link, CLOUD_AUTH)
        self.assertEqual(status, 201)
        link["object"]["title"] = "Finding (updated)"
        status, _, again = self.call("POST", JIRA + "/issue/SEC-1/remotelink", link, CLOUD_AUTH)
        self.assertEqual((status, again["id"]), (200, first["id"]))
        links = self.call("GET", JIRA + "/issue/SEC-1/remotelink", headers=CLOUD_AUTH)[2]
        self.assertEqual([x["object"]["title"] for x in links], ["Finding (updated)"])
        self.assertEqual(self.call("POST", JIRA + "/issue/SEC-1/remotelink", {"object": {"url": "u"}}, CLOUD_AUTH)[0], 400)

    def test_projects_and_data_center(self):
        self.call("POST", "/_emu/notify/jira-projects", {"key": "OPS", "name": "Operations"})
        self.assertEqual(self.create({"project": {"key": "OPS"}})[2]["key"], "OPS-1")
        self.assertEqual(self.call("GET", JIRA + "/project/OPS", headers=CLOUD_AUTH)[2]["name"], "Operations")
        # Data Center: Bearer PAT, REST v2, plain-text description, classic /search
        self.assertEqual(self.create(auth=CLOUD_AUTH, base=JIRA_DC)[0], 401)
        status, _, err = self.create(auth=DC_AUTH, base=JIRA_DC)
        self.assertEqual((status, err["errors"]), (400, {"description": "Operation value must be a string"}))
        status, _, created = self.create({"description": "h3. Finding\nin my-bucket"}, DC_AUTH, JIRA_DC)
        self.assertEqual((status, created["key"]), (201, "SEC-1"))
        self.assertTrue(created["self"].endswith("/jira-dc/rest/api/2/issue/" + created["id"]))
        status, _, res = self.call("GET", JIRA_DC + "/search?" + urllib.parse.urlencode({"jql": 'labels = "hubble-3f2a9c"'}),
                                   headers=DC_AUTH)
        self.assertEqual((status, res["total"], res["issues"][0]["key"]), (200, 1, "SEC-1"))
        # the two sites are separate
        self.assertEqual(self.call("GET", JIRA + "/issue/SEC-1", headers=CLOUD_AUTH)[0], 404)
        dump = self.call("GET", "/_emu/notify/jira/issues?site=dc")[2]["issues"]
        self.assertEqual([i["key"] for i in dump], ["SEC-1"])

    def test_rate_limit_fault_in_jira_shape(self):
        self.call("POST", "/_emu/faults", {"path": "^/jira/rest/api/3/issue$", "status": 429,
                                           "headers": {"Retry-After": "3"}})
        status, headers, err = self.create()
        self.assertEqual((status, headers.get("Retry-After")), (429, "3"))
        self.assertEqual(set(err), {"errorMessages", "errors"})
        self.assertEqual(self.create()[0], 201)


# ==== inspection ===============================================================================

class InspectionTests(NotifyCase):
    def test_messages_in_order_filtered_and_reset(self):
        self.call("POST", HOOK, {"text": "one"})
        self.call("POST", "/v2/enqueue", {"event_action": "trigger"})
        self.call("POST", TEAMS + TEAMS_Q, sample("teams_finding.json"))
        every = self.call("GET", "/_emu/notify/messages")[2]["messages"]
        self.assertEqual([(m["service"], m["accepted"]) for m in every],
                         [("slack", True), ("pagerduty", False), ("teams", True)])
        self.assertEqual([m["seq"] for m in every], [1, 2, 3])
        self.assertIn("routing_key", self.messages("pagerduty", accepted=False)[0]["reason"])
        self.assertEqual(self.call("GET", "/_emu/notify/messages?service=nope")[0], 400)
        self.assertEqual(self.call("DELETE", "/_emu/notify/messages")[2], {"cleared": 3})
        self.call("POST", HOOK, {"text": "two"})
        self.call("POST", "/_emu/reset")
        self.assertEqual(self.call("GET", "/_emu/notify/messages")[2]["messages"], [])
        self.assertEqual(self.call("POST", "/_emu/notify/slack", {"bogus": 1})[0], 400)
