"""Every way to reach help: email, web chat, off the bill, silent calls, contact cards.

What a user checks: the QR codes decoded back from the built PDF, the words pdftotext reads
off the card (in English and Urdu), and each mistake's code, position and fix.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import run_cli, write
from hypothesis import given
from hypothesis import strategies as st
from pdfprobe import decode_page
from ruamel.yaml import YAML

from cardgen.checks import channels
from cardgen.input.labels import label, labels_dir

NSPCC = """\
campaign: NSPCC channels
region: GB
card: {design: discreet}
front:
  title: Need to talk?
  qr: nspcc
back:
  title: Free, confidential help
  helplines: [nspcc]
  footer: If you are in danger right now, call 999.
helplines:
  nspcc:
    name: NSPCC Helpline
    phone: 0808 800 5000
    email: help@nspcc.org.uk
    email_subject: Need to talk
    chat: https://www.nspcc.org.uk/chat
    contact_name: Sam
print: {copies: 10}
variants:
  - {id: by-phone}
  - {id: by-email, front: {qr: nspcc.email}}
  - {id: by-chat, front: {qr: nspcc.chat}}
  - {id: as-contact, front: {qr: null, qr_contact: nspcc}}
"""

LANGUAGES = ("en", "ar", "bn", "es", "gu", "it", "pa", "pl", "pt", "ro", "ur")


def _pdftotext(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
    return subprocess.run([tool, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _check(tmp_path: Path, text: str, *extra: str) -> tuple[int, str]:
    result = run_cli("check", *extra, str(write(tmp_path, text)))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def nspcc_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nspcc")
    source = write(out, NSPCC)
    result = run_cli("build", str(source), "-o", str(out / "output"))
    assert result.exit_code == 0, result.output
    return out / "output" / "nspcc-channels.pdf"


# --- QR targets --------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "payload"), [
    (0, "tel:+448088005000"),
    (2, "mailto:help@nspcc.org.uk?subject=Need%20to%20talk"),
    (4, "https://www.nspcc.org.uk/chat"),
])
def test_each_way_to_reach_the_nspcc_is_a_qr_target(nspcc_pdf: Path, page: int,
                                                     payload: str) -> None:
    # one variant a sheet, front then back: pages 0, 2, 4 and 6 are the fronts
    assert decode_page(nspcc_pdf, page) == [payload] * 10


def test_a_contact_card_decodes_to_the_neutral_name_and_the_number(nspcc_pdf: Path) -> None:
    decoded = set(decode_page(nspcc_pdf, 6))
    assert len(decoded) == 1
    fields = channels.parse_mecard(decoded.pop())
    assert fields == [("N", "Sam"), ("TEL", "+448088005000"), ("EMAIL", "help@nspcc.org.uk"),
                      ("URL", "https://www.nspcc.org.uk/chat")]


def test_the_back_prints_the_email_and_chat_with_their_labels(nspcc_pdf: Path) -> None:
    text = _pdftotext(nspcc_pdf)
    assert "Email help@nspcc.org.uk" in text
    assert "Chat online www.nspcc.org.uk/chat" in text
    assert "0808 800 5000" in text


def test_the_manifest_lists_every_payload(nspcc_pdf: Path) -> None:
    manifest = (nspcc_pdf.parent / "nspcc-channels.manifest.csv").read_text(encoding="utf-8")
    assert "mailto:help@nspcc.org.uk?subject=Need%20to%20talk" in manifest
    assert "MECARD:N:Sam;TEL:+448088005000;" in manifest


def test_a_helpline_may_be_reached_by_email_alone(tmp_path: Path) -> None:
    text = NSPCC.split("variants:")[0].replace("    phone: 0808 800 5000\n", "").replace(
        "    chat: https://www.nspcc.org.uk/chat\n", "")
    result = run_cli("build", str(write(tmp_path, text)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert decode_page(tmp_path / "out" / "nspcc-channels.pdf", 0) == [
        "mailto:help@nspcc.org.uk?subject=Need%20to%20talk"] * 10


# --- printed promises, in English and Urdu ---------------------------------------------

ONE_CARD = """\
campaign: Promises
region: GB
language: {language}
card: {{design: classic}}
front:
  title: "{title}"
  helplines: [nspcc]
  silent_call: true
helplines:
  nspcc:
    name: NSPCC
    phone: 0808 800 5000
    shows_on_bill: false
