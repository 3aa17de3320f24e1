"""Webhook payload signing and delivery.

The signature is GitHub's convention, as promised in the seed: the header
`X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the
secret's UTF-8 bytes>`. Without a secret the request is unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from . import __version__
from .errors import WebhookDeliveryError
from .netguard import check_url, pinned_connection

SIGNATURE_HEADER = "X-Webhook-Signature"


def sign(body: bytes, secret: str) -> str:
    """The X-Webhook-Signature value for body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header_value: str) -> bool:
    """Constant-time check of an X-Webhook-Signature header (for receivers)."""
    return hmac.compare_digest(sign(body, secret), header_value or "")


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int
    elapsed_ms: float


def deliver(url: str, body: bytes, secret: str | None, *, timeout: float,
            allow_private: bool = False) -> DeliveryResult:
    """POST body to url once. Raises WebhookDeliveryError on a connection error, a timeout
    or a non-2xx answer (the workflow retries those), UrlNotAllowedError if the URL now
    resolves to a refused address (not retried)."""
    import time

    checked = check_url(url, allow_private=allow_private)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"medialens-webhook/{__version__}",
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    started = time.monotonic()
    conn = pinned_connection(checked, timeout)
    try:
        conn.request("POST", checked.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
    except OSError as err:  # refused, reset, DNS, TLS, timeout
        raise WebhookDeliveryError(f"webhook POST to {checked.host} failed: {err}") from err
    finally:
        conn.close()
    elapsed = (time.monotonic() - started) * 1000
    if not 200 <= response.status < 300:
        raise WebhookDeliveryError(f"webhook receiver answered HTTP {response.status}")
    return DeliveryResult(response.status, elapsed)
