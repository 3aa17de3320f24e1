"""Which line recogniser reads which script: the measurement behind the analyser's choice.

On every item of the multilingual OCR benchmark (benchmarks/ocr_media.py: pages, title
frames, signs) the analyser's text detector finds the lines, and each line crop is read by

* `ppocr`: the PP-OCRv6 recogniser (analysis/text_recognise.py) alone;
* `tess-script`: Tesseract with the first pack of the item's own script (`rus` for a
  Russian page, `ell` for Greek): the best Tesseract can do when the script is known;
* `tess-lines`: Tesseract with the analyser's photo packs at once (eng + LINE_SCRIPTS),
  what it reads without being told the script;
* `analyser`: the analyser's own photo path (recogniser first, Tesseract where unsure).

Scores per script are word recall (characters for unspaced languages) over the item's
whole text, order-free, since line crops come in detector order. docs/ocr.md has the table.

    .venv/bin/python -m benchmarks.ocr_recognisers [--split dev|test|all]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks import ocr_media
from benchmarks.ocr_multilingual import word_recall

READERS = ("ppocr", "tess-script", "tess-lines", "analyser")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="dev")
    parser.add_argument("--media", type=Path, default=ocr_media.DEFAULT_OUT)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import numpy as np
    from PIL import Image

    from medialens.analysis import ocr
    from medialens.analysis.languages import scripts
    from medialens.analysis.text_detect import crop

    if not (args.media / "manifest.json").is_file():
        ocr_media.build(args.media)
    manifest = json.loads((args.media / "manifest.json").read_text())
    analyser = ocr.OcrAnalyser()
    rows: dict[tuple[str, str], list[float]] = defaultdict(list)
    ms: dict[str, list[float]] = defaultdict(list)
    for item in manifest["items"]:
        if args.split != "all" and item["split"] != args.split:
            continue
        rgb = np.asarray(Image.open(args.media / item["path"]).convert("RGB"))
        boxes = ocr.photo_lines(analyser._detector.detect(rgb))
        script = item["script"] if item["script"] != "CJK" else {"ja": "Japanese", "zh-Hant": "HanT"}.get(
            item["language"], "HanS")
        own = scripts()[script][0].pack
        crops = [ocr._crop_variants(rgb, b) for b in boxes]
        texts: dict[str, str] = {}
        started = time.perf_counter()
        texts["ppocr"] = "\n".join(t for t, _ in analyser._recogniser.read([crop(rgb, b) for b in boxes]))
        ms["ppocr"].append(1000 * (time.perf_counter() - started))
        for reader, packs in (("tess-script", (own,)), ("tess-lines", analyser._line_packs)):
            started = time.perf_counter()
            lines = analyser._read_lines(crops, packs) if crops else []
            ms[reader].append(1000 * (time.perf_counter() - started))
            texts[reader] = "\n".join(line.text for line in lines if line is not None)
        started = time.perf_counter()
        texts["analyser"] = "\n".join(b.text for b in analyser.read_photo(rgb, boxes)) if boxes else ""
        ms["analyser"].append(1000 * (time.perf_counter() - started))
        language = item["language"] if item["language"] else None
        for reader in READERS:
            rows[(script, reader)].append(word_recall(texts[reader], item["text"], language))
        print(f"{item['id']}: " + ", ".join(f"{r} {rows[(script, r)][-1]:.2f}" for r in READERS),
              file=sys.stderr, flush=True)
    order = list(dict.fromkeys(s for s, _ in rows))
    print(f"## Line recognisers per script, {args.split} split (word recall; characters for unspaced languages)\n")
    print("| script | items | " + " | ".join(READERS) + " | better |")
    print("|---|---|" + "---|" * len(READERS) + "---|")
    summary = {}
    for script in order:
        means = {r: statistics.mean(rows[(script, r)]) for r in READERS}
        better = "ppocr" if means["ppocr"] > means["tess-script"] else "tesseract"
        summary[script] = {**means, "items": len(rows[(script, "ppocr")]), "better": better}
        print(f"| {script} | {len(rows[(script, 'ppocr')])} | " + " | ".join(f"{100 * means[r]:.1f}%" for r in READERS)
              + f" | {better} |")
    print("\nms per item, median: " + ", ".join(f"{r} {statistics.median(ms[r]):.0f}" for r in READERS))
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
