"""The life of a video job on the API side (no decoding here: the API function is light).

Every job is probed before its execution starts, whichever way the video arrived:
    POST /v1/videos (body ≤ 10 MB)  → stored, probed synchronously (400/413 at once), started
    POST /v1/uploads + presigned PUT → the upload's S3 event → ingest: probed, started
    object dropped under incoming/   → S3 event → ingest: job created idempotently, probed, started
The probe runs in the analysis image (ProbeVideoFunction) and its findings (duration,
fps, size, codec) are stored on the job row, where the workflow plans its segments.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from typing import Any

from .. import dispatch, tenancy
from ..errors import InvalidRequestError, MedialensError, NotFoundError, PayloadTooLargeError, TransientError
from ..jobs import JobRecord, utc_now
from ..netguard import check_url
from .sniff import container_of

logger = logging.getLogger(__name__)
VIDEO = "video"
UPLOAD_PREFIX = "uploads/"
DROP_PREFIX = "incoming/"


class UnsupportedMediaError(MedialensError):
    code = "unsupported_media_type"
    http_status = 415


def input_key(job_id: str) -> str:
    return f"jobs/{job_id}/input/video"


def _new_job(job_id: str, source_key: str, max_seconds: int, webhook_url: str | None,
             webhook_secret: str | None, svc: Any, tenant: str, priority: int = 0) -> JobRecord:
    if webhook_url:
        check_url(webhook_url, allow_private=svc.settings.allow_private_urls)
    now = utc_now()
    return JobRecord(job_id=job_id, kind=VIDEO, created_at=now, updated_at=now, source_key=source_key,
                     deadline_epoch_ms=int(time.time() * 1000) + max_seconds * 1000 if max_seconds else 0,
                     webhook_url=webhook_url, webhook_secret=webhook_secret, tenant=tenant, priority=priority)


def probe(key: str, svc: Any) -> dict[str, Any]:
    """Ask the analysis image what the stored video is; MedialensError (4xx) if it is not one
    we accept: undecodable (invalid_video) or longer than the limit (video_too_long, 413)."""
    response = svc.lambdas.invoke(FunctionName=svc.settings.probe_function_name,
                                  Payload=json.dumps({"bucket": svc.media.bucket, "key": key}).encode())
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise TransientError(f"probing the video failed: {payload.get('errorMessage', payload)}")
    if "error" in payload:
        raise MedialensError(payload["error"]["message"], code=payload["error"]["code"])
    if payload["duration"] > svc.settings.max_video_seconds:
        err = PayloadTooLargeError(f"the video lasts {payload['duration']:.0f} s; the limit is "
                                   f"{svc.settings.max_video_seconds:.0f} s")
        err.code = "video_too_long"
        raise err
    return payload


def _start(job: JobRecord, svc: Any) -> None:
    """Start (or queue, with a priority) the job's workflow; S3 events repeat, so both are
    idempotent (an existing execution, or a queued job the dispatcher finds started)."""
    dispatch.launch(job, svc)


def submit_video_body(body: bytes, max_seconds: int, webhook_url: str | None, webhook_secret: str | None,
                      svc: Any, tenant: str, priority: int = 0) -> str:
    """POST /v1/videos: the body is the video."""
    if not body:
        raise InvalidRequestError("the request body is empty: send the video file as the body", code="empty_body")
    if container_of(body[:1024]) is None:
        raise UnsupportedMediaError("the body is not a video container we recognise (mp4, mov, webm/mkv, "
                                    "avi, mpeg, ts, flv, ogg, asf)")
    job_id = f"{VIDEO}_{uuid.uuid4().hex}"
    job = _new_job(job_id, input_key(job_id), max_seconds, webhook_url, webhook_secret, svc, tenant, priority)
    svc.media.put_bytes(job.source_key, body, "application/octet-stream")
    try:
        job.media = probe(job.source_key, svc)
    except MedialensError:
        svc.media.delete(job.source_key)
        raise
    svc.jobs.create(job)
    dispatch.launch(job, svc, accepted_now=True)
    return job_id


def create_upload(max_seconds: int, webhook_url: str | None, webhook_secret: str | None,
                  svc: Any, tenant: str, priority: int = 0) -> dict[str, Any]:
    """POST /v1/uploads: a job waiting for its video, and a presigned PUT URL for it."""
    job_id = f"{VIDEO}_{uuid.uuid4().hex}"
    job = _new_job(job_id, f"{UPLOAD_PREFIX}{job_id}", max_seconds, webhook_url, webhook_secret, svc, tenant,
                   priority)
    svc.jobs.create(job)
    expires = svc.settings.upload_url_seconds
    url = svc.media.presigned_put(job.source_key, expires, "application/octet-stream")
    return {"job_id": job_id, "upload_url": url, "method": "PUT", "expires_in": expires,
            "headers": {"Content-Type": "application/octet-stream"},
            "max_bytes": svc.settings.max_upload_bytes, "location": f"/v1/videos/{job_id}"}


def drop_job_id(key: str, etag: str) -> str:
    """The same object (key and content) always maps to the same job: S3 events repeat."""
    return f"{VIDEO}_{hashlib.sha256(f'{key}|{etag}'.encode()).hexdigest()[:32]}"


def ingest_object(key: str, size: int, etag: str, svc: Any) -> str | None:
    """An S3 ObjectCreated event under uploads/ or incoming/: probe and start, idempotently.
    Returns the job id, or None for keys that are not ours."""
    if key.startswith(UPLOAD_PREFIX):
        job_id = key[len(UPLOAD_PREFIX):]
        try:
            job = svc.jobs.get(job_id)
        except NotFoundError:
            logger.warning("upload %s has no job; ignored", key)
            return None
    elif key.startswith(DROP_PREFIX):
        job_id = drop_job_id(key, etag)
        job = _new_job(job_id, key, 0, None, None, svc, tenancy.drop_tenant(key))
        if not svc.jobs.create_if_absent(job):
            job = svc.jobs.get(job_id)
    else:
        return None
    if job.status != "queued" or job.media:
        if not job.priority:  # probed before: a repeated event only re-asserts the execution
            _start(job, svc)  # (a queued job is the dispatcher's: queuing it twice would count it twice)
        return job_id
    try:
        if size > svc.settings.max_upload_bytes:
            raise PayloadTooLargeError(f"the video is {size} bytes; the limit is {svc.settings.max_upload_bytes}")
        svc.jobs.set_fields(job_id, media=probe(key, svc))
    except MedialensError as err:  # the workflow fails the job with this reason (and sends its webhook)
        svc.jobs.set_fields(job_id, error_code=err.code, error_message=err.message)
    _start(job, svc)
    return job_id
