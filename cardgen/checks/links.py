"""Web links -> QR payloads (tracking codes added, made ASCII), and the checks on links.

QR readers guess the text encoding of a payload, so every payload leaves here as ASCII:
an internationalised host becomes punycode and non-ASCII or space characters in the path,
query and fragment are percent-encoded. The user's query string and fragment are kept; a
batch code is added (or replaces an existing value) as `?b=<code>` or UTM parameters.

Problem codes (path ("links", id, "url") unless said otherwise):

- CG301 error: a scheme other than https/http (javascript:, data:, file:, mailto: ...),
  or no scheme at all.
- CG302 warning: an http: address.
- CG303 error: spaces inside the address.
- CG304 error: no host.
- CG305 warning: a URL-shortener or dynamic-QR host (templates/link_hosts.txt).
- CG306 warning: a non-ASCII (internationalised) host, shown with its punycode form.
- CG307 error: a host that cannot be encoded for the internet (bad IDN, empty label).
- CG308 error: a QR payload longer than `MAX_PAYLOAD` characters (path (face, "qr")).
"""

from __future__ import annotations

import functools
import importlib.resources
from urllib.parse import SplitResult, quote, unquote, urlsplit

from cardgen.checks.phones import helpline_payload
from cardgen.errors import Problem, Severity
from cardgen.input.model import CardSpec, Link, Tracking, split_qr_target

#: Above this a QR code gets too dense to scan at card size (version ~15 at M).
MAX_PAYLOAD = 500
#: Stands in for an unknown batch code when checking lengths: codes are at most 32 chars.
_LONGEST_CODE = "x" * 32

# RFC 3986 characters that may stay as they are in each part; '%' keeps existing escapes.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_SAFE_USERINFO = ":!$&'()*+,;=-._~%"


@functools.cache
def shortener_hosts() -> frozenset[str]:
    """URL-shortener and dynamic-QR hosts, from templates/link_hosts.txt."""
    text = (importlib.resources.files("cardgen.templates") / "link_hosts.txt").read_text(
        encoding="utf-8")
    hosts = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(h for h in hosts if h)


def _is_shortener(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in shortener_hosts())


def _ascii_host(host: str) -> str:
    """The host as it goes on the wire; raises UnicodeError for an unencodable IDN."""
    if host.isascii():
        return host
    return host.encode("idna").decode("ascii")


def _ascii_netloc(parts: SplitResult) -> str:
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):  # an IPv6 literal is ASCII already
        return parts.netloc
    host, colon, port = hostport.partition(":")
    new = _ascii_host(host) + colon + port
    if at:
        new = quote(userinfo, safe=_SAFE_USERINFO) + "@" + new
    return new


def _join(parts: SplitResult, netloc: str, query: str | None, url: str) -> str:
    # Built by hand: urlunsplit drops an empty '?' or '#' the user wrote.
    text = f"{parts.scheme}://{netloc}" if parts.scheme else netloc
    text += quote(parts.path, safe=_SAFE_PATH)
    if query is not None:
        text += "?" + quote(query, safe=_SAFE_QUERY)
    if parts.fragment or "#" in url:
        text += "#" + quote(parts.fragment, safe=_SAFE_QUERY)
    return text


def ascii_url(url: str) -> str:
    """`url` with an IDN host as punycode and non-ASCII characters percent-encoded.

    Raises ValueError if the host cannot be encoded.
    """
    url = url.strip()
    parts = urlsplit(url)
    try:
        netloc = _ascii_netloc(parts)
    except UnicodeError as e:
        raise ValueError(f"the host of '{url}' cannot be encoded: {e}") from None
    query = parts.query if (parts.query or "?" in url.split("#", 1)[0]) else None
    return _join(parts, netloc, query, url)


def _set_params(query: str, params: list[tuple[str, str]]) -> str:
    """`query` with each (key, value) set: replaced in place if present, else appended."""
    pairs = [p for p in query.split("&") if p] if query else []
    wanted = dict(params)
    done: set[str] = set()
    out: list[str] = []
    for pair in pairs:
        key = unquote(pair.split("=", 1)[0].replace("+", " "))
        if key in wanted:
            if key in done:
                continue  # a repeated key would leave two codes; readers take either
            done.add(key)
            out.append(f"{quote(key, safe='')}={quote(wanted[key], safe='')}")
        else:
            out.append(pair)
    out.extend(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params if k not in done)
    return "&".join(out)


def tracked_url(url: str, tracking: Tracking, code: str) -> str:
    """`url` with the batch `code` added, as ASCII, keeping its query and fragment.

    Param mode: `?b=<code>` (tracking.param). UTM mode: utm_source=<code>, utm_medium,
    and utm_campaign when set. A parameter already in the URL has its value replaced.
    """
    utm = tracking.utm
    if utm is not None:
        return _tracked(url.strip(), None, utm.medium, utm.campaign, code)
    return _tracked(url.strip(), tracking.param, None, None, code)


# A card's payload is asked for several times (its QR code encoded ahead with the whole
# batch's, its length checked, then laid out); bounded, as a batch of unique codes grows.
@functools.lru_cache(maxsize=4096)
def _tracked(url: str, param: str | None, medium: str | None, campaign: str | None,
             code: str) -> str:
    parts, netloc = _split(url)
    if param is None:
        assert medium is not None
        params = [("utm_source", code), ("utm_medium", medium)]
        if campaign is not None:
            params.append(("utm_campaign", campaign))
    else:
        params = [(param, code)]
    return _join(parts, netloc, _set_params(parts.query, params), url)


