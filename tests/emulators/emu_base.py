"""Shared base for agent-hubble's local API emulators (test infrastructure, not shipped).

Each emulator is one script, ``python tests/emulators/NAME.py --host 127.0.0.1 --port 0
[--exit-on-stdin-eof] [--verbose]``, built on this module. It binds the port (0 = a free
one), prints ``READY <port>`` on stdout once the socket accepts connections, then serves
until SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof). Nothing else is ever written
to stdout, so a parent may stop reading it after the READY line.

An emulator subclasses `Emulator`, registers routes with `route(method, regex)` and keeps its
state under `self.lock`. Every emulator also answers these test-only control endpoints (not
part of any vendor API; no authentication):

    POST   /_emu/faults    {"method": "GET", "path": "regex", "status": 429,
                            "headers": {"Retry-After": "1"}, "body": {...}, "count": 1,
                            "after": false}
        The next `count` requests whose method equals `method` (omit = any) and whose path
        matches `path` (re.search) answer `status` with `headers` and JSON `body` (omit = an
        error body in the emulated service's shape, from `Emulator.error_body`). With
        "after": true the request is first processed normally (its effect happens) and the
        fault replaces the response: an accepted-then-lost answer. "delay": seconds to sleep
        before answering (with status 0 = answer normally after the delay).
    GET    /_emu/faults    -> {"faults": [...]}  armed faults with remaining counts
    DELETE /_emu/faults    -> {"cleared": N}
    GET    /_emu/requests  -> {"requests": [{"method", "path", "query", "headers", "body"}]}
        every non-control request received, oldest first (body as text, at most 64 KiB)
    DELETE /_emu/requests  -> {"cleared": N}
    POST   /_emu/reset     -> {} wipes state (calls `Emulator.reset`), faults and the log

Subclasses may add their own control routes under /_emu/<name>/….
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Request:
    method: str
    path: str                      # without the query string, percent-decoded
    raw_path: str                  # as sent, with the query string
    query: dict[str, list[str]]
    headers: dict[str, str]        # lower-case names
    body: bytes
    match: re.Match | None = None

    def q(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        """The body as JSON; raises ValueError (answered 400) when it is not."""
        if not self.body:
            return None
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int = 200
    body: Any = None                # dict/list → JSON; bytes/str → as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, dict(headers or {}))


Handler = Callable[[Request], Response]


class Emulator:
    """Base class: routing, faults, request log, the READY protocol."""

    name = "emulator"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.reset()

    # ---- to override -------------------------------------------------------------
    def reset(self) -> None:
        """Wipe all emulated state."""

    def error_body(self, status: int, message: str) -> Any:
        """An error body in the emulated service's documented shape."""
        return {"error": {"code": str(status), "message": message}}

    # ---- routing -----------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` is a regex matched against the whole path (fullmatch)."""
        self.routes.append((method.upper(), re.compile(pattern), handler))

    def dispatch(self, req: Request) -> Response:
        allowed = False
        for method, pattern, handler in self.routes:
            m = pattern.fullmatch(req.path)
            if m is None:
                continue
            if method != req.method:
                allowed = True
                continue
            req.match = m
            return handler(req)
        if allowed:
            return json_response(405, self.error_body(405, f"method {req.method} not allowed"))
        return json_response(404, self.error_body(404, f"no route for {req.method} {req.path}"))

    # ---- control endpoints -------------------------------------------------------
    def _control(self, req: Request) -> Response | None:
        p = req.path.rstrip("/")
        if p == "/_emu/faults":
            with self.lock:
                if req.method == "GET":
                    return json_response(200, {"faults": [dict(f, path=f["path"].pattern) for f in self.faults]})
                if req.method == "DELETE":
                    n = len(self.faults)
                    self.faults.clear()
                    return json_response(200, {"cleared": n})
                if req.method == "POST":
                    spec = req.json() or {}
                    if not isinstance(spec, dict):
                        raise ValueError("body must be a JSON object")
                    unknown = set(spec) - {"method", "path", "status", "headers", "body", "count", "after", "delay"}
                    if unknown:
                        raise ValueError(f"unknown keys: {sorted(unknown)}")
                    fault = {
                        "method": (spec.get("method") or "").upper() or None,
                        "path": re.compile(spec.get("path", "")),
                        "status": int(spec.get("status", 500)),
                        "headers": dict(spec.get("headers") or {}),
                        "body": spec.get("body"),
                        "count": int(spec.get("count", 1)),
                        "after": bool(spec.get("after", False)),
                        "delay": float(spec.get("delay", 0)),
                    }
                    if fault["count"] < 1:
                        raise ValueError("'count' must be >= 1")
                    self.faults.append(fault)
                    return json_response(200, {"armed": len(self.faults)})
        if p == "/_emu/requests":
            with self.lock:
                if req.method == "GET":
                    return json_response(200, {"requests": list(self.requests)})
                if req.method == "DELETE":
                    n = len(self.requests)
                    self.requests.clear()
                    return json_response(200, {"cleared": n})
        if p == "/_emu/reset" and req.method == "POST":
            with self.lock:
                self.faults.clear()
                self.requests.clear()
                self.reset()
            return json_response(200, {})
        return None

    def _take_fault(self, req: Request) -> dict[str, Any] | None:
        with self.lock:
            for fault in self.faults:
                if fault["method"] not in (None, req.method):
                    continue
                if not fault["path"].search(req.path):
                    continue
                fault["count"] -= 1
                if fault["count"] == 0:
                    self.faults.remove(fault)
                return dict(fault)
        return None

    def _fault_response(self, fault: dict[str, Any]) -> Response:
        body = fault["body"] if fault["body"] is not None else self.error_body(
            fault["status"], f"injected fault (HTTP {fault['status']})")
        return json_response(fault["status"], body, fault["headers"])

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_emu/"):
            try:
                resp = self._control(req)
            except ValueError as exc:
                return json_response(400, {"message": str(exc)})
            if resp is not None:
                return resp
        else:
            with self.lock:
                self.requests.append({
                    "method": req.method, "path": req.path, "query": req.query,
                    "headers": req.headers, "body": req.body[:65536].decode("utf-8", "replace"),
                    "time": time.time(),
                })
        fault = self._take_fault(req) if not req.path.startswith("/_emu/") else None
        if fault and fault["delay"]:
            time.sleep(fault["delay"])
        if fault and not fault["after"] and fault["status"]:
            return self._fault_response(fault)
        try:
            resp = self.dispatch(req)
        except ValueError as exc:  # includes JSONDecodeError
            resp = json_response(400, self.error_body(400, str(exc)))
        if fault and fault["after"] and fault["status"]:
            return self._fault_response(fault)
        return resp


