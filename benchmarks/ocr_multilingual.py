"""Multilingual OCR: our analyser, plain Tesseract and RapidOCR side by side on the same files.

    .venv/bin/python -m benchmarks.ocr_multilingual [--split test|dev|all] [--json OUT]
        [--pages-per-language N] [--methods ours,tesseract,rapidocr] [--all-packs-sample N]

The media (benchmarks/ocr_media.py, built on first use into bench-results/ocr_media/) are pages,
title frames and signs in 31 languages and 13 scripts, made from real translated text; none of
them is in the dev corpus the analyser is tuned on. `--split test` is what to report; change
the analyser only while looking at `dev`. Methods, each on one core:

* **ours**: the OCR analyser as the service runs it: `medialens.analysis.analyser("ocr")` on
  `decode_image(bytes, max_pixels=settings.max_image_pixels)`, timed around `analyse()`
  (Tesseract OMP_THREAD_LIMIT=1, onnxruntime 1 thread, OpenCV 1 thread). The analyser uses every
  pack Tesseract lists, so it is given (TESSDATA_PREFIX) a tessdata directory with only the packs
  of apt-packages.txt, those the service and its image install, whatever else the machine has.
  `ours_installed` (not run by default; "ours+packs") is the same analyser with every installed pack.
* **tesseract-bench**: the `tesseract` CLI, default settings (`--psm 3`), one process per image,
  with `-l` = the packs of the benchmark's 31 languages joined by '+' (eng first, the order of
  ocr_media.LANGUAGES), timed around the process (loading the packs is part of a plain run).
  All installed packs (`tesseract --list-langs`, 160 with tesseract-ocr-all) would be the plain
  choice, but take 11-76 s and 2.4-3 GB per image here; `--all-packs-sample N` runs that on the
  first N items of the split and reports them apart.
* **rapidocr**: RapidOCR's default pipeline (rapidocr==3.10.0, the PP-OCRv6 models in its wheel)
  in .tools/ocr-peers through benchmarks/rapidocr_runner.py, one thread, timed inside the runner.

Text of a method: its blocks joined by '\\n' in the order it returns them (each engine's own
reading order; no re-sorting by boxes). Metrics per item, then per language and per kind
(page, title_frame, sign):

* **CER**: Levenshtein distance / ground-truth length after NFKC, whitespace runs as one space and
  no space next to a CJK character; for languages written without spaces (th, ja, zh-*) all
  whitespace is dropped. Medians over items (means in the JSON). No output = CER 1.
* **word recall**: share of the ground-truth words found in the output (multisets, casefolded;
  a word is a run of letters, marks and digits); for th, ja and zh-* characters instead of words.
* **lang ok** (ours only): the language code covering most output characters equals the item's
  language (`zh` accepted for zh-Hans and zh-Hant); items without a language (codes on signs)
  are left out.
* **mixed script**: share of items whose output has letters of two or more scripts (≥ 2 letters
  each; Han and kana count as one script) although the ground truth has one.
* **empty**: share of items with no output at all (issue 13: "4 of 6 frames returned no text").
* **ms**: median time per item.

Prints markdown tables and writes everything (per item outputs too) to bench-results/ocr_multilingual.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import ocr_media
from benchmarks.ocr_accuracy import levenshtein

REPO = Path(__file__).resolve().parents[1]
DEFAULT_JSON = REPO / "bench-results" / "ocr_multilingual.json"
PEERS_PYTHON = REPO / ".tools" / "ocr-peers" / "bin" / "python"
KINDS = ("page", "title_frame", "sign")
METHODS = ("ours", "tesseract", "rapidocr", "ours_installed")
DEFAULT_METHODS = ("ours", "tesseract", "rapidocr")
LABELS = {"ours": "ours", "tesseract": "tesseract-bench", "rapidocr": "rapidocr", "tesseract_all": "tesseract-all",
          "ours_installed": "ours+packs"}
UNSPACED = {lang.code for lang in ocr_media.LANGUAGES if not lang.spaced}
BENCH_PACKS = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "pt": "por", "it": "ita", "nl": "nld", "pl": "pol",
               "cs": "ces", "tr": "tur", "sv": "swe", "vi": "vie", "ru": "rus", "uk": "ukr", "bg": "bul", "sr": "srp",
               "el": "ell", "ar": "ara", "fa": "fas", "he": "heb", "hi": "hin", "mr": "mar", "bn": "ben", "ta": "tam",
               "th": "tha", "ka": "kat", "hy": "hye", "ko": "kor", "ja": "jpn", "zh-Hans": "chi_sim",
               "zh-Hant": "chi_tra"}
TESSERACT_TIMEOUT_S = 300

_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")


# ---- metrics ------------------------------------------------------------------------------------


def normalise(text: str, language: str | None) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")
    text = re.sub(r"\s+", " ", text).strip()
    if language in UNSPACED:
        return text.replace(" ", "")
    return _SPACE_NEAR_CJK.sub("", text)


def cer(produced: str, reference: str, language: str | None) -> float:
    hyp, ref = normalise(produced, language), normalise(reference, language)
    return levenshtein(hyp, ref) / max(1, len(ref))


def _wordish(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def tokens(text: str, language: str | None) -> Counter[str]:
    """Words (runs of letters, marks, digits), casefolded; single characters for unspaced languages."""
    text = normalise(text, None).casefold()
    if language in UNSPACED:
        return Counter(ch for ch in text if _wordish(ch))
    out: Counter[str] = Counter()
    word = ""
    for ch in text:
        if _wordish(ch):
            word += ch
        elif word:
            out[word] += 1
            word = ""
    if word:
        out[word] += 1
    return out


def word_recall(produced: str, reference: str, language: str | None) -> float:
    want = tokens(reference, language)
    return sum((want & tokens(produced, language)).values()) / max(1, sum(want.values()))


def script_groups(text: str) -> set[str]:
    """Scripts with at least 2 letters in the text."""
    return {group for group, n in ocr_media.scripts_of(text).items() if n >= 2}


def dominant_language(blocks: list[dict[str, Any]]) -> str | None:
    weight: Counter[str] = Counter()
    for block in blocks:
        if block.get("language_code"):
            weight[block["language_code"]] += len(normalise(block["full_text"], None))
    return weight.most_common(1)[0][0] if weight else None


def language_ok(found: str | None, truth: str) -> bool:
    return found == truth or (truth.startswith("zh-") and found == "zh")


# ---- methods ------------------------------------------------------------------------------------


def service_packs() -> list[str] | None:
    """The Tesseract packs the service installs: the tesseract-ocr-* lines of apt-packages.txt;
    None for tesseract-ocr-all (every pack Debian has)."""
    lines = [line.strip() for line in (REPO / "apt-packages.txt").read_text().splitlines()]
    if "tesseract-ocr-all" in lines:
        return None
    return sorted(line.removeprefix("tesseract-ocr-").replace("-", "_") for line in lines
                  if line.startswith("tesseract-ocr-"))


def tessdata_dir() -> Path:
    first = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=True).stdout
    match = re.search(r'"([^"]+)"', first.splitlines()[0])
    if not match:
        raise RuntimeError(f"cannot tell Tesseract's tessdata directory from {first.splitlines()[0]!r}")
    return Path(match.group(1))


def restricted_tessdata(packs: list[str]) -> Path:
    """A tessdata directory that holds only `packs` (symlinks to the installed ones) and Tesseract's
    configs: TESSDATA_PREFIX for our analyser, which uses every pack that Tesseract lists."""
    source = tessdata_dir()
    missing = [p for p in packs if not (source / f"{p}.traineddata").exists()]
    if missing:
        raise RuntimeError(f"packs of apt-packages.txt not installed: {' '.join(missing)} (make setup)")
    target = ocr_media.CACHE / "tessdata-service"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if not entry.name.endswith(".traineddata") or entry.name[:-len(".traineddata")] in packs:
            (target / entry.name).symlink_to(entry)
    return target


class Ours:
    label = "ours"

    def __init__(self, packs: str = "service") -> None:
        import cv2

        cv2.setNumThreads(1)
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._prefix = os.environ.get("TESSDATA_PREFIX")
        wanted = service_packs()
        if packs != "service":
            self.label = LABELS["ours_installed"]
        elif wanted is not None:  # as the service runs: only the packs it installs
            os.environ["TESSDATA_PREFIX"] = str(restricted_tessdata(wanted))
        from medialens.analysis import analyser
        from medialens.analysis.decode import decode_image
        from medialens.settings import get_settings

        started = time.perf_counter()
        self._analyser = analyser("ocr")
        self.load_ms = (time.perf_counter() - started) * 1000
        self._decode = decode_image
        self._max_pixels = get_settings().max_image_pixels
        self.info = {"packs_used": sorted(getattr(self._analyser, "languages", {}).values()), "packs": packs}

    def __call__(self, path: Path) -> dict[str, Any]:
        image = self._decode(path.read_bytes(), max_pixels=self._max_pixels)
        started = time.perf_counter()
        blocks = self._analyser.analyse(image)["ocr_results"]
        ms = (time.perf_counter() - started) * 1000
        return {"text": "\n".join(b["full_text"] for b in blocks), "ms": ms, "blocks": blocks}

    def close(self) -> None:
        from medialens.analysis import analyser

        analyser.cache_clear()  # the next Ours builds its own, with its own packs
        if self._prefix is None:
            os.environ.pop("TESSDATA_PREFIX", None)
        else:
            os.environ["TESSDATA_PREFIX"] = self._prefix


def installed_packs() -> list[str]:
    """Every installed pack but OSD (the service's own listing: script models included)."""
    from medialens.analysis import languages

    return sorted(languages.installed_packs() - {"osd"})


class Tesseract:
    def __init__(self, packs: list[str], label: str) -> None:
        if shutil.which("tesseract") is None:
            raise RuntimeError("tesseract missing (apt-packages.txt)")
        installed = set(installed_packs())
        missing = [p for p in packs if p not in installed]
        if missing:
            raise RuntimeError(f"Tesseract packs missing: {' '.join(missing)} (apt-get install tesseract-ocr-<pack>)")
        self.label, self.packs, self.load_ms = label, packs, 0.0
        version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        self.info = {"packs": packs, "version": version, "config": "tesseract IMAGE stdout -l PACKS (psm 3)"}

    def __call__(self, path: Path) -> dict[str, Any]:
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        started = time.perf_counter()
        done = subprocess.run(["tesseract", str(path), "stdout", "-l", "+".join(self.packs)], capture_output=True,
                              text=True, env=env, timeout=TESSERACT_TIMEOUT_S)
        ms = (time.perf_counter() - started) * 1000
        if done.returncode != 0:
            return {"text": "", "ms": ms, "error": done.stderr.strip()[-300:]}
        return {"text": done.stdout.replace("\f", "").strip(), "ms": ms}

    def close(self) -> None:
        pass


class RapidOcr:
    label = "rapidocr"

    def __init__(self, threads: int = 1) -> None:
        if not PEERS_PYTHON.exists():
            raise RuntimeError(f"{PEERS_PYTHON} missing: `make .tools/ocr-peers/.installed` makes it")
        runner = Path(__file__).with_name("rapidocr_runner.py")
        self._process = subprocess.Popen([str(PEERS_PYTHON), str(runner), "--threads", str(threads)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        hello = json.loads(self._process.stdout.readline() or '{"error": "the RapidOCR runner exited"}')
        if not hello.get("ready"):
            raise RuntimeError(hello.get("error", hello))
        self.load_ms = hello["load_ms"]
        self.info = {"version": hello["version"], "models": hello["models"], "threads": threads}

    def __call__(self, path: Path) -> dict[str, Any]:
        self._process.stdin.write(json.dumps({"path": str(path)}) + "\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline() or '{"error": "the RapidOCR runner exited"}')
        if "error" in answer:
            return {"text": "", "ms": 0.0, "error": answer["error"]}
        return {"text": "\n".join(answer["texts"]), "ms": answer["ms"], "boxes": answer["boxes"]}

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)


def make_method(name: str, rapidocr_threads: int) -> Any:
    if name == "ours":
        return Ours("service")
    if name == "ours_installed":
        return Ours("installed")
    if name == "tesseract":
        return Tesseract(list(BENCH_PACKS.values()), LABELS["tesseract"])
    if name == "tesseract_all":
        return Tesseract(installed_packs(), LABELS["tesseract_all"])
    if name == "rapidocr":
        return RapidOcr(rapidocr_threads)
    raise ValueError(name)


# ---- running ------------------------------------------------------------------------------------


def score(item: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    truth, language = item["text"], item["language"]
    text = out["text"]
    row = {"cer": round(cer(text, truth, language), 4), "recall": round(word_recall(text, truth, language), 4),
           "empty": not text.strip(), "ms": round(out["ms"], 1), "text": text}
    truth_scripts = script_groups(truth)
    if len(truth_scripts) == 1:
        row["mixed_script"] = len(script_groups(text)) >= 2
    if "blocks" in out:
        found = dominant_language(out["blocks"])
        row["language_found"] = found
        row["blocks"] = [[b["language_code"], b["full_text"]] for b in out["blocks"]]
        if language:
            row["language_ok"] = language_ok(found, language)
    if "error" in out:
        row["error"] = out["error"]
    return row


def run_method(method: Any, items: list[dict[str, Any]], media: Path,
               progress: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    rows = {}
    for i, item in enumerate(items, 1):
        try:
            out = method(media / item["path"])
        except Exception as err:  # a crash or a time-out of one image is that image's result
            out = {"text": "", "ms": float("nan"), "error": f"{type(err).__name__}: {err}"}
        rows[item["id"]] = score(item, out)
        if i % 10 == 0 or i == len(items):
            progress(f"{method.label}: {i}/{len(items)}")
    return rows


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v == v]  # no NaN
    return round(statistics.median(values), 4) if values else None


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v == v]
    return round(statistics.fmean(values), 4) if values else None


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    out: dict[str, Any] = {"n": len(rows), "cer_median": _median([r["cer"] for r in rows]),
                           "cer_mean": _mean([r["cer"] for r in rows]),
                           "recall_median": _median([r["recall"] for r in rows]),
                           "recall_mean": _mean([r["recall"] for r in rows]),
                           "empty": sum(r["empty"] for r in rows), "ms_median": _median([r["ms"] for r in rows])}
    mixed = [r["mixed_script"] for r in rows if "mixed_script" in r]
    out["mixed_script"] = [sum(mixed), len(mixed)]
    judged = [r["language_ok"] for r in rows if "language_ok" in r]
    if judged:
        out["language_ok"] = [sum(judged), len(judged)]
    return out


def summarise(items: list[dict[str, Any]], results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per kind: overall and per language, for every method."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        chosen = [it for it in items if it["kind"] == kind]
        if not chosen:
            continue
        languages = sorted({str(it["language"]) for it in chosen},
                           key=lambda code: [lang.code for lang in ocr_media.LANGUAGES].index(code)
                           if code in ocr_media.BY_CODE else 999)
        entry: dict[str, Any] = {"overall": {}, "languages": {}}
        for method, rows in results.items():
            entry["overall"][method] = aggregate([rows[it["id"]] for it in chosen])
        for code in languages:
            group = [it for it in chosen if str(it["language"]) == code]
            entry["languages"][code] = {"script": group[0]["script"], "n": len(group), **{
                method: aggregate([rows[it["id"]] for it in group]) for method, rows in results.items()}}
        out[kind] = entry
    return out


# ---- printing -----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def tables(summary: dict[str, Any], methods: list[str]) -> str:
    analysers = [m for m in ("ours", "ours_installed") if m in methods]  # they also give a language
    peers = [m for m in ("tesseract", "rapidocr") if m in methods]
    lines: list[str] = []
    for kind, entry in summary.items():
        head = ["language", "script", "n"]
        for m in analysers:
            head += [f"{LABELS[m]} CER", f"{LABELS[m]} recall", f"{LABELS[m]} lang ok"]
        for m in peers:
            head += [f"{LABELS[m]} CER", f"{LABELS[m]} recall"]
        head.append("ms " + " / ".join(LABELS[m] for m in methods))
        lines += [f"### {kind} ({entry['overall'][methods[0]]['n']} items)", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

        def row(label: str, script: str, n: int, figures: dict[str, Any]) -> str:
            cells = [label, script, str(n)]
            for m in analysers:
                ok = figures[m].get("language_ok")
                cells += [_pct(figures[m]["cer_median"]), _pct(figures[m]["recall_median"]),
                          f"{ok[0]}/{ok[1]}" if ok else "-"]
            for m in peers:
                cells += [_pct(figures[m]["cer_median"]), _pct(figures[m]["recall_median"])]
            cells.append(" / ".join(_ms(figures[m]["ms_median"]) for m in methods))
            return "| " + " | ".join(cells) + " |"

        for code, figures in entry["languages"].items():
            lines.append(row(code if code != "None" else "(code)", figures["script"], figures["n"], figures))
        overall = entry["overall"]
        lines.append(row("**all (median)**", "", overall[methods[0]]["n"], overall))
        lines += ["", "| method | CER median | CER mean | recall median | recall mean | empty | mixed script | "
                  "lang ok | ms median |", "|---|---|---|---|---|---|---|---|---|"]
        for m in methods:
            o = overall[m]
            ok = o.get("language_ok")
            lines.append(f"| {LABELS[m]} | {_pct(o['cer_median'])} | {_pct(o['cer_mean'])} | "
                         f"{_pct(o['recall_median'])} | {_pct(o['recall_mean'])} | {o['empty']}/{o['n']} | "
                         f"{o['mixed_script'][0]}/{o['mixed_script'][1]} | {f'{ok[0]}/{ok[1]}' if ok else '-'} | "
                         f"{_ms(o['ms_median'])} |")
        lines.append("")
    return "\n".join(lines)


# ---- main ---------------------------------------------------------------------------------------


def select(manifest: dict[str, Any], split: str, pages_per_language: int | None,
           kinds: set[str] | None = None) -> list[dict[str, Any]]:
    items = [it for it in manifest["items"] if (split == "all" or it["split"] == split)
             and (not kinds or it["kind"] in kinds)]
    if pages_per_language is not None:
        kept, seen = [], Counter[str]()
        for it in items:
            if it["kind"] == "page":
                seen[it["language"]] += 1
                if seen[it["language"]] > pages_per_language:
                    continue
            kept.append(it)
        items = kept
    return items


def provenance() -> dict[str, Any]:
    """What was measured: the commit, whether the analyser's file differs from it, its sha256."""
    ocr_py = REPO / "layers" / "medialens" / "medialens" / "analysis" / "ocr.py"

    def git(*args: str) -> str:
        found = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return found.stdout.strip() if found.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD"), "ocr_py_modified": bool(git("status", "--porcelain", str(ocr_py))),
            "ocr_py_sha256": hashlib.sha256(ocr_py.read_bytes()).hexdigest(), "cores": os.cpu_count()}


def report(document: dict[str, Any], items: list[dict[str, Any]]) -> str:
    methods = [m for m in METHODS if m in document["methods"]]
    lines = [f"## OCR, {document['split']} split: {len(items)} items, "
             f"{len({it['language'] for it in items if it['language']})} languages, "
             f"{len({it['script'] for it in items})} scripts\n", tables(document["summary"], methods)]
    for name, reason in document["skipped"].items():
        lines.append(f"{LABELS[name]} left out: {reason}")
    sample = document["tesseract_all_sample"]
    if sample:
        lines += [f"Tesseract with all {sample['packs']} installed packs on {len(sample['items'])} items:\n",
                  "| item | tesseract-all CER / ms | " + " | ".join(f"{LABELS[m]} CER / ms" for m in methods) + " |",
                  "|---|---|" + "---|" * len(methods)]
        for item_id, by in sample["items"].items():
            cells = [f"{_pct(by[m]['cer'])} / {_ms(by[m]['ms'])}" for m in ("tesseract_all", *methods)]
            lines.append(f"| {item_id} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(f"run time {document['run_seconds'] / 60:.1f} min; methods loaded in "
                 + ", ".join(f"{LABELS[m]} {document['methods'][m]['load_ms']:.0f} ms" for m in methods))
    return "\n".join(lines)


def rescore(document: dict[str, Any], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Scores a stored run's outputs again (after a change of the metrics), in place."""
    by_id = {it["id"]: it for it in manifest["items"]}

    def again(item: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
        out = {"text": row["text"], "ms": row["ms"], **({"error": row["error"]} if "error" in row else {})}
        if "blocks" in row:
            out["blocks"] = [{"language_code": code, "full_text": text} for code, text in row["blocks"]]
        return score(item, out)

    items = [by_id[item_id] for item_id in document["per_item"]]
    for item in items:
        entry = document["per_item"][item["id"]]
        for m in document["methods"]:
            entry[m] = again(item, entry[m])
    for item_id, by in (document["tesseract_all_sample"] or {}).get("items", {}).items():
        for m in by:
            by[m] = again(by_id[item_id], by[m])
    results = {m: {it["id"]: document["per_item"][it["id"]][m] for it in items} for m in document["methods"]}
    document["summary"] = summarise(items, results)
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--media", type=Path, default=ocr_media.DEFAULT_OUT)
    parser.add_argument("--pages-per-language", type=int, default=None,
                        help="at most this many pages per language (of those in the split)")
    parser.add_argument("--kinds", default="", help="comma-separated, of page,title_frame,sign (default: all)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS), help="comma-separated, of " + ",".join(METHODS))
    parser.add_argument("--all-packs-sample", type=int, default=0,
                        help="also run Tesseract with every installed pack on the first N items (slow)")
    parser.add_argument("--rapidocr-threads", type=int, default=1)
    parser.add_argument("--rescore", action="store_true",
                        help="run nothing: score the outputs stored in --json again and rewrite it")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        parser.error(f"unknown methods {sorted(unknown)}")

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    manifest = ocr_media.build(args.media)
    if args.rescore:
        document = json.loads(args.json.read_text(encoding="utf-8"))
        items = rescore(document, manifest)
        print(report(document, items))
        args.json.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"JSON: {args.json} (scored again)")
        return 0
    started = time.perf_counter()
    measured = provenance()  # before the run: what the analyser's code was when it started
    items = select(manifest, args.split, args.pages_per_language, {k for k in args.kinds.split(",") if k})
    progress(f"{len(items)} items ({args.split} split) from {args.media}")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    info: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in methods:
        try:
            method = make_method(name, args.rapidocr_threads)
        except Exception as err:
            skipped[name] = f"{type(err).__name__}: {err}"
            progress(f"{LABELS[name]} left out: {skipped[name]}")
            continue
        try:
            results[name] = run_method(method, items, args.media, progress)
        finally:
            method.close()
        info[name] = {"load_ms": round(method.load_ms, 1), **method.info}
    methods = [m for m in methods if m in results]
    if not methods:
        print("no method ran: " + "; ".join(f"{LABELS[m]}: {r}" for m, r in skipped.items()), file=sys.stderr)
        return 1
    sample: dict[str, Any] = {}
    if args.all_packs_sample:
        chosen = items[:args.all_packs_sample]
        method = make_method("tesseract_all", args.rapidocr_threads)
        rows = run_method(method, chosen, args.media, progress)
        sample = {"packs": len(method.packs), "items": {it["id"]: {
            "tesseract_all": rows[it["id"]], **{m: results[m][it["id"]] for m in methods}} for it in chosen}}
    document = {
        "split": args.split, "items": len(items), "run_seconds": round(time.perf_counter() - started, 1),
        "provenance": measured, "media": {"recipe": manifest["recipe"], "sources": manifest["sources"]},
        "methods": info, "skipped": skipped, "summary": summarise(items, results), "tesseract_all_sample": sample,
        "per_item": {it["id"]: {"kind": it["kind"], "language": it["language"], "script": it["script"],
                                "truth": it["text"], **{m: results[m][it["id"]] for m in methods}} for it in items},
    }
    print(report(document, items))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
