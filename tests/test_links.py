"""Links -> tracked, ASCII QR payloads, and the problems users see about their links."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardgen.checks.links import (
    MAX_PAYLOAD,
    ascii_url,
    check_links,
    link_payload,
    qr_payload,
    shortener_hosts,
    tracked_url,
)
from cardgen.errors import Problem
from cardgen.input.model import CardSpec, Face, Helpline, Link, Tracking, Utm

PARAM = Tracking()
UTM = Tracking(utm=Utm(medium="card", campaign="neglect-matters"))
HUB = "https://www.nspcc.org.uk/what-is-child-abuse/types-of-abuse/neglect/"


def spec(links: dict[str, Link], qr: str | None = None,
         helplines: dict[str, Helpline] | None = None) -> CardSpec:
    return CardSpec(campaign="Test", front=Face(title="Help", qr=qr), links=links,
                    helplines=helplines or {})


def only(problems: list[Problem]) -> tuple[str, str]:
    assert len(problems) == 1, problems
    return problems[0].code, problems[0].severity


def test_param_mode_adds_the_code() -> None:
    assert tracked_url(HUB, PARAM, "k7") == HUB + "?b=k7"
    assert tracked_url(HUB, Tracking(param="src"), "k7") == HUB + "?src=k7"


def test_existing_query_and_fragment_are_kept() -> None:
    url = "https://example.org/help?lang=en&x=1#call-us"
    assert tracked_url(url, PARAM, "s01") == "https://example.org/help?lang=en&x=1&b=s01#call-us"


def test_existing_parameter_is_replaced_not_repeated() -> None:
    url = "https://example.org/?b=old&lang=en&b=older"
    assert tracked_url(url, PARAM, "k7") == "https://example.org/?b=k7&lang=en"


def test_utm_mode() -> None:
    assert tracked_url(HUB, UTM, "s01") == (
        HUB + "?utm_source=s01&utm_medium=card&utm_campaign=neglect-matters")
    no_campaign = Tracking(utm=Utm(medium="card"))
    assert tracked_url(HUB + "#x", no_campaign, "s01") == (
        HUB + "?utm_source=s01&utm_medium=card#x")


query_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                     max_size=12)


def raw_ok(text: str) -> bool:
    """Unencoded text a pasted query can carry: no delimiters, spaces or control characters."""
    return all(ch.isprintable() and not ch.isspace() and ch not in "&=#%+?" for ch in text)


@given(
    params=st.lists(st.tuples(query_text.filter(lambda k: k != "b"), query_text), max_size=5),
    code=st.from_regex(r"[A-Za-z0-9_.-]{1,32}", fullmatch=True),
    fragment=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", max_size=10),
    encoded=st.booleans(),
)
def test_tracked_url_keeps_params_and_fragment(
    params: list[tuple[str, str]], code: str, fragment: str, encoded: bool
) -> None:
    if not encoded:  # users paste addresses with raw non-ASCII in them too
        params = [(k, v) for k, v in params if k and raw_ok(k + v)]
        query = "&".join(f"{k}={v}" for k, v in params)
    else:
        query = urlencode(params)
    url = "https://example.org/p" + ("?" + query if query else "") + (
        "#" + fragment if fragment else "")
    result = tracked_url(url, PARAM, code)
    assert result.isascii()
    parts = urlsplit(result)
    assert parse_qsl(parts.query, keep_blank_values=True) == [*params, ("b", code)]
    assert parts.fragment == fragment
    assert parts.netloc == "example.org" and parts.path == "/p"


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")),
               max_size=30))
def test_payloads_are_ascii(path: str) -> None:
    url = "https://nspcс.org.uk/" + path.replace("#", "").replace("?", "")
    for payload in (ascii_url(url), tracked_url(url, PARAM, "k7"), tracked_url(url, UTM, "k7")):
        assert payload.isascii()
        assert payload.startswith("https://xn--nspc-o6d.org.uk/")


def test_idn_host_becomes_punycode_and_path_is_percent_encoded() -> None:
    assert ascii_url("https://nspcс.org.uk/naïve?q=é#top") == (
        "https://xn--nspc-o6d.org.uk/na%C3%AFve?q=%C3%A9#top")


def test_ascii_url_leaves_plain_urls_and_existing_escapes_alone() -> None:
    for url in (HUB, "https://example.org/a%20b?x=1&y=%C3%A9#frag", "https://Ex.org:8443/"):
        assert ascii_url(url) == url


def test_link_payload_tracks_only_tracked_links() -> None:
    assert link_payload(Link(url=HUB, track=True), PARAM, "k7") == HUB + "?b=k7"
    assert link_payload(Link(url=HUB), PARAM, "k7") == HUB


def test_qr_payload_for_links_and_helplines() -> None:
    s = spec({"hub": Link(url=HUB, track=True)}, qr="hub",
             helplines={"shout": Helpline(name="Shout", sms="85258", sms_body="SHOUT"),
                        "police": Helpline(name="Police", phone="999")})
    assert qr_payload(s, "hub", "k7") == HUB + "?b=k7"
    assert qr_payload(s, "shout", "k7") == "SMSTO:85258:SHOUT"
    with pytest.raises(ValueError):
        qr_payload(s, "police", "k7")
    with pytest.raises(ValueError):
        qr_payload(s, "nowhere", "k7")


# --- check_links ---------------------------------------------------------------------


def test_good_links_have_no_problems() -> None:
    s = spec({"hub": Link(url=HUB, track=True),
              "tree": Link(url="https://linktr.ee/somecharity")}, qr="hub")
    assert check_links(s) == []


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<b>hi</b>", "file:///etc/passwd",
            "ftp://example.org/x", "mailto:help@example.org", "www.nspcc.org.uk/help"])
def test_non_web_schemes_are_errors(url: str) -> None:
    problems = check_links(spec({"l": Link(url=url)}))
    assert only(problems) == ("CG301", "error")
    assert problems[0].path == ("links", "l", "url")
    assert "https://" in (problems[0].fix or "")


def test_http_is_a_warning() -> None:
    assert only(check_links(spec({"l": Link(url="http://example.org/")}))) == (
        "CG302", "warning")


def test_no_host_and_spaces_are_errors() -> None:
    assert only(check_links(spec({"l": Link(url="https:///help")}))) == ("CG304", "error")
    assert only(check_links(spec({"l": Link(url="https://example.org/get help")}))) == (
        "CG303", "error")


@pytest.mark.parametrize("url", ["https://bit.ly/3abc", "https://qrco.de/bdX",
                                 "https://www.tinyurl.com/x", "https://go.rebrand.ly/y"])
def test_shorteners_are_a_warning_about_lapsing(url: str) -> None:
    problems = check_links(spec({"l": Link(url=url)}))
    assert only(problems) == ("CG305", "warning")
    assert "lapses" in problems[0].message and "years" in problems[0].message


def test_shortener_list_is_data_and_leaves_out_link_in_bio() -> None:
    hosts = shortener_hosts()
    assert {"bit.ly", "tinyurl.com", "qrco.de", "me-qr.com"} <= hosts
    assert "linktr.ee" not in hosts
    assert all(h == h.strip().lower() and not h.startswith("#") for h in hosts)


def test_idn_host_is_a_warning_showing_punycode() -> None:
    problems = check_links(spec({"l": Link(url="https://nspcс.org.uk/")}))
    assert only(problems) == ("CG306", "warning")
    assert "nspcс.org.uk" in problems[0].message
    assert "xn--nspc-o6d.org.uk" in problems[0].message


def test_too_long_payload_is_an_error_on_the_face() -> None:
    url = "https://example.org/" + "a" * (MAX_PAYLOAD - 30)
    problems = check_links(spec({"l": Link(url=url, track=True)}, qr="l"))
    assert only(problems) == ("CG308", "error")
    assert problems[0].path == ("front", "qr")
    assert "shorter link" in (problems[0].fix or "")
    # with a known short code it fits
    assert check_links(spec({"l": Link(url=url, track=True)}, qr="l"), code="k7") == []


def test_unused_long_link_and_bad_helpline_targets_are_not_reported_here() -> None:
    long_url = "https://example.org/" + "a" * MAX_PAYLOAD
    s = spec({"l": Link(url=long_url)}, qr="bad",
             helplines={"bad": Helpline(name="Bad", phone="0808 800 500")})
    assert check_links(s) == []


# --- addresses that read as one site but open another (issue 12, item 11) ----------------


@pytest.mark.parametrize(("url", "code", "severity", "shows"), [
    ("https://nspcc.org.uk@evil.example/", "CG310", "error", "opens evil.example"),
    ("https://www.nspcc.org.uk:help@evil.example/x", "CG310", "error", "opens evil.example"),
    ("https://3232235777/", "CG311", "error", "192.168.1.1"),
    ("https://0xC0.0xA8.1.1/", "CG311", "error", "192.168.1.1"),
    ("https://0300.0250.0.1/", "CG311", "error", "192.168.0.1"),
    ("https://127.1/", "CG311", "error", "127.0.0.1"),
    ("https://192.0.2.1/help", "CG312", "warning", "192.0.2.1"),
    ("https://[2001:db8::1]/help", "CG312", "warning", "2001:db8::1"),
    ("https://%6e%73%70%63%63.org.uk/", "CG313", "error", "opens nspcc.org.uk"),
    ("https://www.nspcc.org.uk:8443/", "CG314", "warning", "port 8443 of www.nspcc.org.uk"),
    ("https://www.nspcc.org.uk:99999/", "CG314", "error", "not a number from 0 to 65535"),
    ("https://www.nspcc.org.uk:abc/", "CG314", "error", "not a number from 0 to 65535"),
    ("https://nspcc.org.uk\\@evil.example/", "CG315", "error", "backslash"),
    ("https://xn--80ak6aa92e.com/", "CG316", "warning", "'аррӏе.com'"),
    ("https://[::1/", "CG307", "error", "cannot be read"),
    ("https://1.2.3.4.5/", "CG307", "error", "not a valid site name"),
    ("https://256.1.1.1/", "CG307", "error", "not a valid site name"),
])
def test_a_link_that_opens_another_site_says_which(url: str, code: str, severity: str,
                                                   shows: str) -> None:
    problems = check_links(spec({"hub": Link(url=url)}, qr="hub"))
    assert only(problems) == (code, severity)
    assert shows in problems[0].message
    assert problems[0].path == ("links", "hub", "url")


@pytest.mark.parametrize("url", [
    "https://www.nspcc.org.uk:443/help", "https://www.nspcc.org.uk/help#:8443",
    "https://www.nspcc.org.uk/@campaign", "https://example.org/a?next=https://b.example@c",
    "https://www.nspcc.org.uk./help", "https://1800respect.org.au/",
])
def test_ordinary_addresses_say_nothing(url: str) -> None:
    assert check_links(spec({"hub": Link(url=url)}, qr="hub")) == []


_hosts = st.one_of(
    st.sampled_from(["www.nspcc.org.uk", "childline.org.uk", "example.org"]),
    st.integers(0, 2**32 - 1).map(str),
    st.integers(0, 2**32 - 1).map(hex),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.text(st.sampled_from("abc.%0123456789xX"), min_size=1, max_size=12),
)


@given(userinfo=st.one_of(st.none(), st.text(st.characters(
           min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#@[]\\"),
           min_size=1, max_size=15)),
       host=_hosts, port=st.one_of(st.none(), st.integers(0, 99999).map(str),
                                   st.text("0123456789ab", max_size=6)),
       path=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12))
def test_any_address_is_judged_and_names_the_host_it_opens(
        userinfo: str | None, host: str, port: str | None, path: str) -> None:
    url = ("https://" + (f"{userinfo}@" if userinfo else "") + host
           + (f":{port}" if port is not None else "") + "/" + path)
    problems = check_links(spec({"hub": Link(url=url)}, qr="hub"))  # never raises
    codes = {p.code for p in problems if p.severity == "error"}
    if userinfo and "\\" not in url and not codes & {"CG303", "CG307"}:
        assert "CG310" in codes, (url, problems)
        opened = urlsplit(url).hostname
        assert any(f"opens {opened}" in p.message for p in problems), (url, problems)
    if host.isdigit() and not userinfo and "\\" not in url and not codes & {"CG303", "CG314"}:
        dotted = ".".join(str(int(host) >> s & 255) for s in (24, 16, 8, 0))
        assert any(dotted in p.message for p in problems), (url, problems)
