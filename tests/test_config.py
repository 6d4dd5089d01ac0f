"""Reading campaign files: examples load, every mistake is located and says what to change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, MINIMAL, write
from hypothesis import given
from hypothesis import strategies as st

from cardgen.errors import CardgenError, InputError, Location, Problem
from cardgen.input.config import deep_merge, load_campaign


def problems_of(path: Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_campaign(path, **kwargs)
    return [p for p in info.value.problems() if p.severity == "error"]


def one_problem(path: Path, **kwargs: Any) -> Problem:
    found = problems_of(path, **kwargs)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def where(problem: Problem) -> tuple[int | None, int | None]:
    assert problem.location is not None
    return problem.location.line, problem.location.column


# --- examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_loads_without_warnings(name: str) -> None:
    loaded = load_campaign(EXAMPLES / name)
    assert loaded.variants
    assert loaded.warnings == ()
    assert loaded.base_dir == EXAMPLES


def test_single_card_is_one_variant_named_by_the_slug() -> None:
    loaded = load_campaign(EXAMPLES / "neglect-matters.yaml")
    assert loaded.slug == "neglect-matters"
    (variant,) = loaded.variants
    assert (variant.id, variant.code, variant.copies) == ("neglect-matters",
                                                          "neglect-matters", 100)
    assert variant.spec.helplines["nspcc"].phone == "0808 800 5000"


def test_schools_batch_has_five_schools_with_their_own_lead() -> None:
    loaded = load_campaign(EXAMPLES / "schools-batch.yaml")
    assert [v.code for v in loaded.variants] == ["s01", "s02", "s03", "s04", "s05"]
    assert loaded.variants[0].id == "oakfield-primary"
    phones = [v.spec.helplines["dsl"].phone for v in loaded.variants]
    assert phones == [f"020 7946 010{i}" for i in range(1, 6)]
    assert [v.copies for v in loaded.variants] == [60, 120, 200, 30, 45]
    # the CSV overrides the lead, the rest of the helpline and file stay as written
    assert loaded.variants[2].spec.helplines["dsl"].name == "Mrs Nowak (safeguarding lead)"
    assert loaded.variants[2].spec.helplines["nspcc"].phone == "0808 800 5000"


def test_only_variants_keeps_those_and_rejects_unknown_ids() -> None:
    loaded = load_campaign(EXAMPLES / "schools-batch.yaml",
                           only_variants=["st-albans-high"])
    assert [v.code for v in loaded.variants] == ["s03"]
    problem = one_problem(EXAMPLES / "schools-batch.yaml", only_variants=["st-alban-high"])
    assert problem.code == "CG140"
    assert "st-alban-high" in problem.message
    assert problem.fix == "did you mean 'st-albans-high'?"


# --- text kept as written ---------------------------------------------------------------


def test_strings_keep_the_users_text(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("Need to talk?", "2026") + """\
helplines:
  childline:
    name: Childline
    phone: 08001111
    verified_on: 2026-10-01
variants:
  - id: bond
    code: 007
