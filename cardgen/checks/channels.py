"""Every way to reach help besides a call or a text: email, web chat, a contact card, and
the promises a card makes about calls (off the bill, silent calls). Their QR payloads and
their checks.

- `email` is checked with email-validator (syntax and the domain's form; no network, no
  deliverability look-up) and refused with a display name (`"NSPCC" <help@...>`), which a
  card could use to show one address and open another. Its QR payload is
  `mailto:ADDRESS?subject=...`, the subject percent-encoded as UTF-8, so the payload is
  ASCII (see `cardgen.qr.encode`).
- `chat` is an https:// page, checked exactly as a link is (`cardgen.checks.links`).
- A contact card (`qr_contact: ID`) is a MECARD (`MECARD:N:Sam;TEL:+44...;EMAIL:...;;`), the
  shortest contact format phones read (iOS and Android cameras), so the code keeps big
  modules on a small card. Values are escaped as ZXing escapes them (backslash before
  `\\`, `;`, `:`); the payload is parsed back (`parse_mecard`) and compared field by field
  before it is used, and the name is a neutral `contact_name` the user chose.

Problem codes:

- CG220 error: an email address that is not valid (syntax, domain form, display name).
- CG221 error: an email address with non-ASCII letters before the @ (many mail systems
  and QR readers cannot carry it).
- CG230 error: `shows_on_bill: false` for a GB number that is not free to call (only 0800,
  0808 and 116xxx numbers are left off a UK phone bill).
- CG235 error: `silent_call: true` on a card whose region is not GB.
- CG240 error: `qr_contact` names no helpline.
- CG241 error: the helpline a `qr_contact` names has no `contact_name`, or nothing a
  contact can hold (a phone or text number that is not an emergency number, an email,
  a chat page).
- CG242 warning: a `contact_name` that gives away what the contact is (the discretion
  words, or the helpline's own name).
- CG243 error: a `contact_name` that cannot go in a QR code (not plain ASCII, too long).
- CG244 error: a face with both `qr` and `qr_contact` (a face has one QR code).
- CG245 warning: the same number under two helpline names.
- CG330 error: a face's `qr: ID.channel` names a way the helpline does not have.
- CG331 error: a contact card that does not read back as written (an internal check).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import quote

from cardgen.checks import discretion, phones
from cardgen.errors import DocPath, Problem, ValueRefused
from cardgen.input.model import CardSpec, Face, Helpline, split_qr_target

#: The police Silent Solution is a UK service (999, then 55 when asked).
SILENT_CALL_REGION = "GB"
MAX_CONTACT_NAME = 40
#: What ZXing escapes in MECARD values (and unescapes when reading them).
_MECARD_RESERVED = re.compile(r"([\\:;])")
_PHONE_PREFIXES_FREE_GB = ("800", "808")


class ChannelError(ValueRefused):
    """An address that cannot be used: a plain message, what to change, and a problem code."""

    def __init__(self, message: str, fix: str, code: str) -> None:
        super().__init__(code, message, fix)


# --- email -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def ascii_email(written: str) -> str:
    """The address as it goes into a mailto: link (an IDN domain as punycode).

    Raises `ChannelError` (CG220, CG221) for an address that is not valid.
    """
    import email_validator

    address = written.strip()
    if "<" in address or ">" in address or '"' in address:
        raise ChannelError(
            f"'{written}' is not a plain email address: a name and <angle brackets> could "
            "show one address and open another",
            "write only the address, e.g. help@example.org.uk", "CG220")
    try:
        valid = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True,
            allow_quoted_local=False, allow_display_name=False, allow_domain_literal=False)
    except email_validator.EmailNotValidError as exc:
        raise ChannelError(f"'{written}' is not a valid email address: {exc}",
                           "copy the address from the helpline's website", "CG220") from None
    if valid.ascii_email is None:
        raise ChannelError(
            f"'{written}' has letters outside plain ASCII before the @: many mail systems "
            "and phones cannot send to it from a QR code",
            "use the helpline's address in plain letters", "CG221")
    return str(valid.ascii_email)


def mailto_payload(address: str, subject: str | None) -> str:
    """'mailto:help@example.org?subject=Need%20to%20talk': ASCII, the subject as UTF-8."""
    payload = "mailto:" + ascii_email(address)
    if subject:
        payload += "?subject=" + quote(subject.strip(), safe="")
    return payload


# --- web chat ------------------------------------------------------------------------------


def chat_payload(url: str) -> str:
    """The chat page as it goes into a QR code (ASCII)."""
    from cardgen.checks import links

    return links.ascii_url(url)


def printed_link(url: str) -> str:
    """A web address as a card prints it: without 'https://', and without the '/' after a
    bare host ('www.nspcc.org.uk', but 'www.nspcc.org.uk/chat/' as written)."""
    text = url.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme):]
            break
    return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def _chat_problems(hid: str, url: str) -> list[Problem]:
    """A chat link's problems: the link checks, said of the helpline's `chat`."""
    from cardgen.checks import links

    found = links.check_url_problems(hid, url)
    return [replace(p, message=p.message.replace(f"link '{hid}':", f"helpline '{hid}' chat:", 1),
                    path=("helplines", hid, "chat")) for p in found]


# --- contact cards -----------------------------------------------------------------------


def _escape(value: str) -> str:
    return _MECARD_RESERVED.sub(r"\\\1", value)


@dataclass(frozen=True)
class Contact:
    """What a contact card holds, in the order it is written."""

    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def fields(self) -> list[tuple[str, str]]:
        return ([("N", self.name)] + [("TEL", p) for p in self.phones]
                + [("EMAIL", e) for e in self.emails] + [("URL", u) for u in self.urls])


def mecard(contact: Contact) -> str:
    """The contact as a MECARD payload."""
    return "MECARD:" + "".join(f"{key}:{_escape(value)};" for key, value in contact.fields()) \
        + ";"


def parse_mecard(text: str) -> list[tuple[str, str]]:
    """The (field, value) pairs of a MECARD, unescaped, in order. Raises ValueError if
    `text` is not a MECARD."""
    if not text.startswith("MECARD:") or not text.endswith(";;"):
        raise ValueError(f"not a MECARD: {text!r}")
    body = text[len("MECARD:"):-1]
    fields: list[tuple[str, str]] = []
    value: list[str] = []
    escaped = False
    for ch in body:
        if escaped:
            value.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            key, colon, rest = "".join(value).partition(":")
            if not colon:
                raise ValueError(f"a MECARD field without ':': {''.join(value)!r}")
            fields.append((key, rest))
            value = []
        else:
            value.append(ch)
    if value or escaped:
        raise ValueError(f"a MECARD that does not end its last field: {text!r}")
    return fields


def contact_of(helpline: Helpline, region: str) -> Contact:
    """The contact card of a helpline: its phone and text numbers (never an emergency
    number), email and chat page, under its `contact_name`. Raises `ChannelError`."""
    if not helpline.contact_name:
        raise ChannelError(
            f"the helpline '{helpline.name}' has no contact_name to save it under",
            "add contact_name: with a neutral name, e.g. a first name such as 'Sam'", "CG241")
    numbers: list[str] = []
    for written in (helpline.phone, helpline.sms):
        if not written:
            continue
        try:
            parsed = phones.parse_number(written, region)
        except phones.NumberError:
            continue  # reported by the number checks
        if not parsed.is_emergency and parsed.e164 not in numbers:
            numbers.append(parsed.e164)
    emails = (ascii_email(helpline.email),) if helpline.email else ()
    urls = (chat_payload(helpline.chat),) if helpline.chat else ()
    if not (numbers or emails or urls):
        raise ChannelError(
            f"the helpline '{helpline.name}' has nothing a contact can hold",
            "give it a phone or sms number (not an emergency number), an email or a chat "
            "page", "CG241")
    return Contact(helpline.contact_name, tuple(numbers), emails, urls)


def contact_payload(helpline: Helpline, region: str) -> str:
    """The MECARD that saves `helpline` as a contact, read back field by field first."""
    contact = contact_of(helpline, region)
    _check_contact_name(contact.name)
    payload = mecard(contact)
    if parse_mecard(payload) != contact.fields():
        raise ChannelError(f"the contact card for '{contact.name}' does not read back as "
                           "written", "this is a bug in cardgen: please report it", "CG331")
    return payload


def _check_contact_name(name: str) -> None:
    if not name.isascii() or not name.isprintable():
        raise ChannelError(
            f"the contact_name '{name}' has characters a QR contact card cannot carry "
            "safely (phones guess the text encoding)",
            "use a name in plain letters, digits and spaces, e.g. 'Sam'", "CG243")
    if len(name) > MAX_CONTACT_NAME:
        raise ChannelError(
            f"the contact_name '{name}' is {len(name)} characters long",
            f"use a short neutral name (at most {MAX_CONTACT_NAME} characters)", "CG243")


# --- payloads ----------------------------------------------------------------------------


def channel_payload(helpline: Helpline, channel: str | None, region: str) -> str:
    """The QR payload of one way to reach `helpline` (`channel` None: the first it has of
    phone, sms, whatsapp, email, chat). Raises ValueError (`NumberError`, `ChannelError`)."""
    if channel is None:
        if helpline.phone or helpline.sms or helpline.whatsapp:
            return phones.helpline_payload(helpline, region)
        channel = "email" if helpline.email else "chat"
    if channel == "contact":
        return contact_payload(helpline, region)
    written = getattr(helpline, channel)
    if not written:
        raise ChannelError(f"the helpline '{helpline.name}' has no {channel}",
                           f"add {channel}: to it, or point the QR code at another way to "
                           "reach it", "CG330")
    if channel == "phone":
        return phones.tel_payload(phones.parse_number(written, region))
    if channel == "sms":
        return phones.sms_payload(phones.parse_number(written, region), helpline.sms_body)
    if channel == "whatsapp":
        return phones.whatsapp_payload(phones.parse_number(written, region))
    if channel == "email":
        return mailto_payload(written, helpline.email_subject)
    return chat_payload(written)


def face_qr_target(face: Face) -> str | None:
    """What a face's QR code opens, as a `qr:` value: `qr_contact: ID` is `ID.contact`."""
    if face.qr_contact and not face.qr:
        return f"{face.qr_contact}.contact"
    return face.qr


