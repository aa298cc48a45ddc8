"""Security Hub v2 (OCSF findings) for moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

moto has none of it. Following botocore's securityhub 2018-10-26 model (restJson1):
  * EnableSecurityHubV2 (POST /hubv2, Tags) -> HubV2Arn; DescribeSecurityHubV2 (GET /hubv2)
    -> HubV2Arn, SubscribedAt, or 404 ResourceNotFoundException where not enabled;
    DisableSecurityHubV2 (DELETE /hubv2) drops the hub and its findings (no-op when disabled).
    v2 is enabled per account and Region, independently of EnableSecurityHub (v1).
  * GetFindingsV2 (POST /findingsv2): Filters {CompositeFilters (<= 10), CompositeOperator
    AND|OR (default AND)}; each CompositeFilter has String/Date/Boolean/Number/Map/IpFilters
    (<= 20 each; FieldName from the model's Ocsf*Field enums = the OCSF JSON path, lists fan
    out), NestedCompositeFilters (one level deeper, no further) and Operator AND|OR (default
    AND), which combines every filter and nested composite in it. Strings: EQUALS, PREFIX,
    CONTAINS, CONTAINS_WORD (a whole word, any case) match when some value matches;
    NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS when none does. Maps (resources.tags...) take
    {"k": "v"} objects or OCSF [{"name", "value"}] lists. Dates: Start/End/DateRange (DAYS,
    WITHIN|OLDER_THAN). SortCriteria (Field = any filterable field; missing values last),
    MaxResults 1-100 (default 100), NextToken bound to its query; default order = import order.
    Scopes (AwsOrganizations <= 10, OR-ed) only for the delegated administrator (else 403
    AccessDeniedException); see hubble_aggregation.py.
  * BatchUpdateFindingsV2 (PATCH /findingsv2/batchupdatev2): MetadataUids (<= 100) or
    FindingIdentifiers (<= 100, not both), Comment (1-512), SeverityId [0-6, 99], StatusId
    [0-5, 99] (severity / status strings follow). ProcessedFindings name both MetadataUid and
    FindingIdentifier; UnprocessedFindings ErrorCode ResourceNotFoundException (no such
    finding) or ValidationException (duplicate). finding_info.modified_time(_dt) and
    time(_dt) are never touched. Fields set here survive a provider's re-import.
  * GetFindingStatisticsV2 (POST /findingsv2/statistics): GroupByRules (1-5; GroupByField
    enum, optional Filters), SortOrder (by count, default desc), MaxStatisticResults 1-400
    (default 400); a finding counts once per distinct value of a list field.
Where v2 is not enabled, GetFindingsV2 / BatchUpdateFindingsV2 / GetFindingStatisticsV2 answer
HTTP 403 AccessDeniedException (NOT_ENABLED below): the only "no access" error those operations
list in the model (no InvalidAccessException, no ResourceNotFoundException there); only
DescribeSecurityHubV2 lists ResourceNotFoundException. Invalid input is 400 ValidationException.
Findings live in moto's per-account, per-Region Security Hub backend (POST /moto-api/reset
wipes them). Rate limits are not enforced. Test-only control endpoint (unsigned, not AWS):

    POST /_hubble/securityhub/v2/findings {"account"?: "...", "region"?: "...", "findings": [OCSF]}
         -> {"imported": N, "created": C, "updated": U}
    GET  /_hubble/securityhub/v2/findings?account=&region= -> {"findings": [...]}

Each finding goes to its cloud.account.uid / cloud.region (account/region, when given, must
agree). Required: class_uid (2001-2007), severity_id, metadata.uid, metadata.product.uid and
.name, finding_info.uid and .title, cloud.account.uid (12 digits), cloud.region; *_time_dt
must be ISO 8601. Filled in when missing: class_name, category_uid/name, activity_id/name,
type_uid/name, severity, status_id (1 New)/status, finding_info.created_time_dt (now),
modified_time_dt (= created), time_dt (= modified), the epoch-ms *_time twins,
metadata.version, cloud.provider. The same metadata.uid overwrites (all or nothing: one
invalid finding -> 400 and nothing imported). Examples: ocsf_examples.json. The import works
whether or not v2 is enabled; the API only shows findings once it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import re
import time
import uuid
from typing import Any, Callable

import botocore.session
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding

import hubble_securityhub as v1

LOCK = v1.LOCK
_MODEL = botocore.session.get_session().get_service_model("securityhub")
_ENUM = lambda name: list(_MODEL.shape_for(name).enum)  # noqa: E731
FIELDS = {"StringFilters": set(_ENUM("OcsfStringField")), "DateFilters": set(_ENUM("OcsfDateField")),
          "BooleanFilters": set(_ENUM("OcsfBooleanField")), "NumberFilters": set(_ENUM("OcsfNumberField")),
          "MapFilters": set(_ENUM("OcsfMapField")), "IpFilters": set(_ENUM("OcsfIpField"))}
SORTABLE = FIELDS["StringFilters"] | FIELDS["DateFilters"] | FIELDS["NumberFilters"] | FIELDS["BooleanFilters"]
GROUP_BY = set(_ENUM("GroupByField"))
STRING_CMP, MAP_CMP = set(_ENUM("StringFilterComparison")), set(_ENUM("MapFilterComparison"))
SEVERITY = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical",
            6: "Fatal", 99: "Other"}
STATUS = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived",
          99: "Other"}
CLASSES = {2001: "Security Finding", 2002: "Vulnerability Finding", 2003: "Compliance Finding",
           2004: "Detection Finding", 2005: "Incident Finding", 2006: "Data Security Finding",
           2007: "Application Security Posture Finding"}
ACTIVITIES = {0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}
NOT_ENABLED = ("Security Hub is not enabled for account {account} in Region {region}. "
               "Call EnableSecurityHubV2 to use the Security Hub V2 APIs.")
_TAG_KEY = re.compile(r"^(?!aws:)[a-zA-Z+\-=._:/]+$")
_VERSIONS = itertools.count(1)  # data versions, never reused (query caches key on them)


def validation(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("ValidationException", message)


def v2_operation(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The v1 helpers reused here raise InvalidInputException: the v2 APIs say ValidationException."""
    @functools.wraps(func)
    def wrapper(self: Any) -> Any:
        try:
            return func(self)
        except SecurityHubClientError as err:
            if err.code == "InvalidInputException":
                raise validation(err.message) from None
            raise
    return wrapper


# ------------------------------------------------------------------- per-backend state
def state(backend: Any) -> dict[str, Any]:
    st = getattr(backend, "_hubble_v2", None)
    if st is None:
        st = backend._hubble_v2 = {"arn": None, "subscribed_at": None, "findings": {},
                                   "version": next(_VERSIONS)}
    return st


def enabled(backend: Any) -> bool:
    return state(backend)["arn"] is not None


def own_scope(backend: Any) -> list[Any]:
    """Backends whose v2 findings the caller sees (hubble_aggregation replaces it)."""
    return [backend]


def no_scopes(backend: Any, scopes: Any) -> list[Any]:
    """Scopes: only a delegated administrator may use them (hubble_aggregation replaces it)."""
    raise SecurityHubClientError("AccessDeniedException",
                                 "Only the delegated administrator account can use Scopes.")


SCOPE: Callable[[Any], list[Any]] = own_scope
SCOPES: Callable[[Any, Any], list[Any]] = no_scopes


def _enabled_backend(resp: Any) -> Any:
    backend = resp.securityhub_backend
    if not enabled(backend):
        raise SecurityHubClientError("AccessDeniedException", NOT_ENABLED.format(
            account=backend.account_id, region=backend.region_name))
    return backend


def _body(resp: Any) -> dict[str, Any]:
    try:
        body = json.loads(resp.body or "{}")
    except ValueError:
        raise validation("The request body is not valid JSON")
    if not isinstance(body, dict):
        raise validation("The request body must be a JSON object")
    return body


def _json(payload: Any) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps(payload)


def _view(backends: list[Any]) -> list[Any]:
    if len(backends) == 1:
        return list(state(backends[0])["findings"].values())
    return [v1.View(b, f) for b in backends for f in state(b)["findings"].values()]


def _int_in(value: Any, allowed: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in allowed


# ------------------------------------------------------------------- filters
def _word(value: str, needle: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", value, re.IGNORECASE) is not None


_STR = {"EQUALS": lambda v, n: v == n, "PREFIX": str.startswith,
        "CONTAINS": lambda v, n: n in v, "CONTAINS_WORD": _word}
_NEG = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}


def _string_pred(field: str, f: dict) -> Callable[[dict], bool]:
    value, cmp = f.get("Value"), f.get("Comparison")
    if cmp not in STRING_CMP or not isinstance(value, str) or not value.strip() or set(f) - {"Value", "Comparison"}:
        raise validation(f"Invalid StringFilter for {field}: {json.dumps(f)}")
    path, test = field.split("."), _STR[_NEG.get(cmp, cmp)]
    hit = lambda d: any(test(v, value) for v in v1.values_at(d, path) if isinstance(v, str))  # noqa: E731
    return (lambda d: not hit(d)) if cmp in _NEG else hit


def _maps(data: dict, path: list[str]) -> list[dict]:
    """A map field's values as dicts: {"k": "v"} objects or OCSF [{"name", "value"}] lists."""
    out = []
    for holder in v1.values_at(data, path[:-1]) if len(path) > 1 else [data]:
        raw = holder.get(path[-1]) if isinstance(holder, dict) else None
        if isinstance(raw, dict):
            out.append(raw)
        elif isinstance(raw, list):
            out.append({kv.get("name"): kv.get("value") for kv in raw if isinstance(kv, dict)})
    return out


def _map_pred(field: str, f: dict) -> Callable[[dict], bool]:
    key, value, cmp = f.get("Key"), f.get("Value"), f.get("Comparison")
    if cmp not in MAP_CMP or not all(isinstance(x, str) and x.strip() for x in (key, value)):
        raise validation(f"Invalid MapFilter for {field}: {json.dumps(f)}")
    path, test = field.split("."), _STR[_NEG.get(cmp, cmp)]
    hit = lambda d: any(isinstance(m.get(key), str) and test(m[key], value)  # noqa: E731
                        for m in _maps(d, path))
    return (lambda d: not hit(d)) if cmp in _NEG else hit


def _reuse(matcher: Callable[[str, list], Callable[[list], bool]]) -> Callable[[str, dict], Callable]:
    """A v1 matcher (hubble_securityhub) for one v2 filter on an OCSF path."""
    def make(field: str, f: dict) -> Callable[[dict], bool]:
        match, path = matcher(field, [f]), field.split(".")
        return lambda d: match(v1.values_at(d, path))
    return make


_PREDICATES = {"StringFilters": _string_pred, "MapFilters": _map_pred,
               "DateFilters": _reuse(v1._date_matcher), "NumberFilters": _reuse(v1._number_matcher),
               "BooleanFilters": _reuse(v1._bool_matcher), "IpFilters": _reuse(v1._ip_matcher)}
_COMPOSITE_KEYS = set(_PREDICATES) | {"NestedCompositeFilters", "Operator"}


def _operator(value: Any, what: str) -> Callable[[Any], bool]:
    if value not in (None, "AND", "OR"):
        raise validation(f"{what} must be AND or OR, not {value!r}")
    return any if value == "OR" else all


def _composite(c: Any, nested: bool) -> Callable[[dict], bool]:
    if not isinstance(c, dict) or set(c) - _COMPOSITE_KEYS:
        raise validation(f"Invalid CompositeFilter: {json.dumps(c)[:300]}")
    combine, preds = _operator(c.get("Operator"), "Operator"), []
    for kind, make in _PREDICATES.items():
        entries = c.get(kind) or []
        if not isinstance(entries, list) or len(entries) > 20:
            raise validation(f"{kind} must be a list of up to 20 filters")
        for e in entries:
            if not isinstance(e, dict) or e.get("FieldName") not in FIELDS[kind] \
                    or not isinstance(e.get("Filter"), dict):
                raise validation(f"Invalid {kind} entry: {json.dumps(e)[:300]} (FieldName must be "
                                 f"one of the model's values for {kind})")
            preds.append(make(e["FieldName"], e["Filter"]))
    inner = c.get("NestedCompositeFilters") or []
    if inner and nested:
        raise validation("NestedCompositeFilters cannot be nested more than one level")
    if not isinstance(inner, list) or len(inner) > 10:
        raise validation("NestedCompositeFilters must be a list of up to 10 composite filters")
    preds += [_composite(n, True) for n in inner]
    return lambda d: not preds or combine(p(d) for p in preds)  # empty: no condition


def compile_filters(filters: Any) -> Callable[[dict], bool]:
    if filters is None:
        return lambda d: True
    if not isinstance(filters, dict) or set(filters) - {"CompositeFilters", "CompositeOperator"}:
        raise validation("Filters must be an OcsfFindingFilters object")
    composites = filters.get("CompositeFilters") or []
    if not isinstance(composites, list) or len(composites) > 10:
        raise validation("You can filter by up to 10 composite filters")
    combine = _operator(filters.get("CompositeOperator"), "CompositeOperator")
    preds = [_composite(c, False) for c in composites]
    return lambda d: not preds or combine(p(d) for p in preds)


def sort_findings(items: list[Any], criteria: Any) -> list[Any]:
    if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
        raise validation("SortCriteria must be a list of SortCriterion")
    for crit in reversed(criteria):  # stable sorts: the first criterion ends up primary
        field, order = crit.get("Field"), crit.get("SortOrder", "asc")
        if field not in SORTABLE or order not in ("asc", "desc"):
            raise validation(f"Unsupported sort criterion: {json.dumps(crit)}")
        path, is_date = field.split("."), field in FIELDS["DateFilters"]

        def key(item: Any) -> Any:
            vals = v1.values_at(item.data, path)
            v = vals[0] if vals else None
            if is_date:
                return v1.parse_ts(v)
            return v if isinstance(v, (str, bool, int, float)) else None
        keyed = [(key(f), f) for f in items]
        present = sorted((p for p in keyed if p[0] is not None), key=lambda p: p[0],
                         reverse=order == "desc")
        items = [f for _, f in present] + [f for k, f in keyed if k is None]
    return items


def _scoped(resp: Any, backend: Any, body: dict) -> list[Any]:
    scopes = body.get("Scopes")
    if scopes is None:
        return SCOPE(backend)
    orgs = scopes.get("AwsOrganizations") if isinstance(scopes, dict) else None
    if not isinstance(orgs, list) or not 1 <= len(orgs) <= 10 or not all(isinstance(o, dict) for o in orgs):
        raise validation("Scopes.AwsOrganizations must list 1 to 10 AwsOrganizationScope objects")
    return SCOPES(backend, orgs)


# ------------------------------------------------------------------- operations
@v2_operation
def enable_security_hub_v2(self: Any) -> Any:
    tags = _body(self).get("Tags")
    if tags is not None and not (isinstance(tags, dict) and 1 <= len(tags) <= 50 and all(
            isinstance(k, str) and 1 <= len(k) <= 128 and _TAG_KEY.match(k)
            and isinstance(v, str) and len(v) <= 256 for k, v in tags.items())):
        raise validation("Tags must map 1 to 50 keys (1-128 characters, not aws:) to values "
                         "of up to 256 characters")
    backend = self.securityhub_backend
    with LOCK:
        st = state(backend)
        if st["arn"] is None:
            st.update(arn=f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:"
                          f"hubv2/{uuid.uuid4()}", subscribed_at=v1.now_iso(), tags=tags or {})
    return _json({"HubV2Arn": st["arn"]})


@v2_operation
def describe_security_hub_v2(self: Any) -> Any:
    st = state(self.securityhub_backend)
    if st["arn"] is None:
        raise SecurityHubClientError("ResourceNotFoundException", NOT_ENABLED.format(
            account=self.current_account, region=self.region))
    return _json({"HubV2Arn": st["arn"], "SubscribedAt": st["subscribed_at"]})


@v2_operation
def disable_security_hub_v2(self: Any) -> Any:
    with LOCK:
        self.securityhub_backend._hubble_v2 = None
    return _json({})


@v2_operation
def get_findings_v2(self: Any) -> Any:
    body = _body(self)
    backend = _enabled_backend(self)
    filters, criteria = body.get("Filters"), body.get("SortCriteria") or []
    max_results = body.get("MaxResults", 100)
    if not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= 100:
        raise validation("MaxResults must be a number between 1 and 100")
    matches = compile_filters(filters)
    sort_findings([], criteria)  # validates the criteria
    query = hashlib.sha256(json.dumps([filters, criteria, body.get("Scopes")],
                                      sort_keys=True).encode()).hexdigest()[:16]
    with LOCK:
        backends = _scoped(self, backend, body)
        key = (query, tuple((id(b), state(b)["version"]) for b in backends),
               int(time.monotonic() // 10))
        cached = getattr(backend, "_hubble_v2_query", None)
        if cached is None or cached[0] != key:
            items = sort_findings([f for f in _view(backends) if matches(f.data)], criteria)
            cached = backend._hubble_v2_query = (key, items)
        chunk, token = v1.page(cached[1], max_results, body.get("NextToken"), query)
        return _json({"Findings": [f.data for f in chunk], **({"NextToken": token} if token else {})})


def _identifier(data: dict) -> dict[str, str]:
    return {"CloudAccountUid": data["cloud"]["account"]["uid"],
            "FindingInfoUid": data["finding_info"]["uid"],
            "MetadataProductUid": data["metadata"]["product"]["uid"]}


@v2_operation
def batch_update_findings_v2(self: Any) -> Any:
    p = _body(self)
    uids, idents = p.get("MetadataUids"), p.get("FindingIdentifiers")
    if (uids is None) == (idents is None):
        raise validation("Provide either MetadataUids or FindingIdentifiers (not both)")
    targets = uids if uids is not None else idents
    if not isinstance(targets, list) or not 1 <= len(targets) <= 100:
        raise validation("MetadataUids / FindingIdentifiers must list 1 to 100 findings")
    if uids is not None and not all(isinstance(u, str) and u.strip() for u in uids):
        raise validation("MetadataUids must be non-empty strings")
    keys = ("CloudAccountUid", "FindingInfoUid", "MetadataProductUid")
    if idents is not None and not all(isinstance(i, dict) and all(
            isinstance(i.get(k), str) and i[k].strip() for k in keys) for i in idents):
        raise validation(f"Each OcsfFindingIdentifier requires {', '.join(keys)}")
    comment, sev, status = p.get("Comment"), p.get("SeverityId"), p.get("StatusId")
    if comment is None and sev is None and status is None:
        raise validation("Provide at least one of Comment, SeverityId, StatusId")
    if comment is not None and not (isinstance(comment, str) and comment.strip() and len(comment) <= 512):
        raise validation("Comment must be 1 to 512 characters")
    if sev is not None and not _int_in(sev, SEVERITY):
        raise validation(f"SeverityId must be one of {sorted(SEVERITY)}")
    if status is not None and not _int_in(status, STATUS):
        raise validation(f"StatusId must be one of {sorted(STATUS)}")
    backend = _enabled_backend(self)
    processed, unprocessed, seen = [], [], set()
    with LOCK:
        backends = SCOPE(backend)
        for target in targets:
            found = _find(backends, target)
            label = {"MetadataUid": target} if uids is not None else {
                "FindingIdentifier": {k: target[k] for k in keys}}
            if found is not None and id(found[1]) in seen:
                code, message = "ValidationException", "The finding is listed more than once"
            elif found is None:
                code, message = "ResourceNotFoundException", "Finding not found"
            else:
                owner, finding = found
                seen.add(id(finding))
                _apply(finding, comment, sev, status)
                state(owner)["version"] = next(_VERSIONS)
                processed.append({"FindingIdentifier": _identifier(finding.data),
                                  "MetadataUid": finding.data["metadata"]["uid"]})
                continue
            unprocessed.append({**label, "ErrorCode": code, "ErrorMessage": message})
    return _json({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


def _find(backends: list[Any], target: Any) -> tuple[Any, Finding] | None:
    for b in backends:
        findings = state(b)["findings"]
        if isinstance(target, str):
            if target in findings:
                return b, findings[target]
            continue
        for f in findings.values():
            if _identifier(f.data) == {k: target[k] for k in _identifier(f.data)}:
                return b, f
    return None


def _apply(finding: Finding, comment: str | None, sev: int | None, status: int | None) -> None:
    data, touched = finding.data, set(getattr(finding, "_hubble_updated", ()))
    if comment is not None:
        data["comment"] = comment
        touched.add("comment")
    if sev is not None:
        data.update(severity_id=sev, severity=SEVERITY[sev])
        touched |= {"severity_id", "severity"}
    if status is not None:
        data.update(status_id=status, status=STATUS[status])
        touched |= {"status_id", "status"}
    finding._hubble_updated = touched  # modified_time(_dt) / time(_dt) deliberately untouched


@v2_operation
def get_finding_statistics_v2(self: Any) -> Any:
    body = _body(self)
    rules, order = body.get("GroupByRules"), body.get("SortOrder", "desc")
    limit = body.get("MaxStatisticResults", 400)
    if not isinstance(rules, list) or not 1 <= len(rules) <= 5 or not all(
            isinstance(r, dict) and r.get("GroupByField") in GROUP_BY for r in rules):
        raise validation("GroupByRules must list 1 to 5 rules, each with a GroupByField of the model")
    if order not in ("asc", "desc"):
        raise validation("SortOrder must be asc or desc")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 400:
        raise validation("MaxStatisticResults must be a number between 1 and 400")
    matchers = [compile_filters(r.get("Filters")) for r in rules]
    backend = _enabled_backend(self)
    with LOCK:
        items = _view(_scoped(self, backend, body))
        results = []
        for rule, matches in zip(rules, matchers):
            counts: dict[str, int] = {}
            path = rule["GroupByField"].split(".")
            for f in items:
                if matches(f.data):
                    for value in {json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                                  for v in v1.values_at(f.data, path)}:
                        counts[value] = counts.get(value, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: kv[0])
            ranked.sort(key=lambda kv: kv[1], reverse=order == "desc")
            results.append({"GroupByField": rule["GroupByField"], "GroupByValues": [
                {"FieldValue": v, "Count": n} for v, n in ranked[:limit]]})
    return _json({"GroupByResults": results})


# ------------------------------------------------------------------- test-only import
def _get(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _epoch_ms(ts: dt.datetime) -> int:
    return int(ts.timestamp() * 1000)


def normalise(data: Any, account: str | None, region: str | None) -> dict[str, Any]:
    """Checks one OCSF finding (ValueError) and fills in what Security Hub would."""
    if not isinstance(data, dict):
        raise ValueError("each finding must be a JSON object")
    uid = _get(data, "metadata.uid")
    where = f"finding {uid!r}: " if isinstance(uid, str) else ""
    for path in ("metadata.uid", "metadata.product.uid", "metadata.product.name",
                 "finding_info.uid", "finding_info.title", "cloud.region"):
        if not isinstance(_get(data, path), str) or not _get(data, path).strip():
            raise ValueError(f"{where}{path} (non-empty string) is required")
    if not re.fullmatch(r"[0-9]{12}", str(_get(data, "cloud.account.uid"))):
        raise ValueError(f"{where}cloud.account.uid (12 digits) is required")
    if not _int_in(data.get("class_uid"), CLASSES):
        raise ValueError(f"{where}class_uid must be one of {sorted(CLASSES)}")
    if not _int_in(data.get("severity_id"), SEVERITY):
        raise ValueError(f"{where}severity_id must be one of {sorted(SEVERITY)}")
    if "status_id" in data and not _int_in(data["status_id"], STATUS):
        raise ValueError(f"{where}status_id must be one of {sorted(STATUS)}")
    for key, want in (("account", account), ("region", region)):
        have = _get(data, f"cloud.{key}.uid" if key == "account" else "cloud.region")
        if want is not None and have != want:
            raise ValueError(f"{where}cloud.{key} is {have!r}, not the {key} {want!r}")
    out = json.loads(json.dumps(data))
    info = out["finding_info"]
    stamps = {}
    for name in ("created_time", "modified_time", "first_seen_time", "last_seen_time"):
        if f"{name}_dt" in info:
            stamps[name] = v1.parse_ts(info[f"{name}_dt"])
            if stamps[name] is None:
                raise ValueError(f"{where}finding_info.{name}_dt is not an ISO 8601 timestamp")
    now = dt.datetime.now(dt.timezone.utc)
    stamps.setdefault("created_time", now)
    stamps.setdefault("modified_time", stamps["created_time"])
    for name, ts in stamps.items():
        info.setdefault(f"{name}_dt", ts.isoformat().replace("+00:00", "Z"))
        info.setdefault(name, _epoch_ms(ts))
    out.setdefault("time_dt", info["modified_time_dt"])
    out.setdefault("time", info["modified_time"])
    activity = out.setdefault("activity_id", 1)
    out.setdefault("activity_name", ACTIVITIES.get(activity, "Other"))
    out.setdefault("class_name", CLASSES[out["class_uid"]])
    out.setdefault("category_uid", 2)
    out.setdefault("category_name", "Findings")
    out.setdefault("type_uid", out["class_uid"] * 100 + activity)
    out.setdefault("type_name", f"{out['class_name']}: {out['activity_name']}")
    out.setdefault("severity", SEVERITY[out["severity_id"]])
    out.setdefault("status_id", 1)
    out.setdefault("status", STATUS[out["status_id"]])
    out["metadata"].setdefault("version", "1.6.0")
    out["cloud"].setdefault("provider", "AWS")
    return out


def import_findings(findings: list[dict]) -> tuple[int, int]:
    from moto.securityhub.models import securityhub_backends
    created = updated = 0
    with LOCK:
        for data in findings:
            backend = securityhub_backends[data["cloud"]["account"]["uid"]][data["cloud"]["region"]]
            st, uid = state(backend), data["metadata"]["uid"]
            old = st["findings"].get(uid)
            if old is None:
                st["findings"][uid] = Finding(uid, data)
                created += 1
            else:
                for key in getattr(old, "_hubble_updated", ()):  # BatchUpdateFindingsV2's win
                    if key in old.data:
                        data[key] = old.data[key]
                old.data = data
                updated += 1
            st["version"] = next(_VERSIONS)
    return created, updated


def control_findings(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "GET":
        from moto.securityhub.models import securityhub_backends
        account, region = query.get("account", "123456789012"), query.get("region", "us-east-1")
        with LOCK:
            backend = securityhub_backends[account][region]
            return 200, {"findings": [f.data for f in state(backend)["findings"].values()]}
    if method != "POST":
        return 405, {"message": f"method {method} not allowed"}
    if not isinstance(body, dict) or set(body) - {"account", "region", "findings"}:
        raise ValueError("body must be {\"account\"?, \"region\"?, \"findings\": [...]}")
    findings = body.get("findings")
    if not isinstance(findings, list) or not findings:
        raise ValueError("'findings' must be a non-empty list of OCSF findings")
    checked = [normalise(f, body.get("account"), body.get("region")) for f in findings]
    created, updated = import_findings(checked)
    return 200, {"imported": len(checked), "created": created, "updated": updated}


CONTROL_ROUTES = {"/_hubble/securityhub/v2/findings": control_findings}


def install() -> None:
    from moto.securityhub import urls
    from moto.securityhub.responses import SecurityHubResponse as R

    for path in ("{0}/hubv2$", "{0}/findingsv2$", "{0}/findingsv2/batchupdatev2$",
                 "{0}/findingsv2/statistics$"):
        urls.url_paths[path] = R.dispatch
    R.enable_security_hub_v2 = enable_security_hub_v2
    R.describe_security_hub_v2 = describe_security_hub_v2
    R.disable_security_hub_v2 = disable_security_hub_v2
    R.get_findings_v2 = get_findings_v2
    R.batch_update_findings_v2 = batch_update_findings_v2
    R.get_finding_statistics_v2 = get_finding_statistics_v2
