"""The video workflow's container steps, and the same analysis for `medialens analyze`.

A segment worker makes two passes over its slice of the stream (FFmpeg via PyAV, read
through a presigned URL with range requests, never downloaded whole): the shot
detector's pass on small YUV frames (video/shots.py), then a sampling pass that turns
only the sampled frames into RGB for the image analysers. Samples are taken every
SAMPLE_EVERY_SECONDS and at the middle of every shot longer than MIN_SHOT_FOR_SAMPLE
that no periodic sample covers, so every real scene is looked at.
"""

from __future__ import annotations

from typing import Any

from ..schemas import VideoJobStatus, VideoResult, dump

SAMPLE_EVERY_SECONDS = 2.0
MIN_SHOT_FOR_SAMPLE = 0.5
SAMPLE_MAX_SIDE = 1280  # analysers get frames no larger than this
STILL_MAX_SIDE = 160  # keyframes in the result (the report's scene thumbnails)
SEEK_MARGIN_SECONDS = 2.0  # seek this far before a sample: some containers (MPEG-PS) land late


def _sample_times(start: float, end: float, boundaries: list[float], ahead: list[float],
                  duration: float) -> list[float]:
    """The periodic times in [start, end), plus the middle of every shot that starts here (or at 0)
    and holds no periodic time. Such a shot is shorter than SAMPLE_EVERY_SECONDS, so the
    boundaries up to that far past `end` tell where it ends: the choice depends on the shots
    alone, never on where segments begin, and many segments sample what one pass samples."""
    times = _periodic(start, end)
    later = sorted(boundaries + ahead)
    for a in ([0.0] if start == 0 else []) + [b for b in boundaries if start <= b < end]:
        b = next((x for x in later if x > a), min(end + SAMPLE_EVERY_SECONDS, duration))
        if b - a >= MIN_SHOT_FOR_SAMPLE and not _periodic(a, b):
            times.append(round((a + b) / 2, 3))
    return sorted(set(times))


