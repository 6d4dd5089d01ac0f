"""Typed, immutable models of a cardgen document, validated once at the edge.

`CardSpec` is one fully resolved card: the top level of the YAML with a variant's keys
merged over it. `Document` is what the user writes (a `CardSpec` plus `variants` and
`variants_csv`); it exists for the JSON Schema. Everything after `config` trusts these
models: lengths are millimetres, colours are `Colour` values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cardgen.input.hours import Hours
from cardgen.input.languages import LANGTAG_PATTERN, LanguageTagProblem, canonical_language
from cardgen.input.languages import PYDANTIC_ERROR as LANGUAGE_TAG_ERROR
from cardgen.input.units import Colour, parse_colour, parse_length

LENGTH_PATTERN = r"^\s*-?(\d+(\.\d+)?|\.\d+)\s*(mm|cm|in|pt)?\s*$"

Length = Annotated[
    float,
    BeforeValidator(parse_length),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": LENGTH_PATTERN}],
            "description": "A length: a number with mm, cm, in or pt; a bare number is mm.",
            "examples": ["85mm", "3.5in", 3],
        }
    ),
]

ColourValue = Annotated[
    Colour,
    BeforeValidator(parse_colour),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": 'A colour: "#rrggbb" or "cmyk(c, m, y, k)" in percent.',
            "examples": ["#1d1d1b", "cmyk(0, 0, 0, 100)"],
        }
    ),
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: ids of helplines, links and variants: letters, digits, - and _ (they name files and QR refs)
Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
]




def _language_tag(value: object) -> object:
    """A `language:` value checked and in canonical form (`ur-pk` -> `ur-PK`); a value that
    is not text is left for pydantic to refuse as such (CG122)."""
    if not isinstance(value, str):
        return value
    try:
        return canonical_language(value)
    except LanguageTagProblem as problem:
        # carried to errors_translate, which reports it under its own code (CG180, CG181)
        raise PydanticCustomError(LANGUAGE_TAG_ERROR, "{message}", {
            "message": problem.message, "code": problem.code, "fix": problem.fix}) from None


#: A BCP 47 language tag, registered and canonical: "en", "ur", "pt-BR", "pa-Arab".
LanguageTag = Annotated[
    str,
    BeforeValidator(_language_tag),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LANGTAG_PATTERN,
            "description": "A BCP 47 language tag whose language is registered (ISO 639).",
            "examples": ["en", "ur", "ur-PK", "pa-Arab"],
        }
    ),
]


class Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, str_strip_whitespace=True
    )


class Colours(Model):
    """The card's three colours."""

    ink: ColourValue = Field(default_factory=lambda: parse_colour("#1d1d1b"),
                             description="Text colour.")
    paper: ColourValue = Field(default_factory=lambda: parse_colour("#ffffff"),
                               description="Card background.")
    accent: ColourValue = Field(default_factory=lambda: parse_colour("#5b2c83"),
                                description="Titles and rules.")


class CardSize(Model):
    """A custom card size."""

    width: Length = Field(gt=0, description="Card width, in portrait (the short side).")
    height: Length = Field(gt=0, description="Card height, in portrait (the long side).")
    corner_radius: Length = Field(default=0.0, ge=0, description="Rounded corners (cut line).")


ErrorCorrection = Literal["L", "M", "Q", "H"]


class FaceBackgrounds(Model):
    """A background picture for each face."""

    front: str | None = Field(default=None, description="PNG or JPEG behind the front.")
    back: str | None = Field(default=None, description="PNG or JPEG behind the back.")


