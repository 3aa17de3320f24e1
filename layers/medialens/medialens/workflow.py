"""The life of an image batch job, one function per step of statemachine/image_batch.asl.json.

submit (API) → start_job → analyze_chunk × N (Map) → finalize_job → deliver_webhook.
Each step takes its inputs and a Services bundle, so it runs the same in Lambda, under
`medialens serve`, and in unit tests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from . import batch, dispatch, webhooks
from .aws import Services
from .batch import MODERATION_BATCH
from .errors import InvalidRequestError, JobTimeoutError, MedialensError, NotFoundError, VideoRejectedError
from .jobs import JobRecord, utc_now
from .netguard import check_url
from .schemas import (
    PRIORITY_WORDS,
    TERMINAL_STATUSES,
    ErrorInfo,
    ImageBatchRequest,
    ImageBatchStatus,
    ImageItem,
    JobList,
    JobSummary,
    Progress,
    VideoJobStatus,
    dump,
    priority_level,
)
from .video.jobs import VIDEO

logger = logging.getLogger(__name__)
IMAGE_BATCH = "image_batch"


def _epoch_ms() -> int:
    return int(time.time() * 1000)


def parse_time(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# ---- ① submit (API) ---------------------------------------------------------------------


def submit_image_batch(request: ImageBatchRequest, max_processing_seconds: int, svc: Services,
                       tenant: str) -> str:
    """Store the items, write the job row, start the workflow. Returns the job id."""
    settings = svc.settings
    if len(request.images) > settings.max_images_per_batch:
        raise InvalidRequestError(
            f"{len(request.images)} images in one request; the limit is {settings.max_images_per_batch}",
            code="too_many_images")
    if request.webhook:
        check_url(request.webhook.url, allow_private=settings.allow_private_urls)

    job_id = f"{IMAGE_BATCH}_{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pair: svc.media.put_bytes(
            svc.media.input_key(job_id, pair[0]), pair[1].data_base64.encode(), "text/plain"),
            enumerate(request.images)))
    svc.media.put_json(svc.media.manifest_key(job_id), {
        "job_id": job_id, "kind": IMAGE_BATCH,
        "items": [{"external_id": image.external_id} for image in request.images],
    })
    now = utc_now()
    job = JobRecord(
        job_id=job_id, kind=IMAGE_BATCH, item_count=len(request.images),
        created_at=now, updated_at=now,
        deadline_epoch_ms=_epoch_ms() + max_processing_seconds * 1000 if max_processing_seconds else 0,
        webhook_url=request.webhook.url if request.webhook else None,
        webhook_secret=request.webhook.secret if request.webhook else None, tenant=tenant,
        priority=priority_level(request.priority),
    )
    svc.jobs.create(job)
    dispatch.launch(job, svc, accepted_now=True)
    return job_id


# ---- ② start ---------------------------------------------------------------------------------


def start_job(job_id: str, svc: Services) -> dict[str, Any]:
    """Mark the job processing and plan the Map: chunks of item indexes."""
    job = svc.jobs.get(job_id)
    if job.past_deadline():
        raise JobTimeoutError("Max-Processing-Time passed before processing started")
    if job.kind == VIDEO:
        return _start_video(job, svc)
    svc.jobs.mark_processing(job_id)
    size = job.chunk_size or svc.settings.image_chunk_size  # batch jobs chose theirs at submit
    chunks = [{"chunk": n, "start": start, "end": min(start + size, job.item_count)}
              for n, start in enumerate(range(0, job.item_count, size))]
    return {"chunks": chunks}


def _start_video(job: JobRecord, svc: Services) -> dict[str, Any]:
    """Plan the segments from the probe's duration (or fail with the probe's reason)."""
    from .video.plan import plan_segments

    if job.error_code or not job.media:
        raise VideoRejectedError(job.error_message or "the video was not probed")
    segments = plan_segments(float(job.media["duration"]), svc.settings.video_segment_seconds)
    svc.jobs.mark_processing(job.job_id)
    svc.jobs.set_fields(job.job_id, item_count=len(segments))
    return {"segments": segments}


# ---- ③ analyse one chunk ---------------------------------------------------------------------


def _timeout_error(job: JobRecord) -> JobTimeoutError:
    return JobTimeoutError(f"Max-Processing-Time exceeded: job {job.job_id} was cancelled")


def analyze_chunk(job_id: str, chunk: dict[str, int], svc: Services, analyse: Any) -> dict[str, Any]:
    """Analyse items [start, end) and store their results as one object.

    A bad item becomes a failed item, never a failed chunk. Errors reading from S3
    propagate, so the workflow retries the chunk. Past the deadline the chunk stores
    what it finished and raises JobTimeoutError, which ends the job.
    """
    from .allowlist import match_persons
    from .analysis.decode import decode_base64

    job = svc.jobs.get(job_id)
    if job.kind == MODERATION_BATCH:
        return batch.analyze_chunk(job, chunk, svc)
    allowlisted = svc.allowlist.entries(job.tenant)
    items: list[dict[str, Any]] = []
    timed_out = False
    for index in range(chunk["start"], chunk["end"]):
        if job.past_deadline():
            timed_out = True
            break
        payload = svc.media.get_bytes(svc.media.input_key(job_id, index))
        started = time.perf_counter()
        try:
            if payload is None:
                raise MedialensError("the item's input is missing", code="input_missing")
            result = dump(analyse(decode_base64(payload.decode("ascii", "replace"))))
            match_persons(result["person_ids"], allowlisted, svc.settings.allowlist_max_distance)
            entry = {"index": index, "status": "finished", "result": result}
        except MedialensError as err:
            entry = {"index": index, "status": "failed", "error": {"code": err.code, "message": err.message}}
        except Exception as err:  # an analyser bug on odd pixels fails this item only
            logger.exception("analysis of item %s of %s failed", index, job_id)
            entry = {"index": index, "status": "failed",
                     "error": {"code": "analysis_error", "message": f"{type(err).__name__}: {err}"}}
        entry["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        items.append(entry)
    if items:
        svc.media.put_json(svc.media.chunk_key(job_id, chunk["chunk"]), {"items": items})
        svc.jobs.add_completed(job_id, len(items))
    if timed_out:
        raise _timeout_error(job)
    return {"chunk": chunk["chunk"], "failed": sum(item["status"] == "failed" for item in items)}


# ---- ④ finalize -------------------------------------------------------------------------------


def _error_from_states(error: dict[str, Any]) -> ErrorInfo:
    """An ErrorInfo from a Step Functions Catch output {"Error", "Cause"}."""
    name = error.get("Error", "States.Runtime")
    message = error.get("Cause") or name
    with contextlib.suppress(ValueError, AttributeError):  # Cause is JSON for Lambda errors
        message = json.loads(message).get("errorMessage", message)
    code = {"JobTimeoutError": "timeout", "States.Timeout": "timeout"}.get(name, "internal_error")
    return ErrorInfo(code=code, message=str(message)[:1000])


def _items(job_id: str, svc: Services, manifest: dict, fallback: dict[int, ErrorInfo],
           default_status: str, default_error: ErrorInfo | None) -> list[ImageItem]:
    done = {item["index"]: item for chunk in svc.media.chunk_results(job_id).values()
            for item in chunk.get("items", [])}
    items = []
    for index, meta in enumerate(manifest["items"]):
        if index in done:
            stored = done[index]
            items.append(ImageItem(external_id=meta["external_id"], status=stored["status"],
                                   result=stored.get("result"), error=stored.get("error")))
        elif default_error or index in fallback:
            items.append(ImageItem(external_id=meta["external_id"], status="failed",
                                   error=fallback.get(index, default_error)))
        else:
            items.append(ImageItem(external_id=meta["external_id"], status=default_status))
    return items


def _summary(items: list[ImageItem]) -> dict[str, int]:
    """Counts for the job row: items by status, finished items by moderation category."""
    counts = {"total": len(items), "finished": 0, "failed": 0, "safe": 0, "suggestive": 0, "explicit": 0}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
        if item.result:
            counts[item.result.moderation.category] += 1
    return counts


def job_progress(job: JobRecord) -> Progress:
    total = job.item_count
    done = min(job.completed_count, total)
    return Progress(total=total, completed=done, percentage=round(100.0 * done / total, 1) if total else 100.0)


def finalize_job(job_id: str, svc: Services, chunk_outcomes: list[dict] | None = None,
                 error: dict[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the final payload, store it, record status and a latency sample.

    With `error` (a Catch output) the job ends failed; items that finished keep their
    results, the rest carry the job's error.
    """
    job = svc.jobs.get(job_id)
    if job.kind != MODERATION_BATCH and job.status in TERMINAL_STATUSES and \
            svc.media.get_bytes(svc.media.result_key(job_id)) is not None:
        return {"status": job.status, "deliver_webhook": bool(job.webhook_url)}  # a repeated finalize
    if job.kind == VIDEO:
        return _fail_video(job, error or {}, svc)
    job_error = _error_from_states(error) if error else None
    fallback: dict[int, ErrorInfo] = {}
    for outcome in chunk_outcomes or []:
        if "error" in outcome:
            chunk_error = _error_from_states(outcome["error"])
            chunk_error = ErrorInfo(code="analysis_failed", message=chunk_error.message)
            fallback |= {i: chunk_error for i in range(outcome["chunk"]["start"], outcome["chunk"]["end"])}
    cold_start = any(outcome.get("cold_start") for outcome in chunk_outcomes or [])
    if job.kind == MODERATION_BATCH:
        return batch.finalize(job, job_error, fallback, svc, cold_start)
    manifest = svc.media.get_json(svc.media.manifest_key(job_id))
    not_analysed = ErrorInfo(code="not_analysed", message="the item was not analysed")
    items = _items(job_id, svc, manifest, fallback, "failed", job_error or not_analysed)
    status = "failed" if job_error else "finished"

    finished_at = utc_now()
    payload = ImageBatchStatus(job_id=job_id, status=status, items=items, error=job_error,
                               progress=job_progress(job), created_at=job.created_at, updated_at=finished_at)
    # stored before the status flips, so a poll that sees the terminal status finds the payload
    svc.media.put_json(svc.media.result_key(job_id), dump(payload))
    svc.jobs.mark_terminal(job_id, status, job_error.code if job_error else None,
                           job_error.message if job_error else None, summary=_summary(items))
    if status == "finished" and job.started_at and job.item_count:
        elapsed_ms = (parse_time(finished_at) - parse_time(job.started_at)) * 1000
        svc.jobs.add_latency_sample("image", job_id, elapsed_ms / job.item_count, job.item_count, cold_start)
    dispatch.job_ended(job, svc)
    return {"status": status, "deliver_webhook": bool(job.webhook_url)}


