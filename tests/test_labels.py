"""The fixed words cardgen prints, as data in every language of examples/languages/."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardgen.errors import CardgenError
from cardgen.input.labels import (
    hours_words,
    label,
    label_keys,
    labels_dir,
    languages_of,
    load_labels,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "languages"
LANGUAGES = sorted(["en", *(p.stem for p in EXAMPLES.glob("*.yaml"))])


def test_every_label_is_in_english_and_the_ten_example_languages() -> None:
    assert len(LANGUAGES) == 11
    assert {"sms", "sms_with_keyword", "whatsapp", "free", "any_time"} <= set(label_keys())
    for key in label_keys():
        assert languages_of(key) == LANGUAGES, key


def test_label_fills_placeholders_and_falls_back() -> None:
    assert label("sms_with_keyword", "en", keyword="SHOUT") == "Text SHOUT to"
    assert label("sms_with_keyword", "pt-BR", keyword="AJUDA") == "Envie AJUDA para"
    assert label("sms_with_keyword", "PT_br", keyword="AJUDA") == "Envie AJUDA para"
    assert label("free", "de") == "Free"
    assert label("free", "ur") == "مفت"
    assert label("free", "ur-PK") == "مفت"


def test_unknown_key_or_missing_value_is_a_bug() -> None:
    with pytest.raises(KeyError):
        label("no_such_label", "en")
    with pytest.raises(KeyError):
        label("sms_with_keyword", "en")


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_files_are_merged(tmp_path: Path) -> None:
    folder = _folder(tmp_path, card='free: {en: "Free", pl: "Bezpłatnie"}\n',
                     channels='call: {en: "Call {number}"}\n')
    assert load_labels(folder) == {"free": {"en": "Free", "pl": "Bezpłatnie"},
                                   "call": {"en": "Call {number}"}}


@pytest.mark.parametrize(("files", "said"), [
    ({"a": 'free: {en: "Free"}\n', "b": 'free: {en: "No charge"}\n'},
     "'free' is already defined in a.yaml"),
    ({"a": 'free: {en: "Free"}\nfree: {en: "Gratis"}\n'}, "not valid YAML"),
    ({"a": 'free: {pl: "Bezpłatnie"}\n'}, "no 'en' wording"),
    ({"a": 'free: "Free"\n'}, "must map language tags to wordings"),
    ({"a": 'call: {en: "Call {number}", pl: "Zadzwoń"}\n'}, "placeholders"),
    ({"a": "- free\n"}, "must map label keys"),
    ({"hours": 'free: {en: "Free {when}"}\n'}, "hours words print as they are"),
])
def test_bad_label_files_are_refused_at_load(tmp_path: Path, files: dict[str, str],
                                             said: str) -> None:
    with pytest.raises(CardgenError) as caught:
        load_labels(_folder(tmp_path, **files))
    assert caught.value.code == "CG780"
    assert said in str(caught.value)


def test_the_hours_words_are_the_keys_of_hours_yaml() -> None:
    assert hours_words() == ("any_time", "every_day", "free", "free_any_time")
    assert set(hours_words()) <= set(label_keys())


def test_shipped_labels_folder_loads() -> None:
    assert set(load_labels(labels_dir())) == set(label_keys())


def test_a_tag_naming_its_script_takes_no_wording_in_another_script() -> None:
    assert label("free", "pa-Guru") == "ਮੁਫ਼ਤ"
    assert label("free", "ur-Arab") == "مفت"
    # Shahmukhi Punjabi: not the Gurmukhi wording of "pa"; English until it has its own.
    assert label("free", "pa-Arab") == "Free"
    assert label("sms_with_keyword", "pa-Arab", keyword="SHOUT") == "Text SHOUT to"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_prints_its_sms_and_whatsapp_labels(language: str) -> None:
    from cardgen.input.model import CardSpec
    from cardgen.layout.designs import load_design
    from cardgen.layout.face import layout_face
    from cardgen.text.measure import load_font_family

    spec = CardSpec.model_validate({
        "campaign": "Labels", "language": language,
        "front": {"helplines": ["shout", "line"]},
        "helplines": {"shout": {"name": "Shout", "sms": "85258", "sms_body": "SHOUT"},
                      "line": {"name": "Line", "sms": "85258",
                               "whatsapp": "+44 7700 900123"}},
    })
    face, problems = layout_face(spec, "front", design=load_design("classic", EXAMPLES),
                                 fonts=load_font_family("Atkinson Hyperlegible", EXAMPLES),
                                 card_w=55.0, card_h=85.0, qr_payload=None,
                                 base_dir=EXAMPLES)
    assert face is not None, problems  # every character of every label has a font
    printed = " ".join(item.text for item in face.text_items)
    for wording in (label("sms_with_keyword", language, keyword="SHOUT"),
                    label("sms", language), label("whatsapp", language)):
        assert " ".join(wording.split()) in printed, wording
