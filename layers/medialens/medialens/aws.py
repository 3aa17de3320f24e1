"""AWS clients and the stores built on them, created once per process.

Low-level boto3 clients are thread-safe (resources are not, so none are used): the local
runtime runs Map iterations on many threads and they share these. boto3 honours
AWS_ENDPOINT_URL, which is how `medialens serve` points everything at moto.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from .allowlist import AllowlistStore
from .jobs import JobStore
from .settings import Settings, get_settings
from .storage import MediaStore

_lock = threading.Lock()
# Throttling and 5xx are retried inside each call (adaptive backoff); explicit timeouts so
# a stalled connection fails the step (and the workflow's Retry) instead of hanging it.
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 6}, connect_timeout=5, read_timeout=30,
                       max_pool_connections=32)
_services: Services | None = None


@dataclass(frozen=True)
class Services:
    settings: Settings
    media: MediaStore
    jobs: JobStore
    allowlist: AllowlistStore
    sfn: Any
    lambdas: Any
    sqs: Any


def services() -> Services:
    global _services
    with _lock:
        if _services is None:
            settings = get_settings()
            session = boto3.session.Session()
            media = MediaStore(session.client("s3", config=CLIENT_CONFIG), settings.bucket_name)
            dynamodb = session.client("dynamodb", config=CLIENT_CONFIG)
            _services = Services(
                settings=settings,
                media=media,
                jobs=JobStore(dynamodb, settings.table_name),
                allowlist=AllowlistStore(dynamodb, settings.table_name, media),
                sfn=session.client("stepfunctions", config=CLIENT_CONFIG),
                lambdas=session.client("lambda", config=CLIENT_CONFIG.merge(Config(read_timeout=60))),
                sqs=session.client("sqs", config=CLIENT_CONFIG),
            )
        return _services


def reset() -> None:
    """Forget the clients (after settings or endpoints change, e.g. in tests)."""
    global _services
    with _lock:
        _services = None
