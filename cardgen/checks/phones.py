"""Phone numbers as users write them -> QR payloads (tel:, SMSTO:, wa.me), and their checks.

The printed number is always the user's own string (charities choose their grouping); only
the QR payload is derived from the number parsed with libphonenumber for the card's region.
Short numbers (116 123, 85258) stay bare digits: `tel:116123`, never `tel:+44116123`.
Emergency numbers may be printed but are never put into a QR code: every payload function
here refuses them, so no other module can encode one by mistake.

Problem codes (all with a path such as ("helplines", id, "phone")):

- CG201 error: the number is not a valid number (nor a valid short number) for the region.
- CG202 error: a face's `qr:` points at a helpline whose number is an emergency number.
- CG203 warning: premium-rate number.
- CG204 warning: `verified_on` is more than 365 days before today.
- CG205 error: letters in a number (vanity numbers such as 0800 CHILDLINE, or "ext"), or a
  number in a spreadsheet's scientific notation (2.07946E+09).
- CG206 error: a WhatsApp number that cannot be a WhatsApp account (a short number).
- CG207 warning: a WhatsApp number that is not a mobile number.
- CG208 error: an `sms_body` that cannot go into an SMSTO: payload (non-ASCII, line breaks).
- CG209 warning: an emergency number listed as a helpline (printed only, never in a QR).
- CG210 warning: `verified_on` is in the future.
- CG211 error: a national number that is not valid for the region but is for another
  country: it needs its +country code.
- CG212 error: `region` is not a country code libphonenumber knows (UK for GB).
- CG213 error: a national number written without the leading 0 it is dialled with (a
  spreadsheet drops it from a number stored as a number), or a full international number
  without its '+': the QR code would still dial, but the printed number could not be.
- CG214 warning: an international number that keeps its leading 0 (+44 020 ..., +44 (0)20
  ...): typed as printed, many phones cannot dial it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers as pn
from phonenumbers import shortnumberinfo as sni

from cardgen.errors import Problem, ValueRefused
from cardgen.input.model import CardSpec, Helpline

#: Dialled as emergency by every GSM phone whatever the region, so never a helpline QR.
_ALWAYS_EMERGENCY = frozenset({"112", "911", "999"})
_LETTERS = re.compile(r"[A-Za-z]")
#: what a spreadsheet shows of a long number in a narrow column: 2.07946E+09
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[Ee]\+?\d+$")
_STALE_AFTER = dt.timedelta(days=365)
_MOBILE_TYPES = frozenset({pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE_OR_MOBILE})

NumberField = Literal["phone", "sms", "whatsapp"]
#: country codes people write that ISO 3166 spells otherwise
_REGION_MISTAKES = {"UK": "GB for the United Kingdom", "EL": "GR for Greece",
                    "EN": "GB for England", "WA": "GB for Wales"}


class NumberError(ValueRefused):
    """A number that cannot be used: a plain message, what to change, and a problem code."""

    def __init__(self, message: str, fix: str, code: str = "CG201") -> None:
        super().__init__(code, message, fix)


@dataclass(frozen=True)
class ParsedNumber:
    """A validated number: the user's string, and what goes into a payload."""

    written: str
    #: '+448088005000', or the bare digits of a short number ('116123', '85258')
    e164: str
    is_short: bool
    is_emergency: bool
    is_premium: bool
    is_mobile: bool = False
    #: written with the country code and the trunk prefix too (+44 020 ..., +44 (0)20 ...)
    doubly_prefixed: bool = False


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _is_emergency(written: str, region: str) -> bool:
    digits = _digits(written)
    if digits in _ALWAYS_EMERGENCY and not written.strip().startswith("+"):
        return True
    try:
        return bool(sni.is_emergency_number(written, region))
    except Exception:  # the library raises on oddly formed input; not an emergency number
        return False


def _missing_plus(digits: str) -> str | None:
    """The international form if `digits` is a full number whose '+' was left off."""
    try:
        n = pn.parse("+" + digits, None)
    except pn.NumberParseException:
        return None
    if not pn.is_valid_number(n):
        return None
    return str(pn.format_number(n, pn.PhoneNumberFormat.INTERNATIONAL))


def _trunk(region: str) -> str:
    """The region's trunk prefix when it is 0: the only one people reliably write (NANP's 1
    usually is not), so the only one whose absence is a mistake."""
    meta = pn.PhoneMetadata.metadata_for_region(region)
    prefix = (meta.national_prefix if meta is not None else None) or ""
    return prefix if prefix == "0" else ""


def _undiallable(written: str, region: str, n: pn.PhoneNumber) -> NumberError | None:
    """CG213 when `n`, read from `written` without its trunk prefix (or without the '+' of
    its country code), is dialled with it: libphonenumber reads '2079460101' as 020 7946
    0101, but the card prints what was written, which nobody can dial."""
    trunk = _trunk(region)
    digits = _digits(written)
    as_national = pn.format_number(n, pn.PhoneNumberFormat.NATIONAL)
    national = _digits(as_national)
    if not trunk or digits.startswith(trunk) or not national.startswith(trunk):
        return None
    if digits.startswith(str(n.country_code)) and digits != national[len(trunk):]:
        as_international = pn.format_number(n, pn.PhoneNumberFormat.INTERNATIONAL)
        return NumberError(
            f"'{written}' is a full number without its '+': printed like this it cannot "
            "be dialled",
            f"write it as '{as_international}' (or '{as_national}')", code="CG213")
    return NumberError(
        f"'{written}' lacks the leading {trunk} that {region} numbers are dialled with: "
        f"printed like this it cannot be dialled (a spreadsheet drops the {trunk} of a "
        "number stored as a number)",
        f"write it as '{as_national}'; in a spreadsheet, type it with its spaces or format "
        "the column as text", code="CG213")


def _invalid(written: str, region: str, n: pn.PhoneNumber | None) -> NumberError:
    stripped = written.strip()
    international = stripped.startswith("+") or _digits(stripped).startswith("00")
    reasons = {
        pn.ValidationResult.TOO_SHORT: " (too few digits)",
        pn.ValidationResult.TOO_LONG: " (too many digits)",
        pn.ValidationResult.INVALID_LENGTH: " (wrong number of digits)",
    }
    reason = reasons.get(pn.is_possible_number_with_reason(n), "") if n is not None else ""
    if n is not None and international and sni.is_valid_short_number(n):
        return NumberError(
            f"'{written}' is a short number written with a country code; "
            "short numbers cannot be dialled that way",
            f"write it without the country code, e.g. '{pn.national_significant_number(n)}'",
        )
    if not international and len(_digits(stripped)) > 6:
        trunk = _trunk(region)
        if trunk and not _digits(stripped).startswith(trunk):
            # Numbers dialled within the region start with its trunk prefix (0 in GB); one
            # without it that is not valid even so (libphonenumber reads a valid one without
            # its 0, which `_undiallable` refuses) was most likely copied from another
            # country. Guessing *which* country is unsafe: most digit strings are valid
            # somewhere.
            plus = _missing_plus(_digits(stripped))
            example = f", e.g. '{plus}'" if plus else ""
            return NumberError(
                f"'{written}' is not a valid {region} number{reason}; {region} numbers written "
                f"without a country code start with {trunk}, so it looks like a number from "
                "another country",
                f"write it with +<country code>{example}",
                code="CG211",
            )
    return NumberError(
        f"'{written}' is not a valid {region} phone number or short number{reason}",
        "check the digits against the helpline's own website; write numbers from other "
        "countries with +<country code>",
    )


def _doubly_prefixed(written: str, n: pn.PhoneNumber) -> bool:
    """Whether an international number keeps its trunk prefix after the country code:
    '+44 020 7946 0101' or '+44 (0)20 7946 0101', which many phones fail to dial as typed."""
    trunk = _trunk(pn.region_code_for_number(n) or "")
    digits = _digits(written)
    after = digits.removeprefix("00") if not written.startswith("+") else digits
    after = after.removeprefix(str(n.country_code))
    return bool(trunk) and after.startswith(trunk) and not pn.national_significant_number(
        n).startswith(trunk)


