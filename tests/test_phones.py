"""Phone numbers -> QR payloads, and the problems users see about their numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardgen.checks.phones import (
    NumberError,
    check_helplines,
    helpline_payload,
    parse_number,
    sms_payload,
    tel_payload,
    whatsapp_payload,
)
from cardgen.errors import Problem
from cardgen.input.model import CardSpec, Face, Helpline

TODAY = dt.date(2026, 11, 1)


def spec(helplines: dict[str, Helpline], qr: str | None = None,
         back_qr: str | None = None) -> CardSpec:
    return CardSpec(
        campaign="Test",
        front=Face(title="Help", qr=qr),
        back=Face(title="More help", qr=back_qr),
        helplines=helplines,
    )


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.severity) for p in problems]


@pytest.mark.parametrize(
    ("written", "payload"),
    [
        ("0808 800 5000", "tel:+448088005000"),
        ("116 123", "tel:116123"),
        ("0800 1111", "tel:+448001111"),
        ("020 7946 0000", "tel:+442079460000"),
        ("0300 123 4043", "tel:+443001234043"),
        ("+44 808 800 5000", "tel:+448088005000"),
        ("0044 808 800 5000", "tel:+448088005000"),
        ("(0808) 800-5000", "tel:+448088005000"),
        ("+1 212 555 0100", "tel:+12125550100"),
    ],
)
def test_spec_numbers_give_their_tel_payloads(written: str, payload: str) -> None:
    n = parse_number(written, "GB")
    assert n.written == written
    assert tel_payload(n) == payload


def test_short_number_is_never_given_the_country_code() -> None:
    n = parse_number("116 123", "GB")
    assert n.is_short
    assert n.e164 == "116123"
    assert "+44" not in tel_payload(n)


def test_sms_short_code_with_body() -> None:
    assert sms_payload(parse_number("85258", "GB"), "SHOUT") == "SMSTO:85258:SHOUT"


def test_sms_without_body_and_to_a_full_number() -> None:
    assert sms_payload(parse_number("85258", "GB"), None) == "SMSTO:85258"
    assert sms_payload(parse_number("07911 123456", "GB"), "HI") == "SMSTO:+447911123456:HI"


def test_sms_body_must_be_plain_ascii() -> None:
    with pytest.raises(NumberError) as e:
        sms_payload(parse_number("85258", "GB"), "aidez-moi é")
    assert e.value.code == "CG208"
    with pytest.raises(NumberError):
        sms_payload(parse_number("85258", "GB"), "two\nlines")


def test_whatsapp_is_digits_without_plus() -> None:
    assert whatsapp_payload(parse_number("07911 123456", "GB")) == "https://wa.me/447911123456"
    with pytest.raises(NumberError) as e:
        whatsapp_payload(parse_number("85258", "GB"))
    assert e.value.code == "CG206"


@pytest.mark.parametrize("written", ["999", "112", "911"])
def test_emergency_numbers_never_become_payloads(written: str) -> None:
    n = parse_number(written, "GB")
    assert n.is_emergency
    for make in (tel_payload, whatsapp_payload, lambda n: sms_payload(n, None)):
        with pytest.raises(NumberError) as e:
            make(n)
        assert e.value.code == "CG202"


def test_letters_are_refused_with_write_the_digits() -> None:
    with pytest.raises(NumberError) as e:
        parse_number("0800 CHILDLINE", "GB")
    assert e.value.code == "CG205"
    assert "write the digits" in e.value.fix


@pytest.mark.parametrize("written", ["0808 800 500", "0808 800 5000 0000", "0", "--"])
def test_invalid_numbers_raise_value_error_with_fix(written: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_number(written, "GB")
    assert isinstance(e.value, NumberError)
    assert e.value.code == "CG201"
    assert e.value.fix


@pytest.mark.parametrize("written", ["1 212 555 0100", "(212) 555-0100", "353 1 234 5678"])
def test_foreign_number_without_plus_asks_for_country_code(written: str) -> None:
    with pytest.raises(NumberError) as e:
        parse_number(written, "GB")
    assert e.value.code == "CG211"
    assert "+<country code>" in e.value.fix


def test_missing_plus_is_shown_in_the_fix() -> None:
    with pytest.raises(NumberError) as e:
        parse_number("353 1 234 5678", "GB")
    assert "+353 1 234 5678" in e.value.fix


@pytest.mark.parametrize(
    ("written", "region", "fix"),
    [
        ("2079460101", "GB", "'020 7946 0101'"),     # Excel stored it as a number
        ("8088005000", "GB", "'0808 800 5000'"),
        ("7911 123456", "GB", "'07911 123456'"),     # a mobile
        ("7911123456", "GB", "'07911 123456'"),
        ("30 1234567", "DE", "'030 1234567'"),
        ("612345678", "NL", "'06 12345678'"),
    ],
)
def test_a_national_number_without_its_leading_0_cannot_be_printed(written: str, region: str,
                                                                  fix: str) -> None:
    # libphonenumber reads these as the right number, so the QR code would dial; the card
    # prints what was written, which nobody can dial (regression: they were accepted)
    with pytest.raises(NumberError) as e:
        parse_number(written, region)
    assert e.value.code == "CG213"
    assert "cannot be dialled" in e.value.message
    assert fix in e.value.fix


@pytest.mark.parametrize("written", ["2.07946E+09", "7,911E+09", "2E+09"])
def test_a_number_in_scientific_notation_says_what_the_spreadsheet_did(written: str) -> None:
    with pytest.raises(NumberError) as e:
        parse_number(written, "GB")
    assert e.value.code == "CG205"
    assert "scientific notation" in e.value.message and "as text" in e.value.fix


def test_a_full_number_without_its_plus_cannot_be_printed() -> None:
    with pytest.raises(NumberError) as e:
        parse_number("442079460101", "GB")
    assert e.value.code == "CG213"
    assert "'+44 20 7946 0101'" in e.value.fix


@pytest.mark.parametrize(("written", "region", "e164"),
                         [("202 555 0123", "US", "+12025550123"),  # NANP numbers drop their 1
                          ("2025550123", "US", "+12025550123"),
                          ("0044 20 7946 0101", "GB", "+442079460101"),
                          ("116 123", "GB", "116123")])
def test_numbers_dialled_as_written_pass_the_leading_0_rule(written: str, region: str,
                                                            e164: str) -> None:
    assert parse_number(written, region).e164 == e164


@given(st.sampled_from(["020 7946 0101", "0808 800 5000", "0800 1111", "07911 123456",
                        "01707 281000", "0300 123 4567", "029 2018 0000"]),
       st.sampled_from(["", " ", "-"]))
def test_any_gb_number_is_read_with_its_0_and_refused_without(national: str, gap: str) -> None:
    with_zero = parse_number(national.replace(" ", gap), "GB")
    with pytest.raises(NumberError) as e:
        parse_number(national.replace(" ", gap)[1:], "GB")
    assert e.value.code == "CG213"
    assert with_zero.e164 == "+44" + national.replace(" ", "")[1:]


def test_short_number_with_country_code_is_refused() -> None:
    with pytest.raises(NumberError) as e:
        parse_number("+44 116 123", "GB")
    assert "116123" in e.value.fix


def test_premium_rate_is_flagged() -> None:
    assert parse_number("0909 879 0000", "GB").is_premium
    assert not parse_number("0808 800 5000", "GB").is_premium


def test_helpline_payload_prefers_phone_then_sms_then_whatsapp() -> None:
    both = Helpline(name="A", phone="0800 1111", sms="85258", sms_body="SHOUT")
    assert helpline_payload(both, "GB") == "tel:+448001111"
    text = Helpline(name="Shout", sms="85258", sms_body="SHOUT")
    assert helpline_payload(text, "GB") == "SMSTO:85258:SHOUT"
    wa = Helpline(name="W", whatsapp="+44 7911 123456")
    assert helpline_payload(wa, "GB") == "https://wa.me/447911123456"


@given(st.text(alphabet="0123456789 +()-", min_size=1, max_size=20))
def test_any_accepted_number_gives_an_ascii_dialable_payload(written: str) -> None:
    try:
        n = parse_number(written, "GB")
    except NumberError as e:
        assert e.fix
        return
    if n.is_emergency:
        return
    payload = tel_payload(n)
    assert payload.isascii()
    assert payload.startswith("tel:")
    body = payload.removeprefix("tel:")
    assert body.lstrip("+").isdigit()
    assert n.is_short != body.startswith("+")


# --- check_helplines ---------------------------------------------------------------


def test_spec_example_numbers_have_no_problems() -> None:
    s = spec({
        "nspcc": Helpline(name="NSPCC", phone="0808 800 5000", verified_on=dt.date(2026, 10, 1)),
        "childline": Helpline(name="Childline", phone="0800 1111"),
        "samaritans": Helpline(name="Samaritans", phone="116 123"),
        "shout": Helpline(name="Shout", sms="85258", sms_body="SHOUT"),
        "dsl": Helpline(name="Lead", phone="020 7946 0000"),
        "us": Helpline(name="US line", phone="+1 212 555 0100"),
    }, qr="shout")
    assert check_helplines(s, today=TODAY) == []


def test_emergency_number_as_qr_target_is_an_error_on_the_face() -> None:
    s = spec({"police": Helpline(name="Police", phone="999")}, qr="police")
    problems = check_helplines(s, today=TODAY)
    assert codes(problems) == [("CG202", "error")]
    assert problems[0].path == ("front", "qr")
    assert "never put in a QR code" in (problems[0].fix or "")


def test_emergency_number_printed_only_is_a_warning() -> None:
    s = spec({"police": Helpline(name="Police", phone="999")})
    problems = check_helplines(s, today=TODAY)
    assert codes(problems) == [("CG209", "warning")]
    assert problems[0].path == ("helplines", "police", "phone")


def test_emergency_on_back_qr_is_reported_there() -> None:
    s = spec({"police": Helpline(name="Police", phone="112")}, back_qr="police")
    problems = check_helplines(s, today=TODAY)
    assert [p.path for p in problems if p.code == "CG202"] == [("back", "qr")]


def test_premium_number_is_a_warning() -> None:
    s = spec({"p": Helpline(name="Premium", phone="0909 879 0000")})
    problems = check_helplines(s, today=TODAY)
    assert codes(problems) == [("CG203", "warning")]
    assert problems[0].path == ("helplines", "p", "phone")


@pytest.mark.parametrize("written", ["+44 020 7946 0101", "+44 (0)20 7946 0101",
                                     "0044 020 7946 0101", "+353 (0)1 234 5678"])
def test_a_country_code_with_the_leading_0_kept_is_a_warning(written: str) -> None:
    problems = check_helplines(spec({"lead": Helpline(name="Lead", phone=written)}),
                               today=TODAY)
    assert codes(problems) == [("CG214", "warning")]
    assert problems[0].path == ("helplines", "lead", "phone")
    fix = problems[0].fix or ""
    assert "'+44 20 7946 0101'" in fix or "'+353 1 234 5678'" in fix
    # the QR code dials the right number all the same
    assert tel_payload(parse_number(written, "GB")) in ("tel:+442079460101", "tel:+35312345678")


@pytest.mark.parametrize("written", ["+44 20 7946 0101", "020 7946 0101", "+39 06 1234 5678",
                                     "+1 202 555 0123"])
def test_numbers_written_one_way_only_are_not_doubly_prefixed(written: str) -> None:
    # Italian numbers keep their 0 after +39: it is part of the number, not a trunk prefix
    assert check_helplines(spec({"lead": Helpline(name="Lead", phone=written)}),
                           today=TODAY) == []


def test_stale_verified_on_is_a_warning_and_a_year_is_not() -> None:
    old = spec({"n": Helpline(name="N", phone="0800 1111", verified_on=dt.date(2025, 10, 1))})
    problems = check_helplines(old, today=TODAY)
    assert codes(problems) == [("CG204", "warning")]
    assert problems[0].path == ("helplines", "n", "verified_on")
    assert "update verified_on" in (problems[0].fix or "")
    recent = spec({"n": Helpline(name="N", phone="0800 1111",
                                 verified_on=TODAY - dt.timedelta(days=365))})
    assert check_helplines(recent, today=TODAY) == []


def test_future_verified_on_is_a_warning() -> None:
    s = spec({"n": Helpline(name="N", phone="0800 1111", verified_on=dt.date(2027, 1, 1))})
    assert codes(check_helplines(s, today=TODAY)) == [("CG210", "warning")]


def test_invalid_and_vanity_numbers_are_errors_with_paths() -> None:
    s = spec({
        "bad": Helpline(name="Bad", phone="0808 800 500"),
        "vanity": Helpline(name="Vanity", sms="0800 CHILDLINE"),
    })
    problems = check_helplines(s, today=TODAY)
    by_path = {p.path: p for p in problems}
    assert by_path[("helplines", "bad", "phone")].code == "CG201"
    assert by_path[("helplines", "vanity", "sms")].code == "CG205"
    assert all(p.severity == "error" and p.fix for p in problems)


def test_whatsapp_problems() -> None:
    s = spec({
        "short": Helpline(name="S", whatsapp="85258"),
        "landline": Helpline(name="L", whatsapp="020 7946 0000"),
        "mobile": Helpline(name="M", whatsapp="+44 7911 123456"),
    })
    problems = check_helplines(s, today=TODAY)
    assert {(p.path[1], p.code, p.severity) for p in problems} == {
        ("short", "CG206", "error"),
        ("landline", "CG207", "warning"),
    }


def test_bad_sms_body_is_reported_on_sms_body() -> None:
    s = spec({"t": Helpline(name="T", sms="85258", sms_body="AIDE ✓")})
    problems = check_helplines(s, today=TODAY)
    assert [(p.code, p.path) for p in problems] == [("CG208", ("helplines", "t", "sms_body"))]


def test_region_changes_how_national_numbers_read() -> None:
    s = CardSpec(campaign="US", region="US", front=Face(title="Help"),
                 helplines={"line": Helpline(name="988", phone="(212) 555-0100")})
    assert check_helplines(s, today=TODAY) == []
    assert tel_payload(parse_number("(212) 555-0100", "US")) == "tel:+12125550100"