def _fail_video(job: JobRecord, error: dict[str, Any], svc: Services) -> dict[str, Any]:
    """A video job that failed as a whole: the reason the probe recorded, else the Catch's."""
    if job.error_code:
        reason = ErrorInfo(code=job.error_code, message=job.error_message or job.error_code)
    else:
        reason = _error_from_states(error)
    svc.media.put_json(svc.media.result_key(job.job_id), dump(VideoJobStatus(
        job_id=job.job_id, status="failed", error=reason, progress=job_progress(job),
        created_at=job.created_at, updated_at=utc_now())))
    svc.jobs.mark_terminal(job.job_id, "failed", reason.code, reason.message)
    dispatch.job_ended(job, svc)
    return {"status": "failed", "deliver_webhook": bool(job.webhook_url)}


# ---- reads (API) -------------------------------------------------------------------------------


def _job_and_final(job_id: str, kind: str, svc: Services, tenant: str) -> tuple[JobRecord, dict[str, Any] | None]:
    """The job (404 for another kind's or tenant's id) and, once terminal, its stored final payload."""
    job = svc.jobs.get_owned(job_id, tenant)
    if job.kind != kind:
        raise NotFoundError(f"no {kind.replace('_', ' ')} job {job_id!r}")
    final = svc.media.get_json(svc.media.result_key(job_id)) if job.status in TERMINAL_STATUSES else None
    return job, final