@functools.lru_cache(maxsize=8192)
def parse_number(written: str, region: str) -> ParsedNumber:
    """Parse a number as a user wrote it, read nationally for `region`.

    Accepts full numbers valid in the region, international numbers (+44..., 0044...)
    valid anywhere, and short numbers valid in the region. Raises `NumberError` (a
    ValueError) with a plain message and a fix otherwise.
    """
    region = region.upper()
    stripped = written.strip()
    if _SCIENTIFIC.match(stripped):
        raise NumberError(
            f"'{written}' is a number a spreadsheet wrote in scientific notation: its last "
            "digits (and its leading 0) are lost",
            "type the number again with its spaces (020 7946 0101), or format the column "
            "as text before typing it", code="CG205")
    if _LETTERS.search(stripped):
        fix = "write the digits, e.g. '0800 1111' not '0800 CHILDLINE'"
        if re.search(r"(?i)\b(ext|x)\b", stripped):
            fix = "write the number's digits only; put an extension in the helpline's hours"
        raise NumberError(f"'{written}' contains letters; phones cannot dial letters from a QR "
                          "code and many keypads have none", fix, code="CG205")
    if not _digits(stripped):
        raise NumberError(f"'{written}' has no digits", "write the number's digits")
    try:
        n = pn.parse(stripped, region)
    except pn.NumberParseException:
        raise _invalid(written, region, None) from None
    emergency = _is_emergency(stripped, region)
    international = stripped.startswith("+") or _digits(stripped).startswith("00")
    if pn.is_valid_number(n):
        if not international:
            dropped = _undiallable(written, region, n)
            if dropped is not None:
                raise dropped
        kind = pn.number_type(n)
        return ParsedNumber(
            written=written,
            e164=pn.format_number(n, pn.PhoneNumberFormat.E164),
            is_short=False,
            is_emergency=emergency,
            is_premium=kind == pn.PhoneNumberType.PREMIUM_RATE,
            is_mobile=kind in _MOBILE_TYPES,
            doubly_prefixed=international and _doubly_prefixed(stripped, n),
        )
    if not international and (emergency or sni.is_valid_short_number_for_region(n, region)):
        cost = sni.expected_cost_for_region(n, region)
        return ParsedNumber(
            written=written,
            e164=pn.national_significant_number(n),
            is_short=True,
            is_emergency=emergency,
            is_premium=cost == sni.ShortNumberCost.PREMIUM_RATE,
        )
    raise _invalid(written, region, n)


def _refuse_emergency(n: ParsedNumber) -> None:
    if n.is_emergency:
        raise NumberError(
            f"'{n.written}' is an emergency number and is never put in a QR code",
            "print it in text (e.g. the footer) and point the QR code at a helpline or link",
            code="CG202",
        )


def tel_payload(n: ParsedNumber) -> str:
    """'tel:+448088005000'; a short number stays bare: 'tel:116123'."""
    _refuse_emergency(n)
    return f"tel:{n.e164}"


def check_sms_body(body: str) -> None:
    """Raise `NumberError` (CG208) if `body` cannot be carried in an SMSTO: payload.

    Colons are allowed: readers split SMSTO: at the first colon after the number. Non-ASCII
    is refused because QR readers guess the text encoding and a prefilled message arriving
    garbled at a helpline is worse than none.
    """
    if not body.isascii() or not body.isprintable():
        raise NumberError(
            f"the text message '{body}' has characters that phones may garble in a QR code "
            "(only plain ASCII letters, digits and punctuation on one line are safe)",
            "use a short plain keyword such as SHOUT",
            code="CG208",
        )


def sms_payload(n: ParsedNumber, body: str | None) -> str:
    """'SMSTO:85258:SHOUT'; international numbers as '+44...'; no body: 'SMSTO:85258'.

    Without a body there is no trailing colon: 'SMSTO:<number>' is the form readers
    (ZXing, phone cameras) parse as "text this number" with an empty message.
    """
    _refuse_emergency(n)
    if body is None or body == "":
        return f"SMSTO:{n.e164}"
    check_sms_body(body)
    return f"SMSTO:{n.e164}:{body}"


def whatsapp_payload(n: ParsedNumber) -> str:
    """'https://wa.me/447911123456': the full international number, digits only."""
    _refuse_emergency(n)
    if n.is_short:
        raise NumberError(
            f"'{n.written}' is a short number; WhatsApp accounts have full phone numbers",
            "write the WhatsApp account's full number with +<country code>",
            code="CG206",
        )
    return "https://wa.me/" + n.e164.lstrip("+")


def helpline_payload(helpline: Helpline, region: str) -> str:
    """The QR payload of a helpline: its phone as tel:, else its sms as SMSTO:, else wa.me.

    Raises `NumberError` if that number is invalid or an emergency number.
    """
    if helpline.phone:
        return tel_payload(parse_number(helpline.phone, region))
    if helpline.sms:
        return sms_payload(parse_number(helpline.sms, region), helpline.sms_body)
    if helpline.whatsapp:
        return whatsapp_payload(parse_number(helpline.whatsapp, region))
    raise ValueError("a helpline needs at least one of phone, sms or whatsapp")


def _qr_field(helpline: Helpline) -> NumberField:
    if helpline.phone:
        return "phone"
    return "sms" if helpline.sms else "whatsapp"