# --- checks ------------------------------------------------------------------------------


def is_free_to_call_gb(parsed: phones.ParsedNumber, region: str) -> bool | None:
    """True for a UK number left off the phone bill (0800, 0808, 116xxx), False for any other
    UK number, None for a number of another country (cardgen does not know its rules)."""
    if parsed.is_short:
        if region.upper() != "GB":
            return None
        return parsed.e164.startswith("116") and len(parsed.e164) == 6
    if not parsed.e164.startswith("+44"):
        return None
    return parsed.e164[3:].startswith(_PHONE_PREFIXES_FREE_GB)


def _email_problems(hid: str, helpline: Helpline) -> list[Problem]:
    if not helpline.email:
        return []
    try:
        ascii_email(helpline.email)
    except ChannelError as exc:
        return [Problem(exc.code, f"helpline '{hid}' email: {exc.message}", "error", exc.fix,
                        ("helplines", hid, "email"))]
    return []


def _bill_problems(hid: str, helpline: Helpline, region: str) -> list[Problem]:
    if helpline.shows_on_bill or not helpline.phone:
        return []
    try:
        parsed = phones.parse_number(helpline.phone, region)
    except phones.NumberError:
        return []  # the number checks say why
    if is_free_to_call_gb(parsed, region) is not False:
        return []
    return [Problem(
        "CG230", f"helpline '{hid}': shows_on_bill is false, but '{helpline.phone}' is not "
        "free to call; only 0800, 0808 and 116 numbers are left off a UK phone bill",
        "error", "remove 'shows_on_bill: false', or use the helpline's 0800 or 0808 number",
        ("helplines", hid, "shows_on_bill"))]