def _periodic(start: float, end: float) -> list[float]:
    first = SAMPLE_EVERY_SECONDS * int((start + SAMPLE_EVERY_SECONDS - 1e-9) // SAMPLE_EVERY_SECONDS)
    out, t = [], first
    while t < end:
        out.append(round(t, 3))
        t += SAMPLE_EVERY_SECONDS
    return out


def _frames_at(source: Any, times: list[float], info: Any) -> Any:
    """(t, rgb) for the first frame at or after each requested time, decoding sequentially."""
    import av
    import numpy as np

    if not times:
        return
    with av.open(source, timeout=30) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        origin = info.origin_pts
        if times[0] > SEEK_MARGIN_SECONDS:  # near the start, decoding from it is exact and cheap
            container.seek(int(origin + (times[0] - SEEK_MARGIN_SECONDS) / tb), stream=stream, backward=True)
        pending = list(times)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float((frame.pts - origin) * tb)
            if t + 1e-6 < pending[0]:
                continue
            scale = min(1.0, SAMPLE_MAX_SIDE / max(frame.width, frame.height))
            rgb = frame.to_ndarray(format="rgb24", width=int(frame.width * scale) // 2 * 2,
                                   height=int(frame.height * scale) // 2 * 2)
            yield round(t, 3), np.ascontiguousarray(rgb)
            while pending and pending[0] <= t + 1e-6:
                pending.pop(0)
            if not pending:
                return


def _still(rgb: Any) -> str:
    """A small JPEG of the frame (base64): a scene's keyframe, if this sample is its sharpest."""
    import base64

    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, STILL_MAX_SIDE / max(width, height))
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    return base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else ""


def _analyse_frame(t: float, rgb: Any) -> dict[str, Any]:
    import cv2

    from ..analysis import analyse_fields, finish_tags
    from ..analysis.decode import DecodedImage
    from ..settings import get_settings

    fields = analyse_fields(DecodedImage(rgb, rgb.shape[1], rgb.shape[0], "video-frame"))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return {"t": t, "still": _still(rgb), "persons": fields.get("person_ids", []), "ocr": fields.get("ocr_results", []),
            "tags": finish_tags(fields.get("tags", []), fields.get("moderation"), get_settings().critical_tags),
            "moderation": fields.get("moderation"), "sharpness": round(float(cv2.Laplacian(gray, cv2.CV_64F).var()), 2)}


def analyse_segment(source: Any, info: Any, start: float, end: float | None) -> dict[str, Any]:
    """Shots and samples of [start, end) — end None means to the end of the video."""
    from .shots import detect_segment

    shots = detect_segment(source, start, end, info=info, lookahead_seconds=SAMPLE_EVERY_SECONDS)
    stop = end if end is not None else info.duration
    times = _sample_times(start, stop, [b.seconds for b in shots.boundaries],
                          [b.seconds for b in shots.boundaries_ahead], info.duration)
    return {"shots": shots.as_dict(), "samples": [_analyse_frame(t, rgb) for t, rgb in _frames_at(source, times, info)]}


def assemble(parts: list[dict[str, Any]], info: Any, allowlisted: list[Any], settings: Any) -> dict[str, Any]:
    """The VideoResult of a video from its segments' findings."""
    from ..allowlist import match_persons
    from .assemble import keyframes, ocr_over_time, persons_by_scene, sections
    from .shots import SegmentShots, merge_segments

    merged = merge_segments([SegmentShots.from_dict(p["shots"]) for p in parts], info.duration)
    # One frame can answer two requested times in neighbouring segments: keep it once.
    samples = sorted({s["t"]: s for p in parts for s in p["samples"]}.values(), key=lambda s: s["t"])
    for sample in samples:
        match_persons(sample["persons"], allowlisted, settings.allowlist_max_distance)
    scenes = merged.raw_scenes
    result = {
        "raw_scenes": scenes,
        "frame_activity_diffs": merged.frame_activity_diffs,
        "frame_activity_fps": merged.frame_activity_fps,
        "person_constellation_scenes": persons_by_scene(samples, scenes, settings.allowlist_max_distance),
        "ocr_results": ocr_over_time(samples, SAMPLE_EVERY_SECONDS, merged.duration),
        "sections": sections(scenes, samples, merged.frame_activity_diffs, merged.frame_activity_fps,
                             {t.lower() for t in settings.critical_tags}),
        "keyframes": keyframes(scenes, samples),
    }
    return dump(VideoResult.model_validate(result))


def analyse_video_file(path: str) -> dict[str, Any]:
    """`medialens analyze VIDEO`: the whole video as one segment, no service."""
    from ..settings import get_settings
    from .decode import probe

    info = probe(path)
    return assemble([analyse_segment(path, info, 0.0, None)], info, [], get_settings())


# ---- workflow steps (container) -------------------------------------------------------------


def analyze_video_segment(job_id: str, segment: dict[str, Any], svc: Any) -> dict[str, Any]:
    from ..errors import JobTimeoutError
    from .decode import VideoInfo

    job = svc.jobs.get(job_id)
    if job.past_deadline():
        raise JobTimeoutError(f"Max-Processing-Time exceeded: job {job_id} was cancelled")
    info = VideoInfo.from_dict(job.media)
    last = segment["end"] >= info.duration - 1e-6
    found = analyse_segment(svc.media.presigned_get(job.source_key, 3600), info, segment["start"],
                            None if last else segment["end"])
    svc.media.put_json(segment_key(job_id, segment["segment"]), found)
    svc.jobs.add_completed(job_id, 1)
    return {"segment": segment["segment"]}


def segment_key(job_id: str, segment: int) -> str:
    return f"jobs/{job_id}/segments/{segment:05d}.json"


def assemble_video(job_id: str, outcomes: list[dict[str, Any]], svc: Any) -> dict[str, Any]:
    from .. import dispatch
    from ..errors import MedialensError
    from ..jobs import utc_now
    from ..workflow import job_progress, parse_time
    from .decode import VideoInfo

    failed = [o for o in outcomes if "error" in o]
    if failed:
        raise MedialensError(f"{len(failed)} of {len(outcomes)} video segments failed; first: "
                             f"{failed[0]['error'].get('Cause', failed[0]['error'].get('Error'))}",
                             code="segment_failed")
    job = svc.jobs.get(job_id)
    info = VideoInfo.from_dict(job.media)
    parts = [svc.media.get_json(segment_key(job_id, o["segment"])) for o in outcomes]
    result = assemble(parts, info, svc.allowlist.entries(job.tenant), svc.settings)
    finished_at = utc_now()
    # the payload is stored before the status flips, so a poll that sees "finished" finds it
    svc.media.put_json(svc.media.result_key(job_id), dump(VideoJobStatus(
        job_id=job_id, status="finished", result=result, progress=job_progress(job),
        created_at=job.created_at, updated_at=finished_at)))
    svc.jobs.mark_terminal(job_id, "finished")
    if job.started_at and info.duration > 0:
        elapsed_ms = (parse_time(finished_at) - parse_time(job.started_at)) * 1000
        svc.jobs.add_latency_sample("video", job_id, elapsed_ms / info.duration, round(info.duration),
                                    any(o.get("cold_start") for o in outcomes))
    dispatch.job_ended(job, svc)
    return {"status": "finished", "deliver_webhook": bool(job.webhook_url)}
