"""OCR accuracy and latency on ../shared/dev-corpus: `python -m benchmarks.ocr_accuracy`.

* Document pages (every "ocr" manifest entry that is not a `scenetext` photo): character
  error rate (CER) of all produced text against `.gt.txt`, per page and overall (summed
  edits / summed reference length), upright and turned by 90/180/270°. Targets: CER ≤ 10 %
  on every rendered page, right language code on ≥ 90 % of them. The page's language is
  the code that covers most of its produced characters; it must equal the first language
  of the ground truth.
* Scene text photos: word recall, each ground-truth word found (case-insensitively, with
  its multiplicity) among the produced words.
* Text-free photos (`TEXT_FREE`): how many OCR results they produce (target 0).
* Latency of the OCR analyser alone, single core (onnxruntime 1 thread, OpenCV 1 thread,
  Tesseract OMP_THREAD_LIMIT=1), per group: text-free photos (the budget that matters:
  ≤ 400 ms for the whole image analysis), scene-text photos, upright pages, turned pages.

Text is compared after NFKC, with runs of whitespace as one space and no space next to a
CJK character (Tesseract spaces Japanese text; the ground truth does not).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
TEXT_FREE = ("images/general/skimage_chelsea_cat.png", "images/general/skimage_coffee.png",
             "images/general/opencv_fruits.jpg", "images/general/sklearn_flower.jpg",
             "images/general/skimage_rocket.jpg", "images/general/dlib_dogs.jpg",
             "images/general/opencv_leuven_street.jpg")
ROTATIONS = (90, 180, 270)
PHOTO_REPEATS = 5
TEXT_REPEATS = 2
TARGET_CER = 0.10
TARGET_LANGUAGE_ACCURACY = 0.90

_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _SPACE_NEAR_CJK.sub("", text)


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy row at a time (insertions via a running minimum)."""
    if not a or not b:
        return len(a) + len(b)
    target = np.array([ord(ch) for ch in b], dtype=np.int64)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    row = offsets.copy()
    for i, ch in enumerate(a, 1):
        step = np.empty_like(row)
        step[0] = i
        step[1:] = np.minimum(row[1:] + 1, row[:-1] + (target != ord(ch)))
        row = np.minimum.accumulate(step - offsets) + offsets
    return int(row[-1])


def cer(produced: str, reference: str) -> float:
    hyp, ref = normalise(produced), normalise(reference)
    return levenshtein(hyp, ref) / max(1, len(ref))


def words(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in _WORD.findall(unicodedata.normalize("NFKC", text)))


def word_recall(produced: str, reference: str) -> tuple[int, int]:
    want = words(reference)
    return sum((want & words(produced)).values()), sum(want.values())


def page_language(results: list[dict[str, Any]]) -> str | None:
    weight = Counter[str]()
    for r in results:
        if r["language_code"]:
            weight[r["language_code"]] += len(normalise(r["full_text"]))
    return weight.most_common(1)[0][0] if weight else None


def full_text(results: list[dict[str, Any]]) -> str:
    return "\n".join(r["full_text"] for r in results)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def stats(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p90": round(pct(values, 0.9), 1),
            "n": len(values)} if values else {}


