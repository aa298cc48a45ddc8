"""Security Hub additions to moto 5.2.5, loaded by hubble_moto.py.

Follows botocore's securityhub 2018-10-26 model (shapes, limits, error codes):
  * BatchUpdateFindings (PATCH /findings/batchupdate), which moto lacks; it never
    touches a finding's UpdatedAt.
  * GetFindings honours Filters (every AwsSecurityFindingFilters field that maps to an
    ASFF path) and SortCriteria, and pages the filtered+sorted list.
  * GetFindings/BatchImportFindings/BatchUpdateFindings answer 401 InvalidAccessException
    where EnableSecurityHub was not called (moto answered GetFindings with []).
  * BatchImportFindings: model-required fields checked, at most 100 per call, Region/
    RecordState/Workflow defaults set, and for an existing finding the customer-owned
    fields (Note, UserDefinedFields, VerificationState, Workflow, and whatever
    BatchUpdateFindings set) are kept, as the API reference documents.
Findings stay in moto's per-account, per-region backend. GetFindings and BatchUpdateFindings
see the backends SCOPE(backend) returns: only the caller's own by default; hubble_aggregation.py
widens it for administrators (member accounts) and aggregation Regions (linked Regions), with
the same filters, sorting and paging; findings keep their own AwsAccountId and Region.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import hashlib
import ipaddress
import itertools
import json
import operator
import threading
import time
from typing import Any, Callable

import botocore.session
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding

LOCK = threading.RLock()
_MODEL = botocore.session.get_session().get_service_model("securityhub")
FILTER_TYPES = {  # filter field -> "StringFilter" | "NumberFilter" | "DateFilter" | ...
    name: shape.member.name
    for name, shape in _MODEL.shape_for("AwsSecurityFindingFilters").members.items()
}
_TOP_LEVEL = set(_MODEL.shape_for("AwsSecurityFinding").members)
_EXACT = {"Type": "Types", "WorkflowStatus": "Workflow.Status",
          "RecommendationText": "Remediation.Recommendation.Text"}
_PREFIXES = [  # first match wins: filter-name prefix -> ASFF path prefix
    ("ResourceAwsEc2Instance", "Resources.Details.AwsEc2Instance."),
    ("ResourceAwsS3Bucket", "Resources.Details.AwsS3Bucket."),
    ("ResourceAwsIamAccessKey", "Resources.Details.AwsIamAccessKey."),
    ("ResourceAwsIamUser", "Resources.Details.AwsIamUser."),
    ("ResourceContainer", "Resources.Details.Container."),
    ("ResourceDetails", "Resources.Details."),
    ("ResourceOwnerAccount", "Resources.Owner.Account."),
    ("ResourceOwnerOrg", "Resources.Owner.Org."),
    ("Resource", "Resources."),
    ("ComplianceAssociatedStandards", "Compliance.AssociatedStandards.Standards"),  # ...Id
    ("ComplianceSecurityControlParameters", "Compliance.SecurityControlParameters."),
    ("Compliance", "Compliance."),
    ("FindingProviderFieldsRelatedFindings", "FindingProviderFields.RelatedFindings."),
    ("FindingProviderFieldsSeverity", "FindingProviderFields.Severity."),
    ("FindingProviderFields", "FindingProviderFields."),
    ("ThreatIntelIndicator", "ThreatIntelIndicators."),
    ("RelatedFindings", "RelatedFindings."),
    ("Vulnerabilities", "Vulnerabilities."),
    ("Severity", "Severity."), ("Malware", "Malware."), ("Network", "Network."),
    ("Process", "Process."), ("Note", "Note."),
]


def _path_of(name: str) -> list[str] | None:
    if name in _EXACT or name in _TOP_LEVEL:
        return _EXACT.get(name, name).split(".")
    for prefix, path in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return (path + name[len(prefix):]).split(".")
    return None


# Every filter field except the deprecated free-text "Keyword" maps to an ASFF path.
FIELD_PATHS = {name: _path_of(name) for name in FILTER_TYPES if name != "Keyword"}
SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
WORKFLOW_STATE = {"NEW": "NEW", "NOTIFIED": "ASSIGNED", "RESOLVED": "RESOLVED",
                  "SUPPRESSED": "DEFERRED"}  # deprecated WorkflowState kept in step
_ENUMS = {name: set(_MODEL.shape_for(name).enum) for name in
          ("SeverityLabel", "VerificationState", "WorkflowStatus", "StringFilterComparison",
           "MapFilterComparison", "SortOrder", "DateRangeUnit", "DateRangeComparison")}


def json_response(payload: Any) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps(payload)


def invalid(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@functools.lru_cache(maxsize=100_000)
def _parse_ts_cached(text: str) -> dt.datetime | None:
    try:
        ts = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)


def parse_ts(value: Any) -> dt.datetime | None:
    """ISO 8601 / RFC 3339 (Z or +hh:mm offsets) -> aware datetime; naive = UTC."""
    return _parse_ts_cached(value) if isinstance(value, str) else None


def values_at(data: Any, path: list[str]) -> list[Any]:
    """All values at an ASFF path; lists anywhere on the way (and at the end) fan out."""
    def flat(xs: list[Any]) -> list[Any]:
        return [y for x in xs for y in (x if isinstance(x, list) else [x])]
    current = [data]
    for key in path:
        current = [x.get(key) for x in flat(current) if isinstance(x, dict)]
    return [v for v in flat(current) if v is not None]


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int_in(v: Any, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _text(v: Any, max_len: int = 10**6) -> bool:
    return isinstance(v, str) and bool(v.strip()) and len(v) <= max_len


# ------------------------------------------------------------------- filters
_STR_TESTS = {"EQUALS": operator.eq, "PREFIX": str.startswith,
              "CONTAINS": lambda value, needle: needle in value}
_NEGATED = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}
_NUM_OPS = {"Eq": operator.eq, "Gte": operator.ge, "Lte": operator.le,
            "Gt": operator.gt, "Lt": operator.lt}


def _compare_matcher(field: str, entries: list[dict], is_map: bool) -> Callable[[list], bool]:
    """String/Map filters: EQUALS/PREFIX/CONTAINS are OR-ed, the negated ones AND-ed."""
    allowed = _ENUMS["MapFilterComparison" if is_map else "StringFilterComparison"]
    for e in entries:
        if e.get("Comparison") not in allowed - {"CONTAINS_WORD"} or not _text(e.get("Value")) \
                or (is_map and not _text(e.get("Key"))):
            raise invalid(f"Invalid filter for {field}: {json.dumps(e)} (CONTAINS_WORD is "
                          "only for the V2 APIs)")
    comps = {e["Comparison"] for e in entries}
    if {"CONTAINS", "NOT_CONTAINS"} <= comps or (
            "EQUALS" in comps and comps & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}):
        raise invalid(f"Filter {field} combines comparisons that cannot be combined: "
                      f"{sorted(comps)}")

    def candidates(e: dict, vals: list) -> list[str]:
        if is_map:
            vals = [d.get(e["Key"]) for d in vals if isinstance(d, dict)]
        return [v for v in vals if isinstance(v, str)]

    def hit(e: dict, comparison: str, vals: list) -> bool:
        return any(_STR_TESTS[comparison](c, e["Value"]) for c in candidates(e, vals))

    pos = [e for e in entries if e["Comparison"] in _STR_TESTS]
    neg = [e for e in entries if e["Comparison"] in _NEGATED]
    return lambda vals: (not pos or any(hit(e, e["Comparison"], vals) for e in pos)) and \
        not any(hit(e, _NEGATED[e["Comparison"]], vals) for e in neg)


def _number_matcher(field: str, entries: list[dict]) -> Callable[[list], bool]:
    for e in entries:
        if not e or set(e) - set(_NUM_OPS) or not all(_is_num(v) for v in e.values()):
            raise invalid(f"Invalid NumberFilter for {field}: {json.dumps(e)}")
    return lambda vals: any(all(_NUM_OPS[k](v, x) for k, x in e.items())
                            for e in entries for v in vals if _is_num(v))


def _date_matcher(field: str, entries: list[dict]) -> Callable[[list], bool]:
    now, preds = dt.datetime.now(dt.timezone.utc), []
    for e in entries:
        start, end, rng = parse_ts(e.get("Start")), parse_ts(e.get("End")), e.get("DateRange")
        bad = (("Start" in e and not start) or ("End" in e and not end)
               or not ({"Start", "End", "DateRange"} & set(e)) or set(e) - {"Start", "End", "DateRange"})
        if rng is not None:
            bad = bad or not isinstance(rng, dict) or not _int_in(rng.get("Value"), 0, 10**6) \
                or rng.get("Unit") not in _ENUMS["DateRangeUnit"] \
                or rng.get("Comparison", "WITHIN") not in _ENUMS["DateRangeComparison"]
        if bad:
            raise invalid(f"Invalid DateFilter for {field}: {json.dumps(e)}")
        cutoff = now - dt.timedelta(days=rng["Value"]) if rng else None
        within = not rng or rng.get("Comparison", "WITHIN") == "WITHIN"
        preds.append(lambda t, s=start, en=end, c=cutoff, w=within: (
            (s is None or t >= s) and (en is None or t <= en)
            and (c is None or (t >= c if w else t < c))))
    return lambda vals: any(p(t) for t in map(parse_ts, vals) if t for p in preds)


def _bool_matcher(field: str, entries: list[dict]) -> Callable[[list], bool]:
    if not all(isinstance(e.get("Value"), bool) for e in entries):
        raise invalid(f"Invalid BooleanFilter for {field}")
    wanted = {e["Value"] for e in entries}
    return lambda vals: any(v in wanted for v in vals if isinstance(v, bool))


def _ip_matcher(field: str, entries: list[dict]) -> Callable[[list], bool]:
    try:
        nets = [ipaddress.ip_network(e["Cidr"], strict=False) for e in entries]
    except (KeyError, TypeError, ValueError):
        raise invalid(f"Invalid IpFilter for {field}: Cidr must be an IP network")

    def inside(v: Any) -> bool:
        try:
            ip = ipaddress.ip_address(v)
        except ValueError:
            return False
        return any(ip.version == n.version and ip in n for n in nets)
    return lambda vals: any(inside(v) for v in vals if isinstance(v, str))


_MATCHERS = {
    "StringFilter": lambda f, e: _compare_matcher(f, e, is_map=False),
    "MapFilter": lambda f, e: _compare_matcher(f, e, is_map=True),
    "NumberFilter": _number_matcher, "DateFilter": _date_matcher,
    "BooleanFilter": _bool_matcher, "IpFilter": _ip_matcher,
}


def compile_filters(filters: Any) -> Callable[[dict], bool]:
    if not isinstance(filters, dict):
        raise invalid("Filters must be an AwsSecurityFindingFilters object")
    if len(filters) > 10:
        raise invalid("You can filter by up to 10 finding attributes")
    checks = []
    for field, entries in filters.items():
        if field not in FIELD_PATHS:
            raise invalid(f"Unsupported filter field: {field}")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise invalid(f"Filter {field} must be a list of {FILTER_TYPES[field]}")
        if len(entries) > 20:
            raise invalid(f"Filter {field} has more than 20 values")
        if entries:
            checks.append((FIELD_PATHS[field], _MATCHERS[FILTER_TYPES[field]](field, entries)))
    return lambda data: all(match(values_at(data, path)) for path, match in checks)


# ------------------------------------------------------------------- sorting and paging
def _sort_key(field: str) -> Callable[[dict], Any]:
    path, kind = FIELD_PATHS.get(field), FILTER_TYPES.get(field)
    if path is None or kind in ("MapFilter", "KeywordFilter"):
        raise invalid(f"Unsupported sort field: {field}")

    def key(data: dict) -> Any:
        vals = values_at(data, path)
        v = vals[0] if vals else None
        if kind == "DateFilter":
            return parse_ts(v)  # instants, whatever the offset
        if kind == "NumberFilter":
            return float(v) if _is_num(v) else None
        return v if isinstance(v, (str, bool)) else None
    return key


def sort_findings(items: list[Any], criteria: Any) -> list[Any]:
    if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
        raise invalid("SortCriteria must be a list of SortCriterion")
    for crit in reversed(criteria):  # stable sorts: the first criterion ends up primary
        order = crit.get("SortOrder", "asc")
        if order not in _ENUMS["SortOrder"]:
            raise invalid(f"SortOrder must be asc or desc, not {order!r}")
        key = _sort_key(crit.get("Field"))
        keyed = [(key(f.data), f) for f in items]
        present = sorted((p for p in keyed if p[0] is not None), key=lambda p: p[0],
                         reverse=order == "desc")
        items = [f for _, f in present] + [f for k, f in keyed if k is None]  # missing last
    return items


def page(items: list[Any], max_results: int, token: Any, query: str):
    start = 0
    if token is not None:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            if decoded["q"] != query or not _int_in(decoded["o"], 0, 10**9):
                raise ValueError("token from another query")
        except Exception:
            raise invalid("The NextToken is invalid or does not match Filters/SortCriteria")
        start = next((i for i, f in enumerate(items) if f.id == decoded["id"]), decoded["o"])
    chunk, end = items[start:start + max_results], start + max_results
    next_token = None
    if end < len(items):
        raw = json.dumps({"q": query, "id": items[end].id, "o": end}).encode()
        next_token = base64.urlsafe_b64encode(raw).decode()
    return chunk, next_token


# ------------------------------------------------------------------- operations
def _params(resp: Any) -> dict:
    try:
        body = json.loads(resp.body or "{}")
    except ValueError:
        raise invalid("The request body is not valid JSON")
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def _enabled_backend(resp: Any) -> Any:
    backend = resp.securityhub_backend
    if not backend.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException",
            f"Account {backend.account_id} is not subscribed to AWS Security Hub")
    return backend


class View:
    """A finding seen through an aggregated scope: the member's own Finding, under an id
    unique across accounts and Regions (for paging tokens)."""
    __slots__ = ("id", "finding")

    def __init__(self, backend: Any, finding: Finding):
        self.id, self.finding = f"{backend.account_id}/{backend.region_name}/{finding.id}", finding

    @property
    def data(self) -> dict:
        return self.finding.data


def own_scope(backend: Any) -> list[Any]:
    """The backends whose findings `backend`'s caller sees (hubble_aggregation replaces it:
    administrators see their members, aggregation Regions their linked Regions)."""
    return [backend]


SCOPE: Callable[[Any], list[Any]] = own_scope


def _view(backends: list[Any]) -> list[Any]:
    if len(backends) == 1:
        return backends[0].findings
    return [View(b, f) for b in backends for f in b.findings]


def _state_key(backends: list[Any]) -> tuple:
    return tuple((id(b), getattr(b, "_hubble_version", 0), id(b.findings), len(b.findings))
                 for b in backends)


def lookup(backends: list[Any], finding_id: str, product_arn: str) -> tuple[Any, Finding] | None:
    """(owning backend, finding) for a FindingIdentifier within a scope."""
    for b in backends:
        found = _index(b).get(finding_id)
        if found is not None and found.data.get("ProductArn") == product_arn:
            return b, found
    return None


_VERSIONS = itertools.count(1)


def bump(backend: Any) -> None:
    """Marks a backend's findings as changed (query caches key on it; never reused)."""
    backend._hubble_version = next(_VERSIONS)