def check_helplines(spec: CardSpec, *, today: dt.date) -> list[Problem]:
    """Every problem with the card's helpline numbers and dates, errors and warnings."""
    problems: list[Problem] = []
    region = spec.region.upper()
    if region not in pn.SUPPORTED_REGIONS:
        # every number would be "not valid for UK": say what is really wrong, once
        better = _REGION_MISTAKES.get(region)
        return [Problem(
            "CG212", f"region '{spec.region}' is not an ISO 3166 country code", "error",
            f"use {better}" if better else "use the two-letter code of the country, such as "
            "GB, IE or US", ("region",))]
    faces = [("front", spec.front)] + ([("back", spec.back)] if spec.back else [])
    qr_targets = {face.qr for _, face in faces if face.qr}
    for hid, helpline in spec.helplines.items():
        base = ("helplines", hid)
        parsed: dict[NumberField, ParsedNumber] = {}
        fields: list[tuple[NumberField, str | None]] = [
            ("phone", helpline.phone), ("sms", helpline.sms), ("whatsapp", helpline.whatsapp)
        ]
        for name, written in fields:
            if not written:
                continue
            path = (*base, name)
            try:
                n = parse_number(written, region)
            except NumberError as e:
                problems.append(Problem(e.code, f"helpline '{hid}' {name}: {e.message}",
                                        "error", e.fix, path))
                continue
            parsed[name] = n
            if n.is_emergency and not (hid in qr_targets and name == _qr_field(helpline)):
                problems.append(Problem(
                    "CG209",
                    f"helpline '{hid}' {name} '{written}' is an emergency number: it is printed "
                    "only; it will never be put in a QR code",
                    "warning",
                    "emergency numbers are best printed in the footer "
                    "(e.g. 'If a child is in immediate danger, call 999.')",
                    path,
                ))
            if n.doubly_prefixed:
                full = pn.parse(n.e164, None)
                problems.append(Problem(
                    "CG214",
                    f"helpline '{hid}' {name} '{written}' has both the country code and the "
                    "leading 0: typed as printed, many phones cannot dial it",
                    "warning",
                    f"write '{pn.format_number(full, pn.PhoneNumberFormat.INTERNATIONAL)}', "
                    f"or '{pn.format_number(full, pn.PhoneNumberFormat.NATIONAL)}' on a card "
                    "used in one country",
                    path,
                ))
            if n.is_premium:
                problems.append(Problem(
                    "CG203",
                    f"helpline '{hid}' {name} '{written}' is a premium-rate number: calls cost "
                    "a lot, and young people's phones often block them",
                    "warning",
                    "use the helpline's free (0800/0808) or standard-rate number",
                    path,
                ))
            if name == "whatsapp":
                if n.is_short:
                    problems.append(Problem(
                        "CG206",
                        f"helpline '{hid}' whatsapp '{written}' is a short number; WhatsApp "
                        "accounts have full phone numbers",
                        "error",
                        "write the WhatsApp account's full number with +<country code>",
                        path,
                    ))
                elif not n.is_mobile and not n.is_emergency:
                    problems.append(Problem(
                        "CG207",
                        f"helpline '{hid}' whatsapp '{written}' is not a mobile number; few "
                        "WhatsApp accounts use one",
                        "warning",
                        "check the WhatsApp number on the helpline's website",
                        path,
                    ))
        if helpline.sms and helpline.sms_body:
            try:
                check_sms_body(helpline.sms_body)
            except NumberError as e:
                problems.append(Problem(e.code, f"helpline '{hid}': {e.message}", "error",
                                        e.fix, (*base, "sms_body")))
        qr_number = parsed.get(_qr_field(helpline))
        if qr_number is not None and qr_number.is_emergency:
            for face_name, face in faces:
                if face.qr == hid:
                    problems.append(Problem(
                        "CG202",
                        f"{face_name} qr points at helpline '{hid}', whose number "
                        f"'{qr_number.written}' is an emergency number",
                        "error",
                        f"{qr_number.written} may be printed in text (e.g. the footer) but "
                        "never put in a QR code; point qr at a helpline or a link",
                        (face_name, "qr"),
                    ))
        if helpline.verified_on is not None:
            date_path = (*base, "verified_on")
            if helpline.verified_on > today:
                problems.append(Problem(
                    "CG210",
                    f"helpline '{hid}' verified_on {helpline.verified_on.isoformat()} is in "
                    "the future",
                    "warning",
                    "set verified_on to the day you last called the number",
                    date_path,
                ))
            elif today - helpline.verified_on > _STALE_AFTER:
                problems.append(Problem(
                    "CG204",
                    f"helpline '{hid}' was last verified on "
                    f"{helpline.verified_on.isoformat()}, more than a year ago; helpline "
                    "numbers and hours change",
                    "warning",
                    "call it, then update verified_on",
                    date_path,
                ))
    return problems
