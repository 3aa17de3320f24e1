"""OCR: text in documents and inside photos, with a language code per text block.

1. The PP-OCR DB text detector (analysis/text_detect.py) runs on every image, scaled to
   a long side of 640 px. No box → `[]` without any Tesseract call: the cheap path of
   photos without text.
2. ≥ 8 detected lines covering ≥ 10 % of the image is a *document* (page, screenshot,
   poster); anything else is a *photo*.
3. Documents: Tesseract OSD (`--psm 0`) gives the rotation (0/90/180/270) and the script;
   the page is turned upright and read with `--psm 3` in the script's languages.
4. Photos (and video frames): each detector box is cut out along its minimum-area
   rectangle (deskewed) and read by the PP-OCRv6 recogniser; a reading in Latin, Han or
   kana it is sure of stands; the other lines are read by Tesseract (`--psm 7`, all crops
   in one process) with `eng` and the main packs of LINE_SCRIPTS at once, whose letters
   name the script. Lines close together form one text block, read again with its
   script's and language's pack where Tesseract read it.
5. Languages (analysis/languages.py): py3langid among the installed languages of the
   text's script, per paragraph or line; CJK from the characters; text too short to tell
   takes its script's language where two at most write it, else the image's (or null).

docs/ocr.md explains the rules, thresholds and what they cost.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytesseract
from PIL import Image

from . import register
from .decode import DecodedImage
from .languages import BY_PACK, LANGUAGES, Language, char_script, installed_packs, script_of, scripts, text_script
from .modelfiles import model_spec, onnx_session
from .text_detect import TextBox, TextDetector, config_from_spec, crop
from .text_recognise import TextRecogniser, ctc_labels

LOG = logging.getLogger(__name__)

MODEL = "ppocr_det"
DETECTOR_MAX_SIDE = 640
# A coarse detector pass at this long side (~20 ms instead of ~75) comes first; only an image
# in which it sees a pixel above the detector's own text threshold gets the full pass. On the
# dev images (corpus, benchmark dev titles and signs, dev photos) all 41 with text passed
# (their lowest coarse maximum 0.79, threshold 0.3) and 23 of 40 without text stopped there.
COARSE_SIDE = 320

# Languages, packs and scripts: analysis/languages.py (only the installed packs are used).

# Document or photo.
DOC_MIN_LINES = 8
DOC_MIN_COVERAGE = 0.05  # sparse pages (short paragraphs on A4) cover 7-10 %; no photo has ≥ 8 lines
# Document pages are scaled so that the detector's median line box is about this high
# (Tesseract's sweet spot; a 600 dpi scan is read ~4× faster), unless within 0.7–1.4× of it.
PAGE_LINE_HEIGHT = 40.0
PAGE_SCALE_LIMITS = (0.35, 2.0)
PAGE_SCALE_KEEP = (0.9, 1.1)  # 0.7-1.4 kept 56 px Korean lines, which psm 3 then half lost
PAGE_MAX_SIDE = 4096
# Photo boxes worth reading.
MIN_BOX_SCORE = 0.6
MIN_BOX_ASPECT = 1.5  # long/short side: single blobs (a cup, a leaf) are not lines of text
MIN_TEXT_HEIGHT = 8  # px in the image; Tesseract cannot read smaller
MAX_PHOTO_LINES = 60
# Photo lines are read by the PP-OCRv6 recogniser first (analysis/text_recognise.py). Its
# reading stands alone when it is in a script it was measured to read (Latin, Han, kana) at
# ≥ RECOGNISER_SURE confidence and holds no Greek letter (it reads Greek as Latin lookalikes
# at up to 0.98): on the dev crops no reading of another script passed that gate
# (docs/ocr.md). Every other line is read by Tesseract with LINE_SCRIPTS' packs at once
# (each word takes the surest pack), and the surer reading of the two is kept.
RECOGNISER = "ppocr_rec"
RECOGNISER_SCRIPTS = frozenset({"Latin", "HanS", "HanT", "Japanese"})
RECOGNISER_SURE = 0.95
RECOGNISER_MIN_CONFIDENCE = 0.80  # below, a recogniser line is dropped (0..1)
# Scripts Tesseract reads in photos, beside eng: the world's most written ones that the
# recogniser lacks, each with its first installed pack; Greek with its script model, which
# (unlike `ell` beside `rus`) tells Greek capitals from Cyrillic ones. Scripts not listed are
# read on documents only, where OSD names them.
LINE_SCRIPTS = ("Cyrillic", "Greek", "Arabic", "Devanagari", "Bengali", "Hangul", "Thai", "Hebrew",
                "Tamil", "Georgian", "Armenian")
LINE_SCRIPT_MODELS = frozenset({"Greek"})
# A recogniser line of this many Latin letters without a space gets `eng`'s word spaces if
# `eng` reads the same letters (English words of 8+ letters are rare; two run together are not).
RESPACE_MIN_LETTERS = 8
# Tesseract reads each box as these crops, the surest reading wins: (shrink of the box per
# side as a share of its height — the detector's margin catches sign borders —, height in px).
CROP_VARIANTS = ((0.1, 48), (0.1, 64))
# What a line (photos) or paragraph (documents) needs to be kept.
MIN_LINE_CONFIDENCE = 60.0
MIN_PARAGRAPH_CONFIDENCE = 50.0
MIN_BLOCK_CHARACTERS = 3  # letters and digits ("GM 125"); a Han character counts 2 ("日语")
MIN_LETTER_SHARE = 0.5  # letters + digits among the non-space characters
# Language.
MIN_LANGID_LETTERS = 10  # py3langid is junk below this
MIN_SCRIPT_LETTERS = 3  # a script with one identifiable language names it from this many letters
MIN_LANGID_PROBABILITY = 0.5
HOMOGENEOUS_PROBABILITY = 0.95  # a paragraph this sure is one language; otherwise line by line
RERUN_MIN_SHARE = 0.10  # share of a page's letters a language needs to take part in the second pass
MAX_PACKS = 4
RELOAD_MIN_CONFIDENCE_GAIN = -5.0  # a re-read with the language's own pack may cost this much confidence
TESSERACT_TIMEOUT_S = 120
# Documents: OSD's turn counts from Tesseract's own min_orientation_margin on (below it,
# Tesseract ignores it too: an upright Armenian page came out "Rotate: 180" at 6.5).
MIN_ORIENTATION_CONFIDENCE = 7.0
# OSD's model knows 16 scripts (no Georgian, Armenian, Ethiopic, ...) and names a script
# it cannot read as one it can (Georgian → Arabic, Armenian/Serbian → Latin, Hebrew → Thai).
# A first pass less sure than this has its script checked: the main pack of every installed
# script reads the page's largest detector lines (their first SCRIPT_CHECK_WIDTH line
# heights) and one that beats OSD's script by SCRIPT_CHECK_MARGIN takes its place. Clean
# pages read at 81-96 on the benchmark's dev pages, pages in the wrong script at 6-42 (tha:
# 75, it reads every script at 60-80); the check costs ~2.5 s.
SCRIPT_CHECK_BELOW_CONFIDENCE = 70.0
SCRIPT_CHECK_LINES = 2
SCRIPT_CHECK_WIDTH = 8
SCRIPT_CHECK_MARGIN = 10.0
# OSD's "Han" is Simplified or Traditional: chi_tra must read the largest lines this much
# surer than chi_sim (Traditional page 93 vs 84, Simplified 72 vs 73).
HAN_CHECK_LINES = 3
HANT_MARGIN = 5.0
# A detector line of a document that the page reading covers less than this much of
# (psm 3's layout analysis loses short lines, Korean ones most) is read as a line.
RECOVER_BELOW_COVERAGE = 0.5
# A Latin word inside a line of another script that its script's pack does not read better
# is read again alone with `eng`; it is kept where both readings have its letters, one at
# least MIN_QUOTED_LATIN_CONFIDENCE sure and the other MIN_LATIN_REREAD_CONFIDENCE. On the
# dev pages `+eng` junk ("Bio", "CH.", "an") read at 0-70 and quoted words ("Debian",
# "SPI", "Linux") at 74-96; `eng` alone read the 54 quoted words at 54-96 (all but one
# ≥ 85) and the junk at 0-31 or as other letters.
MIN_QUOTED_LATIN_CONFIDENCE = 72.0
MIN_LATIN_REREAD_CONFIDENCE = 50.0
# Tesseract's kor model returns many Hangul syllables as words of their own: on the dev
# Korean lines a true word space was ≥ 0.40 line heights wide, a split inside a word ≤ 0.34.
HANGUL_WORD_GAP = 0.38

_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


Word = tuple[str, float, tuple[int, int, int, int]]  # text, confidence, (left, top, right, bottom) in px


@dataclass
class Line:
    text: str
    confidence: float  # mean word confidence weighted by length, 0..100
    pack: str = ""  # the Tesseract language(s) that read it
    language: str | None = None
    words: list[Word] = field(default_factory=list)  # Tesseract's words, where it read the line
    pixels: np.ndarray | None = None  # the crop the word boxes are in (None: the page)


@dataclass
class Block:
    lines: list[Line]
    language: str | None = None
    top: float = 0.0  # documents: where it starts on the page (px), to put recovered lines in order

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] == "L")


def characters(text: str) -> int:
    """Letters and digits, a Han character counting 2 (it carries what a Latin word does)."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN") + len(_HAN.findall(text))


