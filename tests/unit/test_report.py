"""The HTML report: every accepted input form, escaping, self-containment, the CLI on files."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
import requests

from medialens import report
from medialens.cli import main
from tests.conftest import jpeg_bytes


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (32, 18)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=70)
    return out.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _span(start: float, end: float) -> dict:
    return {"start_seconds": start, "end_seconds": end}


@pytest.fixture(scope="module")
def face(corpus) -> str:
    """A real face thumbnail, as the API carries it (base64 JPEG)."""
    return _b64(jpeg_bytes(corpus / "images/faces/skimage_astronaut.png", 96))


@pytest.fixture
def video_result(face) -> dict:
    """A VideoResult shaped like the analysis writes it: 3 scenes, 2 persons, 2 sections, 1 text."""
    person = {"age": 31.0, "gender": "female", "face_thumbnail": face, "relative_prominence": 0.8,
              "allowlisted": True, "allowlist_person_id": "eileen", "person_id": "person_1"}
    stranger = {"age": 44.0, "gender": "male", "relative_prominence": 0.5, "person_id": "person_2"}
    return {
        "raw_scenes": [_span(0, 2.5), _span(2.5, 6.0), _span(6.0, 10.0)],
        "frame_activity_diffs": [0.0] * 62 + [0.9] + [0.02] * 87 + [0.7] + [0.01] * 99,
        "frame_activity_fps": 25.0,
        "person_constellation_scenes": [
            {"time_segment": _span(0, 2.5), "person_ids": [person]},
            {"time_segment": _span(2.5, 6.0), "person_ids": []},
            {"time_segment": _span(6.0, 10.0), "person_ids": [stranger, person | {"relative_prominence": 0.3}]},
        ],
        "ocr_results": [{"language_code": "en", "full_text": "NOTICE\nDOUBLE PARKING",
                         "time_segment": _span(4.0, 6.0)}],
        "sections": [
            {"section_tag": "person", "time_segments": [_span(0, 2.5)], "thumbnail_timestamp": 1.0,
             "confidence": 0.73, "is_critical": False, "relative_activity": 1.0},
            {"section_tag": "rifle", "time_segments": [_span(2.5, 10.0)], "thumbnail_timestamp": 8.0,
             "confidence": 0.61, "is_critical": True, "relative_activity": 0.4},
        ],
        "keyframes": [{"timestamp_seconds": 1.0, "image": _b64(_jpeg((200, 30, 30)))},
                      {"timestamp_seconds": 8.0, "image": _b64(_jpeg((30, 30, 200)))}],
    }


@pytest.fixture
def image_result() -> dict:
    return {"moderation": {"category": "suggestive", "scores": {"safe": 0.2, "suggestive": 0.7, "explicit": 0.1}},
            "tags": [{"tag": "person", "probability": 0.77}, {"tag": "suggestive", "probability": 0.7,
                                                             "is_critical": True}],
            "person_ids": [{"age": 36.0, "gender": "female", "allowlisted": False,
                            "bounding_box": {"left": 0.34, "top": 0.136, "width": 0.2, "height": 0.2}}],
            "ocr_results": [{"language_code": "de", "full_text": "Der schnelle braune Fuchs"}]}


def _count(page: str, css_class: str) -> int:
    """Elements carrying this class (class attribute word match)."""
    return len(re.findall(rf'class="(?:[^"]* )?{re.escape(css_class)}(?: [^"]*)?"', page))


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


# ---- video -------------------------------------------------------------------------------------


def test_video_job_draws_a_block_per_scene_a_row_per_person_and_the_activity_curve(video_result):
    page = report.render({"job_id": "video_abc", "status": "finished",
                          "progress": {"total": 1, "completed": 1, "percentage": 100.0}, "result": video_result})
    _assert_self_contained(page)
    assert _count(page, "scene") == 3
    assert _count(page, "person") == 2  # the person rows of the timeline
    assert page.index(">person_1<") < page.index(">person_2<")  # ordered by first appearance
    assert _count(page, "mark") == 3 + 1  # person_1 in two scenes, person_2 in one, one OCR text
    assert '<svg class="activity"' in page and "<polyline" in page
    assert _count(page, "critical") >= 2  # the rifle section on the track and its card
    assert "eileen" in page and "≈31 y · female" in page
    assert "NOTICE" in page and ">en<" in page
    assert "video_abc" in page and "finished" in page


def test_scene_and_section_thumbnails_come_from_keyframes(video_result):
    page = report.render(video_result)
    # Keyframe 0 (t=1.0) lies in scene 1, keyframe 1 (t=8.0) in scene 3; scene 2 has none.
    scene_classes = re.findall(r'<div class="scene([^"]*)"', page)
    assert [c.strip() for c in scene_classes] == ["v1k0", "placeholder p0", "v1k1"]
    assert re.search(r'\.v1k0\{background-image:url\("data:image/jpeg;base64,[A-Za-z0-9+/=]+"\)\}', page)
    assert '<div class="thumb v1k1"' in page  # the rifle section's thumbnail_timestamp 8.0


def test_without_keyframes_every_thumbnail_is_a_placeholder(video_result):
    del video_result["keyframes"]
    page = report.render(video_result)
    assert _count(page, "scene") == 3 and _count(page, "placeholder") >= 3 + 2
    assert "background-image:url(" not in page
    assert "no keyframes" in page


def test_bare_video_result_and_job_response_draw_the_same_timeline(video_result):
    bare = report.render(video_result)
    job = report.render({"job_id": "video_x", "status": "finished", "result": video_result})
    assert _count(bare, "scene") == _count(job, "scene") == 3
    assert _count(bare, "person") == _count(job, "person") == 2


def test_unfinished_and_failed_video_jobs_say_so():
    queued = report.render({"job_id": "video_q", "status": "processing",
                            "progress": {"total": 4, "completed": 1, "percentage": 25.0}})
    assert "processing" in queued and "1/4" in queued and _count(queued, "scene") == 0
    failed = report.render({"job_id": "video_f", "status": "failed",
                            "error": {"code": "timeout", "message": "Max-Processing-Time passed"}})
    assert "error timeout" in failed and "Max-Processing-Time passed" in failed


def test_an_hour_of_activity_is_downsampled_and_keeps_its_peaks():
    diffs = [0.01] * (3600 * 25)
    diffs[50_000] = 0.95  # one hard cut
    page = report.render({"raw_scenes": [_span(0, 2000), _span(2000, 3600)],
                          "frame_activity_diffs": diffs, "frame_activity_fps": 25.0})
    points = re.search(r'<polyline class="curve" points="([^"]+)"', page).group(1).split()
    assert len(points) <= report.MAX_ACTIVITY_POINTS
    peak_x, peak_y = min((tuple(map(float, p.split(","))) for p in points), key=lambda p: p[1])
    assert peak_y == pytest.approx(100 - 0.95 * 96, abs=0.1)
    assert peak_x == pytest.approx(2000 / 3600 * 1000, abs=1.0)


def test_hundreds_of_scenes_are_placed_by_percentages():
    scenes = [_span(i * 7.2, (i + 1) * 7.2) for i in range(500)]
    page = report.render({"raw_scenes": scenes})
    assert _count(page, "scene") == 500
    lefts = [float(x) for x in re.findall(r'class="scene[^"]*" style="left:([0-9.]+)%', page)]
    assert lefts[0] == 0 and lefts[-1] == pytest.approx(99.8) and lefts == sorted(lefts)


# ---- images -------------------------------------------------------------------------------------


def test_image_batch_cards_show_pictures_boxes_moderation_tags_and_errors(image_result):
    batch = {"job_id": "image_batch_1", "status": "finished", "items": [
        {"external_id": "with-picture", "status": "finished", "result": image_result},
        {"external_id": "no-picture", "status": "finished", "result": image_result},
        {"external_id": "broken", "status": "failed",
         "error": {"code": "invalid_image", "message": "not an image"}},
    ]}
    page = report.render(batch, images={"with-picture": _jpeg((10, 120, 10), (200, 150))})
    _assert_self_contained(page)
    assert _count(page, "card") == 3
    assert page.count('<img src="data:image/jpeg;base64,') == 1
    assert _count(page, "image-placeholder") == 1
    assert page.count('class="box" style="left:34.00%;top:13.60%;width:20.00%;height:20.00%') == 2
    assert '<span class="cat suggestive">suggestive</span>' in page
    assert '<li class="crit">suggestive' in page
    assert "≈36 y · female" in page and ">de<" in page and "Der schnelle braune Fuchs" in page
    assert "error invalid_image" in page and "not an image" in page


def test_bare_image_result_takes_the_one_picture_given(image_result):
    page = report.render(image_result, images={"photo.jpg": _jpeg((1, 2, 3))})
    assert _count(page, "card") == 1 and page.count('<img src="data:image/jpeg;base64,') == 1


def test_bytes_that_are_no_picture_get_a_placeholder(image_result):
    page = report.render(image_result, images={"x": b"%PDF-1.7 not a picture"})
    assert "<img" not in page and _count(page, "image-placeholder") == 1


# ---- analyze output, escaping, unknown forms ------------------------------------------------------


def test_analyze_output_gives_a_section_per_video_and_one_grid(video_result, image_result):
    entries = [
        {"file": "clips/a.mp4", "kind": "video", "result": video_result},
        {"file": "photos/cat.png", "kind": "image", "result": image_result},
        {"file": "clips/b.mp4", "kind": "video", "result": video_result | {"raw_scenes": [_span(0, 10)]}},
        {"file": "notes.txt", "kind": "image", "error": {"code": "invalid_image", "message": "not an image"}},
        {"file": "broken.mp4", "kind": "video", "error": {"code": "invalid_video", "message": "no video stream"}},
    ]
    page = report.render(entries)
    assert _count(page, "video") == 3 and page.count('<section class="images"') == 1
    assert _count(page, "scene") == 3 + 1
    assert _count(page, "card") == 2 and "error invalid_video" in page and "error invalid_image" in page
    assert 'href="#video-1"' in page and 'href="#images"' in page
    assert ".v3k" not in page  # the failed video has no timeline


def test_document_strings_are_escaped(video_result, image_result):
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    video_result["ocr_results"][0]["full_text"] = attack
    video_result["sections"][0]["section_tag"] = attack
    video_result["person_constellation_scenes"][0]["person_ids"][0]["person_id"] = attack
    video_result["person_constellation_scenes"][0]["person_ids"][0]["face_thumbnail"] = '"><script>x</script>'
    video_result["keyframes"][0]["image"] = '");}body{background:url(//evil.example/x)}'
    image_result["ocr_results"][0]["full_text"] = attack
    page = report.render([{"file": attack, "kind": "video", "result": video_result},
                          {"file": attack, "kind": "image", "result": image_result}], title=attack)
    _assert_self_contained(page)
    assert "<img src=x" not in page and "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "evil.example" not in page


@pytest.mark.parametrize("document", [
    42, "video_abc", None, {}, {"foo": 1},
    [{"path": "a.jpg", "result": {}}],
    [{"file": "a.jpg", "kind": "audio", "result": {}}],
    {"job_id": "job_123", "status": "queued", "priority": "low", "progress": {}},  # a batch moderation job
    {"job_id": "image_batch_1", "items": ["not an object"]},
])
def test_anything_else_is_a_value_error(document):
    with pytest.raises(ValueError, match=r"\S"):
        report.render(document)


# ---- the CLI on files (no service) ----------------------------------------------------------------


def test_cli_renders_a_json_file(tmp_path, video_result, capsys):
    source = tmp_path / "job.json"
    source.write_text(json.dumps({"job_id": "video_abc", "status": "finished", "result": video_result}))
    out = tmp_path / "page.html"
    assert main(["report", str(source), "-o", str(out)]) == 0
    assert _count(out.read_text(), "scene") == 3
    assert "wrote" in capsys.readouterr().out


def test_cli_embeds_small_pictures_of_analysed_files(tmp_path, corpus, image_result, monkeypatch):
    photo = corpus / "images/faces/skimage_astronaut.png"  # 512 px PNG with alpha-free RGB
    big = tmp_path / "big.png"
    from PIL import Image

    with Image.open(photo) as img:
        img.resize((1600, 1600)).save(big)
    source = tmp_path / "analyze.json"
    source.write_text(json.dumps([{"file": str(big), "kind": "image", "result": image_result},
                                  {"file": str(tmp_path / "gone.jpg"), "kind": "image", "result": image_result}]))
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(source)]) == 0
    page = (tmp_path / "report.html").read_text()  # the default output
    encoded = re.findall(r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(encoded) == 1  # the missing file gets a placeholder
    with Image.open(io.BytesIO(base64.b64decode(encoded[0]))) as shown:
        assert max(shown.size) == report.LOCAL_IMAGE_MAX_SIDE


@pytest.mark.parametrize("content, code", [("{not json", "invalid_json"), ('{"foo": 1}', "unsupported_document")])
def test_cli_reports_bad_files(tmp_path, capsys, content, code):
    source = tmp_path / "bad.json"
    source.write_text(content)
    assert main(["report", str(source), "-o", str(tmp_path / "x.html")]) == 1
    assert capsys.readouterr().err.startswith(f"error {code}: ")
    assert not (tmp_path / "x.html").exists()


def test_cli_refuses_what_is_neither_a_file_nor_a_job_id(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.html")]) == 1
    assert capsys.readouterr().err.startswith("error not_found: ")


# ---- the CLI on job ids (the HTTP answer stubbed; the real service is in tests/integration) -------


def _response(status: int, body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers["Content-Type"] = content_type
    return response


def test_cli_fetches_the_page_the_service_renders(tmp_path, monkeypatch):
    calls = []

    def fake_get(url, headers, timeout):
        calls.append((url, headers))
        return _response(200, b"<!DOCTYPE html><title>served</title>", "text/html; charset=utf-8")

    monkeypatch.setattr(requests, "get", fake_get)
    monkeypatch.setenv("MEDIALENS_URL", "http://medialens.test:9000/")
    monkeypatch.setenv("MEDIALENS_API_KEY", "k-123")
    out = tmp_path / "r.html"
    assert main(["report", "video_0a1b", "-o", str(out)]) == 0
    assert main(["report", "image_batch_9z", "-o", str(out), "--url", "http://other.test"]) == 0
    assert out.read_text() == "<!DOCTYPE html><title>served</title>"
    assert calls == [("http://medialens.test:9000/v1/videos/video_0a1b/report", {"X-Api-Key": "k-123"}),
                     ("http://other.test/v1/images/image_batch_9z/report", {"X-Api-Key": "k-123"})]


@pytest.mark.parametrize("status, body, expected", [
    (404, b'{"error": {"code": "not_found", "message": "no job video_0a1b"}}', "error not_found: no job video_0a1b"),
    (502, b"Bad Gateway", "error http_502: Bad Gateway"),
])
def test_cli_prints_server_errors(tmp_path, monkeypatch, capsys, status, body, expected):
    monkeypatch.setattr(requests, "get", lambda *a, **k: _response(status, body, "application/json"))
    assert main(["report", "video_0a1b", "-o", str(tmp_path / "r.html")]) == 1
    assert capsys.readouterr().err.strip() == expected
    assert not (tmp_path / "r.html").exists()
