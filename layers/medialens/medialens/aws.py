"""AWS clients and the stores built on them, one set per thread (boto3 resources are not
thread-safe; the local runtime runs Map iterations on threads). boto3 honours
AWS_ENDPOINT_URL, which is how `medialens serve` points everything at moto."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3

from .jobs import JobStore
from .settings import Settings, get_settings
from .storage import MediaStore

_local = threading.local()


@dataclass(frozen=True)
class Services:
    settings: Settings
    media: MediaStore
    jobs: JobStore
    sfn: Any


def services() -> Services:
    svc = getattr(_local, "services", None)
    if svc is None:
        settings = get_settings()
        session = boto3.session.Session()
        svc = Services(
            settings=settings,
            media=MediaStore(session.client("s3"), settings.bucket_name),
            jobs=JobStore(session.resource("dynamodb").Table(settings.table_name)),
            sfn=session.client("stepfunctions"),
        )
        _local.services = svc
    return svc


def reset() -> None:
    """Forget this thread's clients (after settings or endpoints change, e.g. in tests)."""
    _local.services = None
