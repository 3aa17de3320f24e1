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
    times = _sample_times(0.0, 8.0, [2.2, 2.9, 7.0], [], 8.0)
    assert times[:4] == [0.0, 2.0, 2.55, 4.0]  # periodic, plus the middle of the short shot 2.2-2.9
    assert all(any(a <= t < b for t in times) for a, b in [(0, 2.2), (2.2, 2.9), (2.9, 7.0), (7.0, 8.0)])


@pytest.mark.parametrize("borders", [[2.5], [2.3, 2.6], [1.0, 2.7, 5.5]])
def test_segments_sample_what_one_pass_samples(borders):
    """A short shot across a segment border is sampled once, at the same time."""
    cuts, duration = [2.2, 2.9, 5.1, 5.4, 7.0], 8.0
    single = _sample_times(0.0, duration, cuts, [], duration)
    edges = [0.0, *borders, duration]
    parts = []
    for start, end in zip(edges, edges[1:], strict=False):
        own = [c for c in cuts if start <= c < end]
        ahead = [c for c in cuts if end <= c < end + 2.0]
        parts += _sample_times(start, end, own, ahead, duration)
    assert sorted(parts) == single