class CardSettings(Model):
    """Size, orientation, design, colours, font and logo of the card."""

    size: str | CardSize | None = Field(
        default=None,
        description="A preset (phone-case, cr80, us-business, compact, mini) or "
        "{width, height}. Default: the sheet's card size, else phone-case.",
        examples=["phone-case", {"width": "55mm", "height": "85mm"}],
    )
    orientation: Literal["portrait", "landscape"] = "portrait"
    design: str = Field(default="discreet", description="Built-in design or path to a file.")
    colours: Colours = Field(default_factory=Colours)
    font: str = Field(default="Atkinson Hyperlegible",
                      description="A family `cardgen list fonts` shows, or a path to a .ttf file.")
    logo: str | None = Field(default=None, description="PNG or JPEG, relative to the YAML file.")
    background: str | FaceBackgrounds | None = Field(
        default=None,
        description="A picture (PNG or JPEG, relative to the YAML file) behind the whole "
        "card, or {front, back} for each face. Text on it must keep 4.5:1 contrast; the QR "
        "code gets a plain patch.",
    )
    qr_error_correction: ErrorCorrection | None = Field(
        default=None,
        description="QR error correction: L, M, Q or H for every code. Default: chosen per "
        "code, the strongest that keeps modules at 0.8 mm or more (H, Q, M), else M, else L.",
    )
    discretion_words: list[Text] = Field(
        default_factory=list,
        description="More words that must not show on the seen face of a discreet design.",
    )


class Face(Model):
    """What one face of the card says; the design decides where each part goes."""

    title: Text | None = None
    text: Text | None = None
    qr: Identifier | None = Field(
        default=None,
        description="Id of a link or helpline; ID.phone, ID.sms, ID.whatsapp, ID.email or "
        "ID.chat for one way to reach a helpline (nspcc.email).",
    )
    helplines: list[Identifier] | None = Field(
        default=None, description="Helpline ids in printed order."
    )
    write_in: Text | None = Field(default=None, description="A label with a line to write on.")
    footer: Text | None = None
    silent_call: bool = Field(
        default=False,
        description="Print the UK police Silent Solution line with the footer (call 999; "
        "if you cannot speak, press 55 when asked). region: GB only.",
    )
    qr_contact: Identifier | None = Field(
        default=None,
        description="Id of a helpline: the QR code saves it to the phone's contacts under "
        "the helpline's contact_name. Instead of qr on this face.",
    )
    language: LanguageTag | None = Field(
        default=None,
        description="BCP 47 language tag of this face's text, when it is not the card's "
        "(an English front, an Urdu back): its direction, fonts and printed labels.")


class Helpline(Model):
    """A helpline: a name and at least one of phone, sms, whatsapp, email, chat."""

    name: Text
    phone: Text | None = Field(default=None, description="Printed exactly as written.")
    sms: Text | None = Field(default=None, description="A number or short code for texts.")
    sms_body: Text | None = Field(default=None, description="Prefilled text message.")
    whatsapp: Text | None = Field(default=None, description="An international number.")
    email: Text | None = Field(
        default=None, description="An email address, printed as written; QR target mailto:."
    )
    email_subject: Text | None = Field(
        default=None, description="Subject line the mailto: QR code fills in."
    )
    chat: Text | None = Field(
        default=None, description="An https:// web-chat page, printed with a label."
    )
    shows_on_bill: bool = Field(
        default=True,
        description="false prints \"Won't show on your phone bill\" under the number; refused "
        "for a GB number that is not free to call (0800, 0808, 116xxx).",
    )
    contact_name: Text | None = Field(
        default=None,
        description="A neutral name (such as a first name) under which a qr_contact code "
        "saves this helpline to the phone's contacts.",
    )
    hours: Hours | None = Field(
        default=None,
        description="Opening hours, printed as written; an hours word in braces ({free}, "
        "{any_time}, {every_day}, {free_any_time}) prints in the face's language: "
        "\"{free}, 9am-5pm\". Write {{ or }} to print a brace.",
    )
    verified_on: dt.date | None = Field(
        default=None, description="When the number was last checked (YYYY-MM-DD)."
    )

    @model_validator(mode="after")
    def _has_a_number(self) -> Helpline:
        if not (self.phone or self.sms or self.whatsapp or self.email or self.chat):
            raise ValueError(
                "a helpline needs at least one of phone, sms, whatsapp, email or chat")
        if self.sms_body and not self.sms:
            raise ValueError("sms_body needs an sms number to send the message to")
        if self.email_subject and not self.email:
            raise ValueError("email_subject needs an email address to write to")
        if not self.shows_on_bill and not (self.phone or self.sms):
            raise ValueError("shows_on_bill is about calls and texts: it needs a phone or "
                             "sms number")
        return self