def _index(backend: Any) -> dict[str, Finding]:
    """Id -> Finding, rebuilt when moto replaced or resized its list."""
    cached = getattr(backend, "_hubble_index", None)
    if cached is None or cached[0] is not backend.findings or len(cached[1]) != len(backend.findings):
        cached = (backend.findings, {f.id: f for f in backend.findings})
        backend._hubble_index = cached
    return cached[1]


def get_findings(self: Any) -> Any:
    backend, params = _enabled_backend(self), _params(self)
    filters, criteria = params.get("Filters") or {}, params.get("SortCriteria") or []
    max_results = params.get("MaxResults", 100)
    if not _int_in(max_results, 1, 100):
        raise invalid("MaxResults must be a number between 1 and 100")
    matches = compile_filters(filters)
    query = hashlib.sha256(json.dumps([filters, criteria], sort_keys=True).encode()).hexdigest()[:16]
    with LOCK:
        # Paging re-runs the same query: keep its result while the data (and, for
        # relative DateRange filters, the current 10-second window) stay the same.
        backends = SCOPE(backend)
        key = (query, _state_key(backends), int(time.monotonic() // 10))
        cached = getattr(backend, "_hubble_query", None)
        if cached is None or cached[0] != key:
            items = sort_findings([f for f in _view(backends) if matches(f.data)], criteria)
            cached = backend._hubble_query = (key, items)
        chunk, token = page(cached[1], max_results, params.get("NextToken"), query)
        body = {"Findings": [f.data for f in chunk], **({"NextToken": token} if token else {})}
        return json_response(body)  # serialised under the lock


_CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow", "WorkflowState")
_STRING_REQUIRED = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId",
                    "CreatedAt", "UpdatedAt", "Title", "Description")


def _import_error(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "Finding must be an object"
    missing = [k for k in _STRING_REQUIRED if not _text(data.get(k))]
    if missing:
        return f"Finding is missing required attributes: {', '.join(missing)}"
    resources = data.get("Resources")
    if not isinstance(resources, list) or not resources or not all(
            isinstance(r, dict) and _text(r.get("Type")) and _text(r.get("Id")) for r in resources):
        return "Finding must contain at least one resource (with Type and Id) in Resources"
    for key in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        if key in data and parse_ts(data[key]) is None:
            return f"{key} is not a valid ISO 8601 timestamp"
    sev = data.get("Severity")
    if isinstance(sev, dict) and "Label" not in sev and "Normalized" not in sev:
        return "Severity must have Label or Normalized"
    return _severity_error(sev)


def _severity_error(sev: Any) -> str | None:
    if sev is None:
        return None
    if not isinstance(sev, dict) or ("Label" in sev and sev["Label"] not in _ENUMS["SeverityLabel"]) \
            or ("Normalized" in sev and not _int_in(sev["Normalized"], 0, 100)) \
            or ("Product" in sev and not _is_num(sev["Product"])):
        return "Severity is invalid (Label must be a SeverityLabel, Normalized 0-100)"
    return None


def _fill_severity(sev: dict, given: dict) -> None:
    """Label <-> Normalized, as the Severity shape documents."""
    if "Label" in given and "Normalized" not in given:
        sev["Normalized"] = SEVERITY_NORMALIZED[given["Label"]]
    elif "Normalized" in given and "Label" not in given:
        n = given["Normalized"]
        sev["Label"] = ("INFORMATIONAL" if n == 0 else "LOW" if n < 40 else "MEDIUM" if n < 70
                        else "HIGH" if n < 90 else "CRITICAL")


def batch_import_findings(self: Any) -> Any:
    findings = _params(self).get("Findings")
    if not isinstance(findings, list) or not 1 <= len(findings) <= 100:
        raise invalid("Findings must be a list of 1 to 100 findings")
    backend = _enabled_backend(self)
    failed, now = [], now_iso()
    with LOCK:
        bump(backend)
        index = _index(backend)
        for data in findings:
            error = _import_error(data)
            if error:
                fid = data.get("Id") if isinstance(data, dict) else None
                failed.append({"Id": fid if isinstance(fid, str) else "",
                               "ErrorCode": "InvalidInput", "ErrorMessage": error})
                continue
            new = copy.deepcopy(data)
            new.update(Region=backend.region_name, ProcessedAt=now)
            new.setdefault("RecordState", "ACTIVE")
            if isinstance(new.get("Severity"), dict):
                _fill_severity(new["Severity"], data["Severity"])
            old = index.get(new["Id"])
            if old is None:
                new.setdefault("Workflow", {"Status": "NEW"})
                status = new["Workflow"].get("Status") if isinstance(new["Workflow"], dict) else None
                new.setdefault("WorkflowState", WORKFLOW_STATE.get(status, "NEW"))
                index[new["Id"]] = Finding(new["Id"], new)
                backend.findings.append(index[new["Id"]])
                continue
            prev = old.data
            for key in _CUSTOMER_FIELDS + tuple(getattr(old, "_hubble_updated", ())):
                new.pop(key, None)
                if key in prev:
                    new[key] = prev[key]
            # Workflow goes back to NEW when a closed issue comes back (Workflow shape docs).
            reopened = prev.get("RecordState") == "ARCHIVED" and new["RecordState"] == "ACTIVE"
            failing = (prev.get("Compliance") or {}).get("Status") == "PASSED" and \
                (new.get("Compliance") or {}).get("Status") in ("WARNING", "FAILED", "NOT_AVAILABLE")
            if (reopened or failing) and (new.get("Workflow") or {}).get("Status") in ("NOTIFIED", "RESOLVED"):
                new["Workflow"], new["WorkflowState"] = dict(new["Workflow"], Status="NEW"), "NEW"
            old.data = new
    return json_response({"FailedCount": len(failed), "FailedFindings": failed,
                          "SuccessCount": len(findings) - len(failed)})


def _update_error(p: dict) -> str | None:
    """Validates BatchUpdateFindingsRequest's optional members against the model."""
    note, sev, wf = p.get("Note"), p.get("Severity"), p.get("Workflow")
    if note is not None and not (isinstance(note, dict) and _text(note.get("Text"), 512)
                                 and _text(note.get("UpdatedBy"), 128)):
        return "Note requires Text (1-512 characters) and UpdatedBy (1-128 characters)"
    if _severity_error(sev):
        return _severity_error(sev)
    if "VerificationState" in p and p["VerificationState"] not in _ENUMS["VerificationState"]:
        return f"VerificationState must be one of {sorted(_ENUMS['VerificationState'])}"
    for key in ("Confidence", "Criticality"):
        if key in p and not _int_in(p[key], 0, 100):
            return f"{key} must be an integer from 0 to 100"
    if "Types" in p and not (isinstance(p["Types"], list) and len(p["Types"]) <= 50
                             and all(_text(t) for t in p["Types"])):
        return "Types must be a list of up to 50 non-empty strings"
    udf = p.get("UserDefinedFields")
    if udf is not None and not (isinstance(udf, dict) and len(udf) <= 50
                                and all(_text(k) and _text(v) for k, v in udf.items())):
        return "UserDefinedFields must map up to 50 non-empty strings to non-empty strings"
    if wf is not None and not (isinstance(wf, dict) and wf.get("Status", "NEW") in _ENUMS["WorkflowStatus"]):
        return f"Workflow.Status must be one of {sorted(_ENUMS['WorkflowStatus'])}"
    rel = p.get("RelatedFindings")
    if rel is not None and not (isinstance(rel, list) and len(rel) <= 10 and all(
            isinstance(r, dict) and _text(r.get("Id")) and _text(r.get("ProductArn")) for r in rel)):
        return "RelatedFindings must be up to 10 objects with Id and ProductArn"
    return None


def _apply_update(finding: Finding, p: dict, now: str) -> None:
    data, touched = finding.data, set(getattr(finding, "_hubble_updated", ()))
    if "Note" in p:
        data["Note"] = {"Text": p["Note"]["Text"], "UpdatedBy": p["Note"]["UpdatedBy"], "UpdatedAt": now}
    if "Severity" in p:
        data["Severity"] = dict(data.get("Severity") or {}, **p["Severity"])
        _fill_severity(data["Severity"], p["Severity"])
        touched.add("Severity")
    if "Status" in (p.get("Workflow") or {}):
        data["Workflow"] = dict(data.get("Workflow") or {}, Status=p["Workflow"]["Status"])
        data["WorkflowState"] = WORKFLOW_STATE[p["Workflow"]["Status"]]
    if "UserDefinedFields" in p:
        data["UserDefinedFields"] = dict(data.get("UserDefinedFields") or {}, **p["UserDefinedFields"])
    if "VerificationState" in p:
        data["VerificationState"] = p["VerificationState"]
    for key in ("Confidence", "Criticality", "Types", "RelatedFindings"):
        if key in p:
            data[key] = copy.deepcopy(p[key])
            touched.add(key)
    finding._hubble_updated = touched  # provider re-imports may no longer change these


def batch_update_findings(self: Any) -> Any:
    p = _params(self)
    idents = p.get("FindingIdentifiers")
    if not isinstance(idents, list) or not 1 <= len(idents) <= 100:
        raise invalid("FindingIdentifiers must list 1 to 100 findings")
    if not all(isinstance(i, dict) and _text(i.get("Id")) and _text(i.get("ProductArn")) for i in idents):
        raise invalid("Each FindingIdentifier requires Id and ProductArn")
    error = _update_error(p)
    if error:
        raise invalid(error)
    backend = _enabled_backend(self)
    processed, unprocessed, seen, now = [], [], set(), now_iso()
    with LOCK:
        backends = SCOPE(backend)  # an administrator updates its members' findings too
        for ident in idents:
            ident = {"Id": ident["Id"], "ProductArn": ident["ProductArn"]}
            found = lookup(backends, ident["Id"], ident["ProductArn"])
            if (ident["Id"], ident["ProductArn"]) in seen:
                code, message = "DuplicatedFindingIdentifier", "Finding Identifier is duplicated"
            elif found is None:
                code, message = "FindingNotFound", "Finding Not Found"
            else:
                bump(found[0])
                _apply_update(found[1], p, now)  # UpdatedAt deliberately untouched
                seen.add((ident["Id"], ident["ProductArn"]))
                processed.append(ident)
                continue
            unprocessed.append({"FindingIdentifier": ident, "ErrorCode": code, "ErrorMessage": message})
    return json_response({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


def install() -> None:
    from moto.securityhub import urls
    from moto.securityhub.responses import SecurityHubResponse

    urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch
    SecurityHubResponse.get_findings = get_findings
    SecurityHubResponse.batch_import_findings = batch_import_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings
