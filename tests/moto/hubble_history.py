"""GetFindingHistory (Security Hub v1) for moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

Following botocore's securityhub 2018-10-26 model: GetFindingHistory (POST /findingHistory/get;
FindingIdentifier {Id, ProductArn} required, StartTime, EndTime, MaxResults 1-100 (default
100), NextToken) -> Records [{FindingIdentifier, UpdateTime, FindingCreated, UpdateSource {Type
BATCH_IMPORT_FINDINGS | BATCH_UPDATE_FINDINGS, Identity}, Updates [{UpdatedField, OldValue,
NewValue}]}], NextToken; oldest first; StartTime/EndTime bound UpdateTime (inclusive).
A record is written for each finding that BatchImportFindings creates (FindingCreated true) or
changes, and for each finding that BatchUpdateFindings processes with a change. UpdatedField is
the dotted ASFF path of each changed leaf (e.g. Workflow.Status, Severity.Label, Note.Text; a
list is one field, JSON-encoded); the top-level timestamps CreatedAt, UpdatedAt, ProcessedAt
are left out, as the API reference says. OldValue is absent for a new field, NewValue for a
removed one. Identity: the finding's ProductArn for imports, the caller's ARN for updates.
Findings are looked up like BatchUpdateFindings does (hubble_securityhub.SCOPE: administrators
and aggregation Regions see their members' findings); an unknown finding has no records. The
hub must be enabled (401 InvalidAccessException). History lives with the finding's backend.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
from typing import Any, Callable

import hubble_securityhub as v1
from hubble_ssm import _caller_arn

SKIPPED = {"CreatedAt", "UpdatedAt", "ProcessedAt"}


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        path = f"{prefix}{key}"
        if not prefix and key in SKIPPED:
            continue
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def diff(old: dict | None, new: dict) -> list[dict[str, str]]:
    before, after = flatten(old), flatten(new)
    updates = []
    for field in sorted(set(before) | set(after)):
        if before.get(field, ...) == after.get(field, ...):
            continue
        update = {"UpdatedField": field}
        if field in before and _text(before[field]).strip():
            update["OldValue"] = _text(before[field])
        if field in after and _text(after[field]).strip():
            update["NewValue"] = _text(after[field])
        updates.append(update)
    return updates


def _record(backend: Any, fid: str, product_arn: str, created: bool, source: str, identity: str,
            updates: list[dict]) -> None:
    history = getattr(backend, "_hubble_history", None)
    if history is None:
        history = backend._hubble_history = {}
    history.setdefault((fid, product_arn), []).append({
        "FindingIdentifier": {"Id": fid, "ProductArn": product_arn}, "UpdateTime": v1.now_iso(),
        "FindingCreated": created, "UpdateSource": {"Type": source, "Identity": identity},
        "Updates": updates})


def _request(resp: Any) -> dict:
    try:
        body = json.loads(resp.body or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def with_import_history(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def batch_import_findings(self: Any) -> Any:
        findings = [f for f in _request(self).get("Findings") or [] if isinstance(f, dict)]
        backend = self.securityhub_backend
        with v1.LOCK:
            index = v1._index(backend) if backend.enabled else {}
            before = {f.get("Id"): copy.deepcopy(index[f["Id"]].data)
                      for f in findings if f.get("Id") in index}
            result = original(self)
            if result[0] != 200:
                return result
            failed = {f.get("Id") for f in json.loads(result[2]).get("FailedFindings") or []}
            index = v1._index(backend)
            for fid in dict.fromkeys(f.get("Id") for f in findings):
                if fid in failed or fid not in index:
                    continue
                data = index[fid].data
                updates = diff(before.get(fid), data) if fid in before else []
                if fid not in before or updates:
                    _record(backend, fid, data["ProductArn"], fid not in before,
                            "BATCH_IMPORT_FINDINGS", data["ProductArn"], updates)
        return result
    return batch_import_findings


def with_update_history(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def batch_update_findings(self: Any) -> Any:
        idents = [i for i in _request(self).get("FindingIdentifiers") or [] if isinstance(i, dict)]
        backend = self.securityhub_backend
        with v1.LOCK:
            before = {}
            if backend.enabled:
                backends = v1.SCOPE(backend)
                for ident in idents:
                    found = v1.lookup(backends, ident.get("Id"), ident.get("ProductArn"))
                    if found is not None:
                        before[(ident["Id"], ident["ProductArn"])] = (*found, copy.deepcopy(found[1].data))
            result = original(self)
            if result[0] != 200:
                return result
            caller = _caller_arn(self)
            for done in json.loads(result[2]).get("ProcessedFindings") or []:
                owner, finding, old = before[(done["Id"], done["ProductArn"])]
                updates = diff(old, finding.data)
                if updates:
                    _record(owner, done["Id"], done["ProductArn"], False, "BATCH_UPDATE_FINDINGS",
                            caller, updates)
        return result
    return batch_update_findings


def get_finding_history(self: Any) -> Any:
    body = v1._params(self)
    ident, start, end = body.get("FindingIdentifier"), body.get("StartTime"), body.get("EndTime")
    max_results = body.get("MaxResults", 100)
    if not isinstance(ident, dict) or not all(isinstance(ident.get(k), str) and ident[k].strip()
                                              for k in ("Id", "ProductArn")):
        raise v1.invalid("FindingIdentifier requires Id and ProductArn")
    bounds = [None if t is None else v1.parse_ts(t) for t in (start, end)]
    if any(t is not None and b is None for t, b in zip((start, end), bounds)):
        raise v1.invalid("StartTime and EndTime must be ISO 8601 timestamps")
    if not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= 100:
        raise v1.invalid("MaxResults must be a number between 1 and 100")
    backend = v1._enabled_backend(self)
    with v1.LOCK:
        found = v1.lookup(v1.SCOPE(backend), ident["Id"], ident["ProductArn"])
        records = [] if found is None else list(
            (getattr(found[0], "_hubble_history", None) or {}).get((ident["Id"], ident["ProductArn"]), []))
    records = [r for r in records if (bounds[0] is None or v1.parse_ts(r["UpdateTime"]) >= bounds[0])
               and (bounds[1] is None or v1.parse_ts(r["UpdateTime"]) <= bounds[1])]
    query = hashlib.sha256(json.dumps([ident, start, end], sort_keys=True).encode()).hexdigest()[:16]
    offset, token = 0, body.get("NextToken")
    if token is not None:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            assert decoded["q"] == query and isinstance(decoded["o"], int) and decoded["o"] >= 0
            offset = decoded["o"]
        except Exception:
            raise v1.invalid("The NextToken is invalid or was issued for another request")
    out: dict[str, Any] = {"Records": records[offset:offset + max_results]}
    if offset + max_results < len(records):
        out["NextToken"] = base64.urlsafe_b64encode(
            json.dumps({"q": query, "o": offset + max_results}).encode()).decode()
    return v1.json_response(out)


def install() -> None:
    from moto.securityhub import urls
    from moto.securityhub.responses import SecurityHubResponse as R

    urls.url_paths["{0}/findingHistory/get$"] = R.dispatch
    R.get_finding_history = get_finding_history
    R.batch_import_findings = with_import_history(R.batch_import_findings)
    R.batch_update_findings = with_update_history(R.batch_update_findings)
