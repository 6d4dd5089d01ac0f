"""`cardgen init`: a commented starter campaign file that builds as it is.

The starter is data (templates/starter.yaml), written for a youth worker who has never seen
YAML. Beside it goes `cardgen.schema.json`, which the file's first line points editors at, so
keys complete and mistakes are underlined without any network. `--interactive` asks a few
questions through an `Ask` callback (the command line supplies one that prompts), checks each
answer with the same rules `cardgen check` uses, and edits the starter round-trip so that its
comments survive.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import CardgenError, OutputError

CARDS_FILE = "cards.yaml"
SCHEMA_FILE = "cardgen.schema.json"
DEFAULT_LINK = "https://www.childline.org.uk/"

#: Checks one answer: returns the value to use, or raises ValueError with what to change.
Validator = Callable[[str], str]
#: Asks the user a question: (prompt, default or None) -> an answer that passed `validator`.
Ask = Callable[[str, str | None, Validator], str]


def starter_text() -> str:
    """The starter file exactly as shipped."""
    return (importlib.resources.files("cardgen.templates") / "starter.yaml").read_text(
        encoding="utf-8")


def schema_text() -> str:
    """The JSON Schema written beside the starter (and to docs/cardgen.schema.json)."""
    from cardgen.input.model import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class LocalHelpline:
    name: str
    phone: str
    hours: str = ""


@dataclass(frozen=True)
class Answers:
    """What `init --interactive` asked for."""

    campaign: str
    local: tuple[LocalHelpline, ...] = field(default_factory=tuple)
    link: str = DEFAULT_LINK


# --- validators: the same rules as `cardgen check`, one answer at a time -------------------


def check_campaign(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("the campaign needs a name, e.g. 'Youth club helpline card'")
    if len(value) > 80:
        raise ValueError("keep the name under 80 characters: it names the PDF file")
    return value


def check_name(text: str) -> str:
    """A helpline's name; empty means 'no more helplines'."""
    value = text.strip()
    if len(value) > 60:
        raise ValueError("keep the name under 60 characters so it fits on the card")
    return value


def check_phone(text: str, region: str = "GB") -> str:
    """A phone number, grouped as it is read (01133789000 -> 0113 378 9000)."""
    from cardgen.checks.phones import NumberError, parse_number

    value = text.strip()
    try:
        number = parse_number(value, region)
    except NumberError as exc:
        raise ValueError(f"{exc.message}; {exc.fix}") from None
    if number.is_emergency:
        raise ValueError("an emergency number is already on the card's footer; "
                         "add a helpline's own number here")
    return grouped(value, region)


def grouped(written: str, region: str = "GB") -> str:
    """A valid number grouped as it is read: 01133789000 -> '0113 378 9000',
    +441133789000 -> '+44 113 378 9000'. Short numbers (116 123) keep their own spacing."""
    import phonenumbers as pn

    from cardgen.checks.phones import parse_number

    number = parse_number(written, region)
    if number.is_short:
        return written.strip()
    international = written.strip().startswith("+") or written.strip().startswith("00")
    style = (pn.PhoneNumberFormat.INTERNATIONAL if international
             else pn.PhoneNumberFormat.NATIONAL)
    return str(pn.format_number(pn.parse(number.e164, None), style))


def check_hours(text: str) -> str:
    """Opening hours as the card prints them; empty means 'leave them off'."""
    value = " ".join(text.split())
    if len(value) > 60:
        raise ValueError("keep the hours under 60 characters so they fit on the card, "
                         "e.g. 'Mon–Fri 9am–5pm'")
    from cardgen.input.hours import HoursProblem, parse_hours

    try:
        parse_hours(value)  # hours words in braces ({free}), as a helpline's hours: takes
    except HoursProblem as problem:
        raise ValueError(f"{problem.message}: {problem.fix}") from None
    return value


def starter_numbers(region: str = "GB") -> dict[str, str]:
    """The starter's helplines: dialled number (as parsed) -> the helpline's name."""
    from ruamel.yaml import YAML

    from cardgen.checks.phones import NumberError, parse_number

    data = YAML(typ="safe", pure=True).load(starter_text())
    found: dict[str, str] = {}
    for entry in data["helplines"].values():
        for written in (entry.get("phone"), entry.get("sms")):
            if written:
                with contextlib.suppress(NumberError):
                    found.setdefault(parse_number(str(written), region).e164, entry["name"])
    return found


