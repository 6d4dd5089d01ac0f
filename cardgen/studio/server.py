"""The studio's web server: the page, its assets, and the JSON calls the page makes.

One user, one file, one machine: the server listens on 127.0.0.1 only, behind `security.Guard`.
Every call that looks at the card sends the page's whole document; the server lays it over
FILE's text (`document`), checks it, and pictures it through the public API (`cardgen.Session`), one
call at a time (the library's caches are not shared between threads). The studio reads and
writes only in FILE's folder and its `output/` folder (CG975 for a path that leads out).

Codes used here: CG973 (an uploaded logo or background picture is not a PNG or JPEG, or
too big), CG974 (an uploaded spreadsheet is not UTF-8 CSV, or too big), CG975 (a file named
outside FILE's folder), CG976 (the port cannot be listened on).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import io
import os
import re
import socket
import sys
import tempfile
import threading
import warnings
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cardgen import Session
from cardgen.errors import CardgenError, Location, Problem, sorted_problems
from cardgen.input import limits
from cardgen.layout.backdrop import MAX_IMAGE_PIXELS
from cardgen.studio.document import StudioDocument
from cardgen.studio.security import Guard, cookie_name, new_token

STATIC = Path(__file__).parent / "static"
PREVIEW_DPI = 130
SHEET_DPI = 60
MAX_LOGO_BYTES = 5 * 1024 * 1024
#: A background is often a photo: the studio takes what `cardgen check` reads (CG751).
MAX_BACKGROUND_BYTES = 25 * 1024 * 1024
MAX_REQUEST_BYTES = 4 * 1024 * 1024
#: Values that may name a file; a file must be in FILE's folder.
FILE_FIELDS = (("card", "logo"), ("card", "font"), ("card", "design"), ("print", "sheet"),
               ("variants_csv",), ("card", "background"), ("card", "background", "front"),
               ("card", "background", "back"))
_FILE_LIKE = re.compile(r"[/\\]|\.(ya?ml|json|ttf|otf|png|jpe?g|csv)$", re.IGNORECASE)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def problem_json(problem: Problem, file_name: str) -> dict[str, Any]:
    location = problem.location
    if location is not None and location.csv_column is None:
        # The document the page sent is FILE as it will be saved: say FILE, not a scratch name.
        location = Location(file_name, location.line, location.column)
    return {
        "code": problem.code, "message": problem.message, "severity": problem.severity,
        "fix": problem.fix, "path": ".".join(str(part) for part in problem.path),
        "where": str(location) if location else "", "variant": problem.variant,
    }


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def outside_folder(data: Any, folder: Path) -> list[Problem]:
    """CG975 for each file a value names outside FILE's folder."""
    problems = []
    root = folder.resolve()
    for path in FILE_FIELDS:
        value = _dig(data, path)
        if not isinstance(value, str) or not _FILE_LIKE.search(value):
            continue
        target = Path(value).expanduser()
        resolved = (target if target.is_absolute() else root / target).resolve()
        if not resolved.is_relative_to(root):
            problems.append(Problem(
                "CG975", f"the studio uses only files in {root}: {value} is outside it",
                "error", f"copy the file into {root} and name it without folders, or upload "
                "it from the page", path))
    return problems


def safe_name(name: str, default: str) -> str:
    """An uploaded file's name as a plain file name in FILE's folder (no folders, no dots
    first, letters, digits, '-', '_' and '.')."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name.replace("\\", "/")).name).strip(".-")
    return base[:80] or default


def _free_name(folder: Path, name: str, data: bytes) -> Path:
    """`name` in `folder`, or name-2, name-3 ... when a different file already has it: an
    upload never replaces a file of the user's."""
    stem, suffix = os.path.splitext(name)
    candidate = folder / name
    number = 2
    while candidate.exists() and (not candidate.is_file() or candidate.read_bytes() != data):
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def _write_new(path: Path, data: bytes) -> None:
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def checked_logo(data: bytes, what: str = "logo", limit: int = MAX_LOGO_BYTES) -> str:
    """The file suffix of an uploaded picture (a logo, or `what`: a background picture) that
    cardgen can print; CG973 otherwise."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > limit:
        raise CardgenError(f"the {what} is {len(data) / 1e6:.1f} MB; the studio takes up to "
                           f"{limit // (1024 * 1024)} MB", code="CG973",
                           fix="save a smaller PNG or JPEG (a logo needs a few hundred "
                           "pixels, a whole card about 1,000 x 1,000)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise CardgenError(
                    f"the uploaded {what} has {width} x {height} pixels; cardgen reads "
                    f"images of up to {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
                    code="CG973", fix="save a smaller PNG or JPEG (a logo needs a few "
                    "hundred pixels, a whole card about 1,000 x 1,000)")
            # Every pixel, as `cardgen check` reads it: a cut-off upload is refused here.
            image.load()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError):
        kind = None
    if kind not in ("PNG", "JPEG"):
        raise CardgenError("the uploaded file is not a PNG or JPEG image", code="CG973",
                           fix=f"upload the {what} as a PNG or JPEG file")
    return ".png" if kind == "PNG" else ".jpg"


def checked_csv(data: bytes) -> None:
    if len(data) > limits.MAX_CSV_BYTES:
        raise CardgenError(f"the spreadsheet is {len(data) / 1e6:.1f} MB; cardgen reads up to "
                           f"{limits.MAX_CSV_BYTES // (1024 * 1024)} MB", code="CG974",
                           fix="split the variants over several files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CardgenError("the spreadsheet is not UTF-8 text", code="CG974",
                           fix="save it as 'CSV UTF-8' from your spreadsheet program") from None
    if "\x00" in text or not text.strip():
        raise CardgenError("the file is not a CSV spreadsheet", code="CG974",
                           fix="save it as 'CSV UTF-8' with a header row naming id, code, copies")


def variant_ids(data: Any, folder: Path) -> list[str]:
    """Variant ids for the picker: the YAML's own, then the spreadsheet's `id` column."""
    import csv

    ids = [str(v["id"]) for v in (data.get("variants") or [])
           if isinstance(v, dict) and v.get("id")]
    name = data.get("variants_csv")
    if isinstance(name, str) and not outside_folder({"variants_csv": name}, folder):
        path = folder / name
        try:
            if path.is_file() and path.stat().st_size <= limits.MAX_CSV_BYTES:
                text = path.read_text("utf-8-sig")
                dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[
                    0].count(",") else ","
                ids += [row["id"] for row in csv.DictReader(io.StringIO(text),
                                                            delimiter=dialect)
                        if row.get("id")]
        except (OSError, UnicodeDecodeError, csv.Error, KeyError):
            pass
    return ids[:5000]


class Studio:
    """One editing session of FILE: its document, what was built, and the one lock that lets
    a single library call run at a time."""

    def __init__(self, document: StudioDocument) -> None:
        self.document = document
        # The library's caches (fonts, designs, fitted text, faces) live in one session, used
        # by one call at a time: a session is not safe to share between threads. It is made
        # on first use (by `warm_up`): making it imports the whole pipeline, 0.4 s that
        # would otherwise come before the address is printed.
        self._session: Session | None = None
        self._session_made = threading.Lock()
        self.lock = threading.Lock()
        self.built: dict[str, Path] = {}
        self.design_pictures: dict[str, bytes] = {}

    @property
    def session(self) -> Session:
        with self._session_made:
            if self._session is None:
                self._session = Session()
            return self._session

    @property
    def folder(self) -> Path:
        return self.document.folder

    @property
    def output_dir(self) -> Path:
        return self.folder / "output"

    def problems_json(self, problems: list[Problem]) -> list[dict[str, Any]]:
        return [problem_json(p, self.document.path.name) for p in problems]

    def source(self, data: Any) -> tuple[str, list[Problem]]:
        """The page's document as FILE's text, and the files it names outside the folder."""
        return self.document.updated_text(data), outside_folder(data, self.folder)

    def render(self, data: Any, variant: str | None, sides: list[str]) -> dict[str, Any]:
        """The problems of the page's document and, when it has no errors, pictures of the
        sides asked for (`front` and `back`, or `sheet`) of one variant (the first by
        default)."""
        text, refused = self.source(data)
        ids = variant_ids(data, self.folder)
        chosen = variant if variant in ids else (ids[0] if ids else None)
        problems: list[Problem] = list(refused)
        pictures: dict[str, bytes] = {}
        if not refused:
            with self.lock:
                problems, pictures = self._pictures(text, bool(ids), chosen, sides)
        failed = any(p.severity == "error" for p in problems)
        return {"problems": self.problems_json(sorted_problems(problems)),
                "images": {} if failed else {
                    side: "data:image/png;base64," + base64.b64encode(png).decode()
                    for side, png in pictures.items()},
                "variants": ids, "changed_on_disk": self.document.changed_on_disk()}

    def _pictures(self, text: str, batch: bool, variant: str | None, sides: list[str]
                  ) -> tuple[list[Problem], dict[str, bytes]]:
        # A batch is checked whole (every variant's problems), then one variant pictured.
        # A single card is checked by picturing it: one reading, one layout, one PDF for
        # both faces, and the same problems `check` finds.
        problems = self.session.check(text, base_dir=self.folder) if batch else []
        if any(p.severity == "error" for p in problems):
            return problems, {}
        try:
            if "sheet" in sides:
                return problems, {"sheet": self.session.preview(
                    text, side="sheet", variant=variant, dpi=SHEET_DPI, base_dir=self.folder)}
            made = self.session.previews(text, variants=[variant] if variant else None,
                                         dpi=PREVIEW_DPI, base_dir=self.folder)
        except CardgenError as error:
            return [*problems, *error.problems()], {}
        pictures: dict[str, bytes] = {side: png for name, png in made.images.items()
                    for side in ("front", "back") if side in sides and name.endswith(
                        f"-{side}.png")}
        return [*problems, *made.warnings], pictures

    def warm_up(self) -> None:
        options()  # what the page asks for first
        with contextlib.suppress(CardgenError):  # the page will show the problem
            self.render(self.document.as_json(), None, ["front", "back"])

    def build(self, data: Any) -> tuple[int, dict[str, Any]]:
        text, refused = self.source(data)
        if refused:
            return 422, {"problems": self.problems_json(refused)}
        with self.lock:
            try:
                result = self.session.build(text, self.output_dir, base_dir=self.folder)
            except CardgenError as error:
                return 422, {"problems": self.problems_json(error.problems())}
        files = []
        # The build names its files in full; FILE may have been given relative to here.
        output_dir = self.output_dir.resolve()
        for path in result.paths:
            name = path.resolve().relative_to(output_dir).as_posix()
            self.built[name] = path
            files.append({"name": name, "url": f"/download/{name}"})
        return 200, {"files": files, "codes_verified": result.codes_verified,
                     "warnings": self.problems_json(list(result.warnings))}

    def design_picture(self, name: str) -> bytes | None:
        """The design picker's picture of built-in design `name`: the starter card's front.
        Kept in the user's cache folder (`picture_cache_dir`) under a key of everything it is
        drawn from, so a later start serves it without waiting for the studio's one renderer
        (busy with the first preview while the page loads)."""
        from cardgen.starter import starter_text

        if name not in self.design_pictures:
            text = starter_text().replace("design: discreet", f"design: {name}", 1)
            cached = design_picture_path(name, text)
            if cached is not None:
                with contextlib.suppress(OSError):
                    self.design_pictures[name] = cached.read_bytes()
                    return self.design_pictures[name]
            with self.lock:
                try:
                    self.design_pictures[name] = self.session.preview(
                        text, side="front", dpi=DESIGN_PICTURE_DPI, base_dir=self.folder)
                except CardgenError:
                    return None
            if cached is not None:
                _keep(cached, self.design_pictures[name], f"design-{name}")
        return self.design_pictures[name]


DESIGN_PICTURE_DPI = 72
BUILTIN_DESIGNS = Path(__file__).resolve().parent.parent / "templates" / "designs"


def picture_cache_dir() -> Path | None:
    """Where the studio keeps the pickers' choices and the design pictures between runs:
    cardgen/studio in the user's cache folder ($XDG_CACHE_HOME, else ~/.cache;
    %LOCALAPPDATA% on Windows), or None when there is none (then they are made each run)."""
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None)
    if base and Path(base).is_absolute():
        return Path(base) / "cardgen" / "studio"
    with contextlib.suppress(RuntimeError):  # no home folder
        return Path.home() / ".cache" / "cardgen" / "studio"
    return None


@functools.cache
def _package_digest() -> str:
    """What the studio's pickers and pictures are made of: the versions of cardgen, of what
    draws and names things, and of the font packages; every file of cardgen (name, size,
    date: an edited checkout counts as another cardgen)."""
    import hashlib
    import importlib.metadata

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    fonts = sorted({entry.dist.name for entry in importlib.metadata.entry_points(
        group="fontpkg.family") if entry.dist is not None})
    for name in ("cardgen", "pypdfium2", "reportlab", "uharfbuzz", "pillow", "fonttools",
                 "langcodes", "language-data", *fonts):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{name} {importlib.metadata.version(name)}\n".encode())
    for path in sorted(p for p in package.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts):
        with contextlib.suppress(OSError):
            stat = path.stat()
            digest.update(f"{path} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cached_file(kind: str, key: bytes, suffix: str) -> Path | None:
    """The cache file for `kind` made from what `key` digests (with `_package_digest`);
    None without a cache folder."""
    import hashlib

    folder = picture_cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(_package_digest().encode() + b"\0" + key).hexdigest()
    return folder / f"{kind}-{digest[:32]}{suffix}"


def _keep(path: Path, data: bytes, kind: str) -> None:
    """Writes a cache file whole, and removes the entries of `kind` it replaces (made by
    another cardgen, from another design): the cache keeps one of each."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new(path, data)
        for old in path.parent.glob(f"{kind}-*{path.suffix}"):
            if old != path:
                old.unlink(missing_ok=True)


def design_picture_path(name: str, text: str) -> Path | None:
    """The cache file of the picture of design `name` drawn from `text`: named by a digest of
    the design file's content, the card's text, the resolution and `_package_digest`, so a
    changed design or cardgen never serves an old picture. None without a cache folder."""
    design = BUILTIN_DESIGNS / f"{name}.yaml"
    try:
        content = design.read_bytes()
    except OSError:
        return None
    return _cached_file(f"design-{name}", b"\0".join(
        [content, text.encode(), str(DESIGN_PICTURE_DPI).encode()]), ".png")


@functools.cache
def language_choices() -> list[dict[str, str]]:
    """The languages cardgen prints its fixed labels in, for the language fields to offer
    (any other tag may still be typed): tag, and name in English and in the language."""
    import langcodes

    from cardgen.input.labels import labelled_languages

    choices = []
    for tag in labelled_languages():
        language = langcodes.Language.get(tag)
        name, own = language.display_name(), language.autonym()
        choices.append({"name": tag,
                        "description": name if own == name else f"{name}, {own}"})
    return choices


_options_made = threading.Lock()


def options() -> dict[str, Any]:
    """What the page's pickers offer: the built-in designs, sizes, fonts, sheets and the
    languages with labels (`language_choices`); and the hours words a helpline's hours may
    write in braces, for the form's hint. Made once: the page's first request waits for the
    warm-up's making them rather than making them a second time beside it."""
    with _options_made:
        return _options()


