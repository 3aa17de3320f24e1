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

from .allowlist import AllowlistStore
from .jobs import JobStore
from .settings import Settings, get_settings
from .storage import MediaStore

_lock = threading.Lock()
_services: Services | None = None


@dataclass(frozen=True)
class Services:
    settings: Settings
    media: MediaStore
    jobs: JobStore
    allowlist: AllowlistStore
    sfn: Any
    lambdas: Any


def services() -> Services:
    global _services
    with _lock:
        if _services is None:
            settings = get_settings()
            session = boto3.session.Session()
            media = MediaStore(session.client("s3"), settings.bucket_name)
            dynamodb = session.client("dynamodb")
            _services = Services(
                settings=settings,
                media=media,
                jobs=JobStore(dynamodb, settings.table_name),
                allowlist=AllowlistStore(dynamodb, settings.table_name, media),
                sfn=session.client("stepfunctions"),
                lambdas=session.client("lambda"),
            )
        return _services


def reset() -> None:
    """Forget the clients (after settings or endpoints change, e.g. in tests)."""
    global _services
    with _lock:
        _services = None