def _handler_class(emu: Emulator, verbose: bool) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:
            if verbose:
                sys.stderr.write(f"[{emu.name}] " + (fmt % args) + "\n")

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urllib.parse.urlsplit(self.path)
            req = Request(
                method=self.command, path=urllib.parse.unquote(split.path), raw_path=self.path,
                query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()}, body=body)
            try:
                resp = emu.handle(req)
            except Exception as exc:  # an emulator bug: answer 500 and say so on stderr
                import traceback
                traceback.print_exc()
                resp = json_response(500, emu.error_body(500, f"emulator error: {exc}"))
            data = resp.encode()
            self.send_response(resp.status)
            if data or resp.status not in (204, 304):
                self.send_header("Content-Type", resp.content_type)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    return H


def serve(emu: Emulator, argv: list[str] | None = None,
          extra_args: Callable[[argparse.ArgumentParser], None] | None = None,
          configure: Callable[[Emulator, argparse.Namespace, int], None] | None = None) -> None:
    """Parse the common flags, bind, print READY <port>, serve until stopped.

    `configure(emu, args, port)` runs after binding (the port is known) and before READY."""
    parser = argparse.ArgumentParser(description=f"agent-hubble test emulator: {emu.name}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (so the server dies with its parent)")
    if extra_args:
        extra_args(parser)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), _handler_class(emu, args.verbose))
    server.daemon_threads = True
    port = server.server_address[1]
    if configure:
        configure(emu, args, port)

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    print(f"READY {port}", flush=True)
    sys.stdout = sys.stderr
    server.serve_forever()
