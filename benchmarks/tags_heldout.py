"""Tags on the held-out photos, this tree and a baseline side by side: `make bench`.

    .venv/bin/python -m benchmarks.tags_heldout [--baseline REV] [--json OUT]

The tags analyser alone on every file of benchmarks/photo_media.py (real photos, and
artwork, textures, documents and screenshots), scored against the labels made by eye with
the vocabulary's own words: a tag in `correct` is right, one in `acceptable` is left out,
any other is wrong. Per split (dev: what may be fitted on; test: only reported):

* **hit**: photos with at least one right tag (issue 14 measured 24/32 = 0.75 elsewhere);
* **right at >= 0.9**: share of the tags at probability >= 0.9 that are right (goal >= 95 %),
  and the wrong ones;
* **reliability**: right / scored per probability bin of 0.1;
* **ms**: median time of the tags analyser per image (one thread).

The baseline (benchmarks/baseline.py) is the same scoring run on a `git worktree` of REV.
Figures go to bench-results/tags_heldout.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.baseline import BASELINE, run_in, worktree

REPO = Path(__file__).resolve().parents[1]
DEFAULT_JSON = REPO / "bench-results" / "tags_heldout.json"
SURE = 0.9


def produce(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Tags (word, probability) and ms per item, from the medialens this interpreter imports."""
    import cv2

    from medialens.analysis import analyser
    from medialens.analysis.decode import decode_image

    cv2.setNumThreads(1)
    tags = analyser("tags")
    out: dict[str, Any] = {}
    for item in items:
        image = decode_image(Path(item["path"]).read_bytes(), max_pixels=10**9)
        started = time.perf_counter()
        found = tags.analyse(image)["tags"]
        out[item["id"]] = {"ms": (time.perf_counter() - started) * 1000,
                           "tags": [(t["tag"], t["probability"]) for t in found]}
    return out


def score(items: list[dict[str, Any]], produced: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for split in ("dev", "test"):
        chosen = [it for it in items if it["split"] == split]
        photos = [it for it in chosen if it["kind"] == "photo"]
        hits = sum(any(t in it["vocabulary"]["correct"] for t, _ in produced[it["id"]]["tags"]) for it in photos)
        bins: dict[int, list[int]] = {}
        wrong_sure = []
        for it in chosen:
            right, maybe = set(it["vocabulary"]["correct"]), set(it["vocabulary"]["acceptable"])
            for tag, p in produced[it["id"]]["tags"]:
                if tag in maybe:
                    continue
                row = bins.setdefault(min(int(p * 10), 9), [0, 0])
                row[0] += tag in right
                row[1] += 1
                if p >= SURE and tag not in right:
                    wrong_sure.append(f"{it['id']}: {tag} {p:.2f}")
        sure = [bins.get(9, [0, 0])]
        figures[split] = {"photos": len(photos), "hit": hits, "hit_rate": round(hits / max(1, len(photos)), 3),
                          "sure_right": sum(r[0] for r in sure), "sure": sum(r[1] for r in sure),
                          "wrong_sure": wrong_sure,
                          "reliability": {f"{b / 10:.1f}": f"{r[0]}/{r[1]}" for b, r in sorted(bins.items())},
                          "ms_median": round(statistics.median(produced[it["id"]]["ms"] for it in chosen), 1)}
    return figures


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    lines = ["| split | figure | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for split in ("dev", "test"):
        rows = [("photos with a right tag", lambda r: f"{r['hit']}/{r['photos']} ({r['hit_rate']:.0%})"),
                (f"right at >= {SURE} (goal 95 %)", lambda r: f"{r['sure_right']}/{r['sure']}"),
                ("wrong at >= 0.9", lambda r: "; ".join(r["wrong_sure"]) or "-"),
                ("reliability (bin: right/scored)",
                 lambda r: " ".join(f"{k}:{v}" for k, v in r["reliability"].items())),
                ("tags analyser ms, median", lambda r: r["ms_median"])]
        for label, get in rows:
            lines.append(f"| {split} | {label} | " + " | ".join(str(get(results[n][split])) for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from benchmarks.photo_media import photos

    items = photos()
    if argv[:1] == ["--produce"]:  # the subprocess of run_in
        print(json.dumps(produce(items)))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with ('' for none)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    script = Path(__file__).resolve()
    results: dict[str, dict[str, Any]] = {}
    if args.baseline:
        with worktree(args.baseline) as tree:
            results[f"baseline {args.baseline}"] = score(items, run_in(tree, script, ["--produce"]))
    results["this tree"] = score(items, run_in(REPO, script, ["--produce"]))
    print(f"{len(items)} held-out files ({sum(it['kind'] == 'photo' for it in items)} photos)")
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(1, str(REPO))
    sys.exit(main())