@functools.cache
def _options() -> dict[str, Any]:
    # Kept in the cache folder: reading every design and the language names is 0.25 s of
    # the page's first request; reading them back from a JSON file, a millisecond.
    import json

    cached = _cached_file("options", b"", ".json")
    if cached is not None:
        with contextlib.suppress(OSError, ValueError):
            kept = json.loads(cached.read_bytes())
            if isinstance(kept, dict):
                return kept
    made = _made_options()
    if cached is not None:
        _keep(cached, json.dumps(made, ensure_ascii=False).encode(), "options")
    return made


def _made_options() -> dict[str, Any]:
    from cardgen import catalog
    from cardgen.input.labels import hours_words

    designs = [{"name": r[0], "description": r[1]} for r in catalog.designs_table()[1]]
    sizes = [{"name": r[0], "description": f"{r[1]}{', ' + r[3] if r[3] else ''}"}
             for r in catalog.sizes_table()[1]]
    fonts = [{"name": r[0], "description": r[3]} for r in catalog.fonts_table(system=False)[1]]
    sheets = [{"name": r[0], "description": f"{r[1]}, {r[3]} cards"}
              for r in catalog.sheets_table()[1]]
    return {"designs": designs, "sizes": sizes, "fonts": fonts, "sheets": sheets,
            "languages": language_choices(), "hours_words": list(hours_words())}