# A batch tracks the same link with a thousand codes: the address is taken apart once.
@functools.lru_cache(maxsize=256)
def _split(url: str) -> tuple[SplitResult, str]:
    parts = urlsplit(url)
    try:
        return parts, _ascii_netloc(parts)
    except UnicodeError as e:
        raise ValueError(f"the host of '{url}' cannot be encoded: {e}") from None


def link_payload(link: Link, tracking: Tracking, code: str) -> str:
    """The QR payload of a link: tracked if `link.track`, ASCII always."""
    if link.track:
        return tracked_url(link.url, tracking, code)
    return ascii_url(link.url)


def qr_payload(spec: CardSpec, target_id: str, code: str) -> str:
    """The QR payload for a face's `qr:` target: a link id, a helpline id, or one way to
    reach a helpline (`nspcc.email`, `nspcc.chat`, `nspcc.contact`: see `channels`).

    Raises ValueError for an unknown id, an invalid number or an emergency number.
    """
    # channels builds on this module (a chat page is checked as a link is)
    from cardgen.checks import channels

    if target_id in spec.links:
        return link_payload(spec.links[target_id], spec.tracking, code)
    hid, channel = split_qr_target(target_id, spec.helplines)
    if hid in spec.helplines:
        helpline = spec.helplines[hid]
        if channel is None and (helpline.phone or helpline.sms or helpline.whatsapp):
            return helpline_payload(helpline, spec.region)
        return channels.channel_payload(helpline, channel, spec.region)
    raise ValueError(f"qr: '{target_id}' is neither a link nor a helpline id")


def _check_url(lid: str, url: str) -> list[Problem]:
    path = ("links", lid, "url")
    problems: list[Problem] = []

    def add(code: str, message: str, severity: Severity, fix: str) -> None:
        problems.append(Problem(code, f"link '{lid}': {message}", severity, fix, path))

    url = url.strip()
    if any(ch.isspace() for ch in url):
        add("CG303", f"the address '{url}' has spaces in it", "error",
            "remove the spaces (a space inside a web address is written %20)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme or (scheme not in ("http", "https") and not parts.netloc and "." in scheme):
        add("CG301", f"the address '{url}' does not start with https://", "error",
            f"use an https:// address, e.g. 'https://{url.removeprefix('//')}'")
        return problems
    if scheme not in ("http", "https"):
        add("CG301", f"'{scheme}:' addresses are not allowed in a QR code; only web pages "
            "(https:) are", "error", "use an https:// address")
        return problems
    if scheme == "http":
        add("CG302", f"'{url}' is an http: address: it is not encrypted, and some phones "
            "warn before opening it", "warning", "use https:// if the site supports it")
    host = parts.hostname or ""
    if not host:
        add("CG304", f"the address '{url}' has no host (site name)", "error",
            "write the full address, e.g. 'https://www.example.org/help'")
        return problems
    if not host.isascii():
        try:
            encoded = _ascii_host(host)
        except UnicodeError:
            add("CG307", f"the host '{host}' cannot be encoded as an internet address",
                "error", "copy the address from the browser's address bar")
            return problems
        add("CG306", f"the address's host '{host}' contains non-ASCII letters; it will be "
            f"encoded as '{encoded}'. Letters from other alphabets can imitate a well-known "
            "site", "warning", "check it is the site you mean (retype the address in plain "
            "letters if it should be plain)")
    elif any(not label for label in host.rstrip(".").split(".")):
        add("CG307", f"the host '{host}' is not a valid site name", "error",
            "copy the address from the browser's address bar")
        return problems
    if _is_shortener(_ascii_host(host)):
        add("CG305", f"'{host}' is a link-shortener or dynamic-QR service: its links stop "
            "working when the account or subscription behind them lapses, and printed cards "
            "live for years", "warning", "use the help page's own full address")
    return problems


@functools.lru_cache(maxsize=1024)
def _url_problems(lid: str, url: str) -> tuple[Problem, ...]:
    # Every variant of a batch has the same links.
    return tuple(_check_url(lid, url))


def check_url_problems(lid: str, url: str) -> tuple[Problem, ...]:
    """The problems of one web address, said of link `lid` (path ("links", lid, "url"))."""
    return _url_problems(lid, url)


def check_links(spec: CardSpec, *, code: str | None = None) -> list[Problem]:
    """Every problem with the card's links, and with the length of each QR payload.

    `code` is the variant's batch code; without it, tracked links are measured with the
    longest possible code so a length error cannot appear only for some batches.
    """
    problems: list[Problem] = []
    bad_links: set[str] = set()
    for lid, link in spec.links.items():
        found = list(_url_problems(lid, link.url))
        if any(p.severity == "error" for p in found):
            bad_links.add(lid)
        problems.extend(found)
    faces = [("front", spec.front)] + ([("back", spec.back)] if spec.back else [])
    for face_name, face in faces:
        target = face.qr or (f"{face.qr_contact}.contact" if face.qr_contact else None)
        if target is None or target in bad_links:
            continue
        try:
            payload = qr_payload(spec, target, code if code is not None else _LONGEST_CODE)
        except ValueError:
            continue  # unknown ids are config's to report, numbers are phones'
        if len(payload) > MAX_PAYLOAD:
            problems.append(Problem(
                "CG308",
                f"{face_name} qr '{target}': the QR payload is {len(payload)} characters, "
                f"more than {MAX_PAYLOAD}; the code would be too dense to scan at card size",
                "error",
                "use a shorter link (the help page's own short address, without "
                "tracking or extra query parameters)",
                (face_name, "qr"),
            ))
    return problems
