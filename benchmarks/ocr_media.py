"""Media for the multilingual OCR benchmark (benchmarks/ocr_multilingual.py), built deterministically.

Kept apart from everything the analyser is tuned on (../shared/dev-corpus): real translated text,
rendered here, with the exact text as ground truth.

* **Text**: the translations shipped in the Django wheel (`DJANGO_VERSION`, checked against its
  sha256), fetched with pip into `bench-results/.cache/` on first use: every
  `django/{conf,contrib/*}/locale/<locale>/LC_MESSAGES/django*.po`. A string is used only if it
  is translated, not fuzzy, free of format placeholders and markup (`%`, `{}`, `<>`, `&`, `/`,
  `_`, …: only letters, ASCII digits, spaces and common punctuation pass), and every letter in it
  is of the language's script (no `URL`, `JSON` or `Django` inside a Russian string); English
  takes the msgids. Strings are taken in a deterministic shuffled order (`sha256(language +
  string)`), none used twice in one language.
* **Rendering**: Pango (`pango-view`, Debian's pango1.0-tools: HarfBuzz shaping, FriBiDi, Thai
  word breaking, font fallback through fontconfig) with Debian's Noto fonts (fonts-noto-core,
  fonts-noto-cjk); the script's Noto family first, Noto Sans/Serif for the punctuation that
  script fonts lack. Pango's own layout output gives the line breaks, so the ground truth is
  the text exactly as laid out (lines joined by `\\n`, paragraphs by a blank line); an item
  with a glyph no font has is an error.
* **Pages** (`page`): dark text on white at 150 or 200 dpi, 11-14 pt, sans or serif, several
  paragraphs of 1-3 strings each, 450-650 characters; right-to-left paragraphs right-aligned;
  half a whole A4 sheet, half an excerpt cut to the text and a 1-inch margin; a third with light
  blur, noise and JPEG compression.
* **Title frames** (`title_frame`): 1280x720 JPEG, light text (per language one string of 1-3
  words and one of 3-6, four or more words on two lines; 2-6 and 6-14 letters for CJK and Thai)
  on a dark colour, a dark gradient, blurred colour noise (a frame of an animated background) or
  a blurred, darkened dev-corpus photo without text; centred title cards or lower thirds (half of
  them on a translucent bar), plain, outlined or with a soft shadow.
* **Signs** (`sign`): one short word of a language (in capitals where the script has them) or a
  code like `GM 125` (language null) on a coloured plate with a border, warped in perspective
  onto a photo or a brick texture.

Split: within each (kind, language) group, items sorted by `sha256(id)` alternate test, dev, test,
…: deterministic, about half each, every language with ≥ 2 items of a kind in both splits. The
test split is only ever reported, never looked at while changing the analyser.

    .venv/bin/python -m benchmarks.ocr_media [--out DIR] [--pages N] [--force]

writes the images and `manifest.json` (per item: id, path, kind, language, script, split, text,
sha256, how it was rendered) into bench-results/ocr_media/; a second run with the same recipe
keeps them. Debian packages: benchmarks/apt-packages-bench.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models import fetch_models

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
DEFAULT_OUT = REPO / "bench-results" / "ocr_media"
CACHE = REPO / "bench-results" / ".cache"
GENERATOR_VERSION = 1  # bump when the recipe changes

DJANGO_VERSION = "5.2.19"
DJANGO_WHEEL = f"django-{DJANGO_VERSION}-py3-none-any.whl"
DJANGO_SHA256 = "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00"
DEBIAN_PACKAGES = ("pango1.0-tools", "fonts-noto-core", "fonts-noto-cjk")
# Text-free dev-corpus photos: backgrounds of title frames (blurred) and signs.
BACKGROUNDS = ("images/general/skimage_chelsea_cat.png", "images/general/skimage_coffee.png",
               "images/general/opencv_fruits.jpg", "images/general/sklearn_flower.jpg",
               "images/general/skimage_rocket.jpg", "images/faces/skimage_astronaut.png")


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 / BCP-47
    locale: str  # Django's locale directory
    script: str  # the script group of script_group()
    families: tuple[str, str]  # (sans, serif) font families, each followed by Noto Sans/Serif for punctuation
    pango: str = ""  # Pango's language tag when it differs from `code`
    rtl: bool = False
    spaced: bool = True  # words separated by spaces (else the metrics count characters)


def _latin(code: str, script: str = "Latin") -> Language:
    return Language(code, code, script, ("Noto Sans", "Noto Serif"))


def _noto(code: str, script: str, name: str, serif: str | None = None, **kw: Any) -> Language:
    return Language(code, kw.pop("locale", code), script, (f"Noto Sans {name}", serif or f"Noto Serif {name}"), **kw)


LANGUAGES = (
    *(_latin(code) for code in ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "tr", "sv", "vi")),
    *(_latin(code, "Cyrillic") for code in ("ru", "uk", "bg", "sr")),
    _latin("el", "Greek"),
    _noto("ar", "Arabic", "Arabic", "Noto Naskh Arabic", rtl=True),
    _noto("fa", "Arabic", "Arabic", "Noto Naskh Arabic", rtl=True),
    _noto("he", "Hebrew", "Hebrew", rtl=True),
    _noto("hi", "Devanagari", "Devanagari"), _noto("mr", "Devanagari", "Devanagari"),
    _noto("bn", "Bengali", "Bengali"), _noto("ta", "Tamil", "Tamil"),
    _noto("th", "Thai", "Thai", spaced=False),
    _noto("ka", "Georgian", "Georgian"), _noto("hy", "Armenian", "Armenian"),
    _noto("ko", "Hangul", "CJK KR"),
    _noto("ja", "CJK", "CJK JP", spaced=False),
    _noto("zh-Hans", "CJK", "CJK SC", locale="zh_Hans", pango="zh-cn", spaced=False),
    _noto("zh-Hant", "CJK", "CJK TC", locale="zh_Hant", pango="zh-tw", spaced=False),
)
BY_CODE = {lang.code: lang for lang in LANGUAGES}
CJK_CODES = ("ja", "zh-Hans", "zh-Hant")

# ---- scripts ------------------------------------------------------------------------------------

_SCRIPT_RANGES = (  # (first, last, script group); other letters are "Other"
    (0x0041, 0x024F, "Latin"), (0x0250, 0x02AF, "Latin"), (0x1E00, 0x1EFF, "Latin"), (0xFF21, 0xFF5A, "Latin"),
    (0x0370, 0x03FF, "Greek"), (0x1F00, 0x1FFF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"), (0x0531, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"), (0xFB1D, 0xFB4F, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"), (0x0750, 0x077F, "Arabic"), (0x08A0, 0x08FF, "Arabic"),
    (0xFB50, 0xFDFF, "Arabic"), (0xFE70, 0xFEFF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"), (0x0980, 0x09FF, "Bengali"), (0x0B80, 0x0BFF, "Tamil"),
    (0x0E00, 0x0E7F, "Thai"), (0x10A0, 0x10FF, "Georgian"), (0x1C90, 0x1CBF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"), (0x3130, 0x318F, "Hangul"), (0xAC00, 0xD7AF, "Hangul"),
    (0x3040, 0x30FF, "CJK"), (0x31F0, 0x31FF, "CJK"), (0x3400, 0x4DBF, "CJK"), (0x4E00, 0x9FFF, "CJK"),
    (0xF900, 0xFAFF, "CJK"), (0xFF66, 0xFF9F, "CJK"),
)
# Punctuation a string may carry besides letters, ASCII digits and spaces.
_PUNCTUATION = set(".,;:!?'\"()-–—«»„“”‘’…·") | set("。、，：；！？「」『』（）・") | set("،؛؟") | set("׳״")


@cache
def script_group(ch: str) -> str | None:
    """The script group of a letter or combining mark ("CJK" = Han + kana), None for anything else;
    "Inherited" for combining marks outside the blocks listed."""
    category = unicodedata.category(ch)[0]
    if category not in "LM":
        return None
    code = ord(ch)
    for first, last, name in _SCRIPT_RANGES:
        if first <= code <= last:
            return name
    return "Inherited" if category == "M" else "Other"


def scripts_of(text: str) -> dict[str, int]:
    """Letters (and marks) per script group."""
    counts: dict[str, int] = {}
    for ch in text:
        group = script_group(ch)
        if group and group != "Inherited":
            counts[group] = counts.get(group, 0) + 1
    return counts


# ---- text ---------------------------------------------------------------------------------------


def django_wheel(cache_dir: Path = CACHE) -> Path:
    """The pinned Django wheel, downloaded once with pip and checked against its sha256."""
    target = cache_dir / "pip" / DJANGO_WHEEL
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*fetch_models.pip_command(), "download", "--no-deps", "--only-binary=:all:", "--quiet",
                        "--dest", str(target.parent), f"django=={DJANGO_VERSION}"], check=True)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != DJANGO_SHA256:
        raise RuntimeError(f"{target}: sha256 {digest}, expected {DJANGO_SHA256}")
    return target


def _unquote(s: str) -> str:
    body = s.strip()[1:-1]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_po(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of the translated, non-fuzzy entries of a .po file (plurals: form 0)."""
    entries: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    fuzzy = False
    key = None

    def flush() -> None:
        nonlocal fields, fuzzy, key
        msgid, msgstr = fields.get("msgid", ""), fields.get("msgstr", fields.get("msgstr[0]", ""))
        if msgid and msgstr and not fuzzy:
            entries.append((msgid, msgstr))
        fields, fuzzy, key = {}, False, None

    for line in text.splitlines():
        line = line.strip()
        if not line:
            flush()
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            fields[key] += _unquote(line)
        else:
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if match:
                if match.group(1) == "msgid" and "msgid" in fields:
                    flush()
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
    flush()
    return entries


