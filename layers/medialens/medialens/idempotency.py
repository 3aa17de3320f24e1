"""`Idempotency-Key` on the POSTs that create jobs (Powertools idempotency).

A repeat of the same key and the same body within 24 h gets the stored answer, that is
the same job; the same key with another body gets 422. A repeat that arrives while
the first is still being handled gets 409. Records live in the jobs table under
pk="idempotency" and expire through its TTL attribute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .errors import ConflictError, InvalidRequestError, MedialensError

HEADER = "Idempotency-Key"
WINDOW_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


class IdempotencyKeyReusedError(MedialensError):
    code = "idempotency_key_reused"
    http_status = 422


def once(key: str | None, scope: str, body: bytes, create: Callable[[], dict[str, Any]],
         table_name: str, lambda_context: Any = None) -> dict[str, Any]:
    """create() at most once per (scope, key) in WINDOW_SECONDS; no key: create() every time."""
    if key is None:
        return create()
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequestError(f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters",
                                  code="invalid_idempotency_key")
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    persistence = DynamoDBPersistenceLayer(table_name=table_name, key_attr="pk", sort_key_attr="sk",
                                           static_pk_value="idempotency", expiry_attr="expires_at")
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body",
                               expires_after_seconds=WINDOW_SECONDS, hash_function="sha256")
    if lambda_context is not None:  # an in-progress record then expires with the invocation
        config.register_lambda_context(lambda_context)

    @idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence)
    def create_once(request: dict[str, str]) -> dict[str, Any]:
        return create()

    try:
        return create_once(request={"key": f"{scope}:{key}", "body": hashlib.sha256(body).hexdigest()})
    except IdempotencyValidationError as err:
        raise IdempotencyKeyReusedError(
            f"{HEADER} {key!r} was used within 24 h for a different request") from err
    except IdempotencyAlreadyInProgressError as err:
        raise ConflictError(f"a request with {HEADER} {key!r} is still in progress; retry shortly",
                            code="idempotency_key_in_progress") from err
