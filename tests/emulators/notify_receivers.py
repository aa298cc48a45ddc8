"""Local receivers for agent-hubble's notification channels (test infrastructure, not shipped).

One HTTP server, built on `emu_base` (so it also answers /_emu/faults, /_emu/requests and
/_emu/reset, and speaks the READY protocol):

    python tests/emulators/notify_receivers.py --host 127.0.0.1 --port 0 [--exit-on-stdin-eof]
    -> prints "READY <port>"

Each service lives under its own path prefix and validates requests the way the real service
documents them. Facts are marked in comments: [V] read in the vendor's documentation (or a
vendor-published copy of it), [K] widely reported behaviour not re-read in a primary source,
[U] the documentation is silent and the emulator picks something, [E] an emulator-only
strictness or convenience, not vendor behaviour.

Service endpoints
=================

Slack incoming webhooks   POST /slack/services/{T…}/{B…}/{secret}
    Body: JSON (or a form with `payload=<json>`). Needs `text` and/or `blocks` (or legacy
    `attachments`). Block Kit validation of header, section, divider, context, actions
    (buttons), image. Answers `200 ok`, or text/plain error strings with the documented status:
    400 invalid_payload | no_text | invalid_blocks | too_many_attachments | msg_too_long,
    403 action_prohibited | posting_to_general_channel_denied | invalid_token,
    404 channel_not_found | no_service, 410 channel_is_archived, 500 rollup_error,
    429 rate_limited with `Retry-After` (1 message per second per webhook URL by default).

Teams Workflows webhook   POST /teams/workflows/{id}/triggers/manual/paths/invoke
                               ?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=…
    (also /teams/powerautomate/automations/direct/workflows/{id}/triggers/manual/paths/invoke)
    Body: {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
    "content":{AdaptiveCard}}]}. Success: 202 Accepted, empty body (the Request trigger
    answers before the flow runs). Missing api-version: 400; missing/wrong sig: 401.
    Payload errors: in "strict" mode (default) 400 {"error":{"code":"TriggerInputSchemaMismatch",…}}
    and 413 over 28 KB; in "async" mode 202 and the message is recorded as a failed flow run
    (which is what the real trigger does: it accepts anything, the "post card" step fails).

Generic signed webhook    POST /webhook/{name}
    Headers: X-Hubble-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>,
    X-Hubble-Timestamp (unix seconds or RFC 3339), X-Hubble-Idempotency-Key.
    204 on success (also for a duplicate idempotency key: delivered once, duplicate counted),
    401 bad/missing signature, 400 missing headers or a body that is not the JSON envelope
    {"event","id","occurred_at",…}, 404 no secret registered for {name}.

PagerDuty Events API v2   POST /v2/enqueue   (also /pagerduty/v2/enqueue)
    202 {"status":"success","message":"Event processed","dedup_key":…};
    400 {"status":"invalid event","message":"Event object is invalid","errors":[…]};
    429 when a per-routing-key rate is set. Alerts are kept by (routing_key, dedup_key) with
    their state triggered → acknowledged → resolved and trigger counts.

Jira Cloud REST v3        base URL http://HOST:PORT/jira   (Basic email:api_token)
Jira Data Center REST v2  base URL http://HOST:PORT/jira-dc (Bearer personal access token)
    POST /rest/api/{3|2}/issue                      -> 201 {"id","key","self"}
    GET  /rest/api/{3|2}/issue/{idOrKey}[?fields=]  -> 200 issue | 404
    GET|POST /rest/api/3/search/jql (Cloud)         -> {"issues":[…],"isLast":…[,"nextPageToken"]}
    GET|POST /rest/api/3/search (Cloud)             -> 410 (removed by Atlassian, CHANGE-2046)
    GET|POST /rest/api/2/search (DC)                -> {"startAt","maxResults","total","issues"}
    GET  /rest/api/{3|2}/issue/{key}/transitions    -> {"transitions":[{"id":"11","name":"To Do"},…]}
    POST /rest/api/{3|2}/issue/{key}/transitions    -> 204 ({"transition":{"id":"31"}})
    POST|GET /rest/api/{3|2}/issue/{key}/comment    -> 201 comment | list
    POST|GET /rest/api/{3|2}/issue/{key}/remotelink -> 201 {"id","self"} (200 when globalId exists) | list
    GET  /rest/api/{3|2}/myself, GET /rest/api/{3|2}/project/{key}
    JQL: clauses joined by AND: `field = v`, `!=`, `in (…)`, `not in (…)`, `~ "text"`,
    `is [not] EMPTY` on project, labels, status, issuetype/type, key/issue, summary, text;
    optional `ORDER BY created|key|updated [ASC|DESC]`. Errors use Jira's shape
    {"errorMessages":[…],"errors":{field: message}}; bad credentials 401.

Control endpoints (test-only, no authentication)
================================================

    GET    /_emu/notify/messages[?service=slack|teams|webhook|pagerduty|jira][&accepted=true|false]
        -> {"messages":[{"seq","service","accepted","status","reason","method","path","query",
            "headers","body","time","meta"}]}  every request that reached a receiver, oldest
            first; `body` is the parsed JSON (or text); rejections carry `reason`.
    DELETE /_emu/notify/messages                 -> {"cleared": N}
    GET|POST /_emu/notify/slack   {"rate_per_sec": 1 | null, "hooks": {"T000/B000/XXXX": "channel_is_archived" | null}}
        rate_per_sec null turns rate limiting off; a hook mapped to an error string answers
        that error (with its documented status) instead of posting.
    GET|POST /_emu/notify/teams   {"mode": "strict"|"async", "max_version": "1.4",
                                   "workflows": {"<id>": "<sig>"}}
        a registered workflow id requires exactly that sig; unregistered ids accept any sig.
    POST   /_emu/notify/webhook-secrets {"name", "secret"}
    GET|POST /_emu/notify/webhook {"validate_envelope": true, "max_skew_seconds": null | N}
    GET    /_emu/notify/webhook/deliveries[?name=] -> {"deliveries":[{"name","idempotency_key",
            "deliveries": 1, "duplicates": N, "body", "first_at"}]}
    GET|POST /_emu/notify/pagerduty {"rate_per_minute": null | N, "routing_keys": null | [...]}
        routing_keys restricts the accepted integration keys (others: 400 "Invalid routing key").
    GET    /_emu/notify/pagerduty/incidents[?dedup_key=] -> {"incidents":[{"routing_key",
            "dedup_key","status","trigger_count","actions","summary","severity","source",
            "created_at","acknowledged_at","resolved_at","number"}]}
    POST   /_emu/notify/jira-users    {"email", "token"} (Cloud) | {"pat"} (Data Center)
    POST   /_emu/notify/jira-projects {"key", "name"?, "site": "cloud"|"dc"|"both"}
    GET    /_emu/notify/jira/issues[?site=cloud|dc] -> every stored issue, full fields

Defaults (restored by POST /_emu/reset)
=======================================
    Slack: rate limit 1 message/s per webhook URL; every well-formed hook path posts.
    Teams: mode strict, max card version 1.4, any sig accepted for unregistered workflows.
    Webhook: no secrets; envelope validated; timestamp skew not checked.
    PagerDuty: any 32-character routing key; no rate limit.
    Jira: project SEC ("Security") on both sites, issue types Task 10001, Bug 10002,
    Story 10003, Epic 10000; Cloud user hubble@example.com / token "hubble-api-token";
    Data Center PAT "hubble-pat"; workflow To Do (11) → In Progress (21) → Done (31).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import threading
import time
import uuid
from typing import Any

from emu_base import Emulator, Request, Response, json_response, serve

SERVICES = ("slack", "teams", "webhook", "pagerduty", "jira")

_current = threading.local()


def _service_of(path: str) -> str | None:
    if path.startswith("/slack/"):
        return "slack"
    if path.startswith("/teams/"):
        return "teams"
    if path.startswith("/webhook/"):
        return "webhook"
    if path.startswith("/v2/") or path.startswith("/pagerduty/"):
        return "pagerduty"
    if path.startswith("/jira/") or path.startswith("/jira-dc/"):
        return "jira"
    return None


def _text(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, dict(headers or {}), "text/plain; charset=utf-8")


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _parse_json_body(req: Request) -> Any:
    """The body as JSON; raises ValueError with a short reason."""
    try:
        return json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from None


# ==== Slack ===================================================================================

# Incoming-webhook error strings and their HTTP statuses. [V] Slack changelog 2016-05-17
# "Improving error conditions for Incoming Webhooks": invalid_payload, user_not_found 400;
# action_prohibited 403; channel_not_found 404; channel_is_archived 410; rollup_error 500.
# [K] no_text, invalid_blocks, too_many_attachments (400), no_service (404),
# posting_to_general_channel_denied and invalid_token (403) from the incoming-webhooks guide's
# error table. [U] no_team's status and msg_too_long (the 40,000-character limit is documented
# for chat.postMessage text; what a webhook answers past it is not).
SLACK_ERRORS = {
    "invalid_payload": 400, "user_not_found": 400, "no_text": 400, "invalid_blocks": 400,
    "too_many_attachments": 400, "msg_too_long": 400,
    "action_prohibited": 403, "posting_to_general_channel_denied": 403, "invalid_token": 403,
    "channel_not_found": 404, "no_service": 404, "no_team": 404,
    "channel_is_archived": 410, "rollup_error": 500,
}
SLACK_MAX_TEXT = 40_000
SLACK_MAX_BLOCKS = 50           # [K] Block Kit: up to 50 blocks per message
SLACK_MAX_ATTACHMENTS = 100     # [K] too_many_attachments past 100


class SlackReject(Exception):
    def __init__(self, error: str, detail: str = ""):
        super().__init__(detail or error)
        self.error = error
        self.detail = detail or error


def _blocks_bad(detail: str) -> SlackReject:
    return SlackReject("invalid_blocks", detail)


def _slack_keys(obj: dict, allowed: set[str], where: str) -> None:
    # [K] Slack rejects unknown properties inside blocks ("invalid additional property").
    extra = set(obj) - allowed
    if extra:
        raise _blocks_bad(f"{where}: unknown properties {sorted(extra)}")


def _slack_text_obj(obj: Any, where: str, *, plain_only: bool = False, max_len: int | None = None) -> None:
    """Text composition object. [V] header text: plain_text, max 150; section text max 3000;
    section fields max 10 items of max 2000; button text plain_text max 75."""
    if not isinstance(obj, dict):
        raise _blocks_bad(f"{where}: must be a text object")
    kind = obj.get("type")
    allowed_kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if kind not in allowed_kinds:
        raise _blocks_bad(f"{where}: type must be {' or '.join(allowed_kinds)}, not {kind!r}")
    _slack_keys(obj, {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}, where)
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise _blocks_bad(f"{where}.text: must be a non-empty string")  # [K] min length 1
    if max_len is not None and len(text) > max_len:
        raise _blocks_bad(f"{where}.text: {len(text)} characters, more than {max_len}")


def _slack_image_element(el: dict, where: str) -> None:
    _slack_keys(el, {"type", "image_url", "slack_file", "alt_text"}, where)
    if not isinstance(el.get("image_url"), str) and not isinstance(el.get("slack_file"), dict):
        raise _blocks_bad(f"{where}: image_url or slack_file is required")
    if not isinstance(el.get("alt_text"), str) or not el["alt_text"]:
        raise _blocks_bad(f"{where}: alt_text is required")


def _slack_button(el: dict, where: str) -> None:
    # [V] button: text plain_text max 75; action_id max 255; url max 3000; value max 2000;
    # style primary|danger; accessibility_label max 75.
    _slack_keys(el, {"type", "text", "action_id", "url", "value", "style", "confirm",
                     "accessibility_label"}, where)
    _slack_text_obj(el.get("text"), f"{where}.text", plain_only=True, max_len=75)
    for key, limit in (("action_id", 255), ("url", 3000), ("value", 2000), ("accessibility_label", 75)):
        if key in el and (not isinstance(el[key], str) or not el[key] or len(el[key]) > limit):
            raise _blocks_bad(f"{where}.{key}: must be a string of 1..{limit} characters")
    # [E] a button in an incoming-webhook message has no app to receive its click unless the app
    # set up interactivity; this project only sends link buttons, so a url is required here.
    if "url" not in el:
        raise _blocks_bad(f"{where}: a button needs a url (link buttons only)")
    if not re.match(r"^(https?|mailto):", el["url"]):
        raise _blocks_bad(f"{where}.url: must be an http(s) or mailto URL")
    if "style" in el and el["style"] not in ("primary", "danger"):
        raise _blocks_bad(f"{where}.style: must be primary or danger")


def _slack_block(block: Any, i: int, seen_ids: set[str]) -> None:
    where = f"blocks[{i}]"
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise _blocks_bad(f"{where}: must be an object with a type")
    if "block_id" in block:
        bid = block["block_id"]
        if not isinstance(bid, str) or not bid or len(bid) > 255:
            raise _blocks_bad(f"{where}.block_id: must be a string of 1..255 characters")
        if bid in seen_ids:  # [K] block_id must be unique within a message
            raise _blocks_bad(f"{where}.block_id: duplicate {bid!r}")
        seen_ids.add(bid)
    kind = block["type"]
    if kind == "header":
        _slack_keys(block, {"type", "text", "block_id"}, where)
        _slack_text_obj(block.get("text"), f"{where}.text", plain_only=True, max_len=150)
    elif kind == "section":
        _slack_keys(block, {"type", "text", "fields", "accessory", "block_id", "expand"}, where)
        if "text" not in block and "fields" not in block:
            raise _blocks_bad(f"{where}: a section needs text or fields")
        if "text" in block:
            _slack_text_obj(block["text"], f"{where}.text", max_len=3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                raise _blocks_bad(f"{where}.fields: must be a list of 1..10 text objects")
            for j, f in enumerate(fields):
                _slack_text_obj(f, f"{where}.fields[{j}]", max_len=2000)
        if "accessory" in block:
            acc = block["accessory"]
            if not isinstance(acc, dict) or acc.get("type") not in ("button", "image"):
                raise _blocks_bad(f"{where}.accessory: only button and image are supported here")
            (_slack_button if acc["type"] == "button" else _slack_image_element)(acc, f"{where}.accessory")
    elif kind == "divider":
        _slack_keys(block, {"type", "block_id"}, where)
    elif kind == "context":
        # [V] context: elements of images and text objects, max 10.
        _slack_keys(block, {"type", "elements", "block_id"}, where)
        els = block.get("elements")
        if not isinstance(els, list) or not 1 <= len(els) <= 10:
            raise _blocks_bad(f"{where}.elements: must be a list of 1..10 elements")
        for j, el in enumerate(els):
            if isinstance(el, dict) and el.get("type") == "image":
                _slack_image_element(el, f"{where}.elements[{j}]")
            else:
                _slack_text_obj(el, f"{where}.elements[{j}]")
    elif kind == "actions":
        # [K] actions: max 25 elements (was 5).
        _slack_keys(block, {"type", "elements", "block_id"}, where)
        els = block.get("elements")
        if not isinstance(els, list) or not 1 <= len(els) <= 25:
            raise _blocks_bad(f"{where}.elements: must be a list of 1..25 elements")
        for j, el in enumerate(els):
            if not isinstance(el, dict) or el.get("type") != "button":
                raise _blocks_bad(f"{where}.elements[{j}]: only buttons are supported here")
            _slack_button(el, f"{where}.elements[{j}]")
    elif kind == "image":
        _slack_keys(block, {"type", "image_url", "slack_file", "alt_text", "title", "block_id"}, where)
        _slack_image_element({k: v for k, v in block.items() if k not in ("title", "block_id")}, where)
        if "title" in block:
            _slack_text_obj(block["title"], f"{where}.title", plain_only=True, max_len=2000)
    else:
        # [E] real Slack knows more block types (rich_text, file, input, …); the project does
        # not send them, so an unknown type here most likely is a bug in the sender.
        raise _blocks_bad(f"{where}: block type {kind!r} is not supported by this receiver")


def validate_slack_message(msg: Any) -> None:
    if not isinstance(msg, dict):
        raise SlackReject("invalid_payload", "the body must be a JSON object")
    text = msg.get("text")
    blocks = msg.get("blocks")
    attachments = msg.get("attachments")
    if text is not None and not isinstance(text, str):
        raise SlackReject("invalid_payload", "text must be a string")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackReject("invalid_blocks", "blocks must be a list")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackReject("invalid_payload", "attachments must be a list")
    if not text and not blocks and not attachments:
        raise SlackReject("no_text", "text, blocks or attachments is required")
    if text is not None and len(text) > SLACK_MAX_TEXT:
        raise SlackReject("msg_too_long", f"text has {len(text)} characters, more than {SLACK_MAX_TEXT}")
    if attachments is not None and len(attachments) > SLACK_MAX_ATTACHMENTS:
        raise SlackReject("too_many_attachments", f"{len(attachments)} attachments")
    if blocks:
        if len(blocks) > SLACK_MAX_BLOCKS:
            raise _blocks_bad(f"{len(blocks)} blocks, more than {SLACK_MAX_BLOCKS}")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            _slack_block(block, i, seen)


# ==== Teams (Workflows / Adaptive Cards) =======================================================

# [V] Teams docs ("Create and send messages", Known issues): Workflows support Adaptive Cards
# only, not the older message card format. [K] the message envelope type "message" with
# attachments of contentType application/vnd.microsoft.card.adaptive, as the Workflows
# "Post to a channel when a webhook request is received" template reads them.
# [U] the highest card version the Workflows post step renders is not documented; the
# project targets 1.4, so the default is 1.4 (configurable).
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
TEAMS_MAX_BYTES = 28 * 1024     # [K] Teams webhook/bot message size limit "~28 KB" → 413

# Element type → (version it appeared in, required properties). [K] Adaptive Cards schema.
AC_ELEMENTS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "TextBlock": ((1, 0), ("text",)),
    "FactSet": ((1, 0), ("facts",)),
    "ColumnSet": ((1, 0), ()),
    "Column": ((1, 0), ()),
    "Container": ((1, 0), ("items",)),
    "Image": ((1, 0), ("url",)),
    "ImageSet": ((1, 0), ("images",)),
    "Media": ((1, 1), ("sources",)),
    "ActionSet": ((1, 2), ("actions",)),
    "RichTextBlock": ((1, 2), ("inlines",)),
    "Table": ((1, 5), ("columns",)),
}
AC_ACTIONS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "Action.OpenUrl": ((1, 0), ("url",)),
    "Action.Submit": ((1, 0), ()),
    "Action.ShowCard": ((1, 0), ("card",)),
    "Action.ToggleVisibility": ((1, 2), ("targetElements",)),
    "Action.Execute": ((1, 4), ()),
}
AC_ENUMS = {
    "size": {"default", "small", "medium", "large", "extralarge"},
    "weight": {"default", "lighter", "bolder"},
    "color": {"default", "dark", "light", "accent", "good", "warning", "attention"},
}


class TeamsReject(Exception):
    def __init__(self, detail: str, status: int = 400, code: str = "TriggerInputSchemaMismatch"):
        super().__init__(detail)
        self.detail, self.status, self.code = detail, status, code


def _ac_version(v: Any) -> tuple[int, int]:
    if not isinstance(v, str) or not re.fullmatch(r"\d+\.\d+", v):
        raise TeamsReject(f"content.version must be a string like \"1.4\", not {v!r}")
    major, minor = v.split(".")
    return int(major), int(minor)


def _ac_action(a: Any, where: str, version: tuple[int, int]) -> None:
    if not isinstance(a, dict) or a.get("type") not in AC_ACTIONS:
        raise TeamsReject(f"{where}: unknown action type {a.get('type') if isinstance(a, dict) else a!r}")
    since, required = AC_ACTIONS[a["type"]]
    if since > version:
        raise TeamsReject(f"{where}: {a['type']} needs card version {since[0]}.{since[1]}")
    for prop in required:
        if prop not in a:
            raise TeamsReject(f"{where}: {a['type']} requires '{prop}'")
    if a["type"] == "Action.OpenUrl" and (not isinstance(a["url"], str) or not re.match(r"^[a-z][a-z0-9+.-]*:", a["url"], re.I)):
        raise TeamsReject(f"{where}.url: must be an absolute URL")
    if a["type"] == "Action.ShowCard":
        _ac_card_body(a["card"], f"{where}.card", version)


def _ac_element(el: Any, where: str, version: tuple[int, int]) -> None:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        raise TeamsReject(f"{where}: an element needs a type")
    kind = el["type"]
    if kind not in AC_ELEMENTS or kind == "Column":
        raise TeamsReject(f"{where}: unknown element type {kind!r}")
    since, required = AC_ELEMENTS[kind]
    if since > version:
        raise TeamsReject(f"{where}: {kind} needs card version {since[0]}.{since[1]}")
    for prop in required:
        if prop not in el:
            raise TeamsReject(f"{where}: {kind} requires '{prop}'")
    for prop, allowed in AC_ENUMS.items():
        if kind == "TextBlock" and prop in el and str(el[prop]).lower() not in allowed:
            raise TeamsReject(f"{where}.{prop}: {el[prop]!r} is not one of {sorted(allowed)}")
    if kind == "TextBlock" and not isinstance(el["text"], str):
        raise TeamsReject(f"{where}.text: must be a string")
    elif kind == "FactSet":
        facts = el["facts"]
        if not isinstance(facts, list):
            raise TeamsReject(f"{where}.facts: must be a list")
        for j, f in enumerate(facts):
            if not isinstance(f, dict) or not isinstance(f.get("title"), str) or not isinstance(f.get("value"), str):
                raise TeamsReject(f"{where}.facts[{j}]: a fact needs string title and value")
    elif kind == "Container":
        _ac_items(el["items"], f"{where}.items", version)
    elif kind == "ColumnSet":
        cols = el.get("columns", [])
        if not isinstance(cols, list):
            raise TeamsReject(f"{where}.columns: must be a list")
        for j, col in enumerate(cols):
            if not isinstance(col, dict) or col.get("type", "Column") != "Column":
                raise TeamsReject(f"{where}.columns[{j}]: must be a Column")
            _ac_items(col.get("items", []), f"{where}.columns[{j}].items", version)
    elif kind == "Image" and not isinstance(el["url"], str):
        raise TeamsReject(f"{where}.url: must be a string")
    elif kind == "ActionSet":
        if not isinstance(el["actions"], list):
            raise TeamsReject(f"{where}.actions: must be a list")
        for j, a in enumerate(el["actions"]):
            _ac_action(a, f"{where}.actions[{j}]", version)
    if "selectAction" in el:
        _ac_action(el["selectAction"], f"{where}.selectAction", version)


def _ac_items(items: Any, where: str, version: tuple[int, int]) -> None:
    if not isinstance(items, list):
        raise TeamsReject(f"{where}: must be a list")
    for j, el in enumerate(items):
        _ac_element(el, f"{where}[{j}]", version)


def _ac_card_body(card: Any, where: str, version: tuple[int, int]) -> None:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise TeamsReject(f"{where}.type must be \"AdaptiveCard\"")
    _ac_items(card.get("body", []), f"{where}.body", version)
    actions = card.get("actions", [])
    if not isinstance(actions, list):
        raise TeamsReject(f"{where}.actions: must be a list")
    for j, a in enumerate(actions):
        _ac_action(a, f"{where}.actions[{j}]", version)


def validate_teams_message(msg: Any, max_version: tuple[int, int]) -> None:
    if not isinstance(msg, dict):
        raise TeamsReject("the body must be a JSON object")
    if msg.get("@type") == "MessageCard" or "@context" in msg:
        raise TeamsReject("legacy MessageCard (Office 365 connector card) is not supported by "
                          "Workflows: send an Adaptive Card in a message attachment")
    if msg.get("type") != "message":
        raise TeamsReject("type must be \"message\"")
    atts = msg.get("attachments")
    if not isinstance(atts, list) or not atts:
        raise TeamsReject("attachments must be a non-empty list")
    for i, att in enumerate(atts):
        where = f"attachments[{i}]"
        if not isinstance(att, dict):
            raise TeamsReject(f"{where}: must be an object")
        if att.get("contentType") != ADAPTIVE:
            raise TeamsReject(f"{where}.contentType must be {ADAPTIVE!r}, not {att.get('contentType')!r}")
        card = att.get("content")
        if not isinstance(card, dict):
            raise TeamsReject(f"{where}.content must be an Adaptive Card object")
        if card.get("type") != "AdaptiveCard":
            raise TeamsReject(f"{where}.content.type must be \"AdaptiveCard\"")
        version = _ac_version(card.get("version"))
        if version > max_version:
            raise TeamsReject(f"{where}.content.version {version[0]}.{version[1]} is above the supported "
                              f"{max_version[0]}.{max_version[1]}")
        _ac_card_body(card, f"{where}.content", version)


# ==== PagerDuty ================================================================================

PD_ACTIONS = ("trigger", "acknowledge", "resolve")
PD_SEVERITIES = ("critical", "error", "warning", "info")
PD_MAX_BYTES = 512 * 1024   # [V] Events API payloads are limited to 512 KB


def pd_validate(ev: Any) -> list[str]:
    """Problems with an Events API v2 alert event. [V] field rules from the Events API v2
    "Send an Alert Event" page; [U] the exact wording of each error string (PagerDuty
    documents the envelope, not the list)."""
    if not isinstance(ev, dict):
        return ["Event object is invalid"]
    errors: list[str] = []
    rk = ev.get("routing_key")
    if not isinstance(rk, str) or not rk.strip():
        errors.append("'routing_key' is missing or blank")
    elif len(rk) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = ev.get("event_action")
    if action not in PD_ACTIONS:
        errors.append("'event_action' is missing or invalid (must be one of trigger, acknowledge, resolve)")
    dk = ev.get("dedup_key")
    if dk is not None:
        if not isinstance(dk, str) or not dk:
            errors.append("'dedup_key' must be a non-empty string")
        elif len(dk) > 255:
            errors.append("'dedup_key' is too long (maximum is 255 characters)")
    elif action in ("acknowledge", "resolve"):
        errors.append("'dedup_key' is missing or blank (required for acknowledge and resolve)")
    if action == "trigger":
        p = ev.get("payload")
        if not isinstance(p, dict):
            errors.append("'payload' is missing or not an object")
        else:
            s = p.get("summary")
            if not isinstance(s, str) or not s.strip():
                errors.append("'payload.summary' is missing or blank")
            elif len(s) > 1024:
                errors.append("'payload.summary' is too long (maximum is 1024 characters)")
            if not isinstance(p.get("source"), str) or not p["source"].strip():
                errors.append("'payload.source' is missing or blank")
            if p.get("severity") not in PD_SEVERITIES:
                errors.append("'payload.severity' is missing or invalid (must be one of critical, error, warning, info)")
            if "timestamp" in p:
                ts = p["timestamp"]
                try:
                    if not isinstance(ts, str) or "T" not in ts:
                        raise ValueError
                    dt.datetime.fromisoformat(ts)
                except ValueError:
                    errors.append("'payload.timestamp' is not a valid ISO 8601 timestamp")
            for key in ("component", "group", "class"):
                if key in p and not isinstance(p[key], str):
                    errors.append(f"'payload.{key}' must be a string")
    for key, required in (("links", "href"), ("images", "src")):
        if key in ev:
            items = ev[key]
            if not isinstance(items, list):
                errors.append(f"'{key}' must be an array")
                continue
            for i, item in enumerate(items):
                if not isinstance(item, dict) or not isinstance(item.get(required), str) or not item[required]:
                    errors.append(f"'{key}[{i}].{required}' is missing or blank")
    for key in ("client", "client_url"):
        if key in ev and not isinstance(ev[key], str):
            errors.append(f"'{key}' must be a string")
    return errors


# ==== Jira =====================================================================================

ADF_MSG = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"  # [V]
STRING_MSG = "Operation value must be a string"  # [V] what Data Center / v2 says of an ADF value
NOT_FOUND_MSG = "Issue does not exist or you do not have permission to see it."  # [K]
UNAUTH_MSG = "Client must be authenticated to access this resource."  # [K] body of Jira Cloud's 401
SEARCH_GONE = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
               "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")  # [V]

# Workflow: typical Jira Cloud defaults. [K] transition ids 11/21/31 of the simplified workflow.
JIRA_STATUSES = {
    "To Do": {"id": "10000", "name": "To Do", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
    "In Progress": {"id": "3", "name": "In Progress", "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
    "Done": {"id": "10001", "name": "Done", "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
}
JIRA_TRANSITIONS = [("11", "To Do"), ("21", "In Progress"), ("31", "Done")]
JIRA_ISSUE_TYPES = [("10001", "Task"), ("10002", "Bug"), ("10003", "Story"), ("10000", "Epic")]
JIRA_PRIORITIES = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
JIRA_FIELDS = {"project", "issuetype", "summary", "description", "labels", "priority", "assignee",
               "duedate", "reporter", "parent"}

# ADF node types this receiver understands. [V] ADF: doc {version: 1, content}; [K] the node
# and mark rules below follow the ADF JSON schema. [E] other valid ADF nodes (panel, table,
# mention, emoji, media…) are rejected here because the project does not send them.
ADF_BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule"}
ADF_INLINES = {"text", "hardBreak"}
ADF_MARKS = {"strong", "em", "code", "strike", "underline", "link"}


def adf_problems(doc: Any) -> list[str]:
    problems: list[str] = []

    def inline(node: Any, where: str, marks_ok: bool = True) -> None:
        if not isinstance(node, dict) or node.get("type") not in ADF_INLINES:
            problems.append(f"{where}: inline node type {node.get('type') if isinstance(node, dict) else node!r} not allowed")
            return
        if node["type"] == "hardBreak":
            if "content" in node:
                problems.append(f"{where}: hardBreak has no content")
            return
        if not isinstance(node.get("text"), str):
            # An empty string is accepted: Jira has been seen to accept empty text nodes
            # although the ADF schema says minLength 1. [K]
            problems.append(f"{where}: text node needs a string 'text'")
        marks = node.get("marks", [])
        if not isinstance(marks, list):
            problems.append(f"{where}.marks: must be a list")
            return
        if marks and not marks_ok:
            problems.append(f"{where}: text in a codeBlock cannot have marks")
        for j, m in enumerate(marks):
            if not isinstance(m, dict) or m.get("type") not in ADF_MARKS:
                problems.append(f"{where}.marks[{j}]: mark type {m.get('type') if isinstance(m, dict) else m!r} not allowed")
            elif m["type"] == "link" and not isinstance((m.get("attrs") or {}).get("href"), str):
                problems.append(f"{where}.marks[{j}]: link needs attrs.href")

    def inlines(content: Any, where: str, marks_ok: bool = True) -> None:
        if content is None:
            return
        if not isinstance(content, list):
            problems.append(f"{where}: content must be a list")
            return
        for j, n in enumerate(content):
            inline(n, f"{where}[{j}]", marks_ok)

    def block(node: Any, where: str, allowed: set[str] = ADF_BLOCKS) -> None:
        if not isinstance(node, dict) or node.get("type") not in allowed:
            problems.append(f"{where}: block node type {node.get('type') if isinstance(node, dict) else node!r} not allowed here")
            return
        kind = node["type"]
        content = node.get("content")
        if kind == "paragraph":
            inlines(content, f"{where}.content")
        elif kind == "heading":
            level = (node.get("attrs") or {}).get("level")
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
                problems.append(f"{where}: heading needs attrs.level 1..6")
            inlines(content, f"{where}.content")
        elif kind == "codeBlock":
            lang = (node.get("attrs") or {}).get("language")
            if lang is not None and not isinstance(lang, str):
                problems.append(f"{where}: codeBlock attrs.language must be a string")
            if content is not None and any(isinstance(n, dict) and n.get("type") != "text" for n in content if isinstance(content, list)):
                problems.append(f"{where}: a codeBlock holds text nodes only")
            else:
                inlines(content, f"{where}.content", marks_ok=False)
        elif kind in ("bulletList", "orderedList"):
            if not isinstance(content, list) or not content:
                problems.append(f"{where}: a list needs at least one listItem")
                return
            for j, item in enumerate(content):
                w = f"{where}.content[{j}]"
                if not isinstance(item, dict) or item.get("type") != "listItem":
                    problems.append(f"{w}: only listItem is allowed in a list")
                    continue
                ic = item.get("content")
                if not isinstance(ic, list) or not ic:
                    problems.append(f"{w}: a listItem needs content")
                    continue
                if isinstance(ic[0], dict) and ic[0].get("type") in ("bulletList", "orderedList"):
                    problems.append(f"{w}: a listItem starts with a paragraph")
                for k, n in enumerate(ic):
                    block(n, f"{w}.content[{k}]", {"paragraph", "bulletList", "orderedList", "codeBlock"})
        elif kind == "blockquote":
            if not isinstance(content, list) or not content:
                problems.append(f"{where}: a blockquote needs content")
                return
            for j, n in enumerate(content):
                block(n, f"{where}.content[{j}]", {"paragraph", "bulletList", "orderedList", "codeBlock"})
        elif kind == "rule" and content:
            problems.append(f"{where}: rule has no content")

    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ["not an ADF document (type must be \"doc\")"]
    if doc.get("version") != 1:
        problems.append("doc.version must be 1")
    content = doc.get("content")
    if not isinstance(content, list):
        problems.append("doc.content must be a list")
    else:
        for i, n in enumerate(content):
            block(n, f"content[{i}]")
    return problems


class JiraError(Exception):
    def __init__(self, status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None):
        super().__init__(f"{status}: {messages} {errors}")
        self.status, self.messages, self.errors = status, list(messages or []), dict(errors or {})

    def response(self) -> Response:
        return json_response(self.status, {"errorMessages": self.messages, "errors": self.errors})


_JQL_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|!~|=|~|\(|\)|,)|(?P<word>[^\s=!~(),"\']+))')
JQL_FIELDS = {"project", "labels", "status", "issuetype", "type", "key", "issue", "id", "summary", "text"}


def parse_jql(jql: str) -> tuple[list[tuple[str, str, list[str]]], list[tuple[str, bool]]]:
    """[E] a small JQL subset: AND-joined clauses and ORDER BY. Raises JiraError(400)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    jql = jql.strip()
    while pos < len(jql):
        m = _JQL_TOKEN.match(jql, pos)
        if not m or m.end() == pos:
            raise JiraError(400, [f"Error in the JQL Query: unexpected character at position {pos}."])
        pos = m.end()
        if m["str"] is not None:
            tokens.append(("str", re.sub(r"\\(.)", r"\1", m["str"][1:-1])))
        elif m["op"] is not None:
            tokens.append(("op", m["op"]))
        elif m["word"] is not None:
            tokens.append(("word", m["word"]))
    clauses: list[tuple[str, str, list[str]]] = []
    order: list[tuple[str, bool]] = []
    i = 0

    def err(msg: str) -> JiraError:
        return JiraError(400, [f"Error in the JQL Query: {msg}"])

    def value() -> str:
        nonlocal i
        if i >= len(tokens) or tokens[i][0] == "op":
            raise err("Expecting a value.")
        i += 1
        return tokens[i - 1][1]

    while i < len(tokens):
        kind, tok = tokens[i]
        if kind == "word" and tok.lower() == "order" and i + 1 < len(tokens) and tokens[i + 1][1].lower() == "by":
            i += 2
            while i < len(tokens):
                field = value().lower()
                desc = False
                if i < len(tokens) and tokens[i][1].lower() in ("asc", "desc"):
                    desc = tokens[i][1].lower() == "desc"
                    i += 1
                order.append((field, desc))
                if i < len(tokens) and tokens[i] == ("op", ","):
                    i += 1
                    continue
                break
            if i < len(tokens):
                raise err("Expecting end of query after ORDER BY.")
            break
        field = value().lower()
        if field not in JQL_FIELDS:
            raise JiraError(400, [f"Field '{field}' does not exist or you do not have permission to view it."])
        if i >= len(tokens):
            raise err("Expecting an operator.")
        kind, tok = tokens[i]
        low = tok.lower()
        if kind == "op" and tok in ("=", "!=", "~", "!~"):
            i += 1
            clauses.append((field, tok, [value()]))
        elif kind == "word" and low in ("in", "not"):
            i += 1
            if low == "not":
                if i >= len(tokens) or tokens[i][1].lower() != "in":
                    raise err("Expecting 'in' after 'not'.")
                i += 1
            if i >= len(tokens) or tokens[i] != ("op", "("):
                raise err("Expecting '(' after 'in'.")
            i += 1
            vals = [value()]
            while i < len(tokens) and tokens[i] == ("op", ","):
                i += 1
                vals.append(value())
            if i >= len(tokens) or tokens[i] != ("op", ")"):
                raise err("Expecting ')'.")
            i += 1
            clauses.append((field, "not in" if low == "not" else "in", vals))
        elif kind == "word" and low == "is":
            i += 1
            negate = i < len(tokens) and tokens[i][1].lower() == "not"
            if negate:
                i += 1
            if i >= len(tokens) or tokens[i][1].lower() not in ("empty", "null"):
                raise err("Expecting EMPTY after IS.")
            i += 1
            clauses.append((field, "is not empty" if negate else "is empty", []))
        else:
            raise err(f"Unsupported operator '{tok}' (this receiver knows =, !=, ~, !~, in, not in, is [not] empty).")
        if i < len(tokens):
            if tokens[i][0] == "word" and tokens[i][1].lower() == "and":
                i += 1
                if i >= len(tokens):
                    raise err("Expecting a clause after AND.")
            elif tokens[i][0] == "word" and tokens[i][1].lower() == "order":
                continue
            else:
                raise err(f"Expecting AND or ORDER BY, not '{tokens[i][1]}' (OR is not supported here).")
    return clauses, order


