"""Tests of the local SMTP server (smtp_server.py): STARTTLS required, AUTH, capture of text and
HTML parts, size limit and injected SMTP faults, with the stdlib smtplib as the client."""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading
from email.message import EmailMessage

from emu_case import HERE, EmulatorTestCase

USER, PASSWORD = "hubble", "s3cret"
MAX_SIZE = 64 * 1024


class SmtpTests(EmulatorTestCase):
    script = "smtp_server.py"

    @classmethod
    def setUpClass(cls) -> None:
        # READY <smtp_port> <http_port>: the base class reads only one port, so start it here.
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ca = os.path.join(cls.tmp.name, "ca.pem")
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, cls.script), "--host", "127.0.0.1", "--port", "0",
             "--cert-out", cls.ca, "--user", f"{USER}:{PASSWORD}", "--user", "other:pw",
             "--max-size", str(MAX_SIZE)], stdout=subprocess.PIPE, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(cls.proc.stdout.readline()))
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("READY "):
            cls.proc.kill()
            raise RuntimeError(f"{cls.script} did not start: {line!r}")
        _, smtp_port, http_port = line[0].split()
        cls.smtp_port = int(smtp_port)
        cls.endpoint = f"http://127.0.0.1:{int(http_port)}"

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.tmp.cleanup()

    # ---- helpers ---------------------------------------------------------------------------------
    def connect(self) -> smtplib.SMTP:
        client = smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10)
        self.addCleanup(self._close, client)
        client.ehlo("hubble-tests")
        return client

    @staticmethod
    def _close(client: smtplib.SMTP) -> None:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def secure(self, login: bool = True) -> smtplib.SMTP:
        client = self.connect()
        client.starttls(context=ssl.create_default_context(cafile=self.ca))
        client.ehlo("hubble-tests")
        if login:
            client.login(USER, PASSWORD)
        return client

    @staticmethod
    def message(to="soc@example.com", subject="[HIGH] S3.8 my-bucket", size=0) -> EmailMessage:
        m = EmailMessage()
        m["From"] = "Agent Hubble <hubble@example.com>"
        m["To"] = to
        m["Subject"] = subject
        m["Message-ID"] = "<finding-1@hubble.test>"
        m.set_content("Finding S3.8 in 111122223333/us-east-1 — bucket my-bucket\n" + ("x" * 70 + "\n") * (size // 71))
        m.add_alternative("<h1>S3.8</h1><p>bucket <code>my-bucket</code> — 111122223333</p>", subtype="html")
        return m

    def captured(self) -> list[dict]:
        return self.call("GET", "/_emu/smtp/messages")[2]["messages"]

    # ---- tests -----------------------------------------------------------------------------------
    def test_plain_connection_refused_before_starttls(self):
        client = self.connect()
        self.assertTrue(client.has_extn("starttls"))
        self.assertFalse(client.has_extn("auth"))  # AUTH is only advertised over TLS
        code, text = client.docmd("MAIL FROM:<hubble@example.com>")
        self.assertEqual((code, text), (530, b"Must issue a STARTTLS command first"))
        code, _ = client.docmd("AUTH PLAIN AGh1YmJsZQBzM2NyZXQ=")
        self.assertEqual(code, 530)
        with self.assertRaises(smtplib.SMTPNotSupportedError):
            client.login(USER, PASSWORD)
        self.assertEqual(self.captured(), [])

    def test_certificate_is_trusted_through_the_written_ca(self):
        with open(self.ca) as f:
            self.assertTrue(f.read().startswith("-----BEGIN CERTIFICATE-----"))
        client = self.connect()
        with self.assertRaises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())  # system roots only
        client = smtplib.SMTP("localhost", self.smtp_port, timeout=10)  # hostname check by name
        self.addCleanup(self._close, client)
        client.starttls(context=ssl.create_default_context(cafile=self.ca))
        client.ehlo()
        self.assertTrue(client.has_extn("auth"))

    def test_auth_required_and_checked(self):
        client = self.secure(login=False)
        self.assertIn("PLAIN", client.esmtp_features["auth"])
        self.assertIn("LOGIN", client.esmtp_features["auth"])
        code, text = client.docmd("MAIL FROM:<hubble@example.com>")
        self.assertEqual(code, 530)
        self.assertIn(b"Authentication required", text)
        with self.assertRaises(smtplib.SMTPAuthenticationError) as ctx:
            client.login(USER, "wrong")
        self.assertEqual(ctx.exception.smtp_code, 535)
        client.login("other", "pw")  # a second --user works too (LOGIN or PLAIN, as smtplib picks)

    def test_starttls_auth_and_send_html_and_text(self):
        client = self.secure()
        refused = client.send_message(self.message(), to_addrs=["soc@example.com", "oncall@example.com"])
        self.assertEqual(refused, {})
        (m,) = self.captured()
        self.assertTrue(m["tls"])
        self.assertIn(m["tls_version"], ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(m["auth_user"], USER)
        self.assertEqual(m["mail_from"], "hubble@example.com")
        self.assertEqual(m["rcpt_tos"], ["soc@example.com", "oncall@example.com"])
        self.assertEqual(m["subject"], "[HIGH] S3.8 my-bucket")
        self.assertEqual(m["message_id"], "<finding-1@hubble.test>")
        self.assertEqual(m["text"], "Finding S3.8 in 111122223333/us-east-1 — bucket my-bucket\n")
        self.assertEqual(m["html"], "<h1>S3.8</h1><p>bucket <code>my-bucket</code> — 111122223333</p>\n")
        self.assertEqual([p["content_type"] for p in m["parts"]], ["text/plain", "text/html"])
        headers = dict(m["headers"])
        self.assertTrue(headers["Content-Type"].startswith("multipart/alternative"))
        self.assertEqual(self.call("GET", "/_emu/smtp/messages?to=oncall@example.com")[2]["messages"][0]["seq"], 1)
        self.assertEqual(self.call("GET", "/_emu/smtp/messages?to=nobody@example.com")[2]["messages"], [])

    def test_temporary_fault_at_rcpt_then_success(self):
        self.call("POST", "/_emu/smtp/faults", {"code": 451, "count": 1, "stage": "rcpt"})
        client = self.secure()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as ctx:
            client.send_message(self.message())
        (code, text), = ctx.exception.recipients.values()
        self.assertEqual(code, 451)
        self.assertTrue(text.startswith(b"4.3.0"))
        self.assertEqual(self.captured(), [])
        client.rset()
        self.assertEqual(client.send_message(self.message()), {})
        self.assertEqual(len(self.captured()), 1)
        (r,) = self.call("GET", "/_emu/smtp/rejected")[2]["rejected"]
        self.assertEqual((r["stage"], r["rcpt"]), ("rcpt", "soc@example.com"))

    def test_faults_at_data_and_mail_and_for_one_recipient(self):
        self.call("POST", "/_emu/smtp/faults", {"code": 451, "stage": "data", "message": "4.7.1 Try later"})
        client = self.secure()
        with self.assertRaises(smtplib.SMTPDataError) as ctx:
            client.send_message(self.message())
        self.assertEqual((ctx.exception.smtp_code, ctx.exception.smtp_error), (451, b"4.7.1 Try later"))
        self.assertEqual(self.captured(), [])
        self.call("POST", "/_emu/smtp/faults", {"code": 554, "stage": "mail"})
        with self.assertRaises(smtplib.SMTPSenderRefused) as ctx:
            client.send_message(self.message())
        self.assertEqual(ctx.exception.smtp_code, 554)
        # a permanent failure for one recipient: the message still goes to the others
        self.call("POST", "/_emu/smtp/faults", {"code": 550, "stage": "rcpt", "rcpt": "^bad@"})
        refused = client.send_message(self.message(), to_addrs=["bad@example.com", "soc@example.com"])
        self.assertEqual(list(refused), ["bad@example.com"])
        self.assertEqual(refused["bad@example.com"][0], 550)
        self.assertEqual(self.captured()[0]["rcpt_tos"], ["soc@example.com"])
        self.assertEqual(self.call("GET", "/_emu/smtp/faults")[2]["faults"], [])
        self.assertEqual(self.call("POST", "/_emu/smtp/faults", {"code": 200})[0], 400)
        self.assertEqual(self.call("POST", "/_emu/smtp/faults", {"stage": "helo"})[0], 400)

    def test_size_limit(self):
        client = self.secure()
        self.assertEqual(client.esmtp_features["size"], str(MAX_SIZE))
        with self.assertRaises(smtplib.SMTPSenderRefused) as ctx:  # SIZE= on MAIL
            client.send_message(self.message(size=MAX_SIZE))
        self.assertEqual(ctx.exception.smtp_code, 552)
        client.rset()
        self.assertEqual(client.mail("hubble@example.com")[0], 250)  # no SIZE=: refused after DATA
        self.assertEqual(client.rcpt("soc@example.com")[0], 250)
        code, text = client.data(self.message(size=MAX_SIZE).as_bytes(policy=email.policy.SMTP))
        self.assertEqual((code, text), (552, b"Error: Too much mail data"))
        self.assertEqual(self.captured(), [])

    def test_reset_and_config(self):
        self.secure().send_message(self.message())
        cfg = self.call("GET", "/_emu/smtp/config")[2]
        self.assertEqual((cfg["users"], cfg["require_starttls"], cfg["max_size"], cfg["smtp_port"]),
                         (["hubble", "other"], True, MAX_SIZE, self.smtp_port))
        self.assertEqual(self.call("DELETE", "/_emu/smtp/messages")[2], {"cleared": 1})
        self.call("POST", "/_emu/smtp/faults", {"code": 451})
        self.call("POST", "/_emu/reset")
        self.assertEqual(self.call("GET", "/_emu/smtp/faults")[2]["faults"], [])
