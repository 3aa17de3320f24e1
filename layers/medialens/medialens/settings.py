"""Typed settings: the only module that reads environment variables.

Every value has a default that suits `medialens serve` on a laptop; template.yaml sets
the deployed values. Variables are named MEDIALENS_<FIELD>, e.g. MEDIALENS_TABLE_NAME.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]

# Explicit and suggestive content (from moderation) and weapons (from the classifiers).
# "knife" is left out: COCO's knife is mostly cutlery (add it if your media needs it).
DEFAULT_CRITICAL_TAGS = ("explicit", "suggestive", "weapon", "gun", "rifle", "pistol", "revolver",
                         "sword", "cannon", "missile")


def _default_model_dir() -> Path:
    """Models live in /opt/models in the container, in models/artifacts/ in a checkout."""
    baked = Path("/opt/models")
    return baked if baked.is_dir() else REPO_ROOT / "models" / "artifacts"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIALENS_", frozen=True)

    # Resources (names come from template.yaml).
    table_name: str = "medialens-jobs"
    bucket_name: str = "medialens-media"
    image_state_machine_arn: str = ""
    enrol_function_name: str = "FaceEnrolFunction"  # embeds allowlist photos (container)
    video_state_machine_arn: str = ""
    probe_function_name: str = "ProbeVideoFunction"  # reads a video's header (container)

    # Limits.
    max_images_per_batch: int = Field(256, ge=1)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1)  # API Gateway's own limit
    max_image_pixels: int = Field(40_000_000, ge=1)  # decompression-bomb guard
    image_chunk_size: int = Field(4, ge=1)  # images per analysis task in the Map state

    # Videos.
    max_video_seconds: float = Field(3 * 3600, gt=0)  # longer videos are refused (413 or job failed)
    max_upload_bytes: int = Field(10 * 1024**3, ge=1)  # presigned uploads and S3 drops
    upload_url_seconds: int = Field(3600, ge=60)  # validity of presigned upload URLs
    video_segment_seconds: float = Field(60.0, gt=0)  # one Map iteration analyses this much video

    # Batch moderation jobs (POST /batch/jobs): priority queues and the dispatcher.
    queue_url_low: str = ""  # one SQS FIFO queue per priority (template.yaml)
    queue_url_normal: str = ""
    queue_url_high: str = ""
    queue_url_critical: str = ""
    dispatch_function_name: str = "DispatchFunction"
    max_concurrent_jobs: int = Field(4, ge=1)  # batch jobs running at once; the rest wait in their queues
    # A queued job gains one priority level per this many seconds waited (no starvation).
    priority_aging_seconds: float = Field(300.0, gt=0)
    batch_chunk_size: int = Field(25, ge=1)  # images per Map iteration (grows for huge jobs: <= 2,000 chunks)
    download_url_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600)  # validity of result download URLs

    # Access (medialens/tenancy.py). api_keys: checked by the service (`serve --api-key`);
    # require_api_key: API Gateway checked the key (template.yaml), the service reads it.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    require_api_key: bool = False

    # Webhooks and outbound URLs.
    allow_private_urls: bool = False  # only for local testing against 127.0.0.1
    webhook_timeout_seconds: float = Field(10.0, gt=0)  # read timeout per attempt (connect: 5 s)
    # Retries: full-jitter exponential waits from this base (`serve --webhook-retry-base`), each
    # at most the max interval, until the window since the first attempt has passed.
    webhook_retry_base_seconds: float = Field(30.0, gt=0)
    webhook_retry_max_interval_seconds: float = Field(1800.0, gt=0)
    webhook_retry_window_seconds: float = Field(4 * 3600.0, ge=0)  # outlasts a receiver outage of hours
    webhook_secret: str = ""  # signs batch-job webhooks whose job has no webhook_secret
    fetch_max_bytes: int = Field(20 * 1024 * 1024, ge=1)  # images fetched by URL
    fetch_timeout_seconds: float = Field(10.0, gt=0)
    fetch_max_redirects: int = Field(3, ge=0)

    # Latency report: median over this many most recent finished jobs.
    latency_window: int = Field(50, ge=1)

    # Analysis.
    model_dir: Path = Field(default_factory=_default_model_dir)
    onnx_threads: int = Field(1, ge=1)  # intra-op threads per session; scale out by tasks
    # The analysers of one image run side by side on this many threads (1: one after the
    # other). 2 matches the 2 vCPUs of a 3,584 MB Lambda and of the reference laptop.
    analyser_threads: int = Field(2, ge=1)
    # Tags below this probability are dropped.
    tag_min_probability: float = Field(0.15, ge=0, le=1)
    # Tags flagged is_critical (comma-separated in the environment). Matched against the
    # plain tag words; "explicit" and "suggestive" come from moderation.
    critical_tags: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_CRITICAL_TAGS))
    # Below this confidence the gender is "unidentified".
    gender_min_confidence: float = Field(0.8, ge=0.5, le=1)
    # A face matches an allowlisted person when the Euclidean distance between their
    # L2-normalised embeddings is at most this. dlib's usual 0.6 is on raw vectors of length
    # ~1.44, i.e. ~0.42 normalised; measured: 97 % of same-person pairs <= 0.4, 0 of 216
    # different-person pairs (docs/persons.md).
    allowlist_max_distance: float = Field(0.4, gt=0, le=2)

    @field_validator("critical_tags", "api_keys", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        return [t.strip() for t in value.split(",") if t.strip()] if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once (Lambda cold start, or `medialens serve`)."""
    return Settings()