def letter_share(text: str) -> float:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    return sum(1 for ch in chars if unicodedata.category(ch)[0] in "LN") / len(chars)


def join_words(words: list[str], gaps: list[float | None] | None = None) -> str:
    """Words → a line: a space between words, none between two CJK characters, and none
    between two Hangul words closer than HANGUL_WORD_GAP line heights (`gaps`: each word's
    distance from the previous one over its height; Tesseract's kor splits syllables)."""
    out = ""
    for n, word in enumerate(words):
        gap = gaps[n] if gaps else None
        cjk = _CJK_CHAR.match(out[-1:]) and _CJK_CHAR.match(word[0])
        syllable = gap is not None and gap < HANGUL_WORD_GAP and _HANGUL.match(out[-1:]) and _HANGUL.match(word[0])
        if out and not (cjk or syllable):
            out += " "
        out += word
    return out


@register("ocr")
class OcrAnalyser:
    def __init__(self) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP: one core per task
        self._detector = TextDetector(onnx_session(MODEL), config_from_spec(model_spec(MODEL), DETECTOR_MAX_SIDE))
        installed = installed_packs()
        self._installed = installed
        if not {"osd", "eng"} <= installed:
            raise RuntimeError(f"Tesseract needs the osd and eng packs (installed: {sorted(installed)})")
        # Script → its installed languages, most written first; language code → its first pack.
        self.scripts = {script: mine for script, rows in scripts().items()
                        if (mine := tuple(x for x in rows if x.pack in installed))}
        self.languages: dict[str, str] = {}
        for language in LANGUAGES:
            if language.pack in installed:
                self.languages.setdefault(language.base, language.pack)
        session = onnx_session(RECOGNISER)
        self._recogniser = TextRecogniser(session, ctc_labels(model_spec(RECOGNISER), session))
        self._line_packs = ("eng", *(script if script in LINE_SCRIPT_MODELS and script in installed
                                     else self.scripts[script][0].pack
                                     for script in LINE_SCRIPTS if script in self.scripts))
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid.set_languages(sorted(set(self.languages) & set(self._langid.labels)))
        # Script -> the installed languages in it that py3langid can name (not grc, yi, ...).
        self._identifiable = {script: ({x.base for x in rows} & set(self._langid.labels)) or {x.base for x in rows}
                              for script, rows in self.scripts.items()}
        # A prior over each script's languages, Zipf over the table's order (most written
        # first): with 40 Latin languages competing, a short English line is otherwise
        # spread over Latin, Frisian and Afrikaans; long text outweighs it.
        self._prior = {script: {code: 1.0 / (1 + n) for n, code in enumerate(dict.fromkeys(x.base for x in rows))}
                       for script, rows in self.scripts.items()}

    # ---- entry point ------------------------------------------------------------------

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        try:
            blocks = self.read(image)
        except OcrEngineError as err:  # the other analysers' results are worth keeping
            LOG.warning("OCR skipped for this image: %s", err)
            blocks = []
        return {"ocr_results": [{"language_code": b.language, "language_tag": self._tag(b), "full_text": b.text}
                                for b in blocks]}

    def read(self, image: DecodedImage) -> list[Block]:
        if not self._detector.any_text(image.preview, COARSE_SIDE):
            return []
        boxes = self._detector.detect(image.rgb, image.preview)
        if not boxes:
            return []
        if is_document(boxes, image.height, image.width):  # a page is read at the file's full resolution
            sharp = image.sharper()
            boxes = [box.scaled(sharp.width / image.width) for box in boxes] if sharp is not image else boxes
            return self.read_document(sharp.rgb, line_height=float(np.median([b.height for b in boxes])), boxes=boxes)
        return self.read_photo(image.rgb, boxes)

    # ---- documents --------------------------------------------------------------------

    def read_document(self, rgb: np.ndarray, line_height: float | None = None,
                      boxes: list[TextBox] | None = None) -> list[Block]:
        """`boxes`: the detector's lines (image px), for the script checks and lost lines."""
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
        if script == "HanS" and boxes and "HanS" in self.scripts and "HanT" in self.scripts:
            script = self._han_script(rgb, boxes)
        page = Image.fromarray(gray)
        rows = self.scripts.get(script, ())
        packs = self._first_packs(rows) if rows else ()
        reading = self._read_page(page, packs) if packs else PageReading([], 0.0, [])
        if boxes and reading.confidence < SCRIPT_CHECK_BELOW_CONFIDENCE:
            found = self._check_script(rgb, boxes, script)
            if found != script:
                LOG.info("OSD's script %s read at %.0f: reading the page as %s", script, reading.confidence, found)
                script, rows = found, self.scripts[found]
                packs = self._first_packs(rows)
                reading = self._read_page(page, packs)
        if not rows:
            LOG.info("no Tesseract pack for script %s: no text read", script)
            return []
        better = self._second_packs(reading.blocks, rows, packs)
        if better:
            reading = self._read_page(page, better)
        blocks = reading.blocks
        if boxes and not rotate:
            blocks = self._recover_lines(rgb, boxes, gray.shape[1] / rgb.shape[1], reading, better or packs)
        if script != "Latin":
            self._check_latin_words(gray, blocks, rows[0].pack)
        return self._finish(blocks, merge=True)

    def _check_latin_words(self, gray: np.ndarray, blocks: list[Block], own: str) -> None:
        """Latin words inside lines of the page's other script are read again alone, with the
        script's pack and with `eng`. The script's reading replaces the word where it is about
        as sure (`+eng` reads Greek Ένα as `Eva` at 92); else the word stays only if `eng`
        alone reads the same letters surely, as it does a quoted `Linux`, and not the glyphs
        of another script that `+eng` took for Latin (Hangul as `AAS` at 74)."""
        suspects: list[tuple[Line, Word]] = []
        for block in blocks:
            for line in block.lines:  # a Latin line too short for a quote ("an") is suspect too
                if text_script(line.text) not in (None, "Latin") or letters(line.text) < MIN_LANGID_LETTERS:
                    suspects += [(line, w) for w in line.words if text_script(w[0]) == "Latin"]
        if not suspects:
            return
        crops = []
        for line, (_, _, (left, top, right, bottom)) in suspects:
            pixels = gray if line.pixels is None else line.pixels
            pad = max(2, (bottom - top) // 4)
            crops.append([np.ascontiguousarray(pixels[max(0, top - pad):bottom + pad,
                                                      max(0, left - pad):right + pad])])
        in_script = self._read_lines(crops, (own,), psm=8)
        in_latin = self._read_lines(crops, ("eng",), psm=8)
        for (line, suspect), new, latin in zip(suspects, in_script, in_latin, strict=True):
            word, confidence, _ = suspect
            if new is not None and text_script(new.text) not in (None, "Latin") \
                    and new.confidence >= confidence + RELOAD_MIN_CONFIDENCE_GAIN:
                line.text = _replace_word(line.text, word, new.text)
            elif not _same_latin_word(suspect, latin):  # its Latin letters go, its other characters stay
                rest = "".join(ch for ch in word if not (ch.isalpha() and char_script(ch) == "Latin"))
                line.text = " ".join(_replace_word(line.text, word, rest).split())
        for block in blocks:
            block.lines = [line for line in block.lines if line.text]
        blocks[:] = [block for block in blocks if block.lines]

    def _sureness(self, crops: list[list[np.ndarray]], candidates: list[str]) -> dict[str, float]:
        """Script → confidence of its main pack on the crops (`--psm 7`, one run per script)."""
        out = {}
        for script in candidates:
            lines = [line for line in self._read_lines(crops, (self.scripts[script][0].pack,)) if line is not None]
            out[script] = _confidence(lines) if lines else 0.0
        return out

    def _check_script(self, rgb: np.ndarray, boxes: list[TextBox], script: str) -> str:
        """The script whose main pack reads the page's largest lines surest, if it beats
        `script` by SCRIPT_CHECK_MARGIN; else `script`."""
        crops = []
        for box in sorted(boxes, key=lambda b: -b.area)[:SCRIPT_CHECK_LINES]:
            pixels = _crop_variants(rgb, box)[0]
            crops.append([np.ascontiguousarray(pixels[:, :SCRIPT_CHECK_WIDTH * pixels.shape[0]])])
        sure = self._sureness(crops, list(self.scripts))
        best = max(sure, key=lambda s: sure[s])
        return best if sure[best] >= sure.get(script, 0.0) + SCRIPT_CHECK_MARGIN else script

    def _han_script(self, rgb: np.ndarray, boxes: list[TextBox]) -> str:
        """HanT when chi_tra reads the largest lines HANT_MARGIN surer than chi_sim, else HanS."""
        crops = [[_crop_variants(rgb, box)[0]] for box in sorted(boxes, key=lambda b: -b.area)[:HAN_CHECK_LINES]]
        sure = self._sureness(crops, ["HanS", "HanT"])
        return "HanT" if sure["HanT"] >= sure["HanS"] + HANT_MARGIN else "HanS"

    def _recover_lines(self, rgb: np.ndarray, boxes: list[TextBox], scale: float, reading: PageReading,
                       packs: tuple[str, ...]) -> list[Block]:
        """Detector lines the page reading has (almost) no words on are read as lines (`--psm 7`,
        the page's packs) and put in before the first paragraph that starts below them."""
        missed = []
        for box in boxes:
            (cx, cy), (w, h) = box.center, box.size
            if abs(box.angle) > 10 or h < MIN_TEXT_HEIGHT or box.score < MIN_BOX_SCORE:
                continue
            x0, x1, y0, y1 = (cx - w / 2) * scale, (cx + w / 2) * scale, (cy - h / 2) * scale, (cy + h / 2) * scale
            spans = sorted((max(x0, left), min(x1, right)) for left, top, right, bottom in reading.words
                           if y0 <= (top + bottom) / 2 <= y1 and left < x1 and right > x0)
            covered, end = 0.0, x0
            for start, stop in spans:
                start = max(start, end)
                if stop > start:
                    covered, end = covered + stop - start, stop
            if covered < RECOVER_BELOW_COVERAGE * (x1 - x0):
                missed.append((y0, box))
        if not missed:
            return reading.blocks
        blocks = list(reading.blocks)
        lines = self._read_lines([_crop_variants(rgb, box) for _, box in missed], packs)
        for (top, _), line in zip(missed, lines, strict=True):
            if line is not None and _line_ok(line):
                at = next((i for i, block in enumerate(blocks) if block.top > top), len(blocks))
                blocks.insert(at, Block([line], top=top))
        return blocks

    def orientation_and_script(self, gray: np.ndarray) -> tuple[int, str]:
        """(clockwise turn that makes the page upright, script); (0, "Latin") when OSD fails."""
        try:
            osd = _tesseract(pytesseract.image_to_osd, Image.fromarray(gray), config="--psm 0")
        except OcrEngineError as err:
            LOG.info("OSD failed (%s): assuming an upright Latin page", str(err).strip()[:120])
            return 0, "Latin"
        script = str(osd.get("script", "Latin"))
        rotate = int(osd.get("rotate", 0)) % 360
        if rotate and float(osd.get("orientation_conf", 0.0)) < MIN_ORIENTATION_CONFIDENCE:
            LOG.info("OSD's turn by %d° at confidence %s: not taken", rotate, osd.get("orientation_conf"))
            rotate = 0
        return rotate, script_of(script)

    def _read_page(self, page: Image.Image, packs: tuple[str, ...]) -> PageReading:
        lang = "+".join(packs)
        data, text = _read_page_tsv_and_text(page, lang)
        spaced: dict[str, list[str]] = {}  # Tesseract's text lines by their letters
        for row in text.splitlines():
            if row.strip():
                spaced.setdefault("".join(row.split()), []).append(row)
        paragraphs: dict[tuple[int, int], dict[int, list[Word]]] = {}
        for i, word in enumerate(data["text"]):
            word, conf = str(word).strip(), float(data["conf"][i])
            if int(data["level"][i]) == 5 and word and conf >= 0:
                key = (int(data["block_num"][i]), int(data["par_num"][i]))
                line = paragraphs.setdefault(key, {}).setdefault(int(data["line_num"][i]), [])
                line.append((word, conf, _box(data, i)))
        reading = PageReading([], 0.0, [])
        weight = 0
        for lines in paragraphs.values():
            boxes = [box for words in lines.values() for _, _, box in words]
            block = Block([_spaced(_line(words, lang), words, spaced) for _, words in sorted(lines.items())],
                          top=min(top for _, top, _, _ in boxes))
            confidence, n = _confidence(block.lines), sum(len(line.text) for line in block.lines)
            reading.confidence, weight = reading.confidence + n * confidence, weight + n
            if confidence >= MIN_PARAGRAPH_CONFIDENCE:
                reading.blocks.append(block)
                reading.words.extend(boxes)
            else:
                LOG.debug("dropped a paragraph: %r", block.text[:80])
        reading.confidence = reading.confidence / weight if weight else 0.0
        return reading

    # ---- photos -----------------------------------------------------------------------

    def read_photo(self, rgb: np.ndarray, boxes: list[TextBox]) -> list[Block]:
        boxes = photo_lines(boxes)
        if not boxes:
            return []
        readings = self._recognise(rgb, boxes)
        unsure = [i for i, line in enumerate(readings) if not _recogniser_sure(line)]
        crops: dict[int, list[np.ndarray]] = {i: _crop_variants(rgb, boxes[i]) for i in unsure}
        if unsure:
            tesseract = self._read_lines([crops[i] for i in unsure], self._line_packs)
            for i, line in zip(unsure, tesseract, strict=True):
                readings[i] = _surer(readings[i], line)
        self._respace(crops, rgb, boxes, readings)
        kept = [i for i, line in enumerate(readings) if line is not None and _line_ok(line)]
        layout = group_boxes([boxes[i] for i in kept])
        blocks = [[[kept[i] for i in row] for row in block] for block in layout]
        self._reread_in_own_language(rgb, boxes, blocks, crops, readings)
        return self._finish([_photo_block(block, readings) for block in blocks], merge=False)

    def _respace(self, crops: dict[int, list[np.ndarray]], rgb: np.ndarray, boxes: list[TextBox],
                 readings: list[Line | None]) -> None:
        """Word spaces for long unspaced Latin lines of the recogniser: its CTC steps are too
        coarse for a narrow gap (`NOPARKING`); where `eng` reads the same letters with spaces,
        its spaces are taken, nothing else."""
        todo = [i for i, line in enumerate(readings) if line is not None and line.pack == RECOGNISER
                and " " not in line.text and letters(line.text) >= RESPACE_MIN_LETTERS
                and text_script(line.text) == "Latin"]
        if not todo:
            return
        for i in todo:
            crops.setdefault(i, _crop_variants(rgb, boxes[i]))
        try:
            respaced = self._read_lines([crops[i] for i in todo], ("eng",))
        except OcrEngineError as err:  # the recogniser's reading stands without its spaces
            LOG.warning("word spaces not checked: %s", err)
            return
        for i, spaced in zip(todo, respaced, strict=True):
            line = readings[i]
            if line is None or spaced is None or " " not in spaced.text:
                continue
            if spaced.text.replace(" ", "").casefold() == line.text.casefold():
                out, chars = [], iter(line.text)
                for ch in spaced.text:
                    out.append(" " if ch == " " else next(chars))
                line.text = "".join(out)

    def _recognise(self, rgb: np.ndarray, boxes: list[TextBox]) -> list[Line | None]:
        """The recogniser's reading of each box; a steep box (text turned by 90° or 270°,
        which the box cannot tell apart) is read both ways and the surer way kept."""
        crops, owner = [], []
        for i, box in enumerate(boxes):
            line = crop(rgb, box)
            crops.append(line)
            owner.append(i)
            if abs(box.angle) > 45:
                crops.append(np.ascontiguousarray(line[::-1, ::-1]))
                owner.append(i)
        best: list[Line | None] = [None] * len(boxes)
        for i, (text, confidence) in zip(owner, self._recogniser.read(crops), strict=True):
            text = " ".join(text.split())
            current = best[i]
            if text and (current is None or 100 * confidence > current.confidence):
                best[i] = Line(text, 100 * confidence, RECOGNISER)
        return best

    def _reread_in_own_language(self, rgb: np.ndarray, boxes: list[TextBox], blocks: list[list[list[int]]],
                                crops: dict[int, list[np.ndarray]], readings: list[Line | None]) -> None:
        """Read a block Tesseract read with several packs again with its language's pack
        (German read with `eng`: ü → u; Hebrew beside Thai look-alikes). A block is one
        script: a line in another script takes the new reading, other lines keep theirs
        unless it is hardly less sure."""
        todo: dict[str, list[int]] = {}
        for block in blocks:
            lines = [line for row in block for line in (readings[i] for i in row) if line is not None]
            text = "\n".join(line.text for line in lines if line.pack != RECOGNISER)
            if not text:
                continue  # the recogniser read it all, diacritics included
            script = text_script(text)
            found = self._identify(text)
            pack = self._pack(found[0], script) if found else None
            if pack is None and script in self.scripts:
                pack = self.scripts[script][0].pack
            if pack is None:
                continue
            used = {p for line in lines if line.pack != RECOGNISER for p in line.pack.split("+")}
            if used != {pack} and BY_PACK[pack].script in {_pack_script(p) for p in used}:
                todo.setdefault(pack, []).extend(i for row in block for i in row)
        for pack, indices in todo.items():
            script = BY_PACK[pack].script
            for i in indices:
                if i not in crops:
                    crops[i] = _crop_variants(rgb, boxes[i])
            for i, line in zip(indices, self._read_lines([crops[i] for i in indices], (pack,)), strict=True):
                old = readings[i]
                if line is None or old is None or not _line_ok(line):
                    continue
                # A line keeps its reading unless the new one has fewer letters of other scripts
                # than the block's: "Hoopo пожаловать" is Добро read as Latin look-alikes.
                other_script = _foreign_letters(line.text, script) < _foreign_letters(old.text, script)
                if other_script or (old.pack != RECOGNISER
                                    and line.confidence >= old.confidence + RELOAD_MIN_CONFIDENCE_GAIN):
                    readings[i] = line

    def _read_lines(self, crops: list[list[np.ndarray]], packs: tuple[str, ...], psm: int = 7) -> list[Line | None]:
        """Each crop's surest reading over its variants, `--psm` 7 (a line) or 8 (a word): one
        Tesseract run for all."""
        lang = "+".join(packs)
        with tempfile.TemporaryDirectory(prefix="medialens_ocr_") as tmp:
            paths, owner, flat = [], [], []
            for i, variants in enumerate(crops):
                for j, pixels in enumerate(variants):
                    path = Path(tmp) / f"{i:03d}_{j}.png"
                    cv2.imwrite(str(path), pixels)
                    paths.append(str(path))
                    owner.append(i)
                    flat.append(pixels)
            listing = Path(tmp) / "crops.txt"  # a text file listing images: Tesseract reads each as a page
            listing.write_text("\n".join(paths) + "\n")
            data = _tesseract(pytesseract.image_to_data, str(listing), lang=lang, config=f"--psm {psm}")
        words: dict[int, list[Word]] = {}
        for i, word in enumerate(data["text"]):
            word, conf = word.strip(), float(data["conf"][i])
            if data["level"][i] == 5 and word and conf >= 0:
                words.setdefault(int(data["page_num"][i]) - 1, []).append((word, conf, _box(data, i)))
        best: list[Line | None] = [None] * len(crops)
        for page, page_words in words.items():
            if page < len(owner):
                line, i = _line(page_words, lang), owner[page]
                current = best[i]
                if current is None or line.confidence > current.confidence:
                    line.pixels = flat[page]
                    best[i] = line
        return best

    # ---- languages --------------------------------------------------------------------

    def _tag(self, block: Block) -> str | None:
        """The block's BCP-47 tag: the table's code of its language in its script (sr-Latn);
        Chinese as zh-Hant or zh-Hans when one Han pack read it all (the recogniser reads
        both forms alike: plain zh)."""
        if block.language is None:
            return None
        if block.language == "zh":
            packs = {p for line in block.lines for p in line.pack.split("+")} & {"chi_sim", "chi_tra"}
            return BY_PACK[packs.pop()].code if len(packs) == 1 and all(
                line.pack != RECOGNISER for line in block.lines) else "zh"
        rows = self.scripts.get(text_script(block.text) or "", ())
        return next((x.code for x in rows if x.base == block.language), block.language)

    def _pack(self, code: str, script: str | None) -> str | None:
        """The installed pack of language `code` in `script` (Serbian: srp or srp_latn)."""
        rows = self.scripts.get(script or "", ())
        return next((x.pack for x in rows if x.base == code), None)

    def _first_packs(self, rows: tuple[Language, ...]) -> tuple[str, ...]:
        """A page's first pass: the script's main pack, plus `eng` for other scripts than Latin
        (Cyrillic or Japanese documents quote Latin text, which rus and jpn read badly). A
        script several languages write (Cyrillic, Arabic, Devanagari, Greek, Hebrew) but Latin
        is read with its script model where installed: rus reads Serbian ђ ћ ј љ as Russian
        look-alikes and ara Persian ی ک as ي ك, and py3langid then names rus's and ara's
        language; the second pass reads with the language's own pack."""
        first = rows[0].pack
        script = rows[0].script
        if script != "Latin" and script in self._installed and len({x.base for x in rows}) > 1:
            first = script
        return (first,) if first == "eng" else (first, "eng")

    def _language_share(self, blocks: list[Block]) -> Counter[str]:
        """Label every line with its language; letters per language over all blocks."""
        self._label(blocks)
        share = Counter[str]()
        for block in blocks:
            for line in block.lines:
                if line.language:
                    share[line.language] += letters(line.text)
        return share

    def _second_packs(self, blocks: list[Block], rows: tuple[Language, ...],
                      used: tuple[str, ...]) -> tuple[str, ...] | None:
        """Packs for a second pass over a page whose text is in languages the first did not use."""
        share = self._language_share(blocks)
        total = sum(share.values())
        own = {x.base: x.pack for x in reversed(rows)}  # the script's first pack of each language
        wanted = [code for code, n in share.most_common() if n >= RERUN_MIN_SHARE * total
                  and (code in own or code == "en") and code in self.languages][:MAX_PACKS]
        packs = tuple(own.get(code) or self.languages[code] for code in wanted)
        if packs and "eng" not in packs and rows[0].base != "en":  # as in the first pass: Latin quotes
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
        """(ISO 639-1 code, probability), or None for too little text or an unsure guess.

        Only the languages written in the text's script compete (its letters' Unicode
        script): Latin text is never called Russian. A script with one installed language
        the identifier knows (Hebrew, Thai, Hangul, ...) names it from MIN_SCRIPT_LETTERS
        letters on; text too short for the identifier in a script of two (Greek: el, grc)
        takes the more written one; in a script many languages share (Latin, Cyrillic,
        Arabic, Devanagari) it gets no code rather than a guess. Longer text: py3langid's
        probabilities over the script's languages times a Zipf prior (self._prior)."""
        if _KANA.search(text):
            return "ja", 1.0
        han = len(_HAN.findall(text))
        if han and 2 * han >= letters(text):
            return ("zh" if "zh" in self.languages or "ja" not in self.languages else "ja"), 0.9
        script = text_script(text) or ""
        codes = self._identifiable.get(script, set())
        if len(codes) == 1:
            return (next(iter(codes)), 1.0) if letters(text) >= MIN_SCRIPT_LETTERS else None
        if letters(text) < MIN_LANGID_LETTERS:  # too short to identify: a script of two languages
            if len(codes) == 2 and letters(text) >= MIN_SCRIPT_LETTERS:  # (el/grc) means its first
                return self.scripts[script][0].base, MIN_LANGID_PROBABILITY
            return None
        prior = self._prior.get(script, {})
        ranked = sorted(((code, p * prior[code]) for code, p in self._langid.rank(text) if code in codes),
                        key=lambda x: -x[1])
        total = sum(p for _, p in ranked)
        if not ranked or total <= 0:
            return None
        code, probability = ranked[0][0], ranked[0][1] / total
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
        for run in runs:
            script = text_script(run.text)
            for line in run.lines:
                line.text = _in_script(line.text, script)
        return [run for run in runs if characters(run.text) >= MIN_BLOCK_CHARACTERS
                and letter_share(run.text) >= MIN_LETTER_SHARE]


# ---- pure helpers ----------------------------------------------------------------------


class OcrEngineError(RuntimeError):
    """Tesseract failed or timed out on one image."""


@dataclass
class PageReading:
    blocks: list[Block]  # the paragraphs kept
    confidence: float  # over all the page's words, kept or not, weighted by length
    words: list[tuple[int, int, int, int]]  # the kept words' boxes, as Word's (left, top, right, bottom)


def _read_page_tsv_and_text(page: Image.Image, lang: str) -> tuple[dict[str, list[Any]], str]:
    """One `--psm 3` run (Tesseract's default): image_to_data's table and Tesseract's text
    output, whose word spaces the table lacks (kor and tha give glyph groups as words: "사 용 자 가")."""
    with _engine_errors():
        tsv, text = pytesseract.run_and_get_multiple_output(page, extensions=["tsv", "txt"], lang=lang,
                                                            timeout=TESSERACT_TIMEOUT_S)
    return pytesseract.pytesseract.file_to_dict(tsv, "\t", -1), text


def _spaced(line: Line, words: list[Word], spaced: dict[str, list[str]]) -> Line:
    """The line with the word spaces of Tesseract's text output where it has a line of the
    same letters (none between CJK characters, as join_words)."""
    rows = spaced.get("".join(w for w, _, _ in words))
    if rows:
        line.text = join_words(rows.pop(0).split())
    return line


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Tesseract's failures, pytesseract's timeout (a RuntimeError) included, as OcrEngineError."""
    try:
        yield
    except (pytesseract.TesseractError, RuntimeError, OSError) as err:
        raise OcrEngineError(str(err).strip()[:300]) from err


def _tesseract(function: Any, image: Any, **kwargs: Any) -> dict[str, Any]:
    with _engine_errors():
        return function(image, output_type=pytesseract.Output.DICT, timeout=TESSERACT_TIMEOUT_S, **kwargs)


def photo_lines(boxes: list[TextBox]) -> list[TextBox]:
    """The detector boxes of a photo worth reading, surest first: lines, not blobs."""
    lines = [b for b in boxes if b.score >= MIN_BOX_SCORE and b.height >= MIN_TEXT_HEIGHT
             and b.size[0] >= MIN_BOX_ASPECT * b.size[1]]
    return sorted(lines, key=lambda b: -b.score)[:MAX_PHOTO_LINES]


def is_document(boxes: list[TextBox], height: int, width: int) -> bool:
    """Many lines of text over a good part of the image: a page, a screenshot, a poster."""
    coverage = sum(b.area for b in boxes) / float(height * width)
    return len(boxes) >= DOC_MIN_LINES and coverage >= DOC_MIN_COVERAGE


def _box(data: dict[str, Any], i: int) -> tuple[int, int, int, int]:
    left, top = int(data["left"][i]), int(data["top"][i])
    return left, top, left + int(data["width"][i]), top + int(data["height"][i])


def _line(words: list[Word], pack: str) -> Line:
    weight = sum(len(w) for w, _, _ in words)
    confidence = sum(len(w) * c for w, c, _ in words) / weight if weight else 0.0
    gaps: list[float | None] = [None]
    for (_, _, (_, _, right, _)), (_, _, (left, top, _, bottom)) in zip(words, words[1:], strict=False):
        gaps.append((left - right) / max(1, bottom - top))
    return Line(join_words([w for w, _, _ in words], gaps), confidence, pack, words=list(words))


def _confidence(lines: list[Line]) -> float:
    weight = sum(len(line.text) for line in lines)
    return sum(len(line.text) * line.confidence for line in lines) / weight if weight else 0.0


def _line_ok(line: Line) -> bool:
    least = 100 * RECOGNISER_MIN_CONFIDENCE if line.pack == RECOGNISER else MIN_LINE_CONFIDENCE
    return line.confidence >= least and letter_share(line.text) >= MIN_LETTER_SHARE


def _recogniser_sure(line: Line | None) -> bool:
    """A recogniser reading that needs no second opinion (see RECOGNISER_SURE)."""
    return line is not None and line.confidence >= 100 * RECOGNISER_SURE \
        and text_script(line.text) in RECOGNISER_SCRIPTS and not any(char_script(ch) == "Greek" for ch in line.text)


def _surer(recognised: Line | None, tesseract: Line | None) -> Line | None:
    """The recogniser's reading against Tesseract's for a line the recogniser is unsure of:
    Tesseract's when it found a script the recogniser cannot read, else the recogniser's if
    it is in its scripts and confident enough, else Tesseract's."""
    if tesseract is not None and text_script(tesseract.text) not in (None, *RECOGNISER_SCRIPTS) \
            and tesseract.confidence >= MIN_LINE_CONFIDENCE:
        return tesseract
    if recognised is not None and text_script(recognised.text) in RECOGNISER_SCRIPTS and _line_ok(recognised):
        return recognised
    return tesseract


def _replace_word(text: str, word: str, new: str) -> str:
    """The first `word` of `text` that is not part of a longer Latin word ("an", not Debi-an-)."""
    latin = "A-Za-z\u00c0-\u024f"
    return re.sub(f"(?<![{latin}]){re.escape(word)}(?![{latin}])", lambda _: new, text, count=1)


def _same_latin_word(word: Word, reading: Line | None) -> bool:
    """`reading` (eng alone, on the word's crop, which may catch a neighbour's glyph) has a
    word with the Latin letters of `word`, up to one in three misread (`lan`, `Tan`: Ian);
    one of the two readings is sure of them and the other not unsure."""
    def latin(text: str) -> str:
        return "".join(ch for ch in text.casefold() if ch.isalnum() and char_script(ch) in (None, "Latin"))

    def alike(a: str, b: str) -> bool:
        return len(a) == len(b) > 0 and 3 * sum(x != y for x, y in zip(a, b, strict=True)) <= len(a)

    text, confidence, _ = word
    return reading is not None and any(
        alike(latin(other), latin(text)) and max(confidence, other_confidence) >= MIN_QUOTED_LATIN_CONFIDENCE
        and min(confidence, other_confidence) >= MIN_LATIN_REREAD_CONFIDENCE
        for other, other_confidence, _ in reading.words)


def _in_script(text: str, script: str | None) -> str:
    """Compatibility characters as the letter of the text's script they stand for (`ell`
    writes µ, MICRO SIGN, for Greek μ)."""
    if script is None:
        return text
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if folded != ch and len(folded) == 1 and char_script(folded) == script else ch)
    return "".join(out)


def _foreign_letters(text: str, script: str) -> int:
    return sum(1 for ch in text if char_script(ch) not in (None, script))


def _pack_script(pack: str) -> str:
    """The script a pack or script model reads (script models are named after their script)."""
    return BY_PACK[pack].script if pack in BY_PACK else pack


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
