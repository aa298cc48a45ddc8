"""SSM Automation additions to moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

moto has no Automation executions and no AWS-owned runbooks. Following botocore's ssm
2014-11-06 model (JSON 1.1, ``X-Amz-Target: AmazonSSM.<Op>``; shapes, limits, error codes):
  * StartAutomationExecution: ClientToken idempotency (same token + same input -> same
    execution; other input, DocumentVersion included, exactly as sent: "$DEFAULT", "2" and
    no DocumentVersion are three inputs -> IdempotentParameterMismatch), documents from CreateDocument
    (DocumentType Automation, parameters and mainSteps from the content) or from the table of
    AWS-owned runbooks in runbooks.json, parameter validation against the document.
  * GetAutomationExecution, DescribeAutomationExecutions (Filters, MaxResults, NextToken),
    StopAutomationExecution, SendAutomationSignal (Approve/Reject an aws:approve step).
  * The AWS-owned runbooks' versions (DescribeDocument, GetDocument, DocumentVersion) are
    hubble_ssm_documents.py's; StartAutomationExecution runs the version asked for, with that
    version's parameters, and records it (DocumentVersion; document_version below).
Executions are simulated and time based, so clients must poll: Pending for 20% of the run's
duration (default 1 s, env HUBBLE_SSM_DURATION_MS, or per document via the outcome endpoint),
then one step after another. They live in moto's per-account, per-region SSM backend, so
POST /moto-api/reset wipes them. Test-only control endpoints (unsigned, not AWS):

    POST   /_hubble/ssm/outcomes {"document": "AWS-TerminateEC2Instance", "outcome": "Failed",
                                  "failure_message": "...", "duration_ms": 800, "count": 2}
    GET    /_hubble/ssm/outcomes -> {"outcomes": [...]};  DELETE -> {"cleared": N}
    GET    /_hubble/ssm/executions[?account=&region=&document=&client_token=&status=]
           -> {"executions": [...]} (every execution; start_requests counts the
              StartAutomationExecution calls that returned it)

outcome is Success (default) | Failed | TimedOut | Waiting; document omitted = any document;
count omitted = until DELETE. The newest matching rule wins, document rules before wildcard
ones; a rule is used up when an execution starts (not on an idempotent replay). "Waiting" adds
an aws:approve step in front of the runbook's steps; documents whose mainSteps have an
aws:approve step wait there anyway. Reject fails that step and the run (onFailure Abort).
Not simulated: Mode Interactive runs like Auto (it is only recorded), StopAutomationExecution
Type Complete acts like Cancel, signals other than Approve/Reject are refused, and rate control /
multi-account runs (Targets, TargetMaps, TargetLocations...) answer ValidationException.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import os
import re
import threading
import time
import uuid
from typing import Any, Callable

import botocore.session

LOCK = threading.RLock()
_MODEL = botocore.session.get_session().get_service_model("ssm")
STATUSES = set(_MODEL.shape_for("AutomationExecutionStatus").enum)
FILTER_KEYS = set(_MODEL.shape_for("AutomationExecutionFilterKey").enum)
TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}
OUTCOMES = ("Success", "Failed", "TimedOut", "Waiting")
DEFAULT_DURATION_MS = int(os.environ.get("HUBBLE_SSM_DURATION_MS", "1000"))
_UUID = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
_DOC_NAME = re.compile(r"[a-zA-Z0-9_\-.:/]{3,128}")
_DOC_VERSION = re.compile(r"\$LATEST|\$DEFAULT|[1-9][0-9]*")
_TAG = re.compile(r"[\w\s.:/=+\-@]*")

# ----------------------------------------------------------------------- AWS-owned runbooks
# Parameter names, types, defaults and Required/Optional flags of the AWS-owned Automation
# runbooks the console uses, from the AWS Systems Manager Automation runbook reference
# (docs.aws.amazon.com/systems-manager-automation-runbooks; each entry's "source"). The table
# lives in runbooks.json so that the Rust catalogue tests read exactly the same data.
# "required" means the runbook declares no default (StartAutomationExecution fails without it;
# the reference calls RevokeUnusedIAMUserCredentials' MaxCredentialUsageAge "Required" although
# it defaults to 90). Older copies of the reference differ (DisablePublicAccessToRDSInstance took
# DbInstanceResourceId, now DbiResourceId); the table follows the current pages.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "runbooks.json")) as _table:
    RUNBOOKS: dict[str, dict] = json.load(_table)


class AutomationError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid(field: str, value: Any, constraint: str) -> AutomationError:
    return AutomationError("ValidationException", f"1 validation error detected: Value "
                           f"{json.dumps(value)[:200]} at '{field}' failed to satisfy constraint: "
                           f"Member must {constraint}")


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/x-amz-json-1.1", "status": str(status)}, \
        json.dumps(payload)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat()


# ----------------------------------------------------------------------- outcome rules
_OUTCOMES: list[dict[str, Any]] = []


def _parse_outcome(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(spec) - {"document", "outcome", "failure_message", "duration_ms", "count"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    rule = {k: spec.get(k) for k in ("document", "failure_message", "duration_ms", "count")}
    rule["outcome"] = spec.get("outcome", "Success")
    if rule["outcome"] not in OUTCOMES:
        raise ValueError(f"'outcome' must be one of {list(OUTCOMES)}")
    for key, v in rule.items():
        if key in ("document", "failure_message") and v is not None and (not isinstance(v, str) or not v):
            raise ValueError(f"'{key}' must be a non-empty string")
        if key in ("duration_ms", "count") and v is not None and (
                not isinstance(v, int) or isinstance(v, bool) or v < (key == "count")):
            raise ValueError(f"'{key}' must be an integer >= {int(key == 'count')}")
    return rule


def take_outcome(document: str) -> dict[str, Any]:
    """The rule for a new execution of `document` (uses one of its count). Without its own
    duration_ms a rule takes the newest wildcard rule's, else HUBBLE_SSM_DURATION_MS."""
    with LOCK:
        chosen = next((r for wanted in (document, None) for r in reversed(_OUTCOMES)
                       if r["document"] == wanted), None)
        durations = [r["duration_ms"] for r in _OUTCOMES
                     if r["document"] is None and r["duration_ms"] is not None]
        if chosen is None:
            return {"outcome": "Success", "failure_message": None,
                    "duration_ms": durations[-1] if durations else None}
        if chosen["count"] is not None:
            chosen["count"] -= 1
            if chosen["count"] == 0:
                _OUTCOMES.remove(chosen)
        rule = dict(chosen)
        if rule["duration_ms"] is None and durations:
            rule["duration_ms"] = durations[-1]
        return rule


