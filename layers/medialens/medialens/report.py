"""The HTML report: one self-contained page for a video timeline or an image grid.

`render()` accepts every form a result reaches a user in (an API job response, a bare
result, the output of `medialens analyze --json`), so the service (`GET .../report`) and
the CLI (`medialens report`) draw the same page. The page is a single file that works
offline and can be mailed or archived: inline CSS, pictures as data: URIs, no script and a
Content-Security-Policy that forbids fetching anything. Every string from the document is
escaped (OCR text and external ids are user-controlled). Time tracks are positioned by
percentages of the duration, so a one-hour video with hundreds of scenes still fits.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import html
import io
import json
import math
import os
import re
import statistics
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import MedialensError

DEFAULT_URL = "http://127.0.0.1:3000"
MAX_ACTIVITY_POINTS = 2000  # the SVG curve: enough for any screen, small for an hour of video
LOCAL_IMAGE_MAX_SIDE = 640  # `medialens report analyze.json` embeds pictures this small (page size)
LOCAL_IMAGE_QUALITY = 80
MAX_OCR_LANES = 6
TOP_TAGS = 8
OPEN_TABLE_ROWS = 30  # longer tables start folded
JOB_ID_PATTERN = re.compile(r"(video|image_batch)_[A-Za-z0-9_.-]{1,200}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_TICK_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
_CATEGORY_ORDER = ("safe", "suggestive", "explicit")


# ---- reading the document ----------------------------------------------------------------


@dataclass
class VideoEntry:
    """One video to draw: its result, or why there is none (failed, still processing)."""

    label: str
    result: dict[str, Any] | None
    status: str | None = None
    error: dict[str, Any] | None = None


@dataclass
class ImageEntry:
    """One card of the image grid; `key` finds its picture in `images`."""

    key: str
    result: dict[str, Any] | None
    status: str | None = None
    error: dict[str, Any] | None = None


@dataclass
class Page:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # job id, status, progress...
    error: dict[str, Any] | None = None  # the job failed as a whole
    videos: list[VideoEntry] = field(default_factory=list)
    images: list[ImageEntry] | None = None  # None: no grid at all (not even an empty one)


_VIDEO_RESULT_KEYS = frozenset({"raw_scenes", "frame_activity_diffs", "person_constellation_scenes", "sections"})


def _read_document(document: Any) -> Page:
    """Which of the five accepted forms this is, from its keys."""
    if isinstance(document, list):
        return _read_analyze_output(document)
    if not isinstance(document, dict):
        raise ValueError(f"cannot make a report of a JSON {type(document).__name__}: expected an object or a list")
    if "job_id" in document and isinstance(document.get("items"), list):
        return _read_image_batch(document)
    if "job_id" in document and ("result" in document or str(document["job_id"]).startswith("video_")):
        return _read_video_job(document)
    if "job_id" in document:
        raise ValueError(f"job {str(document['job_id'])[:80]!r} is neither a video job nor an image batch "
                         "(batch moderation jobs have no report)")
    if _VIDEO_RESULT_KEYS & document.keys():
        return Page(title="Video analysis", videos=[VideoEntry("video", document, "finished")])
    if "moderation" in document:
        return Page(title="Image analysis", images=[ImageEntry("image", document, "finished")])
    keys = ", ".join(sorted(map(str, document))[:8]) or "none"
    raise ValueError("not a medialens result: expected a video or image job response, a VideoResult, "
                     f"an image result or `medialens analyze --json` output (keys: {keys})")


def _job_facts(document: dict[str, Any]) -> list[tuple[str, str]]:
    facts = [("job", str(document["job_id"])), ("status", str(document.get("status", "unknown")))]
    progress = document.get("progress")
    if isinstance(progress, dict):
        facts.append(("progress", f"{progress.get('completed', '?')}/{progress.get('total', '?')} "
                                  f"({_num(progress.get('percentage')):.0f} %)"))
    facts += [(name.replace("_", " "), str(document[name])) for name in ("created_at", "updated_at")
              if document.get(name)]
    return facts


def _read_video_job(document: dict[str, Any]) -> Page:
    job_id = str(document["job_id"])
    result = document.get("result")
    if result is not None and not isinstance(result, dict):
        raise ValueError(f"job {job_id[:80]!r}: 'result' is not an object")
    entry = VideoEntry(job_id, result, str(document.get("status", "unknown")), _error(document.get("error")))
    return Page(title=f"Video {job_id}", facts=_job_facts(document), error=entry.error, videos=[entry])


def _read_image_batch(document: dict[str, Any]) -> Page:
    entries = []
    for index, item in enumerate(document["items"]):
        if not isinstance(item, dict):
            raise ValueError(f"items[{index}] is not an object")
        result = item.get("result")
        entries.append(ImageEntry(str(item.get("external_id", f"item {index + 1}")),
                                  result if isinstance(result, dict) else None,
                                  str(item.get("status", "unknown")), _error(item.get("error"))))
    job_id = str(document["job_id"])
    return Page(title=f"Images {job_id}", facts=_job_facts(document), error=_error(document.get("error")),
                images=entries)


def _read_analyze_output(document: list[Any]) -> Page:
    page = Page(title=f"medialens analyze: {len(document)} file{'s' if len(document) != 1 else ''}")
    images: list[ImageEntry] = []
    for index, entry in enumerate(document):
        if not isinstance(entry, dict) or "file" not in entry or entry.get("kind") not in ("image", "video"):
            raise ValueError(f"entry {index} is not `medialens analyze --json` output "
                             "(expected objects with 'file', 'kind': image|video and 'result' or 'error')")
        result = entry.get("result")
        result = result if isinstance(result, dict) else None
        error = _error(entry.get("error"))
        status = "failed" if error else "finished"
        if entry["kind"] == "video":
            page.videos.append(VideoEntry(str(entry["file"]), result, status, error))
        else:
            images.append(ImageEntry(str(entry["file"]), result, status, error))
    if images or not page.videos:
        page.images = images
    return page


def _error(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return {"code": str(value.get("code", "error")), "message": str(value.get("message", ""))}
    return {"code": "error", "message": str(value)} if value else None


# ---- small helpers -----------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, default: float = 0.0) -> float:
    """A finite float from the document, whatever JSON put there."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default


