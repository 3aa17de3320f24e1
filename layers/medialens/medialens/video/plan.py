"""Cutting a video into time segments for the Map state.

Segments tile [0, duration) without gaps; each worker also decodes `overlap_seconds`
before its start, so windowed detectors are warmed up at the border, and reports only
what falls inside its own [start, end). Merging is then a concatenation.
"""

from __future__ import annotations

import math


def plan_segments(duration: float, segment_seconds: float, overlap_seconds: float) -> list[dict[str, float]]:
    if duration <= 0:
        return [{"segment": 0, "start": 0.0, "end": 0.0, "decode_from": 0.0}]
    count = max(1, math.ceil(duration / segment_seconds))
    bounds = [round(i * duration / count, 6) for i in range(count + 1)]
    return [{"segment": i, "start": bounds[i], "end": bounds[i + 1],
             "decode_from": max(0.0, round(bounds[i] - overlap_seconds, 6))} for i in range(count)]
