#!/usr/bin/env python3
"""moto 5.2.5 server with agent-hubble's test plugins (test infrastructure, not shipped).

    python tests/moto/hubble_moto.py --host 127.0.0.1 --port 0

Installs every plugin in PLUGINS, binds the port (0 = pick a free one), prints
``READY <port>`` on stdout once the socket accepts connections, and then serves
until SIGTERM/SIGINT. Nothing else is ever written to stdout (later prints go
to stderr), so a parent may stop reading stdout after the READY line. Requests are
not logged unless --verbose; --exit-on-stdin-eof makes the server stop when its
stdin closes (i.e. when the parent dies). moto's own POST /moto-api/reset still
wipes all state.

Plugins: each module in PLUGINS has an ``install()`` that patches moto's backend
and response classes before the first request, and may define ``CONTROL_ROUTES``
({path: handler(method, query, body) -> (status, payload)}) for its own test-only
endpoints under /_hubble/ (hubble_ssm.py: /_hubble/ssm/outcomes and
/_hubble/ssm/executions, documented there). A handler's ValueError answers 400.

Test-only control endpoint (not an AWS API; needs no signature):

    POST   /_hubble/faults  {"operation": "GetFindings", "error": "ThrottlingException",
                             "status": 429, "count": 2, "account": "123456789012",
                             "region": "us-east-1", "service": "securityhub",
                             "message": "Rate exceeded"}
    GET    /_hubble/faults  -> {"faults": [...]}   (armed faults with remaining counts)
    DELETE /_hubble/faults  -> {"cleared": N}

Only "operation" and "error" are required; "account", "region" and "service" match any
when omitted; "count" defaults to 1; "status" defaults to 429 for throttling errors,
500 for InternalException/InternalFailure, 503 for ServiceUnavailable, else 400. The next
``count`` matching calls answer, in the AWS JSON protocols' error shape:
    HTTP <status>, header x-amzn-ErrorType: <error>, body {"__type": <error>, "message": ...}
Account and region are taken exactly as moto takes them for the call itself
(access key -> account, AssumeRole credentials act as the role's account, unknown keys
-> 123456789012; region from the SigV4 credential scope / host).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
import urllib.parse
from typing import Any

PLUGINS = ["hubble_securityhub", "hubble_ssm", "hubble_standards"]

_FAULTS: list[dict[str, Any]] = []
_ROUTES: dict[str, Any] = {}  # plugin control endpoints, filled by build_app()
_FAULTS_LOCK = threading.Lock()
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
def _parse_fault(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ValueError("body must be a JSON object")
    for key in ("operation", "error"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise ValueError(f"'{key}' (non-empty string) is required")
    count = spec.get("count", 1)
    status = spec.get("status", _DEFAULT_STATUS.get(spec["error"], 400))
    if not isinstance(count, int) or count < 1:
        raise ValueError("'count' must be an integer >= 1")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError("'status' must be an HTTP error status (400-599)")
    unknown = set(spec) - {"operation", "error", "count", "status", "account", "region",
                           "service", "message"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    return {
        "operation": spec["operation"], "error": spec["error"], "status": status,
        "count": count, "account": spec.get("account"), "region": spec.get("region"),
        "service": spec.get("service"),
        "message": spec.get("message") or f"Injected {spec['error']} (hubble fault endpoint)",
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
    action, account and region of the request, for every (non-S3) service."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        if _FAULTS:
            try:
                action = self._get_action() or ""
            except Exception:  # e.g. moto's own /moto-api handlers have no service model
                action = ""
            fault = take_fault(self.service_name or "", action, self.current_account,
                               self.region)
            if fault:
                return aws_error(fault["status"], fault["error"], fault["message"])
        return original(self)

    BaseResponse.call_action = call_action


# --------------------------------------------------------------------------- server
def build_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    for name in PLUGINS:
        plugin = importlib.import_module(name)
        plugin.install()
        _ROUTES.update(getattr(plugin, "CONTROL_ROUTES", {}))
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