def run(corpus: Path = CORPUS, rotations: tuple[int, ...] = ROTATIONS) -> dict[str, Any]:
    from medialens.analysis.decode import DecodedImage, decode_image
    from medialens.analysis.ocr import OcrAnalyser
    from medialens.settings import get_settings

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    manifest = json.loads((corpus / "manifest.json").read_text())
    limit = get_settings().max_image_pixels
    started = time.perf_counter()
    analyser = OcrAnalyser()
    load_ms = (time.perf_counter() - started) * 1000

    def timed(image: DecodedImage, repeats: int, into: list[float]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            results = analyser.analyse(image)["ocr_results"]
            into.append((time.perf_counter() - t0) * 1000)
        return results

    scene_ms: list[float] = []
    page_ms: list[float] = []
    turned_ms: list[float] = []
    pages, scenes = [], []
    for entry in manifest["ocr"]:
        path = corpus / entry["file"]
        reference = (corpus / entry["ground_truth"]["gt_file"]).read_text()
        expected = entry["ground_truth"]["languages"][0]
        image = decode_image(path.read_bytes(), max_pixels=limit)
        scene = "scenetext" in path.name
        results = timed(image, TEXT_REPEATS, scene_ms if scene else page_ms)
        if scene:
            found, total = word_recall(full_text(results), reference)
            scenes.append({"file": entry["file"], "found": found, "words": total,
                           "produced": [(r["language_code"], r["full_text"]) for r in results]})
            continue
        row = {"file": entry["file"], "language": expected, "cer": {}, "language_found": {}}
        for angle in (0, *rotations):
            turned = image if not angle else DecodedImage(np.ascontiguousarray(np.rot90(image.rgb, k=angle // 90)),
                                                           image.original_width, image.original_height, image.format)
            got = results if not angle else timed(turned, 1, turned_ms)
            row["cer"][angle] = round(cer(full_text(got), reference), 4)
            row["language_found"][angle] = page_language(got)
            row.setdefault("edits", {})[angle] = round(row["cer"][angle] * len(normalise(reference)))
        row["reference_chars"] = len(normalise(reference))
        pages.append(row)

    free, photo_ms = [], []
    for name in TEXT_FREE:
        image = decode_image((corpus / name).read_bytes(), max_pixels=limit)
        results = timed(image, PHOTO_REPEATS, photo_ms)
        free.append({"file": name, "results": [(r["language_code"], r["full_text"]) for r in results]})

    def overall(angle: int) -> float:
        edits = sum(p["edits"][angle] for p in pages)
        return round(edits / max(1, sum(p["reference_chars"] for p in pages)), 4)

    right = sum(p["language_found"][0] == p["language"] for p in pages)
    found = sum(s["found"] for s in scenes)
    total = sum(s["words"] for s in scenes)
    return {
        "pages": pages, "cer_overall": {angle: overall(angle) for angle in (0, *rotations)},
        "cer_max_upright": max((p["cer"][0] for p in pages), default=0.0), "target_cer": TARGET_CER,
        "language_right": right, "language_accuracy": round(right / len(pages), 3) if pages else 0.0,
        "target_language_accuracy": TARGET_LANGUAGE_ACCURACY,
        "scene": scenes, "scene_words_found": found, "scene_words": total,
        "scene_word_recall": round(found / total, 3) if total else 0.0,
        "text_free": free, "text_free_false_results": sum(len(f["results"]) for f in free),
        "latency_ms": {"text_free_photos": stats(photo_ms), "scene_text_photos": stats(scene_ms),
                       "document_pages": stats(page_ms), "turned_pages": stats(turned_ms)},
        "model_load_ms": round(load_ms, 1),
    }


def table(result: dict[str, Any]) -> str:
    angles = list(result["cer_overall"])
    head = "".join(f"{f'CER {a}°':>10}" for a in angles)
    lines = [f"{'document page':40} {'lang':>5}{'found':>6}{head}"]
    for p in result["pages"]:
        found = p["language_found"][0] or "-"
        cers = "".join(f"{p['cer'][a]:>10.2%}" for a in angles)
        lines.append(f"{Path(p['file']).name[:40]:40} {p['language']:>5}{found:>6}{cers}")
    lines.append(f"{'overall':40} {'':>5}{'':>6}" + "".join(f"{result['cer_overall'][a]:>10.2%}" for a in angles))
    lines.append(f"language right on {result['language_right']}/{len(result['pages'])} pages = "
                 f"{result['language_accuracy']:.0%} (target {result['target_language_accuracy']:.0%}); "
                 f"worst upright CER {result['cer_max_upright']:.2%} (target ≤ {result['target_cer']:.0%})")
    lines.append("")
    for s in result["scene"]:
        produced = " | ".join(f"[{lang}] {text}".replace("\n", " / ") for lang, text in s["produced"]) or "-"
        lines.append(f"{Path(s['file']).name[:32]:32} words {s['found']}/{s['words']}  {produced[:90]}")
    lines.append(f"scene text word recall {result['scene_words_found']}/{result['scene_words']} = "
                 f"{result['scene_word_recall']:.0%}")
    lines.append("")
    for f in result["text_free"]:
        produced = " | ".join(text.replace("\n", " / ") for _, text in f["results"]) or "[]"
        lines.append(f"{Path(f['file']).name[:32]:32} {produced[:90]}")
    lines.append(f"false results on {len(result['text_free'])} text-free photos: {result['text_free_false_results']}")
    lines += ["", f"OCR analyser latency, one core (analyser loaded in {result['model_load_ms']} ms):"]
    for group, fig in result["latency_ms"].items():
        if fig:
            lines.append(f"  {group.replace('_', ' '):20} median {fig['median']:>8.1f} ms   p90 {fig['p90']:>8.1f} ms"
                         f"   (n={fig['n']})")
    return "\n".join(lines)


def main() -> int:
    import cv2

    cv2.setNumThreads(1)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    result = run(corpus)
    print(table(result))
    ok = (result["cer_max_upright"] <= TARGET_CER and result["language_accuracy"] >= TARGET_LANGUAGE_ACCURACY
          and result["text_free_false_results"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
