"""The languages Tesseract can read: one row each, the one home of pack, code and script.

A row is a Tesseract language pack (Debian's tesseract-ocr-<pack>), the BCP-47 tag we report
(the ISO 639-1 code where there is one, as ``language_code``; the three-letter ISO 639 code
otherwise; Chinese as zh-Hans / zh-Hant) and its script, named as Tesseract names its script
models (``Latin.traineddata``, ``Cyrillic.traineddata``, ...). Within a script the rows are
ordered by how much text the world writes in each language: the first one installed is the
script's fallback for text too short to identify.

Tesseract's OSD names scripts by Unicode script (Han, Katakana, Hangul, ...) and some by
language (Japanese, Korean): ``OSD_SCRIPTS`` maps its names to ours. Vertical-text packs
(``*_vert``), ``osd`` and the script models themselves are not languages and have no row;
tests/unit/test_languages.py checks that every other installed pack has one.
"""

from __future__ import annotations

import subprocess
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Language:
    pack: str  # Tesseract traineddata name
    code: str  # BCP-47 tag reported as language_code
    script: str  # Tesseract's script model name

    @property
    def base(self) -> str:
        """The language subtag (zh for zh-Hans, sr for sr-Latn): what language identifiers return."""
        return self.code.split("-")[0]


# pack code script, one per line, grouped by script, most written language first.
_ROWS = """
eng en Latin
spa es Latin
por pt Latin
fra fr Latin
deu de Latin
ind id Latin
ita it Latin
tur tr Latin
vie vi Latin
pol pl Latin
nld nl Latin
msa ms Latin
ron ro Latin
ces cs Latin
hun hu Latin
swe sv Latin
fil fil Latin
uzb uz Latin
aze az Latin
dan da Latin
fin fi Latin
nor no Latin
slk sk Latin
hrv hr Latin
bos bs Latin
srp_latn sr-Latn Latin
lit lt Latin
slv sl Latin
lav lv Latin
est et Latin
cat ca Latin
glg gl Latin
eus eu Latin
afr af Latin
swa sw Latin
jav jv Latin
sun su Latin
ceb ceb Latin
hat ht Latin
yor yo Latin
sqi sq Latin
isl is Latin
gle ga Latin
cym cy Latin
gla gd Latin
bre br Latin
fry fy Latin
ltz lb Latin
mlt mt Latin
fao fo Latin
oci oc Latin
cos co Latin
kmr ku Latin
que qu Latin
mri mi Latin
ton to Latin
epo eo Latin
lat la Latin
ita_old it Latin
spa_old es Latin
enm enm Latin
frm frm Latin
frk de Fraktur
rus ru Cyrillic
ukr uk Cyrillic
bel be Cyrillic
bul bg Cyrillic
srp sr Cyrillic
kaz kk Cyrillic
mkd mk Cyrillic
kir ky Cyrillic
tgk tg Cyrillic
tat tt Cyrillic
mon mn Cyrillic
uzb_cyrl uz-Cyrl Cyrillic
aze_cyrl az-Cyrl Cyrillic
ell el Greek
grc grc Greek
ara ar Arabic
fas fa Arabic
urd ur Arabic
pus ps Arabic
uig ug Arabic
snd sd Arabic
heb he Hebrew
yid yi Hebrew
hin hi Devanagari
mar mr Devanagari
nep ne Devanagari
san sa Devanagari
ben bn Bengali
asm as Bengali
chi_sim zh-Hans HanS
chi_tra zh-Hant HanT
jpn ja Japanese
kor ko Hangul
tha th Thai
tam ta Tamil
tel te Telugu
kan kn Kannada
mal ml Malayalam
guj gu Gujarati
pan pa Gurmukhi
ori or Oriya
sin si Sinhala
kat ka Georgian
kat_old ka Georgian
hye hy Armenian
amh am Ethiopic
tir ti Ethiopic
khm km Khmer
lao lo Lao
mya my Myanmar
bod bo Tibetan
dzo dz Tibetan
syr syr Syriac
div dv Thaana
chr chr Cherokee
iku iu Canadian_Aboriginal
"""
LANGUAGES: tuple[Language, ...] = tuple(Language(*line.split()) for line in _ROWS.strip().splitlines())
BY_PACK = {language.pack: language for language in LANGUAGES}

# OSD's script names -> ours. Han alone cannot tell Simplified from Traditional: HanS first.
OSD_SCRIPTS = {"Han": "HanS", "Katakana": "Japanese", "Hiragana": "Japanese", "Korean": "Hangul"}
NOT_LANGUAGES = ("osd", "equ")


def script_of(osd_script: str) -> str:
    return OSD_SCRIPTS.get(osd_script, osd_script)


@cache
def scripts() -> dict[str, tuple[Language, ...]]:
    """Script -> its languages, most written first."""
    out: dict[str, list[Language]] = {}
    for language in LANGUAGES:
        out.setdefault(language.script, []).append(language)
    return {script: tuple(rows) for script, rows in out.items()}


def is_language_pack(pack: str) -> bool:
    """A traineddata name that reads one language (not OSD, a script model or vertical text)."""
    return pack not in NOT_LANGUAGES and not pack.endswith("_vert") and not pack[:1].isupper()


# Unicode character-name prefixes that differ from the script model's name.
_UNICODE_SCRIPTS = {"CJK": "HanS", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "CANADIAN": "Canadian_Aboriginal",
                    "FULLWIDTH": "Latin", "HALFWIDTH": "Japanese"}


@cache
def char_script(ch: str) -> str | None:
    """The script of one letter, named as the table names scripts (None for other characters)."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    script = _UNICODE_SCRIPTS.get(first, first.capitalize())
    return script if script in scripts() else None


def text_script(text: str) -> str | None:
    """The script most of a text's letters are in; any kana makes Han text Japanese."""
    counts = Counter(s for s in map(char_script, text) if s)
    if not counts:
        return None
    if counts["Japanese"] and counts["HanS"]:
        counts["Japanese"] += counts.pop("HanS")
    return counts.most_common(1)[0][0]


def installed_packs() -> frozenset[str]:
    """Every traineddata Tesseract finds, script models included (pytesseract's
    get_languages drops the capitalised script model names)."""
    import pytesseract

    listing = subprocess.run([pytesseract.pytesseract.tesseract_cmd, "--list-langs"], capture_output=True,
                             text=True, timeout=30, check=True).stdout
    return frozenset(line.strip() for line in listing.splitlines()[1:] if line.strip())
