"""HTTP routes (API Gateway REST proxy events → Powertools resolver).

Validation comes from the pydantic schemas; every error answers with
{"error": {"code", "message"}} and a 4xx status. The OpenAPI document is generated from
the same schemas (GET /v1/openapi.json).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from . import allowlist, batch, idempotency, tenancy, workflow
from .aws import services
from .errors import InvalidRequestError, MedialensError, PayloadTooLargeError
from .schemas import (
    QUEUED_PRIORITY_DOC,
    AllowlistListing,
    AllowlistPerson,
    AllowlistRequest,
    BatchAnalyzeRequest,
    BatchAnalyzeResponse,
    BatchErrorResponse,
    BatchJobAccepted,
    BatchJobRequest,
    BatchJobStatus,
    ErrorResponse,
    ImageBatchRequest,
    ImageBatchStatus,
    JobAccepted,
    JobList,
    LatencyReport,
    UploadRequest,
    UploadTicket,
    VideoJobStatus,
    parse_priority_text,
    priority_level,
)
from .video import jobs as video_jobs

app = APIGatewayRestResolver(enable_validation=True)
# The resolver keeps the current request on itself: a Lambda instance serves one request at
# a time anyway; `medialens serve` calls handlers from several threads, so it waits its turn.
_one_request_at_a_time = threading.Lock()
logger = logging.getLogger(__name__)
JSON = "application/json"
BATCH_PREFIX = "/batch/"
FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")

IDEMPOTENCY_DOC = "Repeat the request with the same key within 24 h to get the same job (another body: 422)"
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description=IDEMPOTENCY_DOC)]

MAX_PROCESSING_TIME_DOC = (
    "Upper bound on server-side processing time in seconds (integer >= 0). Past it the job "
    "is cancelled and ends failed with a timeout error. 0 = unlimited."
)


def _error_body(path: str, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The error body; the batch API of the product page also says "success": false."""
    body: dict[str, Any] = {"error": {"code": code, "message": message, **extra}}
    return {"success": False, **body} if path.startswith(BATCH_PREFIX) else body


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    body = _error_body(app.current_event.path or "", code, message, **extra)
    return Response(status_code=status, content_type=JSON, body=json.dumps(body))


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry: who is calling (API key → tenant, before any validation, so an
    unauthenticated caller learns nothing about the request shape), then the routes."""
    path = event.get("path") or ""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    try:
        tenant = tenancy.PUBLIC if path in tenancy.OPEN_PATHS else tenancy.caller(
            event.get("headers") or {}, event.get("requestContext") or {}, services().settings)
        if event.get("body") and (headers.get("content-type") or "").lower().startswith(FORM_TYPES):
            raise video_jobs.UnsupportedMediaError(  # the resolver would try to parse them, and fail with a 5xx
                "send JSON (application/json), or for POST /v1/videos the video file itself; "
                "form bodies are not accepted")
    except (tenancy.UnauthorizedError, video_jobs.UnsupportedMediaError) as err:
        return {"statusCode": err.http_status, "headers": {"Content-Type": JSON},
                "body": json.dumps(_error_body(path, err.code, err.message))}
    with _one_request_at_a_time:
        app.append_context(tenant=tenant)
        return app.resolve(event, context)


def _ok(body: Any) -> Response:
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def _tenant() -> str:
    return app.context["tenant"]


@app.exception_handler(RequestValidationError)
def _invalid_request(err: RequestValidationError) -> Response:
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")} for e in err.errors()]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    return error_response(400, "invalid_request", f"{'.'.join(first['loc'])}: {first['msg']}",
                          details=details[:20])


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_content_type(err: RequestUnsupportedContentType) -> Response:
    return error_response(415, "unsupported_media_type", "this route takes a JSON body (application/json)")


@app.exception_handler(MedialensError)
def _medialens_error(err: MedialensError) -> Response:
    return error_response(err.http_status, err.code, err.message)


@app.exception_handler(Exception)
def _unexpected(err: Exception) -> Response:
    """A dependency failed (or a bug): 503 with a JSON body; the details go to the log."""
    logger.exception("request failed")
    return error_response(503, "service_unavailable", "the request could not be completed; try again")


def parse_max_processing_time(value: str | None) -> int:
    """The Max-Processing-Time header: integer seconds >= 0, absent or 0 = unlimited."""
    if value is None or value.strip() == "":
        return 0
    text = value.strip()
    if not (text.isascii() and text.isdigit()):  # "²" and "１" are digits to isdigit, not to int
        raise InvalidRequestError(
            f"Max-Processing-Time must be an integer >= 0 (seconds), got {value!r}",
            code="invalid_max_processing_time")
    return int(text)


def parse_priority(value: str | None) -> int:
    """The X-Priority header: low | normal | high | critical or 1-4; absent = start at once."""
    if value is None or not value.strip():
        return 0
    level = parse_priority_text(value)
    if level is not None:
        return level
    raise InvalidRequestError(f"X-Priority must be low, normal, high, critical or 1-4, got {value!r}",
                              code="invalid_priority")


def _once(key: str | None, scope: str, create: Any, body: bytes | None = None) -> dict[str, Any]:
    """create() once per Idempotency-Key and request body (medialens/idempotency.py)."""
    return idempotency.once(key, f"{_tenant()}:{scope}", _raw_body() if body is None else body, create,
                            services().settings.table_name, app.lambda_context)


def _check_body_size() -> None:
    """The limit is on the bytes the client sent, not on their base64 form in the event."""
    event = app.current_event
    body = event.body or ""
    size = len(body) * 3 // 4 if event.is_base64_encoded else len(body)
    if size > services().settings.max_body_bytes:
        raise PayloadTooLargeError(
            f"request body is {size} bytes; the limit is {services().settings.max_body_bytes}")


@app.post("/v1/images", status_code=202, summary="Submit a batch of images for asynchronous analysis",
          responses={202: {"description": "Accepted", "content": {JSON: {"model": JobAccepted}}},
                     400: {"description": "Invalid request", "content": {JSON: {"model": ErrorResponse}}}})
def post_images(
    request: Annotated[ImageBatchRequest, Body()],
    max_processing_time: Annotated[str | None, Header(alias="Max-Processing-Time",
                                                      description=MAX_PROCESSING_TIME_DOC)] = None,
    idempotency_key: IdempotencyKey = None,
):
    _check_body_size()
    seconds = parse_max_processing_time(max_processing_time)
    accepted = _once(idempotency_key, "images", lambda: {
        "job_id": workflow.submit_image_batch(request, seconds, services(), _tenant())})
    return Response(status_code=202, content_type=JSON, body=json.dumps(accepted),
                    headers={"Location": f"/v1/images/{accepted['job_id']}"})


@app.get("/v1/images/<job_id>", summary="Status and per-item results of an image batch",
         responses={200: {"description": "The batch", "content": {JSON: {"model": ImageBatchStatus}}},
                    404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}}})
def get_image_batch(job_id: Annotated[str, Path()]):
    return Response(status_code=200, content_type=JSON,
                    body=json.dumps(workflow.image_batch_status(job_id, services(), _tenant())))


@app.get("/v1/latency", summary="Observed processing latency per media unit",
         responses={200: {"description": "Latency", "content": {JSON: {"model": LatencyReport}}}})
def get_latency(media_type: Annotated[str | None, Query(description="image or video")] = None):
    if media_type not in ("image", "video"):
        raise InvalidRequestError("query parameter media_type must be 'image' or 'video'",
                                  code="invalid_media_type")
    return Response(status_code=200, content_type=JSON,
                    body=json.dumps(workflow.latency(media_type, services())))


def _raw_body() -> bytes:
    event = app.current_event
    if not event.body:
        return b""
    return base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode("utf-8", "surrogateescape")


@app.post("/v1/videos", status_code=202, summary="Submit a video (the request body) for asynchronous analysis",
          responses={202: {"description": "Accepted", "content": {JSON: {"model": JobAccepted}}},
                     400: {"description": "Empty or undecodable", "content": {JSON: {"model": ErrorResponse}}},
                     413: {"description": "Too large or too long", "content": {JSON: {"model": ErrorResponse}}},
                     415: {"description": "Not a video", "content": {JSON: {"model": ErrorResponse}}}})
def post_video(
    webhook_url: Annotated[str | None, Header(alias="X-Webhook-Url", description="POST the final payload here")] = None,
    webhook_secret: Annotated[str | None, Header(alias="X-Webhook-Secret", description="HMAC key")] = None,
    max_processing_time: Annotated[str | None, Header(alias="Max-Processing-Time",
                                                      description=MAX_PROCESSING_TIME_DOC)] = None,
    priority: Annotated[str | None, Header(alias="X-Priority", description=QUEUED_PRIORITY_DOC)] = None,
    idempotency_key: IdempotencyKey = None,
):
    _check_body_size()
    seconds = parse_max_processing_time(max_processing_time)
    level = parse_priority(priority)
    body = _raw_body()
    accepted = _once(idempotency_key, "videos", lambda: {
        "job_id": video_jobs.submit_video_body(body, seconds, webhook_url, webhook_secret, services(), _tenant(),
                                               level)},
        body)
    return Response(status_code=202, content_type=JSON, body=json.dumps(accepted),
                    headers={"Location": f"/v1/videos/{accepted['job_id']}"})


@app.post("/v1/uploads", status_code=201, summary="Start a video job whose file you upload to a presigned URL",
          responses={201: {"description": "Upload ticket", "content": {JSON: {"model": UploadTicket}}}})
def post_upload(
    request: Annotated[UploadRequest | None, Body()] = None,
    max_processing_time: Annotated[str | None, Header(alias="Max-Processing-Time",
                                                      description=MAX_PROCESSING_TIME_DOC)] = None,
    idempotency_key: IdempotencyKey = None,
):
    seconds = parse_max_processing_time(max_processing_time)
    hook = request.webhook if request else None
    level = priority_level(request.priority) if request else 0
    ticket = _once(idempotency_key, "uploads", lambda: video_jobs.create_upload(
        seconds, hook.url if hook else None, hook.secret if hook else None, services(), _tenant(), level))
    return Response(status_code=201, content_type=JSON, body=json.dumps(ticket),
                    headers={"Location": ticket["location"]})


@app.get("/v1/videos/<job_id>", summary="Status, progress and result of a video job",
         responses={200: {"description": "The job", "content": {JSON: {"model": VideoJobStatus}}},
                    404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}}})
def get_video(job_id: Annotated[str, Path()]):
    return _ok(workflow.video_status(job_id, services(), _tenant()))


@app.post("/v1/allowlist", status_code=201, summary="Register (or replace) an allowlisted person",
          responses={201: {"description": "Registered", "content": {JSON: {"model": AllowlistPerson}}},
                     400: {"description": "A photo without exactly one face, or invalid",
                           "content": {JSON: {"model": ErrorResponse}}}})
def post_allowlist(request: Annotated[AllowlistRequest, Body()]):
    _check_body_size()
    person = allowlist.register_person(request, services(), _tenant())
    return Response(status_code=201, content_type=JSON, body=json.dumps(person),
                    headers={"Location": f"/v1/allowlist/{request.person_id}"})


@app.get("/v1/allowlist", summary="The allowlisted persons",
         responses={200: {"description": "Persons", "content": {JSON: {"model": AllowlistListing}}}})
def get_allowlist():
    svc = services()
    persons = [svc.allowlist.describe(entry) for entry in svc.allowlist.entries(_tenant())]
    return _ok({"persons": persons})


@app.delete("/v1/allowlist/<person_id>", summary="Remove an allowlisted person",
            responses={204: {"description": "Removed"},
                       404: {"description": "Unknown person", "content": {JSON: {"model": ErrorResponse}}}})
def delete_allowlist(person_id: Annotated[str, Path()]):
    services().allowlist.delete(person_id, _tenant())
    return Response(status_code=204, content_type=JSON, body="")


# ---- the batch moderation API (shared/seeds/000_*.txt; docs/batch.md) ----


@app.post("/batch/analyze", summary="Moderate up to 10 images now (served by the analysis container)",
          responses={200: {"description": "One entry per image, in order",
                           "content": {JSON: {"model": BatchAnalyzeResponse}}},
                     400: {"description": "Empty, more than 10 images, or malformed",
                           "content": {JSON: {"model": BatchErrorResponse}}}})
def post_batch_analyze(request: Annotated[BatchAnalyzeRequest, Body()]):
    _check_body_size()
    return Response(status_code=200, content_type=JSON,
                    body=json.dumps(batch.analyze_now(request, services().settings)))


@app.post("/batch/jobs", status_code=202, summary="Queue any number of images for moderation, by priority",
          responses={202: {"description": "Queued", "content": {JSON: {"model": BatchJobAccepted}}},
                     400: {"description": "Malformed", "content": {JSON: {"model": BatchErrorResponse}}}})
def post_batch_job(request: Annotated[BatchJobRequest, Body()], idempotency_key: IdempotencyKey = None):
    _check_body_size()
    accepted = _once(idempotency_key, "batch_jobs", lambda: batch.submit_job(request, services(), _tenant()))
    return Response(status_code=202, content_type=JSON, body=json.dumps(accepted),
                    headers={"Location": f"/batch/jobs/{accepted['job_id']}"})


@app.get("/batch/jobs/<job_id>", summary="Status and progress of a batch job; counts and download_url when done",
         responses={200: {"description": "The job", "content": {JSON: {"model": BatchJobStatus}}},
                    404: {"description": "Unknown job", "content": {JSON: {"model": BatchErrorResponse}}}})
def get_batch_job(job_id: Annotated[str, Path()]):
    return _ok(batch.job_status(job_id, services(), _tenant()))


# ---- webhook deliveries (every job kind) ----


@app.get("/v1/jobs/<job_id>/deliveries", summary="The webhook delivery log of a job",
         responses={200: {"description": "Every attempt, oldest first"},
                    404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}}})
def get_deliveries(job_id: Annotated[str, Path()]):
    return _ok(workflow.deliveries(job_id, services(), _tenant()))


@app.post("/v1/jobs/<job_id>/deliveries/redeliver", summary="Send a finished job's webhook again, now",
          responses={200: {"description": "The attempt (delivered or not)"},
                     404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}},
                     409: {"description": "No webhook, or the job has not ended",
                           "content": {JSON: {"model": ErrorResponse}}}})
def post_redeliver(job_id: Annotated[str, Path()]):
    return _ok(workflow.redeliver(job_id, services(), _tenant()))


# ---- every job kind: the list, reports ----

MAX_JOB_LIST = 200
HTML = "text/html; charset=utf-8"


@app.get("/v1/jobs", summary="Your recent jobs of every kind, newest first",
         responses={200: {"description": "The jobs", "content": {JSON: {"model": JobList}}}})
def list_jobs(limit: Annotated[int, Query(ge=1, le=MAX_JOB_LIST, description="How many (1-200)")] = 20):
    return _ok(workflow.recent_jobs(services(), _tenant(), limit))


@app.get("/v1/videos/<job_id>/report", summary="The video job as a self-contained HTML report",
         responses={200: {"description": "HTML", "content": {HTML: {}}},
                    404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}}})
def get_video_report(job_id: Annotated[str, Path()]):
    from . import report

    status = workflow.video_status(job_id, services(), _tenant())
    return Response(status_code=200, content_type=HTML, body=report.render(status, title=job_id))


@app.get("/v1/images/<job_id>/report", summary="The image batch as a self-contained HTML report",
         responses={200: {"description": "HTML", "content": {HTML: {}}},
                    404: {"description": "Unknown job", "content": {JSON: {"model": ErrorResponse}}}})
def get_image_batch_report(job_id: Annotated[str, Path()]):
    from . import report

    status = workflow.image_batch_status(job_id, services(), _tenant())
    images = workflow.report_pictures(job_id, services())
    return Response(status_code=200, content_type=HTML, body=report.render(status, images=images, title=job_id))


@app.get("/v1/health", summary="Liveness")
def get_health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def get_openapi():
    return Response(status_code=200, content_type=JSON, body=openapi_json())


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def get_openapi_root():
    return get_openapi()


@app.get("/docs", summary="The API reference, rendered from the OpenAPI document", include_in_schema=False)
def get_docs():
    from . import apidocs

    return Response(status_code=200, content_type=HTML, body=apidocs.render(json.loads(openapi_json())))


@app.not_found
def _not_found(_: Exception) -> Response:
    return error_response(404, "not_found", f"no route {app.current_event.http_method} {app.current_event.path}")


def openapi_json() -> str:
    return app.get_openapi_json_schema(title="medialens", version="0.1.0",
                                       description="Asynchronous image and video analysis.")
