"""`medialens submit` and `medialens jobs`: a client for a running service, local or on AWS.

It speaks only the public HTTP API (README.md, "API"), so it works the same against
`medialens serve` and an API Gateway stage URL. Images go in batched `POST /v1/images`
requests, small videos as the body of `POST /v1/videos`, larger ones through a presigned
upload (`POST /v1/uploads`, then a streamed PUT). Needs the `client` extra (requests, rich).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schemas import PRIORITY_WORDS, parse_priority_text

DEFAULT_URL = "http://127.0.0.1:3000"
USER_AGENT = "medialens-client/0.1.0"

# The API refuses bodies over 10 MB (API Gateway's limit; the service checks the same). On AWS
# the body also travels inside the Lambda event, whose synchronous payload limit is 6 MB, so
# image batches aim well below that; one image that needs more is still sent, alone.
MAX_BODY_BYTES = 10 * 1024 * 1024
BATCH_BODY_BYTES = 5 * 1024 * 1024
IMAGES_PER_REQUEST = 256  # the service's default MAX_IMAGES_PER_BATCH
# JSON around one image: {"external_id": "…", "data_base64": "…"}, plus the separator.
ITEM_OVERHEAD_BYTES = 40
ENVELOPE_BYTES = 64  # {"images": […], "priority": "critical"}
# A video body reaches the handler base64-encoded (binary media type), so it counts 4/3 of
# its size against both limits above: 4 MiB stays inside Lambda's 6 MB on AWS. Bigger videos
# use a presigned upload, which has no such limit and costs one more request.
VIDEO_BODY_MAX_BYTES = 4 * 1024 * 1024

POLL_SECONDS = 1.0
LOG_SECONDS = 10.0  # progress lines off a terminal
CONNECT_TIMEOUT, READ_TIMEOUT, UPLOAD_READ_TIMEOUT = 10, 60, 600
TERMINAL = frozenset({"finished", "failed"})  # schemas.TERMINAL_STATUSES, without importing pydantic
SNIFF_BYTES = 1024
MAX_EXTERNAL_ID = 256  # schemas.ImageInput.external_id


class ApiError(Exception):
    """An error answer of the service (or of S3, for a presigned upload)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details

    @property
    def fatal(self) -> bool:
        """Refused credentials, or something that is not this API, fail every further request
        too: stop instead of repeating it."""
        return self.status in (401, 403) or self.code == "invalid_response"

    def as_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.status:
            info["http_status"] = self.status
        if self.details:
            info["details"] = self.details
        return info


class ServiceUnreachableError(Exception):
    """No connection to the service at all (wrong --url, service not running)."""


def parse_priority(text: str) -> str:
    """--priority: one of the four words or 1-4, sent as the word the API documents."""
    level = parse_priority_text(text)
    if level is not None:
        return PRIORITY_WORDS[level]
    raise argparse.ArgumentTypeError(f"invalid priority {text!r}: use low, normal, high, critical or 1-4")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def join_url(base: str, path: str) -> str:
    """base + path, keeping the base's own path (an API Gateway stage: https://…/api)."""
    if re.match(r"^https?://", path):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def error_from_response(response: Any) -> ApiError:
    """The {"error": {"code", "message"}} body; API Gateway's {"message"} and S3's XML too."""
    status = response.status_code
    text = response.text or ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        info = body["error"]
        return ApiError(status, str(info.get("code", f"http_{status}")), str(info.get("message", "")),
                        info.get("details"))
    if isinstance(body, dict) and "message" in body:  # API Gateway's own answers (missing key, throttling)
        code = {403: "forbidden", 429: "too_many_requests"}.get(status, f"http_{status}")
        message = str(body["message"])
        if message == "Missing Authentication Token":  # what API Gateway says for a route it does not have
            message += " (no such route: is --url the stage URL, ending in /api?)"
        return ApiError(status, code, message)
    xml_code = re.search(r"<Code>([^<]+)</Code>", text)
    if xml_code:
        xml_message = re.search(r"<Message>([^<]*)</Message>", text)
        return ApiError(status, xml_code.group(1), xml_message.group(1) if xml_message else text[:200])
    return ApiError(status, f"http_{status}", text.strip()[:200] or response.reason or "no body")


