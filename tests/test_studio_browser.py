"""cardgen studio in a real browser: Debian's chromium driven by Playwright, against the
`cardgen studio` command run as a user runs it. The page is used as a person uses it (labels,
buttons, typing); what is checked is what they would see or get: the pictures, the messages
beside the fields, the saved YAML, the downloaded PDF's QR codes.

Set CARDGEN_STUDIO_SCREENSHOTS=docs/images to refresh the README's pictures of the studio."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import EXAMPLES, ROOT
from pdfprobe import decode_page
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright
from ruamel.yaml import YAML

from cardgen.layout import designs
from cardgen.starter import starter_text

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = os.environ.get("CARDGEN_STUDIO_SCREENSHOTS")
# CI shares its cores: wait for what a user waits for, however slow the machine (no timing
# is asserted anywhere here).
expect.set_options(timeout=30_000)


@dataclass
class Studio:
    """A running `cardgen studio FILE --no-browser`."""

    process: subprocess.Popen[str]
    url: str
    file: Path

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


def start_studio(file: Path) -> Studio:
    process = subprocess.Popen(
        [sys.executable, "-m", "cardgen", "studio", str(file), "--no-browser"],
        cwd=file.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout=60)
    if not first or not first[0].startswith("cardgen studio: http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"the studio did not start: {first} {process.stderr.read()}")  # type: ignore[union-attr]
    return Studio(process, first[0].split(": ", 1)[1].strip(), file)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    file = tmp_path / "cards.yaml"
    file.write_text(starter_text(), encoding="utf-8")
    running = start_studio(file)
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, studio: Studio) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(studio.url)
    wait_for_preview(opened, 1)
    yield opened
    context.close()
    assert errors == [], "the page's script failed"


def wait_for_preview(page: Page, renders: int) -> None:
    """Waits until the page has had `renders` answers and asks for no other."""
    page.wait_for_function(
        "(n) => +document.body.dataset.renders >= n && document.body.dataset.busy === 'false'",
        arg=renders, timeout=30_000)


def renders(page: Page) -> int:
    return int(page.evaluate("() => +document.body.dataset.renders"))


def edit(page: Page, name: str, value: str) -> None:
    before = renders(page)
    page.locator(f'[name="{name}"]').fill(value)
    wait_for_preview(page, before + 1)


def field(page: Page, name: str) -> object:
    return page.locator(f'[data-path="{name}"]').first


def front_picture(page: Page) -> str:
    return str(page.get_by_role("img", name="Front of the card").get_attribute("src"))


def screenshot(page: Page, name: str, showing: str | None = None) -> None:
    """The README's picture `name`, scrolled to the element `showing` (else the top)."""
    if SCREENSHOTS:
        if showing:
            page.locator(showing).evaluate("(e) => e.scrollIntoView({block: 'center'})")
        else:
            page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(ROOT / SCREENSHOTS / f"studio-{name}.png"))