def control_outcomes(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    with LOCK:
        if method == "GET":
            return 200, {"outcomes": [dict(r) for r in _OUTCOMES]}
        if method == "DELETE":
            cleared, _OUTCOMES[:] = len(_OUTCOMES), []
            return 200, {"cleared": cleared}
        if method == "POST":
            _OUTCOMES.append(_parse_outcome(body))
            return 200, {"outcome": dict(_OUTCOMES[-1])}
    return 405, {"message": f"method {method} not allowed"}


def control_executions(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method != "GET":
        return 405, {"message": f"method {method} not allowed"}
    from moto.ssm.models import ssm_backends
    now, found = time.time(), []
    with LOCK:
        for regions in list(ssm_backends.values()):
            for backend in list(regions.values()):
                for ex in getattr(backend, "_hubble_executions", {}).values():
                    ex.advance(now)
                    found.append(ex.record())
    keys = {"account", "region", "document", "client_token", "status"} & set(query)
    found = [r for r in found if all(str(r[k]) == query[k] for k in keys)]
    return 200, {"executions": sorted(found, key=lambda r: r["started_at"])}


CONTROL_ROUTES: dict[str, Callable[[str, dict[str, str], Any], tuple[int, Any]]] = {
    "/_hubble/ssm/outcomes": control_outcomes, "/_hubble/ssm/executions": control_executions}


# ----------------------------------------------------------------------- documents
def _norm_default(value: Any) -> list[str]:
    if isinstance(value, list):
        return [json.dumps(v) if isinstance(v, (dict, list)) else str(v) for v in value]
    return ["true" if value is True else "false" if value is False else str(value)]


def resolve_document(backend: Any, name: str, version: str | None) -> dict[str, Any]:
    """-> {"name", "version", "parameters": {name: spec}, "steps": [step dicts]}"""
    if name.startswith("arn:"):
        name = name.split("document/", 1)[-1]
    documents = backend._documents.get(name)
    if documents is not None:
        if version in (None, "$DEFAULT"):
            doc = documents.get_default_version()
        elif version == "$LATEST":
            doc = documents.get_latest_version()
        else:
            doc = documents.find_by_version(version)
        if doc is None:
            raise AutomationError("AutomationDefinitionVersionNotFoundException",
                                  f"Document {name} version {version} does not exist.")
        if doc.document_type != "Automation":
            raise AutomationError("AutomationDefinitionNotFoundException",
                                  f"Document {name} is a {doc.document_type} document, not an "
                                  "Automation runbook.")
        params = {pname: {"type": spec.get("type", "String"), "required": "default" not in spec,
                          "allowed_values": spec.get("allowedValues"),
                          **({"default": spec["default"]} if "default" in spec else {})}
                  for pname, spec in (doc.content_json.get("parameters") or {}).items()
                  if isinstance(spec, dict)}
        steps = [{"name": s.get("name", f"step{i + 1}"), "action": s.get("action", "aws:sleep"),
                  "timeout": s.get("timeoutSeconds")}
                 for i, s in enumerate(doc.content_json.get("mainSteps") or []) if isinstance(s, dict)]
        return {"name": name, "version": doc.document_version, "parameters": params,
                "steps": steps}
    if name in RUNBOOKS:  # AWS-owned: versions live in hubble_ssm_documents
        import hubble_ssm_documents
        found = hubble_ssm_documents.owned_version(backend.account_id, backend.region_name,
                                                   name, version)
        if found is None:
            raise AutomationError("AutomationDefinitionVersionNotFoundException",
                                  f"Document {name} version {version} does not exist.")
        book = found["book"]
        return {"name": name, "version": found["version"], "parameters": book["parameters"],
                "steps": [dict(s, timeout=None) for s in book["steps"]]}
    raise AutomationError("AutomationDefinitionNotFoundException",
                          f"Document with name {name} does not exist.")


def resolve_parameters(definition: dict[str, Any], given: dict[str, list[str]]) -> dict[str, list[str]]:
    """Checks the caller's parameters against the document; adds the defaults."""
    specs, problems = definition["parameters"], []
    unknown = sorted(set(given) - set(specs))
    if unknown:
        problems.append(f"Parameters {unknown} are not defined in the document.")
    missing = sorted(p for p, s in specs.items() if s.get("required") and not given.get(p))
    if missing:
        problems.append(f"Parameters {missing} are required but were not provided.")
    for pname, values in given.items():
        spec = specs.get(pname)
        if spec is None:
            continue
        kind, allowed = spec.get("type", "String"), spec.get("allowed_values")
        if kind in ("String", "Boolean", "Integer") and len(values) > 1:
            problems.append(f"Parameter {pname} of type {kind} takes one value, not {len(values)}.")
        elif kind == "Boolean" and any(v.lower() not in ("true", "false") for v in values):
            problems.append(f"Parameter {pname} must be true or false.")
        elif kind == "Integer" and not all(re.fullmatch(r"-?[0-9]+", v) for v in values):
            problems.append(f"Parameter {pname} must be an integer.")
        elif allowed and any(v not in allowed for v in values):
            problems.append(f"Parameter {pname} must be one of {allowed}.")
    if problems:
        raise AutomationError("InvalidAutomationExecutionParametersException", " ".join(problems))
    resolved = {p: list(v) for p, v in given.items()}
    for pname, spec in specs.items():
        if pname not in resolved and "default" in spec:
            resolved[pname] = _norm_default(spec["default"])
    return resolved


# ----------------------------------------------------------------------- executions
class Execution:
    """One simulated run; `advance(now)` moves it along its timeline."""

    def __init__(self, *, account: str, region: str, definition: dict, parameters: dict,
                 request: dict, executed_by: str, rule: dict):
        self.id, self.account, self.region = str(uuid.uuid4()), account, region
        self.document, self.version = definition["name"], definition["version"]
        self.parameters, self.executed_by, self.rule = parameters, executed_by, rule
        self.mode, self.tags = request.get("Mode", "Auto"), request.get("Tags") or []
        self.client_token = request.get("ClientToken")
        self.start_requests, self.signals, self.stops = 1, [], []
        steps = [dict(s) for s in definition["steps"]]
        if rule["outcome"] == "Waiting" and not any(s["action"] == "aws:approve" for s in steps):
            steps.insert(0, {"name": "approve", "action": "aws:approve", "timeout": None})
        self.steps = [dict(s, status="Pending", start=None, end=None, failure=None, outputs={},
                           id=str(uuid.uuid4())) for s in steps]
        runnable = [i for i, s in enumerate(self.steps) if s["action"] != "aws:approve"]
        self.fail_at = None
        if rule["outcome"] in ("Failed", "TimedOut") and self.steps:
            self.fail_at = runnable[-1] if runnable else len(self.steps) - 1
        duration = (rule["duration_ms"] if rule.get("duration_ms") is not None
                    else DEFAULT_DURATION_MS) / 1000
        self.started = time.time()
        self.pending_until = self.started + 0.2 * duration
        self.step_seconds = 0.8 * duration / max(1, len(runnable))
        self.cancel_seconds = min(0.5, 0.2 * duration)
        self.status, self.cursor, self.ended, self.failure = "Pending", 0, None, None
        self.cancel_done: float | None = None

    # ------------------------------------------------------------ timeline
    @property
    def step(self) -> dict | None:
        """The step that runs, waits or is being cancelled (None before start and after the end)."""
        return self.steps[self.cursor] if self.cursor < len(self.steps) else None

    def _start_step(self, index: int, at: float) -> None:
        self.cursor = index
        if index >= len(self.steps):
            self.status, self.ended = "Success", at
            return
        step = self.steps[index]
        step["start"], step["status"] = at, "InProgress"
        self.status = "InProgress"
        if step["action"] == "aws:approve":
            step["status"] = self.status = "Waiting"

    def _end(self, status: str, at: float, message: str | None = None) -> None:
        step = self.step
        if step is not None and step["status"] in ("InProgress", "Waiting", "Cancelling"):
            step.update(status=status, end=at, failure=message)  # later steps stay Pending
        self.status, self.ended, self.failure = status, at, message

    def advance(self, now: float) -> None:
        while True:
            step = self.step
            if self.status == "Pending" and now >= self.pending_until:
                self._start_step(0, self.pending_until)
            elif self.status == "InProgress" and now >= step["start"] + self.step_seconds:
                end = step["start"] + self.step_seconds
                if self.cursor == self.fail_at:
                    outcome = self.rule["outcome"]
                    default = (f"Step timed out while step is verifying the {step['name']} result."
                               if outcome == "TimedOut" else
                               f"Step fails when it is Executing. Simulated failure of step "
                               f"{step['name']} (hubble outcome endpoint).")
                    self._end(outcome, end, self.rule.get("failure_message") or default)
                else:
                    step.update(status="Success", end=end)
                    self._start_step(self.cursor + 1, end)
            elif (self.status == "Waiting" and step.get("timeout")
                  and now >= step["start"] + float(step["timeout"])):
                self._end("TimedOut", step["start"] + float(step["timeout"]),
                          "Step timed out while waiting for approval.")
            elif self.status == "Cancelling" and now >= self.cancel_done:
                self._end("Cancelled", self.cancel_done)
            else:
                return

    # ------------------------------------------------------------ requests
    def signal(self, signal_type: str, payload: dict, caller: str, now: float) -> None:
        step = self.step
        if signal_type not in ("Approve", "Reject") or self.status != "Waiting" \
                or step is None or step["action"] != "aws:approve":
            raise AutomationError("InvalidAutomationSignalException",
                                  f"{signal_type} is not valid for automation execution "
                                  f"{self.id} in status {self.status}.")
        self.signals.append({"type": signal_type, "payload": payload, "by": caller, "at": _iso(now)})
        comment = " ".join(payload.get("Comment") or [])
        decision = {"Approver": caller, "Comment": comment,
                    "Decision": "Approved" if signal_type == "Approve" else "Rejected"}
        step["outputs"] = {"ApprovalStatus": [decision["Decision"]],
                           "ApproverDecisions": [json.dumps(decision)]}
        if signal_type == "Approve":
            step.update(status="Success", end=now)
            self._start_step(self.cursor + 1, now)
            self.advance(now)
        else:
            self._end("Failed", now, f"Step fails when it is Rejected. The approval was rejected "
                                     f"by {caller}" + (f": {comment}" if comment else "."))

    def stop(self, stop_type: str, now: float) -> None:
        if self.status in TERMINAL:
            raise AutomationError("InvalidAutomationStatusUpdateException",
                                  f"Automation execution {self.id} is already {self.status}.")
        self.stops.append({"type": stop_type, "at": _iso(now)})
        if self.status != "Cancelling":
            step = self.step
            if step is not None and self.status != "Pending":
                step["status"] = "Cancelling"
            self.status, self.cancel_done = "Cancelling", now + self.cancel_seconds

    # ------------------------------------------------------------ views
    def _current(self) -> dict[str, str]:
        if self.status == "Pending" or not self.steps:
            return {}
        step = self.steps[min(self.cursor, len(self.steps) - 1)]
        return {"CurrentStepName": step["name"], "CurrentAction": step["action"]}

    def _common(self) -> dict[str, Any]:
        out = {"AutomationExecutionId": self.id, "DocumentName": self.document,
               "DocumentVersion": self.version, "AutomationExecutionStatus": self.status,
               "ExecutionStartTime": self.started, "ExecutedBy": self.executed_by,
               "Outputs": {}, "Mode": self.mode,
               "ResolvedTargets": {"ParameterValues": [], "Truncated": False}, **self._current()}
        if self.ended is not None:
            out["ExecutionEndTime"] = self.ended
        if self.failure:
            out["FailureMessage"] = self.failure
        return out

    def describe(self) -> dict[str, Any]:
        optional = {"start": "ExecutionStartTime", "end": "ExecutionEndTime",
                    "failure": "FailureMessage", "timeout": "TimeoutSeconds"}
        steps = [{"StepName": s["name"], "Action": s["action"], "StepStatus": s["status"],
                  "StepExecutionId": s["id"], "OnFailure": "Abort", "MaxAttempts": 1,
                  "IsCritical": True, "IsEnd": s is self.steps[-1], "Inputs": {},
                  "Outputs": s["outputs"],
                  **{name: s[key] for key, name in optional.items() if s[key] is not None}}
                 for s in self.steps]
        return {**self._common(), "StepExecutions": steps, "StepExecutionsTruncated": False,
                "Parameters": self.parameters}

    def metadata(self) -> dict[str, Any]:
        return {**self._common(), "AutomationType": "Local"}

    def record(self) -> dict[str, Any]:
        """The view of GET /_hubble/ssm/executions."""
        return {"id": self.id, "account": self.account, "region": self.region,
                "document": self.document, "document_version": self.version,
                "status": self.status, "client_token": self.client_token,
                "start_requests": self.start_requests, "parameters": self.parameters,
                "tags": self.tags, "mode": self.mode, "executed_by": self.executed_by,
                "outcome": self.rule["outcome"], "started_at": _iso(self.started),
                "ended_at": _iso(self.ended), "failure_message": self.failure,
                "steps": [{"name": s["name"], "action": s["action"], "status": s["status"]}
                          for s in self.steps],
                "signals": self.signals, "stops": self.stops}


# ----------------------------------------------------------------------- operations
def operation(func: Callable[[Any, dict], Any]) -> Callable[[Any], Any]:
    """Parses the JSON body, serialises the result, and turns AutomationError into the
    JSON 1.1 error shape ({"__type", "message"}, header x-amzn-ErrorType)."""
    @functools.wraps(func)
    def wrapper(self: Any) -> Any:
        try:
            try:
                body = json.loads(self.body or "{}")
            except ValueError:
                raise AutomationError("SerializationException", "The request body is not JSON")
            if not isinstance(body, dict):
                raise AutomationError("SerializationException", "The request body must be an object")
            with LOCK:
                return _json(200, func(self, body))
        except AutomationError as err:
            status, headers, text = _json(err.status, {"__type": err.code, "message": err.message})
            return status, {**headers, "x-amzn-ErrorType": err.code}, text
    return wrapper


def _executions(resp: Any) -> dict[str, Execution]:
    backend = resp.ssm_backend
    if not hasattr(backend, "_hubble_executions"):
        backend._hubble_executions, backend._hubble_tokens = {}, {}
    return backend._hubble_executions


def _caller_arn(resp: Any) -> str:
    from moto.sts.models import sts_backends
    try:
        return sts_backends[resp.current_account][resp.partition].get_caller_identity(
            resp.get_access_key(), resp.region)[1]
    except Exception:
        return f"arn:aws:iam::{resp.current_account}:root"


def _execution(resp: Any, body: dict) -> Execution:
    exec_id = body.get("AutomationExecutionId")
    if not isinstance(exec_id, str) or len(exec_id) != 36:
        raise invalid("automationExecutionId", exec_id, "have length 36")
    ex = _executions(resp).get(exec_id)
    if ex is None:
        raise AutomationError("AutomationExecutionNotFoundException",
                              f"Automation Execution {exec_id} was not found.")
    ex.advance(time.time())
    return ex


def _check_parameter_map(field: str, params: Any) -> dict[str, list[str]]:
    if params is None:
        return {}
    if not isinstance(params, dict) or not 1 <= len(params) <= 200:
        raise invalid(field, params, "be a map of 1 to 200 entries")
    for key, values in params.items():
        if not 1 <= len(key) <= 50:
            raise invalid(field, key, "have a key of length 1 to 50")
        if not isinstance(values, list) or len(values) > 50 or not all(
                isinstance(v, str) and 1 <= len(v) <= 512 for v in values):
            raise invalid(f"{field}.{key}", values, "be a list of up to 50 strings of length 1 to 512")
    return params


def _check_start_request(body: dict) -> None:
    name, version, token = body.get("DocumentName"), body.get("DocumentVersion"), body.get("ClientToken")
    if not isinstance(name, str) or not _DOC_NAME.fullmatch(name):
        raise invalid("documentName", name, "satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$")
    if version is not None and (not isinstance(version, str) or not _DOC_VERSION.fullmatch(version)):
        raise invalid("documentVersion", version, "satisfy regular expression pattern: "
                      "([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)")
    if token is not None and (not isinstance(token, str) or len(token) != 36 or not _UUID.fullmatch(token)):
        raise invalid("clientToken", token, "have length 36 and satisfy regular expression pattern: "
                      "[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
    if body.get("Mode", "Auto") not in ("Auto", "Interactive"):
        raise invalid("mode", body.get("Mode"), "satisfy enum value set: [Auto, Interactive]")
    _check_parameter_map("parameters", body.get("Parameters"))
    tags = body.get("Tags") or []
    if not isinstance(tags, list) or len(tags) > 5 or not all(
            isinstance(t, dict) and isinstance(t.get("Key"), str) and isinstance(t.get("Value"), str)
            and 1 <= len(t["Key"]) <= 128 and len(t["Value"]) <= 256
            and _TAG.fullmatch(t["Key"]) and _TAG.fullmatch(t["Value"]) for t in tags):
        raise invalid("tags", tags, "have at most 5 tags (the StartAutomationExecution limit), each "
                      "with Key (1-128) and Value (0-256) of letters, digits, spaces and _.:/=+-@")
    for unsupported in ("TargetParameterName", "Targets", "TargetMaps", "TargetLocations",
                        "TargetLocationsURL"):
        if body.get(unsupported):
            raise AutomationError("ValidationException", f"{unsupported} (rate control and "
                                  "multi-account runs) is not simulated by the hubble moto plugin")


@operation
def start_automation_execution(self: Any, body: dict) -> dict:
    _check_start_request(body)
    executions = _executions(self)
    tokens = self.ssm_backend._hubble_tokens
    token = (body.get("ClientToken") or "").lower()
    fingerprint = json.dumps({k: v for k, v in body.items() if k != "ClientToken"}, sort_keys=True)
    if token and token in tokens:
        seen_fingerprint, exec_id = tokens[token]
        if seen_fingerprint != fingerprint:
            raise AutomationError("IdempotentParameterMismatch",
                                  "The client token was already used for a different request.")
        executions[exec_id].start_requests += 1
        return {"AutomationExecutionId": exec_id}
    definition = resolve_document(self.ssm_backend, body["DocumentName"], body.get("DocumentVersion"))
    parameters = resolve_parameters(definition, body.get("Parameters") or {})
    ex = Execution(account=self.current_account, region=self.region, definition=definition,
                   parameters=parameters, request=body, executed_by=_caller_arn(self),
                   rule=take_outcome(definition["name"]))
    executions[ex.id] = ex
    if token:
        tokens[token] = (fingerprint, ex.id)
    return {"AutomationExecutionId": ex.id}


@operation
def get_automation_execution(self: Any, body: dict) -> dict:
    return {"AutomationExecution": _execution(self, body).describe()}


@operation
def stop_automation_execution(self: Any, body: dict) -> dict:
    stop_type = body.get("Type", "Cancel")
    if stop_type not in ("Complete", "Cancel"):
        raise invalid("type", stop_type, "satisfy enum value set: [Complete, Cancel]")
    _execution(self, body).stop(stop_type, time.time())
    return {}


@operation
def send_automation_signal(self: Any, body: dict) -> dict:
    signal_type = body.get("SignalType")
    if signal_type not in _MODEL.shape_for("SignalType").enum:
        raise invalid("signalType", signal_type, "satisfy enum value set: "
                      "[Approve, Reject, StartStep, StopStep, Resume, Revoke]")
    payload = _check_parameter_map("payload", body.get("Payload"))
    ex = _execution(self, body)
    ex.signal(signal_type, payload, _caller_arn(self), time.time())
    return {}


def _parse_time(value: str) -> float:
    try:
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
            return float(value)
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)).timestamp()
    except ValueError:
        raise AutomationError("InvalidFilterValue", f"{value!r} is not a valid time "
                              "(ISO 8601, e.g. 2024-01-31T12:00:00Z, or epoch seconds)")


def _filter(key: str, values: list[str]) -> Callable[[Execution], bool]:
    if key == "ExecutionStatus":
        bad = [v for v in values if v not in STATUSES]
        if bad:
            raise AutomationError("InvalidFilterValue", f"Invalid ExecutionStatus values: {bad}")
        return lambda ex: ex.status in values
    if key in ("StartTimeBefore", "StartTimeAfter"):
        limits = [_parse_time(v) for v in values]
        before = key == "StartTimeBefore"
        return lambda ex: any(ex.started < t if before else ex.started > t for t in limits)
    return {
        "DocumentNamePrefix": lambda ex: any(ex.document.startswith(v) for v in values),
        "ExecutionId": lambda ex: ex.id in values,
        "CurrentAction": lambda ex: ex._current().get("CurrentAction") in values,
        "AutomationType": lambda ex: "Local" in values,
        "TagKey": lambda ex: any(t["Key"] in values for t in ex.tags),
    }.get(key, lambda ex: False)  # ParentExecutionId, TargetResourceGroup, ...: none here


@operation
def describe_automation_executions(self: Any, body: dict) -> dict:
    filters, max_results = body.get("Filters"), body.get("MaxResults", 50)
    if not isinstance(max_results, int) or isinstance(max_results, bool) or not 1 <= max_results <= 50:
        raise invalid("maxResults", max_results, "have value between 1 and 50")
    if filters is not None and (not isinstance(filters, list) or not 1 <= len(filters) <= 10):
        raise invalid("filters", filters, "have length between 1 and 10")
    checks = []
    for f in filters or []:
        if not isinstance(f, dict) or f.get("Key") not in FILTER_KEYS:
            raise AutomationError("InvalidFilterKey", f"Invalid filter key: {json.dumps(f)[:200]}")
        values = f.get("Values")
        if not isinstance(values, list) or not 1 <= len(values) <= 10 or not all(
                isinstance(v, str) and 1 <= len(v) <= 150 for v in values):
            raise invalid("filters.values", values, "be a list of 1 to 10 strings of length 1 to 150")
        checks.append(_filter(f["Key"], values))
    now = time.time()
    items = list(_executions(self).values())
    for ex in items:
        ex.advance(now)
    items = sorted((ex for ex in items if all(c(ex) for c in checks)),
                   key=lambda ex: (-ex.started, ex.id))
    query = hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]
    start, token = 0, body.get("NextToken")
    if token is not None:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            assert decoded["q"] == query and isinstance(decoded["o"], int) and decoded["o"] >= 0
            start = decoded["o"]
        except Exception:
            raise AutomationError("InvalidNextToken", "The specified token isn't valid.")
    out: dict[str, Any] = {"AutomationExecutionMetadataList":
                           [ex.metadata() for ex in items[start:start + max_results]]}
    if start + max_results < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(
            json.dumps({"q": query, "o": start + max_results}).encode()).decode()
    return out


def install() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse as R

    R.start_automation_execution = start_automation_execution
    R.get_automation_execution = get_automation_execution
    R.describe_automation_executions = describe_automation_executions
    R.stop_automation_execution = stop_automation_execution
    R.send_automation_signal = send_automation_signal
