"""A local SMTP submission server for agent-hubble's e-mail notification tests (test
infrastructure, not shipped). Built on aiosmtpd (pinned in tests/moto/requirements.txt) for the
SMTP side and on `emu_base` for a small HTTP side port that shows what was captured.

    python tests/emulators/smtp_server.py --host 127.0.0.1 --port 0 [--http-port 0]
        [--cert-out PATH] [--user NAME:PASSWORD]... [--max-size BYTES]
        [--no-require-starttls] [--auth-optional] [--exit-on-stdin-eof] [--verbose]
    -> prints "READY <smtp_port> <http_port>" once both sockets accept connections

SMTP behaviour
    * STARTTLS with a certificate made at start with `cryptography`: a throw-away CA
      ("agent-hubble test SMTP CA") signs a server certificate for 127.0.0.1, ::1 and localhost
      (ECDSA P-256). The CA certificate (PEM) is written to --cert-out, so a client trusts that
      file as its only root (rustls refuses a self-signed certificate used as both root and
      server certificate, hence the two-level chain).
    * STARTTLS is required by default (RFC 3207): before it only EHLO/HELO, NOOP, STARTTLS and
      QUIT are served; anything else (AUTH, MAIL, …) answers
      `530 Must issue a STARTTLS command first`. --no-require-starttls turns that off (AUTH then
      still needs TLS: `538 5.7.11 Encryption required for requested authentication mechanism`).
    * AUTH PLAIN and AUTH LOGIN against --user NAME:PASSWORD (repeatable; default
      hubble:hubble-smtp-pass). Bad credentials: `535 5.7.8 Authentication credentials invalid`.
      MAIL before AUTH: `530 5.7.0 Authentication required` (unless --auth-optional).
    * Size limit --max-size (default 10 MiB), advertised as `SIZE`; a larger MAIL SIZE= or DATA
      answers 552.
    * Armed faults answer a chosen SMTP reply at MAIL, RCPT or DATA (after the message is read),
      e.g. 451 (temporary) or 550/554 (permanent).

HTTP side port (emu_base routing; also /_emu/requests and /_emu/reset, which clears messages and
faults; the generic /_emu/faults there applies to this HTTP port only)
    GET    /_emu/smtp/messages[?to=ADDR]  -> {"messages": [{
              "seq", "peer", "helo", "tls" (bool: STARTTLS done), "tls_version", "auth_user",
              "mail_from", "rcpt_tos", "mail_options", "size", "subject", "from", "to", "cc",
              "message_id", "date", "headers": [[name, value], …],
              "text" (text/plain body, decoded), "html" (text/html body, decoded; both with
              line endings normalised to LF),
              "parts": [{"content_type", "charset", "filename", "size"}], "raw" (≤ 256 KiB),
              "received_at"}]}
    DELETE /_emu/smtp/messages            -> {"cleared": N}
    GET    /_emu/smtp/rejected            -> {"rejected": [{"stage", "reply", "mail_from", "rcpt"}]}
        replies given by armed faults, in order
    POST   /_emu/smtp/faults {"code": 451, "count": 1, "stage": "mail"|"rcpt"|"data",
                              "message": "4.3.0 Try again later", "rcpt": "regex"}
        the next `count` commands at `stage` (for rcpt: whose address matches `rcpt`, re.search)
        answer "<code> <message>"; message defaults to a text fitting the code.
    GET    /_emu/smtp/faults -> {"faults": […]};  DELETE /_emu/smtp/faults -> {"cleared": N}
    GET    /_emu/smtp/config -> {"users": [...], "require_starttls", "auth_required", "max_size",
                                 "smtp_port", "cert_path"}
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import logging
import os
import re
import signal
import ssl
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import emu_base
from emu_base import Emulator, Request, Response, json_response

DEFAULT_USER = "hubble:hubble-smtp-pass"
DEFAULT_MAX = 10 * 1024 * 1024
RAW_CAP = 256 * 1024
DEFAULT_TEXT = {4: "4.3.0 Temporary failure, try again later (injected)",
                5: "5.7.1 Message rejected (injected)"}


# ---- certificates ----------------------------------------------------------------------------

def make_certificates(directory: str) -> tuple[str, str, str]:
    """A CA and a server certificate signed by it. Returns (ca_pem, chain_path, key_path)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agent-hubble test SMTP CA")])
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem).decode()
    chain_path = os.path.join(directory, "server-chain.pem")
    key_path = os.path.join(directory, "server-key.pem")
    with open(chain_path, "w") as f:
        f.write(cert.public_bytes(pem).decode() + ca_pem)
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return ca_pem, chain_path, key_path