print: {{sheet: {sheet}, copies: 1}}
"""


def _words(text: str) -> list[str]:
    """The words of `text`, letters and digits only (punctuation and direction marks apart)."""
    return "".join(ch if ch.isalnum() else " " for ch in text).split()


def _flat(text: str) -> str:
    """pdftotext's text without its direction marks, on one line."""
    marks = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"), " ")
    return " ".join(text.translate(marks).split())


@pytest.mark.parametrize(("language", "title"), [("en", "Need to talk?"),
                                                 ("ur", "کیا آپ بات کرنا چاہتے ہیں؟")])
def test_off_the_bill_and_silent_call_lines_print_in_the_cards_language(
        tmp_path: Path, language: str, title: str) -> None:
    # Urdu on a4-10up: on print-shop pages, Nastaliq lines are reported inside the 3 mm
    # safe area (CG520) on main already, whatever this card prints
    sheet = "print-shop" if language == "en" else "a4-10up"
    source = write(tmp_path, ONE_CARD.format(language=language, title=title, sheet=sheet))
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    text = _pdftotext(tmp_path / "out" / "promises.pdf")
    # in logical order, right-to-left lines too (poppler reads the copyable text)
    assert label("channel_off_the_bill", language) in _flat(text)
    printed = set(_words(text))
    silent = label("channel_silent_call", language)
    assert not [w for w in _words(silent) if w not in printed], text
    if language == "en":
        assert "Won't show on your phone bill" in _flat(text)
        assert "In danger and can't speak? Call 999, then press 55 when asked." in _flat(text)


def test_the_silent_call_line_prints_without_a_footer_and_in_polish(tmp_path: Path) -> None:
    source = write(tmp_path, ONE_CARD.format(language="pl", title="Chcesz porozmawiać?",
                                             sheet="print-shop"))
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    flat = _flat(_pdftotext(tmp_path / "out" / "promises.pdf"))
    assert "Nie pojawi się na rachunku za telefon" in flat
    assert "Zadzwoń pod 999" in flat


