#!/usr/bin/env python3
"""moto 5.2.5 server with agent-hubble's test plugins (test infrastructure, not shipped).

    python tests/moto/hubble_moto.py --host 127.0.0.1 --port 0

Installs every plugin in PLUGINS, binds the port (0 = pick a free one), prints
``READY <port>`` on stdout once the socket accepts connections, and then serves
until SIGTERM/SIGINT. Nothing else is ever written to stdout (later prints go
to stderr), so a parent may stop reading stdout after the READY line. Requests are
not logged to stderr unless --verbose; --exit-on-stdin-eof makes the server stop when its
stdin closes (i.e. when the parent dies). moto's own POST /moto-api/reset still
wipes all state (faults and the request log below are not state: they survive it).

Plugins: each module in PLUGINS has an ``install()`` that patches moto's backend
and response classes before the first request, and may define ``CONTROL_ROUTES``
({path: handler(method, query, body) -> (status, payload)}) for its own test-only
endpoints under /_hubble/ (documented in each module). A handler's ValueError answers 400.
  hubble_securityhub      GetFindings filters/sort/paging, BatchImportFindings, BatchUpdateFindings
  hubble_securityhub_v2   Security Hub v2 / OCSF: Enable/Describe/DisableSecurityHubV2,
                          GetFindingsV2, BatchUpdateFindingsV2, GetFindingStatisticsV2;
                          /_hubble/securityhub/v2/findings
  hubble_aggregation      finding aggregators (v1 and V2), administrators and members: who
                          sees which accounts' and Regions' findings
  hubble_history          GetFindingHistory
  hubble_organizations    ListAccounts/DescribeAccount access rules and paging;
                          /_hubble/organizations/accounts, /_hubble/organizations/denied
  hubble_ssm              Automation executions; /_hubble/ssm/outcomes, /_hubble/ssm/executions
  hubble_ssm_documents    document versions (AWS-owned runbooks too); /_hubble/ssm/documents
  hubble_standards        standards and controls; /_hubble/standards/paging

Test-only control endpoints of this module (not AWS APIs; no signature needed):

    POST   /_hubble/faults  {"operation": "GetFindings", "error": "ThrottlingException",
                             "status": 429, "count": 2, "account": "123456789012",
                             "region": "us-east-1", "service": "securityhub",
                             "message": "Rate exceeded", "after": false, "delay": 1.5}
    GET    /_hubble/faults  -> {"faults": [...]}   (armed faults with remaining counts)
    DELETE /_hubble/faults  -> {"cleared": N}

Only "operation" is always required, and "error" unless "delay" is given; "account", "region"
and "service" match any when omitted; "count" defaults to 1; "status" defaults to 429 for
throttling errors, 500 for InternalException/InternalFailure/InternalServerError/
InternalServerException, 503 for ServiceUnavailable, else 400. The next ``count`` matching calls
answer, in the AWS JSON protocols' error shape:
    HTTP <status>, header x-amzn-ErrorType: <error>, body {"__type": <error>, "message": ...}
  * "after": true -- the call is processed normally first (its effect happens: the execution
    starts, the finding is updated...), then the fault is answered instead of the real response:
    SSM accepted the start but the client saw a 5xx. Default false: the call has no effect.
  * "delay": seconds (0 < delay <= 300) -- the answer is held back that long: before the call
    is processed, or, with "after": true, after it was processed (so a client read timeout
    shorter than the delay gives up on a call that took effect).
  * "delay" without "error" (omitted or null; then no "status"/"message") = delay only: the
    real response, late. E.g. {"operation": "StartAutomationExecution", "delay": 5,
    "after": true} starts the run at once and answers it 5 s later.
Account and region are taken exactly as moto takes them for the call itself
(access key -> account, AssumeRole credentials act as the role's account, unknown keys
-> 123456789012; region from the SigV4 credential scope / host).

    GET    /_hubble/requests[?service=securityhub&operation=GetFindings&account=&region=]
           -> {"requests": [{"service", "operation", "account", "region", "body", "time",
                             "method", "path", "query", "status", "fault"}]}
    DELETE /_hubble/requests -> {"cleared": N}

Every AWS call that reaches a moto service (every service but S3) is logged, oldest first,
the last MAX_LOGGED kept: body is the parsed JSON request body ({} when empty; for the query
protocol, e.g. STS, the form parameters), query the URL query parameters (restJson GETs),
time ISO 8601 UTC, status the HTTP status answered (null while in flight), fault the injected
fault's error/status/after/delay (null if none). Filters are exact matches.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import importlib
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from typing import Any

PLUGINS = ["hubble_securityhub", "hubble_securityhub_v2", "hubble_aggregation", "hubble_history",
           "hubble_organizations", "hubble_ssm", "hubble_ssm_documents", "hubble_standards"]

_FAULTS: list[dict[str, Any]] = []
_ROUTES: dict[str, Any] = {}  # plugin control endpoints, filled by build_app()
_FAULTS_LOCK = threading.Lock()
MAX_LOGGED = 20_000  # request log entries kept (oldest dropped first)
_DEFAULT_STATUS = {
    "ThrottlingException": 429, "TooManyRequestsException": 429, "Throttling": 429,
    "LimitExceededException": 429, "InternalException": 500, "InternalFailure": 500,
    "InternalServerError": 500, "InternalServerException": 500, "ServiceUnavailable": 503,
}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None):
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload)


def aws_error(status: int, code: str, message: str):
    """An error in the shape the restJson1 / awsJson1.x protocols use."""
    return json_response(status, {"__type": code, "message": message}, {"x-amzn-ErrorType": code})


# --------------------------------------------------------------------------- faults
_FAULT_KEYS = {"operation", "error", "count", "status", "account", "region", "service",
               "message", "after", "delay"}
MAX_DELAY = 300.0


def _parse_fault(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(spec) - _FAULT_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    if not isinstance(spec.get("operation"), str) or not spec["operation"]:
        raise ValueError("'operation' (non-empty string) is required")
    delay, after, error = spec.get("delay"), spec.get("after", False), spec.get("error")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                              or not 0 < delay <= MAX_DELAY):
        raise ValueError(f"'delay' must be a number of seconds in (0, {MAX_DELAY:g}]")
    if not isinstance(after, bool):
        raise ValueError("'after' must be true or false")
    if error is None:  # delay only: the call is answered normally, late
        if delay is None:
            raise ValueError("'error' (non-empty string) is required unless 'delay' is given")
        if "status" in spec or "message" in spec:
            raise ValueError("'status' and 'message' need an 'error'")
    elif not isinstance(error, str) or not error:
        raise ValueError("'error' must be a non-empty string (or null with 'delay')")
    count = spec.get("count", 1)
    status = spec.get("status", _DEFAULT_STATUS.get(error, 400)) if error else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("'count' must be an integer >= 1")
    if error and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("'status' must be an HTTP error status (400-599)")
    return {
        "operation": spec["operation"], "error": error, "status": status,
        "count": count, "account": spec.get("account"), "region": spec.get("region"),
        "service": spec.get("service"), "after": after, "delay": delay,
        "message": (spec.get("message") or f"Injected {error} (hubble fault endpoint)")
        if error else None,
    }


def take_fault(service: str, operation: str, account: str, region: str) -> dict | None:
    """Consume one armed fault matching this call, if any."""
    with _FAULTS_LOCK:
        for fault in _FAULTS:
            if fault["operation"] == operation and all(
                fault[k] in (None, v)
                for k, v in (("account", account), ("region", region), ("service", service))
            ):
                fault["count"] -= 1
                if fault["count"] == 0:
                    _FAULTS.remove(fault)
                return dict(fault)
    return None


# --------------------------------------------------------------------------- request log
_REQUESTS: collections.deque = collections.deque(maxlen=MAX_LOGGED)
_REQUESTS_LOCK = threading.Lock()


def _request_body(resp: Any) -> Any:
    """The request body as the client sent it: JSON parsed, form-encoded (query protocol)
    as a {name: value} dict, nothing as {}."""
    raw = resp.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        pairs = urllib.parse.parse_qs(raw, keep_blank_values=True)
        return {k: v[-1] for k, v in pairs.items()} if pairs else raw


def _log_request(resp: Any, service: str, operation: str) -> dict[str, Any]:
    try:
        query = {k: v[-1] if isinstance(v, list) and len(v) == 1 else v
                 for k, v in (getattr(resp, "querystring", None) or {}).items()}
        body = _request_body(resp)
        if body == {} and "x-www-form-urlencoded" in str(resp.headers.get("Content-Type")):
            body = dict(query)  # query protocol (STS...): moto moved the form into querystring
    except Exception:  # a log entry must never break the call itself
        query, body = {}, {}
    entry = {"service": service, "operation": operation, "account": resp.current_account,
             "region": resp.region, "method": getattr(resp, "method", None),
             "path": getattr(resp, "path", None), "query": query, "body": body,
             "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
             "status": None, "fault": None}
    with _REQUESTS_LOCK:
        _REQUESTS.append(entry)
    return entry


def control_requests(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "DELETE":
        with _REQUESTS_LOCK:
            cleared = len(_REQUESTS)
            _REQUESTS.clear()
        return 200, {"cleared": cleared}
    if method != "GET":
        return 405, {"message": f"method {method} not allowed"}
    keys = {"service", "operation", "account", "region"} & set(query)
    with _REQUESTS_LOCK:
        found = [dict(r) for r in _REQUESTS if all(r[k] == query[k] for k in keys)]
    return 200, {"requests": found}


def _control(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """WSGI handler for /_hubble/*."""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    route = _ROUTES.get(path.rstrip("/"))
    if route is not None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"null")
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
            status, payload = route(method, query, body)
        except ValueError as exc:  # includes JSONDecodeError
            status, payload = 400, {"message": str(exc)}
    elif path.rstrip("/") != "/_hubble/faults":
        status, payload = 404, {"message": f"no such control endpoint: {path}"}
    elif method == "GET":
        with _FAULTS_LOCK:
            status, payload = 200, {"faults": [dict(f) for f in _FAULTS]}
    elif method == "DELETE":
        with _FAULTS_LOCK:
            status, payload = 200, {"cleared": len(_FAULTS)}
            _FAULTS.clear()
    elif method == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            fault = _parse_fault(json.loads(environ["wsgi.input"].read(length) or b"null"))
            with _FAULTS_LOCK:
                _FAULTS.append(fault)
            status, payload = 200, {"fault": fault}
        except ValueError as exc:  # includes JSONDecodeError
            status, payload = 400, {"message": str(exc)}
    else:
        status, payload = 405, {"message": f"method {method} not allowed"}
    body = json.dumps(payload).encode()
    start_response(f"{status} {'OK' if status == 200 else 'Error'}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _install_fault_hook() -> None:
    """Wrap moto's BaseResponse.call_action: it runs after moto has worked out the
    action, account and region of the request, for every (non-S3) service. Logs the
    request, then applies the first armed fault that matches it (if any)."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        try:
            action = self._get_action() or ""
        except Exception:  # e.g. moto's own /moto-api handlers have no service model
            action = ""
        service = self.service_name or ""
        entry = _log_request(self, service, action) if action else {}
        fault = take_fault(service, action, self.current_account, self.region) \
            if _FAULTS and action else None
        if fault:
            entry["fault"] = {k: fault[k] for k in ("error", "status", "after", "delay")}
        result = _answer(self, original, fault)
        entry["status"] = result[0] if isinstance(result, tuple) and result else None
        return result

    BaseResponse.call_action = call_action


def _answer(resp: Any, original: Any, fault: dict | None) -> Any:
    """The real response, or the fault's: before (default) or after the call took effect."""
    if fault is None:
        return original(resp)
    error = aws_error(fault["status"], fault["error"], fault["message"]) if fault["error"] else None
    if not fault["after"]:
        if fault["delay"]:
            time.sleep(fault["delay"])
        return error or original(resp)
    try:
        result = original(resp)  # the call takes effect ...
    except Exception:
        if error is None:
            raise
        result = None
    if fault["delay"]:
        time.sleep(fault["delay"])  # ... and its answer comes late, or is lost
    return error or result


# --------------------------------------------------------------------------- server
def build_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    for name in PLUGINS:
        plugin = importlib.import_module(name)
        plugin.install()
        _ROUTES.update(getattr(plugin, "CONTROL_ROUTES", {}))
    _ROUTES["/_hubble/requests"] = control_requests
    _install_fault_hook()
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/_hubble/"):
            return _control(environ, start_response)
        return moto_app(environ, start_response)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (so the server dies with its parent)")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        def log_request(self, *a: Any, **kw: Any) -> None:
            if args.verbose:
                super().log_request(*a, **kw)

    server = make_server(args.host, args.port, build_app(), threaded=True,
                         request_handler=Handler)
    os.environ.setdefault("MOTO_PORT", str(server.server_port))  # moto calls itself on it

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()

    # make_server has bound and is listening: connections queue from here on.
    print(f"READY {server.server_port}", flush=True)
    sys.stdout = sys.stderr  # nothing else may reach stdout (a parent may not drain it)
    server.serve_forever()


if __name__ == "__main__":
    main()
