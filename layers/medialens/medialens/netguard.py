"""Outbound URLs the service calls on a user's behalf (webhooks, image URLs): SSRF guard.

A URL is allowed when it is http(s) and every address its host resolves to is public.
Loopback, private, link-local (incl. cloud metadata 169.254.169.254), CGNAT, multicast,
reserved and unspecified addresses are refused unless allow_private is set (local testing).
Connections are pinned to the address that was checked, so DNS rebinding between check
and connect cannot redirect a request.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import UrlFetchError, UrlNotAllowedError

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path + query, as sent in the request line
    address: str  # the vetted IP to connect to


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool = False) -> CheckedUrl:
    """Parse, resolve and vet a URL; raise UrlNotAllowedError with the reason otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as err:  # "http://[/", "http://host:99999/": found by tests/unit/test_parser_properties.py
        raise UrlNotAllowedError(f"not a valid URL ({err}): {url!r}") from err
    if parts.scheme not in ("http", "https"):
        raise UrlNotAllowedError(f"URL scheme must be http or https: {url!r}")
    if not parts.hostname:
        raise UrlNotAllowedError(f"URL has no host: {url!r}")
    if parts.username or parts.password:
        raise UrlNotAllowedError("URLs with credentials are not accepted")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as err:
        raise UrlNotAllowedError(f"invalid port in URL: {url!r}") from err
    if host.lower() in _METADATA_HOSTS and not allow_private:
        raise UrlNotAllowedError(f"host {host!r} is a cloud metadata endpoint")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UrlNotAllowedError(f"host {host!r} does not resolve") from err
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        refused = [a for a in addresses if not _is_public(a)]
        if refused:
            raise UrlNotAllowedError(
                f"host {host!r} resolves to a non-public address ({refused[0]}); "
                "loopback, private, link-local and metadata addresses are refused"
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedUrl(url, parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP while verifying the certificate for the URL's host name."""

    def __init__(self, checked: CheckedUrl, timeout: float):
        super().__init__(checked.host, checked.port, timeout=timeout,
                         context=ssl.create_default_context())
        self._address = checked.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, checked: CheckedUrl, timeout: float):
        super().__init__(checked.host, checked.port, timeout=timeout)
        self._address = checked.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def pinned_connection(checked: CheckedUrl, timeout: float) -> http.client.HTTPConnection:
    """A connection to the vetted address; redirects are not followed by http.client."""
    cls = _PinnedHTTPSConnection if checked.scheme == "https" else _PinnedHTTPConnection
    return cls(checked, timeout)


def fetch(url: str, *, max_bytes: int, timeout: float, max_redirects: int = 3,
          allow_private: bool = False) -> bytes:
    """GET a URL on a user's behalf: every hop (redirects included, at most max_redirects)
    is vetted and pinned like check_url; the body is capped at max_bytes and the whole
    fetch at timeout seconds. Raises UrlNotAllowedError for refused targets and
    UrlFetchError (code fetch_failed / too_large / too_many_redirects) otherwise."""
    import time
    from urllib.parse import urljoin

    deadline = time.monotonic() + timeout
    for _ in range(max_redirects + 1):
        checked = check_url(url, allow_private=allow_private)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UrlFetchError(f"fetching {url} took longer than {timeout:g} s", code="fetch_timeout")
        conn = pinned_connection(checked, remaining)
        try:
            conn.request("GET", checked.path, headers={"User-Agent": "medialens-fetch", "Accept": "*/*"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise UrlFetchError(f"{url} redirected without a Location", code="fetch_failed")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise UrlFetchError(f"{url} answered HTTP {response.status}", code="fetch_failed")
            declared = response.getheader("Content-Length")
            if declared and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise UrlFetchError(f"{url} is {declared} bytes; the limit is {max_bytes}", code="too_large")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise UrlFetchError(f"{url} is larger than the limit of {max_bytes} bytes", code="too_large")
            return body
        except OSError as err:  # refused, reset, TLS, timeout
            raise UrlFetchError(f"fetching {url} failed: {err}", code="fetch_failed") from err
        finally:
            conn.close()
    raise UrlFetchError(f"{url}: more than {max_redirects} redirects", code="too_many_redirects")