def saved(studio: Studio) -> dict[str, object]:
    loaded = YAML(typ="safe").load(studio.file.read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# --- the tests ---------------------------------------------------------------------------


def test_typing_a_title_changes_the_pictured_card(page: Page) -> None:
    expect(page.get_by_role("img", name="Back of the card")).to_be_visible()
    first = front_picture(page)
    assert first.startswith("data:image/png;base64,")
    edit(page, "front.title", "Talk to us")
    assert front_picture(page) != first
    expect(page.get_by_role("status").filter(has_text="as it prints")).to_be_visible()
    screenshot(page, "desktop")


def test_a_bad_phone_shows_its_error_beside_it_until_it_is_fixed(page: Page) -> None:
    good = front_picture(page)
    box = page.locator('.field[data-path="helplines.childline.phone"]')
    edit(page, "helplines.childline.phone", "0800 11")
    alert = box.get_by_role("alert")
    expect(alert).to_contain_text("CG201")
    expect(alert).to_contain_text("Fix:")
    expect(page.locator('[name="helplines.childline.phone"]')).to_have_attribute(
        "aria-invalid", "true")
    edit(page, "front.title", "Still the last good card")  # errors: the picture stays
    assert front_picture(page) == good
    screenshot(page, "error", showing='.field[data-path="helplines.childline.phone"]')
    edit(page, "helplines.childline.phone", "0800 1111")
    expect(box.get_by_role("alert")).to_have_count(0)
    assert front_picture(page) != good


def test_adding_and_removing_a_helpline(page: Page, studio: Studio) -> None:
    back = page.get_by_role("img", name="Back of the card")
    before_add = back.get_attribute("src")
    count = renders(page)
    page.get_by_role("button", name="Add a helpline").click()
    wait_for_preview(page, count + 1)
    new = page.locator('fieldset[data-path="helplines.helpline-1"]')
    expect(new.get_by_role("alert").first).to_contain_text("phone")  # no number yet
    expect(page.locator('[name="helplines.helpline-1.name"]')).to_be_focused()
    edit(page, "helplines.helpline-1.name", "Local youth line")
    edit(page, "helplines.helpline-1.phone", "020 7946 0123")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert back.get_attribute("src") != before_add
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved cards.yaml")).to_be_visible()
    data = saved(studio)
    assert data["helplines"]["helpline-1"] == {  # type: ignore[index]
        "name": "Local youth line", "phone": "020 7946 0123"}
    assert data["back"]["helplines"] == ["childline", "nspcc", "shout", "helpline-1"]  # type: ignore[index]

    count = renders(page)
    page.get_by_role("button", name="Move Local youth line up").click()
    wait_for_preview(page, count + 1)
    count = renders(page)
    page.get_by_role("button", name="Remove helpline Childline").click()
    wait_for_preview(page, count + 1)
    expect(page.locator('fieldset[data-path="helplines.childline"]')).to_have_count(0)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved cards.yaml")).to_be_visible()
    data = saved(studio)
    assert list(data["helplines"]) == ["nspcc", "helpline-1", "shout"]  # type: ignore[call-overload]
    assert data["back"]["helplines"] == ["nspcc", "helpline-1", "shout"]  # type: ignore[index]


def test_uploading_a_logo(page: Page, studio: Studio, tmp_path: Path) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (120, 60), "#5b2c83").save(picture, "PNG")
    upload = tmp_path / "upload" / "Our Logo.png"
    upload.parent.mkdir()
    upload.write_bytes(picture.getvalue())
    count = renders(page)
    page.get_by_label("Logo").set_input_files(str(upload))
    wait_for_preview(page, count + 1)
    expect(page.locator('.field[data-path="card.logo"]')).to_contain_text("Now: Our-Logo.png")
    assert (studio.file.parent / "Our-Logo.png").read_bytes() == picture.getvalue()
    expect(page.get_by_role("alert").filter(has_text="CG720")).to_have_count(0)

    not_image = tmp_path / "upload" / "notes.png"
    not_image.write_text("not a picture", encoding="utf-8")
    page.get_by_label("Logo").set_input_files(str(not_image))
    expect(page.locator('.field[data-path="card.logo"]').get_by_role("alert")).to_contain_text(
        "CG973")
    assert not (studio.file.parent / "notes.png").exists()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert saved(studio)["card"]["logo"] == "Our-Logo.png"  # type: ignore[index]


def test_save_writes_the_yaml_keeping_its_comments(page: Page, studio: Studio) -> None:
    edit(page, "front.title", "Talk to someone")
    page.get_by_label("How many cards").fill("60")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved cards.yaml")).to_be_visible()
    expected = starter_text().replace("  title: Need to talk?", "  title: Talk to someone")
    expected = expected.replace("copies: 30 ", "copies: 60 ")
    assert studio.file.read_text("utf-8") == expected


