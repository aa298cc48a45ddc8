"""Security Hub standards and controls for moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

moto has no standards or controls. Following botocore's securityhub 2018-10-26 model (restJson1;
request/response shapes, limits, error codes) this adds:
  * BatchEnableStandards, BatchDisableStandards, GetEnabledStandards, DescribeStandards;
  * DescribeStandardsControls and UpdateStandardsControl (the per-standard view);
  * ListSecurityControlDefinitions and ListStandardsControlAssociations (the consolidated view).
The catalogue (standards, ~35 real controls with ids, titles, severities, the standards that
include them and their standard-specific ids) is standards.json, whose "_source" says where it
comes from. Subscriptions and control states live in moto's per-account, per-region backend, so
they exist only where enabled and POST /moto-api/reset wipes them. EnableSecurityHub subscribes
FSBP and CIS v1.2.0 unless EnableDefaultStandards is false, as AWS does, and remembers
ControlFindingGenerator for DescribeHub; DisableSecurityHub drops the subscriptions.
Every operation answers 401 InvalidAccessException where the hub is not enabled. Test-only control
endpoint (unsigned, not AWS), since AWS may return fewer items than MaxResults with a NextToken:

    POST   /_hubble/standards/paging {"max_page": 2}  -> every list operation here returns at most
                                                          2 items a page, whatever MaxResults says
    GET    /_hubble/standards/paging -> {"max_page": 2 | null};  DELETE -> back to MaxResults

(server-wide; /moto-api/reset leaves it). Simplified: BatchEnableStandards answers PENDING but the
subscription is READY at once. As on AWS, disabling a control in one standard
(UpdateStandardsControl) leaves it enabled in the others.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import threading
import urllib.parse
from typing import Any

import botocore.session
from moto.securityhub.exceptions import SecurityHubClientError

LOCK = threading.RLock()
_MODEL = botocore.session.get_session().get_service_model("securityhub")
CONTROL_STATUSES = set(_MODEL.shape_for("ControlStatus").enum)  # ENABLED, DISABLED
PROVIDERS = set(_MODEL.shape_for("StandardsProvider").enum)
DEFAULT_STANDARDS = ("fsbp", "cis-1.2")  # what EnableSecurityHub turns on (API reference)
GENERATORS = set(_MODEL.shape_for("ControlFindingGenerator").enum)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "standards.json")) as _table:
    TABLE: dict[str, Any] = json.load(_table)
STANDARDS: dict[str, dict] = {s["key"]: s for s in TABLE["standards"]}


def _natural(control_id: str) -> tuple:
    """S3.2 before S3.10, as the console lists them."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", control_id))


CONTROLS: list[dict] = sorted(TABLE["controls"], key=lambda c: _natural(c["id"]))
BY_ID: dict[str, dict] = {c["id"]: c for c in CONTROLS}


