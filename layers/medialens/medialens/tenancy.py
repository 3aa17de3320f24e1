"""API keys and tenants: who is calling, and which jobs and allowlists are theirs.

Every endpoint but health and the API docs needs an `X-Api-Key`. On AWS, API Gateway
checks it (API keys + a usage plan, template.yaml) and the function reads the key it
validated; under `medialens serve --api-key KEY` the same check runs here against the
configured keys. With no key configured at all (a laptop), the API is open and every
caller is the tenant "public".

A tenant is named by a hash of its key, so keys never reach the job table, the logs or
a response. Jobs, results, delivery logs and allowlists belong to the tenant that
created them; another tenant gets 404 for them (never 403: ids do not leak existence).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from .errors import MedialensError

PUBLIC = "public"
KEY_HEADER = "X-Api-Key"
OPEN_PATHS = frozenset({"/v1/health", "/v1/openapi.json", "/openapi.json", "/docs", "/v1/docs"})


class UnauthorizedError(MedialensError):
    code = "unauthorized"
    http_status = 401


def tenant_of(api_key: str) -> str:
    """The tenant id of a key: "t_" + 16 hex digits of its SHA-256 (S3 drops under
    incoming/<tenant id>/ belong to that tenant)."""
    return "t_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def caller(headers: dict[str, str], request_context: dict[str, Any], settings: Any) -> str:
    """The calling tenant, or UnauthorizedError."""
    given = next((v for k, v in (headers or {}).items() if k.lower() == KEY_HEADER.lower()), None)
    if settings.api_keys:  # checked here (medialens serve --api-key)
        if given and any(hmac.compare_digest(given, key) for key in settings.api_keys):
            return tenant_of(given)
        raise UnauthorizedError(f"a valid {KEY_HEADER} header is required")
    if settings.require_api_key:  # API Gateway checked it
        key = (request_context or {}).get("identity", {}).get("apiKey") or given
        if not key:
            raise UnauthorizedError(f"a valid {KEY_HEADER} header is required")
        return tenant_of(key)
    return PUBLIC


def drop_tenant(key: str) -> str:
    """The tenant of an object dropped under incoming/: incoming/<tenant id>/..., else public."""
    parts = key.split("/")
    if len(parts) > 2 and parts[1].startswith("t_") and len(parts[1]) == 18:
        return parts[1]
    return PUBLIC