def test_save_never_overwrites_a_change_made_on_disk_silently(page: Page,
                                                             studio: Studio) -> None:
    theirs = starter_text().replace("copies: 30", "copies: 45")
    studio.file.write_text(theirs, encoding="utf-8")
    edit(page, "front.title", "Mine")
    expect(page.get_by_role("alert").filter(has_text="changed by another program")
           ).to_be_visible()  # said before any Save
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="changed on disk")).to_be_visible()
    assert studio.file.read_text("utf-8") == theirs
    page.get_by_role("button", name="Reload from disk").click()
    expect(page.get_by_label("How many cards")).to_have_value("45")
    expect(page.locator('[name="front.title"]')).to_have_value("Need to talk?")


def test_build_downloads_a_pdf_whose_codes_scan(page: Page, studio: Studio,
                                                tmp_path: Path) -> None:
    edit(page, "links.childline-web.url", "https://www.childline.org.uk/get-support/")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Build PDF").click()
    pdf = tmp_path / "downloaded.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == "my-helpline-card.pdf"
    assert decode_page(pdf, 0) == ["https://www.childline.org.uk/get-support/"] * 10
    expect(page.get_by_role("status").filter(has_text="QR code")).to_contain_text("checked")
    expect(page.get_by_role("link", name="my-helpline-card.manifest.csv")).to_be_visible()
    assert (studio.file.parent / "output" / "my-helpline-card.pdf").read_bytes() == \
        pdf.read_bytes()


def test_build_with_errors_writes_nothing_and_says_why(page: Page, studio: Studio) -> None:
    edit(page, "helplines.nspcc.phone", "12")
    page.get_by_role("button", name="Build PDF").click()
    expect(page.get_by_role("alert").filter(has_text="PDF was not built")).to_be_visible()
    assert not (studio.file.parent / "output").exists()


def test_every_input_is_named_by_its_yaml_path_and_labelled(page: Page) -> None:
    controls = page.evaluate("""() => [...document.querySelectorAll(
        '#card-form input, #card-form select, #card-form textarea')].map((c) => ({
          name: c.name, type: c.type,
          labelled: [...c.labels].some((l) => l.offsetParent !== null && l.textContent.trim()),
        }))""")
    assert len(controls) > 40
    names = {c["name"] for c in controls}
    for expected in ("campaign", "front.title", "helplines.childline.phone", "print.sheet",
                     "card.design", "card.colours.ink", "card.logo", "variants_csv",
                     "back.helplines", "links.childline-web.url", "print.copies",
                     "language", "front.language", "back.language", "card.background",
                     "card.background.front", "card.background.back"):
        assert expected in names
    doc_keys = YAML(typ="safe").load(starter_text())
    for control in controls:
        assert control["labelled"], control
        assert control["name"].split(".")[0] in {*doc_keys, "region", "language", "tracking",
                                                 "variants_csv"}, control


def test_usable_on_a_360_pixel_phone(page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    front = page.get_by_role("img", name="Front of the card")
    expect(front).to_be_visible()
    assert (front.bounding_box() or {"x": -1})["x"] >= 0
    page.locator('[name="front.title"]').focus()
    page.keyboard.type(" now")  # by keyboard alone
    wait_for_preview(page, 2)
    screenshot(page, "phone")
    # Far down the form, the card is still in sight and the field being edited is not
    # hidden under it.
    deep = page.locator('[name="helplines.nspcc.phone"]')
    deep.focus()
    box = front.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 780
    assert deep.evaluate("""(e) => { const r = e.getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === e; }""")
    # the language and picture fields fit the screen too
    for name in ("language", "back.language", "card.background", "card.background.back"):
        control = page.locator(f'[name="{name}"]')
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, name


def test_the_printed_sheet_preview(page: Page) -> None:
    page.get_by_role("button", name="Show a printed sheet").click()
    sheet = page.get_by_role("img", name="A printed sheet of cards")
    expect(sheet).to_be_visible(timeout=30_000)
    size = page.evaluate("(img) => [img.naturalWidth, img.naturalHeight]",
                         sheet.element_handle())
    assert size[1] > size[0]  # A4 upright


def _request(studio: Studio, path: str, headers: dict[str, str], method: str = "GET") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=20)
    connection.putrequest(method, path, skip_host=True)
    for key, value in headers.items():
        connection.putheader(key, value)
    connection.putheader("Content-Length", "0")
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_403_without_the_token_from_another_host_or_another_site(studio: Studio) -> None:
    host = f"127.0.0.1:{studio.port}"
    cookie = f"cardgen_studio_{studio.port}={studio.token}"
    assert _request(studio, "/api/state", {"Host": host, "Cookie": cookie}) == 200
    assert _request(studio, f"/?token={studio.token}", {"Host": f"localhost:{studio.port}"}
                    ) == 303
    assert _request(studio, "/api/state", {"Host": host}) == 403
    assert _request(studio, "/", {"Host": host}) == 403
    assert _request(studio, "/static/studio.js", {"Host": host}) == 403
    assert _request(studio, "/api/state", {"Host": host, "Cookie": cookie + "x"}) == 403
    assert _request(studio, "/api/state", {"Host": f"rebound.example:{studio.port}",
                                           "Cookie": cookie}) == 403
    assert _request(studio, f"/?token={studio.token}", {"Host": "rebound.example"}) == 403
    assert _request(studio, "/api/save", {"Host": host, "Cookie": cookie,
                                          "Origin": "http://evil.example"}, "POST") == 403
    assert _request(studio, "/api/state", {"Host": host, "Cookie": cookie,
                                           "Origin": "http://evil.example"}) == 403


