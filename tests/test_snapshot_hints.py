"""Hints for a snapshot folder's near misses (docs/formats/snapshots.md, docs/formats/bad-input.md):
a misnamed table file, a misspelt column name, another delimiter, a day not on the calendar and
the field a quote opens in, each with its exact message; unrelated names stay as they were."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from test_bad_input import (
    USERS,
    assert_nothing_written,
    assert_rejected,
    hashes,
    invoke,
    lines,
    predict,
    write,
    write_institution,
)
from test_csverrors import LINES, PIPES, problem
from typer.testing import Result

from simulator import db
from simulator.inputs import snapshot
from simulator.inputs.csverrors import CsvFile

PATRON = ("extract/patron.csv: no table named 'patron' in an extract-side snapshot: did you mean "
          "'patrons.csv'? (the folder has no patrons table, and a table is read only from a file "
          "of its exact name)")


@pytest.fixture
def inst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small valid institution of test_bad_input: freeze/, extract/, scenario.yaml."""
    monkeypatch.chdir(tmp_path)
    return write_institution(tmp_path)


def valid(result: Result) -> list[str]:
    """The warnings of a run that must still pass."""
    assert result.exit_code == 0, result.output
    return lines(result, "warning")


# --- a table file under a name close to its table's ------------------------------------------


def test_a_misspelt_file_of_an_absent_table_stops_the_run_at_the_file(inst: Path) -> None:
    (inst / "extract" / "patrons.csv").rename(inst / "extract" / "patron.csv")
    before = hashes(inst)
    assert_rejected(invoke("snapshot", "validate", "extract"), [PATRON])
    assert_rejected(predict(), [PATRON])
    assert_nothing_written(inst, before)


@pytest.mark.parametrize(("name", "meant"), [
    ("patron.parquet", "patrons.parquet"), ("Patrons.csv", "patrons.csv"),
    ("patronss.csv", "patrons.csv")])
def test_every_spelling_close_to_an_absent_table_is_an_error(inst: Path, name: str,
                                                             meant: str) -> None:
    (inst / "extract" / "patrons.csv").rename(inst / "extract" / name)
    result = invoke("snapshot", "validate", "extract")
    assert result.exit_code == 2, result.output
    assert f"did you mean '{meant}'?" in lines(result, "error")[0]


def test_a_misspelt_file_beside_its_table_is_a_warning_with_the_hint(inst: Path) -> None:
    write(inst / "extract", {"patron.csv": "primary_id\nP9\n"})
    assert valid(invoke("snapshot", "validate", "extract")) == [
        "extract/patron.csv: no table named 'patron' in an extract-side snapshot (did you mean "
        "'patrons.csv'?); ignored"]


def test_unrelated_files_stay_plain_warnings(inst: Path) -> None:
    """notes is 0.62 like invoices (which the folder lacks) by difflib: too far to be taken
    for it."""
    write(inst / "extract", {"notes.csv": "a\n1\n", "test.csv": "b\n", "README": "x"})
    assert valid(invoke("snapshot", "validate", "extract")) == [
        "extract/README: not a table file (.csv or .parquet); ignored",
        "extract/notes.csv: no table named 'notes' in an extract-side snapshot; ignored",
        "extract/test.csv: no table named 'test' in an extract-side snapshot; ignored"]


def test_a_command_reading_other_tables_does_not_look_at_the_misnamed_file(inst: Path) -> None:
    (inst / "extract" / "patrons.csv").rename(inst / "extract" / "patron.csv")
    snap = snapshot.open_snapshot(inst / "extract")
    assert [str(p) for p in snapshot.only(snap, {"patrons", "orders"}).problems] == [PATRON]
    assert snapshot.only(snap, {"orders"}).problems == []


@pytest.mark.parametrize(("name", "meant"), [
    ("user", "users"), ("itmes", "items"), ("library", "libraries"), ("LOANS", "loans"),
    ("user_role", "user_roles"), ("notes", None), ("test", None), ("errors", None),
    ("users_backup", None), ("patron", None), ("readme", None)])
def test_which_names_are_taken_for_a_table(name: str, meant: str | None) -> None:
    assert snapshot.meant_table(name, "alma") == meant


# --- a header name close to a column the file lacks ------------------------------------------


