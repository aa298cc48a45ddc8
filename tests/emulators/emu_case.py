"""Shared base for the emulators' own tests: one emulator process per test class, raw HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class EmulatorTestCase(unittest.TestCase):
    #: The emulator script in this folder, e.g. "azure_arm.py".
    script = ""
    extra_args: list[str] = []
    proc: subprocess.Popen
    endpoint: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, cls.script), "--host", "127.0.0.1", "--port", "0",
             *cls.extra_args], stdout=subprocess.PIPE, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(cls.proc.stdout.readline()))
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("READY "):
            cls.proc.kill()
            raise RuntimeError(f"{cls.script} did not start: {line!r}")
        cls.endpoint = f"http://127.0.0.1:{int(line[0].split()[1])}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.proc.stdout.close()

    def setUp(self) -> None:
        self.call("POST", "/_emu/reset")

    def call(self, method: str, path: str, body=None, headers: dict | None = None,
             form: dict | None = None) -> tuple[int, dict, object]:
        """Returns (status, headers, parsed JSON body or raw text)."""
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.endpoint + path, method=method, data=data, headers=hdrs)
        try:
            with urllib.request.urlopen(req) as resp:
                status, rh, text = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            status, rh, text = err.code, dict(err.headers), err.read()
        try:
            return status, rh, json.loads(text) if text else None
        except ValueError:
            return status, rh, text.decode("utf-8", "replace")