def test_every_channel_label_is_in_all_eleven_languages() -> None:
    data = YAML(typ="safe", pure=True).load(
        (labels_dir() / "channels.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"channel_email", "channel_chat", "channel_off_the_bill",
                         "channel_silent_call"}
    for key, wordings in data.items():
        assert set(wordings) == set(LANGUAGES), key
    # the Silent Solution numbers are the same in every language
    for language in LANGUAGES:
        assert "999" in data["channel_silent_call"][language]
        assert "55" in data["channel_silent_call"][language]


# --- mistakes, located, with their fix ---------------------------------------------------

BASE = """\
campaign: Mistakes
region: {region}
front:
  title: Hi
  qr: {qr}
{front}
back:
  helplines: [nspcc]
helplines:
  nspcc:
    name: NSPCC Helpline
    phone: {phone}
{extra}
"""


def _card(region: str = "GB", qr: str = "nspcc", front: str = "",
          phone: str = "0808 800 5000", extra: str = "") -> str:
    return BASE.format(region=region, qr=qr, front=front, phone=phone, extra=extra)


@pytest.mark.parametrize(("email", "code", "words"), [
    ('"NSPCC" <help@nspcc.org.uk>', "CG220", "not a plain email address"),
    ("help@nspcc", "CG220", "not a valid email address"),
    ("help@@nspcc.org.uk", "CG220", "not a valid email address"),
    ("help nspcc@nspcc.org.uk", "CG220", "not a valid email address"),
    ("hélp@nspcc.org.uk", "CG221", "outside plain ASCII"),
])
def test_a_bad_email_is_a_located_error(tmp_path: Path, email: str, code: str,
                                        words: str) -> None:
    status, output = _check(tmp_path, _card(extra=f"    email: '{email}'"))
    assert status == 1
    assert f"cards.yaml:13:12: error {code}: helpline 'nspcc' email:" in output
    assert words in output and "fix:" in output


def test_an_internationalised_email_domain_goes_in_the_qr_code_as_punycode() -> None:
    assert channels.mailto_payload("help@bücher.example", None) == (
        "mailto:help@xn--bcher-kva.example")


def test_a_chat_link_is_checked_like_any_link(tmp_path: Path) -> None:
    status, output = _check(tmp_path, _card(extra="    chat: javascript:alert(1)"))
    assert status == 1
    assert "cards.yaml:13:11: error CG301: helpline 'nspcc' chat: 'javascript:'" in output
    status, output = _check(tmp_path, _card(extra="    chat: http://www.nspcc.org.uk/chat"))
    assert status == 0
    assert "cards.yaml:13:11: warning CG302: helpline 'nspcc' chat:" in output


@pytest.mark.parametrize("phone", ["0808 800 5000", "0800 1111", "116 123"])
def test_free_uk_numbers_may_promise_to_stay_off_the_bill(tmp_path: Path, phone: str) -> None:
    status, output = _check(tmp_path, _card(phone=phone, extra="    shows_on_bill: false"))
    assert status == 0, output


@pytest.mark.parametrize("phone", ["0113 378 9000", "07911 123456", "0300 123 3393"])
def test_a_uk_number_that_costs_cannot_promise_it(tmp_path: Path, phone: str) -> None:
    status, output = _check(tmp_path, _card(phone=phone, extra="    shows_on_bill: false"))
    assert status == 1
    assert "cards.yaml:13:20: error CG230: helpline 'nspcc': shows_on_bill is false" in output
    assert "0800 or 0808" in output


def test_silent_call_is_for_uk_cards_only(tmp_path: Path) -> None:
    status, output = _check(tmp_path, _card(region="IE", phone="1800 66 66 66",
                                            front="  silent_call: true"))
    assert status == 1
    assert ("cards.yaml:6:16: error CG235: front.silent_call: the police Silent Solution"
            in output)
    assert "region: GB" in output


def test_qr_contact_mistakes(tmp_path: Path) -> None:
    status, output = _check(tmp_path, _card(front="  qr_contact: nspcc"))
    assert status == 1
    assert "cards.yaml:6:15: error CG244: the front has both qr and qr_contact" in output
    assert "cards.yaml:6:15: error CG241: " not in output
    status, output = _check(tmp_path, _card(front="  qr_contact: nscpc").replace(
        "  qr: nspcc\n", ""))
    assert "cards.yaml:5:15: error CG240: front.qr_contact: no helpline has the id 'nscpc'" \
        in output
    status, output = _check(tmp_path, _card(front="  qr_contact: nspcc").replace(
        "  qr: nspcc\n", ""))
    assert "cards.yaml:5:15: error CG241: front.qr_contact:" in output
    assert "contact_name" in output
    status, output = _check(tmp_path, _card(front="  qr_contact: nspcc", phone="999",
                                            extra="    contact_name: Sam").replace(
        "  qr: nspcc\n", ""))
    assert "error CG241: front.qr_contact: the helpline 'NSPCC Helpline' has nothing a " \
        "contact can hold" in output


@pytest.mark.parametrize(("name", "code", "severity"), [
    ("NSPCC", "CG242", "warning"),
    ("Abuse line", "CG242", "warning"),
    ("Helpline", "CG242", "warning"),
    ("Sámi", "CG243", "error"),
    ("S" * 41, "CG243", "error"),
])
def test_the_contact_name_is_neutral_and_plain(tmp_path: Path, name: str, code: str,
                                               severity: str) -> None:
    text = _card(front="  qr_contact: nspcc", extra=f"    contact_name: {name}").replace(
        "  qr: nspcc\n", "")
    status, output = _check(tmp_path, text)
    assert status == (1 if severity == "error" else 0), output
    assert f"cards.yaml:12:19: {severity} {code}: helpline 'nspcc'" in output


def test_a_qr_target_the_helpline_lacks(tmp_path: Path) -> None:
    status, output = _check(tmp_path, _card(qr="nspcc.email"))
    assert status == 1
    assert "cards.yaml:5:7: error CG330: front.qr: the helpline 'nspcc' has no email" in output
    assert "add email: to helplines.nspcc" in output


def test_the_same_number_under_two_names_is_a_warning(tmp_path: Path) -> None:
    extra = "  again:\n    name: NSPCC again\n    phone: +44 808 800 5000"
    text = _card(extra=extra).replace("[nspcc]", "[nspcc, again]")
    status, output = _check(tmp_path, text)
    assert status == 0, output
    assert ("cards.yaml:13:3: warning CG245: the number 0808 800 5000 is listed under two "
            "names: 'NSPCC Helpline' and 'NSPCC again'") in output
    status, output = _check(tmp_path, text, "--strict")
    assert status == 1


@pytest.mark.parametrize(("extra", "words"), [
    ("    email_subject: Hello", "email_subject needs an email address"),
    ("    shows_on_bill: false\n    chat: https://example.org/chat",
     None),
])
def test_keys_that_need_another(tmp_path: Path, extra: str, words: str | None) -> None:
    text = _card(extra=extra)
    if words is None:
        # shows_on_bill is about a call or a text: without phone or sms it is refused
        text = text.replace("    phone: 0808 800 5000\n", "")
        words = "shows_on_bill is about calls and texts"
    status, output = _check(tmp_path, text)
    assert status == 1
    assert "error CG122" in output and words in output


# --- payloads -------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
               max_size=40))