def invalid(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def not_found(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("ResourceNotFoundException", message)


def _json(payload: Any) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps(payload)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ------------------------------------------------------------------- catalogue helpers
def standards_arn(key: str, region: str) -> str:
    return STANDARDS[key]["arn"].format(region=region)


def _path(key: str) -> str:
    """`aws-foundational-security-best-practices/v/1.0.0`: the ARN resource after standards/ or ruleset/."""
    return STANDARDS[key]["arn"].split(":", 5)[5].split("/", 1)[1]


def subscription_arn(key: str, region: str, account: str) -> str:
    return f"arn:aws:securityhub:{region}:{account}:subscription/{_path(key)}"


def standard_control_id(control: dict, key: str) -> str:
    return control["standards"][key].get("id", control["id"])


def requirements(control: dict, key: str) -> list[str]:
    prefix = STANDARDS[key]["prefix"] or ""
    return [prefix + r for r in control["standards"][key].get("req", [])]


def _remediation_url(control: dict) -> str:
    return f"https://docs.aws.amazon.com/console/securityhub/{control['id']}/remediation"


def _standard_for_arn(arn: Any, region: str) -> str | None:
    return next((k for k in STANDARDS if standards_arn(k, region) == arn), None)


def controls_of(key: str) -> list[dict]:
    return [c for c in CONTROLS if key in c["standards"]]


# ------------------------------------------------------------------- per-backend state
def _state(backend: Any) -> dict[str, Any]:
    """subs: standard key -> {"input", "at"} (insertion order = enable order);
    controls: (standard key, security control id) -> {"status", "reason", "at"}."""
    state = getattr(backend, "_hubble_standards", None)
    if state is None:
        state = backend._hubble_standards = {"subs": {}, "controls": {}, "generator": "SECURITY_CONTROL"}
    return state


def _enabled_backend(resp: Any) -> Any:
    backend = resp.securityhub_backend
    if not backend.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException",
            f"Account {backend.account_id} is not subscribed to AWS Security Hub")
    return backend


def _subscribe(backend: Any, key: str, inputs: dict[str, str]) -> None:
    state = _state(backend)
    if key not in state["subs"]:
        state["subs"][key] = {"input": dict(inputs), "at": _now()}


def _subscription(backend: Any, key: str, status: str = "READY") -> dict[str, Any]:
    sub = _state(backend)["subs"][key]
    return {"StandardsSubscriptionArn": subscription_arn(key, backend.region_name, backend.account_id),
            "StandardsArn": standards_arn(key, backend.region_name),
            "StandardsInput": dict(sub["input"]), "StandardsStatus": status,
            "StandardsControlsUpdatable":
                "READY_FOR_UPDATES" if status == "READY" else "NOT_READY_FOR_UPDATES"}


def _control_state(backend: Any, key: str, control: dict) -> dict[str, Any]:
    state = _state(backend)
    default = {"status": "ENABLED", "reason": None, "at": state["subs"][key]["at"]}
    return state["controls"].get((key, control["id"]), default)


# ------------------------------------------------------------------- request parsing
def _body(resp: Any) -> dict[str, Any]:
    try:
        body = json.loads(resp.body or "{}")
    except ValueError:
        raise invalid("The request body is not valid JSON")
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def _query(resp: Any) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in (resp.querystring or {}).items()}


def _uri_label(resp: Any, name: str) -> str:
    value = (getattr(resp, "uri_match", None) or {}).get(name)
    if not value:  # fall back to the raw path (greedy label: everything after the prefix)
        value = resp.path.split("/", 3)[-1] if resp.path else ""
    return urllib.parse.unquote(value)


