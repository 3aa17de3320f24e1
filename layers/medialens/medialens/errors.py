"""Errors with a machine-readable code. API handlers turn them into 4xx bodies;
analysis tasks record them on the failing item. Step Functions Retry/Catch match the
class names, so names are part of the workflow contract (statemachine/README.md)."""

from __future__ import annotations


class MedialensError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidRequestError(MedialensError):
    code = "invalid_request"


class PayloadTooLargeError(MedialensError):
    code = "payload_too_large"
    http_status = 413


class NotFoundError(MedialensError):
    code = "not_found"
    http_status = 404


class UrlNotAllowedError(MedialensError):
    """A URL points at loopback, private, link-local or metadata addresses (SSRF)."""

    code = "url_not_allowed"


class UrlFetchError(MedialensError):
    """A URL could not be fetched (unreachable, non-200, too large, too many redirects)."""

    code = "fetch_failed"


class InvalidImageError(MedialensError):
    """The bytes of one item are not an image we can analyse (per-item, never per-batch)."""

    code = "invalid_image"


class VideoRejectedError(MedialensError):
    """The probe refused the video (undecodable, too long, too large): the job fails."""

    code = "invalid_video"


class JobTimeoutError(MedialensError):
    """Max-Processing-Time passed: the workflow stops and records the job as failed."""

    code = "timeout"


class TransientError(MedialensError):
    """Worth retrying (throttling, a 5xx from a dependency): the ASL retries these only."""

    code = "transient"
    http_status = 503


class ConflictError(MedialensError):
    """The request does not fit the resource's current state (409)."""

    code = "conflict"
    http_status = 409
