"""Cutting a video into time segments for the Map state.

Segments tile [0, duration) without gaps. Each worker decodes some seconds before its
start and after its end, as much as the shot detector's windows need
(video.shots.required_overlap_seconds), and reports only what falls inside its own
[start, end), so merging is a concatenation and equals a single pass.
"""

from __future__ import annotations

import math


def plan_segments(duration: float, segment_seconds: float) -> list[dict[str, float]]:
    if duration <= 0:
        return [{"segment": 0, "start": 0.0, "end": 0.0}]
    count = max(1, math.ceil(duration / segment_seconds))
    bounds = [round(i * duration / count, 6) for i in range(count + 1)]
    return [{"segment": i, "start": bounds[i], "end": bounds[i + 1]} for i in range(count)]