def image_batch_status(job_id: str, svc: Services, tenant: str) -> dict[str, Any]:
    """What GET /v1/images/{job_id} returns: the stored final payload once terminal."""
    job, final = _job_and_final(job_id, IMAGE_BATCH, svc, tenant)
    if final is not None:
        return final
    manifest = svc.media.get_json(svc.media.manifest_key(job_id)) or {"items": []}
    job_error = ErrorInfo(code=job.error_code, message=job.error_message or "") if job.error_code else None
    items = _items(job_id, svc, manifest, {}, job.status, job_error)
    return dump(ImageBatchStatus(job_id=job_id, status=job.status, items=items, error=job_error,
                                 progress=job_progress(job), created_at=job.created_at,
                                 updated_at=job.updated_at))


def video_status(job_id: str, svc: Services, tenant: str) -> dict[str, Any]:
    """What GET /v1/videos/{job_id} returns: the stored final payload once terminal."""
    job, final = _job_and_final(job_id, VIDEO, svc, tenant)
    if final is not None:
        return final
    job_error = ErrorInfo(code=job.error_code, message=job.error_message or "") if job.error_code else None
    return dump(VideoJobStatus(job_id=job_id, status=job.status, progress=job_progress(job), error=job_error,
                               created_at=job.created_at, updated_at=job.updated_at))


