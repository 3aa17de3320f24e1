"""Tag accuracy and latency on ../shared/dev-corpus: `python -m benchmarks.tags_accuracy`.

Accuracy: for every labelled general image (a manifest entry with `ground_truth.tags` or
`ground_truth.object_counts`), is at least one produced tag among the expected words?
Words are compared in singular form ("buildings" = "building"). Target: ≥ 80 % of images.
The expected lists are short and incomplete (the cat's list has no "indoor"), so only
hits are meaningful here, not precision.

Latency: the tags analyser alone (both models + the vocabulary), per image, over every
corpus image, REPEATS times each; median and p90 in ms. `main()` pins OpenCV (the resizes)
to one thread first (onnxruntime, which runs both models, already uses one), so the figures are
single-core. Wall-clock
latency suffers when other processes share the cores; the process CPU time per image is
reported beside it (with one thread it is what the wall time would be on an idle core).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
REPEATS = 5
TARGET_HIT_RATE = 0.8
SHOWN_TAGS = 10


def singular(word: str) -> str:
    word = word.lower().strip()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def expected_tags(entry: dict[str, Any]) -> list[str]:
    truth = entry.get("ground_truth") or {}
    return list(dict.fromkeys([*truth.get("tags", []), *(truth.get("object_counts") or {})]))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(corpus: Path = CORPUS, repeats: int = REPEATS) -> dict[str, Any]:
    import cv2

    from medialens.analysis.decode import decode_image
    from medialens.analysis.tags import TagsAnalyser
    from medialens.settings import get_settings

    manifest = json.loads((corpus / "manifest.json").read_text())
    entries = [e for e in manifest["images"] if e.get("kind", "image") == "image"]
    limit = get_settings().max_image_pixels
    started = time.perf_counter()
    analyser = TagsAnalyser()
    load_ms = (time.perf_counter() - started) * 1000

    rows, latencies, cpu = [], [], []
    for entry in entries:
        image = decode_image((corpus / entry["file"]).read_bytes(), max_pixels=limit)
        produced: list[dict[str, Any]] = []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            produced = analyser.analyse(image)["tags"]
            latencies.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        expected = expected_tags(entry)
        if not expected:
            continue
        wanted = {singular(w) for w in expected}
        matched = [t["tag"] for t in produced if singular(t["tag"]) in wanted]
        rows.append({"file": entry["file"], "expected": expected,
                     "produced": [(t["tag"], t["probability"]) for t in produced],
                     "matched": matched, "hit": bool(matched)})

    hits = sum(row["hit"] for row in rows)
    general = [row for row in rows if row["file"].startswith("images/general/")]
    general_hits = sum(row["hit"] for row in general)
    return {"labelled_images": len(rows), "hits": hits,
            "hit_rate": round(hits / len(rows), 3) if rows else 0.0, "target_hit_rate": TARGET_HIT_RATE,
            "general_images": len(general), "general_hits": general_hits,
            "general_hit_rate": round(general_hits / len(general), 3) if general else 0.0,
            "images": rows, "timed_images": len(entries), "repeats": repeats,
            "cv2_threads": cv2.getNumThreads(), "model_load_ms": round(load_ms, 1),
            "latency_ms": _summary(latencies), "cpu_ms": _summary(cpu)}


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p90": round(pct(values, 0.9), 1)} if values else {}


def table(result: dict[str, Any]) -> str:
    lines = [f"{'image':34} {'hit':4} {'expected':38} produced (top {SHOWN_TAGS})"]
    for row in result["images"]:
        produced = ", ".join(f"{tag} {p:.2f}" for tag, p in row["produced"][:SHOWN_TAGS]) or "-"
        lines.append(f"{Path(row['file']).name[:34]:34} {'yes' if row['hit'] else 'NO':4} "
                     f"{', '.join(row['expected'])[:38]:38} {produced}")
    lat, cpu = result["latency_ms"], result["cpu_ms"]
    lines += ["",
              f"at least one correct tag: {result['hits']}/{result['labelled_images']} = "
              f"{result['hit_rate']:.0%} (target {result['target_hit_rate']:.0%}); images/general only: "
              f"{result['general_hits']}/{result['general_images']} = {result['general_hit_rate']:.0%}",
              f"latency per image (tags analyser, cv2 threads={result['cv2_threads']}, onnxruntime 1 thread, "
              f"{result['timed_images']} images x {result['repeats']}): median {lat.get('median')} ms, "
              f"p90 {lat.get('p90')} ms; CPU time median {cpu.get('median')} ms, p90 {cpu.get('p90')} ms; "
              f"models loaded in {result['model_load_ms']} ms"]
    return "\n".join(lines)


def main() -> int:
    import cv2

    cv2.setNumThreads(1)  # single-core figures, like onnxruntime's one intra-op thread
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    result = run(corpus)
    print(table(result))
    return 0 if min(result["hit_rate"], result["general_hit_rate"]) >= TARGET_HIT_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