@cache
def _po_files(wheel: Path) -> dict[str, list[str]]:
    """locale → the texts of its .po files in the wheel, in name order."""
    out: dict[str, list[str]] = {}
    pattern = re.compile(r"django/(?:conf|contrib/[a-z_]+)/locale/([A-Za-z_]+)/LC_MESSAGES/django(?:js)?\.po$")
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            match = pattern.match(name)
            if match:
                out.setdefault(match.group(1), []).append(archive.read(name).decode("utf-8"))
    return out


def usable(text: str, lang: Language) -> bool:
    """Plain prose of the language's script: no placeholders, markup or other scripts' letters."""
    if not text or text != text.strip() or "  " in text:
        return False
    for ch in text:
        if ch == " " or (ch.isdigit() and ch.isascii()) or ch in _PUNCTUATION:
            continue
        group = script_group(ch)
        if group == "Inherited" and lang.script != "Latin":
            continue
        if group != lang.script:
            return False
    return bool(scripts_of(text))


@cache
def strings(code: str, wheel: Path) -> list[str]:
    """The language's usable translated strings, deduplicated, in a deterministic shuffled order."""
    lang = BY_CODE[code]
    found: set[str] = set()
    # English .po files carry no msgstrs: English is the msgids (of the German files, which have them all).
    for po in _po_files(wheel).get("de" if code == "en" else lang.locale, []):
        for msgid, msgstr in parse_po(po):
            if code != "en" and lang.script == "Latin" and msgstr == msgid:
                continue  # left in English
            text = unicodedata.normalize("NFC", msgid if code == "en" else msgstr)
            if usable(text, lang):
                found.add(text)
    return sorted(found, key=lambda s: hashlib.sha256(f"{code}\0{s}".encode()).hexdigest())