LOCATIONS = {IMAGE_BATCH: "/v1/images/{}", VIDEO: "/v1/videos/{}", MODERATION_BATCH: "/batch/jobs/{}"}


def recent_jobs(svc: Services, tenant: str, limit: int) -> dict[str, Any]:
    """GET /v1/jobs: the tenant's latest jobs of every kind, with where to poll each."""
    jobs = [JobSummary(job_id=job.job_id, kind=job.kind, status=job.status, progress=job_progress(job),
                       priority=PRIORITY_WORDS.get(job.priority), created_at=job.created_at,
                       updated_at=job.updated_at, location=LOCATIONS[job.kind].format(job.job_id))
            for job in svc.jobs.recent(tenant, limit)]
    return dump(JobList(jobs=jobs))


REPORT_PICTURE_BUDGET = 4 * 1024 * 1024  # bytes of pictures one report page embeds (Lambda answers ≤ 6 MB)


def report_pictures(job_id: str, svc: Services) -> dict[str, bytes]:
    """The batch's input pictures by external_id, for the report, as long as they fit the
    page's budget (the rest are drawn as placeholders with their face boxes)."""
    import binascii

    manifest = svc.media.get_json(svc.media.manifest_key(job_id)) or {"items": []}
    pictures: dict[str, bytes] = {}
    spent = 0
    for index, item in enumerate(manifest["items"]):
        payload = svc.media.get_bytes(svc.media.input_key(job_id, index))
        if payload is None or spent + len(payload) > REPORT_PICTURE_BUDGET:
            continue
        try:
            pictures[item["external_id"]] = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            continue  # a bad item: its card shows the error
        spent += len(payload)
    return pictures


def median_latency(kind: str, svc: Services) -> dict[bool, tuple[float | None, int]]:
    """(median ms per unit, how many) over the most recent finished jobs of this kind, for
    warm jobs (False) and apart from them those that waited for a cold start (True)."""
    samples = svc.jobs.latency_samples(kind, svc.settings.latency_window)
    out = {}
    for cold_start in (False, True):
        values = [ms for ms, cold in samples if cold == cold_start]
        out[cold_start] = (statistics.median(values) if values else None), len(values)
    return out


def latency(media_type: str, svc: Services) -> dict[str, Any]:
    """GET /v1/latency: the median ms per image or per second of video of warm jobs, and
    apart from it that of jobs that waited for a worker to load its models."""
    medians = median_latency(media_type, svc)
    (median, count), (cold, cold_count) = medians[False], medians[True]
    return {"media_type": media_type, "unit": "image" if media_type == "image" else "second",
            "latency_ms_per_unit": None if median is None else round(median, 1), "samples": count,
            "cold_start_latency_ms_per_unit": None if cold is None else round(cold, 1),
            "cold_start_samples": cold_count}


# ---- ⑤ webhook ---------------------------------------------------------------------------------


def _webhook_request(job: JobRecord, svc: Services) -> tuple[bytes, str | None]:
    """The body and signing secret of a job's webhook. Batch jobs build the seed's payload
    (with a freshly signed download_url on every attempt); the others send the stored
    final payload, byte for byte."""
    if job.kind == MODERATION_BATCH:
        return batch.webhook_body(job, svc), job.webhook_secret or svc.settings.webhook_secret or None
    body = svc.media.get_bytes(svc.media.result_key(job.job_id))
    if body is None:
        raise MedialensError(f"job {job.job_id} has no final payload to deliver", code="no_payload")
    return body, job.webhook_secret


