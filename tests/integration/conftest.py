"""One local runtime (moto + real ASL + in-process handlers + HTTP) for the session, and
a webhook receiver on 127.0.0.1. Both bind loopback and stop when the session ends."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from medialens.local.runtime import LocalRuntime, free_port
from medialens.schemas import TERMINAL_STATUSES
from tests.conftest import jpeg_bytes

REPO = Path(__file__).resolve().parents[2]
# what a user's shell has: none of the variables the in-process test runtime has set
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIALENS_", "MOTO_"))}


@contextlib.contextmanager
def serve_process(state_dir: Path, *args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`medialens serve` in a process of its own, as a user runs it: (process, base URL).
    Killed on exit if still running."""
    port = free_port()
    proc = subprocess.Popen([str(REPO / ".venv/bin/medialens"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--state-dir", str(state_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**CLEAN_ENV, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "listening on" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail("medialens serve exited before listening")
        assert f"http://127.0.0.1:{port}" in line
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def service():
    with LocalRuntime("127.0.0.1", 0, allow_private_urls=True) as runtime:
        yield runtime


@pytest.fixture
def settings_override(service):
    """Change the running service's settings (MEDIALENS_<NAME>=value) for one test, then restore.
    Handlers run in this process, so they see the change at their next call."""
    import os

    from medialens import aws
    from medialens.settings import get_settings

    saved: dict[str, str | None] = {}

    def apply(**values: object) -> None:
        for name, value in values.items():
            key = f"MEDIALENS_{name.upper()}"
            saved.setdefault(key, os.environ.get(key))
            os.environ[key] = str(value)
        get_settings.cache_clear()
        aws.reset()

    yield apply
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    aws.reset()


@pytest.fixture(scope="session")
def api(service):
    """requests, with paths relative to the local service."""
    class Api:
        base = service.url

        def post(self, path: str, **kwargs: Any) -> requests.Response:
            return requests.post(self.base + path, timeout=30, **kwargs)

        def delete(self, path: str, **kwargs: Any) -> requests.Response:
            return requests.delete(self.base + path, timeout=30, **kwargs)

        def get(self, path: str, **kwargs: Any) -> requests.Response:
            return requests.get(self.base + path, timeout=30, **kwargs)

        def wait(self, location: str, timeout: float = 120, headers: dict | None = None) -> tuple[dict, list[str]]:
            """Poll until terminal; returns the final body and every status seen."""
            seen: list[str] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                body = self.get(location, headers=headers or {}).json()
                if not seen or seen[-1] != body["status"]:
                    seen.append(body["status"])
                if body["status"] in TERMINAL_STATUSES:
                    return body, seen
                time.sleep(0.05)
            raise AssertionError(f"{location} still {seen[-1]} after {timeout}s")
    return Api()


@pytest.fixture(scope="session")
def b64(corpus):
    def encode(relative: str, max_side: int = 480) -> str:
        return base64.b64encode(jpeg_bytes(corpus / relative, max_side)).decode()
    return encode


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: list[int] = []  # status codes to answer with, in order; then 200
        self._arrived = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = outer.responses.pop(0) if outer.responses else 200
                with outer._arrived:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body, "answered": status})
                    outer._arrived.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, path: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        with self._arrived:
            self._arrived.wait_for(
                lambda: len([r for r in self.requests if r["path"] == path]) >= count, timeout)
        found = [r for r in self.requests if r["path"] == path]
        assert len(found) >= count, f"{count} webhook(s) to {path} expected, got {len(found)}"
        return found

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def receiver():
    r = Receiver()
    yield r
    r.close()


def as_json(body: bytes) -> Any:
    return json.loads(body)