def units(text: str, lang: Language) -> int:
    """Words, or letters for the scripts written without spaces."""
    return len(text.split()) if lang.spaced else sum(1 for ch in text if script_group(ch))


# ---- rendering with Pango -----------------------------------------------------------------------


@dataclass
class Rendered:
    alpha: np.ndarray  # uint8 coverage of the text, the layout's size
    lines: list[str]  # the text as laid out, line by line ("" between paragraphs)
    fonts: list[str]  # the font descriptions Pango used


def font_description(lang: Language, serif: bool, bold: bool, size_px: int) -> str:
    family = lang.families[int(serif)]
    fallback = "Noto Serif" if serif else "Noto Sans"
    families = family if family == fallback else f"{family}, {fallback}"
    return f"{families}{' Bold' if bold else ''} {size_px}"


def _cjk_font(lang: Language) -> bool:
    """CJK fonts: Pango's layout serialisation hashes the 20 MB font file for every run of glyphs
    (~20 s a page), so their text is wrapped here, with Pillow's raqm measuring, instead."""
    return "CJK" in lang.families[0]


@cache
def _font_file(description: str) -> tuple[str, int]:
    """fontconfig's file and face index for a Pango description's first family and weight."""
    body = description.rsplit(" ", 1)[0]  # without the size
    bold = body.endswith(" Bold")
    family = body.removesuffix(" Bold").split(",")[0].strip()
    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", family + (":bold" if bold else "")],
                           capture_output=True, text=True, check=True)
    path, index = found.stdout.rsplit(":", 1)
    return path, int(index)


@cache
def _pil_font(description: str, size: int) -> Any:
    from PIL import ImageFont

    path, index = _font_file(description)
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.RAQM)


def _missing_glyphs(text: str, description: str) -> str:
    """Characters of `text` the description's first font has no glyph for (its .notdef box)."""
    from PIL import ImageFont

    path, index = _font_file(description)
    plain = ImageFont.truetype(path, 32, index=index, layout_engine=ImageFont.Layout.BASIC)
    notdef = plain.getmask("\U0010fffd")
    missing = ""
    for ch in sorted(set(text)):
        if not ch.isspace() and unicodedata.category(ch)[0] != "M":
            mask = plain.getmask(ch)
            if mask.size == notdef.size and bytes(mask) == bytes(notdef):
                missing += ch
    return missing