""")
    (variant,) = load_campaign(path).variants
    assert variant.code == "007"
    assert variant.spec.front.title == "2026"
    line = variant.spec.helplines["childline"]
    assert line.phone == "08001111"
    assert str(line.verified_on) == "2026-10-01"


def test_booleans_numbers_and_empty_keys(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "    track: true\nprint:\n  copies: 12\n  bleed: 2\n"
                 "tracking:\nback:\n")
    (variant,) = load_campaign(path).variants
    assert variant.spec.links["hub"].track is True
    assert variant.spec.print.copies == 12
    assert variant.spec.print.bleed == 2.0
    assert variant.spec.back is None  # `back:` left empty: a single-sided card


# --- YAML errors ------------------------------------------------------------------------


def test_missing_file_is_cg101(tmp_path: Path) -> None:
    with pytest.raises(CardgenError) as info:
        load_campaign(tmp_path / "nope.yaml")
    assert info.value.code == "CG101"
    assert not isinstance(info.value, InputError)


@pytest.mark.parametrize(
    ("text", "code", "line_col", "fragment"),
    [
        (MINIMAL.replace("  qr: hub", "\tqr: hub"), "CG110", (4, 1), "tabs"),
        (MINIMAL.replace("  title: Need to talk?", "  title: Need: to talk?"),
         "CG110", (3, 14), "':'"),
        (MINIMAL.replace("Need to talk?", '"Need to talk?'), "CG110", None, "not closed"),
        ("", "CG113", None, "empty"),
        ("# only a comment\n", "CG113", None, "empty"),
        ("- a list\n- of things\n", "CG114", (1, 1), "top level"),
        (MINIMAL + "front:\n  title: again\n", "CG111", (8, 1), "lines 2 and 8"),
        (MINIMAL.replace("campaign: Test card", "campaign: !!python/object:os.system x"),
         "CG112", (1, 11), "python/object"),
        (MINIMAL.replace("campaign: Test card", "campaign: !custom x"), "CG112", (1, 11),
         "!custom"),
    ],
    ids=["tab", "colon", "quote", "empty", "comment-only", "list", "duplicate", "python-tag",
         "custom-tag"],
)
def test_yaml_errors_are_located(tmp_path: Path, text: str, code: str,
                                 line_col: tuple[int, int] | None, fragment: str) -> None:
    problem = one_problem(write(tmp_path, text))
    assert problem.code == code
    assert fragment in problem.message
    assert problem.fix
    if line_col is not None:
        assert where(problem) == line_col
    assert problem.location is not None and problem.location.file.endswith("cards.yaml")


def test_empty_file_points_to_init(tmp_path: Path) -> None:
    problem = one_problem(write(tmp_path, "\n"))
    assert problem.fix is not None and "cardgen init" in problem.fix


def test_file_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cards.yaml"
    path.write_bytes(MINIMAL.replace("Need to talk?", "Caf\xe9").encode("latin-1"))
    problem = one_problem(path)
    assert (problem.code, where(problem)[0]) == ("CG110", 3)
    assert "UTF-8" in problem.message


@pytest.mark.slow
def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    problem = one_problem(write(tmp_path, "\n".join(lines) + "\n"))
    assert problem.code == "CG110"


# --- validation errors ------------------------------------------------------------------

Edit = Callable[[str], str]


def add(text: str) -> Edit:
    return lambda base: base + text


def swap(old: str, new: str) -> Edit:
    def edit(base: str) -> str:
        assert old in base
        return base.replace(old, new)

    return edit


@pytest.mark.parametrize(
    ("edit", "code", "line_col", "message", "fix"),
    [
        (add("card:\n  colors: {ink: '#000000'}\n"), "CG120", (9, 3),
         "unknown key 'colors' in card", "did you mean 'colours'?"),
        (add("zzz: 1\n"), "CG120", (8, 1), "unknown key 'zzz' at the top level",
         "the keys allowed here are: back, campaign, card"),
        (swap("campaign: Test card\n", ""), "CG121", (1, 1), "campaign is missing",
         "add 'campaign:'"),
        (swap("    url: https://example.org/help", "    name: Hub"), "CG121", (6, 3),
         "url is missing in links.hub", "add 'url:'"),
        (swap("  title: Need to talk?\n  qr: hub\n", ""), "CG121", (2, 1), "front is empty",
         "write a value for 'front'"),
        (add("print:\n  copies: lots\n"), "CG122", (9, 11), "expected a whole number",
         "write a whole number"),
        (add("    track: maybe\n"), "CG122", (8, 12), "expected true or false", None),
        (swap("  qr: hub", "  qr: hub\n  title2: x\n  helplines: nspcc"), "CG122", (6, 14),
         "expected a list of ids", None),
        (swap("  title: Need to talk?", "  title: [a, b]"), "CG122", (3, 10),
         "front.title: expected text, not a list", "write text here"),
        (add("card: {size: {width: 5x, height: 85mm}}\n"), "CG122", (8, 22),
         "card.size.width: '5x' is not a length", "write a number with mm"),
        (add("card: {size: [1, 2]}\n"), "CG122", (8, 14),
         "expected text or a mapping of keys and values, not a list", None),
        (add("card: {colours: {ink: red}}\n"), "CG122", (8, 23), "'red' is not a colour",
         "#rrggbb"),
        (add("card: {orientation: sideways}\n"), "CG122", (8, 21), "'portrait' or 'landscape'",
         None),
        (add("region: England\n"), "CG122", (8, 9), "region", "two-letter country code"),
        (add("helplines:\n  nspcc:\n    name: NSPCC\n"), "CG122", (9, 3),
         "needs at least one of phone, sms, whatsapp, email or chat", "add a 'phone:'"),
        (add("helplines:\n  nspcc:\n    name: NSPCC\n    phone: 1\n    verified_on: 2026-13-40\n"),
         "CG122", (12, 18), "expected a date (YYYY-MM-DD)", None),
        (swap("  hub:", "  my hub:"), "CG122", (6, 3), "'my hub' is not allowed", "an id uses"),
    ],
    ids=["unknown-key", "unknown-key-no-match", "missing-top", "missing-nested", "empty-face-key",
         "not-int", "not-bool", "not-list", "not-text", "bad-length", "union", "bad-colour",
         "literal", "pattern", "model-validator", "bad-date", "bad-id"],
)
def test_validation_errors_are_located_with_a_fix(
    tmp_path: Path, edit: Edit, code: str, line_col: tuple[int, int], message: str,
    fix: str | None,
) -> None:
    found = problems_of(write(tmp_path, edit(MINIMAL)))
    matching = [p for p in found if p.code == code and message in p.message]
    assert matching, "\n".join(map(str, found))
    problem = matching[0]
    assert where(problem) == line_col, str(problem)
    assert problem.fix
    if fix is not None:
        assert fix in problem.fix


def test_every_error_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("  title: Need", "  titel: Need").replace("qr: hub", "qr: hubb")
    found = problems_of(write(tmp_path, text + "print: {copies: x}\n"))
    # ids are checked even though the model did not validate
    assert sorted((p.code, where(p)) for p in found) == [
        ("CG120", (3, 3)), ("CG122", (8, 17)), ("CG130", (4, 7))]


# --- cross references -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "code", "line_col", "message", "fix"),
    [
        (swap("qr: hub", "qr: hubb"), "CG130", (4, 7), "no link or helpline has the id 'hubb'",
         "did you mean 'hub'?"),
        (add("back:\n  helplines: [nspcc, hub]\nhelplines:\n  nspcc: {name: N, phone: '1'}\n"),
         "CG130", (9, 22), "'hub' is a link, not a helpline", "use one of: nspcc"),
        (add("back:\n  helplines: [childlin]\nhelplines:\n  childline: {name: C, phone: '1'}\n"),
         "CG130", (9, 15), "no helpline has the id 'childlin'", "did you mean 'childline'?"),
        (add("helplines:\n  hub: {name: Hub line, phone: '1'}\n"), "CG131", (6, 3),
         "'hub' is the id of both a helpline and a link", "rename"),
        (add("back:\n  helplines: []\n"), "CG133", (8, 1), "back of the card has nothing",
         "single-sided"),
    ],
    ids=["qr", "link-as-helpline", "typo-helpline", "both", "empty-back"],
)
def test_cross_references(tmp_path: Path, edit: Edit, code: str, line_col: tuple[int, int],
                          message: str, fix: str) -> None:
    problem = one_problem(write(tmp_path, edit(MINIMAL)))
    assert (problem.code, where(problem)) == (code, line_col), str(problem)
    assert message in problem.message
    assert problem.fix is not None and fix in problem.fix


def test_back_without_helplines_means_all(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "back: {}\nhelplines:\n  n: {name: N, phone: '1'}\n")
    (variant,) = load_campaign(path).variants
    assert variant.spec.back is not None and variant.spec.back.helplines is None


def test_unprinted_helpline_is_a_located_warning(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "  spare:\n    url: https://example.org/x\n")
    loaded = load_campaign(path)
    (warning,) = loaded.warnings
    assert (warning.code, warning.severity, where(warning)) == ("CG134", "warning", (8, 3))


# --- variants ---------------------------------------------------------------------------

VARIANTS = MINIMAL + """\
helplines:
  dsl:
    name: Lead
    phone: 020 7946 0000