def _clock(seconds: float, precise: bool = True) -> str:
    """0:04.2 (or 1:02:03.5 past an hour); without `precise`, whole seconds for axis labels."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{secs:04.1f}" if precise else f"{int(secs):02d}"
    return f"{int(hours)}:{int(minutes):02d}:{secs_text}" if hours >= 1 else f"{int(minutes)}:{secs_text}"


def _span(start: float, end: float, duration: float) -> str:
    """Inline style placing [start, end] on a track as percentages of the duration."""
    left = min(max(start / duration * 100, 0.0), 100.0)
    right = min(max(end / duration * 100, left), 100.0)
    return f"left:{left:.3f}%;width:{right - left:.3f}%"


def _hue(name: str) -> int:
    """A stable colour per name (tag, person), so the same thing has the same colour everywhere."""
    return zlib.crc32(name.encode()) % 360


def _sniff_mime(head: bytes) -> str | None:
    """Formats every browser shows; anything else gets a placeholder rather than a broken image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"BM"):
        return "image/bmp"
    return None


def _bytes_uri(data: bytes) -> str | None:
    mime = _sniff_mime(data[:16])
    return f"data:{mime};base64,{base64.b64encode(data).decode()}" if mime else None


def _b64_uri(text: Any) -> str | None:
    """A data: URI for a base64 picture from the document, or None if it is not one.

    Only the base64 alphabet passes, so the value is safe inside an attribute or a CSS url()."""
    if not isinstance(text, str):
        return None
    compact = "".join(text.split())
    if not compact or not _BASE64.fullmatch(compact):
        return None
    try:
        head = base64.b64decode(compact[:24] + "=" * (-len(compact[:24]) % 4))
    except (binascii.Error, ValueError):
        return None
    mime = _sniff_mime(head)
    return f"data:{mime};base64,{compact}" if mime else None