def prewrap(paragraphs: list[str], lang: Language, description: str, size: int, width: int) -> str:
    """Paragraphs broken into lines of at most `width` px: at spaces, or for Chinese and Japanese
    between any two characters but before closing punctuation; paragraphs separated by a blank line."""
    face = _pil_font(description, size)
    out = []
    for paragraph in paragraphs:
        pieces = list(paragraph) if lang.code in CJK_CODES else paragraph.split(" ")
        glue = "" if lang.code in CJK_CODES else " "
        lines, current = [], ""
        for piece in pieces:
            trial = f"{current}{glue}{piece}" if current else piece
            if current and face.getlength(trial, language=lang.pango or lang.code) > width \
                    and piece not in "。、，：；！？」』）:;,.!?)":
                lines.append(current)
                current = piece
            else:
                current = trial
        out.append("\n".join([*lines, current]))
    return "\n\n".join(out)


def pango(text: str, lang: Language, description: str, width: int | None = None, align: str = "left") -> Rendered:
    """Lays out and renders `text` with pango-view (sizes in pixels). The lines are Pango's, from
    its serialised layout; for CJK fonts (never wrapped by Pango) the lines of `text`."""
    if shutil.which("pango-view") is None:
        raise RuntimeError("pango-view missing: apt-get install pango1.0-tools (benchmarks/apt-packages-bench.txt)")
    serialise = not _cjk_font(lang)
    if not serialise:
        if width:
            raise ValueError("CJK text is wrapped by prewrap(), not by Pango")
        missing = _missing_glyphs(text, description)
        if missing:
            raise RuntimeError(f"{description} has no glyph for {missing!r}")
    with tempfile.TemporaryDirectory(prefix="ocr_media_") as tmp:
        source, png, layout = Path(tmp) / "text.txt", Path(tmp) / "text.png", Path(tmp) / "layout.json"
        source.write_text(text, encoding="utf-8")
        command = ["pango-view", "--no-display", "--pixels", f"--font={description}",
                   f"--language={lang.pango or lang.code}", "--margin=0", "--background=transparent",
                   "--foreground=#000000", "--hinting=none", "--antialias=gray", f"--align={align}",
                   f"--output={png}"]
        if serialise:
            command.append(f"--serialize-to={layout}")
        if width:
            command += [f"--width={width}", "--wrap=word"]
        subprocess.run([*command, str(source)], check=True, capture_output=True)
        image = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        if not serialise:
            return Rendered(image[:, :, 3].copy(), [line.strip() for line in text.split("\n")], [description])
        data = json.loads(layout.read_text(encoding="utf-8"))
    output = data["output"]
    if output.get("unknown-glyphs"):
        raise RuntimeError(f"{output['unknown-glyphs']} glyph(s) of {text[:40]!r} in no installed font")
    raw = text.encode("utf-8")
    lines = [raw[line["start-index"]:line["start-index"] + line["length"]].decode("utf-8").strip()
             for line in output["lines"]]
    fonts = sorted({run["font"]["description"] for line in output["lines"] for run in line.get("runs", [])})
    return Rendered(image[:, :, 3].copy(), lines, fonts)


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _over(canvas: np.ndarray, alpha: np.ndarray, colour: Any, x: int, y: int, opacity: float = 1.0) -> None:
    """Paints `colour` through the coverage `alpha` onto the float canvas at (x, y), clipped."""
    h, w = alpha.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(canvas.shape[1], x + w), min(canvas.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)[:, :, None] / 255 * opacity
    region = canvas[y0:y1, x0:x1]
    region[:] = region * (1 - a) + np.asarray(colour, np.float32) * a