def same_number_warning(phone: str, name: str, taken: dict[str, str],
                        region: str = "GB") -> str | None:
    """What to say when `phone` is already on the card under another name (CG245, as
    `cardgen check` says it), else None."""
    from cardgen.checks.phones import NumberError, parse_number

    try:
        key = parse_number(phone, region).e164
    except NumberError:
        return None
    other = taken.get(key)
    if other is None or other == name:
        return None
    return (f"warning CG245: {phone} is already on the card as '{other}'; the card will "
            "list the same number under two names")


def check_link(text: str) -> str:
    from cardgen.checks.links import check_links
    from cardgen.input.model import CardSpec, Face, Link

    value = text.strip()
    try:
        spec = CardSpec(campaign="x", front=Face(qr="page"), links={"page": Link(url=value)})
    except ValueError:
        raise ValueError("write the web address, starting https://") from None
    errors = [p for p in check_links(spec) if p.severity == "error"]
    if errors:
        fix = f"; {errors[0].fix}" if errors[0].fix else ""
        raise ValueError(f"{errors[0].message}{fix}")
    return value


def ask_answers(ask: Ask, say: Callable[[str], None] = lambda _text: None) -> Answers:
    """Asks the campaign name, up to three local helplines (name, phone, opening hours) and
    the help-page link. `say` shows a warning, such as a number already on the card."""
    campaign = ask("Campaign or group name", "My helpline card", check_campaign)
    local: list[LocalHelpline] = []
    taken = starter_numbers()
    while len(local) < 3:
        name = ask("A local helpline to add first (its name; leave empty to skip)", "",
                   check_name)
        if not name:
            break
        phone = ask(f"{name}: phone number", None, check_phone)
        warning = same_number_warning(phone, name, taken)
        if warning is not None:
            say(warning)
        hours = ask(f"{name}: opening hours (e.g. Mon–Fri 9am–5pm; leave empty to skip)",
                    "", check_hours)
        local.append(LocalHelpline(name, phone, hours))
        with contextlib.suppress(ValueError):
            from cardgen.checks.phones import parse_number

            taken.setdefault(parse_number(phone, "GB").e164, name)
    link = ask("Web page the QR code opens", DEFAULT_LINK, check_link)
    return Answers(campaign, tuple(local), link)


def _slug_id(name: str, taken: set[str]) -> str:
    from cardgen.input.model import slugify

    base = slugify(name)[:40].strip("-") or "local"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    return ident


def customised_text(answers: Answers) -> str:
    """The starter with the answers filled in; every comment kept."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(starter_text())
    data["campaign"] = answers.campaign
    helplines: CommentedMap = data["helplines"]
    order: CommentedSeq = data["back"]["helplines"]
    taken = set(helplines) | set(data["links"])
    for position, helpline in enumerate(answers.local):
        ident = _slug_id(helpline.name, taken)
        taken.add(ident)
        entry = CommentedMap()
        entry["name"] = helpline.name
        entry["phone"] = helpline.phone
        if helpline.hours:
            entry["hours"] = helpline.hours
        helplines.insert(position, ident, entry)
        order.insert(position, ident)
    # Every national helpline stays: local numbers come first, and the back's helplines
    # stand in two columns, so the card holds all of them.
    if answers.link != DEFAULT_LINK:
        # A link of the user's own is no longer Childline's: give it a neutral id.
        page = CommentedMap()
        page["name"] = answers.campaign
        page["url"] = answers.link
        links: CommentedMap = data["links"]
        page.ca.items.update(links["childline-web"].ca.items)  # keeps the blank line after it
        links.insert(0, "help-page", page)
        del links["childline-web"]
        data["front"]["qr"] = "help-page"
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def write_starter(directory: Path, answers: Answers | None = None) -> list[Path]:
    """Writes DIRECTORY/cards.yaml and DIRECTORY/cardgen.schema.json; refuses to overwrite
    either (CG910). Returns the paths written, the campaign file first."""
    from cardgen.output import write_atomically

    directory = Path(directory)
    for name in (CARDS_FILE, SCHEMA_FILE):
        if (directory / name).exists():
            raise CardgenError(
                f"{directory / name} already exists; cardgen init never overwrites a file",
                code="CG910",
                fix=f"run `cardgen init NEW-FOLDER`, or move {directory / name} away first",
            )
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory} is a file, not a folder",
                          fix="give cardgen init the name of a folder")
    text = starter_text() if answers is None else customised_text(answers)
    return write_atomically(directory, {CARDS_FILE: text.encode("utf-8"),
                                        SCHEMA_FILE: schema_text().encode("utf-8")})