def test_a_misspelt_optional_column_is_a_warning_at_its_header_field(inst: Path) -> None:
    write(inst / "freeze", {"users.csv": USERS.replace("origin,", "orign,", 1)})
    assert valid(invoke("snapshot", "validate", "freeze")) == [
        "freeze/users.csv:1:3: column 'orign' is not a column of users (did you mean "
        "'origin'?); its values are ignored"]
    result = predict()
    assert result.exit_code in (0, 1), result.output
    write(inst / "freeze", {"users.csv": USERS})
    assert predict("run2").exit_code == result.exit_code  # a warning changes no exit code


def test_a_miscased_optional_column_is_a_warning_too(inst: Path) -> None:
    write(inst / "extract", {"patrons.csv": "primary_id,Email\nP1,a@b.invalid\n"})
    assert valid(invoke("snapshot", "validate", "extract")) == [
        "extract/patrons.csv:1:2: column 'Email' is not a column of patrons (did you mean "
        "'email'?); its values are ignored"]


def test_unrelated_extra_columns_are_kept_without_a_word(inst: Path) -> None:
    write(inst / "extract", {"patrons.csv": "primary_id,notes,phone,email\nP1,x,1,a@b.invalid\n"})
    assert valid(invoke("snapshot", "validate", "extract")) == []


def test_a_column_present_under_its_name_is_no_near_miss(inst: Path) -> None:
    """e_mail beside email: an extra column like any other."""
    write(inst / "extract", {"patrons.csv": "primary_id,email,e_mail\nP1,a@b.invalid,x\n"})
    assert valid(invoke("snapshot", "validate", "extract")) == []


def test_a_misspelt_required_column_is_an_error_at_its_header_field(inst: Path) -> None:
    write(inst / "freeze", {"user_roles.csv": "primary_id,roletype,scope\nJSmith,Patron,TST\n"})
    result = invoke("snapshot", "validate", "freeze")
    assert lines(result, "warning") == []  # the error says it
    assert_rejected(result, [
        "freeze/user_roles.csv:1:2: missing required column 'role_type' (the header has: "
        "primary_id, roletype, scope; column 'roletype': did you mean 'role_type'?)"])


def test_a_missing_required_column_without_a_near_miss_is_as_before(inst: Path) -> None:
    write(inst / "freeze", {"user_roles.csv": "primary_id,kind,scope\nJSmith,Patron,TST\n"})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        "freeze/user_roles.csv:1:1: missing required column 'role_type' (the header has: "
        "primary_id, kind, scope)"])


# --- another delimiter -----------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "shown"), [(";", "';'"), ("\t", "tabs")])
def test_a_file_delimited_otherwise_names_its_delimiter(inst: Path, delimiter: str,
                                                        shown: str) -> None:
    write(inst / "freeze", {"locations.csv": f"library_code{delimiter}code{delimiter}name\n"
                                             f"MAIN{delimiter}STACKS{delimiter}Stacks, 1st\n"})
    before = hashes(inst)
    problems = [f"freeze/locations.csv:1:1: the file seems to be delimited by {shown}, but "
                "snapshot CSV files use ',' (save it with commas between fields)"]
    assert_rejected(invoke("snapshot", "validate", "freeze"), problems)
    assert_rejected(predict(), problems)
    assert_nothing_written(inst, before)


def test_a_semicolon_that_does_not_split_into_the_columns_gets_no_delimiter_hint(
        inst: Path) -> None:
    write(inst / "freeze", {"libraries.csv": "kode;name\nMAIN;Main\n"})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        "freeze/libraries.csv:1:1: missing required column 'code' (the header has: kode;name)"])
    write(inst / "freeze", {"libraries.csv": "code,name;long\nMAIN,Main;x\n"})
    assert valid(invoke("snapshot", "validate", "freeze")) == []


