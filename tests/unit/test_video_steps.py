"""Sampled frames come from the requested presentation times, in every container."""

import pytest

from medialens.video.decode import probe
from medialens.video.steps import _frames_at, _sample_times


@pytest.mark.parametrize("name", ["kivy_cityCC0.mpg", "bbb_segment_270s_310s.mp4"])
def test_samples_are_taken_at_the_requested_times(corpus, name):
    path = str(corpus / "videos/real" / name)
    times = [t for t, _ in _frames_at(path, [0.0, 3.0, 5.0], probe(path))]
    assert times == pytest.approx([0.0, 3.0, 5.0], abs=0.05)  # MPEG-PS seeks land late: must not leak


def test_every_shot_gets_a_sample():
    boundaries = [{"seconds": 2.2}, {"seconds": 2.9}, {"seconds": 7.0}]
    times = _sample_times(0.0, 8.0, boundaries)
    assert times[:4] == [0.0, 2.0, 2.55, 4.0]  # periodic, plus the middle of the short shot 2.2-2.9
    assert all(any(a <= t < b for t in times) for a, b in [(0, 2.2), (2.2, 2.9), (2.9, 7.0), (7.0, 8.0)])