async def _capped_body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None past `limit` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


async def _json_body(request: Request) -> Any:
    body = await _capped_body(request, MAX_REQUEST_BYTES)
    if body is None:
        return None
    import json

    try:
        return json.loads(body)
    except ValueError:
        return None


def _refused(error: CardgenError, studio: Studio, status: int = 422) -> JSONResponse:
    return JSONResponse({"problems": studio.problems_json(error.problems())}, status)


#: What the page uploads: kind -> (the YAML path it fills, what it is, its largest size).
#: A picture (a logo, a background) is checked as one; a spreadsheet as UTF-8 CSV.
UPLOADS = {
    "logo": ("card.logo", "logo", MAX_LOGO_BYTES),
    "background": ("card.background", "background picture", MAX_BACKGROUND_BYTES),
    "front-background": ("card.background.front", "background picture", MAX_BACKGROUND_BYTES),
    "back-background": ("card.background.back", "background picture", MAX_BACKGROUND_BYTES),
    "csv": ("variants_csv", "variants spreadsheet", limits.MAX_CSV_BYTES),
}


def create_app(studio: Studio, *, port: int, token: str) -> Guard:
    """The studio's ASGI application, guarded."""
    page = (STATIC / "index.html").read_bytes()

    async def index(request: Request) -> Response:
        if "token" in request.query_params:
            # The address the command printed: keep the token in a cookie, out of the address
            # bar and the browser's history.
            response: Response = RedirectResponse("/", status_code=303)
            response.set_cookie(cookie_name(port), token, httponly=True, samesite="strict",
                                path="/")
            return response
        return Response(page, media_type="text/html; charset=utf-8")

    async def state(request: Request) -> Response:
        doc = studio.document
        data = await run_in_threadpool(doc.as_json)
        return JSONResponse({"file": doc.path.name, "exists": doc.disk_digest is not None,
                             "doc": data, "options": await run_in_threadpool(options),
                             "variants": variant_ids(data, studio.folder)})

    async def render(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("doc"), dict):
            return JSONResponse({"error": "expected {doc: {...}}"}, 400)
        sides = [s for s in body.get("sides", ["front", "back"])
                 if s in ("front", "back", "sheet")]
        variant = body.get("variant") if isinstance(body.get("variant"), str) else None
        try:
            result = await run_in_threadpool(studio.render, body["doc"], variant, sides)
        except CardgenError as error:
            return _refused(error, studio)
        return JSONResponse(result)

    async def save(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("doc"), dict):
            return JSONResponse({"error": "expected {doc: {...}}"}, 400)
        try:
            await run_in_threadpool(studio.document.save, body["doc"],
                                    overwrite=bool(body.get("overwrite")))
        except CardgenError as error:
            return _refused(error, studio, 409 if error.code == "CG970" else 422)
        return JSONResponse({"saved": studio.document.path.name})

    async def reload(request: Request) -> Response:
        try:
            await run_in_threadpool(studio.document.reload)
        except CardgenError as error:
            return _refused(error, studio)
        return JSONResponse({"doc": await run_in_threadpool(studio.document.as_json)})

    async def build(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("doc"), dict):
            return JSONResponse({"error": "expected {doc: {...}}"}, 400)
        status, result = await run_in_threadpool(studio.build, body["doc"])
        return JSONResponse(result, status)

    async def download(request: Request) -> Response:
        path = studio.built.get(request.path_params["name"])
        if path is None or not path.is_file():
            return Response("not built in this session", 404)
        return FileResponse(path, filename=path.name)

    async def design(request: Request) -> Response:
        name = request.path_params["name"]
        known = {d["name"] for d in (await run_in_threadpool(options))["designs"]}
        png = await run_in_threadpool(studio.design_picture, name) if name in known else None
        if png is None:
            return Response("no such design", 404)
        return Response(png, media_type="image/png")

    async def upload(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in UPLOADS:
            return Response("unknown upload", 404)
        field, what, limit = UPLOADS[kind]
        data = await _capped_body(request, limit)
        name = request.headers.get("x-file-name", "")
        try:
            if data is None:
                raise CardgenError(
                    f"the file is over {limit // (1024 * 1024)} MB, more than a {what} needs",
                    code="CG974" if kind == "csv" else "CG973",
                    fix="check that it is the right file; save a picture as a smaller PNG or "
                    "JPEG, split a spreadsheet over several files")
            if kind != "csv":
                chosen = safe_name(os.path.splitext(name)[0], kind.split("-")[-1]) + \
                    checked_logo(data, what, limit)
            else:
                checked_csv(data)
                chosen = safe_name(os.path.splitext(name)[0], "variants") + ".csv"
            target = _free_name(studio.folder, chosen, data)
            if not target.exists():
                await run_in_threadpool(_write_new, target, data)
        except CardgenError as error:
            return JSONResponse({"problems": [problem_json(
                Problem(error.code, error.message, "error", error.fix, tuple(field.split("."))),
                studio.document.path.name)]}, 422)
        return JSONResponse({"field": field, "value": target.name})

    routes = [
        Route("/", index),
        Route("/api/state", state),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/reload", reload, methods=["POST"]),
        Route("/api/build", build, methods=["POST"]),
        Route("/api/upload/{kind}", upload, methods=["PUT"]),
        Route("/api/design/{name}.png", design),
        Route("/download/{name:path}", download),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes), port=port, token=token, headers=SECURITY_HEADERS)


def listen(port: int | None) -> socket.socket:
    """A socket on 127.0.0.1 (a free port unless one is asked for); CG976 when it cannot be."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port or 0))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise CardgenError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})",
                           code="CG976",
                           fix="leave out --port to use a free port, or choose another") from None
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling `ready` once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self.ready()


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def serve(file: Path, *, port: int | None = None, open_browser: bool = True,
          announce: Callable[[str], None] = print) -> None:
    """Runs the studio for FILE until Ctrl-C. Raises CardgenError before listening when FILE
    cannot be edited or the port cannot be had."""
    document = StudioDocument.open(file)
    sock = listen(port)
    port = sock.getsockname()[1]
    token = new_token()
    studio = Studio(document)
    app = create_app(studio, port=port, token=token)
    # Fonts, designs and the renderer load on the first picture (seconds on a busy machine):
    # load them while the browser opens the page, not after it asks.
    threading.Thread(target=studio.warm_up, daemon=True).start()
    url = f"http://127.0.0.1:{port}/?token={token}"

    def ready() -> None:
        announce(f"cardgen studio: {url}")
        if open_browser and _has_display():
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config, ready)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