def test_a_mecard_reads_back_field_by_field(name: str) -> None:
    contact = channels.Contact(name, ("+448088005000",), ("help@nspcc.org.uk",),
                               ("https://www.nspcc.org.uk/chat?a=1;b=2",))
    payload = channels.mecard(contact)
    assert payload.isascii()
    assert channels.parse_mecard(payload) == contact.fields()


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip() == s and s.strip()))
def test_a_mailto_subject_is_ascii_and_decodes_to_what_was_written(subject: str) -> None:
    payload = channels.mailto_payload("help@nspcc.org.uk", subject)
    assert payload.isascii()
    head, _, encoded = payload.partition("?subject=")
    assert head == "mailto:help@nspcc.org.uk"
    assert "&" not in encoded and "#" not in encoded and " " not in encoded
    assert unquote(encoded) == subject


def test_printed_links_drop_the_scheme_only() -> None:
    assert channels.printed_link("https://www.nspcc.org.uk/") == "www.nspcc.org.uk"
    assert channels.printed_link("https://www.nspcc.org.uk/chat/") == (
        "www.nspcc.org.uk/chat/")


def test_the_readme_example_builds_with_its_qr_codes(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme[readme.index("## Every way to reach help"):]
    snippet = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    source = write(tmp_path, "campaign: Readme\n" + snippet)
    result = run_cli("build", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "readme.pdf"
    assert set(decode_page(pdf, 0)) == {"mailto:help@nspcc.org.uk?subject=Need%20to%20talk"}
    (contact,) = set(decode_page(pdf, 1))
    assert channels.parse_mecard(contact)[:2] == [("N", "Sam"), ("TEL", "+448088005000")]


def test_qr_id_contact_is_the_same_contact_card(tmp_path: Path) -> None:
    status, output = _check(tmp_path, _card(qr="nspcc.contact"))
    assert status == 1
    assert "cards.yaml:5:7: error CG241: front.qr: the helpline 'NSPCC Helpline' has no " \
        "contact_name" in output
    assert "CG301" not in output  # said once, with its fix
    status, output = _check(tmp_path, _card(qr="nspcc.contact", extra="    contact_name: Jo"))
    assert status == 0, output


def test_an_address_on_the_seen_face_is_read_by_the_discretion_lint(tmp_path: Path) -> None:
    text = _card(extra="    email: talk@abuse-line.example.org").replace(
        "  qr: nspcc\n", "  qr: nspcc\n  helplines: [nspcc]\n")
    status, output = _check(tmp_path, text)
    assert status == 0, output
    assert ("cards.yaml:14:12: warning CG740: 'abuse' in helplines.nspcc.email is printed on "
            "the front") in output


def test_an_address_too_wide_for_its_column_says_how_to_make_room(tmp_path: Path) -> None:
    text = """\
campaign: Long
card: {design: classic, size: mini}
front:
  title: Hi
  helplines: [childline]
helplines:
  childline:
    name: Childline
    chat: https://www.childline.org.uk/get-support/1-2-1-counsellor-chat/
"""
    status, output = _check(tmp_path, text)
    assert status == 1
    assert ("cards.yaml:9:11: error CG710: front.helplines does not fit: the address "
            "'www.childline.org.uk/get-support/1-2-1-counsellor-chat/'") in output
    assert "(qr: childline.chat)" in output


def test_each_face_prints_the_lines_in_its_own_language(tmp_path: Path) -> None:
    text = """\
campaign: Two faces
region: GB
card: {design: classic}
front:
  title: Need to talk?
  helplines: [nspcc]
  silent_call: true
back:
  language: ur
  title: "کیا آپ بات کرنا چاہتے ہیں؟"
  helplines: [nspcc]
  silent_call: true
helplines:
  nspcc:
    name: NSPCC
    phone: 0808 800 5000
    shows_on_bill: false
print: {copies: 10}
"""
    result = run_cli("build", str(write(tmp_path, text)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "two-faces.pdf"
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
    front, back = (_flat(subprocess.run([tool, "-f", str(n), "-l", str(n), str(pdf), "-"],
                                        capture_output=True, text=True, check=True).stdout)
                   for n in (1, 2))
    assert "Won't show on your phone bill" in front
    assert label("channel_off_the_bill", "ur") in back
    assert "Won't show" not in back
