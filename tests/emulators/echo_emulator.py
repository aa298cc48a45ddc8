"""A tiny emulator used only by test_emu_base.py to test the shared machinery."""

from __future__ import annotations

from emu_base import Emulator, Request, json_response, serve


class Echo(Emulator):
    name = "echo"

    def reset(self) -> None:
        self.count = 0

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/echo/(?P<word>[^/]+)", lambda r: json_response(200, {"echo": r.match["word"]}))
        self.route("POST", r"/count", self._inc)
        self.route("GET", r"/count", lambda r: json_response(200, {"count": self.count}))

    def _inc(self, req: Request):
        with self.lock:
            self.count += 1
        return json_response(200, {"count": self.count})


if __name__ == "__main__":
    serve(Echo())