def _segment(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    start, end = _num(value.get("start_seconds"), -1.0), _num(value.get("end_seconds"), -1.0)
    return (start, end) if 0 <= start <= end else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# ---- video -------------------------------------------------------------------------------


@dataclass
class PersonRow:
    person_id: str
    views: list[tuple[tuple[float, float], dict[str, Any]]] = field(default_factory=list)  # (scene, person)

    @property
    def first_seen(self) -> float:
        return min(scene[0] for scene, _ in self.views)

    def best_thumbnail(self) -> str | None:
        """The face of the most prominent view: the one a viewer recognises."""
        for _, person in sorted(self.views, key=lambda v: -_num(v[1].get("relative_prominence"))):
            uri = _b64_uri(person.get("face_thumbnail"))
            if uri:
                return uri
        return None

    def describe(self) -> str:
        ages = [_num(p.get("age")) for _, p in self.views if _num(p.get("age"), -1) >= 0]
        genders = Counter(str(p.get("gender")) for _, p in self.views
                          if p.get("gender") in ("female", "male"))
        parts = [f"≈{statistics.median(ages):.0f} y" if ages else "age ?",
                 genders.most_common(1)[0][0] if genders else "unidentified"]
        return " · ".join(parts)

    def allowlist_match(self) -> str | None:
        for _, person in self.views:
            if person.get("allowlisted"):
                return str(person.get("allowlist_person_id") or "allowlisted")
        return None


class VideoView:
    """The numbers a video's timeline is drawn from, read once from its result."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.scenes = [s for s in map(_segment, _dicts(result.get("raw_scenes"))) if s]
        diffs = result.get("frame_activity_diffs")
        self.activity = [min(max(_num(v), 0.0), 1.0) for v in diffs] if isinstance(diffs, list) else []
        fps = _num(result.get("frame_activity_fps"))
        self.activity_fps = fps if fps > 0 else None
        self.sections = _dicts(result.get("sections"))
        self.ocr = _dicts(result.get("ocr_results"))
        self.keyframes = sorted(
            (_num(k.get("timestamp_seconds")), uri) for k in _dicts(result.get("keyframes"))
            if (uri := _b64_uri(k.get("image"))))
        self.keyframe_times = [t for t, _ in self.keyframes]
        self.persons = self._persons(_dicts(result.get("person_constellation_scenes")))
        self.duration = self._duration()

    @staticmethod
    def _persons(scenes: list[dict[str, Any]]) -> list[PersonRow]:
        rows: dict[str, PersonRow] = {}
        for scene in scenes:
            span = _segment(scene.get("time_segment"))
            if span is None:
                continue
            for person in _dicts(scene.get("person_ids")):
                person_id = str(person.get("person_id", "?"))
                rows.setdefault(person_id, PersonRow(person_id)).views.append((span, person))
        return sorted(rows.values(), key=lambda row: (row.first_seen, row.person_id))

    def _duration(self) -> float:
        ends = [end for _, end in self.scenes]
        if self.activity and self.activity_fps:
            ends.append(len(self.activity) / self.activity_fps)
        ends += [span[1] for s in self.sections for seg in _dicts(s.get("time_segments"))
                 if (span := _segment(seg))]
        ends += [span[1] for o in self.ocr if (span := _segment(o.get("time_segment")))]
        ends += [scene[1] for row in self.persons for scene, _ in row.views]
        ends += [t for t, _ in self.keyframes]
        return max(ends, default=0.0) or 1.0

    def keyframe_in(self, start: float, end: float) -> int | None:
        """Index of the keyframe inside [start, end) nearest its middle (one per scene, normally)."""
        times = self.keyframe_times
        low, high = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
        if low == high:
            return None
        middle = (start + end) / 2
        return min(range(low, high), key=lambda i: abs(times[i] - middle))

    def keyframe_near(self, t: float) -> int | None:
        times = self.keyframe_times
        if not times:
            return None
        after = bisect.bisect_left(times, t)
        return min((i for i in (after - 1, after) if 0 <= i < len(times)), key=lambda i: abs(times[i] - t))


def _tick_step(duration: float) -> float:
    """The smallest round step giving at most ~12 axis labels."""
    return next((s for s in _TICK_STEPS if duration / s <= 12), math.ceil(duration / 12 / 3600) * 3600)


def _axis(duration: float, step: float) -> str:
    ticks = []
    for i in range(int(duration / step) + 1):
        t = i * step
        if t / duration > 0.97:  # a label at the very end would be cut off
            break
        ticks.append(f'<span class="tick" style="left:{t / duration * 100:.3f}%">'
                     f"{_clock(t, precise=step < 1)}</span>")
    return "".join(ticks)


def _scenes_track(view: VideoView, css_prefix: str) -> str:
    blocks = []
    for number, (start, end) in enumerate(view.scenes, 1):
        keyframe = view.keyframe_in(start, end)
        picture = f" {css_prefix}{keyframe}" if keyframe is not None else f" placeholder p{number % 2}"
        label = f"<span>{number}</span>" if (end - start) / view.duration > 0.025 else ""
        blocks.append(f'<div class="scene{picture}" style="{_span(start, end, view.duration)}" '
                      f'title="Scene {number}: {_clock(start)} – {_clock(end)} ({end - start:.1f} s)">{label}</div>')
    return "".join(blocks)


def _section_colour(section: dict[str, Any]) -> str:
    return "#d93025" if section.get("is_critical") else f"hsl({_hue(str(section.get('section_tag')))} 55% 42%)"


def _sections_track(view: VideoView) -> str:
    blocks = []
    for section in view.sections:
        tag = str(section.get("section_tag", ""))
        confidence = _num(section.get("confidence"))
        critical = " critical" if section.get("is_critical") else ""
        for span in filter(None, map(_segment, _dicts(section.get("time_segments")))):
            title = (f"{tag} ({confidence:.0%}){' · CRITICAL' if critical else ''}: "
                     f"{_clock(span[0])} – {_clock(span[1])}, activity {_num(section.get('relative_activity')):.2f}")
            blocks.append(f'<div class="section{critical}" style="{_span(*span, view.duration)};'
                          f'background:{_section_colour(section)}" title="{_esc(title)}">'
                          f"<span>{_esc(tag)} {confidence:.0%}</span></div>")
    return "".join(blocks)


def _downsample(values: list[float], limit: int) -> list[tuple[int, float]]:
    """(index, value) pairs, at most `limit`: the maximum of each bucket, so cuts stay visible."""
    if len(values) <= limit:
        return list(enumerate(values))
    bucket = math.ceil(len(values) / limit)
    return [(i + bucket // 2, max(values[i:i + bucket])) for i in range(0, len(values), bucket)]


def _activity_svg(view: VideoView) -> str:
    """The activity curve as an inline SVG stretched over the track (x: time, y: 0..1)."""
    if not view.activity:
        return '<div class="empty">no activity values</div>'
    step = 1 / view.activity_fps if view.activity_fps else view.duration / len(view.activity)
    points = [(min(i * step / view.duration, 1.0) * 1000, 100 - value * 96)
              for i, value in _downsample(view.activity, MAX_ACTIVITY_POINTS)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    cuts = "".join(f'<line x1="{s / view.duration * 1000:.1f}" x2="{s / view.duration * 1000:.1f}" y1="0" y2="100"/>'
                   for s, _ in view.scenes[1:])
    return (f'<svg class="activity" viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" '
            f'aria-label="activity over time"><g class="cuts">{cuts}</g>'
            f'<polygon class="area" points="{points[0][0]:.1f},100 {line} {points[-1][0]:.1f},100"/>'
            f'<polyline class="curve" points="{line}"/></svg>')


def _person_row(row: PersonRow, duration: float) -> str:
    thumbnail = row.best_thumbnail()
    face = (f'<img class="face" src="{thumbnail}" alt="face of {_esc(row.person_id)}">' if thumbnail
            else '<div class="face placeholder"></div>')
    match = row.allowlist_match()
    badge = f' <span class="badge allow" title="allowlisted">✔ {_esc(match)}</span>' if match else ""
    hue = _hue(row.person_id)
    marks = "".join(
        f'<div class="mark" style="{_span(*scene, duration)};background:hsl({hue} 60% 45%);'
        f'opacity:{0.45 + 0.55 * min(max(_num(p.get("relative_prominence"), 0.5), 0), 1):.2f}" '
        f'title="{_esc(row.person_id)}: {_clock(scene[0])} – {_clock(scene[1])}, '
        f'prominence {_num(p.get("relative_prominence")):.2f}"></div>'
        for scene, p in row.views)
    return (f'<div class="row person"><div class="label">{face}<div><b>{_esc(row.person_id)}</b>{badge}'
            f"<small>{_esc(row.describe())} · {len(row.views)} scene{'s' if len(row.views) != 1 else ''}</small>"
            f'</div></div><div class="track">{marks}</div></div>')


def _ocr_lanes(view: VideoView) -> tuple[list[tuple[int, tuple[float, float], dict[str, Any]]], int]:
    """Overlapping texts go on separate lanes (greedy), at most MAX_OCR_LANES."""
    placed, lane_ends = [], []
    timed = sorted(((span, o) for o in view.ocr if (span := _segment(o.get("time_segment")))), key=lambda x: x[0])
    for span, ocr in timed:
        lane = next((i for i, end in enumerate(lane_ends) if end <= span[0]), None)
        if lane is None:
            lane = len(lane_ends) if len(lane_ends) < MAX_OCR_LANES else min(range(len(lane_ends)),
                                                                               key=lane_ends.__getitem__)
            if lane == len(lane_ends):
                lane_ends.append(0.0)
        lane_ends[lane] = max(lane_ends[lane], span[1])
        placed.append((lane, span, ocr))
    return placed, max(len(lane_ends), 1)


def _ocr_track(view: VideoView) -> tuple[str, int]:
    placed, lanes = _ocr_lanes(view)
    marks = []
    for lane, span, ocr in placed:
        text = " ".join(str(ocr.get("full_text", "")).split())
        language = str(ocr.get("language_code") or "?")
        title = f"[{language}] {_clock(span[0])} – {_clock(span[1])}: {text[:300]}"
        marks.append(f'<div class="mark text" style="{_span(*span, view.duration)};top:{lane * 22 + 3}px" '
                     f'title="{_esc(title)}"><span>{_esc(text[:80])}</span></div>')
    return "".join(marks), lanes


def _keyframe_css(view: VideoView, css_prefix: str) -> str:
    """Each keyframe once, as a class: scenes and section cards share the same picture."""
    return "".join(f'.{css_prefix}{i}{{background-image:url("{uri}")}}' for i, (_, uri) in enumerate(view.keyframes))


def _section_cards(view: VideoView, css_prefix: str) -> str:
    cards = []
    for section in view.sections:
        tag = str(section.get("section_tag", ""))
        spans = [s for s in map(_segment, _dicts(section.get("time_segments"))) if s]
        keyframe = view.keyframe_near(_num(section.get("thumbnail_timestamp")))
        picture = f"{css_prefix}{keyframe}" if keyframe is not None else "placeholder p0"
        times = ", ".join(f"{_clock(a)} – {_clock(b)}" for a, b in spans)
        activity = min(max(_num(section.get("relative_activity")), 0.0), 1.0)
        critical = section.get("is_critical")
        badge = ' <span class="badge crit">critical</span>' if critical else ""
        cards.append(
            f'<article class="section-card{" critical" if critical else ""}">'
            f'<div class="thumb {picture}" title="thumbnail at {_clock(_num(section.get("thumbnail_timestamp")))}">'
            f'</div><h4 style="color:{_section_colour(section)}">{_esc(tag)}{badge}</h4>'
            f"<p>{times or 'no time'}<br>confidence {_num(section.get('confidence')):.0%} · activity "
            f'<span class="bar"><i style="width:{activity * 100:.0f}%"></i></span> {activity:.2f}</p></article>')
    return "".join(cards)


def _ocr_table(view: VideoView) -> str:
    rows = []
    for ocr in view.ocr:
        span = _segment(ocr.get("time_segment"))
        when = f"{_clock(span[0])} – {_clock(span[1])}" if span else ""
        rows.append(f"<tr><td>{when}</td><td>{_esc(ocr.get('language_code') or '?')}</td>"
                    f"<td><pre>{_esc(ocr.get('full_text', ''))}</pre></td></tr>")
    opened = " open" if len(rows) <= OPEN_TABLE_ROWS else ""
    return (f"<details{opened}><summary>Text over time ({len(rows)})</summary><table class=\"ocr\"><thead><tr>"
            f"<th>time</th><th>language</th><th>text</th></tr></thead><tbody>{''.join(rows)}</tbody></table></details>")


def _scene_table(view: VideoView) -> str:
    rows = "".join(f"<tr><td>{n}</td><td>{_clock(a)}</td><td>{_clock(b)}</td><td>{b - a:.2f} s</td></tr>"
                   for n, (a, b) in enumerate(view.scenes, 1))
    return (f"<details><summary>All {len(view.scenes)} scenes</summary><table><thead><tr><th>#</th><th>start</th>"
            f"<th>end</th><th>duration</th></tr></thead><tbody>{rows}</tbody></table></details>")


def _render_video(entry: VideoEntry, number: int) -> tuple[str, str]:
    """(HTML of the video's section, its CSS: the keyframe classes)."""
    heading = f'<section class="video" id="video-{number}"><h2>{_esc(entry.label)}</h2>'
    if entry.result is None:
        if entry.error:
            return heading + _error_box(entry.error) + "</section>", ""
        return (heading + f'<p class="notice">The job is {_esc(entry.status or "not finished")}: the report shows '
                "its result once it has finished.</p></section>"), ""
    view = VideoView(entry.result)
    prefix = f"v{number}k"
    step = _tick_step(view.duration)
    ocr_marks, lanes = _ocr_track(view)
    summary = [f"{_clock(view.duration)} ({view.duration:.1f} s)", f"{len(view.scenes)} scenes",
               f"{len(view.persons)} persons", f"{len(view.sections)} sections", f"{len(view.ocr)} texts"]
    critical = sum(1 for s in view.sections if s.get("is_critical"))
    if critical:
        summary.append(f'<b class="crit-text">{critical} critical</b>')
    if not view.keyframes:
        summary.append("no keyframes in this result: thumbnails are placeholders")
    rows = [
        f'<div class="row axis"><div class="label"></div><div class="track">{_axis(view.duration, step)}</div></div>',
        f'<div class="row"><div class="label">Scenes</div><div class="track scenes">'
        f"{_scenes_track(view, prefix)}</div></div>",
        f'<div class="row"><div class="label">Sections</div><div class="track sections">'
        f"{_sections_track(view)}</div></div>",
        f'<div class="row"><div class="label">Activity</div><div class="track activity-track">'
        f"{_activity_svg(view)}</div></div>",
        *(_person_row(row, view.duration) for row in view.persons),
        f'<div class="row"><div class="label">Text (OCR)</div><div class="track ocr-track" '
        f'style="height:{lanes * 22 + 6}px">{ocr_marks}</div></div>',
    ]
    body = (f'<p class="summary">{" · ".join(summary)}</p>'
            f'<div class="timeline" style="--grid:{step / view.duration * 100:.4f}% 100%">{"".join(rows)}</div>'
            + (f'<h3>Sections</h3><div class="section-cards">{_section_cards(view, prefix)}</div>'
               if view.sections else "")
            + (_ocr_table(view) if view.ocr else "")
            + _scene_table(view))
    return heading + body + "</section>", _keyframe_css(view, prefix)


# ---- images ------------------------------------------------------------------------------


def _image_card(entry: ImageEntry, picture: str | None) -> str:
    title = f'<h3 title="{_esc(entry.key)}">{_esc(entry.key)}</h3>'
    if entry.result is None:
        body = (_error_box(entry.error) if entry.error
                else f'<p class="notice">{_esc(entry.status or "no result")}</p>')
        return f'<article class="card failed">{title}{body}</article>'
    result = entry.result
    persons = _dicts(result.get("person_ids"))
    boxes = []
    for number, person in enumerate(persons, 1):
        box = person.get("bounding_box")
        if not isinstance(box, dict):
            continue
        left, top = (min(max(_num(box.get(k)), 0.0), 1.0) for k in ("left", "top"))
        width, height = min(max(_num(box.get("width")), 0.0), 1 - left), min(max(_num(box.get("height")), 0.0), 1 - top)
        colour = "#16a34a" if person.get("allowlisted") else "#facc15"
        boxes.append(f'<div class="box" style="left:{left * 100:.2f}%;top:{top * 100:.2f}%;width:{width * 100:.2f}%;'
                     f'height:{height * 100:.2f}%;border-color:{colour}"><span>{number}</span></div>')
    image = (f'<img src="{picture}" alt="{_esc(entry.key)}">' if picture
             else '<div class="placeholder p0 image-placeholder" title="picture not included"></div>')
    return (f'<article class="card">{title}<div class="pic">{image}{"".join(boxes)}</div>'
            f"{_moderation(result.get('moderation'))}{_tags(result.get('tags'))}{_persons_list(persons)}"
            f"{_image_ocr(result.get('ocr_results'))}</article>")


def _moderation(moderation: Any) -> str:
    if not isinstance(moderation, dict):
        return ""
    category = str(moderation.get("category", "?"))
    scores = moderation.get("scores") if isinstance(moderation.get("scores"), dict) else {}
    bars = "".join(
        f'<span class="score"><b>{name}</b><span class="bar {name}"><i style="width:{score * 100:.0f}%"></i></span>'
        f" {score:.2f}</span>" for name in _CATEGORY_ORDER if name in scores
        for score in [min(max(_num(scores[name]), 0.0), 1.0)])
    known = category if category in _CATEGORY_ORDER else "unknown"
    return f'<p class="moderation"><span class="cat {known}">{_esc(category)}</span>{bars}</p>'


def _tags(tags: Any) -> str:
    ranked = sorted(_dicts(tags), key=lambda t: -_num(t.get("probability")))[:TOP_TAGS]
    if not ranked:
        return '<p class="muted">no tags</p>'
    items = "".join(f'<li class="{"crit" if t.get("is_critical") else ""}">{_esc(t.get("tag", ""))} '
                    f"<small>{_num(t.get('probability')):.2f}</small></li>" for t in ranked)
    return f'<ul class="tags">{items}</ul>'


def _persons_list(persons: list[dict[str, Any]]) -> str:
    if not persons:
        return ""
    items = []
    for person in persons:
        age = _num(person.get("age"), -1.0)
        text = f"{f'≈{age:.0f} y' if age >= 0 else 'age ?'} · {person.get('gender', 'unidentified')}"
        badge = (f' <span class="badge allow">✔ {_esc(person.get("allowlist_person_id") or "allowlisted")}</span>'
                 if person.get("allowlisted") else "")
        items.append(f"<li>{_esc(text)}{badge}</li>")
    return f'<ol class="persons">{"".join(items)}</ol>'


def _image_ocr(ocr_results: Any) -> str:
    return "".join(f'<div class="ocr-text"><span class="lang">{_esc(o.get("language_code") or "?")}</span>'
                   f"<pre>{_esc(o.get('full_text', ''))}</pre></div>" for o in _dicts(ocr_results))


def _render_images(entries: list[ImageEntry], images: dict[str, bytes]) -> str:
    failed = sum(1 for e in entries if e.result is None)
    cards = "".join(_image_card(entry, _bytes_uri(images[entry.key]) if entry.key in images else None)
                    for entry in entries)
    counts = Counter(str(e.result.get("moderation", {}).get("category")) for e in entries
                     if e.result and isinstance(e.result.get("moderation"), dict))
    summary = " · ".join([f"{len(entries)} images"] + [f"{counts[c]} {c}" for c in _CATEGORY_ORDER if counts[c]]
                         + ([f"{failed} without result"] if failed else []))
    cards = cards or '<p class="muted">no images</p>'
    return (f'<section class="images" id="images"><h2>Images</h2><p class="summary">{summary}</p>'
            f'<div class="grid">{cards}</div></section>')


# ---- page --------------------------------------------------------------------------------


def _error_box(error: dict[str, Any]) -> str:
    return (f'<div class="error"><b>error {_esc(error.get("code", "error"))}</b>: '
            f"{_esc(error.get('message', ''))}</div>")


_CSS = """
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1f2937;background:#f8fafc}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 4px;word-break:break-all}
h3{font-size:15px;margin:18px 0 8px}h4{margin:6px 0 2px;font-size:14px}
.facts{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 12px;color:#475569}.facts b{color:#1f2937}
.summary,.muted{color:#64748b;margin:2px 0 10px}
.notice{background:#eff6ff;border:1px solid #bfdbfe;padding:8px 12px;border-radius:6px}
.error{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b;padding:8px 12px;border-radius:6px;margin:6px 0;
word-break:break-word}
section.video,section.images{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:4px 20px 18px;
margin:0 0 24px}
.timeline{border:1px solid #e2e8f0;border-radius:8px;overflow:hidden}
.row{display:grid;grid-template-columns:210px 1fr;border-top:1px solid #eef2f7;min-height:34px}
.row:first-child{border-top:0}
.row>.label{padding:6px 10px;font-weight:600;color:#334155;display:flex;gap:8px;align-items:center;
background:#f8fafc;border-right:1px solid #e2e8f0;min-width:0}
.row>.label small{display:block;font-weight:400;color:#64748b}
.track{position:relative;min-height:34px;background-image:linear-gradient(to right,#e2e8f0 1px,transparent 1px);
background-size:var(--grid)}
.axis .track{height:24px;min-height:24px;background:none}
.axis,.axis>.label{background:#f1f5f9}
.tick{position:absolute;top:4px;font-size:11px;color:#64748b;padding-left:3px;border-left:1px solid #94a3b8;
white-space:nowrap}
.scenes{height:64px}
.scene{position:absolute;top:4px;bottom:4px;background-size:cover;background-position:center;
border-right:1px solid #fff;min-width:1px}
.scene:hover,.mark:hover,.section:hover{outline:2px solid #2563eb;z-index:2}
.scene span{position:absolute;left:2px;top:2px;font-size:10px;background:rgba(15,23,42,.7);color:#fff;
padding:0 3px;border-radius:3px}
.placeholder{background-color:#cbd5e1;
background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.35) 0 6px,transparent 6px 12px)}
.placeholder.p1{background-color:#94a3b8}
.sections{height:34px}
.section{position:absolute;top:5px;bottom:5px;border-right:1px solid #fff;color:#fff;font-size:11px;
overflow:hidden;white-space:nowrap;border-radius:3px}
.section span{padding:0 4px;line-height:24px}
.section.critical{box-shadow:inset 0 0 0 2px #7f1d1d}
.activity-track{height:70px}
svg.activity{position:absolute;inset:4px 0;width:100%;height:calc(100% - 8px)}
svg .area{fill:rgba(37,99,235,.18);stroke:none}
svg .curve{fill:none;stroke:#2563eb;stroke-width:1.4;vector-effect:non-scaling-stroke}
svg .cuts line{stroke:#cbd5e1;stroke-width:1;vector-effect:non-scaling-stroke}
.face{width:40px;height:40px;border-radius:6px;object-fit:cover;flex:none}
div.face{display:block}
.person .track{height:52px}
.mark{position:absolute;top:14px;height:24px;min-width:3px;border-radius:3px}
.ocr-track .mark.text{height:18px;background:#7c3aed;color:#fff;font-size:11px;overflow:hidden;white-space:nowrap}
.mark.text span{padding:0 4px;line-height:18px}
.badge{font-size:11px;padding:0 5px;border-radius:8px;font-weight:600;margin-left:4px}
.badge.allow{background:#dcfce7;color:#166534}.badge.crit{background:#d93025;color:#fff}
.crit-text{color:#d93025}
.section-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
.section-card{border:1px solid #e2e8f0;border-radius:8px;padding:8px;font-size:12px}
.section-card.critical{border:2px solid #d93025}
.section-card p{margin:2px 0}
.thumb{aspect-ratio:16/9;border-radius:5px;background-size:cover;background-position:center}
.bar{display:inline-block;width:60px;height:7px;background:#e2e8f0;border-radius:4px;vertical-align:middle;
overflow:hidden}
.bar i{display:block;height:100%;background:#2563eb}
.bar.safe i{background:#16a34a}.bar.suggestive i{background:#f59e0b}.bar.explicit i{background:#dc2626}
table{border-collapse:collapse;width:100%;font-size:12px}
table.ocr td:first-child{width:150px;white-space:nowrap}table.ocr td:nth-child(2){width:80px}
th,td{text-align:left;padding:4px 8px;border-top:1px solid #eef2f7;vertical-align:top}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
details{margin-top:14px}summary{cursor:pointer;color:#334155;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px;background:#fff;min-width:0}
.card h3{margin:0 0 8px;font-size:13px;word-break:break-all}
.card.failed{background:#fffafa}
.pic{position:relative;line-height:0}
.pic img{width:100%;height:auto;display:block;border-radius:4px}
.image-placeholder{aspect-ratio:4/3;border-radius:4px}
.box{position:absolute;border:2px solid #facc15;box-shadow:0 0 0 1px rgba(0,0,0,.5)}
.box span{position:absolute;left:-2px;top:-16px;background:#111827;color:#fff;font-size:10px;line-height:14px;
padding:0 4px;border-radius:3px}
.moderation{display:flex;flex-wrap:wrap;gap:2px 10px;align-items:center;font-size:12px;margin:8px 0}
.score{display:flex;gap:6px;align-items:center;width:100%}.score b{font-weight:400;width:72px;color:#475569}
.cat{font-weight:700;padding:1px 8px;border-radius:10px;color:#fff;background:#64748b}
.cat.safe{background:#16a34a}.cat.suggestive{background:#f59e0b}.cat.explicit{background:#dc2626}
.tags{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px}
.tags li{background:#f1f5f9;border-radius:10px;padding:0 8px;font-size:12px}
.tags li.crit{background:#fee2e2;color:#991b1b;font-weight:600}
.persons{margin:6px 0;padding-left:22px;font-size:12px}
.ocr-text{display:flex;gap:6px;margin-top:6px;background:#faf5ff;border-radius:5px;padding:5px}
.lang{font-size:11px;font-weight:700;color:#6d28d9;text-transform:uppercase}
nav{margin:0 0 16px}nav a{margin-right:14px;color:#2563eb}
footer{color:#94a3b8;font-size:12px;margin-top:8px}
"""

# Nothing may be fetched: not scripts, not fonts, not pictures other than the inline ones.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def render(document: Any, *, images: dict[str, bytes] | None = None, title: str | None = None) -> str:
    """The whole HTML page for a job response, a bare result or `medialens analyze --json` output.

    `images` maps an image's key (external_id for API batches, the file path for analyze
    output) to its encoded bytes, so the grid shows the picture under its face boxes.
    Raises ValueError for anything that is none of the accepted forms."""
    page = _read_document(document)
    images = images or {}
    if page.images and len(page.images) == 1 and page.images[0].key not in images and len(images) == 1:
        images = {page.images[0].key: next(iter(images.values()))}  # a bare image result has no key of its own
    page_title = title or page.title
    sections, css = [], []
    for number, video in enumerate(page.videos, 1):
        markup, keyframe_css = _render_video(video, number)
        sections.append(markup)
        css.append(keyframe_css)
    if page.images is not None:
        sections.append(_render_images(page.images, images))
    nav = ""
    if len(page.videos) + (page.images is not None) > 1:
        links = [f'<a href="#video-{n}">{_esc(Path(v.label).name or v.label)}</a>'
                 for n, v in enumerate(page.videos, 1)]
        links += ['<a href="#images">Images</a>'] if page.images is not None else []
        nav = f"<nav>{''.join(links)}</nav>"
    facts = "".join(f"<span>{_esc(name)} <b>{_esc(value)}</b></span>" for name, value in page.facts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="generator" content="medialens">'
            f"<title>{_esc(page_title)}</title><style>{_CSS}{''.join(css)}</style></head>"
            f"<body><header><h1>{_esc(page_title)}</h1>"
            + (f'<div class="facts">{facts}</div>' if facts else "")
            + (_error_box(page.error) if page.error and not page.videos else "")
            + f"</header>{nav}{''.join(sections)}"
            f"<footer>medialens {_esc(__version__)} · self-contained report: no external resources</footer>"
            "</body></html>\n")


# ---- `medialens report` --------------------------------------------------------------------


class ReportError(MedialensError):
    """Why the CLI could not write a report, printed as `error <code>: <message>`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def add_parser(sub: Any) -> None:
    """Register `medialens report JOB_ID_OR_FILE -o report.html` on cli.py's subparsers."""
    parser = sub.add_parser("report", help="write the self-contained HTML report of a job or a result file",
                            description="A job id (video_… or image_batch_…) fetches the page the service renders; "
                                        "a file (a job response, a result, or `analyze --json` output) is "
                                        "rendered here.")
    parser.add_argument("source", metavar="JOB_ID_OR_FILE")
    parser.add_argument("-o", "--output", default="report.html", help="where to write the page (default report.html)")
    parser.add_argument("--url", help=f"the service, for job ids (default: $MEDIALENS_URL or {DEFAULT_URL})")
    parser.add_argument("--api-key", metavar="KEY", help="sent as X-Api-Key (default: $MEDIALENS_API_KEY)")
    parser.add_argument("--title", help="page title (files only; default from the document)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        if Path(args.source).is_file():
            page = _render_file(Path(args.source), args.title).encode()
        elif JOB_ID_PATTERN.fullmatch(args.source):
            # The CLI is an entry point: like `medialens submit`, it takes its defaults from the environment.
            page = _fetch(args.url or os.environ.get("MEDIALENS_URL") or DEFAULT_URL, args.source,
                          args.api_key or os.environ.get("MEDIALENS_API_KEY") or None)
        else:
            raise ReportError("not_found", f"{args.source!r} is neither a file nor a job id (video_… or image_batch_…)")
        output = Path(args.output)
        output.write_bytes(page)
    except ReportError as err:
        print(f"error {err.code}: {err.message}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error write_failed: {err}", file=sys.stderr)
        return 1
    print(f"wrote {output} ({len(page) / 1024:.0f} KiB)")
    return 0


def _render_file(path: Path, title: str | None) -> str:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError("invalid_json", f"{path} is not JSON: {err}") from None
    except OSError as err:
        raise ReportError("unreadable_file", str(err)) from None
    try:
        return render(document, images=_local_images(document), title=title)
    except ValueError as err:
        raise ReportError("unsupported_document", f"{path}: {err}") from None


def _local_images(document: Any) -> dict[str, bytes]:
    """Pictures of `analyze --json` image entries whose files still exist, made small."""
    if not isinstance(document, list):
        return {}
    found = {}
    for entry in document:
        if isinstance(entry, dict) and entry.get("kind") == "image" and isinstance(entry.get("result"), dict):
            path = Path(str(entry.get("file", "")))
            if path.is_file() and (picture := small_jpeg(path)):
                found[str(entry["file"])] = picture
    return found


def small_jpeg(path: Path, max_side: int = LOCAL_IMAGE_MAX_SIDE, quality: int = LOCAL_IMAGE_QUALITY) -> bytes | None:
    """The picture as the analysers saw it (EXIF-rotated, alpha over white), ≤ max_side, JPEG;
    None when Pillow cannot read it or it is larger than the analysis accepts."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from .settings import get_settings

    try:
        with Image.open(path) as img:
            if img.width * img.height > get_settings().max_image_pixels:
                return None
            img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale, much faster
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "P", "PA"):
                img = img.convert("RGBA")
                flat = Image.new("RGB", img.size, "white")
                flat.paste(img, mask=img.getchannel("A"))
                img = flat
            img = img.convert("RGB")
            img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=quality)
            return out.getvalue()
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


def _fetch(url: str, job_id: str, api_key: str | None) -> bytes:
    """The page the service renders for this job, or a ReportError from its error body."""
    try:
        import requests
    except ImportError:
        raise ReportError("missing_dependency", "fetching a job needs requests: pip install 'medialens[client]'") \
            from None
    kind = "videos" if job_id.startswith("video_") else "images"
    address = f"{url.rstrip('/')}/v1/{kind}/{job_id}/report"
    try:
        response = requests.get(address, headers={"X-Api-Key": api_key} if api_key else {}, timeout=(5, 120))
    except requests.RequestException as err:
        raise ReportError("connection_failed", f"could not reach {url}: {err}") from None
    if response.status_code == 200:
        return response.content
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = f"http_{response.status_code}", response.text[:200].strip() or str(response.reason)
    raise ReportError(code, message)
