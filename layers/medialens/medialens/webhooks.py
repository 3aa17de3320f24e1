"""Webhook signing, delivery attempts, the retry schedule, and verification for receivers.

Every delivery carries two signatures of the exact body (docs/webhooks.md):

* the seeds' `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret UTF-8 bytes, body)>`;
* Standard Webhooks (standardwebhooks.com): `webhook-id` (the same on every retry of
  one event), `webhook-timestamp` (Unix seconds of this attempt) and
  `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the
  key is the base64-decoded rest of a `whsec_...` secret, else the secret's UTF-8 bytes.

Without a secret a delivery is unsigned (the ids and timestamp are still sent).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

from . import __version__
from .errors import MedialensError
from .netguard import check_url, pinned_connection

SIGNATURE_HEADER = "X-Webhook-Signature"
CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_TOLERANCE_SECONDS = 300  # clock skew a receiver accepts (Standard Webhooks' default)


class WebhookVerificationError(MedialensError):
    code = "webhook_verification_failed"
    http_status = 401


# ---- signing ------------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The X-Webhook-Signature value for body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header_value: str) -> bool:
    """Constant-time check of an X-Webhook-Signature header (for receivers)."""
    return hmac.compare_digest(sign(body, secret), header_value or "")


def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error as err:
            raise ValueError("a whsec_ secret must be base64 after the prefix") from err
    return secret.encode()


def standard_signature(body: bytes, secret: str, webhook_id: str, timestamp: int) -> str:
    """The webhook-signature value: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()).decode()


def headers_for(body: bytes, secret: str | None, webhook_id: str, timestamp: int) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": f"medialens-webhook/{__version__}",
               "webhook-id": webhook_id, "webhook-timestamp": str(timestamp)}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
        headers["webhook-signature"] = standard_signature(body, secret, webhook_id, timestamp)
    return headers


def verify(body: bytes, headers: dict[str, str], secret: str, *,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> Any:
    """For receivers: check a delivery and return its parsed JSON payload.

    Prefers the Standard Webhooks headers (signature and a timestamp within
    `tolerance_seconds` of now, against replays); falls back to X-Webhook-Signature.
    Raises WebhookVerificationError when neither checks out."""
    lower = {k.lower(): v for k, v in headers.items()}
    if "webhook-signature" in lower:
        webhook_id, stamp = lower.get("webhook-id", ""), lower.get("webhook-timestamp", "")
        if not (stamp.isascii() and stamp.isdigit()):
            raise WebhookVerificationError("webhook-timestamp is missing or not a number")
        if abs((time.time() if now is None else now) - int(stamp)) > tolerance_seconds:
            raise WebhookVerificationError("webhook-timestamp is outside the tolerance (replayed or clock skew)")
        expected = standard_signature(body, secret, webhook_id, int(stamp)).encode()
        if not any(hmac.compare_digest(expected, given.encode()) for given in lower["webhook-signature"].split()):
            raise WebhookVerificationError("webhook-signature does not match")
    elif not verify_signature(body, secret, lower.get(SIGNATURE_HEADER.lower(), "")):
        raise WebhookVerificationError("X-Webhook-Signature is missing or does not match")
    return json.loads(body)


# ---- one attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, as the delivery log shows it."""

    attempt: int
    webhook_id: str
    at: str
    duration_ms: float
    status_code: int | None = None
    error: str | None = None
    retry_after_seconds: float | None = None
    refused: bool | None = None  # the URL now resolves to a refused address: not retried

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), None if absent or unreadable."""
    if not value:
        return None
    if value.strip().isascii() and value.strip().isdigit():
        return float(value.strip())
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def attempt(url: str, body: bytes, secret: str | None, *, number: int, webhook_id: str,
            read_timeout: float, allow_private: bool = False) -> Attempt:
    """POST once, with explicit connect and read timeouts. Receiver failures (connection
    errors, timeouts, non-2xx) are returned, not raised; a URL that now resolves to a
    refused address raises UrlNotAllowedError."""
    from .jobs import utc_now

    checked = check_url(url, allow_private=allow_private)
    at, started = utc_now(), time.monotonic()
    headers = headers_for(body, secret, webhook_id, int(time.time()))
    conn = pinned_connection(checked, CONNECT_TIMEOUT_SECONDS)
    try:
        conn.connect()
        conn.sock.settimeout(read_timeout)
        conn.request("POST", checked.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        status, retry_after = response.status, _retry_after(response.getheader("Retry-After"))
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except OSError as err:  # refused, reset, TLS, timeout
        status, retry_after, error = None, None, f"{type(err).__name__}: {err}"
    finally:
        conn.close()
    return Attempt(number, webhook_id, at, round((time.monotonic() - started) * 1000, 1), status, error, retry_after)


def next_delay(number: int, base: float, cap: float, retry_after: float | None = None,
               rng: random.Random | None = None) -> float:
    """Seconds before attempt number+1: full jitter, uniform(0, min(cap, base * 2^(number-1))),
    but never sooner than the receiver's Retry-After (itself capped at `cap`)."""
    ceiling = min(cap, base * 2 ** (number - 1))
    delay = (rng or random).uniform(0, ceiling)
    return round(max(delay, min(retry_after or 0.0, cap)), 3)