def test_a_new_file_is_made_on_the_first_save(browser: Browser, tmp_path: Path) -> None:
    file = tmp_path / "ours" / "cards.yaml"
    file.parent.mkdir()
    running = start_studio(file)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(running.url)
        wait_for_preview(page, 1)
        expect(page.get_by_text("New file: cards.yaml")).to_be_visible()
        assert not file.exists()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        assert file.read_text("utf-8") == starter_text()
        context.close()
    finally:
        assert running.stop() == 0


def test_ctrl_c_stops_it_cleanly_after_one_line(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "youth-group.yaml", tmp_path / "cards.yaml")
    running = start_studio(tmp_path / "cards.yaml")
    assert running.stop() == 0
    out, err = running.process.communicate()
    assert out == ""  # nothing after the one line already read
    assert "Traceback" not in err


def test_a_batch_spreadsheet_upload_and_the_variant_picker(browser: Browser,
                                                           tmp_path: Path) -> None:
    text = (EXAMPLES / "schools-batch.yaml").read_text("utf-8")
    file = tmp_path / "batch" / "cards.yaml"
    file.parent.mkdir()
    file.write_text(text.replace("\nvariants_csv: schools.csv\n", "\n"), encoding="utf-8")
    running = start_studio(file)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(running.url)
        wait_for_preview(page, 1)
        picker = page.get_by_label("Show the card of")
        expect(picker).to_be_hidden()  # one card: nothing to pick
        count = renders(page)
        page.get_by_label("Spreadsheet of batches (CSV)").set_input_files(
            str(EXAMPLES / "schools.csv"))
        wait_for_preview(page, count + 1)
        expect(picker).to_be_visible()
        expect(picker.locator("option")).to_have_count(1 + 5)
        first = front_picture(page)
        count = renders(page)
        picker.select_option("riverside-academy")
        wait_for_preview(page, count + 1)
        assert front_picture(page) != first  # another school's own number
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        assert file.read_text("utf-8") == text  # the line the upload added, as it was
        assert (file.parent / "schools.csv").read_bytes() == (EXAMPLES / "schools.csv"
                                                              ).read_bytes()
        context.close()
    finally:
        assert running.stop() == 0


def test_an_upload_too_big_is_refused_unread(studio: Studio) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", studio.port, timeout=30)
    body = b"\x89PNG" + b"\0" * (6 * 1024 * 1024)
    connection.request("PUT", "/api/upload/logo", body=body, headers={
        "Host": f"127.0.0.1:{studio.port}", "X-File-Name": "big.png",
        "Cookie": f"cardgen_studio_{studio.port}={studio.token}"})
    response = connection.getresponse()
    answer = response.read().decode()
    connection.close()
    assert response.status == 422
    assert "CG973" in answer and "over 5 MB" in answer
    assert sorted(p.name for p in studio.file.parent.iterdir()) == ["cards.yaml"]


