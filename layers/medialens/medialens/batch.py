"""The batch moderation API promised by shared/seeds/000_*.txt (docs/batch.md).

* POST /batch/analyze — up to 10 images answered at once with their moderation category.
  Served by the analysis container (the moderation model is in memory there).
* POST /batch/jobs — any number of images as a job: the items go to S3 in pages of one
  chunk each, the job waits in its priority queue (dispatch.py), then runs on the image
  workflow (statemachine/image_batch.asl.json) with kind "moderation_batch": each Map
  iteration fetches and moderates one page, finalize writes a JSON-lines file of every
  result, the webhook carries the counts and a presigned download_url.
* GET /batch/jobs/{job_id} — status, progress, and when completed counts + download_url.

Images given by URL are fetched by the worker with netguard.fetch (SSRF rules, size and
time limits); a failed fetch fails that image only.
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import dispatch
from .errors import MedialensError
from .jobs import JobRecord, utc_now
from .netguard import check_url, fetch
from .schemas import (
    BatchAnalyzeRequest,
    BatchCounts,
    BatchImage,
    BatchJobAccepted,
    BatchJobRequest,
    BatchJobStatus,
    BatchWebhookPayload,
    ErrorInfo,
    dump,
)

logger = logging.getLogger(__name__)
MODERATION_BATCH = "moderation_batch"
MAX_CHUNKS = 2000  # Map items per execution: keeps the state payload far below 256 KB
FETCH_THREADS = 8  # images of one chunk fetched at once (I/O); moderation itself is ~11 ms
DEFAULT_MS_PER_IMAGE = 15.0  # before any batch job finished; measured 13 ms (77 images/s, 2 cores, make bench)
STATUS_WORDS = {"finished": "completed"}  # the seed's word for our internal "finished"


# ---- one image ------------------------------------------------------------------------------


def _item(image: str | BatchImage) -> dict[str, str]:
    if isinstance(image, str):
        return {"url": image}
    return {"url": image.url} if image.url is not None else {"base64": image.base64 or ""}


def load_image(item: dict[str, str], settings: Any) -> bytes:
    """The image's bytes: fetched from its URL (SSRF-checked, limited) or decoded from base64."""
    from .analysis.decode import decode_base64

    if "url" in item:
        return fetch(item["url"], max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout_seconds,
                     max_redirects=settings.fetch_max_redirects, allow_private=settings.allow_private_urls)
    return decode_base64(item["base64"])


def moderate(item: dict[str, str], settings: Any) -> dict[str, Any]:
    """{"category", "scores"} of one image, or {"error": {"code", "message"}}; never raises."""
    from .analysis import analyser
    from .analysis.decode import decode_image

    try:
        image = decode_image(load_image(item, settings), max_pixels=settings.max_image_pixels)
        return analyser("moderation").analyse(image)["moderation"]
    except MedialensError as err:
        return {"error": {"code": err.code, "message": err.message}}
    except Exception as err:  # a decoder or model bug on odd input fails this image only
        logger.exception("moderation failed")
        return {"error": {"code": "analysis_error", "message": f"{type(err).__name__}: {err}"}}


# ---- POST /batch/analyze ------------------------------------------------------------------------


def analyze_now(request: BatchAnalyzeRequest, settings: Any) -> dict[str, Any]:
    """Fetch and moderate the (at most 10) images in parallel; an error entry per bad image."""
    items = [_item(image) for image in request.images]
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        outcomes = list(pool.map(lambda item: moderate(item, settings), items))
    return {"success": True, "results": [{"index": i, **outcome} for i, outcome in enumerate(outcomes)]}


# ---- POST /batch/jobs ---------------------------------------------------------------------------


def submit_job(request: BatchJobRequest, svc: Any, tenant: str) -> dict[str, Any]:
    """Store the items in pages, write the job row, queue it by priority, wake the dispatcher."""
    settings = svc.settings
    if request.webhook_url:
        check_url(request.webhook_url, allow_private=settings.allow_private_urls)
    job_id = f"job_{uuid.uuid4().hex}"
    items = [_item(image) for image in request.images]
    size = max(settings.batch_chunk_size, math.ceil(len(items) / MAX_CHUNKS))
    pages = [items[start:start + size] for start in range(0, len(items), size)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: svc.media.put_json(svc.media.page_key(job_id, n), pages[n]), range(len(pages))))
    now = utc_now()
    job = JobRecord(job_id=job_id, kind=MODERATION_BATCH, item_count=len(items), created_at=now, updated_at=now,
                    priority=request.priority_level, chunk_size=size, webhook_url=request.webhook_url,
                    webhook_secret=request.webhook_secret, tenant=tenant)
    estimate = estimated_seconds(job.priority, job.item_count, svc)
    svc.jobs.create(job)
    dispatch.launch(job, svc, accepted_now=True)
    return dump(BatchJobAccepted(job_id=job_id, status="queued", estimated_time=estimate))


def estimated_seconds(level: int, images: int, svc: Any) -> int:
    """(images running + images queued at this priority or above + this job's) × the median
    observed time per image of recent batch jobs. An estimate: aging and cancellations move it."""
    from .workflow import median_latency

    ms_per_image = median_latency(MODERATION_BATCH, svc)[False][0] or DEFAULT_MS_PER_IMAGE
    state = svc.jobs.dispatch_state()
    ahead = int(state.get("images_running", 0)) + sum(int(state.get(f"queued_{p}", 0)) for p in range(level, 5))
    return max(1, math.ceil((ahead + images) * ms_per_image / 1000))