def _contact_name_problems(hid: str, helpline: Helpline, words: tuple[str, ...]
                           ) -> list[Problem]:
    name = helpline.contact_name
    if not name:
        return []
    path: DocPath = ("helplines", hid, "contact_name")
    try:
        _check_contact_name(name)
    except ChannelError as exc:
        return [Problem(exc.code, f"helpline '{hid}': {exc.message}", "error", exc.fix, path)]
    found = discretion.find_words(name, words)
    own = [w for w in re.split(r"[^\w]+", helpline.name) if len(w) > 2]
    found += [w for w in discretion.find_words(name, own) if w not in found]
    if not found:
        return []
    return [Problem(
        "CG242", f"helpline '{hid}': the contact_name '{name}' contains '{found[0]}': anyone "
        "who sees the phone's contacts can tell what it is", "warning",
        "use a neutral name, such as a first name ('Sam') or 'Study group'", path)]


def _face_problems(spec: CardSpec) -> list[Problem]:
    problems: list[Problem] = []
    faces = [("front", spec.front)] + ([("back", spec.back)] if spec.back else [])
    for side, face in faces:
        if face.silent_call and spec.region.upper() != SILENT_CALL_REGION:
            problems.append(Problem(
                "CG235", f"{side}.silent_call: the police Silent Solution (999, then 55) is a "
                f"UK service, and this card's region is {spec.region}", "error",
                f"remove {side}.silent_call, or set region: GB for a card used in the UK",
                (side, "silent_call")))
        if face.qr and face.qr_contact:
            problems.append(Problem(
                "CG244", f"the {side} has both qr and qr_contact, and a face has one QR code",
                "error", "keep one of them, or put qr_contact on the other face",
                (side, "qr_contact")))
        target, channel = split_qr_target(face.qr, spec.helplines) if face.qr else ("", None)
        if face.qr_contact or channel == "contact":
            # `qr: ID.contact` is the same contact card as `qr_contact: ID`
            field = "qr_contact" if face.qr_contact else "qr"
            ident = face.qr_contact or target
            helpline = spec.helplines.get(ident)
            if helpline is None:
                known = ", ".join(spec.helplines) or "none"
                problems.append(Problem(
                    "CG240", f"{side}.qr_contact: no helpline has the id '{ident}'",
                    "error", f"use one of the ids under helplines: ({known})",
                    (side, "qr_contact")))
            elif not (face.qr and face.qr_contact):
                try:
                    contact_of(helpline, spec.region)
                except ChannelError as exc:
                    problems.append(Problem(exc.code, f"{side}.{field}: {exc.message}",
                                            "error", exc.fix, (side, field)))
        if face.qr:
            hid = target
            if channel is not None and channel != "contact" and not getattr(
                    spec.helplines[hid], channel):
                problems.append(Problem(
                    "CG330", f"{side}.qr: the helpline '{hid}' has no {channel}", "error",
                    f"add {channel}: to helplines.{hid}, or point qr at another way to reach "
                    "it", (side, "qr")))
    return problems