class Client:
    """HTTP to one service. GETs are retried on connection errors and 502/503/504; so are POSTs,
    which is safe because each carries its own Idempotency-Key (a replay returns the same job).
    The presigned PUT is never retried: its body is a stream."""

    def __init__(self, base_url: str, api_key: str | None = None):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.base_url = base_url
        self.session = requests.Session()
        retry = Retry(total=3, connect=2, read=2, status=3, backoff_factor=0.5,
                      status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET", "POST"}),
                      raise_on_status=False, respect_retry_after_header=True)
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, HTTPAdapter(max_retries=retry))
        self.session.headers["User-Agent"] = USER_AGENT
        self.api_headers = {"X-Api-Key": api_key} if api_key else {}

    def request(self, method: str, path: str, *, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
                api: bool = True, **kwargs: Any) -> Any:
        """The response (raise ApiError for non-2xx, ServiceUnreachableError when nothing answers)."""
        import requests

        url = join_url(self.base_url, path)
        headers = {**(self.api_headers if api else {}), **kwargs.pop("headers", {})}
        if api and method == "POST":
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        sender = self.session.request if api else requests.request
        try:
            response = sender(method, url, headers=headers, timeout=timeout, **kwargs)
        except requests.ConnectionError as err:
            where = self.base_url if api else url.split("?", 1)[0]
            raise ServiceUnreachableError(f"cannot connect to {where}: {_root_cause(err)}") from err
        except requests.Timeout as err:
            raise ServiceUnreachableError(f"no answer from {url.split('?', 1)[0]} within {timeout[1]} s") from err
        except requests.RequestException as err:
            raise ServiceUnreachableError(f"{method} {url.split('?', 1)[0]} failed: {err}") from err
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def get_json(self, path: str) -> dict[str, Any]:
        return response_json(self.request("GET", path))


def response_json(response: Any) -> dict[str, Any]:
    """The JSON object of a 2xx answer; anything else means --url is not this API."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(response.status_code, "invalid_response",
                       f"{response.url} answered {response.status_code} without a JSON object: "
                       "is --url the medialens API?")
    return body


def _root_cause(err: BaseException) -> str:
    """'Connection refused' rather than urllib3's nested MaxRetryError text."""
    text = str(err)
    found = re.search(r"\[Errno -?\d+\] ([^')\]]+)", text)
    return found.group(1) if found else text[:200]


# ---- files ----------------------------------------------------------------------------------