# ---- captured state and the HTTP side --------------------------------------------------------

class SmtpCapture(Emulator):
    name = "smtp"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        super().__init__()
        self.route("GET", r"/_emu/smtp/messages/?", self._messages)
        self.route("DELETE", r"/_emu/smtp/messages/?", self._clear)
        self.route("GET", r"/_emu/smtp/rejected/?", lambda r: json_response(200, {"rejected": list(self.rejected)}))
        self.route("GET", r"/_emu/smtp/faults/?", lambda r: json_response(200, {"faults": [
            {k: (v.pattern if isinstance(v, re.Pattern) else v) for k, v in f.items()} for f in self.smtp_faults]}))
        self.route("POST", r"/_emu/smtp/faults/?", self._arm)
        self.route("DELETE", r"/_emu/smtp/faults/?", self._disarm)
        self.route("GET", r"/_emu/smtp/config/?", lambda r: json_response(200, self.config))

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.smtp_faults: list[dict[str, Any]] = []
        self.seq = 0

    def _messages(self, req: Request) -> Response:
        to = req.q("to")
        with self.lock:
            out = [m for m in self.messages if to is None or to.lower() in (r.lower() for r in m["rcpt_tos"])]
        return json_response(200, {"messages": out})

    def _clear(self, req: Request) -> Response:
        with self.lock:
            n = len(self.messages)
            self.messages.clear()
        return json_response(200, {"cleared": n})

    def _arm(self, req: Request) -> Response:
        spec = req.json() or {}
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(spec) - {"code", "count", "stage", "message", "rcpt"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        code = int(spec.get("code", 451))
        if not 400 <= code <= 599:
            raise ValueError("code must be a 4xx or 5xx SMTP reply code")
        stage = spec.get("stage", "rcpt")
        if stage not in ("mail", "rcpt", "data"):
            raise ValueError("stage must be mail, rcpt or data")
        count = int(spec.get("count", 1))
        if count < 1:
            raise ValueError("count must be >= 1")
        fault = {"code": code, "count": count, "stage": stage,
                 "message": spec.get("message") or DEFAULT_TEXT[code // 100],
                 "rcpt": re.compile(spec.get("rcpt") or "")}
        with self.lock:
            self.smtp_faults.append(fault)
            return json_response(200, {"armed": len(self.smtp_faults)})

    def _disarm(self, req: Request) -> Response:
        with self.lock:
            n = len(self.smtp_faults)
            self.smtp_faults.clear()
        return json_response(200, {"cleared": n})

    # ---- used by the SMTP handler (asyncio thread) -----------------------------------------------
    def take_fault(self, stage: str, rcpt: str | None = None, mail_from: str | None = None) -> str | None:
        with self.lock:
            for f in self.smtp_faults:
                if f["stage"] != stage or (rcpt is not None and not f["rcpt"].search(rcpt)):
                    continue
                f["count"] -= 1
                if f["count"] == 0:
                    self.smtp_faults.remove(f)
                reply = f"{f['code']} {f['message']}"
                self.rejected.append({"stage": stage, "reply": reply, "mail_from": mail_from, "rcpt": rcpt,
                                      "time": time.time()})
                return reply
        return None

    def capture(self, session: Session, envelope: Envelope) -> None:
        raw: bytes = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes)
                                                   else (envelope.content or "").encode())
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = html = None
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            parts.append({"content_type": part.get_content_type(), "charset": part.get_content_charset(),
                          "filename": part.get_filename(), "size": len(payload)})
        for kind in ("plain", "html"):
            body = msg.get_body(preferencelist=(kind,))
            if body is not None:
                content = body.get_content().replace("\r\n", "\n")
                if kind == "plain":
                    text = content
                else:
                    html = content
        ssl_info = session.ssl or {}
        ssl_obj = ssl_info.get("ssl_object") if isinstance(ssl_info, dict) else None
        auth = session.auth_data
        with self.lock:
            self.seq += 1
            self.messages.append({
                "seq": self.seq,
                "peer": list(session.peer) if isinstance(session.peer, tuple) else session.peer,
                "helo": session.host_name,
                "tls": session.ssl is not None,
                "tls_version": ssl_obj.version() if ssl_obj is not None else None,
                "auth_user": auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None,
                "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "mail_options": list(envelope.mail_options), "size": len(raw),
                "subject": msg.get("Subject"), "from": msg.get("From"), "to": msg.get("To"),
                "cc": msg.get("Cc"), "message_id": msg.get("Message-ID"), "date": msg.get("Date"),
                "headers": [[k, str(v)] for k, v in msg.items()],
                "text": text, "html": html, "parts": parts,
                "raw": raw[:RAW_CAP].decode("utf-8", "replace"),
                "received_at": time.time(),
            })


