"""cardgen studio without a browser: the document it saves (comments kept), who it answers
(token, Host, Origin), what it refuses to read or take, and the command's own errors."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, run_cli
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from ruamel.yaml import YAML

from cardgen.errors import CardgenError
from cardgen.starter import starter_text
from cardgen.studio import security
from cardgen.studio.document import StudioDocument
from cardgen.studio.server import (
    Studio,
    checked_csv,
    checked_logo,
    language_choices,
    outside_folder,
    safe_name,
)

ALL_EXAMPLES = sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("languages/*.yaml")])


def _opened(tmp_path: Path, text: str) -> StudioDocument:
    path = tmp_path / "cards.yaml"
    path.write_text(text, encoding="utf-8")
    return StudioDocument.open(path)


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    import difflib

    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [(line[0], line[2:]) for line in diff if line[:1] in "+-"]


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda p: p.name)
def test_an_unchanged_document_is_written_back_byte_for_byte(example: Path) -> None:
    document = StudioDocument.open(example)
    assert document.updated_text(document.as_json()) == example.read_text("utf-8")


def test_changing_one_value_rewrites_only_its_line(tmp_path: Path) -> None:
    document = _opened(tmp_path, starter_text())
    data = document.as_json()
    data["front"]["title"] = "Talk to someone"
    data["print"]["copies"] = 60
    assert _changed_lines(document.text, document.updated_text(data)) == [
        ("-", "  title: Need to talk?"), ("+", "  title: Talk to someone"),
        ("-", "  copies: 30                # how many cards you need"),
        ("+", "  copies: 60                # how many cards you need"),
    ]


def test_removing_the_last_key_of_a_block_keeps_the_comment_that_opens_the_next(
        tmp_path: Path) -> None:
    document = _opened(tmp_path, starter_text())
    data = document.as_json()
    del data["front"]["qr"]
    del data["helplines"]["shout"]
    data["back"]["helplines"] = ["childline", "nspcc"]
    text = document.updated_text(data)
    assert "qr:" not in text.split("back:")[0]
    assert "shout" not in text.lower().split("links:")[0].split("helplines:", 2)[2]
    for comment in ("# The back lists the helplines, in this order.",
                    "# Web pages. Use https:// addresses, never link shorteners"):
        assert comment in text
    assert text.index("# Web pages.") < text.index("\nlinks:")
    assert YAML(typ="safe").load(text) == data


def test_added_and_reordered_helplines_are_written_in_the_pages_order(tmp_path: Path) -> None:
    document = _opened(tmp_path, starter_text())
    data = document.as_json()
    helplines = data["helplines"]
    helplines["local"] = {"name": "Local line", "phone": "020 7946 0000"}
    data["helplines"] = {key: helplines[key] for key in ("nspcc", "local", "childline", "shout")}
    data["back"]["helplines"] = ["nspcc", "local", "childline", "shout"]
    text = document.updated_text(data)
    assert list(YAML(typ="safe").load(text)["helplines"]) == ["nspcc", "local", "childline",
                                                             "shout"]
    assert "  helplines: [nspcc, local, childline, shout]\n" in text
    assert '    sms: "85258"            # a text line' in text  # quotes and comment kept


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s.strip()))
def test_any_title_typed_is_read_back_as_typed(title: str) -> None:
    document = StudioDocument(Path("cards.yaml"), starter_text(), None)
    data = document.as_json()
    data["front"]["title"] = title
    data["front"]["footer"] = title + "\nsecond line"
    read = YAML(typ="safe").load(document.updated_text(data))
    assert read["front"]["title"] == title
    assert read["front"]["footer"] == title + "\nsecond line"


def test_a_missing_file_starts_from_the_starter_card_and_is_made_on_save(
        tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    document = StudioDocument.open(path)
    assert document.text == starter_text() and not path.exists()
    data = document.as_json()
    data["campaign"] = "Our card"
    document.save(data)
    assert path.read_text("utf-8") == starter_text().replace(
        "campaign: My helpline card", "campaign: Our card")
    assert [p.name for p in tmp_path.iterdir()] == ["new.yaml"]  # no scratch file left


def test_a_save_during_a_preview_writes_the_document_whole(tmp_path: Path) -> None:
    """Regression: the server writes the page's document for a preview and for Save in two
    threads; both dumped it through one ruamel YAML object, and on a busy machine Save
    failed with EmitterError (test_save_writes_the_yaml_keeping_its_comments, now and then).
    """
    import threading

    document = _opened(tmp_path, starter_text())
    data = document.as_json()
    expected = document.updated_text(data)
    failures: list[str] = []

    def preview_and_save() -> None:
        for turn in range(30):
            try:
                if document.updated_text(data) != expected:
                    failures.append("a different text")
                if turn % 10 == 0:  # a save writes to disk and waits for it: a few
                    document.save(data, overwrite=True)
            except Exception as error:  # what the server would have answered with a 500
                failures.append(repr(error))

    threads = [threading.Thread(target=preview_and_save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert (tmp_path / "cards.yaml").read_text("utf-8") == expected


def test_save_refuses_a_file_changed_on_disk_until_asked_to_overwrite(tmp_path: Path) -> None:
    document = _opened(tmp_path, starter_text())
    other = starter_text().replace("copies: 30", "copies: 40")
    document.path.write_text(other, encoding="utf-8")
    data = document.as_json()
    data["front"]["title"] = "Mine"
    with pytest.raises(CardgenError) as caught:
        document.save(data)
    assert caught.value.code == "CG970"
    assert document.path.read_text("utf-8") == other
    document.save(data, overwrite=True)
    assert "title: Mine" in document.path.read_text("utf-8")
    document.save(data)  # what it wrote itself is no change on disk


def test_a_file_that_is_not_yaml_is_refused_with_its_position(tmp_path: Path) -> None:
    with pytest.raises(CardgenError) as caught:
        _opened(tmp_path, "campaign: x\nfront:\n  title: 'unclosed\n")
    assert caught.value.code == "CG971"
    assert str(caught.value.location).startswith(str(tmp_path / "cards.yaml") + ":")
    with pytest.raises(CardgenError, match="not a set of keys"):
        _opened(tmp_path, "- a\n- b\n")


PORT = 8765
TOKEN = "secret-token"


@pytest.mark.parametrize(("host", "origin", "query", "cookie", "refused"), [
    (f"127.0.0.1:{PORT}", None, TOKEN, None, None),
    (f"localhost:{PORT}", f"http://localhost:{PORT}", None, TOKEN, None),
    (f"127.0.0.1:{PORT}", f"http://127.0.0.1:{PORT}", None, TOKEN, None),
    (f"127.0.0.1:{PORT}", None, None, None, "token"),
    (f"127.0.0.1:{PORT}", None, "wrong", None, "token"),
    (f"127.0.0.1:{PORT}", None, None, "secret-token-but-longer", "token"),
    ("evil.example:8765", None, TOKEN, None, "Host"),
    (f"127.0.0.1:{PORT + 1}", None, TOKEN, None, "Host"),
    (None, None, TOKEN, None, "Host"),
    (f"127.0.0.1:{PORT}", "http://evil.example", None, TOKEN, "other web pages"),
    (f"127.0.0.1:{PORT}", "null", None, TOKEN, "other web pages"),
    (f"127.0.0.1:{PORT}", f"https://127.0.0.1:{PORT}", None, TOKEN, "other web pages"),
])
def test_only_this_page_with_the_token_is_answered(host: str | None, origin: str | None,
                                                  query: str | None, cookie: str | None,
                                                  refused: str | None) -> None:
    why = security.refusal(port=PORT, token=TOKEN, host=host, origin=origin,
                           query_token=query, cookie_token=cookie)
    if refused is None:
        assert why is None
    else:
        assert why is not None and refused in why


@pytest.mark.parametrize(("value", "outside"), [
    ("logo.png", False), ("art/logo.png", False), ("../logo.png", True),
    ("/etc/hosts.png", True), ("~/logo.png", True), ("art/../../x.csv", True),
    ("discreet", False), ("Atkinson Hyperlegible", False),
])
def test_files_outside_the_folder_are_refused(tmp_path: Path, value: str,
                                              outside: bool) -> None:
    data = {"card": {"logo": value, "design": value}, "variants_csv": value}
    problems = outside_folder(data, tmp_path)
    assert bool(problems) == outside
    assert all(p.code == "CG975" for p in problems)
    if outside:
        assert {".".join(map(str, p.path)) for p in problems} == {"card.logo", "card.design",
                                                                  "variants_csv"}


def test_build_pdf_works_for_a_file_named_relative_to_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: `cardgen studio my-cards/cards.yaml` (the README's example) answered Build
    PDF with a server error, the built paths being absolute and the folder relative."""
    (tmp_path / "my-cards").mkdir()
    (tmp_path / "my-cards" / "cards.yaml").write_text(starter_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    studio = Studio(StudioDocument.open(Path("my-cards/cards.yaml")))
    status, answer = studio.build(studio.document.as_json())
    assert status == 200, answer
    names = [f["name"] for f in answer["files"]]
    assert names == ["my-helpline-card.pdf", "my-helpline-card.manifest.csv"]
    pdf = tmp_path / "my-cards" / "output" / "my-helpline-card.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert studio.built["my-helpline-card.pdf"].resolve() == pdf.resolve()


def _image(kind: str, size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#5b2c83").save(out, kind)
    return out.getvalue()


def test_uploaded_logos_are_checked_as_images() -> None:
    assert checked_logo(_image("PNG")) == ".png"
    assert checked_logo(_image("JPEG")) == ".jpg"
    for bad in (_image("GIF"), b"<svg></svg>", b"\x89PNG\r\n\x1a\nbroken", b""):
        with pytest.raises(CardgenError) as caught:
            checked_logo(bad)
        assert caught.value.code == "CG973"
    with pytest.raises(CardgenError, match="MB"):
        checked_logo(_image("PNG") + b"\0" * (6 * 1024 * 1024))
    # cut off in the upload: refused here, as `cardgen check` would refuse it
    for kind in ("PNG", "JPEG"):
        whole = _image(kind, (300, 200))
        with pytest.raises(CardgenError) as caught:
            checked_logo(whole[:len(whole) * 6 // 10])
        assert caught.value.code == "CG973"


def test_a_broken_logo_typed_in_the_form_is_the_located_cg720(tmp_path: Path) -> None:
    whole = _image("JPEG", (300, 200))
    (tmp_path / "cut.jpg").write_bytes(whole[:len(whole) * 6 // 10])
    studio = Studio(_opened(tmp_path, starter_text().replace(
        "design: discreet", "design: classic", 1)))
    data = studio.document.as_json()
    assert isinstance(data, dict)
    data["card"]["logo"] = "cut.jpg"
    answer = studio.render(data, None, ["front", "back"])
    (problem,) = [p for p in answer["problems"] if p["severity"] == "error"]
    assert (problem["code"], problem["path"]) == ("CG720", "card.logo")
    assert problem["where"].startswith("cards.yaml:") and "truncated" in problem["message"]
    assert answer["images"] == {}
    status, built = studio.build(data)
    assert status == 422 and [p["code"] for p in built["problems"]
                              if p["severity"] == "error"] == ["CG720"]
    assert not (tmp_path / "output").exists()


def test_uploaded_backgrounds_are_checked_as_pictures_with_their_own_limit() -> None:
    big = 6 * 1024 * 1024
    photo = _image("JPEG") + b"\0" * big  # a JPEG's reader stops at its end marker
    assert checked_logo(photo, "background picture", 25 * 1024 * 1024) == ".jpg"
    with pytest.raises(CardgenError) as caught:
        checked_logo(b"GIF89a", "background picture", 25 * 1024 * 1024)
    assert caught.value.code == "CG973"
    assert "background picture" in str(caught.value.fix)
    with pytest.raises(CardgenError, match=r"the background picture is 26\.2 MB"):
        checked_logo(_image("PNG") + b"\0" * (25 * 1024 * 1024), "background picture",
                     25 * 1024 * 1024)


@pytest.mark.parametrize("background", [
    "../sky.png", {"front": "../sky.png"}, {"back": "/etc/sky.jpg"}])
def test_background_pictures_outside_the_folder_are_refused(tmp_path: Path,
                                                            background: object) -> None:
    problems = outside_folder({"card": {"background": background}}, tmp_path)
    where = "card.background" + (f".{next(iter(background))}" if isinstance(background, dict)
                                 else "")
    assert [(p.code, ".".join(map(str, p.path))) for p in problems] == [("CG975", where)]
    assert outside_folder({"card": {"background": {"front": "sky.png", "back": "b.jpg"}}},
                          tmp_path) == []


def test_the_language_fields_offer_the_languages_with_labels() -> None:
    from cardgen.input.labels import labelled_languages

    offered = language_choices()
    assert [c["name"] for c in offered] == labelled_languages()
    named = {c["name"]: c["description"] for c in offered}
    assert named["ur"] == "Urdu, اردو" and named["en"] == "English"


def test_uploaded_spreadsheets_are_checked_as_utf8_csv() -> None:
    checked_csv(b"id,code\noak,k7\n")
    for bad in ("id,code\nÉcole,k7\n".encode("latin-1"), b"", b"\0\0\0"):
        with pytest.raises(CardgenError) as caught:
            checked_csv(bad)
        assert caught.value.code == "CG974"


@pytest.mark.parametrize(("name", "safe"), [
    ("logo", "logo"), ("../../etc/passwd", "passwd"), ("..\\..\\x", "x"),
    ("my logo (1)", "my-logo-1"), (".hidden", "hidden"), ("", "upload"), ("...", "upload"),
])
def test_uploaded_file_names_stay_in_the_folder(name: str, safe: str) -> None:
    assert safe_name(name, "upload") == safe


def test_the_command_refuses_a_file_it_cannot_edit_without_a_traceback(
        tmp_path: Path) -> None:
    path = tmp_path / "cards.yaml"
    path.write_text("campaign: [unclosed\n", encoding="utf-8")
    result = run_cli("studio", str(path), "--no-browser")
    assert result.exit_code == 1
    assert "CG971" in result.output and "Traceback" not in result.output
    assert "http://" not in result.output


def test_the_command_refuses_a_new_file_in_a_folder_that_does_not_exist(
        tmp_path: Path) -> None:
    """Regression: `cardgen studio my-card/cards.yaml` (a typo in the folder) served the
    starter card and failed only at the first Save."""
    path = tmp_path / "no-such-folder" / "cards.yaml"
    result = run_cli("studio", str(path), "--no-browser")
    assert result.exit_code == 1
    assert "CG972" in result.output and "no-such-folder" in result.output
    assert "Traceback" not in result.output and "http://" not in result.output
    assert not path.parent.exists()


def test_the_command_says_when_its_port_is_taken(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "youth-group.yaml", tmp_path / "cards.yaml")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("studio", str(tmp_path / "cards.yaml"), "--no-browser",
                         "--port", str(port))
    assert result.exit_code == 1
    assert "CG976" in result.output and f"127.0.0.1:{port}" in result.output


def test_the_page_ships_every_asset_it_uses() -> None:
    static = ROOT / "cardgen" / "studio" / "static"
    page = (static / "index.html").read_text("utf-8")
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert (static / asset.removeprefix("/static/")).is_file(), asset
    for text in (page, (static / "studio.js").read_text("utf-8"),
                 (static / "studio.css").read_text("utf-8")):
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)\w", text), "no CDN"
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"cardgen.studio" = ["static/*"]' in pyproject


@pytest.mark.parametrize("args", [["--help"], ["studio", "--help"]])
def test_help_loads_no_web_framework(args: list[str]) -> None:
    code = ("import sys; from click.testing import CliRunner; from cardgen.cli import main; "
            f"r = CliRunner().invoke(main, {args!r}); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in sys.modules if m.startswith('cardgen.studio') or "
            "m.split('.')[0] in ('starlette', 'uvicorn', 'playwright', 'anyio')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_hours_words_typed_in_the_form_are_saved_as_text_and_checked(tmp_path: Path) -> None:
    from cardgen.input.labels import hours_words
    from cardgen.studio.server import options

    assert options()["hours_words"] == list(hours_words())  # the form's hint names them
    studio = Studio(_opened(tmp_path, starter_text()))
    data = studio.document.as_json()
    data["helplines"]["nspcc"]["hours"] = "{free_any_time}"
    # YAML would read {free_any_time} unquoted as a mapping: it is written as text
    saved = YAML(typ="safe").load(studio.document.updated_text(data))
    assert saved["helplines"]["nspcc"]["hours"] == "{free_any_time}"
    data["helplines"]["nspcc"]["hours"] = "{free_anytime}"
    answer = studio.render(data, None, ["back"])
    assert [(p["code"], p["path"]) for p in answer["problems"]
            if p["severity"] == "error"] == [("CG183", "helplines.nspcc.hours")]
    assert "did you mean {free_any_time}?" in answer["problems"][0]["fix"]


def test_a_design_picture_from_the_cache_is_the_one_drawn(tmp_path: Path,
                                                          private_cache: Path) -> None:
    import cardgen

    drawn = Studio(_opened(tmp_path, starter_text())).design_picture("neon")
    assert drawn is not None and drawn.startswith(b"\x89PNG")
    assert list(private_cache.glob("cardgen/studio/design-neon-*.png"))
    again = Studio(_opened(tmp_path, starter_text()))
    assert again.design_picture("neon") == drawn
    assert again._session is None  # read from the cache: nothing was drawn
    text = starter_text().replace("design: discreet", "design: neon", 1)
    assert cardgen.preview(text, side="front", dpi=72, base_dir=tmp_path) == drawn


def test_a_design_picture_is_drawn_again_when_its_design_file_changed(
        tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cardgen.studio import server

    first = Studio(_opened(tmp_path, starter_text()))
    assert first.design_picture("lagoon") is not None
    text = starter_text().replace("design: discreet", "design: lagoon", 1)
    before = server.design_picture_path("lagoon", text)
    assert before is not None and before.is_file()
    designs = tmp_path / "designs"
    shutil.copytree(server.BUILTIN_DESIGNS, designs)
    with (designs / "lagoon.yaml").open("a", encoding="utf-8") as design:
        design.write("\n# edited\n")
    monkeypatch.setattr(server, "BUILTIN_DESIGNS", designs)
    after = server.design_picture_path("lagoon", text)
    assert after is not None and after != before
    second = Studio(_opened(tmp_path, starter_text()))
    assert second.design_picture("lagoon") is not None
    assert second._session is not None  # drawn, not read from the old entry
    assert after.is_file() and not before.exists()  # the stale entry is gone


def test_the_page_is_answered_while_the_warm_up_runs(tmp_path: Path) -> None:
    import threading

    from cardgen.studio.server import options

    studio = Studio(_opened(tmp_path, (EXAMPLES / "neglect-matters.yaml").read_text("utf-8")))
    warming = threading.Thread(target=studio.warm_up)
    warming.start()
    answer = studio.render(studio.document.as_json(), None, ["front", "back"])
    choices = options()
    warming.join()
    assert answer["problems"] == [] or all(p["severity"] == "warning"
                                           for p in answer["problems"])
    assert set(answer["images"]) == {"front", "back"}
    assert choices is options() and "neon" in {d["name"] for d in choices["designs"]}


def test_the_pickers_choices_from_the_cache_are_the_ones_made(private_cache: Path) -> None:
    from cardgen.studio import server

    made = server._made_options()
    server._options.cache_clear()
    first = server.options()
    kept = list(private_cache.glob("cardgen/studio/options-*.json"))
    assert first == made and len(kept) == 1
    server._options.cache_clear()
    assert server.options() == made  # read back from the file
    kept[0].write_text('{"designs": [', encoding="utf-8")  # cut off: made again
    server._options.cache_clear()
    assert server.options() == made
    assert len(list(private_cache.glob("cardgen/studio/options-*.json"))) == 1