def test_picking_a_design_from_its_picture(page: Page, studio: Studio) -> None:
    # every built-in design is offered, each with its picture
    expect(page.locator(".design img")).to_have_count(len(designs.builtin_names()))
    for picture in page.locator(".design img").all():  # each design pictured
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=picture.element_handle(), timeout=30_000)
    before = front_picture(page)
    count = renders(page)
    page.get_by_label("qr-only").check()
    wait_for_preview(page, count + 1)
    assert front_picture(page) != before
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    line = next(x for x in studio.file.read_text("utf-8").splitlines() if "design:" in x)
    assert line.startswith("  design: qr-only") and line.endswith(
        "# a plain front with the QR code, the numbers on the back")


# --- issue 16: a language for each side, pictures behind the card ------------------------

URDU_TITLE = "مدد کے لیے بات کریں"


def test_the_back_in_urdu_prints_urdu_labels_and_saves_under_back(
        page: Page, studio: Studio, tmp_path: Path) -> None:
    from cardgen.input.labels import labelled_languages

    back_language = page.get_by_label("Language of this side (leave empty for the card's)").nth(1)
    assert back_language.get_attribute("name") == "back.language"
    expect(back_language).to_have_attribute("placeholder", "the card's: en")
    # the languages cardgen has labels for are offered, by tag and name
    offered = page.evaluate("""(input) => [...input.list.options].map(
        (o) => [o.value, o.label])""", back_language.element_handle())
    assert [tag for tag, _ in offered] == labelled_languages()
    assert ["ur", "Urdu, اردو"] in offered
    edit(page, "back.language", "ur")
    edit(page, "back.title", URDU_TITLE)
    expect(page.get_by_role("alert")).to_have_count(0)
    # typed right to left, as it prints; the English title stays left to right
    assert page.locator('[name="back.title"]').evaluate("(e) => e.matches(':dir(rtl)')")
    assert page.locator('[name="front.title"]').evaluate("(e) => e.matches(':dir(ltr)')")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Build PDF").click()
    pdf = tmp_path / "two-languages.pdf"
    download.value.save_as(pdf)
    back = " ".join(document_text(pdf, 1).split())  # double-sided: page 2 is the backs
    assert URDU_TITLE in back
    assert "SHOUT لکھ کر بھیجیں" in back  # the SMS label, in Urdu
    assert "Text SHOUT to" not in back
    assert "Scan for help" in " ".join(document_text(pdf, 0).split())  # the front: English

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved cards.yaml")).to_be_visible()
    expected = starter_text().replace("  title: Free, confidential help",
                                      f"  title: {URDU_TITLE}")
    expected = expected.replace("  footer: If you are in danger right now, call 999.\n",
                                "  footer: If you are in danger right now, call 999.\n"
                                "  language: ur\n")
    assert studio.file.read_text("utf-8") == expected  # every comment where it was


def document_text(pdf: Path, page_index: int) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        return str(document[page_index].get_textpage().get_text_range())
    finally:
        document.close()


def test_a_language_name_typed_is_refused_beside_its_field(page: Page) -> None:
    good = front_picture(page)
    edit(page, "back.language", "urdu")
    box = page.locator('.field[data-path="back.language"]')
    alert = box.get_by_role("alert")
    expect(alert).to_contain_text("CG181")
    expect(alert).to_contain_text("'ur'")  # did you mean
    expect(page.locator('[name="back.language"]')).to_have_attribute("aria-invalid", "true")
    assert front_picture(page) == good  # the last good card stays
    edit(page, "language", "Français")  # the card's own field too
    expect(page.locator('.field[data-path="language"]').get_by_role("alert")).to_contain_text(
        "CG18")
    edit(page, "language", "")
    edit(page, "back.language", "ur")
    expect(page.get_by_role("alert")).to_have_count(0)


def _png(path: Path, colour: str, size: tuple[int, int] = (400, 600)) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", size, colour).save(picture, "PNG")
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(picture.getvalue())
    return picture.getvalue()


