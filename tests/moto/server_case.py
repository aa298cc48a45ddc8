"""Shared base for the plugin tests: one plugin server per test class, raw HTTP for the
test-only endpoints, and boto3 clients pointed at it (no retries, so faults show at once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.request

import boto3
import botocore.config

HERE = os.path.dirname(os.path.abspath(__file__))


class ServerTestCase(unittest.TestCase):
    proc: subprocess.Popen
    endpoint: str
    #: Region and service of `client()` when a test does not name them.
    region = "us-east-1"
    service = "securityhub"

    @classmethod
    def setUpClass(cls) -> None:
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "hubble_moto.py"), "--host", "127.0.0.1",
             "--port", "0"], stdout=subprocess.PIPE, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(cls.proc.stdout.readline()))
        reader.start()
        reader.join(60)
        if not line or not line[0].startswith("READY "):
            cls.proc.kill()
            raise RuntimeError(f"plugin server did not start: {line!r}")
        cls.endpoint = f"http://127.0.0.1:{int(line[0].split()[1])}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.proc.stdout.close()

    def http(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(self.endpoint + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(req) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read()
        try:
            return status, json.loads(text or b"{}")
        except ValueError:
            return status, {}

    def client(self, service: str | None = None, region: str | None = None,
               creds: dict | None = None, validate: bool = True):
        creds = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
        return boto3.client(
            service or self.service, endpoint_url=self.endpoint, region_name=region or self.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
            config=botocore.config.Config(retries={"total_max_attempts": 1},
                                          parameter_validation=validate))