class JiraSite:
    """One Jira instance: `cloud` (REST v3, ADF, Basic email:token) or `dc` (REST v2, plain
    text, Bearer PAT)."""

    def __init__(self, flavor: str):
        self.flavor = flavor
        self.prefix = "/jira" if flavor == "cloud" else "/jira-dc"
        self.api = "3" if flavor == "cloud" else "2"
        self.users: dict[str, str] = {}
        self.pats: set[str] = set()
        self.projects: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, dict[str, Any]] = {}      # id → issue
        self.keys: dict[str, str] = {}                   # key → id
        self.next_id = 10000
        self.next_project_id = 10000
        self.next_comment = 10000
        self.next_link = 10000
        self.add_project("SEC", "Security")

    def add_project(self, key: str, name: str | None = None) -> dict[str, Any]:
        if key not in self.projects:
            self.projects[key] = {"id": str(self.next_project_id), "key": key, "name": name or key, "counter": 0}
            self.next_project_id += 1
        return self.projects[key]

    def base(self, req: Request) -> str:
        return f"http://{req.headers.get('host', '127.0.0.1')}{self.prefix}"

    def authenticate(self, req: Request) -> str | None:
        """The user (email, or "pat") when the Authorization header is valid."""
        auth = req.headers.get("authorization", "")
        if self.flavor == "cloud" and auth.lower().startswith("basic "):
            try:
                email, _, token = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return email if email in self.users and hmac.compare_digest(self.users[email], token) else None
        if self.flavor == "dc" and auth.lower().startswith("bearer "):
            return "pat" if auth[7:].strip() in self.pats else None
        return None

    # ---- issues -----------------------------------------------------------------------------
    def find(self, id_or_key: str) -> dict[str, Any]:
        iid = self.keys.get(id_or_key.upper(), id_or_key)
        if iid not in self.issues:
            raise JiraError(404, [NOT_FOUND_MSG])
        return self.issues[iid]

    def _ref(self, value: Any, name: str, errors: dict[str, str], missing: str) -> dict | None:
        if value is None:
            errors[name] = missing
            return None
        if not isinstance(value, dict):
            errors[name] = f"Could not find valid 'id' or 'key' in {name} object."
            return None
        return value

    def create(self, req: Request, body: Any) -> tuple[dict[str, Any], list[str]]:
        """Returns (issue, ADF problems noted for the log). Raises JiraError."""
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            raise JiraError(400, ["Invalid request payload. Refer to the REST API documentation and try again."])
        fields = body["fields"]
        errors: dict[str, str] = {}
        notes: list[str] = []
        project = None
        ref = self._ref(fields.get("project"), "project", errors, "Specify a valid project ID or key")
        if ref is not None:
            key = ref.get("key")
            pid = ref.get("id")
            project = self.projects.get(key) if key else next((p for p in self.projects.values() if p["id"] == str(pid)), None)
            if project is None:
                errors["project"] = "Specify a valid project ID or key"  # [K]
        itype = None
        ref = self._ref(fields.get("issuetype"), "issuetype", errors, "Specify an issue type")  # [K]
        if ref is not None:
            itype = next((t for t in JIRA_ISSUE_TYPES if ("id" in ref and t[0] == str(ref["id"]))
                          or ("name" in ref and t[1].lower() == str(ref["name"]).lower())), None)
            if itype is None:
                errors["issuetype"] = "Specify a valid issue type"  # [U] wording
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."  # [K]
        elif "\n" in summary or "\r" in summary:
            errors["summary"] = "The summary is invalid because it contains newline characters."  # [K]
        elif len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."  # [K]
        description = fields.get("description")
        if description is not None:
            if self.flavor == "cloud":
                problems = adf_problems(description)
                if problems:
                    errors["description"] = ADF_MSG
                    notes.extend(problems)
            elif not isinstance(description, str):
                errors["description"] = STRING_MSG
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            errors["labels"] = "Labels must be a list of strings"  # [U]
            labels = []
        else:
            for label in labels:
                if not label or re.search(r"\s", label):
                    errors["labels"] = f"The label '{label}' contains spaces which is invalid."  # [K]
                    break
                if len(label) > 255:
                    errors["labels"] = "The label must not exceed 255 characters."  # [U]
                    break
        priority = None
        if "priority" in fields:
            ref = fields["priority"]
            if isinstance(ref, dict):
                priority = next(({"id": k, "name": v} for k, v in JIRA_PRIORITIES.items()
                                 if str(ref.get("id")) == k or str(ref.get("name", "")).lower() == v.lower()), None)
            if priority is None:
                errors["priority"] = "Specify a valid priority"  # [U] wording
        for name in fields:
            if name not in JIRA_FIELDS:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."  # [K]
        if errors:
            err = JiraError(400, [], errors)
            err.notes = notes  # type: ignore[attr-defined]
            raise err
        assert project is not None and itype is not None
        project["counter"] += 1
        iid = str(self.next_id)
        self.next_id += 1
        key = f"{project['key']}-{project['counter']}"
        now = _now_iso()
        issue = {
            "id": iid, "key": key, "labels": list(dict.fromkeys(labels)), "summary": summary,
            "description": description, "project": project["key"], "issuetype": itype,
            "priority": priority or {"id": "3", "name": "Medium"}, "status": "To Do",
            "created": now, "updated": now, "comments": [], "remotelinks": [], "transitions": [],
            "extra": {k: v for k, v in fields.items() if k in ("assignee", "duedate", "reporter", "parent")},
        }
        self.issues[iid] = issue
        self.keys[key] = iid
        return issue, notes

    def render(self, req: Request, issue: dict[str, Any], fields_param: str | None) -> dict[str, Any]:
        base = self.base(req)
        project = self.projects[issue["project"]]
        all_fields: dict[str, Any] = {
            "summary": issue["summary"],
            "description": issue["description"],
            "labels": issue["labels"],
            "status": dict(JIRA_STATUSES[issue["status"]], self=f"{base}/rest/api/{self.api}/status/{JIRA_STATUSES[issue['status']]['id']}"),
            "issuetype": {"id": issue["issuetype"][0], "name": issue["issuetype"][1], "subtask": False},
            "project": {"id": project["id"], "key": project["key"], "name": project["name"]},
            "priority": issue["priority"],
            "created": issue["created"],
            "updated": issue["updated"],
            "resolution": {"name": "Done"} if issue["status"] == "Done" else None,
            "comment": {"comments": issue["comments"], "total": len(issue["comments"]),
                        "startAt": 0, "maxResults": len(issue["comments"])},
            **issue["extra"],
        }
        wanted = [f.strip() for f in (fields_param or "*all").split(",") if f.strip()]
        if not any(w in ("*all", "*navigable") for w in wanted):
            all_fields = {k: v for k, v in all_fields.items() if k in wanted}
        return {"id": issue["id"], "key": issue["key"], "self": f"{base}/rest/api/{self.api}/issue/{issue['id']}",
                "fields": all_fields}

    def search(self, jql: str) -> list[dict[str, Any]]:
        clauses, order = parse_jql(jql)
        for field, op, vals in clauses:
            if field == "project" and op in ("=", "in", "!=", "not in"):
                for v in vals:
                    if not any(v.upper() == p["key"] or v == p["id"] or v.lower() == p["name"].lower()
                               for p in self.projects.values()):
                        raise JiraError(400, [f"The value '{v}' does not exist for the field 'project'."])  # [K]

        def values(issue: dict[str, Any], field: str) -> list[str]:
            project = self.projects[issue["project"]]
            if field == "project":
                return [project["key"].lower(), project["id"], project["name"].lower()]
            if field == "labels":
                return [x.lower() for x in issue["labels"]]
            if field == "status":
                return [issue["status"].lower(), JIRA_STATUSES[issue["status"]]["id"]]
            if field in ("issuetype", "type"):
                return [issue["issuetype"][1].lower(), issue["issuetype"][0]]
            if field in ("key", "issue", "id"):
                return [issue["key"].lower(), issue["id"]]
            return [issue["summary"].lower()]

        def text_of(issue: dict[str, Any], field: str) -> str:
            parts = [issue["summary"]]
            if field == "text":
                parts.append(json.dumps(issue["description"]) if not isinstance(issue["description"], str) else issue["description"])
            return " ".join(parts).lower()

        def match(issue: dict[str, Any]) -> bool:
            for field, op, vals in clauses:
                have = values(issue, field)
                lowered = [v.lower() for v in vals]
                if op == "=" and not any(v in have for v in lowered):
                    return False
                if op == "!=" and any(v in have for v in lowered):
                    return False
                if op == "in" and not any(v in have for v in lowered):
                    return False
                if op == "not in" and any(v in have for v in lowered):
                    return False
                if op in ("~", "!~"):
                    found = all(w in text_of(issue, field) for w in lowered[0].split())
                    if found != (op == "~"):
                        return False
                if op == "is empty" and have and field == "labels":
                    return False
                if op == "is not empty" and not have:
                    return False
            return True

        found = [i for i in self.issues.values() if match(i)]
        found.sort(key=lambda i: int(i["id"]), reverse=True)  # Jira's default: newest first [U]
        for field, desc in reversed(order):
            keyf = {"key": lambda i: (i["project"], int(i["key"].rsplit("-", 1)[1])),
                    "updated": lambda i: i["updated"]}.get(field, lambda i: int(i["id"]))
            found.sort(key=keyf, reverse=desc)
        return found

    def transitions(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        # Global transitions, minus the one to the current status. [K]
        return [{"id": tid, "name": name, "to": JIRA_STATUSES[name], "hasScreen": False,
                 "isGlobal": True, "isInitial": False, "isAvailable": True,
                 "isConditional": False, "isLooped": False}
                for tid, name in JIRA_TRANSITIONS if name != issue["status"]]


# ==== the emulator ============================================================================

class NotifyReceivers(Emulator):
    name = "notify"

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.seq = 0
        # slack
        self.slack_rate: float | None = 1.0
        self.slack_hooks: dict[str, str] = {}
        self.slack_last: dict[str, float] = {}
        # teams
        self.teams_mode = "strict"
        self.teams_max_version = (1, 4)
        self.teams_workflows: dict[str, str] = {}
        # webhook
        self.webhook_secrets: dict[str, str] = {}
        self.webhook_validate_envelope = True
        self.webhook_max_skew: float | None = None
        self.webhook_deliveries: dict[tuple[str, str], dict[str, Any]] = {}
        # pagerduty
        self.pd_rate: float | None = None
        self.pd_routing_keys: set[str] | None = None
        self.pd_recent: dict[str, list[float]] = {}
        self.pd_alerts: list[dict[str, Any]] = []
        # jira
        self.jira = {"cloud": JiraSite("cloud"), "dc": JiraSite("dc")}
        self.jira["cloud"].users["hubble@example.com"] = "hubble-api-token"
        self.jira["dc"].pats.add("hubble-pat")

    def __init__(self) -> None:
        super().__init__()
        r = self.route
        r("POST", r"/slack/services/(?P<hook>.+)", self._slack)
        r("POST", r"/teams/(?:powerautomate/automations/direct/)?workflows/(?P<wf>[^/]+)/triggers/manual/paths/invoke", self._teams)
        r("POST", r"/webhook/(?P<name>[^/]+)", self._webhook)
        r("POST", r"/(?:pagerduty/)?v2/enqueue", self._pagerduty)
        for flavor, prefix, api in (("cloud", "/jira", "3"), ("dc", "/jira-dc", "2")):
            base = f"{prefix}/rest/api/{api}"
            for method, pattern, handler in (
                ("POST", r"/issue", self._jira_create),
                ("GET", r"/issue/(?P<key>[^/]+)", self._jira_get),
                ("GET", r"/issue/(?P<key>[^/]+)/transitions", self._jira_transitions),
                ("POST", r"/issue/(?P<key>[^/]+)/transitions", self._jira_transition),
                ("GET", r"/issue/(?P<key>[^/]+)/comment", self._jira_comments),
                ("POST", r"/issue/(?P<key>[^/]+)/comment", self._jira_comment),
                ("GET", r"/issue/(?P<key>[^/]+)/remotelink", self._jira_remotelinks),
                ("POST", r"/issue/(?P<key>[^/]+)/remotelink", self._jira_remotelink),
                ("GET", r"/search/jql", self._jira_search_jql),
                ("POST", r"/search/jql", self._jira_search_jql),
                ("GET", r"/search", self._jira_search),
                ("POST", r"/search", self._jira_search),
                ("GET", r"/myself", self._jira_myself),
                ("GET", r"/project/(?P<key>[^/]+)", self._jira_project),
            ):
                r(method, re.escape(base) + pattern, self._jira_wrap(flavor, handler))
        # control routes
        r("GET", r"/_emu/notify/messages/?", self._c_messages)
        r("DELETE", r"/_emu/notify/messages/?", self._c_messages_clear)
        r("GET", r"/_emu/notify/slack/?", self._c_slack)
        r("POST", r"/_emu/notify/slack/?", self._c_slack)
        r("GET", r"/_emu/notify/teams/?", self._c_teams)
        r("POST", r"/_emu/notify/teams/?", self._c_teams)
        r("POST", r"/_emu/notify/webhook-secrets/?", self._c_webhook_secret)
        r("GET", r"/_emu/notify/webhook/?", self._c_webhook)
        r("POST", r"/_emu/notify/webhook/?", self._c_webhook)
        r("GET", r"/_emu/notify/webhook/deliveries/?", self._c_webhook_deliveries)
        r("GET", r"/_emu/notify/pagerduty/?", self._c_pagerduty)
        r("POST", r"/_emu/notify/pagerduty/?", self._c_pagerduty)
        r("GET", r"/_emu/notify/pagerduty/incidents/?", self._c_pd_incidents)
        r("POST", r"/_emu/notify/jira-users/?", self._c_jira_user)
        r("POST", r"/_emu/notify/jira-projects/?", self._c_jira_project)
        r("GET", r"/_emu/notify/jira/issues/?", self._c_jira_issues)

    # ---- shared -------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        _current.path = req.path
        resp = super().handle(req)
        if isinstance(resp.body, str) and resp.content_type == "application/json":
            resp.content_type = "text/plain; charset=utf-8"
        return resp

    def error_body(self, status: int, message: str) -> Any:
        """Error bodies (for unknown routes and injected faults) in each service's shape."""
        service = _service_of(getattr(_current, "path", ""))
        if service == "slack":
            return {429: "rate_limited", 404: "no_service", 403: "invalid_token"}.get(
                status, "invalid_payload" if status < 500 else "rollup_error")
        if service == "pagerduty":
            if status == 429:
                return {"status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."}  # [U]
            if status == 400:
                return {"status": "invalid event", "message": "Event object is invalid", "errors": [message]}
            return {"status": "error", "message": message}  # [U]
        if service == "jira":
            return {"errorMessages": [message], "errors": {}}
        if service == "webhook":
            return {"error": message}
        return {"error": {"code": str(status), "message": message}}

    def record(self, service: str, req: Request, accepted: bool, status: int, reason: str | None = None,
               body: Any = None, **meta: Any) -> dict[str, Any]:
        with self.lock:
            self.seq += 1
            entry = {
                "seq": self.seq, "service": service, "accepted": accepted, "status": status,
                "reason": reason, "method": req.method, "path": req.path, "query": req.query,
                "headers": req.headers,
                "body": body if body is not None else req.body[:65536].decode("utf-8", "replace"),
                "time": time.time(), "meta": meta,
            }
            self.messages.append(entry)
            return entry

    # ---- Slack ----------------------------------------------------------------------------------
    def _slack(self, req: Request) -> Response:
        hook = req.match["hook"].strip("/")

        def answer(error: str, detail: str, body: Any = None, headers: dict[str, str] | None = None,
                   status: int | None = None) -> Response:
            code = status or SLACK_ERRORS[error]
            self.record("slack", req, False, code, f"{error}: {detail}", body, hook=hook)
            return _text(code, error, headers)

        if not re.fullmatch(r"T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+", hook):
            return answer("no_service", "the webhook URL is not of the form /services/T…/B…/<secret>")
        with self.lock:
            forced = self.slack_hooks.get(hook)
        if forced:
            return answer(forced, "forced by /_emu/notify/slack")
        with self.lock:
            if self.slack_rate:
                last = self.slack_last.get(hook)
                wait = (last + 1.0 / self.slack_rate - time.monotonic()) if last is not None else 0
                if wait > 0:
                    # [V] Slack rate limits: "HTTP 429 Too Many Requests … a Retry-After header
                    # containing the number of seconds until you can retry". [U] body text.
                    retry = str(max(1, math.ceil(wait)))
                    return answer("rate_limited", f"more than {self.slack_rate}/s", None,
                                  {"Retry-After": retry}, status=429)
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype == "application/x-www-form-urlencoded":
                payload = req.form().get("payload")
                if payload is None:
                    return answer("invalid_payload", "form body without a payload field")
                msg = json.loads(payload)
            else:
                msg = _parse_json_body(req)
        except ValueError as exc:
            return answer("invalid_payload", str(exc))
        try:
            validate_slack_message(msg)
        except SlackReject as rej:
            return answer(rej.error, rej.detail, msg)
        with self.lock:
            self.slack_last[hook] = time.monotonic()
        self.record("slack", req, True, 200, None, msg, hook=hook)
        # [V] the body is the string "ok" (Slack's SDK docs: response.body == "ok"). [U] the real
        # Content-Type (text/plain or text/html); clients should look at the status and body only.
        return _text(200, "ok")

    # ---- Teams ----------------------------------------------------------------------------------
    def _teams(self, req: Request) -> Response:
        wf = req.match["wf"]

        def fail(status: int, code: str, message: str, body: Any = None) -> Response:
            self.record("teams", req, False, status, f"{code}: {message}", body, workflow=wf)
            return json_response(status, {"error": {"code": code, "message": message}})

        # [K] Logic Apps / Power Automate request-trigger errors.
        if not req.q("api-version"):
            return fail(400, "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all requests.")
        sig = req.q("sig")
        if not sig:
            return fail(401, "DirectApiAuthorizationRequired",
                        "The request must be authenticated only by Shared Access scheme.")
        with self.lock:
            expected = self.teams_workflows.get(wf)
            mode, max_version = self.teams_mode, self.teams_max_version
        if expected is not None and not hmac.compare_digest(expected, sig):
            return fail(401, "DirectApiInvalidAuthorizationSignature",
                        f"The provided authorization signature '{sig}' is not valid for the workflow '{wf}'.")
        # [K] a Request trigger without a Response action answers 202 Accepted with an empty body
        # as soon as the run is queued; the card is posted (or fails) later, in the run. With the
        # trigger's "Schema validation" setting on, a body that misses the trigger's JSON schema
        # is refused at once with 400 TriggerInputSchemaMismatch; "strict" mode behaves like that
        # for every payload problem so that tests see them synchronously [E].
        run_id = uuid.uuid4().hex.upper()
        headers = {"x-ms-workflow-run-id": run_id, "x-ms-workflow-name": wf}
        try:
            body = _parse_json_body(req)
        except ValueError as exc:
            body, problem = None, TeamsReject(str(exc))
        else:
            problem = None
            if len(req.body) > TEAMS_MAX_BYTES:
                problem = TeamsReject(f"the message is {len(req.body)} bytes, over the ~28 KB Teams limit",
                                      413, "RequestEntityTooLarge")
            else:
                try:
                    validate_teams_message(body, max_version)
                except TeamsReject as rej:
                    problem = rej
        if problem is not None:
            if mode == "async":
                # The real trigger accepts the request and the flow run fails later.
                self.record("teams", req, False, 202, f"flow run failed: {problem.detail}", body,
                            workflow=wf, run_id=run_id)
                return Response(202, None, headers)
            message = problem.detail
            if problem.code == "TriggerInputSchemaMismatch":
                message = ("The input body for trigger 'manual' of type 'Request' did not match its "
                           f"schema definition. Error details: '{problem.detail}'.")
            return fail(problem.status, problem.code, message, body)
        self.record("teams", req, True, 202, None, body, workflow=wf, run_id=run_id)
        return Response(202, None, headers)

    # ---- generic webhook ------------------------------------------------------------------------
    def _webhook(self, req: Request) -> Response:
        name = req.match["name"]

        def fail(status: int, reason: str, body: Any = None) -> Response:
            self.record("webhook", req, False, status, reason, body, name=name)
            return json_response(status, {"error": reason})

        with self.lock:
            secret = self.webhook_secrets.get(name)
            validate, skew = self.webhook_validate_envelope, self.webhook_max_skew
        if secret is None:
            return fail(404, f"no secret registered for webhook {name!r}")
        sig = req.headers.get("x-hubble-signature-256", "")
        if not sig:
            return fail(401, "missing X-Hubble-Signature-256")
        want = "sha256=" + hmac.new(secret.encode(), req.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig.strip().lower()):
            return fail(401, "bad signature")
        key = req.headers.get("x-hubble-idempotency-key", "").strip()
        if not key:
            return fail(400, "missing X-Hubble-Idempotency-Key")
        stamp = req.headers.get("x-hubble-timestamp", "").strip()
        if not stamp:
            return fail(400, "missing X-Hubble-Timestamp")
        try:
            when = float(stamp) if re.fullmatch(r"\d+(\.\d+)?", stamp) else dt.datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            return fail(400, f"X-Hubble-Timestamp {stamp!r} is neither unix seconds nor RFC 3339")
        if skew is not None and abs(time.time() - when) > skew:
            return fail(401, f"X-Hubble-Timestamp is more than {skew:g} s away from now")
        try:
            body = _parse_json_body(req)
        except ValueError as exc:
            return fail(400, str(exc))
        if validate:
            missing = [k for k in ("event", "id", "occurred_at")
                       if not isinstance(body, dict) or not isinstance(body.get(k), str) or not body[k]]
            if missing:
                return fail(400, f"envelope fields missing or not strings: {missing}", body)
        with self.lock:
            d = self.webhook_deliveries.get((name, key))
            duplicate = d is not None
            if d is None:
                self.webhook_deliveries[(name, key)] = {
                    "name": name, "idempotency_key": key, "deliveries": 1, "duplicates": 0,
                    "body": body, "first_at": time.time()}
            else:
                d["duplicates"] += 1
        self.record("webhook", req, True, 204, None, body, name=name, idempotency_key=key, duplicate=duplicate)
        return Response(204, None)

    # ---- PagerDuty ------------------------------------------------------------------------------
    def _pagerduty(self, req: Request) -> Response:
        def invalid(errors: list[str], body: Any = None) -> Response:
            self.record("pagerduty", req, False, 400, "; ".join(errors), body)
            return json_response(400, {"status": "invalid event", "message": "Event object is invalid",
                                       "errors": errors})

        if len(req.body) > PD_MAX_BYTES:
            return invalid([f"Event is larger than 512 KB ({len(req.body)} bytes)"])  # [U] status
        try:
            ev = _parse_json_body(req)
        except ValueError:
            return invalid(["Event object is invalid"])
        errors = pd_validate(ev)
        with self.lock:
            if not errors and self.pd_routing_keys is not None and ev["routing_key"] not in self.pd_routing_keys:
                errors = ["Invalid routing key"]  # [U]
        if errors:
            return invalid(errors, ev)
        rk = ev["routing_key"]
        with self.lock:
            if self.pd_rate:
                now = time.monotonic()
                recent = [t for t in self.pd_recent.get(rk, []) if now - t < 60]
                if len(recent) >= self.pd_rate:
                    self.pd_recent[rk] = recent
                    body = self.error_body(429, "")
                    self.record("pagerduty", req, False, 429, "rate limited", ev)
                    return json_response(429, body)
                recent.append(now)
                self.pd_recent[rk] = recent
            action = ev["event_action"]
            dk = ev.get("dedup_key") or uuid.uuid4().hex
            alert = next((a for a in reversed(self.pd_alerts)
                          if a["routing_key"] == rk and a["dedup_key"] == dk and a["status"] != "resolved"), None)
            dropped = False
            now_iso = dt.datetime.now(dt.timezone.utc).isoformat()
            if action == "trigger":
                if alert is None:  # [V] a trigger after a resolve opens a new alert
                    p = ev["payload"]
                    alert = {"number": len(self.pd_alerts) + 1, "routing_key": rk, "dedup_key": dk,
                             "status": "triggered", "trigger_count": 0, "actions": [],
                             "summary": p["summary"], "severity": p["severity"], "source": p["source"],
                             "created_at": now_iso, "acknowledged_at": None, "resolved_at": None,
                             "last_event": ev}
                    self.pd_alerts.append(alert)
                alert["trigger_count"] += 1
                alert["last_event"] = ev
                alert["actions"].append("trigger")
            elif alert is None:
                dropped = True  # [V] ack/resolve without an open alert (same routing key) is dropped
            else:
                alert["actions"].append(action)
                if action == "acknowledge":
                    alert["status"] = "acknowledged"
                    alert["acknowledged_at"] = now_iso
                else:
                    alert["status"] = "resolved"
                    alert["resolved_at"] = now_iso
        self.record("pagerduty", req, True, 202, None, ev, dedup_key=dk, event_action=action, dropped=dropped)
        return json_response(202, {"status": "success", "message": "Event processed", "dedup_key": dk})

    # ---- Jira -----------------------------------------------------------------------------------
    def _jira_wrap(self, flavor: str, handler):
        def wrapped(req: Request) -> Response:
            site = self.jira[flavor]
            mutating = req.method == "POST" and not req.path.endswith("/search/jql") and not req.path.endswith("/search")
            body: Any = None
            try:
                with self.lock:
                    if site.authenticate(req) is None:
                        if mutating:
                            self.record("jira", req, False, 401, "not authenticated", site=flavor)
                        return _text(401, UNAUTH_MSG)
                    if req.method == "POST":
                        ctype = req.headers.get("content-type", "").lower()
                        if "json" not in ctype:
                            raise JiraError(415, ["Unsupported Media Type: use Content-Type: application/json"])  # [K] 415
                        try:
                            body = _parse_json_body(req)
                        except ValueError:
                            raise JiraError(400, ["Invalid request payload. Refer to the REST API documentation and try again."]) from None  # [K]
                    resp, meta = handler(req, site, body)
            except JiraError as err:
                if mutating:
                    reason = "; ".join(err.messages + [f"{k}: {v}" for k, v in err.errors.items()]
                                       + getattr(err, "notes", []))
                    self.record("jira", req, False, err.status, reason, body, site=flavor)
                return err.response()
            if mutating:
                self.record("jira", req, True, resp.status, None, body, site=flavor, **meta)
            return resp
        return wrapped

    def _jira_create(self, req: Request, site: JiraSite, body: Any):
        issue, _ = site.create(req, body)
        base = site.base(req)
        return json_response(201, {"id": issue["id"], "key": issue["key"],
                                   "self": f"{base}/rest/api/{site.api}/issue/{issue['id']}"}), {"issue_key": issue["key"]}

    def _jira_get(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        return json_response(200, site.render(req, issue, req.q("fields"))), {}

    def _jira_transitions(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        return json_response(200, {"expand": "transitions", "transitions": site.transitions(issue)}), {}

    def _jira_transition(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        t = body.get("transition") if isinstance(body, dict) else None
        if not isinstance(t, dict) or not (t.get("id") or t.get("name")):
            raise JiraError(400, ["Missing 'transition' identifier"])  # [U] wording
        tid = str(t.get("id", ""))
        match = next((x for x in site.transitions(issue) if x["id"] == tid), None)
        if match is None:
            raise JiraError(400, [f"Transition id '{tid}' is not valid for this issue."])  # [K]
        issue["transitions"].append({"id": tid, "from": issue["status"], "to": match["name"], "at": _now_iso()})
        issue["status"] = match["name"]
        issue["updated"] = _now_iso()
        return Response(204, None), {"issue_key": issue["key"], "transition": tid, "to_status": match["name"]}

    def _jira_comment_body_ok(self, site: JiraSite, value: Any) -> None:
        if site.flavor == "cloud":
            problems = adf_problems(value)
            if problems:
                err = JiraError(400, [], {"comment": ADF_MSG})
                err.notes = problems  # type: ignore[attr-defined]
                raise err
        elif not isinstance(value, str) or not value.strip():
            raise JiraError(400, [], {"comment": "Comment body can not be empty!"})  # [K]

    def _jira_comment(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        if not isinstance(body, dict) or "body" not in body:
            raise JiraError(400, [], {"comment": "Comment body can not be empty!"})
        self._jira_comment_body_ok(site, body["body"])
        cid = str(site.next_comment)
        site.next_comment += 1
        now = _now_iso()
        comment = {"id": cid, "self": f"{site.base(req)}/rest/api/{site.api}/issue/{issue['id']}/comment/{cid}",
                   "body": body["body"], "created": now, "updated": now,
                   "author": {"displayName": "Agent Hubble", "active": True}}
        issue["comments"].append(comment)
        issue["updated"] = now
        return json_response(201, comment), {"issue_key": issue["key"], "comment_id": cid}

    def _jira_comments(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        c = issue["comments"]
        return json_response(200, {"startAt": 0, "maxResults": len(c), "total": len(c), "comments": c}), {}

    def _jira_remotelink(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        obj = body.get("object") if isinstance(body, dict) else None
        if not isinstance(obj, dict):
            raise JiraError(400, [], {"object": "'object' is required"})  # [U] wording
        errors = {k: f"'{k}' is required" for k in ("url", "title") if not isinstance(obj.get(k), str) or not obj[k]}
        if errors:
            raise JiraError(400, [], errors)  # [U] wording
        gid = body.get("globalId")
        base = site.base(req)
        existing = next((link for link in issue["remotelinks"] if gid and link.get("globalId") == gid), None)
        if existing is not None:  # [K] same globalId updates the link: 200
            existing.update({"object": obj, "relationship": body.get("relationship")})
            return json_response(200, {"id": existing["id"], "self": existing["self"]}), {"issue_key": issue["key"], "updated": True}
        lid = site.next_link
        site.next_link += 1
        link = {"id": lid, "self": f"{base}/rest/api/{site.api}/issue/{issue['key']}/remotelink/{lid}",
                "globalId": gid, "relationship": body.get("relationship"), "object": obj}
        issue["remotelinks"].append(link)
        return json_response(201, {"id": lid, "self": link["self"]}), {"issue_key": issue["key"]}

    def _jira_remotelinks(self, req: Request, site: JiraSite, body: Any):
        issue = site.find(req.match["key"])
        return json_response(200, issue["remotelinks"]), {}

    def _search_params(self, req: Request, body: Any) -> tuple[str, str | None, int, str | None, int]:
        if req.method == "POST":
            b = body if isinstance(body, dict) else {}
            fields = b.get("fields")
            fields = ",".join(fields) if isinstance(fields, list) else fields
            return (b.get("jql") or "", fields, int(b.get("maxResults", 50)), b.get("nextPageToken"),
                    int(b.get("startAt", 0)))
        return (req.q("jql", "") or "", req.q("fields"), int(req.q("maxResults", "50") or 50),
                req.q("nextPageToken"), int(req.q("startAt", "0") or 0))

    def _jira_search_jql(self, req: Request, site: JiraSite, body: Any):
        if site.flavor != "cloud":
            raise JiraError(404, ["null for uri: " + req.path])
        jql, fields, max_results, token, _ = self._search_params(req, body)
        if not jql.strip():
            # [K] the enhanced search refuses unbounded queries
            raise JiraError(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."])
        found = site.search(jql)
        start = int(token) if token and token.isdigit() else 0
        max_results = max(1, min(max_results, 5000))
        page = found[start:start + max_results]
        if fields:
            issues = [site.render(req, i, fields) for i in page]
        else:
            issues = [{"id": i["id"]} for i in page]  # [V] only issue ids by default
        out: dict[str, Any] = {"issues": issues, "isLast": start + max_results >= len(found)}
        if not out["isLast"]:
            out["nextPageToken"] = str(start + max_results)
        return json_response(200, out), {}

    def _jira_search(self, req: Request, site: JiraSite, body: Any):
        if site.flavor == "cloud":
            raise JiraError(410, [SEARCH_GONE])
        jql, fields, max_results, _, start = self._search_params(req, body)
        found = site.search(jql) if jql.strip() else sorted(site.issues.values(), key=lambda i: -int(i["id"]))
        page = found[start:start + max_results]
        return json_response(200, {"startAt": start, "maxResults": max_results, "total": len(found),
                                   "issues": [site.render(req, i, fields) for i in page]}), {}

    def _jira_myself(self, req: Request, site: JiraSite, body: Any):
        who = site.authenticate(req) or ""
        return json_response(200, {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": who if "@" in who else None,
                                   "displayName": "Agent Hubble", "active": True}), {}

    def _jira_project(self, req: Request, site: JiraSite, body: Any):
        key = req.match["key"]
        p = site.projects.get(key.upper()) or next((x for x in site.projects.values() if x["id"] == key), None)
        if p is None:
            raise JiraError(404, [f"No project could be found with key '{key}'."])  # [K]
        return json_response(200, {"id": p["id"], "key": p["key"], "name": p["name"],
                                   "issueTypes": [{"id": i, "name": n, "subtask": False} for i, n in JIRA_ISSUE_TYPES]}), {}

    # ---- control ---------------------------------------------------------------------------------
    def _c_messages(self, req: Request) -> Response:
        service = req.q("service")
        if service is not None and service not in SERVICES:
            raise ValueError(f"service must be one of {SERVICES}")
        accepted = req.q("accepted")
        with self.lock:
            out = [m for m in self.messages
                   if (service is None or m["service"] == service)
                   and (accepted is None or m["accepted"] == (accepted.lower() == "true"))]
        return json_response(200, {"messages": out})

    def _c_messages_clear(self, req: Request) -> Response:
        with self.lock:
            n = len(self.messages)
            self.messages.clear()
        return json_response(200, {"cleared": n})

    @staticmethod
    def _spec(req: Request, allowed: set[str]) -> dict[str, Any]:
        spec = req.json() or {}
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        return spec

    def _c_slack(self, req: Request) -> Response:
        with self.lock:
            if req.method == "POST":
                spec = self._spec(req, {"rate_per_sec", "hooks"})
                if "rate_per_sec" in spec:
                    rate = spec["rate_per_sec"]
                    if rate is not None and (not isinstance(rate, (int, float)) or rate <= 0):
                        raise ValueError("rate_per_sec must be a positive number or null")
                    self.slack_rate = float(rate) if rate else None
                    self.slack_last.clear()
                for hook, error in (spec.get("hooks") or {}).items():
                    if error is None:
                        self.slack_hooks.pop(hook.strip("/"), None)
                    elif error not in SLACK_ERRORS:
                        raise ValueError(f"unknown Slack error {error!r}; one of {sorted(SLACK_ERRORS)}")
                    else:
                        self.slack_hooks[hook.strip("/")] = error
            return json_response(200, {"rate_per_sec": self.slack_rate, "hooks": dict(self.slack_hooks)})

    def _c_teams(self, req: Request) -> Response:
        with self.lock:
            if req.method == "POST":
                spec = self._spec(req, {"mode", "max_version", "workflows"})
                if "mode" in spec:
                    if spec["mode"] not in ("strict", "async"):
                        raise ValueError("mode must be strict or async")
                    self.teams_mode = spec["mode"]
                if "max_version" in spec:
                    self.teams_max_version = _ac_version(spec["max_version"])
                for wf, sig in (spec.get("workflows") or {}).items():
                    if sig is None:
                        self.teams_workflows.pop(wf, None)
                    else:
                        self.teams_workflows[wf] = str(sig)
            return json_response(200, {"mode": self.teams_mode,
                                       "max_version": "%d.%d" % self.teams_max_version,
                                       "workflows": dict(self.teams_workflows)})

    def _c_webhook_secret(self, req: Request) -> Response:
        spec = self._spec(req, {"name", "secret"})
        if not isinstance(spec.get("name"), str) or not isinstance(spec.get("secret"), str) or not spec["secret"]:
            raise ValueError("name and a non-empty secret are required")
        with self.lock:
            self.webhook_secrets[spec["name"]] = spec["secret"]
        return json_response(200, {"names": sorted(self.webhook_secrets)})

    def _c_webhook(self, req: Request) -> Response:
        with self.lock:
            if req.method == "POST":
                spec = self._spec(req, {"validate_envelope", "max_skew_seconds"})
                if "validate_envelope" in spec:
                    self.webhook_validate_envelope = bool(spec["validate_envelope"])
                if "max_skew_seconds" in spec:
                    v = spec["max_skew_seconds"]
                    self.webhook_max_skew = None if v is None else float(v)
            return json_response(200, {"validate_envelope": self.webhook_validate_envelope,
                                       "max_skew_seconds": self.webhook_max_skew,
                                       "names": sorted(self.webhook_secrets)})

    def _c_webhook_deliveries(self, req: Request) -> Response:
        name = req.q("name")
        with self.lock:
            out = [dict(d) for d in self.webhook_deliveries.values() if name is None or d["name"] == name]
        return json_response(200, {"deliveries": out})

    def _c_pagerduty(self, req: Request) -> Response:
        with self.lock:
            if req.method == "POST":
                spec = self._spec(req, {"rate_per_minute", "routing_keys"})
                if "rate_per_minute" in spec:
                    v = spec["rate_per_minute"]
                    if v is not None and (not isinstance(v, (int, float)) or v <= 0):
                        raise ValueError("rate_per_minute must be a positive number or null")
                    self.pd_rate = v
                    self.pd_recent.clear()
                if "routing_keys" in spec:
                    v = spec["routing_keys"]
                    self.pd_routing_keys = None if v is None else set(v)
            return json_response(200, {"rate_per_minute": self.pd_rate,
                                       "routing_keys": None if self.pd_routing_keys is None else sorted(self.pd_routing_keys)})

    def _c_pd_incidents(self, req: Request) -> Response:
        dk = req.q("dedup_key")
        with self.lock:
            out = [dict(a, actions=list(a["actions"])) for a in self.pd_alerts if dk is None or a["dedup_key"] == dk]
        return json_response(200, {"incidents": out})

    def _sites(self, spec: dict[str, Any]) -> list[JiraSite]:
        site = spec.get("site", "both")
        if site not in ("cloud", "dc", "both"):
            raise ValueError("site must be cloud, dc or both")
        return [self.jira[s] for s in (("cloud", "dc") if site == "both" else (site,))]

    def _c_jira_user(self, req: Request) -> Response:
        spec = self._spec(req, {"email", "token", "pat"})
        with self.lock:
            if "pat" in spec:
                self.jira["dc"].pats.add(str(spec["pat"]))
            if "email" in spec or "token" in spec:
                if not spec.get("email") or not spec.get("token"):
                    raise ValueError("email and token go together")
                self.jira["cloud"].users[str(spec["email"])] = str(spec["token"])
            return json_response(200, {"users": sorted(self.jira["cloud"].users), "pats": len(self.jira["dc"].pats)})

    def _c_jira_project(self, req: Request) -> Response:
        spec = self._spec(req, {"key", "name", "site"})
        key = spec.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}", key):
            raise ValueError("key must be 2-10 upper-case letters/digits starting with a letter")  # [K] Jira key rule
        with self.lock:
            projects = [s.add_project(key, spec.get("name")) for s in self._sites(spec)]
        return json_response(200, {"projects": [{k: v for k, v in p.items() if k != "counter"} for p in projects]})

    def _c_jira_issues(self, req: Request) -> Response:
        sites = [req.q("site")] if req.q("site") else ["cloud", "dc"]
        with self.lock:
            out = [dict({k: v for k, v in i.items()}, site=s) for s in sites for i in self.jira[s].issues.values()]
        return json_response(200, {"issues": out})


if __name__ == "__main__":
    serve(NotifyReceivers())
