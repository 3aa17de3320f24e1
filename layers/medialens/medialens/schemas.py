"""The API contract: request, response and result schemas (pydantic).

The OpenAPI document is generated from these (GET /v1/openapi.json). Field names follow
the promises in shared/seeds/001_*.txt exactly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

JobStatus = Literal["queued", "processing", "finished", "failed"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"finished", "failed"})
ModerationCategory = Literal["safe", "suggestive", "explicit"]
MediaType = Literal["image", "video"]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests ---------------------------------------------------------------------------


class WebhookConfig(Schema):
    url: str = Field(min_length=1, max_length=2048, description="http(s) URL to POST the final payload to")
    secret: str | None = Field(
        None, max_length=1024, description="If set, X-Webhook-Signature: sha256=<HMAC-SHA256 of the body>"
    )


class ImageInput(Schema):
    external_id: str = Field(min_length=1, max_length=256, description="Your id for this image")
    data_base64: str = Field(description="Raw base64 of the image file (no data: URI prefix)")


PriorityWord = Literal["low", "normal", "high", "critical"]
PRIORITIES: dict[str, int] = {"low": 1, "normal": 2, "high": 3, "critical": 4}
PRIORITY_WORDS: dict[int, str] = {level: word for word, level in PRIORITIES.items()}
QUEUED_PRIORITY_DOC = ("Queue the job by priority (low | normal | high | critical, or 1-4): it then shares "
                       "MAX_CONCURRENT_JOBS with other queued jobs, best first. Absent: it starts at once.")


def parse_priority_text(text: str) -> int | None:
    """A priority written as text (a header, a command-line flag): one of the words or 1-4,
    any case; None when it is neither."""
    value = text.strip().lower()
    if value in PRIORITIES:
        return PRIORITIES[value]
    return int(value) if value in ("1", "2", "3", "4") else None


def priority_level(value: str | int | None) -> int:
    """1 (low) .. 4 (critical); 0 when no priority was given."""
    if value is None:
        return 0
    return value if isinstance(value, int) else PRIORITIES[value]


class ImageBatchRequest(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"images": [
        {"external_id": "abc", "data_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD..."},
        {"external_id": "def", "data_base64": "/9j/4AAQSkZJRgABAQAAAQABAAD..."}]}]})
    images: list[ImageInput] = Field(min_length=1, description="One or more images to analyze")
    webhook: WebhookConfig | None = None
    priority: PriorityWord | Literal[1, 2, 3, 4] | None = Field(None, description=QUEUED_PRIORITY_DOC)


class AllowlistImage(Schema):
    data_base64: str = Field(description="Raw base64 of a photo showing exactly one face")


class AllowlistRequest(Schema):
    person_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$",
                           description="Your id for this person (letters, digits, _ . @ -)")
    images: list[AllowlistImage] = Field(min_length=1, max_length=10,
                                         description="1-10 photos, each with exactly one face")


# ---- results ----------------------------------------------------------------------------


class ModerationScores(Schema):
    safe: float
    suggestive: float
    explicit: float


class Moderation(Schema):
    category: ModerationCategory
    scores: ModerationScores


class Tag(Schema):
    tag: str
    probability: float
    is_critical: bool = False


class BoundingBox(Schema):
    """Fractions of the image width/height, origin top-left."""

    left: float
    top: float
    width: float
    height: float


class Person(Schema):
    """One detected face. docs/persons.md says how each field is computed."""

    age: float | None = Field(None, description="Estimated age in years")
    gender: Literal["female", "male", "unidentified"] = Field(
        "unidentified", description="unidentified when the classifier is not confident enough")
    face_embedding: list[float] = Field(
        default_factory=list, description="128-D, L2-normalised (dlib ResNet); compare by Euclidean distance")
    face_thumbnail: str | None = Field(None, description="base64 JPEG of the aligned face, at most 160 px")
    allowlisted: bool = False
    allowlist_person_id: str | None = Field(None, description="The matching allowlist entry, if any")
    relative_prominence: float | None = Field(None, ge=0, le=1, description="0..1 from face area and centrality")
    bounding_box: BoundingBox | None = None


class TimeSegment(Schema):
    start_seconds: float
    end_seconds: float


class OcrResult(Schema):
    language_code: str | None = Field(None, description="ISO 639-1 code (ISO 639-3 where there is none) of the block's "
                                      "language; null when the text is too short to tell")
    language_tag: str | None = Field(None, description="BCP-47 tag with the script where it says more: zh-Hans or "
                                     "zh-Hant when the reading tells them apart, sr-Latn, uz-Cyrl")
    full_text: str
    time_segment: TimeSegment | None = None


class VideoPerson(Person):
    """A person in a video: the image fields plus an id stable across the whole video."""

    person_id: str = Field(description="Same person = same id in every scene of this video")


class ConstellationScene(Schema):
    time_segment: TimeSegment
    person_ids: list[VideoPerson] = Field(default_factory=list)


class Section(Schema):
    section_tag: str
    time_segments: list[TimeSegment]
    thumbnail_timestamp: float
    confidence: float = Field(ge=0, le=1)
    is_critical: bool = False
    relative_activity: float = Field(ge=0, le=1)


class Keyframe(Schema):
    timestamp_seconds: float
    image: str = Field(description="base64 JPEG, at most 160 px on its long side")


class VideoResult(Schema):
    """The analysis of one video: the same object in the API and in `medialens analyze`."""

    raw_scenes: list[TimeSegment] = Field(default_factory=list)
    frame_activity_diffs: list[float] = Field(default_factory=list)
    frame_activity_fps: float | None = Field(None, description="Rate of frame_activity_diffs, values per second")
    person_constellation_scenes: list[ConstellationScene] = Field(default_factory=list)
    ocr_results: list[OcrResult] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    keyframes: list[Keyframe] = Field(
        default_factory=list, description="One still per raw scene (its sharpest sampled frame), for previews")


class ImageResult(Schema):
    """The analysis of one image: the same object in the API and in `medialens analyze`."""

    moderation: Moderation
    tags: list[Tag] = Field(default_factory=list)
    person_ids: list[Person] = Field(default_factory=list)
    ocr_results: list[OcrResult] = Field(default_factory=list)


# ---- responses --------------------------------------------------------------------------


class ErrorInfo(Schema):
    code: str = Field(description="Machine-readable error code, e.g. invalid_image")
    message: str


class ErrorResponse(Schema):
    error: ErrorInfo


class JobAccepted(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"job_id": "video_12345"}, {"job_id": "image_batch_123"}]})
    job_id: str


class JobSummary(Schema):
    job_id: str
    kind: Literal["image_batch", "video", "moderation_batch"]
    status: JobStatus
    progress: Progress
    priority: PriorityWord | None = Field(None, description="Set when the job was queued by priority")
    created_at: str
    updated_at: str
    location: str = Field(description="GET this path for the job's status and results")


class JobList(Schema):
    jobs: list[JobSummary] = Field(description="The caller's jobs, newest first")


class ImageItem(Schema):
    external_id: str
    status: JobStatus
    result: ImageResult | None = None
    error: ErrorInfo | None = None


class Progress(Schema):
    total: int
    completed: int
    percentage: float


class ImageBatchStatus(Schema):
    # The seed's examples plus what this model requires beyond them (item status, moderation).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"job_id": "image_batch_123", "status": "finished", "items": [
            {"external_id": "abc", "status": "finished", "result": {
                "moderation": {"category": "safe", "scores": {"safe": 0.97, "suggestive": 0.02, "explicit": 0.01}},
                "tags": [{"tag": "cat", "probability": 0.92, "is_critical": True}],
                "person_ids": [{"age": 34.5, "gender": "unidentified", "face_embedding": [0.12, -0.03, 0.44],
                                "face_thumbnail": "string", "allowlisted": True, "relative_prominence": 0.65}],
                "ocr_results": [{"language_code": "en", "full_text": "Entrance -> Lobby",
                                 "time_segment": {"start_seconds": 0, "end_seconds": 3}}]}}]},
        {"job_id": "image_batch_123", "status": "finished", "items": [
            {"external_id": "101", "status": "finished", "result": {
                "moderation": {"category": "safe", "scores": {"safe": 0.97, "suggestive": 0.02, "explicit": 0.01}},
                "tags": [{"tag": "cat", "probability": 0.92, "is_critical": False},
                         {"tag": "indoor", "probability": 0.76}],
                "person_ids": [{"age": 4, "gender": "unidentified", "face_embedding": [0.01, 0.02, 0.03]}],
                "ocr_results": [{"language_code": "en", "full_text": "Kitchen"}]}},
            {"external_id": "102", "status": "finished", "result": {
                "moderation": {"category": "safe", "scores": {"safe": 0.97, "suggestive": 0.02, "explicit": 0.01}},
                "tags": [{"tag": "dog", "probability": 0.88},
                         {"tag": "park", "probability": 0.61, "is_critical": False}],
                "person_ids": [], "ocr_results": [{"full_text": "No dogs off leash"}]}}]}]})
    job_id: str
    status: JobStatus
    items: list[ImageItem]
    progress: Progress | None = None
    error: ErrorInfo | None = None
    created_at: str | None = None
    updated_at: str | None = None


class AllowlistPerson(Schema):
    person_id: str
    images: int = Field(description="Enrolment photos (one embedding each)")
    created_at: str
    face_thumbnails: list[str] = Field(default_factory=list, description="base64 JPEGs of the aligned faces")


class AllowlistListing(Schema):
    persons: list[AllowlistPerson]


class VideoJobStatus(Schema):
    # The seed's examples plus what this model requires beyond them (person_id).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"job_id": "video_12345", "status": "finished", "result": {
            "raw_scenes": [{"start_seconds": 0, "end_seconds": 3}],
            "frame_activity_diffs": [0.1],
            "person_constellation_scenes": [
                {"time_segment": {"start_seconds": 0, "end_seconds": 3}, "person_ids": [
                    {"person_id": "person_1", "age": 34.5, "gender": "unidentified",
                     "face_embedding": [0.12, -0.03, 0.44], "face_thumbnail": "string", "allowlisted": True,
                     "relative_prominence": 0.65}]}],
            "ocr_results": [{"language_code": "en", "full_text": "Entrance -> Lobby",
                             "time_segment": {"start_seconds": 0, "end_seconds": 3}}],
            "sections": [{"section_tag": "string", "time_segments": [{"start_seconds": 0, "end_seconds": 3}],
                          "thumbnail_timestamp": 0, "confidence": 1, "is_critical": True, "relative_activity": 0}]}},
        {"job_id": "video_12345", "status": "finished", "result": {
            "raw_scenes": [{"start_seconds": 0, "end_seconds": 5.2}, {"start_seconds": 5.2, "end_seconds": 10.7}],
            "frame_activity_diffs": [0.01, 0.15, 0.08],
            "sections": [
                {"section_tag": "intro", "time_segments": [{"start_seconds": 0, "end_seconds": 3}],
                 "thumbnail_timestamp": 1.2, "confidence": 0.91, "is_critical": False, "relative_activity": 0.2},
                {"section_tag": "demo", "time_segments": [{"start_seconds": 3, "end_seconds": 5.2}],
                 "thumbnail_timestamp": 4.1, "confidence": 0.88, "is_critical": False, "relative_activity": 0.5}],
            "ocr_results": [{"language_code": "en", "full_text": "No dogs off leash",
                             "time_segment": {"start_seconds": 3, "end_seconds": 5.2}}],
            "person_constellation_scenes": [
                {"time_segment": {"start_seconds": 3, "end_seconds": 5.2}, "person_ids": [
                    {"person_id": "person_1", "age": 29, "gender": "female", "face_embedding": [0.11, -0.02, 0.33]},
                    {"person_id": "person_2", "gender": "unidentified", "face_embedding": [0.05, 0.07, -0.12]}]},
                {"time_segment": {"start_seconds": 5.2, "end_seconds": 10.7}, "person_ids": []}]}}]})
    job_id: str
    status: JobStatus
    progress: Progress | None = None
    result: VideoResult | None = None
    error: ErrorInfo | None = None
    created_at: str | None = None
    updated_at: str | None = None


class UploadTicket(Schema):
    job_id: str
    upload_url: str = Field(description="PUT the video here (with the given headers) to start the job")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_in: int = Field(description="Seconds the upload URL stays valid")
    max_bytes: int
    location: str = Field(description="Poll this path for the job")


class UploadRequest(Schema):
    webhook: WebhookConfig | None = None
    priority: PriorityWord | Literal[1, 2, 3, 4] | None = Field(None, description=QUEUED_PRIORITY_DOC)


class LatencyReport(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"media_type": "image", "unit": "image", "latency_ms_per_unit": 120}]})
    media_type: MediaType
    unit: Literal["image", "second"]
    latency_ms_per_unit: float | None = Field(
        description="Median observed processing time per unit over recent finished jobs that found a warm "
                    "worker; null before any"
    )
    samples: int = 0
    cold_start_latency_ms_per_unit: float | None = Field(
        None, description="The same over recent jobs that waited for a worker to load its models (a cold start)")
    cold_start_samples: int = 0


# ---- batch moderation API (shared/seeds/000_*.txt) --------------------------------------------

BatchJobStatusWord = Literal["queued", "processing", "completed", "failed"]


class BatchImage(Schema):
    """One image: exactly one of `url` or `base64`."""

    url: str | None = Field(None, min_length=1, max_length=2048, description="http(s) URL the service fetches")
    base64: str | None = Field(None, min_length=1, description="Raw base64 of the image file (no data: URI prefix)")

    @model_validator(mode="after")
    def _one_source(self) -> BatchImage:
        if (self.url is None) == (self.base64 is None):
            raise ValueError("give exactly one of 'url' or 'base64'")
        return self


class BatchAnalyzeRequest(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"images": [{"url": "https://..."}, {"base64": "..."}]}]})
    images: list[BatchImage] = Field(min_length=1, max_length=10, description="1 to 10 images")


class BatchAnalyzeItem(Schema):
    index: int
    category: ModerationCategory | None = None
    scores: ModerationScores | None = None
    error: ErrorInfo | None = None


class BatchAnalyzeResponse(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"success": True, "results": [{"index": 0, "category": "safe"}, {"index": 1, "category": "explicit"}]}]})
    success: bool
    results: list[BatchAnalyzeItem]


class BatchJobRequest(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"images": ["url1", "url2", "..."], "priority": "high", "webhook_url": "https://your-server/webhook"}]})
    images: list[str | BatchImage] = Field(min_length=1, description="URLs, or objects with url or base64")
    priority: PriorityWord | Literal[1, 2, 3, 4] = Field(
        "normal", description="low | normal | high | critical, or 1-4")
    webhook_url: str | None = Field(None, min_length=1, max_length=2048)
    webhook_secret: str | None = Field(None, min_length=1, max_length=1024)

    @property
    def priority_level(self) -> int:
        return priority_level(self.priority)


class BatchJobAccepted(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"success": True, "job_id": "job_abc123", "status": "queued", "estimated_time": 120}]})
    success: bool = True
    job_id: str
    status: BatchJobStatusWord
    estimated_time: int = Field(description="Seconds until the job is expected to complete")


class BatchCounts(Schema):
    total: int
    safe: int
    suggestive: int
    explicit: int
    failed: int


class BatchJobStatus(Schema):
    # The seed's example plus what this model requires beyond it (priority).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"job_id": "job_abc123", "status": "processing", "priority": "high",
         "progress": {"total": 100, "completed": 45, "percentage": 45},
         "created_at": "2025-01-15T10:00:00Z", "updated_at": "2025-01-15T10:15:00Z"}]})
    job_id: str
    status: BatchJobStatusWord
    priority: Literal["low", "normal", "high", "critical"]
    progress: Progress
    created_at: str
    updated_at: str
    results: BatchCounts | None = Field(None, description="When completed")
    download_url: str | None = Field(None, description="When completed: presigned URL of the JSON-lines results")
    download_expires_in: int | None = None
    error: ErrorInfo | None = None


class BatchWebhookPayload(Schema):
    # The seed's example plus what this model requires beyond it (results.failed).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event": "job.completed", "job_id": "job_abc123", "status": "completed",
         "results": {"total": 100, "safe": 85, "suggestive": 12, "explicit": 3, "failed": 0},
         "download_url": "https://...", "timestamp": "2025-01-15T10:30:00Z"}]})
    event: Literal["job.completed", "job.failed"]
    job_id: str
    status: BatchJobStatusWord
    results: BatchCounts
    download_url: str | None = None
    timestamp: str
    error: ErrorInfo | None = None


class BatchErrorResponse(Schema):
    success: Literal[False] = False
    error: ErrorInfo


def dump(model: BaseModel) -> dict:
    """JSON-ready dict without unset optional fields (what clients and webhooks receive)."""
    return model.model_dump(mode="json", exclude_none=True)