def webhook_attempt(job: JobRecord, number: int, svc: Services) -> webhooks.Attempt:
    """POST the job's webhook once and log the attempt (GET /v1/jobs/{id}/deliveries)."""
    from .errors import UrlNotAllowedError

    body, secret = _webhook_request(job, svc)
    try:
        result = webhooks.attempt(job.webhook_url or "", body, secret, number=number,
                                  webhook_id=f"msg_{job.job_id}", allow_private=svc.settings.allow_private_urls,
                                  read_timeout=svc.settings.webhook_timeout_seconds)
    except UrlNotAllowedError as err:  # the host now resolves to a refused address: not retried
        result = webhooks.Attempt(number, f"msg_{job.job_id}", utc_now(), 0.0, error=err.message, refused=True)
    svc.jobs.add_delivery(job.job_id, result.as_dict())
    return result


def deliver_webhook(job_id: str, svc: Services, attempt: int = 1, first_at: float = 0) -> dict[str, Any]:
    """One step of the delivery loop in the state machines (DeliverWebhook → Wait → again).

    Returns {"status": "delivered" | "disabled" | "failed" | "retry", ...}; with "retry"
    also the next attempt's number and `wait_seconds`. Retries follow webhooks.next_delay
    until WEBHOOK_RETRY_WINDOW_SECONDS have passed since the first attempt; a 410 answer
    disables the webhook for this job (docs/webhooks.md)."""
    import math

    job = svc.jobs.get(job_id)
    if not job.webhook_url:
        return {"status": "none"}
    first_at = first_at or time.time()
    result = webhook_attempt(job, attempt, svc)
    settings = svc.settings
    if result.delivered:
        status = "delivered"
    elif result.status_code == 410:
        status = "disabled"
    elif result.refused or time.time() - first_at >= settings.webhook_retry_window_seconds:
        status = "failed"
    else:
        wait = webhooks.next_delay(attempt, settings.webhook_retry_base_seconds,
                                   settings.webhook_retry_max_interval_seconds, result.retry_after_seconds)
        svc.jobs.set_webhook_status(job_id, "retrying")
        return {"status": "retry", "attempt": attempt + 1, "wait_seconds": math.ceil(wait), "first_at": first_at}
    svc.jobs.set_webhook_status(job_id, status)
    return {"status": status, "attempt": attempt, "first_at": first_at}


def resume_delivery(job: JobRecord, svc: Services) -> None:
    """Run the delivery loop of an ended job again from where its log stops (the next
    attempt number, the same retry window): the execution goes straight to DeliverWebhook."""
    log = svc.jobs.deliveries(job.job_id)
    attempt = max((int(entry["attempt"]) for entry in log), default=0) + 1
    first_at = parse_time(log[0]["at"]) if log else 0
    dispatch.start_workflow(job, svc, name=f"{job.job_id}-webhook-{attempt}",
                            webhook={"attempt": attempt, "first_at": first_at})


def deliveries(job_id: str, svc: Services, tenant: str) -> dict[str, Any]:
    """GET /v1/jobs/{job_id}/deliveries: every attempt so far, oldest first."""
    job = svc.jobs.get_owned(job_id, tenant)
    return {"job_id": job_id, "webhook_url": job.webhook_url, "webhook_status": job.webhook_status,
            "deliveries": svc.jobs.deliveries(job_id)}


def redeliver(job_id: str, svc: Services, tenant: str) -> dict[str, Any]:
    """POST /v1/jobs/{job_id}/deliveries/redeliver: one more attempt now, logged; re-enables a
    webhook a 410 had disabled when it succeeds."""
    from .errors import ConflictError

    job = svc.jobs.get_owned(job_id, tenant)
    if not job.webhook_url:
        raise ConflictError(f"job {job_id} has no webhook", code="no_webhook")
    if job.status not in TERMINAL_STATUSES:
        raise ConflictError(f"job {job_id} is still {job.status}; its webhook is sent when it ends",
                            code="job_not_ended")
    number = len(svc.jobs.deliveries(job_id)) + 1
    result = webhook_attempt(job, number, svc)
    if result.delivered:
        svc.jobs.set_webhook_status(job_id, "delivered")
    return {"delivered": result.delivered, "attempt": result.as_dict()}
