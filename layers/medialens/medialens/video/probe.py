"""Probe a stored video in place: FFmpeg (PyAV) reads only what it needs through a
presigned URL with range requests, so nothing is downloaded whole."""

from __future__ import annotations

from typing import Any

from ..errors import MedialensError


def probe_stored(key: str, media: Any) -> dict[str, Any]:
    """The probe's findings, or {"error": {"code", "message"}} for a video we cannot analyse."""
    from .decode import probe

    try:
        info = probe(media.presigned_get(key, expires=900))
    except MedialensError as err:
        return {"error": {"code": err.code, "message": err.message}}
    return info.as_dict()