@dataclass
class Submission:
    """One job (or one file that could not become part of a job): the unit of output."""

    kind: str  # "image" | "video"
    files: list[str]
    job_id: str | None = None
    location: str | None = None
    via: str | None = None  # "batch" (POST /v1/images), "body" (POST /v1/videos), "upload" (presigned PUT)
    submitted: dict[str, Any] | None = None
    job: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "files": self.files, "job_id": self.job_id}
        for name in ("location", "via", "submitted", "job", "error"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        return (self.job or {}).get("status", "queued")


@dataclass
class ImageFile:
    path: Path
    name: str  # shown everywhere, and the external_id
    size: int


@dataclass
class Collected:
    images: list[ImageFile] = field(default_factory=list)
    videos: list[tuple[Path, str, int]] = field(default_factory=list)
    failures: list[Submission] = field(default_factory=list)


def display_name(path: Path) -> str:
    """The path as the user knows it: relative to the working directory when inside it."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


def walk(paths: Iterable[str]) -> tuple[list[Path], list[Submission]]:
    """Files in argument order, directories recursively and sorted; each file once."""
    found: list[Path] = []
    missing: list[Submission] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists():
            candidates = [path]
        else:
            missing.append(Submission("image", [raw], error={"code": "not_found", "message": "no such file"}))
            continue
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found, missing


def collect(paths: Iterable[str]) -> Collected:
    """Sort files into images and videos by their first bytes (a video container or not)."""
    from .video.sniff import container_of

    files, missing = walk(paths)
    out = Collected(failures=missing)
    for path in files:
        name = display_name(path)
        try:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
            size = path.stat().st_size
        except OSError as err:
            out.failures.append(Submission("image", [name], error={"code": "unreadable_file",
                                                                   "message": err.strerror or str(err)}))
            continue
        if container_of(head):
            out.videos.append((path, name, size))
        else:  # the service recognises images (and reports what is not one, per item)
            out.images.append(ImageFile(path, _external_id(name), size))
    return out


def _external_id(name: str) -> str:
    return name if len(name) <= MAX_EXTERNAL_ID else "…" + name[-(MAX_EXTERNAL_ID - 1):]


def item_bytes(external_id: str, size: int) -> int:
    """Bytes one image adds to a request body: base64 is 4/3 of the file, plus its JSON."""
    return 4 * math.ceil(size / 3) + len(json.dumps(external_id)) + ITEM_OVERHEAD_BYTES


def plan_batches(images: list[ImageFile], batch_bytes: int | None = None, max_body: int | None = None,
                 per_request: int | None = None) -> tuple[list[list[ImageFile]], list[ImageFile]]:
    """Requests in file order, each ≤ per_request images and ≤ batch_bytes of JSON. An image
    bigger than a batch goes alone; one bigger than any request can carry is returned apart."""
    batch_bytes = batch_bytes or BATCH_BODY_BYTES
    max_body = max_body or MAX_BODY_BYTES
    per_request = per_request or IMAGES_PER_REQUEST
    batches: list[list[ImageFile]] = []
    too_big: list[ImageFile] = []
    current: list[ImageFile] = []
    used = ENVELOPE_BYTES
    for image in images:
        need = item_bytes(image.name, image.size)
        if need + ENVELOPE_BYTES > max_body:
            too_big.append(image)
            continue
        if current and (len(current) >= per_request or used + need > batch_bytes):
            batches.append(current)
            current, used = [], ENVELOPE_BYTES
        current.append(image)
        used += need
    if current:
        batches.append(current)
    return batches, too_big


# ---- submitting -----------------------------------------------------------------------------


def _failure(kind: str, names: list[str], err: ApiError | dict[str, Any]) -> Submission:
    return Submission(kind, names, error=err.as_dict() if isinstance(err, ApiError) else err)


def _stops_all(err: ApiError) -> bool:
    """Fatal errors, and a job-creating route the service does not have (a --url with the wrong path)."""
    return err.fatal or (err.status == 404 and err.code == "not_found")


def submit_images(client: Client, batch: list[ImageFile], priority: str | None) -> list[Submission]:
    """One POST /v1/images for the batch; files unreadable by now fail alone, the rest go."""
    items, names, out = [], [], []
    for image in batch:
        try:
            data = image.path.read_bytes()
        except OSError as err:
            out.append(_failure("image", [image.name],
                                {"code": "unreadable_file", "message": err.strerror or str(err)}))
            continue
        items.append({"external_id": image.name, "data_base64": base64.b64encode(data).decode("ascii")})
        names.append(image.name)
    if not items:
        return out
    body: dict[str, Any] = {"images": items}
    if priority:
        body["priority"] = priority
    payload = json.dumps(body).encode()
    del body, items
    try:
        response = client.request("POST", "/v1/images", data=payload, headers={"Content-Type": "application/json"})
    except ApiError as err:
        if _stops_all(err):
            raise
        return [*out, _failure("image", names, err)]
    accepted = response_json(response)
    job_id = accepted["job_id"]
    out.append(Submission("image", names, job_id=job_id, via="batch", submitted=accepted,
                          location=response.headers.get("Location") or f"/v1/images/{job_id}"))
    return out


def submit_video(client: Client, path: Path, name: str, size: int, priority: str | None) -> Submission:
    """Small videos as the request body; bigger ones through a presigned upload."""
    try:
        if size <= VIDEO_BODY_MAX_BYTES:
            return _video_body(client, path, name, priority)
        return _video_upload(client, path, name, size, priority)
    except ApiError as err:
        if _stops_all(err):
            raise
        return _failure("video", [name], err)
    except OSError as err:
        return _failure("video", [name], {"code": "unreadable_file", "message": err.strerror or str(err)})


def _video_body(client: Client, path: Path, name: str, priority: str | None) -> Submission:
    headers = {"Content-Type": "application/octet-stream"}
    if priority:
        headers["X-Priority"] = priority
    response = client.request("POST", "/v1/videos", data=path.read_bytes(), headers=headers)
    accepted = response_json(response)
    job_id = accepted["job_id"]
    return Submission("video", [name], job_id=job_id, via="body", submitted=accepted,
                      location=response.headers.get("Location") or f"/v1/videos/{job_id}")


def _video_upload(client: Client, path: Path, name: str, size: int, priority: str | None) -> Submission:
    """POST /v1/uploads for a ticket, then PUT the file to it, streamed from disk."""
    ticket = response_json(client.request("POST", "/v1/uploads", json={"priority": priority} if priority else {}))
    sub = Submission("video", [name], job_id=ticket["job_id"], via="upload", location=ticket["location"],
                     submitted={k: v for k, v in ticket.items() if k not in ("upload_url", "headers")})
    if size > int(ticket.get("max_bytes") or size):
        sub.error = {"code": "file_too_large",
                     "message": f"{size} bytes; the service accepts uploads up to {ticket['max_bytes']}"}
        return sub
    try:
        with path.open("rb") as handle:  # a file object: requests streams it with a Content-Length
            client.request(ticket.get("method", "PUT"), ticket["upload_url"], data=handle, api=False,
                           headers=dict(ticket.get("headers") or {}), timeout=(CONNECT_TIMEOUT, UPLOAD_READ_TIMEOUT))
    except ApiError as err:  # the storage's answer (an expired URL, say), not the API's: this file only
        sub.error = {**err.as_dict(), "message": f"the upload was refused: {err.message}"}
    return sub


# ---- waiting --------------------------------------------------------------------------------


def short_id(job_id: str) -> str:
    """image_batch_1a2b3c4d… for a progress line; the summary and --out keep the whole id."""
    kind, _, unique = job_id.rpartition("_")
    return f"{kind}_{unique[:8]}…" if kind and len(unique) > 9 else job_id


def _label(sub: Submission) -> str:
    what = sub.files[0] if len(sub.files) == 1 else f"{len(sub.files)} images"
    return f"{short_id(sub.job_id or '')} [dim]{_escape(what)}[/]"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def wait_for(client: Client, subs: list[Submission], console: Any) -> None:
    """Poll every pending job about once a second until all are terminal, one progress bar each.
    Off a terminal (CI logs) there are no bars: a line per status change, and at most every
    LOG_SECONDS while a job advances."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Column

    pending = [s for s in subs if s.job_id and s.error is None]
    label = Column(no_wrap=True, overflow="ellipsis", ratio=1)
    columns = (TextColumn("{task.description}", table_column=label), BarColumn(bar_width=20), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        tasks = {id(s): progress.add_task(_label(s), total=None, status="queued") for s in pending}
        logged: dict[int, tuple[str, int, float]] = {}
        while pending:
            for sub in list(pending):
                task = tasks[id(sub)]
                try:
                    sub.job = client.get_json(sub.location or "")
                except ApiError as err:
                    if err.fatal:
                        raise
                    sub.error = err.as_dict()
                    pending.remove(sub)
                    progress.update(task, status=f"[red]error {_escape(err.code)}[/]")
                    console.print(f"{sub.job_id}: error {err.code}: {err.message}", markup=False, highlight=False)
                    continue
                status = sub.job.get("status", "?")
                done = (sub.job.get("progress") or {}).get("completed", 0)
                total = (sub.job.get("progress") or {}).get("total") or None
                if status in TERMINAL:
                    pending.remove(sub)
                    total = total or 1
                    done = total if status == "finished" else done
                colour = {"finished": "green", "failed": "red"}.get(status, "cyan")
                progress.update(task, total=total, completed=done, status=f"[{colour}]{status}[/]")
                if not console.is_terminal:
                    was_status, was_done, at = logged.get(id(sub), ("", -1, 0.0))
                    now = time.monotonic()
                    if status != was_status or (done != was_done and now - at >= LOG_SECONDS):
                        console.print(f"{sub.job_id}: {status} {done}/{total or '?'}", markup=False, highlight=False)
                        logged[id(sub)] = (status, done, now)
            if pending:
                time.sleep(POLL_SECONDS)


# ---- the readable summary -------------------------------------------------------------------


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def image_line(result: dict[str, Any]) -> str:
    """category · top 3 tags · persons · OCR text, for one image result."""
    parts = [(result.get("moderation") or {}).get("category", "?")]
    tags = sorted(result.get("tags") or [], key=lambda t: -t.get("probability", 0))[:3]
    if tags:
        parts.append("tags: " + ", ".join(f"{t['tag']} {t.get('probability', 0):.2f}" for t in tags))
    persons = result.get("person_ids") or []
    if persons:
        parts.append(f"persons: {len(persons)} (" + ", ".join(_person(p) for p in persons) + ")")
    texts = [o for o in result.get("ocr_results") or [] if (o.get("full_text") or "").strip()]
    if texts:
        langs = sorted({o.get("language_code") or "?" for o in texts})
        parts.append(f"text [{','.join(langs)}]: " + json.dumps(_clip(" / ".join(o["full_text"] for o in texts), 60),
                                                                ensure_ascii=False))
    return " · ".join(parts)


def _person(person: dict[str, Any]) -> str:
    age = person.get("age")
    text = " ".join(p for p in (person.get("gender") or "unidentified", f"~{age:.0f}" if age is not None else "") if p)
    if person.get("allowlisted"):
        text += f" allowlisted:{person.get('allowlist_person_id') or '?'}"
    return text


def video_line(result: dict[str, Any]) -> str:
    """scenes · distinct persons · sections with their time ranges, for one video result."""
    persons = {p.get("person_id") for scene in result.get("person_constellation_scenes") or []
               for p in scene.get("person_ids") or []}
    parts = [_count(len(result.get("raw_scenes") or []), "scene"), _count(len(persons), "person")]
    sections = []
    for section in result.get("sections") or []:
        spans = ", ".join(f"{s['start_seconds']:.1f}–{s['end_seconds']:.1f} s"
                          for s in section.get("time_segments") or [])
        sections.append(f"{section.get('section_tag', '?')}{'!' if section.get('is_critical') else ''} ({spans})")
    parts.append("sections: " + ("; ".join(sections) if sections else "none"))
    return " · ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_lines(subs: list[Submission]) -> list[str]:
    lines: list[str] = []
    for sub in subs:
        if sub.job_id is None:
            lines.append(f"{', '.join(sub.files)}: not submitted: {_error_text(sub.error)}")
            continue
        job = sub.job or {}
        status = sub.status
        if sub.kind == "image":
            lines.append(f"{sub.job_id} {status} ({_count(len(sub.files), 'image')})")
            if sub.error or job.get("error"):
                lines.append(f"  error {_error_text(sub.error or job.get('error'))}")
            for item in job.get("items") or []:
                if item.get("result"):
                    lines.append(f"  {item['external_id']}: {image_line(item['result'])}")
                else:
                    what = _error_text(item["error"]) if item.get("error") else item.get("status", "?")
                    lines.append(f"  {item['external_id']}: {item.get('status', '?')}: {what}")
        else:
            if job.get("result"):
                detail = video_line(job["result"])
            elif sub.error or job.get("error"):
                detail = f"error {_error_text(sub.error or job.get('error'))}"
            else:
                detail = status
            lines.append(f"{sub.job_id} {status} {sub.files[0]}: {detail}")
    return lines


def _error_text(error: dict[str, Any] | None) -> str:
    error = error or {}
    return f"{error.get('code', 'error')}: {error.get('message', '')}".rstrip(": ")


def failed(sub: Submission) -> bool:
    """A file was not analysed: not submitted, job not finished, or its item failed."""
    if sub.status != "finished":
        return True
    return any(item.get("status") != "finished" for item in (sub.job or {}).get("items") or [])


# ---- commands -------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Client:
    base = args.url or os.environ.get("MEDIALENS_URL") or DEFAULT_URL
    return Client(base, args.api_key or os.environ.get("MEDIALENS_API_KEY") or None)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _submit_all(client: Client, collected: Collected, priority: str | None, subs: list[Submission]) -> None:
    """Append to subs as requests go (so an interruption still knows the jobs already made),
    reporting each file that could not be submitted as soon as that is known."""

    def add(*new: Submission) -> None:
        for sub in new:
            subs.append(sub)
            if sub.error:
                _stderr(f"{', '.join(sub.files)}: error {_error_text(sub.error)}")

    batches, too_big = plan_batches(collected.images)
    for batch in batches:
        add(*submit_images(client, batch, priority))
    for path, name, size in collected.videos:
        add(submit_video(client, path, name, size, priority))
    add(*collected.failures)
    add(*(_failure("image", [image.name], {
        "code": "file_too_large",
        "message": f"{image.size} bytes: as base64 it does not fit in one {MAX_BODY_BYTES}-byte request"})
        for image in too_big))


def _write_out(path: Path | None, subs: list[Submission]) -> bool:
    if path is None:
        return True
    try:
        path.write_text(json.dumps([s.to_json() for s in subs], indent=2, ensure_ascii=False) + "\n")
    except OSError as err:
        _stderr(f"error writing {path}: {err.strerror or err}")
        return False
    return True


def run_submit(args: argparse.Namespace) -> int:
    """Exit 0 when every file was submitted (and, with --wait, analysed); 1 otherwise; 130 on Ctrl-C."""
    from rich.console import Console

    client = _client(args)
    subs: list[Submission] = []
    try:
        collected = collect(args.paths)
        _submit_all(client, collected, args.priority, subs)
        if args.wait:
            wait_for(client, subs, Console(stderr=True))
            for line in summary_lines(subs):
                print(line)
        else:
            for sub in subs:
                if sub.job_id and sub.error is None:
                    print(f"{sub.job_id}\t{join_url(client.base_url, sub.location or '')}\t{len(sub.files)} file(s)")
    except ApiError as err:
        _stderr(f"error {err.code}: {err.message}")
        _write_out(args.out, subs)
        return 1
    except ServiceUnreachableError as err:
        _stderr(f"error: {err}")
        _write_out(args.out, subs)
        return 1
    except KeyboardInterrupt:
        started = [s.job_id for s in subs if s.job_id]
        _stderr("interrupted" + (f"; these jobs go on in the service: {' '.join(started)}" if started else ""))
        _write_out(args.out, subs)
        return 130
    written = _write_out(args.out, subs)
    if args.wait:
        return 1 if not written or any(failed(s) for s in subs) else 0
    return 1 if not written or any(s.error for s in subs) else 0


def run_jobs(args: argparse.Namespace) -> int:
    """GET /v1/jobs: the caller's recent jobs, newest first, as a table."""
    from rich.console import Console
    from rich.table import Table

    client = _client(args)
    try:
        jobs = client.get_json(f"/v1/jobs?limit={args.limit}").get("jobs", [])
    except ApiError as err:
        _stderr(f"error {err.code}: {err.message}")
        return 1
    except ServiceUnreachableError as err:
        _stderr(f"error: {err}")
        return 1
    # Off a terminal rich would wrap to 80 columns and fold the job ids a script wants whole.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    if not jobs:
        console.print("no jobs")
        return 0
    table = Table(box=None, highlight=False)
    table.add_column("job", no_wrap=True, min_width=max(len(job.get("job_id", "?")) for job in jobs))
    for name in ("kind", "status", "progress", "priority"):
        table.add_column(name, no_wrap=True)
    table.add_column("created")  # what gives way on a narrow terminal
    for job in jobs:
        progress = job.get("progress") or {}
        table.add_row(_escape(job.get("job_id", "?")), job.get("kind", "?"), job.get("status", "?"),
                      f"{progress.get('completed', 0)}/{progress.get('total', 0)}",
                      job.get("priority") or "-", (job.get("created_at") or "")[:19].replace("T", " "))
    console.print(table)
    return 0


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", metavar="URL",
                        help=f"the service's base URL (default: $MEDIALENS_URL or {DEFAULT_URL}; "
                             "on AWS the stage URL, e.g. https://….execute-api.….amazonaws.com/api)")
    parser.add_argument("--api-key", metavar="KEY", help="sent as X-Api-Key (default: $MEDIALENS_API_KEY)")


def add_parsers(sub: Any) -> None:
    """`submit` and `jobs` on the `medialens` command (cli.main)."""
    submit = sub.add_parser("submit", help="send images and videos to a running service (local or AWS)")
    submit.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="files, or directories (walked recursively)")
    _connection_args(submit)
    submit.add_argument("--wait", action="store_true",
                        help="poll with a progress bar per job until all end, then print a summary")
    submit.add_argument("--priority", type=parse_priority, metavar="P",
                        help="queue the jobs by priority: low, normal, high, critical (or 1-4)")
    submit.add_argument("--out", type=Path, metavar="results.json",
                        help="write the full JSON: one entry per job (the final GET body with --wait, "
                             "else the submission response) with the files it covers")
    submit.set_defaults(run=run_submit)

    jobs = sub.add_parser("jobs", help="list your recent jobs on a running service")
    _connection_args(jobs)
    jobs.add_argument("--limit", type=_positive_int, default=20, metavar="N", help="at most N jobs (default 20)")
    jobs.set_defaults(run=run_jobs)