def _max_results(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid("MaxResults must be a number between 1 and 100")
    if isinstance(value, bool) or not 1 <= number <= 100:
        raise invalid("MaxResults must be a number between 1 and 100")
    return number


def _providers(values: Any) -> set[str]:
    if values is None:
        return set(PROVIDERS)
    if not isinstance(values, list) or not all(v in PROVIDERS for v in values):
        raise invalid(f"Providers must be a list of {sorted(PROVIDERS)}")
    return set(values)


_PAGING: dict[str, int | None] = {"max_page": None}


def control_paging(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "POST":
        cap = body.get("max_page") if isinstance(body, dict) else None
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1 or set(body) != {"max_page"}:
            raise ValueError("body must be {\"max_page\": <integer >= 1>}")
        _PAGING["max_page"] = cap
    elif method == "DELETE":
        _PAGING["max_page"] = None
    elif method != "GET":
        return 405, {"message": f"method {method} not allowed"}
    return 200, dict(_PAGING)


CONTROL_ROUTES = {"/_hubble/standards/paging": control_paging}


def _page(items: list[Any], max_results: int, token: Any, query: Any) -> tuple[list[Any], str | None]:
    """Offset tokens bound to the query that made them (another query's token is refused)."""
    if _PAGING["max_page"] is not None:
        max_results = min(max_results, _PAGING["max_page"])
    digest = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]
    start = 0
    if token not in (None, ""):
        try:
            decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            if decoded["q"] != digest or not isinstance(decoded["o"], int) or decoded["o"] < 0:
                raise ValueError
            start = decoded["o"]
        except Exception:
            raise invalid("The NextToken is invalid or was issued for another request")
    end = start + max_results
    next_token = None
    if end < len(items):
        next_token = base64.urlsafe_b64encode(json.dumps({"q": digest, "o": end}).encode()).decode()
    return items[start:end], next_token


def _with_token(payload: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        payload["NextToken"] = token
    return payload


def _arn_list(value: Any, field: str, required: bool) -> list[str] | None:
    if value is None and not required:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 25 or not all(
            isinstance(v, str) and v.strip() for v in value):
        raise invalid(f"{field} must be a list of 1 to 25 non-empty strings")
    return value


# ------------------------------------------------------------------- standards operations
def batch_enable_standards(self: Any) -> Any:
    requests = _body(self).get("StandardsSubscriptionRequests")
    if not isinstance(requests, list) or not 1 <= len(requests) <= 25:
        raise invalid("StandardsSubscriptionRequests must list 1 to 25 requests")
    backend = _enabled_backend(self)
    wanted: list[tuple[str, dict]] = []
    for req in requests:
        if not isinstance(req, dict) or not isinstance(req.get("StandardsArn"), str):
            raise invalid("Each StandardsSubscriptionRequest requires StandardsArn")
        inputs = req.get("StandardsInput") or {}
        if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
            raise invalid("StandardsInput must map strings to strings")
        key = _standard_for_arn(req["StandardsArn"], backend.region_name)
        if key is None:
            raise invalid(f"StandardsArn {req['StandardsArn']} is not a standard supported in "
                          f"{backend.region_name}")
        wanted.append((key, inputs))
    with LOCK:
        subs = _state(backend)["subs"]
        out = []
        for key, inputs in wanted:
            fresh = key not in subs
            _subscribe(backend, key, inputs)
            out.append(_subscription(backend, key, "PENDING" if fresh else "READY"))
    return _json({"StandardsSubscriptions": out})


def _key_for_subscription(backend: Any, arn: str) -> str | None:
    return next((k for k in _state(backend)["subs"]
                 if subscription_arn(k, backend.region_name, backend.account_id) == arn), None)


def batch_disable_standards(self: Any) -> Any:
    arns = _arn_list(_body(self).get("StandardsSubscriptionArns"), "StandardsSubscriptionArns", True)
    backend = _enabled_backend(self)
    with LOCK:
        keys = [_key_for_subscription(backend, arn) for arn in arns]
        missing = [arn for arn, key in zip(arns, keys) if key is None]
        if missing:
            raise invalid(f"No standards subscription {missing[0]} in this account and Region")
        out = []
        state = _state(backend)
        for key in dict.fromkeys(keys):
            out.append(_subscription(backend, key, "DELETING"))
            del state["subs"][key]
            state["controls"] = {k: v for k, v in state["controls"].items() if k[0] != key}
    return _json({"StandardsSubscriptions": out})


def get_enabled_standards(self: Any) -> Any:
    body = _body(self)
    arns = _arn_list(body.get("StandardsSubscriptionArns"), "StandardsSubscriptionArns", False)
    max_results = _max_results(body.get("MaxResults"), 100)
    providers = _providers(body.get("Providers"))
    backend = _enabled_backend(self)
    with LOCK:
        subs = [_subscription(backend, k) for k in _state(backend)["subs"]]
    subs = [s for s in subs if arns is None or s["StandardsSubscriptionArn"] in arns]
    subs = subs if "AWS" in providers else []
    chunk, token = _page(subs, max_results, body.get("NextToken"),
                         ["GetEnabledStandards", arns, sorted(providers)])
    return _json(_with_token({"StandardsSubscriptions": chunk}, token))


def describe_standards(self: Any) -> Any:
    query = _query(self)
    max_results = _max_results((query.get("MaxResults") or [None])[-1], 100)
    providers = _providers(query.get("Providers"))
    backend = _enabled_backend(self)
    items = [{"StandardsArn": standards_arn(k, backend.region_name), "Name": s["name"],
              "Description": s["description"], "EnabledByDefault": s["enabled_by_default"]}
             for k, s in STANDARDS.items()] if "AWS" in providers else []
    chunk, token = _page(items, max_results, (query.get("NextToken") or [None])[-1],
                         ["DescribeStandards", sorted(providers)])
    return _json(_with_token({"Standards": chunk}, token))


# ------------------------------------------------------------------- per-standard controls
def _standards_control(backend: Any, key: str, control: dict) -> dict[str, Any]:
    state = _control_state(backend, key, control)
    item = {
        "StandardsControlArn": f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:"
                               f"control/{_path(key)}/{standard_control_id(control, key)}",
        "ControlStatus": state["status"], "ControlStatusUpdatedAt": state["at"],
        "ControlId": standard_control_id(control, key), "Title": control["title"],
        "Description": control["description"], "RemediationUrl": _remediation_url(control),
        "SeverityRating": control["severity"], "RelatedRequirements": requirements(control, key),
    }
    if state["reason"]:
        item["DisabledReason"] = state["reason"]
    return item


def describe_standards_controls(self: Any) -> Any:
    arn = _uri_label(self, "StandardsSubscriptionArn")
    query = _query(self)
    max_results = _max_results((query.get("MaxResults") or [None])[-1], 100)
    backend = _enabled_backend(self)
    with LOCK:
        key = _key_for_subscription(backend, arn)
        if key is None:
            raise not_found(f"No standards subscription {arn} in this account and Region")
        ordered = sorted(controls_of(key), key=lambda c: _natural(standard_control_id(c, key)))
        items = [_standards_control(backend, key, c) for c in ordered]
    chunk, token = _page(items, max_results, (query.get("NextToken") or [None])[-1],
                         ["DescribeStandardsControls", arn])
    return _json(_with_token({"Controls": chunk}, token))


def update_standards_control(self: Any) -> Any:
    arn = _uri_label(self, "StandardsControlArn")
    body = _body(self)
    status, reason = body.get("ControlStatus"), body.get("DisabledReason")
    if status not in CONTROL_STATUSES:
        raise invalid(f"ControlStatus must be one of {sorted(CONTROL_STATUSES)}")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise invalid("DisabledReason must be a non-empty string")
    if status == "DISABLED" and reason is None:
        raise invalid("DisabledReason is required when you disable a control")
    backend = _enabled_backend(self)
    prefix = f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:control/"
    with LOCK:
        found = None
        for key in _state(backend)["subs"] if arn.startswith(prefix) else ():
            for control in controls_of(key):
                if arn == f"{prefix}{_path(key)}/{standard_control_id(control, key)}":
                    found = (key, control)
        if found is None:
            raise not_found(f"No standards control {arn} in an enabled standard of this account "
                            "and Region")
        key, control = found
        _state(backend)["controls"][(key, control["id"])] = {
            "status": status, "reason": reason, "at": _now()}
    return _json({})


# ------------------------------------------------------------------- consolidated controls view
def list_security_control_definitions(self: Any) -> Any:
    query = _query(self)
    std_arn = (query.get("StandardsArn") or [None])[-1]
    max_results = _max_results((query.get("MaxResults") or [None])[-1], 25)
    providers = _providers(query.get("Providers"))
    backend = _enabled_backend(self)
    controls = CONTROLS
    if std_arn is not None:
        key = _standard_for_arn(std_arn, backend.region_name)
        if key is None:
            raise invalid(f"StandardsArn {std_arn} is not a standard supported in "
                          f"{backend.region_name}")
        controls = controls_of(key)
    items = [{"SecurityControlId": c["id"], "Title": c["title"], "Description": c["description"],
              "RemediationUrl": _remediation_url(c), "SeverityRating": c["severity"],
              "CurrentRegionAvailability": "AVAILABLE", "CustomizableProperties": []}
             for c in controls] if "AWS" in providers else []
    chunk, token = _page(items, max_results, (query.get("NextToken") or [None])[-1],
                         ["ListSecurityControlDefinitions", std_arn, sorted(providers)])
    return _json(_with_token({"SecurityControlDefinitions": chunk}, token))


def list_standards_control_associations(self: Any) -> Any:
    query = _query(self)
    wanted = (query.get("SecurityControlId") or [None])[-1]
    max_results = _max_results((query.get("MaxResults") or [None])[-1], 25)
    if not wanted or not wanted.strip():
        raise invalid("SecurityControlId is required")
    backend = _enabled_backend(self)
    arn_prefix = f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:security-control/"
    control = BY_ID.get(wanted[len(arn_prefix):] if wanted.startswith(arn_prefix) else wanted)
    if control is None:
        raise invalid(f"SecurityControlId {wanted} is not a security control in "
                      f"{backend.region_name}")
    items = []
    with LOCK:
        for key in _state(backend)["subs"]:
            if key not in control["standards"]:
                continue
            state = _control_state(backend, key, control)
            item = {"StandardsArn": standards_arn(key, backend.region_name),
                    "SecurityControlId": control["id"],
                    "SecurityControlArn": arn_prefix + control["id"],
                    "AssociationStatus": state["status"],
                    "RelatedRequirements": requirements(control, key),
                    "UpdatedAt": state["at"], "StandardsControlTitle": control["title"],
                    "StandardsControlDescription": control["description"]}
            if state["reason"]:
                item["UpdatedReason"] = state["reason"]
            items.append(item)
    chunk, token = _page(items, max_results, (query.get("NextToken") or [None])[-1],
                         ["ListStandardsControlAssociations", control["id"]])
    return _json(_with_token({"StandardsControlAssociationSummaries": chunk}, token))


# ------------------------------------------------------------------- install
_ROUTES = {  # moto url_paths regex ({0} = url base) -> the operation botocore routes there
    "{0}/standards$": "DescribeStandards",
    "{0}/standards/register$": "BatchEnableStandards",
    "{0}/standards/deregister$": "BatchDisableStandards",
    "{0}/standards/get$": "GetEnabledStandards",
    "{0}/standards/controls/(?P<StandardsSubscriptionArn>.+)$": "DescribeStandardsControls",
    "{0}/standards/control/(?P<StandardsControlArn>.+)$": "UpdateStandardsControl",
    "{0}/securityControls/definitions$": "ListSecurityControlDefinitions",
    "{0}/associations$": "ListStandardsControlAssociations",
}


def install() -> None:
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse as R

    for path in _ROUTES:
        urls.url_paths[path] = R.dispatch
    R.batch_enable_standards = batch_enable_standards
    R.batch_disable_standards = batch_disable_standards
    R.get_enabled_standards = get_enabled_standards
    R.describe_standards = describe_standards
    R.describe_standards_controls = describe_standards_controls
    R.update_standards_control = update_standards_control
    R.list_security_control_definitions = list_security_control_definitions
    R.list_standards_control_associations = list_standards_control_associations

    original_enable = R.enable_security_hub

    def enable_security_hub(self: Any) -> Any:
        params = _body(self)
        generator = params.get("ControlFindingGenerator", "SECURITY_CONTROL")
        if generator not in GENERATORS:
            raise invalid(f"ControlFindingGenerator must be one of {sorted(GENERATORS)}")
        backend = self.securityhub_backend
        was_enabled = backend.enabled
        result = original_enable(self)
        if not was_enabled:
            with LOCK:
                state = _state(backend)
                state.update(subs={}, controls={}, generator=generator)
                if params.get("EnableDefaultStandards", True) is not False:
                    for key in DEFAULT_STANDARDS:
                        _subscribe(backend, key, {})
        return result

    R.enable_security_hub = enable_security_hub

    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self: Any) -> Any:
        result = original_disable(self)
        with LOCK:
            _state(self).update(subs={}, controls={})
        return result

    SecurityHubBackend.disable_security_hub = disable_security_hub

    original_describe = SecurityHubBackend.describe_hub

    def describe_hub(self: Any, hub_arn: str | None = None) -> Any:
        hub = original_describe(self, hub_arn=hub_arn)
        hub["ControlFindingGenerator"] = _state(self)["generator"]
        return hub

    SecurityHubBackend.describe_hub = describe_hub