back:
  helplines: [dsl]
variants:
  - id: north
    code: n1
    copies: 50
    helplines:
      dsl: {phone: 020 7946 0001}
  - id: south
    back: {title: South}
"""


def test_yaml_variants_merge_over_the_top_level(tmp_path: Path) -> None:
    north, south = load_campaign(write(tmp_path, VARIANTS)).variants
    assert (north.id, north.code, north.copies) == ("north", "n1", 50)
    assert north.spec.helplines["dsl"] == north.spec.helplines["dsl"].model_copy(
        update={"name": "Lead", "phone": "020 7946 0001"})
    assert (south.code, south.copies) == ("south", None)
    assert south.spec.helplines["dsl"].phone == "020 7946 0000"
    assert south.spec.back is not None
    assert south.spec.back.title == "South" and south.spec.back.helplines == ["dsl"]


def test_locate_prefers_the_variants_own_text(tmp_path: Path) -> None:
    loaded = load_campaign(write(tmp_path, VARIANTS))
    file = str(tmp_path / "cards.yaml")
    # north writes its own phone; the name comes from the top level
    assert loaded.locate("north", ("helplines", "dsl", "phone")) == Location(file, 19, 20)
    assert loaded.locate("north", ("helplines", "dsl", "name")) == Location(file, 10, 11)
    assert loaded.locate("south", ("helplines", "dsl", "phone")) == Location(file, 11, 12)
    # copies is shorthand for print.copies
    assert loaded.locate("north", ("print", "copies")) == Location(file, 17, 13)
    # a key nobody wrote falls back to the nearest mapping that is written
    assert loaded.locate("south", ("back", "footer")) == Location(file, 21, 11)
    assert loaded.locate(None, ("links", "hub", "track")) == Location(file, 6, 3)


@pytest.mark.parametrize(
    ("edit", "code", "line_col", "message"),
    [
        (swap("  - id: south", "  - id: north"), "CG131", (20, 9), "two variants have the id"),
        (swap("  - id: south", "  - id: south\n    code: n1"), "CG131", (21, 11),
         "the code 'n1'"),
        (swap("  - id: south", "  - id: south side"), "CG140", (20, 9), "not a safe name"),
        (swap("  - id: south", "  - name: south"), "CG140", (20, 5), "variant 2 has no id"),
        (swap("    copies: 50", "    copies: many"), "CG122", (17, 13), "print.copies"),
        (swap("    back: {title: South}", "    bak: {title: South}"), "CG120", (21, 5),
         "unknown key 'bak'"),
        (swap("variants:\n", "variants: north\n"), "CG140", (14, 11), "must be a list"),
    ],
    ids=["dup-id", "dup-code", "unsafe-id", "no-id", "copies", "unknown-key", "not-a-list"],
)
def test_variant_errors(tmp_path: Path, edit: Edit, code: str, line_col: tuple[int, int],
                        message: str) -> None:
    text = edit(VARIANTS)
    if "variants: north" in text:
        text = text.split("variants: north\n")[0] + "variants: north\n"
    problem = one_problem(write(tmp_path, text))
    assert (problem.code, where(problem)) == (code, line_col), str(problem)
    assert message in problem.message
    assert problem.fix


def test_variant_problem_is_labelled_only_when_it_is_the_variants_own(tmp_path: Path) -> None:
    text = VARIANTS.replace("    copies: 50", "    copies: 0") + "print: {copies: x}\n"
    found = problems_of(write(tmp_path, text))
    labels = {(p.location.line if p.location else None, p.variant) for p in found}
    # copies 0 is north's own; the top level's copies only hurts south (north overrides it)
    assert labels == {(17, "north"), (22, "south")}


# --- CSV variants -----------------------------------------------------------------------

CSV_YAML = VARIANTS.split("variants:\n")[0] + "variants_csv: schools.csv\n"


def write_csv(tmp_path: Path, text: str, *, bom: bool = False, encoding: str = "utf-8") -> None:
    data = text.encode(encoding)
    (tmp_path / "schools.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def test_csv_with_bom_and_excel_quoting(tmp_path: Path) -> None:
    write_csv(tmp_path, 'id,code,copies,helplines.dsl.phone,front.helplines,back.title\r\n'
              'oak,007,60,01707 281000,"dsl",\r\n'
              ',,,,,\r\n'
              'elm,,,,,"Help, here"\r\n', bom=True)
    oak, elm = load_campaign(write(tmp_path, CSV_YAML)).variants
    assert (oak.id, oak.code, oak.copies) == ("oak", "007", 60)
    assert oak.spec.helplines["dsl"].phone == "01707 281000"
    assert oak.spec.front.helplines == ["dsl"]
    # empty cells mean "not given": the top level stays
    assert (elm.code, elm.copies, elm.spec.helplines["dsl"].phone) == ("elm", None,
                                                                       "020 7946 0000")
    assert elm.spec.back is not None and elm.spec.back.title == "Help, here"


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolons", "tabs"])
def test_csv_from_a_spreadsheet_that_separates_cells_otherwise(tmp_path: Path,
                                                                separator: str) -> None:
    # Excel writes semicolons where the decimal mark is a comma; "Unicode text" uses tabs.
    rows = [["id", "code", "copies", "helplines.dsl.name", "back.title"],
            ["oak", "o1", "60", "Ms Patel, safeguarding lead", ""],
            ["elm", "", "", "", '"Help; here"' if separator == ";" else "Help; here"]]
    write_csv(tmp_path, "\r\n".join(separator.join(row) for row in rows) + "\r\n", bom=True)
    oak, elm = load_campaign(write(tmp_path, CSV_YAML)).variants
    assert (oak.id, oak.code, oak.copies) == ("oak", "o1", 60)
    assert oak.spec.helplines["dsl"].name == "Ms Patel, safeguarding lead"  # a comma kept
    assert elm.spec.back is not None and elm.spec.back.title == "Help; here"


def test_a_ragged_semicolon_row_says_semicolons(tmp_path: Path) -> None:
    write_csv(tmp_path, "id;code\noak;o1;extra\n")
    problem = one_problem(write(tmp_path, CSV_YAML))
    assert (problem.code, problem.location and problem.location.line) == ("CG150", 2)
    assert problem.fix is not None and "semicolons" in problem.fix


def test_csv_argument_adds_rows_after_yaml_variants(tmp_path: Path) -> None:
    path = write(tmp_path, VARIANTS)
    write_csv(tmp_path, "id,print.copies\nwest,7\n")
    loaded = load_campaign(path, variants_csv=tmp_path / "schools.csv")
    assert [(v.id, v.copies) for v in loaded.variants] == [("north", 50), ("south", None),
                                                           ("west", 7)]


@pytest.mark.parametrize(
    ("csv_text", "code", "row", "column", "message"),
    [
        ("id,copies\noak,60\nelm,none\n", "CG122", 3, "copies", "expected a whole number"),
        ("id,card.colors.ink\noak,#000000\n", "CG120", 2, "card.colors.ink",
         "unknown key 'colors'"),
        ("id,helplines.dsl.phone\noak,1\noak,2\n", "CG131", 3, "id", "two variants have the id"),
        ("id,back.helplines\noak,\"dsl, nspcc\"\n", "CG130", 2, "back.helplines", "'nspcc'"),
        ("id,code\noak,o1,extra\n", "CG150", 2, None, "row 2 has 3 cells"),
        ("code\no1\n", "CG150", 1, None, "no 'id' column"),
        ("id,code,back.title\noak,o1,\"two\nlines\"\nelm,no code!,\n", "CG140", 4, "code",
         "cannot go in a link"),
    ],
    ids=["int", "unknown-key", "dup-id", "id-list", "ragged", "no-id", "multiline-row"],
)
def test_csv_errors_name_row_and_column(tmp_path: Path, csv_text: str, code: str, row: int,
                                        column: str | None, message: str) -> None:
    write_csv(tmp_path, csv_text)
    found = problems_of(write(tmp_path, CSV_YAML))
    matching = [p for p in found if p.code == code]
    assert matching, "\n".join(map(str, found))
    problem = matching[0]
    assert problem.location is not None
    assert problem.location.file.endswith("schools.csv")
    assert (problem.location.line, problem.location.csv_column) == (row, column), str(problem)
    assert message in problem.message


def test_csv_not_utf8_says_how_to_save(tmp_path: Path) -> None:
    write_csv(tmp_path, "id,back.title\noak,ok\nelm,Caf\xe9\n", encoding="cp1252")
    problem = one_problem(write(tmp_path, CSV_YAML))
    assert (problem.code, problem.location and problem.location.line) == ("CG150", 3)
    assert problem.fix is not None and "CSV UTF-8" in problem.fix


def test_missing_csv_is_located_at_the_yaml_key(tmp_path: Path) -> None:
    problem = one_problem(write(tmp_path, CSV_YAML))
    assert (problem.code, where(problem)) == ("CG150", (14, 15))


def test_csv_location_is_used_by_locate(tmp_path: Path) -> None:
    write_csv(tmp_path, "id,helplines.dsl.phone\noak,1\n")
    loaded = load_campaign(write(tmp_path, CSV_YAML))
    csv_name = str(tmp_path / "schools.csv")
    assert loaded.locate("oak", ("helplines", "dsl", "phone")) == Location(
        csv_name, 2, None, "helplines.dsl.phone")
    assert loaded.locate("oak", ("helplines", "dsl", "name")).line == 10  # type: ignore[union-attr]


# --- deep_merge -------------------------------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "d"])
leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3),
                   st.lists(st.integers(), max_size=3))
trees = st.recursive(leaves, lambda inner: st.dictionaries(keys, inner, max_size=4),
                     max_leaves=12)
mappings = st.dictionaries(keys, trees, max_size=4)


@pytest.mark.slow
@given(mappings)
def test_merge_with_nothing_is_identity(base: dict[str, Any]) -> None:
    assert deep_merge(base, {}) == base
    assert deep_merge({}, base) == base


@pytest.mark.slow
@given(mappings, mappings)
def test_override_wins_except_where_both_are_mappings(base: dict[str, Any],
                                                       over: dict[str, Any]) -> None:
    merged = deep_merge(base, over)
    assert set(merged) == set(base) | set(over)
    for key, value in merged.items():
        if key not in over:
            assert value == base[key]
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and isinstance(
                over[key], dict):
            assert value == deep_merge(base[key], over[key])
        else:
            assert value == over[key]  # scalars, lists and None replace


def test_merge_lists_replace_and_mappings_merge() -> None:
    base = {"back": {"title": "T", "helplines": ["a", "b"]}, "copies": 1}
    over = {"back": {"helplines": ["c"]}, "copies": 2}
    assert deep_merge(base, over) == {"back": {"title": "T", "helplines": ["c"]}, "copies": 2}
    assert base["back"] == {"title": "T", "helplines": ["a", "b"]}  # inputs left alone


# --- robustness -------------------------------------------------------------------------

yaml_bits = st.sampled_from(["campaign: x\n", "front:\n", "  title: t\n", "  qr: a\n", "- ",
                             "\t", ": ", "{", "]", "&a ", "*a ", "!!python/name:os ", "'",
                             "\x00", "helplines:\n  a: {name: n, phone: '1'}\n", "\n", "#",
                             "variants:\n  - id: v\n", "<<: ", "? "])


@pytest.mark.slow
@given(st.lists(yaml_bits, max_size=12).map("".join))
def test_any_text_loads_or_reports_problems(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), text)
        try:
            load_campaign(path)
        except InputError as error:
            assert error.problems()
            assert all(p.fix and p.code.startswith("CG1") for p in error.problems())


def test_an_anchor_defined_twice_is_a_located_warning_not_a_python_warning(
        tmp_path: Path) -> None:
    import warnings

    text = MINIMAL.replace("front:\n", "front: &face\n") + "back: &face\n  title: Hello\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ruamel's own warning would fail the test here
        loaded = load_campaign(write(tmp_path, text))
    (warning,) = loaded.warnings
    assert warning.code == "CG117" and warning.severity == "warning"
    assert warning.location == Location(str(tmp_path / "cards.yaml"), 8, 7)
    assert "'&face' is defined twice (lines 2 and 8)" in warning.message