# --- a day not on the calendar ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "why"), [
    ("2026-02-31T12:00:00", "2026-02-31 is not a day of the calendar (2026-02 has days 01 to 28)"),
    ("2024-02-30", "2024-02-30 is not a day of the calendar (2024-02 has days 01 to 29)"),
    ("2026-04-00", "2026-04-00 is not a day of the calendar (2026-04 has days 01 to 30)"),
    ("2026-13-01 08:00", "2026-13-01 is not a day of the calendar (months are 01 to 12)"),
    ("2026-02-10T25:00:00Z", "25:00:00 is not a time of day (00:00:00 to 23:59:59)"),
    ("2026-02-10T10:60", "10:60 is not a time of day (00:00:00 to 23:59:59)"),
    ("2024-02-29T10:00:00", None), ("2026-02-10T24:00:00", None),  # real: DuckDB reads them
    ("yesterday", None), ("31/02/2026", None), (" 2026-02-31", None),  # not ISO-shaped
])
def test_why_an_iso_value_is_no_day(value: str, why: str | None) -> None:
    assert snapshot.not_on_calendar(value) == why


def test_a_value_has_a_reason_exactly_when_the_type_check_fails_on_an_iso_shape() -> None:
    """The message's arithmetic agrees with DuckDB's cast, the check's SQL, on every corner of
    the calendar and the clock."""
    days = [f"{y}-{m:02d}-{d:02d}" for y, m, d in itertools.product(
        (1900, 2000, 2024, 2026), range(14), (0, 1, 28, 29, 30, 31, 32))]
    times = ["", "T00:00:00", " 23:59:59", "T24:00:00", "T24:00:01", "T25:00:00", "T10:60:00",
             "T10:00:60", "T10:00"]
    values = [d + t for d, t in itertools.product(days, times)]
    con = db.connect()
    try:
        cast = dict(con.rows("select v, try_cast(v as timestamp) is not null from "
                             "unnest($v) t(v)", {"v": values}))
    finally:
        con.close()
    assert {v: snapshot.not_on_calendar(v) is None for v in values} == cast


def test_a_day_not_on_the_calendar_is_named_and_other_values_as_before(inst: Path) -> None:
    users = USERS + "T1,STAFF,CREATED,I-3,2026-02-31T12:00:00,soon\n"
    write(inst / "freeze", {"users.csv": users})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        "freeze/users.csv:4:5: column created_at: '2026-02-31T12:00:00': 2026-02-31 is not a day "
        "of the calendar (2026-02 has days 01 to 28)",
        "freeze/users.csv:4:6: column updated_at: 'soon' is not an ISO date or timestamp "
        "(YYYY-MM-DD[THH:MM:SS])"])


# --- the field a quote opens in --------------------------------------------------------------


@pytest.mark.parametrize(("text", "at"), [
    ('code,name\nLAW,"Law Library\nMAIN,Main\n', "2:2"),
    ('code,name\n"LAW,Law Library\nMAIN,Main\n', "2:1"),
    ('code,name\nLAW,"Law ""Library"\nMAIN,"Main\n', "3:2"),  # doubled quotes close nothing
    ('code,name\nLAW,"Law\nLibrary"\nMAIN,"Main\n', "3:2"),  # rows count records
    ('code,name\nLAW,"Law"y\n', "2:2"),  # a stray character after the closing quote
])
def test_an_unclosed_quote_is_located_at_its_field(inst: Path, text: str, at: str) -> None:
    write(inst / "freeze", {"libraries.csv": text})
    assert_rejected(invoke("snapshot", "validate", "freeze"), [
        f'freeze/libraries.csv:{at}: a quoted field is never closed (a " opens it, another " '
        "must close it)"])


def test_an_unclosed_quote_far_from_the_end_of_a_long_file(tmp_path: Path) -> None:
    """DuckDB quotes only part of what follows: the field is still the one that opened."""
    rows = "".join(f"r{i},v{i}\n" for i in range(100_000))
    f = CsvFile(tmp_path / "f.csv", "f.csv")
    f.path.write_text(f'a,b\nx,"open\n{rows}', encoding="utf-8")
    assert located(f, 2).startswith("f.csv:2:2: a quoted field is never")


def test_an_unclosed_quote_counts_the_files_own_delimiter(tmp_path: Path) -> None:
    f = CsvFile(tmp_path / "f.txt", "f.txt", delimiter="|")
    f.path.write_text('a|b|c\n1|2|"three, four\n', encoding="utf-8")
    assert located(f, 3).startswith("f.txt:2:3: a quoted field is never")


def located(f: CsvFile, columns: int) -> str:
    con = db.connect()
    try:
        return problem(con, f, LINES if f.delimiter == "," else PIPES, columns)
    finally:
        con.close()
