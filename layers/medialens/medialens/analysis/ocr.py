"""OCR: text in documents and inside photos, with a language code per text block.

1. The PP-OCR DB text detector (analysis/text_detect.py) runs on every image, scaled to
   a long side of 640 px. No box → `[]` without any Tesseract call: the cheap path of
   photos without text.
2. ≥ 8 detected lines covering ≥ 10 % of the image is a *document* (page, screenshot,
   poster); anything else is a *photo*.
3. Documents: Tesseract OSD (`--psm 0`) gives the rotation (0/90/180/270) and the script;
   the page is turned upright and read with `--psm 3` in the script's languages.
4. Photos: each detector box is cut out along its minimum-area rectangle (deskewed) and
   read with `--psm 7` (one line), all crops in one Tesseract process, first with `eng`;
   confident text boxes that `eng` reads poorly are read again with the other scripts'
   packs and the surest reading wins. Lines close together form one text block.
5. Languages: py3langid restricted to the installed packs, per paragraph or line; CJK
   from the characters; text under 10 letters takes the image's language (or null).
   Text found to be in another language of its script than the pack used (German read
   with `eng`) is read again with that language's pack.

docs/ocr.md explains the rules, thresholds and what they cost.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytesseract
from PIL import Image

from . import register
from .decode import DecodedImage
from .modelfiles import model_spec, onnx_session
from .text_detect import TextBox, TextDetector, config_from_spec, crop

LOG = logging.getLogger(__name__)

MODEL = "ppocr_det"
DETECTOR_MAX_SIDE = 640

# ISO 639-1 → Tesseract pack; only the installed packs are used (tesseract --list-langs).
PACKS = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "cs": "ces", "sv": "swe", "da": "dan", "nb": "nor", "fi": "fin", "tr": "tur",
    "hu": "hun", "ro": "ron", "ru": "rus", "uk": "ukr", "bg": "bul", "sr": "srp", "el": "ell",
    "zh": "chi_sim", "ja": "jpn", "ko": "kor", "ar": "ara", "he": "heb", "hi": "hin", "th": "tha",
}
# Script (OSD's names) → its languages; the first installed one is the script's first-pass pack.
SCRIPTS = {
    "Latin": ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sv", "da", "nb", "fi", "tr", "hu", "ro"),
    "Cyrillic": ("ru", "uk", "bg", "sr"),
    "Japanese": ("ja",), "Han": ("zh",), "Hangul": ("ko",), "Greek": ("el",), "Arabic": ("ar",),
    "Hebrew": ("he",), "Devanagari": ("hi",), "Thai": ("th",),
}
SCRIPT_ALIASES = {"Katakana": "Japanese", "Hiragana": "Japanese"}

# Document or photo.
DOC_MIN_LINES = 8
DOC_MIN_COVERAGE = 0.10
# Document pages are scaled so that the detector's median line box is about this high
# (Tesseract's sweet spot; a 600 dpi scan is read ~4× faster), unless within 0.7–1.4× of it.
PAGE_LINE_HEIGHT = 40.0
PAGE_SCALE_LIMITS = (0.35, 2.0)
PAGE_SCALE_KEEP = (0.7, 1.4)
PAGE_MAX_SIDE = 4096
# Photo boxes worth reading.
MIN_BOX_SCORE = 0.6
MIN_BOX_ASPECT = 1.5  # long/short side: single blobs (a cup, a leaf) are not lines of text
MIN_TEXT_HEIGHT = 8  # px in the image; Tesseract cannot read smaller
MAX_PHOTO_LINES = 60
# Each box is read as these crops, the surest reading wins: (shrink of the box per side as a
# share of its height — the detector's margin catches sign borders —, crop height in px).
CROP_VARIANTS = ((0.1, 48), (0.1, 64))
# Other scripts are tried on boxes the detector is sure of and `eng` is not.
SCRIPT_TRY_MIN_SCORE = 0.75
SCRIPT_TRY_BELOW_CONFIDENCE = 85.0
SCRIPT_MARGIN = 10.0  # another script's reading must beat `eng`'s by this much
# What a line (photos) or paragraph (documents) needs to be kept.
MIN_LINE_CONFIDENCE = 60.0
MIN_PARAGRAPH_CONFIDENCE = 50.0
MIN_BLOCK_LETTERS = 3
MIN_LETTER_SHARE = 0.5  # letters + digits among the non-space characters
# Language.
MIN_LANGID_LETTERS = 10  # py3langid is junk below this
MIN_LANGID_PROBABILITY = 0.5
HOMOGENEOUS_PROBABILITY = 0.95  # a paragraph this sure is one language; otherwise line by line
RERUN_MIN_SHARE = 0.10  # share of a page's letters a language needs to take part in the second pass
MAX_PACKS = 4
RELOAD_MIN_CONFIDENCE_GAIN = -5.0  # a re-read with the language's own pack may cost this much confidence
TESSERACT_TIMEOUT_S = 120

_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class Line:
    text: str
    confidence: float  # mean word confidence weighted by length, 0..100
    pack: str = ""  # the Tesseract language(s) that read it
    language: str | None = None


@dataclass
class Block:
    lines: list[Line]
    language: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] == "L")


def letter_share(text: str) -> float:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    return sum(1 for ch in chars if unicodedata.category(ch)[0] in "LN") / len(chars)


def join_words(words: list[str]) -> str:
    """Words → a line: a space between words, none between two CJK characters."""
    out = ""
    for word in words:
        if out and not (_CJK_CHAR.match(out[-1]) and _CJK_CHAR.match(word[0])):
            out += " "
        out += word
    return out


@register("ocr")
class OcrAnalyser:
    def __init__(self) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP: one core per task
        self._detector = TextDetector(onnx_session(MODEL), config_from_spec(model_spec(MODEL), DETECTOR_MAX_SIDE))
        installed = set(pytesseract.get_languages(config=""))
        if not {"osd", "eng"} <= installed:
            raise RuntimeError(f"Tesseract needs the osd and eng packs (installed: {sorted(installed)})")
        self.languages = {code: pack for code, pack in PACKS.items() if pack in installed}
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid.set_languages(sorted(set(self.languages) & set(self._langid.labels)))

    # ---- entry point ------------------------------------------------------------------

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        try:
            blocks = self.read(image.rgb)
        except OcrEngineError as err:  # the other analysers' results are worth keeping
            LOG.warning("OCR skipped for this image: %s", err)
            blocks = []
        return {"ocr_results": [{"language_code": b.language, "full_text": b.text} for b in blocks]}

    def read(self, rgb: np.ndarray) -> list[Block]:
        boxes = self._detector.detect(rgb)
        if not boxes:
            return []
        if is_document(boxes, rgb.shape[0], rgb.shape[1]):
            return self.read_document(rgb, line_height=float(np.median([b.height for b in boxes])))
        return self.read_photo(rgb, boxes)

    # ---- documents --------------------------------------------------------------------

    def read_document(self, rgb: np.ndarray, line_height: float | None = None) -> list[Block]:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if line_height:  # Tesseract reads best (and a big scan fastest) with lines ~40 px high
            scale = float(np.clip(PAGE_LINE_HEIGHT / line_height, *PAGE_SCALE_LIMITS))
            scale = min(scale, PAGE_MAX_SIDE / max(gray.shape))
            if not PAGE_SCALE_KEEP[0] <= scale <= PAGE_SCALE_KEEP[1]:
                gray = cv2.resize(gray, None, fx=scale, fy=scale,
                                  interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        rotate, script = self.orientation_and_script(gray)
        if rotate:
            gray = np.ascontiguousarray(np.rot90(gray, k=-(rotate // 90)))  # OSD's "Rotate" is clockwise
        codes = self._script_codes(script)
        if not codes:
            LOG.info("no Tesseract pack for script %s: no text read", script)
            return []
        page = Image.fromarray(gray)
        packs = self._first_packs(codes)
        blocks = self._read_page(page, packs)
        better = self._second_packs(blocks, codes, packs)
        if better:
            blocks = self._read_page(page, better)
        return self._finish(blocks, merge=True)

    def orientation_and_script(self, gray: np.ndarray) -> tuple[int, str]:
        """(clockwise turn that makes the page upright, script); (0, "Latin") when OSD fails."""
        try:
            osd = _tesseract(pytesseract.image_to_osd, Image.fromarray(gray), config="--psm 0")
        except OcrEngineError as err:
            LOG.info("OSD failed (%s): assuming an upright Latin page", str(err).strip()[:120])
            return 0, "Latin"
        script = str(osd.get("script", "Latin"))
        return int(osd.get("rotate", 0)) % 360, SCRIPT_ALIASES.get(script, script)

    def _read_page(self, page: Image.Image, packs: tuple[str, ...]) -> list[Block]:
        lang = "+".join(packs)
        data = _tesseract(pytesseract.image_to_data, page, lang=lang, config="--psm 3")
        paragraphs: dict[tuple[int, int], dict[int, list[tuple[str, float]]]] = {}
        for i, word in enumerate(data["text"]):
            word, conf = word.strip(), float(data["conf"][i])
            if data["level"][i] == 5 and word and conf >= 0:
                key = (data["block_num"][i], data["par_num"][i])
                paragraphs.setdefault(key, {}).setdefault(data["line_num"][i], []).append((word, conf))
        blocks = []
        for lines in paragraphs.values():
            block = Block([_line(words, lang) for _, words in sorted(lines.items())])
            if _confidence(block.lines) >= MIN_PARAGRAPH_CONFIDENCE:
                blocks.append(block)
            else:
                LOG.debug("dropped a paragraph: %r", block.text[:80])
        return blocks

    # ---- photos -----------------------------------------------------------------------

    def read_photo(self, rgb: np.ndarray, boxes: list[TextBox]) -> list[Block]:
        boxes = [b for b in boxes if b.score >= MIN_BOX_SCORE and b.height >= MIN_TEXT_HEIGHT
                 and b.size[0] >= MIN_BOX_ASPECT * b.size[1]]
        if not boxes:
            return []
        boxes = sorted(boxes, key=lambda b: -b.score)[:MAX_PHOTO_LINES]
        crops = [_crop_variants(rgb, b) for b in boxes]
        readings = self._read_lines(crops, ("eng",))
        unsure = [i for i, (b, line) in enumerate(zip(boxes, readings, strict=True)) if b.score >= SCRIPT_TRY_MIN_SCORE
                  and (line is None or line.confidence < SCRIPT_TRY_BELOW_CONFIDENCE)]
        if unsure:
            for packs in self._other_scripts():
                for i, line in zip(unsure, self._read_lines([crops[i] for i in unsure], packs), strict=True):
                    current = readings[i]
                    if line is not None and (current is None or line.confidence >= current.confidence + SCRIPT_MARGIN):
                        readings[i] = line
        kept = [i for i, line in enumerate(readings) if line is not None and _line_ok(line)]
        layout = group_boxes([boxes[i] for i in kept])
        blocks = [[[kept[i] for i in row] for row in block] for block in layout]
        self._reread_in_own_language(blocks, crops, readings)
        return self._finish([_photo_block(block, readings) for block in blocks], merge=False)

    def _reread_in_own_language(self, blocks: list[list[list[int]]], crops: list[list[np.ndarray]],
                                readings: list[Line | None]) -> None:
        """Read a block again with its language's pack (German read with `eng`: ü → u); keep
        the new reading of a line unless it is much less sure."""
        todo: dict[str, list[int]] = {}
        for block in blocks:
            lines = [line for row in block for line in (readings[i] for i in row) if line is not None]
            found = self._identify("\n".join(line.text for line in lines))
            if found is None or found[0] not in self.languages:
                continue
            pack = self.languages[found[0]]
            used = {line.pack for line in lines}
            if used != {pack} and _same_script(found[0], used, self.languages):
                todo.setdefault(pack, []).extend(i for row in block for i in row)
        for pack, indices in todo.items():
            for i, line in zip(indices, self._read_lines([crops[i] for i in indices], (pack,)), strict=True):
                old = readings[i]
                if line is not None and old is not None and _line_ok(line) \
                        and line.confidence >= old.confidence + RELOAD_MIN_CONFIDENCE_GAIN:
                    readings[i] = line

    def _read_lines(self, crops: list[list[np.ndarray]], packs: tuple[str, ...]) -> list[Line | None]:
        """Each crop's surest reading over its variants with `--psm 7`: one Tesseract run for all."""
        lang = "+".join(packs)
        with tempfile.TemporaryDirectory(prefix="medialens_ocr_") as tmp:
            paths, owner = [], []
            for i, variants in enumerate(crops):
                for j, pixels in enumerate(variants):
                    path = Path(tmp) / f"{i:03d}_{j}.png"
                    cv2.imwrite(str(path), pixels)
                    paths.append(str(path))
                    owner.append(i)
            listing = Path(tmp) / "crops.txt"  # a text file listing images: Tesseract reads each as a page
            listing.write_text("\n".join(paths) + "\n")
            data = _tesseract(pytesseract.image_to_data, str(listing), lang=lang, config="--psm 7")
        words: dict[int, list[tuple[str, float]]] = {}
        for i, word in enumerate(data["text"]):
            word, conf = word.strip(), float(data["conf"][i])
            if data["level"][i] == 5 and word and conf >= 0:
                words.setdefault(int(data["page_num"][i]) - 1, []).append((word, conf))
        best: list[Line | None] = [None] * len(crops)
        for page, page_words in words.items():
            if page < len(owner):
                line, i = _line(page_words, lang), owner[page]
                current = best[i]
                if current is None or line.confidence > current.confidence:
                    best[i] = line
        return best

    # ---- languages --------------------------------------------------------------------

    def _script_codes(self, script: str) -> tuple[str, ...]:
        return tuple(code for code in SCRIPTS.get(script, ()) if code in self.languages)

    def _first_packs(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        """A page's first pass: the script's main pack, plus `eng` for other scripts than Latin
        (Cyrillic or Japanese documents quote Latin text, which rus and jpn read badly)."""
        first = self.languages[codes[0]]
        return (first,) if first == "eng" else (first, "eng")

    def _other_scripts(self) -> list[tuple[str, ...]]:
        """The main pack of every installed script but Latin, e.g. [("rus",), ("jpn",), ("chi_sim",)]."""
        out = []
        for script, codes in SCRIPTS.items():
            installed = [c for c in codes if c in self.languages]
            if script != "Latin" and installed:
                out.append((self.languages[installed[0]],))
        return out

    def _language_share(self, blocks: list[Block]) -> Counter[str]:
        """Label every line with its language; letters per language over all blocks."""
        self._label(blocks)
        share = Counter[str]()
        for block in blocks:
            for line in block.lines:
                if line.language:
                    share[line.language] += letters(line.text)
        return share

    def _second_packs(self, blocks: list[Block], codes: tuple[str, ...],
                      used: tuple[str, ...]) -> tuple[str, ...] | None:
        """Packs for a second pass over a page whose text is in languages the first did not use."""
        share = self._language_share(blocks)
        total = sum(share.values())
        wanted = [code for code, n in share.most_common() if n >= RERUN_MIN_SHARE * total
                  and (code in codes or code == "en") and code in self.languages][:MAX_PACKS]
        packs = tuple(self.languages[code] for code in wanted)
        if packs and "eng" not in packs and codes[0] != "en":  # as in the first pass: Latin quotes
            packs = (*packs[:MAX_PACKS - 1], "eng")
        return packs if packs and not set(packs) <= set(used) else None

    def _label(self, blocks: list[Block]) -> None:
        """A language per line: from the characters for CJK, from py3langid for the rest.
        A paragraph that py3langid is sure of is one language; otherwise each line gets its
        own, and short or unsure lines take their neighbour's."""
        for block in blocks:
            whole = self._identify(block.text)
            if whole is not None and whole[1] >= HOMOGENEOUS_PROBABILITY:
                for line in block.lines:
                    line.language = whole[0]
                continue
            for line in block.lines:
                found = self._identify(line.text)
                line.language = found[0] if found is not None else None
            previous = None
            for line in block.lines:
                previous = line.language = line.language or previous
            following = whole[0] if whole is not None else None
            for line in reversed(block.lines):
                following = line.language = line.language or following

    def _identify(self, text: str) -> tuple[str, float] | None:
        """(ISO 639-1 code, probability), or None for too little text or an unsure guess."""
        if _KANA.search(text):
            return "ja", 1.0
        han = len(_HAN.findall(text))
        if han and 2 * han >= letters(text):
            return ("zh" if "zh" in self.languages or "ja" not in self.languages else "ja"), 0.9
        if letters(text) < MIN_LANGID_LETTERS:
            return None
        code, probability = self._langid.classify(text)
        return (code, float(probability)) if probability >= MIN_LANGID_PROBABILITY else None

    def _finish(self, blocks: list[Block], merge: bool) -> list[Block]:
        """Label the lines; unlabelled ones take the image's main language; split blocks where
        the language changes (documents: join neighbours of one language); drop junk."""
        share = self._language_share(blocks)
        main = share.most_common(1)[0][0] if share else None
        if "ja" in share:  # Han-only lines on a page with kana are Japanese
            main = "ja" if main == "zh" else main
        runs: list[Block] = []
        for block in blocks:
            current: Block | None = None
            for line in block.lines:
                language = line.language or main
                if language == "zh" and "ja" in share:
                    language = "ja"
                if current is None or current.language != language:
                    current = Block([], language)
                    runs.append(current)
                current.lines.append(line)
        if merge:
            merged: list[Block] = []
            for run in runs:
                if merged and merged[-1].language == run.language:
                    merged[-1].lines.extend(run.lines)
                else:
                    merged.append(run)
            runs = merged
        return [run for run in runs if letters(run.text) >= MIN_BLOCK_LETTERS
                and letter_share(run.text) >= MIN_LETTER_SHARE]


# ---- pure helpers ----------------------------------------------------------------------


class OcrEngineError(RuntimeError):
    """Tesseract failed or timed out on one image."""


def _tesseract(function: Any, image: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return function(image, output_type=pytesseract.Output.DICT, timeout=TESSERACT_TIMEOUT_S, **kwargs)
    except (pytesseract.TesseractError, RuntimeError, OSError) as err:  # RuntimeError: pytesseract's timeout
        raise OcrEngineError(str(err).strip()[:300]) from err


def is_document(boxes: list[TextBox], height: int, width: int) -> bool:
    """Many lines of text over a good part of the image: a page, a screenshot, a poster."""
    coverage = sum(b.area for b in boxes) / float(height * width)
    return len(boxes) >= DOC_MIN_LINES and coverage >= DOC_MIN_COVERAGE


def _same_script(code: str, packs: set[str], languages: dict[str, str]) -> bool:
    """Is language `code` in the script of the packs a text was read with?"""
    pack_script = {languages[c]: s for s, codes in SCRIPTS.items() for c in codes if c in languages}
    target = pack_script.get(languages[code])
    return any(pack_script.get(p) == target for lang in packs for p in lang.split("+"))


def _line(words: list[tuple[str, float]], pack: str) -> Line:
    weight = sum(len(w) for w, _ in words)
    confidence = sum(len(w) * c for w, c in words) / weight if weight else 0.0
    return Line(join_words([w for w, _ in words]), confidence, pack)


def _confidence(lines: list[Line]) -> float:
    weight = sum(len(line.text) for line in lines)
    return sum(len(line.text) * line.confidence for line in lines) / weight if weight else 0.0


def _line_ok(line: Line) -> bool:
    return line.confidence >= MIN_LINE_CONFIDENCE and letter_share(line.text) >= MIN_LETTER_SHARE


def _photo_block(block: list[list[int]], readings: list[Line | None]) -> Block:
    lines = []
    for row in block:
        parts = [line for line in (readings[i] for i in row) if line is not None]
        lines.append(Line(" ".join(p.text for p in parts), _confidence(parts), parts[0].pack if parts else ""))
    return Block(lines)


def _crop_variants(rgb: np.ndarray, box: TextBox) -> list[np.ndarray]:
    """Grey, deskewed versions of one box for Tesseract, for each of CROP_VARIANTS (its
    confidence swings by tens of points with the margin and the scale). A steep box also
    gets the 180° turns: the detector cannot tell text turned by 90° from text turned by 270°."""
    variants = []
    for shrink, height in CROP_VARIANTS:
        gray = cv2.cvtColor(crop(rgb, box, pad=-shrink), cv2.COLOR_RGB2GRAY)
        h, w = gray.shape
        scale = height / max(1, h)
        variants.append(cv2.resize(gray, (max(1, int(round(w * scale))), height),
                                   interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA))
    if abs(box.angle) > 45:
        variants += [np.ascontiguousarray(v[::-1, ::-1]) for v in variants]
    return variants


def group_boxes(boxes: list[TextBox]) -> list[list[list[int]]]:
    """Text blocks as rows of box indices. Boxes of similar height and angle, at most 1.6
    line heights apart across the text and 1 line height apart along it, are one block;
    within a block, boxes whose centres are < half a line apart across the text are one row.
    Blocks are ordered top to bottom, then left to right."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes)):
        for j in range(i):
            if _near(boxes[i], boxes[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    blocks = []
    for members in groups.values():
        angle = np.deg2rad(float(np.median([boxes[i].angle for i in members])))
        along = np.array([np.cos(angle), np.sin(angle)])
        across = np.array([-np.sin(angle), np.cos(angle)])
        height = float(np.median([boxes[i].height for i in members]))
        members.sort(key=lambda i: float(np.dot(boxes[i].center, across)))
        rows: list[list[int]] = []
        for i in members:
            if rows and abs(float(np.dot(np.subtract(boxes[i].center, boxes[rows[-1][0]].center), across))) \
                    < 0.5 * height:
                rows[-1].append(i)
            else:
                rows.append([i])
        for row in rows:
            row.sort(key=lambda i: float(np.dot(boxes[i].center, along)))
        top = min(boxes[i].center[1] - boxes[i].height / 2 for i in members)
        left = min(boxes[i].center[0] - boxes[i].size[0] / 2 for i in members)
        blocks.append(((top, left), rows))
    blocks.sort(key=lambda b: b[0])
    return [rows for _, rows in blocks]


def _near(a: TextBox, b: TextBox) -> bool:
    if max(a.height, b.height) > 1.8 * min(a.height, b.height):
        return False
    diff = abs(a.angle - b.angle) % 180.0
    if min(diff, 180.0 - diff) > 15.0:
        return False
    angle = np.deg2rad(a.angle)
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-np.sin(angle), np.cos(angle)])
    d = np.subtract(a.center, b.center)
    h = (a.height + b.height) / 2
    gap_along = abs(float(np.dot(d, along))) - (a.size[0] + b.size[0]) / 2
    return abs(float(np.dot(d, across))) <= 1.6 * h and gap_along <= 1.0 * h
