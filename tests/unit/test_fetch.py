"""netguard.fetch against a local server on 127.0.0.1 (allowed only with allow_private)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medialens.errors import UrlFetchError, UrlNotAllowedError
from medialens.netguard import fetch

BODY = b"\x89PNG\r\n\x1a\n" + b"x" * 5000


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        routes = {
            "/ok": (200, {"Content-Length": str(len(BODY))}, BODY),
            "/redirect": (302, {"Location": "/ok"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/missing": (404, {}, b"nope"),
            "/big-undeclared": (200, {}, BODY * 10),
        }
        status, headers, body = routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str, **kwargs):
    return fetch(url, max_bytes=kwargs.pop("max_bytes", 10_000), timeout=5, allow_private=True, **kwargs)


def test_fetches_and_follows_a_redirect(server):
    assert get(f"{server}/ok") == BODY
    assert get(f"{server}/redirect") == BODY


def test_limits(server):
    with pytest.raises(UrlFetchError) as err:
        get(f"{server}/ok", max_bytes=100)
    assert err.value.code == "too_large"
    with pytest.raises(UrlFetchError) as err:
        get(f"{server}/big-undeclared")
    assert err.value.code == "too_large"
    with pytest.raises(UrlFetchError) as err:
        get(f"{server}/loop")
    assert err.value.code == "too_many_redirects"
    with pytest.raises(UrlFetchError) as err:
        get(f"{server}/missing")
    assert err.value.code == "fetch_failed"


def test_every_redirect_hop_is_vetted(server):
    with pytest.raises(UrlNotAllowedError):
        fetch(f"{server}/ok", max_bytes=10_000, timeout=5)  # loopback refused by default
    with pytest.raises(UrlNotAllowedError, match="scheme"):  # the hop after the redirect is checked too
        get(f"{server}/to-file")


def test_unreachable_host_is_a_fetch_error():
    with pytest.raises(UrlFetchError) as err:
        fetch("http://127.0.0.1:9/x", max_bytes=10, timeout=2, allow_private=True)
    assert err.value.code == "fetch_failed"
