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

An address that reads as one site but opens another (each message shows the host the
phone will really open, worked out as browsers do, WHATWG URL standard):

- CG310 error: a user name before the host (`https://nspcc.org.uk@evil.example/` opens
  evil.example).
- CG311 error: a host written as a number other than the usual four (`https://3232235777/`,
  `0x7f.1`, `0177.0.0.1`): the computer it opens is shown in dotted form.
- CG312 warning: a host that is an IP address (`https://192.0.2.1/`, `https://[2001:db8::1]/`)
  rather than a site name.
- CG313 error: a host written with %-codes (`https://%6e%73pcc.org.uk/`).
- CG314 warning: a port other than the usual one (`:8443`); error when it is not a port.
- CG315 error: a backslash in the address (phones read it as '/').
- CG316 warning: a host written in punycode (`xn--...`), shown with the letters phones show.
"""

from __future__ import annotations

import functools
import importlib.resources
import ipaddress
import re
import typing
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


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric host as browsers read it: 0x... hex, 0... octal, else decimal."""
    if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
        return int(part[2:] or "0", 16)
    if re.fullmatch(r"0[0-7]+", part):
        return int(part, 8)
    if re.fullmatch(r"[0-9]+", part):
        return int(part)
    return None


def numeric_host(host: str) -> str | None:
    """The IPv4 address a host written as numbers opens (`3232235777`, `0x7f.1`,
    `192.168.0.1`), in dotted form; None for a site name. Raises ValueError for a host that
    ends in a number but is no address (`1.2.3.4.5`, `999.1.1.1`): browsers refuse it."""
    parts = host.rstrip(".").split(".") if host not in ("", ".") else []
    if not parts or _ipv4_number(parts[-1]) is None:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise ValueError(host)
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise ValueError(host)
    value = last
    for i, n in enumerate(head):
        value += n * 256 ** (3 - i)
    return str(ipaddress.IPv4Address(value))


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


def payload_without_utm(spec: CardSpec, target_id: str, code: str) -> str | None:
    """The QR payload `qr_payload` would give with `tracking: {param: ...}` instead of UTM
    tags (what a message about a too-small code compares with), or None when the target is
    not a link tracked with UTM tags."""
    link = spec.links.get(target_id)
    if link is None or not link.track or spec.tracking.utm is None:
        return None
    return _tracked(link.url.strip(), spec.tracking.param, None, None, code)


def _check_url(lid: str, url: str) -> list[Problem]:
    path = ("links", lid, "url")
    problems: list[Problem] = []

    def add(code: str, message: str, severity: Severity, fix: str) -> None:
        problems.append(Problem(code, f"link '{lid}': {message}", severity, fix, path))

    url = url.strip()
    if any(ch.isspace() for ch in url):
        add("CG303", f"the address '{url}' has spaces in it", "error",
            "remove the spaces (a space inside a web address is written %20)")
    if "\\" in url:
        add("CG315", f"the address '{url}' has a backslash in it: phones read it as '/', so "
            "it may open another site or page than it seems to", "error",
            "write the address with '/' only, as the browser's address bar shows it")
        return problems
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed '[' of an IPv6 address
        add("CG307", f"the address '{url}' cannot be read as a web address", "error",
            "copy the address from the browser's address bar")
        return problems
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
    if not _host_opens_what_it_reads(url, parts, host, add):
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


def _host_opens_what_it_reads(url: str, parts: SplitResult, host: str,
                              add: typing.Callable[[str, str, Severity, str], None]) -> bool:
    """Adds the problems of an address that reads as one site but opens another; False when
    it is an error that leaves nothing more to check."""
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at:
        add("CG310", f"the address '{url}' reads as '{userinfo}' but opens {host}: "
            "everything before '@' is a user name, not the site", "error",
            f"write the address of the site itself, without '{userinfo}@' (check that "
            f"{host} is the site you mean)")
        return False
    if "%" in host:
        add("CG313", f"the site name in '{url}' is written with %-codes: it opens "
            f"{unquote(host)}", "error", f"write the site name in plain letters: "
            f"'{unquote(host)}'")
        return False
    try:
        port = parts.port
    except ValueError:
        add("CG314", f"the address '{url}' has a port that is not a number from 0 to 65535 "
            "after the site name", "error", "remove the ':' and what follows the site name")
        return False
    usual = 443 if parts.scheme.lower() == "https" else 80
    if port is not None and port != usual:
        add("CG314", f"the address '{url}' opens port {port} of {host}, not the usual "
            "port of web pages: some networks (schools, workplaces) block it", "warning",
            f"remove ':{port}' unless the site needs it")
    if hostport.startswith("["):
        add("CG312", f"the address '{url}' opens the computer at the IP address {host}, "
            "not a named site: nobody can tell from the card whose it is", "warning",
            "use the help page's own address with its site name")
        return True
    try:
        numeric = numeric_host(host)
    except ValueError:
        add("CG307", f"the host '{host}' is not a valid site name or IP address", "error",
            "copy the address from the browser's address bar")
        return False
    if numeric is not None and numeric != host.rstrip("."):
        add("CG311", f"the host '{host}' in '{url}' is a number written unusually: phones "
            f"open the computer at {numeric}", "error",
            "use the help page's own address with its site name")
        return False
    if numeric is not None:
        add("CG312", f"the address '{url}' opens the computer at the IP address {host}, "
            "not a named site: nobody can tell from the card whose it is", "warning",
            "use the help page's own address with its site name")
        return True
    labels = host.rstrip(".").split(".")
    if any(label.startswith("xn--") for label in labels):
        try:
            shown = host.encode("ascii").decode("idna")
        except UnicodeError:
            add("CG307", f"the host '{host}' is not a valid site name", "error",
                "copy the address from the browser's address bar")
            return False
        add("CG316", f"the host '{host}' is punycode: phones show it as '{shown}'. Letters "
            "from other alphabets can imitate a well-known site", "warning",
            "check it is the site you mean")
    return True


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