def duplicate_numbers(helplines: Mapping[str, Helpline], region: str
                      ) -> list[tuple[str, list[str]]]:
    """(number as first written, ids) of every phone or text number that more than one
    helpline gives, compared as dialled (0808 800 5000 is +44 808 800 5000)."""
    seen: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    for hid, helpline in helplines.items():
        for written in dict.fromkeys((helpline.phone, helpline.sms, helpline.whatsapp)):
            if written is None:
                continue
            try:
                key = phones.parse_number(written, region).e164
            except phones.NumberError:
                continue
            shown.setdefault(key, written)
            if hid not in seen.setdefault(key, []):
                seen[key].append(hid)
    return [(shown[key], ids) for key, ids in seen.items() if len(ids) > 1]


def check_channels(spec: CardSpec) -> list[Problem]:
    """Every problem with the card's emails, chat links, off-the-bill promises, silent-call
    lines, contact cards and repeated numbers."""
    problems: list[Problem] = []
    region = spec.region
    words = (*discretion.builtin_words(), *spec.card.discretion_words)
    for hid, helpline in spec.helplines.items():
        problems += _email_problems(hid, helpline)
        if helpline.chat:
            problems += _chat_problems(hid, helpline.chat)
        problems += _bill_problems(hid, helpline, region)
        problems += _contact_name_problems(hid, helpline, words)
    problems += _face_problems(spec)
    for written, ids in duplicate_numbers(spec.helplines, region):
        names = " and ".join(f"'{spec.helplines[i].name}'" for i in ids)
        problems.append(Problem(
            "CG245", f"the number {written} is listed under two names: {names}", "warning",
            f"keep one of helplines {', '.join(ids)}, or check that each has its own number",
            ("helplines", ids[-1])))
    return problems