# ---- workflow steps ------------------------------------------------------------------------------


def analyze_chunk(job: JobRecord, chunk: dict[str, int], svc: Any) -> dict[str, Any]:
    """Moderate one page of a batch job and store its results (bad images fail alone)."""
    page = svc.media.get_json(svc.media.page_key(job.job_id, chunk["chunk"]))
    if page is None:
        raise MedialensError(f"input page {chunk['chunk']} of {job.job_id} is missing", code="input_missing")
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        outcomes = list(pool.map(lambda item: moderate(item, svc.settings), page))
    items = []
    for offset, (item, outcome) in enumerate(zip(page, outcomes, strict=True)):
        entry: dict[str, Any] = {"index": chunk["start"] + offset}
        if "url" in item:
            entry["url"] = item["url"]
        entry |= {"status": "failed", **outcome} if "error" in outcome else {"status": "completed", **outcome}
        items.append(entry)
    svc.media.put_json(svc.media.chunk_key(job.job_id, chunk["chunk"]), {"items": items})
    svc.jobs.add_completed(job.job_id, len(items))
    return {"chunk": chunk["chunk"], "failed": sum(item["status"] == "failed" for item in items)}


def finalize(job: JobRecord, job_error: ErrorInfo | None, fallback: dict[int, ErrorInfo], svc: Any,
             cold_start: bool = False) -> dict[str, Any]:
    """Write the JSON-lines results, the counts and the terminal status; free the job's slot."""
    from .workflow import parse_time

    if job.status in ("finished", "failed"):
        return {"status": job.status, "deliver_webhook": bool(job.webhook_url)}  # a repeated finalize
    done = {item["index"]: item for chunk in svc.media.chunk_results(job.job_id).values()
            for item in chunk.get("items", [])}
    not_analysed = job_error or ErrorInfo(code="not_analysed", message="the image was not analysed")
    counts = {"total": job.item_count, "safe": 0, "suggestive": 0, "explicit": 0, "failed": 0}
    lines = []
    for index in range(job.item_count):
        item = done.get(index) or {"index": index, "status": "failed",
                                   "error": dump(fallback.get(index, not_analysed))}
        counts[item["category"] if item["status"] == "completed" else "failed"] += 1
        lines.append(json.dumps(item, separators=(",", ":")))
    svc.media.put_bytes(svc.media.download_key(job.job_id), ("\n".join(lines) + "\n").encode(),
                        "application/x-ndjson")
    status = "failed" if job_error else "finished"
    svc.jobs.mark_terminal(job.job_id, status, job_error.code if job_error else None,
                           job_error.message if job_error else None, summary=counts)
    if status == "finished" and job.started_at and job.item_count:
        elapsed_ms = (time.time() - parse_time(job.started_at)) * 1000
        svc.jobs.add_latency_sample(MODERATION_BATCH, job.job_id, elapsed_ms / job.item_count, job.item_count,
                                    cold_start)
    dispatch.job_ended(job, svc)
    return {"status": status, "deliver_webhook": bool(job.webhook_url)}


# ---- reads and the webhook ---------------------------------------------------------------------


def _counts(job: JobRecord) -> BatchCounts:
    summary = job.summary or {}
    return BatchCounts(**{k: int(summary.get(k, 0)) for k in ("safe", "suggestive", "explicit", "failed")},
                       total=job.item_count)


def job_status(job_id: str, svc: Any, tenant: str) -> dict[str, Any]:
    """GET /batch/jobs/{job_id}: a fresh download_url on every call once the job has ended."""
    from .errors import NotFoundError
    from .workflow import job_progress

    job = svc.jobs.get_owned(job_id, tenant)
    if job.kind != MODERATION_BATCH:
        raise NotFoundError(f"no batch job {job_id!r}")
    ended = job.status in ("finished", "failed") and job.summary is not None
    expires = svc.settings.download_url_seconds
    return dump(BatchJobStatus(
        job_id=job_id, status=STATUS_WORDS.get(job.status, job.status),
        priority=dispatch.LEVELS.get(job.priority, "normal"),
        progress=job_progress(job), created_at=job.created_at, updated_at=job.updated_at,
        results=_counts(job) if ended else None,
        download_url=svc.media.presigned_get(svc.media.download_key(job_id), expires) if ended else None,
        download_expires_in=expires if ended else None,
        error=ErrorInfo(code=job.error_code, message=job.error_message or "") if job.error_code else None))


def webhook_body(job: JobRecord, svc: Any) -> bytes:
    """The seed's webhook payload: event, job_id, status, counts, download_url, timestamp."""
    completed = job.status == "finished"
    payload = BatchWebhookPayload(
        event="job.completed" if completed else "job.failed", job_id=job.job_id,
        status="completed" if completed else "failed", results=_counts(job),
        download_url=svc.media.presigned_get(svc.media.download_key(job.job_id), svc.settings.download_url_seconds),
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),  # to the second, as in the seed
        error=ErrorInfo(code=job.error_code, message=job.error_message or "") if job.error_code else None)
    return json.dumps(dump(payload), separators=(",", ":")).encode()