def _save(rgb: np.ndarray, path: Path, jpeg_quality: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if jpeg_quality else [cv2.IMWRITE_PNG_COMPRESSION, 6]
    if not cv2.imwrite(str(path), pixels, params):
        raise RuntimeError(f"could not write {path}")


# ---- pages --------------------------------------------------------------------------------------

PAGE_CHARS = (450, 650)  # characters per page: at least the first, at most the second (unless one string is longer)
PAGE_MIN_UNITS = {True: 3, False: 8}  # a page string has ≥ 3 words (≥ 8 letters unspaced)


def page_texts(lang: Language, pool: list[str], count: int) -> list[list[str]]:
    """Up to `count` pages, each a list of paragraphs of 1-3 whole strings, no string used twice."""
    candidates = [s for s in pool if units(s, lang) >= PAGE_MIN_UNITS[lang.spaced]]
    joiner = "" if lang.code in CJK_CODES else " "
    pages, used = [], 0
    for n in range(count):
        rng = np.random.default_rng(_seed("page-paragraphs", lang.code, n))
        paragraphs: list[str] = []
        total = 0
        while total < PAGE_CHARS[0] and used < len(candidates):
            chunk = candidates[used:used + int(rng.integers(1, 4))]
            used += len(chunk)
            paragraph = joiner.join(chunk)
            if total + len(paragraph) > PAGE_CHARS[1] and paragraphs:
                continue  # too long for what is left of this page: skipped
            paragraphs.append(paragraph)
            total += len(paragraph)
        if total < PAGE_CHARS[0]:
            break  # the language has no text left for a full page
        pages.append(paragraphs)
    return pages


def render_page(item_id: str, lang: Language, paragraphs: list[str], path_stem: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(_seed(item_id))
    dpi = int(rng.choice([150, 200]))
    points = int(rng.integers(11, 15))
    serif = bool(rng.integers(0, 2))
    size = round(points * dpi / 72)
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin = dpi
    description = font_description(lang, serif, False, size)

    def lay_out(paragraphs: list[str]) -> Rendered:
        if _cjk_font(lang):
            return pango(prewrap(paragraphs, lang, description, size, width - 2 * margin), lang, description)
        return pango("\n\n".join(paragraphs), lang, description, width=width - 2 * margin)

    rendered = lay_out(paragraphs)
    while rendered.alpha.shape[0] > height - 2 * margin and len(paragraphs) > 1:
        paragraphs = paragraphs[:-1]
        rendered = lay_out(paragraphs)
    excerpt = bool(rng.random() < 0.5)  # a page cut to its text (a scanned excerpt), else the whole A4 sheet
    if excerpt:
        height = rendered.alpha.shape[0] + 2 * margin
    page = np.full((height, width), 255.0, np.float32)
    alpha = rendered.alpha[:height - 2 * margin, :width - 2 * margin].astype(np.float32) / 255
    page[margin:margin + alpha.shape[0], margin:margin + alpha.shape[1]] -= alpha * (255 - 25)
    degraded = bool(rng.random() < 1 / 3)
    quality = None
    if degraded:
        page = cv2.GaussianBlur(page, (0, 0), 0.6) + rng.normal(0, 8, page.shape)
        quality = int(rng.integers(70, 90))
    path = path_stem.with_suffix(".jpg" if quality else ".png")
    _save(page, path, quality)
    return path, {"text": "\n".join(rendered.lines), "render": {
        "dpi": dpi, "points": points, "size_px": size, "excerpt": excerpt, "font": description,
        "fonts_used": rendered.fonts, "noise": degraded, "jpeg_quality": quality}}


# ---- title frames -------------------------------------------------------------------------------

TITLE_LANGUAGES = ("en", "de", "fr", "es", "pl", "ru", "el", "ar", "he", "hi", "th", "ko", "ja", "zh-Hans",
                   "zh-Hant")
FRAME = (1280, 720)
LIGHT = ((255, 255, 255), (250, 240, 190), (225, 225, 225), (200, 235, 255), (255, 220, 120))


TITLE_UNITS = {True: ((1, 3), (3, 6)), False: ((2, 6), (6, 14))}  # words (letters unspaced) of titles 0 and 1


def title_strings(lang: Language, pool: list[str]) -> list[str]:
    """One string of 1-3 words and one of 3-6 (unspaced scripts: 2-6 and 6-14 letters), at least
    3 letters, without sentence punctuation."""
    out = []
    for low, high in TITLE_UNITS[lang.spaced]:
        out += [s for s in pool if low <= units(s, lang) <= high and len(s) >= 3 and s not in out
                and not re.search(r"[.,;:!?。、，！？،؛؟()]", s)][:1]
    return out


def _cover(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = max(width / w, height / h)
    resized = cv2.resize(rgb, (max(width, round(w * scale)), max(height, round(h * scale))),
                         interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    top, left = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return resized[top:top + height, left:left + width]


def _photo(rng: np.random.Generator, corpus: Path, width: int, height: int) -> tuple[np.ndarray, str]:
    name = BACKGROUNDS[int(rng.integers(0, len(BACKGROUNDS)))]
    bgr = cv2.imread(str(corpus / name), cv2.IMREAD_COLOR)
    if bgr is None:
        raise RuntimeError(f"{corpus / name} missing: the backgrounds come from the dev corpus")
    return _cover(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), width, height).astype(np.float32), name


def background(kind: str, rng: np.random.Generator, corpus: Path) -> tuple[np.ndarray, str]:
    width, height = FRAME
    if kind == "dark":
        return np.broadcast_to(rng.integers(5, 45, 3).astype(np.float32), (height, width, 3)).copy(), kind
    if kind == "gradient":
        a, b = rng.integers(0, 50, 3), rng.integers(20, 110, 3)
        if rng.random() < 0.5:
            t = np.broadcast_to(np.linspace(0, 1, height)[:, None], (height, width))
        else:
            t = (np.arange(width)[None, :] + np.arange(height)[:, None]) / (width + height)
        return (a + (b - a) * t[:, :, None]).astype(np.float32), kind
    if kind == "noise":  # one frame of an animated background: soft colour blobs and grain
        small = rng.integers(10, 90, 3) * rng.uniform(0.3, 1.7, (9, 16, 1)) + rng.normal(0, 18, (9, 16, 3))
        smooth = cv2.resize(small.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        smooth = cv2.GaussianBlur(smooth, (0, 0), 25)
        return np.clip(smooth + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.float32), kind
    rgb, name = _photo(rng, corpus, width, height)
    blurred = cv2.GaussianBlur(rgb, (0, 0), float(rng.uniform(5, 12)))
    return blurred * float(rng.uniform(0.35, 0.65)), f"photo {name}"


def title_text(text: str, lang: Language) -> str:
    """Four or more words go on two lines."""
    words = text.split(" ")
    if lang.spaced and len(words) >= 4:
        cut = (len(words) + 1) // 2
        return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
    return text


def render_title(item_id: str, lang: Language, text: str, path: Path, corpus: Path) -> dict[str, Any]:
    rng = np.random.default_rng(_seed(item_id))
    kind = ("dark", "gradient", "noise", "photo")[int(rng.integers(0, 4))]
    frame, source = background(kind, rng, corpus)
    layout = "title" if rng.random() < 0.55 else "lower_third"
    effect = ("none", "outline", "shadow")[int(rng.integers(0, 3))]
    colour = LIGHT[int(rng.integers(0, len(LIGHT)))]
    serif = bool(rng.integers(0, 2))
    width, height = FRAME
    size = int(rng.integers(56, 96)) if layout == "title" else int(rng.integers(36, 58))
    box = width - 160
    text = title_text(text, lang)
    align = "center" if layout == "title" else "left"  # Pango swaps left and right for RTL paragraphs
    while True:
        description = font_description(lang, serif, True, size)
        rendered = pango(text, lang, description, align=align)
        if rendered.alpha.shape[1] <= box or size <= 24:
            break
        size -= 4
    alpha = rendered.alpha
    h, w = alpha.shape
    if layout == "title":
        x, y = (width - w) // 2, (height - h) // 2 + int(rng.integers(-60, 60))
    else:
        x, y = (width - 80 - w) if lang.rtl else 80, height - 80 - h
    bar = layout == "lower_third" and bool(rng.random() < 0.5)
    if bar:
        top, bottom = max(0, y - size // 3), min(height, y + h + size // 4)
        frame[top:bottom] *= 0.4
    if effect == "shadow":
        offset = int(rng.integers(3, 7))
        _over(frame, cv2.GaussianBlur(alpha, (0, 0), 3), (0, 0, 0), x + offset, y + offset, 0.85)
    stroke = int(rng.integers(2, 5)) if effect == "outline" else 0
    if stroke:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * stroke + 1, 2 * stroke + 1))
        pad = np.pad(alpha, stroke)
        _over(frame, cv2.dilate(pad, kernel), (10, 10, 10), x - stroke, y - stroke)
    _over(frame, alpha, colour, x, y)
    quality = int(rng.integers(75, 92))
    _save(frame, path, quality)
    return {"text": "\n".join(rendered.lines), "render": {
        "background": source, "layout": layout, "effect": effect, "stroke_px": stroke, "bar": bar,
        "colour": list(colour), "font": description, "fonts_used": rendered.fonts, "jpeg_quality": quality}}


# ---- signs --------------------------------------------------------------------------------------

SIGN_LANGUAGES = ("en", "de", "fr", "es", "tr", "ru", "el", "ar", "he", "ko", "ja", "zh-Hans")
SIGNS_PER_LANGUAGE = 2
SIGN_CODES = 4  # signs with a code like "GM 125" (language null)
PLATES = (((20, 60, 160), (255, 255, 255)), ((0, 110, 60), (255, 255, 255)), ((180, 20, 30), (255, 255, 255)),
          ((245, 245, 240), (15, 15, 15)), ((250, 200, 0), (15, 15, 15)), ((30, 30, 30), (240, 240, 240)))


def sign_words(lang: Language, pool: list[str]) -> list[str]:
    """Single words (2-6 letters for CJK) of the language, in capitals where the script has them."""
    if lang.spaced:
        picked = [s for s in pool if " " not in s and 3 <= len(s) <= 12 and all(script_group(c) for c in s)]
    else:
        picked = [s for s in pool if 2 <= len(s) <= 6 and all(script_group(c) for c in s)]
    return [s.upper() if lang.script in ("Latin", "Cyrillic", "Greek") else s for s in picked]


def _texture(rng: np.random.Generator, corpus: Path) -> tuple[np.ndarray, str]:
    width, height = FRAME
    if rng.random() < 0.5:
        rgb, name = _photo(rng, corpus, width, height)
        return rgb, f"photo {name}"
    grain = cv2.GaussianBlur(rng.normal(0, 1, (height, width, 3)).astype(np.float32), (0, 0), 1.5)
    mortar = np.zeros((height, width), np.float32)
    course = 48
    mortar[::course, :] = 1
    for row in range(0, height, course):
        mortar[row:row + course, (course if (row // course) % 2 else 0)::2 * course] = 1
    mortar = cv2.GaussianBlur(mortar, (0, 0), 1.2)
    rgb = rng.integers(70, 170, 3) + grain * 40 - mortar[:, :, None] * 60
    return np.clip(rgb, 0, 255).astype(np.float32), "bricks"


def render_sign(item_id: str, lang: Language | None, text: str, path: Path, corpus: Path) -> dict[str, Any]:
    rng = np.random.default_rng(_seed(item_id))
    width, height = FRAME
    scene, texture = _texture(rng, corpus)
    tag = lang or BY_CODE["en"]
    plate_colour, ink = PLATES[int(rng.integers(0, len(PLATES)))]
    size = int(rng.integers(70, 120))
    description = font_description(tag, False, True, size)
    rendered = pango(text, tag, description)
    h, w = rendered.alpha.shape
    pad = round(size * 0.45)
    plate_w, plate_h = w + 2 * pad, h + 2 * pad
    plate = np.broadcast_to(np.asarray(plate_colour, np.float32), (plate_h, plate_w, 3)).copy()
    cv2.rectangle(plate, (8, 8), (plate_w - 9, plate_h - 9), ink, 4)
    _over(plate, rendered.alpha, ink, pad, pad)
    # Perspective: the plate lands on a jittered, rotated, skewed quadrilateral 30-55 % of the frame wide.
    scale = width * rng.uniform(0.3, 0.55) / plate_w
    cx, cy = width * rng.uniform(0.35, 0.65), height * rng.uniform(0.35, 0.65)
    w2, h2 = plate_w * scale / 2, plate_h * scale / 2
    angle = np.deg2rad(rng.uniform(-10, 10))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-w2, -h2], [w2, -h2], [w2, h2], [-w2, h2]]) @ rotation.T + [cx, cy]
    skew = rng.uniform(-0.18, 0.18)  # one side nearer the camera than the other
    corners[1, 1] -= skew * 2 * h2
    corners[2, 1] += skew * 2 * h2
    corners += rng.normal(0, 0.03 * h2, corners.shape)
    source = np.array([[0, 0], [plate_w, 0], [plate_w, plate_h], [0, plate_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(plate, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((plate_h, plate_w), np.float32), matrix, (width, height))[:, :, None]
    out = scene * (1 - mask) + warped * mask
    out = cv2.GaussianBlur(out, (0, 0), 0.7) + rng.normal(0, 3, out.shape)
    quality = int(rng.integers(80, 93))
    _save(out, path, quality)
    return {"text": "\n".join(rendered.lines), "render": {
        "texture": texture, "plate": list(plate_colour), "font": description, "fonts_used": rendered.fonts,
        "jpeg_quality": quality, "corners": np.round(corners, 1).tolist()}}


# ---- the set ------------------------------------------------------------------------------------


def assign_splits(items: list[dict[str, Any]]) -> None:
    """Within each (kind, language) group, sorted by sha256(id): test, dev, test, dev, …"""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault((item["kind"], str(item["language"])), []).append(item)
    for members in groups.values():
        members.sort(key=lambda it: hashlib.sha256(it["id"].encode()).hexdigest())
        for i, item in enumerate(members):
            item["split"] = "test" if i % 2 == 0 else "dev"


def package_versions() -> dict[str, str]:
    out = {}
    for name in DEBIAN_PACKAGES:
        found = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
        out[name] = found.stdout if found.returncode == 0 else "not installed"
    return out


def build(out: Path = DEFAULT_OUT, pages_per_language: int = 2, corpus: Path = CORPUS,
          force: bool = False) -> dict[str, Any]:
    """Renders the set (unless a manifest of the same recipe is there) and returns the manifest."""
    manifest_path = out / "manifest.json"
    recipe = {"generator": GENERATOR_VERSION, "django": DJANGO_VERSION, "pages_per_language": pages_per_language}
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("recipe") == recipe and all((out / it["path"]).exists() for it in manifest["items"]):
            return manifest
    versions = package_versions()
    missing = [name for name, version in versions.items() if version == "not installed"]
    if missing:
        raise RuntimeError(f"apt-get install {' '.join(missing)} (benchmarks/apt-packages-bench.txt)")
    wheel = django_wheel()
    if out.exists():
        shutil.rmtree(out)
    items: list[dict[str, Any]] = []

    def add(item_id: str, kind: str, lang: Language | None, path: Path, made: dict[str, Any]) -> None:
        items.append({"id": item_id, "path": str(path.relative_to(out)), "kind": kind,
                      "language": lang.code if lang else None, "script": lang.script if lang else "Latin",
                      "text": made["text"], "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                      "render": made["render"]})

    for lang in LANGUAGES:
        pool = strings(lang.code, wheel)
        used: set[str] = set()  # no string twice in a language, across kinds and so across splits

        def fresh(candidates: list[str], used: set[str] = used) -> list[str]:
            return [s for s in candidates if s.casefold() not in used]

        for n, paragraphs in enumerate(page_texts(lang, pool, pages_per_language)):
            item_id = f"page-{lang.code}-{n}"
            path, made = render_page(item_id, lang, paragraphs, out / "pages" / item_id)
            add(item_id, "page", lang, path, made)
            used.update(s.casefold() for s in pool if any(s in p for p in paragraphs))
        if lang.code in TITLE_LANGUAGES:
            for n, text in enumerate(title_strings(lang, fresh(pool))):
                item_id = f"title-{lang.code}-{n}"
                path = out / "title_frames" / f"{item_id}.jpg"
                add(item_id, "title_frame", lang, path, render_title(item_id, lang, text, path, corpus))
                used.add(text.casefold())
        if lang.code in SIGN_LANGUAGES:
            for n, word in enumerate(fresh(sign_words(lang, pool))[:SIGNS_PER_LANGUAGE]):
                item_id = f"sign-{lang.code}-{n}"
                path = out / "signs" / f"{item_id}.jpg"
                add(item_id, "sign", lang, path, render_sign(item_id, lang, word, path, corpus))
    for n in range(SIGN_CODES):
        rng = np.random.default_rng(_seed("sign-code", n))
        letters = "".join(chr(int(c)) for c in rng.integers(ord("A"), ord("Z") + 1, 2))
        item_id = f"sign-code-{n}"
        path = out / "signs" / f"{item_id}.jpg"
        text = f"{letters} {int(rng.integers(10, 999))}"
        add(item_id, "sign", None, path, render_sign(item_id, None, text, path, corpus))
    assign_splits(items)
    manifest = {
        "recipe": recipe,
        "sources": {"text": f"Django {DJANGO_VERSION} wheel from PyPI ({DJANGO_WHEEL}, sha256 {DJANGO_SHA256}): "
                            "django/{conf,contrib/*}/locale/*/LC_MESSAGES/django*.po",
                    "debian_packages": versions},
        "items": [{k: item[k] for k in ("id", "path", "kind", "language", "script", "split", "text", "sha256",
                                        "render")} for item in items],
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def summary(manifest: dict[str, Any]) -> str:
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for item in manifest["items"]:
        key = (item["kind"], str(item["language"] or "-"), item["script"])
        counts.setdefault(key, {"dev": 0, "test": 0})[item["split"]] += 1
    lines = ["| kind | language | script | dev | test |", "|---|---|---|---|---|"]
    for (kind, language, script), split in sorted(counts.items()):
        lines.append(f"| {kind} | {language} | {script} | {split['dev']} | {split['test']} |")
    items = manifest["items"]
    total = {s: sum(1 for it in items if it["split"] == s) for s in ("dev", "test")}
    lines.append(f"| all | {len({it['language'] for it in items if it['language']})} languages | "
                 f"{len({it['script'] for it in items})} scripts | {total['dev']} | {total['test']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pages", type=int, default=2, help="pages per language (default 2)")
    parser.add_argument("--force", action="store_true", help="render again even if the manifest is current")
    args = parser.parse_args(argv)
    manifest = build(args.out, args.pages, force=args.force)
    print(summary(manifest))
    print(f"{len(manifest['items'])} items in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
