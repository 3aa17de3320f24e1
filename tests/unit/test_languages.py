"""The language table against what is installed and what the language identifier knows."""

from __future__ import annotations

from medialens.analysis.languages import BY_PACK, LANGUAGES, installed_packs, is_language_pack, script_of, scripts


def test_every_installed_language_pack_has_a_row():
    installed = installed_packs()
    assert {"eng", "osd", "Latin", "Greek"} <= installed  # script models too
    missing = sorted(p for p in installed if is_language_pack(p) and p not in BY_PACK)
    assert missing == [], f"add rows for {missing} to medialens/analysis/languages.py"


def test_rows_are_unique_and_codes_are_bcp47_shaped():
    assert len(BY_PACK) == len(LANGUAGES)
    for language in LANGUAGES:
        base, *rest = language.code.split("-")
        assert base.islower() and 2 <= len(base) <= 3, language
        assert all(part[:1].isupper() and len(part) == 4 for part in rest), language


def test_every_script_the_identifier_must_tell_apart_has_its_languages():
    assert [x.code for x in scripts()["Latin"][:2]] == ["en", "es"]  # the fallback comes first
    assert {x.code for x in scripts()["Cyrillic"]} >= {"ru", "uk", "bg", "sr"}
    assert script_of("Han") == "HanS" and script_of("Katakana") == "Japanese" and script_of("Latin") == "Latin"
    assert {x.code for x in scripts()["HanT"]} == {"zh-Hant"}


def test_the_identifier_knows_most_languages_of_the_table():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    labels = set(LanguageIdentifier.from_model_file(MODEL_FILE).labels)
    known = {x.base for x in LANGUAGES} & labels
    assert len(known) >= 80, len(known)
    assert {"vi", "lt", "lv", "el", "zh", "ja", "ko", "ar", "he", "hi", "th", "uk"} <= known