def _corner_pixel(data_url: str) -> tuple[int, ...]:
    import base64

    png = base64.b64decode(data_url.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as image:
        return tuple(image.convert("RGB").getpixel((3, 3)))  # type: ignore[arg-type]


def test_uploading_a_background_picture(page: Page, studio: Studio, tmp_path: Path) -> None:
    pale = _png(tmp_path / "upload" / "Pale sky.png", "#dcebf7")
    before = front_picture(page)
    assert _corner_pixel(before) == (255, 255, 255)
    count = renders(page)
    page.get_by_label("Picture behind the whole card").set_input_files(
        str(tmp_path / "upload" / "Pale sky.png"))
    wait_for_preview(page, count + 1)
    expect(page.locator('.field[data-path="card.background"]')).to_contain_text(
        "Now: Pale-sky.png")
    assert (studio.file.parent / "Pale-sky.png").read_bytes() == pale
    expect(page.get_by_role("alert")).to_have_count(0)
    after = front_picture(page)
    assert after != before
    assert _corner_pixel(after) == (0xdc, 0xeb, 0xf7)  # the picture, to the card's edge
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert saved(studio)["card"]["background"] == "Pale-sky.png"  # type: ignore[index]
    assert "  background: Pale-sky.png\n" in studio.file.read_text("utf-8")

    # a picture for the back only: the front keeps the whole card's
    _png(tmp_path / "upload" / "warm.png", "#f7e6c4")
    count = renders(page)
    page.get_by_label("Picture behind the back").set_input_files(
        str(tmp_path / "upload" / "warm.png"))
    wait_for_preview(page, count + 1)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert saved(studio)["card"]["background"] == {  # type: ignore[index]
        "front": "Pale-sky.png", "back": "warm.png"}
    assert _corner_pixel(str(page.get_by_role("img", name="Back of the card").get_attribute(
        "src"))) == (0xf7, 0xe6, 0xc4)
    count = renders(page)
    page.get_by_role("button", name="Remove picture behind the back").click()
    wait_for_preview(page, count + 1)
    assert _corner_pixel(str(page.get_by_role("img", name="Back of the card").get_attribute(
        "src"))) == (255, 255, 255)
    expect(page.locator('.field[data-path="card.background.front"]')).to_contain_text(
        "Now: Pale-sky.png")

    not_image = tmp_path / "upload" / "notes.png"
    not_image.write_text("not a picture", encoding="utf-8")
    page.get_by_label("Picture behind the front").set_input_files(str(not_image))
    expect(page.locator('.field[data-path="card.background.front"]').get_by_role("alert")
           ).to_contain_text("CG973")
    assert not (studio.file.parent / "notes.png").exists()


def test_text_too_faint_on_a_picture_is_shown_beside_the_text(page: Page,
                                                              tmp_path: Path) -> None:
    _png(tmp_path / "upload" / "night.png", "#101010")
    count = renders(page)
    page.get_by_label("Picture behind the whole card").set_input_files(
        str(tmp_path / "upload" / "night.png"))
    wait_for_preview(page, count + 1)
    title = page.locator('.field[data-path="front.title"]').get_by_role("alert")
    expect(title).to_contain_text("CG752")
    expect(title).to_contain_text("contrast")
    expect(page.locator('.field[data-path="helplines.childline.phone"]').get_by_role("alert")
           ).to_contain_text("CG752")
    # the picture's field counts them: changing the picture is the other fix
    expect(page.locator('.field[data-path="card.background"]').get_by_role("alert")
           ).to_contain_text("12 texts are too faint to read on this picture")
    # light text reads on it: the errors go
    before = renders(page)
    page.locator('[name="card.colours.ink"]').fill("#ffffff")
    page.locator('[name="card.colours.accent"]').fill("#ffffff")
    page.wait_for_function("(n) => +document.body.dataset.renders > n", arg=before)
    wait_for_preview(page, renders(page))
    expect(page.get_by_role("alert").filter(has_text="CG752")).to_have_count(0)
