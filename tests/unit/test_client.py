"""The client's pure parts: batching by count and size, priorities, URLs, error bodies, the summary."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import pytest

from medialens import client
from medialens.client import ImageFile, Submission


def _images(*sizes: int) -> list[ImageFile]:
    return [ImageFile(Path(f"f{i}.jpg"), f"f{i}.jpg", size) for i, size in enumerate(sizes)]


def test_batches_split_by_count_and_by_encoded_size():
    batches, too_big = client.plan_batches(_images(*[10] * 7), batch_bytes=10_000, per_request=3)
    assert [[i.name for i in b] for b in batches] == [["f0.jpg", "f1.jpg", "f2.jpg"],
                                                        ["f3.jpg", "f4.jpg", "f5.jpg"], ["f6.jpg"]]
    assert too_big == []
    # 3000 bytes are 4000 as base64: two fit in 9000, the third starts a new request
    batches, _ = client.plan_batches(_images(3000, 3000, 3000), batch_bytes=9000, max_body=100_000)
    assert [len(b) for b in batches] == [2, 1]


def test_an_image_bigger_than_a_batch_goes_alone_and_one_bigger_than_a_request_apart():
    batches, too_big = client.plan_batches(_images(100, 30_000, 100, 90_000, 100), batch_bytes=10_000,
                                           max_body=100_000)
    assert [[i.name for i in b] for b in batches] == [["f0.jpg"], ["f1.jpg"], ["f2.jpg", "f4.jpg"]]
    assert [i.name for i in too_big] == ["f3.jpg"]  # 120 kB as base64


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000, 123_457])
def test_size_estimate_covers_the_real_body(size):
    name = "dir/ü \"quoted\".jpg"
    body = json.dumps({"images": [{"external_id": name, "data_base64": base64.b64encode(b"x" * size).decode()}],
                       "priority": "critical"})
    estimate = client.ENVELOPE_BYTES + client.item_bytes(name, size)
    assert len(body.encode()) <= estimate <= len(body.encode()) + 64


def test_priorities_are_words_or_numbers():
    assert [client.parse_priority(p) for p in ("low", "Normal", "3", "4")] == ["low", "normal", "high", "critical"]
    for bad in ("urgent", "0", "5", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            client.parse_priority(bad)


def test_paths_join_onto_a_stage_url_without_dropping_its_path():
    stage = "https://abc.execute-api.eu-west-1.amazonaws.com/api"
    assert client.join_url(stage, "/v1/images") == f"{stage}/v1/images"
    assert client.join_url(stage + "/", "/v1/videos/x") == f"{stage}/v1/videos/x"
    assert client.join_url("http://127.0.0.1:3000", "v1/jobs?limit=5") == "http://127.0.0.1:3000/v1/jobs?limit=5"
    assert client.join_url(stage, "https://bucket.s3.amazonaws.com/k?X-Amz=1") == "https://bucket.s3.amazonaws.com/k?X-Amz=1"


class _Response:
    def __init__(self, status: int, text: str):
        self.status_code, self.text, self.reason = status, text, "Reason"

    def json(self):
        return json.loads(self.text)


@pytest.mark.parametrize("status, text, code, message", [
    (400, '{"error": {"code": "invalid_request", "message": "images: too short", "details": [1]}}',
     "invalid_request", "images: too short"),
    (404, '{"success": false, "error": {"code": "not_found", "message": "no job"}}', "not_found", "no job"),
    (403, '{"message": "Forbidden"}', "forbidden", "Forbidden"),  # API Gateway without a valid key
    (403, "<Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message></Error>",
     "SignatureDoesNotMatch", "bad sig"),  # S3, on a presigned PUT
    (502, "Bad Gateway", "http_502", "Bad Gateway"),
])
def test_error_bodies_become_code_and_message(status, text, code, message):
    err = client.error_from_response(_Response(status, text))
    assert (err.status, err.code, err.message) == (status, code, message)
    assert err.fatal == (status == 403)


def test_files_are_sorted_into_images_and_videos_by_their_bytes(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "clip.bin").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    (tmp_path / "a.txt").write_text("not an image either: the service says so, per item")
    (tmp_path / "c.jpg").write_bytes(b"\xff\xd8\xff")
    collected = client.collect([str(tmp_path), str(tmp_path / "c.jpg"), str(tmp_path / "missing.png")])
    assert [i.path.name for i in collected.images] == ["a.txt", "c.jpg"]  # c.jpg once
    assert [path.name for path, _, _ in collected.videos] == ["clip.bin"]
    assert [(f.files, f.error["code"]) for f in collected.failures] == [([str(tmp_path / "missing.png")],
                                                                          "not_found")]


def test_the_summary_reads_like_the_result():
    image = {"moderation": {"category": "safe"},
             "tags": [{"tag": t, "probability": p} for t, p in [("a", 0.2), ("dog", 0.9), ("pet", 0.8), ("b", 0.5)]],
             "person_ids": [{"age": 33.6, "gender": "female", "allowlisted": True, "allowlist_person_id": "ann"},
                            {"gender": "unidentified"}],
             "ocr_results": [{"full_text": "STOP\nhere", "language_code": "en"}]}
    assert client.image_line(image) == ('safe · tags: dog 0.90, pet 0.80, b 0.50 · persons: 2 '
                                        '(female ~34 allowlisted:ann, unidentified) · text [en]: "STOP here"')
    video = {"raw_scenes": [{}, {}, {}],
             "person_constellation_scenes": [{"person_ids": [{"person_id": "p1"}]},
                                             {"person_ids": [{"person_id": "p1"}, {"person_id": "p2"}]}],
             "sections": [{"section_tag": "bicycle", "is_critical": False,
                           "time_segments": [{"start_seconds": 0, "end_seconds": 4.25}]}]}
    assert client.video_line(video) == "3 scenes · 2 persons · sections: bicycle (0.0–4.2 s)"


def test_a_run_fails_when_any_file_was_not_analysed():
    done = {"status": "finished", "items": [{"status": "finished"}]}
    assert not client.failed(Submission("image", ["a"], job_id="j", job=done))
    one_item_failed = {"status": "finished", "items": [{"status": "finished"}, {"status": "failed"}]}
    assert client.failed(Submission("image", ["a", "b"], job_id="j", job=one_item_failed))
    assert client.failed(Submission("video", ["v"], job_id="v", job={"status": "failed"}))
    assert client.failed(Submission("image", ["x"], error={"code": "payload_too_large", "message": ""}))


class _Jobs:
    """Answers GETs from a script of bodies per location, like a service whose jobs advance."""

    def __init__(self, script: dict[str, list[dict]]):
        self.script = script

    def get_json(self, location: str) -> dict:
        bodies = self.script[location]
        return bodies.pop(0) if len(bodies) > 1 else bodies[0]


@pytest.mark.parametrize("terminal", [True, False])
def test_waiting_draws_bars_on_a_terminal_and_lines_elsewhere(monkeypatch, terminal):
    import io

    from rich.console import Console

    monkeypatch.setattr(client, "POLL_SECONDS", 0)
    progress = [{"status": "processing", "progress": {"total": 4, "completed": n}} for n in (0, 2)]
    jobs = _Jobs({"/v1/images/i": [*progress, {"status": "finished", "progress": {"total": 4, "completed": 4}}],
                  "/v1/videos/v": [{"status": "queued"}, {"status": "failed", "error": {"code": "timeout"}}]})
    subs = [Submission("image", ["a", "b", "c", "d"], job_id="i", location="/v1/images/i"),
            Submission("video", ["[weird].mp4"], job_id="v", location="/v1/videos/v")]
    stream = io.StringIO()
    client.wait_for(jobs, subs, Console(file=stream, force_terminal=terminal, width=120))
    assert [s.status for s in subs] == ["finished", "failed"]
    if terminal:
        assert "4/4" in stream.getvalue() and "[weird].mp4" in stream.getvalue()
    else:
        # 2/4 came within LOG_SECONDS of 0/4: not worth a line of its own
        assert stream.getvalue().splitlines() == ["i: processing 0/4", "v: queued 0/?", "v: failed 0/1",
                                                  "i: finished 4/4"]
