"""The OCR analyser on the dev corpus: document pages, a rotated page, scene text, photos without text."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.ocr_accuracy import cer, levenshtein, normalise, page_language, words
from medialens.analysis import ocr as ocr_module
from medialens.analysis.decode import DecodedImage, decode_image
from medialens.analysis.ocr import Block, Line, OcrAnalyser, group_boxes, is_document, join_words
from medialens.analysis.text_detect import DetectorConfig, TextBox, boxes_from_map, crop
from medialens.schemas import OcrResult

PAGES = {  # file → language of the page
    "ocr/pdf_pages/debian_history_en_p7.png": "en",
    "ocr/pdf_pages/debian_history_de_p7.png": "de",
    "ocr/pdf_pages/debian_history_ru_p7.png": "ru",
    "ocr/pdf_pages/debian_history_ja_p7.png": "ja",
    "ocr/tesserocr_eurotext.png": "en",
}
TEXT_FREE = ("skimage_chelsea_cat.png", "skimage_coffee.png", "opencv_fruits.jpg", "sklearn_flower.jpg",
             "skimage_rocket.jpg", "dlib_dogs.jpg", "opencv_leuven_street.jpg")


@pytest.fixture(scope="module")
def analyser() -> OcrAnalyser:
    return OcrAnalyser()


def load(corpus, name: str) -> DecodedImage:
    return decode_image((corpus / name).read_bytes(), max_pixels=10**8)


def reference(corpus, name: str) -> str:
    return (corpus / name).with_suffix(".gt.txt").read_text()


def text_of(results: list[dict]) -> str:
    return "\n".join(r["full_text"] for r in results)


def checked(results: dict) -> list[dict]:
    assert set(results) == {"ocr_results"}
    for r in results["ocr_results"]:
        OcrResult.model_validate(r)
        assert r["full_text"].strip()
    return results["ocr_results"]


# ---- corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_document_page_is_read_in_its_language(analyser, corpus, name):
    results = checked(analyser.analyse(load(corpus, name)))
    error = cer(text_of(results), reference(corpus, name))
    assert error <= 0.10, f"{name}: CER {error:.2%}"
    assert page_language(results) == PAGES[name]


def test_mixed_pages_get_a_language_per_block(analyser, corpus):
    ru = checked(analyser.analyse(load(corpus, "ocr/pdf_pages/debian_history_ru_p7.png")))
    # the Russian page quotes two English paragraphs: they are blocks of their own
    assert {r["language_code"] for r in ru} == {"ru", "en"}
    assert any(r["language_code"] == "en" and "officially founded by Ian Murdock" in r["full_text"] for r in ru)
    euro = checked(analyser.analyse(load(corpus, "ocr/tesserocr_eurotext.png")))
    languages = [r["language_code"] for r in euro]
    assert {"en", "de", "fr"} <= set(languages), languages
    german = next(r["full_text"] for r in euro if r["language_code"] == "de")
    assert "über" in german  # read again with deu: the umlaut survives


@pytest.mark.parametrize(("name", "quarter_turns"), [("ocr/pdf_pages/debian_history_en_p7.png", 1),
                                                     ("ocr/tesserocr_eurotext.png", 2)])
def test_rotated_page_is_still_read(analyser, corpus, name, quarter_turns):
    image = load(corpus, name)
    turned = DecodedImage(np.ascontiguousarray(np.rot90(image.rgb, k=quarter_turns)),
                          image.original_height, image.original_width, image.format)
    results = checked(analyser.analyse(turned))
    error = cer(text_of(results), reference(corpus, name))
    assert error <= 0.10, f"{name} turned {90 * quarter_turns}°: CER {error:.2%}"
    assert page_language(results) == PAGES[name]


def test_scene_text_sign(analyser, corpus):
    results = checked(analyser.analyse(load(corpus, "ocr/opencv_scenetext01.jpg")))
    expected = words(reference(corpus, "ocr/opencv_scenetext01.jpg"))
    assert words(text_of(results)) >= expected, text_of(results)
    # one sign = one block, read top to bottom
    assert len(results) == 1
    assert normalise(results[0]["full_text"]).casefold() == "notice double parking prohibited at all times"
    assert results[0]["language_code"] == "en"


def test_scene_text_two_signs(analyser, corpus):
    results = checked(analyser.analyse(load(corpus, "ocr/opencv_scenetext05.jpg")))
    # two barriers, one sign each, far apart: two blocks. Both print "NO PARKING" with
    # almost no gap: the recogniser reads the letters, `eng` finds the near sign's space.
    assert len(results) == 2, results
    for r in results:
        assert r["full_text"].casefold().replace(" ", "") == "noparking"
        assert r["language_code"] in (None, "en")  # 9 letters: too short for py3langid
    assert "NO PARKING" in [r["full_text"] for r in results]


def test_scene_text_word_crop(analyser, corpus):
    results = checked(analyser.analyse(load(corpus, "ocr/opencv_scenetext_word01.jpg")))
    assert [r["full_text"].casefold() for r in results] == ["china"]
    assert results[0]["language_code"] is None  # five letters: no language guess


@pytest.mark.parametrize("name", TEXT_FREE)
def test_photo_without_text_yields_nothing(analyser, corpus, name):
    assert checked(analyser.analyse(load(corpus, f"images/general/{name}"))) == []


def test_no_text_detected_means_no_tesseract_call(analyser, corpus, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Tesseract called on a photo without detected text")

    for name in ("image_to_data", "image_to_osd", "image_to_string"):
        monkeypatch.setattr(ocr_module.pytesseract, name, forbidden)
    monkeypatch.setattr(ocr_module.pytesseract.pytesseract, "run_tesseract", forbidden)
    image = load(corpus, "images/general/skimage_chelsea_cat.png")
    assert analyser._detector.detect(image.rgb) == []
    assert analyser.analyse(image) == {"ocr_results": []}


def test_a_tesseract_failure_costs_the_ocr_only(analyser, corpus, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ocr_module.pytesseract.TesseractError(1, "simulated crash")

    monkeypatch.setattr(ocr_module.pytesseract, "image_to_data", broken)
    monkeypatch.setattr(ocr_module.pytesseract.pytesseract, "run_tesseract", broken)  # pages: tsv + text in one run
    assert analyser.analyse(load(corpus, "ocr/pdf_pages/debian_history_en_p7.png")) == {"ocr_results": []}
    assert "simulated crash" in caplog.text
    # a Latin photo needs no Tesseract: the recogniser alone reads it
    sign = checked(analyser.analyse(load(corpus, "ocr/opencv_scenetext01.jpg")))
    assert "PROHIBITED" in text_of(sign)


def test_blank_and_tiny_images(analyser):
    for rgb in (np.full((600, 800, 3), 255, np.uint8), np.zeros((1, 1, 3), np.uint8),
                np.full((3, 2000, 3), 90, np.uint8)):
        assert analyser.analyse(DecodedImage(rgb, rgb.shape[1], rgb.shape[0], "PNG")) == {"ocr_results": []}


# ---- generated images: scripts and languages the corpus photos do not have ---------------

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # Debian fonts-dejavu-core
UKRAINIAN = ["Проект Debian — це всесвітня група добровольців, які",
             "докладають зусиль для створення дистрибутиву операційної",
             "системи, що складається виключно з вільного програмного",
             "забезпечення. Основним продуктом проекту на сьогодні є",
             "дистрибутив програмного забезпечення Debian GNU/Linux, який",
             "містить ядро операційної системи Linux і тисячі",
             "попередньо упакованих застосунків. Підтримуються різні",
             "типи процесорів, зокрема 32- та 64-бітні x86, ARM і MIPS.",
             "Ян Мердок офіційно заснував проект шістнадцятого серпня."]


def drawn(background: np.ndarray, lines: list[str], size: int, at: tuple[int, int]) -> DecodedImage:
    """Lines of dark text on a light panel pasted into `background`."""
    from PIL import Image, ImageDraw, ImageFont

    if not Path(FONT).is_file():
        pytest.skip(f"{FONT} not installed")
    font = ImageFont.truetype(FONT, size)
    width = max(int(font.getbbox(line)[2]) for line in lines) + 30
    panel = Image.new("RGB", (width, len(lines) * (size + 14) + 20), (245, 245, 235))
    draw = ImageDraw.Draw(panel)
    for i, line in enumerate(lines):
        draw.text((15, 10 + i * (size + 14)), line, font=font, fill=(20, 30, 120))
    image = Image.fromarray(background)
    image.paste(panel, at)
    rgb = np.asarray(image)
    return DecodedImage(rgb, rgb.shape[1], rgb.shape[0], "PNG")


def test_sign_in_cyrillic_is_read_with_the_russian_pack(analyser, corpus):
    street = load(corpus, "images/general/opencv_leuven_street.jpg").rgb
    results = checked(analyser.analyse(drawn(street, ["Добро пожаловать", "Выход в город"], 30, (40, 40))))
    assert [r["language_code"] for r in results] == ["ru"]
    assert words(results[0]["full_text"]) >= words("добро пожаловать выход в")


def test_sign_in_german_is_read_again_with_the_german_pack(analyser, corpus):
    street = load(corpus, "images/general/opencv_leuven_street.jpg").rgb
    results = checked(analyser.analyse(drawn(street, ["Straße gesperrt für", "Fahrzeuge über 3,5 t"], 30, (40, 40))))
    assert [r["language_code"] for r in results] == ["de"]
    assert words(results[0]["full_text"]) >= words("Straße gesperrt für Fahrzeuge über")  # eng alone: "Strafe", "fur"


def test_ukrainian_page_is_read_again_with_the_ukrainian_pack(analyser):
    page = drawn(np.full((520, 1100, 3), 255, np.uint8), UKRAINIAN, 24, (0, 0))
    results = checked(analyser.analyse(page))
    assert page_language(results) == "uk"
    assert cer(text_of(results), "\n".join(UKRAINIAN)) <= 0.05


# ---- languages ---------------------------------------------------------------------------


def test_short_blocks_take_the_image_language_or_none(analyser):
    alone = analyser._finish([Block([Line("CHINA", 95.0, "eng")])], merge=False)
    assert [(b.language, b.text) for b in alone] == [(None, "CHINA")]
    long = Line("The Debian Project is a worldwide group of volunteers", 95.0, "eng")
    mixed = analyser._finish([Block([long]), Block([Line("Chapter 1", 95.0, "eng")])], merge=False)
    assert [b.language for b in mixed] == ["en", "en"]


def test_languages_from_script_for_cjk(analyser):
    assert analyser._identify("プロジェクト")[0] == "ja"
    assert analyser._identify("中文文本")[0] == "zh"
    assert analyser._identify("Краткая история проекта Debian")[0] == "ru"
    assert analyser._identify("1 / 21") is None


def test_junk_blocks_are_dropped(analyser):
    blocks = [Block([Line("»", 81.0, "eng")]), Block([Line("~-= 1 ;", 70.0, "eng")]), Block([Line("wa", 69.0, "eng")])]
    assert analyser._finish(blocks, merge=False) == []


# ---- pure helpers ------------------------------------------------------------------------


def test_cjk_words_are_joined_without_spaces():
    assert join_words(["序文", "--", "Debian", "プロジェクト", "とは"]) == "序文 -- Debian プロジェクトとは"


def test_cer_and_levenshtein():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert cer("Hello  world\n", "Hello world") == 0.0
    assert cer("プロジェクト と は", "プロジェクトとは") == 0.0
    assert cer("xxxxx", "Hello") == 1.0


def test_db_postprocessing_finds_and_unclips_a_line():
    prob = np.zeros((64, 128), np.float32)
    prob[28:36, 20:100] = 0.9  # a shrunk text kernel, 80 × 8 map pixels
    cfg = DetectorConfig(unclip_ratio=1.6)
    (box,) = boxes_from_map(prob, 128, 256, cfg)  # image is twice the map size
    assert 0.7 <= box.score <= 0.9  # mean probability inside the (dilated) kernel's rectangle
    # offset d = area · ratio / perimeter (~5.6 map px) on every side, then ×2 to the image
    w, h = 80, 8
    d = w * h * 1.6 / (2 * (w + h))
    assert box.size[0] == pytest.approx(2 * (w + 2 * d), rel=0.1)
    assert box.size[1] == pytest.approx(2 * (h + 2 * d), rel=0.15)
    assert box.center == pytest.approx((120, 64), abs=3)
    assert boxes_from_map(np.full((64, 128), 0.1, np.float32), 128, 256, cfg) == []


def test_crop_deskews_a_tilted_box():
    rgb = np.zeros((200, 300, 3), np.uint8)
    box = TextBox(center=(150.0, 100.0), size=(120.0, 30.0), angle=20.0, score=1.0)
    cv2.fillPoly(rgb, [np.round(box.points).astype(np.int32)], (255, 255, 255))
    out = crop(rgb, box, pad=-0.2)
    assert out.shape[:2] == (18, 108)
    assert out.mean() > 250  # all inside the tilted white bar


def test_grouping_into_blocks():
    line = lambda y, x=100.0, w=200.0, h=30.0: TextBox((x, y), (w, h), 0.0, 0.9)  # noqa: E731
    sign = [line(100), line(140), line(180), line(220, x=60, w=50), line(220, x=140, w=80)]
    far = [line(600, x=700)]
    blocks = group_boxes(sign + far)
    assert blocks == [[[0], [1], [2], [3, 4]], [[5]]]
    # a much taller line next to them is not the same block
    assert len(group_boxes([line(100), line(150, h=80)])) == 2


def test_document_rule():
    lines = [TextBox((500.0, 50.0 + 40 * i), (800.0, 30.0), 0.0, 0.8) for i in range(10)]
    assert is_document(lines, 1000, 1000)
    assert not is_document(lines[:5], 1000, 1000)  # few lines: a photo with a sign
    assert not is_document(lines, 10000, 10000)  # many lines, tiny share of the image


def test_language_tag_names_the_script_where_the_reading_tells_it(analyser):
    tag = analyser._tag
    assert tag(Block([Line("這個欄位是必填的", 90.0, "chi_tra+eng")], "zh")) == "zh-Hant"
    assert tag(Block([Line("这个栏位是必填的", 90.0, "chi_sim+eng")], "zh")) == "zh-Hans"
    assert tag(Block([Line("这个栏位", 99.0, "ppocr_rec")], "zh")) == "zh"  # the recogniser reads both alike
    assert tag(Block([Line("Ovo polje je obavezno", 90.0, "srp_latn")], "sr")) == "sr-Latn"
    assert tag(Block([Line("Ово поље је обавезно", 90.0, "srp")], "sr")) == "sr"
    assert tag(Block([Line("Der schnelle braune Fuchs", 90.0, "deu")], "de")) == "de"
    assert tag(Block([Line("GM 125", 99.0, "ppocr_rec")], None)) is None


def test_a_latin_word_is_replaced_as_a_word():
    from medialens.analysis.ocr import _replace_word

    assert _replace_word("Debian an τον", "an", "") == "Debian  τον"
    assert _replace_word("Eva λεπτό", "Eva", "Ένα") == "Ένα λεπτό"
    assert _replace_word("、Debianプロ", "Debian", "X") == "、Xプロ"


def test_a_latin_word_in_another_script_stays_where_eng_alone_reads_it_too():
    from medialens.analysis.ocr import _same_latin_word

    def eng(text: str, confidence: float) -> Line:
        return Line(text, confidence, "eng", words=[(w, confidence, (0, 0, 1, 1)) for w in text.split()])

    box = (0, 0, 1, 1)
    assert _same_latin_word(("、Debian", 86.0, box), eng("Debian", 54.0))  # a neighbour's comma, eng unsure
    assert _same_latin_word(("lan", 73.0, box), eng("Tan", 91.0))  # one letter in three misread
    assert _same_latin_word(("Debian", 91.0, box), eng("Debian (LEE,", 96.0))  # a neighbour read too
    assert not _same_latin_word(("RA)", 87.0, box), eng("Ra)", 31.0))  # Han glyphs eng alone doubts
    assert not _same_latin_word(("AAS", 74.0, box), eng("445", 60.0))  # other letters
    assert not _same_latin_word(("Bio\u200f", 70.0, box), eng("rakes", 4.0))
    assert not _same_latin_word(("SPI", 90.0, box), None)


def lettered(background: tuple[int, int, int], colour: tuple[int, int, int], text: str, size: int) -> DecodedImage:
    """One line of text on a plain 960x540 frame (a title card, a label)."""
    from PIL import Image, ImageDraw, ImageFont

    if not Path(FONT).is_file():
        pytest.skip(f"{FONT} not installed")
    image = Image.new("RGB", (960, 540), background)
    ImageDraw.Draw(image).text((80, 230), text, font=ImageFont.truetype(FONT, size), fill=colour)
    rgb = np.asarray(image)
    return DecodedImage(rgb, rgb.shape[1], rgb.shape[0], "PNG")


@pytest.mark.parametrize("text", ["SANYO", "MoviePy", "HOTEL", "GM 125"])
def test_latin_labels_stay_latin(analyser, text):
    # all of them were read with Cyrillic packs ("ЗАМУО", "МемеРу") or dropped ("GM 125": two letters)
    results = checked(analyser.analyse(lettered((235, 235, 225), (20, 20, 20), text, 64)))
    assert [r["full_text"] for r in results] == [text]


def test_a_light_title_on_dark_is_read_whole(analyser):
    results = checked(analyser.analyse(lettered((12, 14, 30), (250, 240, 190), "Peach Project presents", 56)))
    assert [(r["full_text"], r["language_code"]) for r in results] == [("Peach Project presents", "en")]


def test_a_coarse_pass_decides_whether_the_full_text_detector_runs(analyser, corpus):
    from medialens.analysis.ocr import COARSE_SIDE

    detector = analyser._detector
    sign = load(corpus, "ocr/opencv_scenetext01.jpg")
    assert detector.any_text(sign.preview, COARSE_SIDE)
    plain = load(corpus, "images/faces/dlib_voc_2007_007763.jpg")  # no text: its coarse maximum is 0.01
    assert not detector.any_text(plain.preview, COARSE_SIDE)
    assert analyser.read(plain) == []
