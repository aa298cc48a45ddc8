"""Tests of the shared emulator machinery (faults, request log, reset) on a tiny emulator."""

from __future__ import annotations

import time

from emu_case import EmulatorTestCase


class BaseTests(EmulatorTestCase):
    script = "echo_emulator.py"

    def test_route_and_404_405(self):
        self.assertEqual(self.call("GET", "/echo/x")[2], {"echo": "x"})
        self.assertEqual(self.call("GET", "/nope")[0], 404)
        self.assertEqual(self.call("DELETE", "/echo/x")[0], 405)

    def test_fault_before_and_count(self):
        self.call("POST", "/_emu/faults", {"path": "^/echo/", "status": 429,
                                           "headers": {"Retry-After": "2"}, "count": 2})
        for _ in range(2):
            status, headers, _ = self.call("GET", "/echo/a")
            self.assertEqual(status, 429)
            self.assertEqual(headers.get("Retry-After"), "2")
        self.assertEqual(self.call("GET", "/echo/a")[0], 200)

    def test_fault_after_keeps_effect(self):
        self.call("POST", "/_emu/faults", {"method": "POST", "path": "^/count$", "status": 503,
                                           "after": True})
        self.assertEqual(self.call("POST", "/count")[0], 503)
        self.assertEqual(self.call("GET", "/count")[2], {"count": 1})

    def test_delay(self):
        self.call("POST", "/_emu/faults", {"path": "^/echo/", "status": 0, "delay": 0.3})
        t = time.monotonic()
        self.assertEqual(self.call("GET", "/echo/a")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.3)

    def test_request_log_and_reset(self):
        self.call("GET", "/echo/a?x=1")
        log = self.call("GET", "/_emu/requests")[2]["requests"]
        self.assertEqual([(r["method"], r["path"], r["query"]) for r in log],
                         [("GET", "/echo/a", {"x": ["1"]})])
        self.call("POST", "/count")
        self.call("POST", "/_emu/reset")
        self.assertEqual(self.call("GET", "/_emu/requests")[2]["requests"], [])
        self.assertEqual(self.call("GET", "/count")[2], {"count": 0})

    def test_bad_fault_is_400(self):
        self.assertEqual(self.call("POST", "/_emu/faults", {"bogus": 1})[0], 400)