#: Ways to reach a helpline that a face's `qr:` may pick with `ID.channel` (`nspcc.email`);
#: `contact` is the contact card that `qr_contact: ID` makes.
QR_CHANNELS: tuple[str, ...] = ("phone", "sms", "whatsapp", "email", "chat", "contact")


def split_qr_target(target: str, helplines: Iterable[str]) -> tuple[str, str | None]:
    """(helpline or link id, channel or None) of a face's `qr:` value: `nspcc.email` is the
    email of helpline `nspcc`, unless an id is written exactly so."""
    known = set(helplines)
    if target in known:
        return target, None
    head, dot, channel = target.rpartition(".")
    if dot and head in known and channel in QR_CHANNELS:
        return head, channel
    return target, None


class Link(Model):
    """A web link, usually a help page."""

    name: Text | None = None
    url: Text
    track: bool = Field(default=False, description="Add the batch code to this link.")


class Utm(Model):
    medium: Text = "card"
    campaign: Text | None = None


class Tracking(Model):
    """How a batch code is added to tracked links."""

    param: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] = "b"
    utm: Utm | None = Field(default=None, description="Use utm_source=<code> instead of param.")


class Offset(Model):
    x: Length = 0.0
    y: Length = 0.0


class PrintSettings(Model):
    """Sheet layout, copies, duplex, bleed, crop marks, printer offsets."""

    sheet: str = Field(default="a4-10up", description="Built-in sheet or path to a sheet file.")
    copies: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="Cards per variant; default one full sheet.",
    )
    pack: bool = Field(default=False, description="Variants share sheets.")
    start_at: int = Field(default=1, ge=1, description="First slot to use on the first sheet.")
    duplex: Literal["none", "long-edge", "short-edge"] = "long-edge"
    crop_marks: bool = True
    bleed: Length = Field(default=3.0, ge=0, le=10)
    offset: Offset = Field(default_factory=Offset)
    back_offset: Offset = Field(default_factory=Offset)
    colour: Literal["rgb", "cmyk"] = "rgb"


class CardSpec(Model):
    """One fully resolved card (the top level, or a variant merged over it)."""

    campaign: Text = Field(description="The campaign's name; its slug names output files.")
    region: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        default="GB", description="ISO 3166 country code for reading national numbers."
    )
    language: LanguageTag = Field(default="en", description="BCP 47 language tag of the card "
                                  "text (a face may set its own).")
    card: CardSettings = Field(default_factory=CardSettings)
    front: Face
    back: Face | None = None
    helplines: dict[Identifier, Helpline] = Field(default_factory=dict)
    links: dict[Identifier, Link] = Field(default_factory=dict)
    tracking: Tracking = Field(default_factory=Tracking)
    print: PrintSettings = Field(default_factory=PrintSettings)


class VariantOverride(BaseModel):
    """One batch: an id, a code, copies, and any top-level keys to merge over the top level."""

    model_config = ConfigDict(extra="allow")

    id: Identifier
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,32}$")] | None = None
    copies: int | None = Field(default=None, ge=1)


class Document(CardSpec):
    """The YAML file as written: a card plus optional variants."""

    variants: list[VariantOverride] | None = None
    variants_csv: str | None = Field(default=None, description="Path to a CSV of variants.")


class Variant(Model):
    """One batch to print: its id, its tracking code, and its fully resolved card."""

    id: str
    code: str
    spec: CardSpec
    #: what the variant sets itself beyond id, code and copies, as dotted keys and the
    #: values written (a CSV row's columns): the manifest repeats them
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def copies(self) -> int | None:
        return self.spec.print.copies


def slugify(text: str) -> str:
    """A file-name-safe slug: lower case ASCII letters, digits and single hyphens."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].strip("-") or "cards"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the YAML file, from the same models that validate it."""
    schema = Document.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cardgen campaign file"
    return schema