class Handler:
    """aiosmtpd handler hooks: faults at MAIL/RCPT/DATA, capture at DATA."""

    def __init__(self, emu: SmtpCapture) -> None:
        self.emu = emu

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.emu.take_fault("mail", mail_from=address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.emu.take_fault("rcpt", rcpt=address, mail_from=envelope.mail_from)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.emu.take_fault("data", mail_from=envelope.mail_from)
        if reply:
            return reply
        self.emu.capture(session, envelope)
        return "250 Message accepted for delivery"


def make_authenticator(users: dict[str, str]):
    def authenticator(server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        ok = user in users and users[user] == auth_data.password.decode("utf-8", "replace")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticator


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="agent-hubble test SMTP server (STARTTLS, AUTH, capture)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="SMTP port; 0 picks a free one")
    p.add_argument("--http-port", type=int, default=0, help="HTTP side port; 0 picks a free one")
    p.add_argument("--cert-out", help="write the CA certificate (PEM) that signs the server certificate here")
    p.add_argument("--user", action="append", default=[], help="NAME:PASSWORD (repeatable)")
    p.add_argument("--max-size", type=int, default=DEFAULT_MAX, help="largest message in bytes (SIZE)")
    p.add_argument("--no-require-starttls", action="store_true")
    p.add_argument("--auth-optional", action="store_true", help="accept MAIL without AUTH")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    args = p.parse_args(argv)
    # aiosmtpd logs to "mail.log" (a deprecation warning on every AUTH, a traceback for each
    # failed TLS handshake): keep stderr quiet unless --verbose.
    logging.getLogger("mail.log").setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)

    users = {}
    for spec in args.user or [DEFAULT_USER]:
        name, sep, password = spec.partition(":")
        if not sep or not name:
            p.error(f"--user wants NAME:PASSWORD, not {spec!r}")
        users[name] = password

    tmp = tempfile.TemporaryDirectory(prefix="hubble-smtp-")
    ca_pem, chain, key = make_certificates(tmp.name)
    if args.cert_out:
        with open(args.cert_out, "w") as f:
            f.write(ca_pem)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(chain, key)

    config: dict[str, Any] = {"users": sorted(users), "require_starttls": not args.no_require_starttls,
                              "auth_required": not args.auth_optional, "max_size": args.max_size,
                              "cert_path": args.cert_out}
    emu = SmtpCapture(config)
    handler = Handler(emu)

    loop = asyncio.new_event_loop()

    def factory() -> SMTP:
        return SMTP(handler, hostname="hubble-test-smtp", ident="agent-hubble test SMTP",
                    tls_context=tls, require_starttls=not args.no_require_starttls,
                    auth_required=not args.auth_optional, auth_require_tls=True,
                    authenticator=make_authenticator(users), data_size_limit=args.max_size,
                    enable_SMTPUTF8=True, timeout=60, loop=loop)

    smtp_server = loop.run_until_complete(loop.create_server(factory, host=args.host, port=args.port))
    smtp_port = smtp_server.sockets[0].getsockname()[1]
    config["smtp_port"] = smtp_port
    smtp_thread = threading.Thread(target=loop.run_forever, daemon=True)
    smtp_thread.start()

    http = ThreadingHTTPServer((args.host, args.http_port), emu_base._handler_class(emu, args.verbose))
    http.daemon_threads = True

    def stop(*_: Any) -> None:
        threading.Thread(target=http.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    print(f"READY {smtp_port} {http.server_address[1]}", flush=True)
    sys.stdout = sys.stderr
    try:
        http.serve_forever()
    finally:
        smtp_server.close()
        loop.call_soon_threadsafe(loop.stop)
        smtp_thread.join(5)
        tmp.cleanup()


if __name__ == "__main__":
    main()
