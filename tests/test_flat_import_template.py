"""`cutover snapshot mapping-template` (docs/legacy-files.md, "A starting mapping"): the guesses
it writes for legacy-style files, that a template without a TODO imports as it is, that each
TODO is refused by the import, located; and the date formats it guesses (property-tested)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_flat_import import import_flat, invoke, rows, write_legacy

from simulator import db
from simulator.importers.flat import guess
from simulator.inputs.tables import TABLES

TEMPLATE = """\
# A starting mapping for `cutover snapshot import flat` (docs/legacy-files.md),
# written by `cutover snapshot mapping-template` from legacy.
# Every table, column and date format is a guess: check each, and replace every
# TODO (the import refuses them). Headers left out of columns are not imported.
format_version: 1
tables:
  loans:  # guessed from the file name
    file: "loans.csv"
    columns:
      loan_id: "RECORD #(ITEM)"
      item_barcode: "BARCODE"
      primary_id: {column: "RECORD #(PATRON)", lookup: patrons.original_id}  # that patrons \
row's primary_id
      loan_date: "OUT DATE"
      due_date: "DUE DATE"
      returned_at: "CHKIN DATE"
    dates:
      loan_date: "%m-%d-%Y %H:%M"  # values like "04-04-2016 16:29"
      due_date: "%m-%d-%Y"  # values like "05-01-2016"
      returned_at: "%m-%d-%Y %H:%M"  # values like "03-20-2016 14:00"
    empty: ["  -  -  "]  # date values without a digit
  patrons:  # guessed from the file name
    file: "patrons.txt"
    delimiter: "|"
    encoding: "latin-1"  # not UTF-8 (byte 0xE9 on line 2): read as Latin-1; check
    columns:
      primary_id: "P BARCODE"
      user_group: "P TYPE"
      email: "EMAIL ADDR"
      original_id: "RECORD #(PATRON)"
      # not mapped: "PATRN NAME"
      # other columns of patrons: username
"""
LATIN1_NOTE = ("warning legacy/patrons.txt: not UTF-8 (byte 0xE9 on line 2): read as Latin-1; "
               "check")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_template_of_sierra_style_exports(root: Path) -> None:
    write_legacy(root)
    (root / "legacy" / "notes.md").write_text("# what we exported\n", encoding="utf-8")
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    assert result.stdout == TEMPLATE
    assert result.stderr.splitlines() == [LATIN1_NOTE]


def test_a_template_without_todo_imports_as_it_is(root: Path) -> None:
    write_legacy(root)
    result = invoke("snapshot", "mapping-template", "legacy", "--out", "guessed.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("guessed.yaml: a starting mapping; check every guess, then run "
                             "`cutover snapshot import flat legacy --mapping guessed.yaml ...`\n")
    assert (root / "guessed.yaml").read_text(encoding="utf-8") == TEMPLATE
    result = import_flat(mapping="guessed.yaml")
    assert result.exit_code == 0, result.output
    # as the hand-written mapping, but the patron types stay codes (no values map guessed)
    assert rows(root / "snap" / "patrons.parquet") == [
        ("21001", "0", "anne@nfu.edu", "p1001"), ("21002", "1", None, "p1002"),
        ("STAFF1", "1", "sam@nfu.edu", "p1003"), ("PUBSTAFF", "0", None, "p1004")]
    assert [r[:3] for r in rows(root / "snap" / "loans.parquet")] == [
        ("i1001", "B1", "21001"), ("i1002", "B2", "21002"), ("i1003", "B3", "21001")]


def test_an_existing_out_file_is_never_overwritten(root: Path) -> None:
    write_legacy(root)
    (root / "guessed.yaml").write_text("mine\n", encoding="utf-8")
    result = invoke("snapshot", "mapping-template", "legacy", "--out", "guessed.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == ("error guessed.yaml: --out exists: choose a new "
                                             "file (a mapping is never overwritten)")
    assert (root / "guessed.yaml").read_text(encoding="utf-8") == "mine\n"


def test_missing_or_empty_folder(root: Path) -> None:
    result = invoke("snapshot", "mapping-template", "nowhere")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error nowhere: folder of legacy files not found"
    (root / "empty").mkdir()
    result = invoke("snapshot", "mapping-template", "empty")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error empty: no files in this folder"


def test_what_it_cannot_guess_is_a_todo_the_import_refuses(root: Path) -> None:
    write_legacy(root, {
        "notes.csv": "A,B\n1,2\n",
        "checkouts.txt": "BARCODE\tWHO\tWHEN\nB1\tP1\tyesterday\n",
    })
    result = invoke("snapshot", "mapping-template", "legacy", "--out", "guessed.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["warning 3 TODOs to replace before the import"]
    text = (root / "guessed.yaml").read_text(encoding="utf-8")
    assert text.split("tables:\n", 1)[1] == """\
  loans:  # guessed from the file name
    file: "checkouts.txt"
    delimiter: "\\t"
    columns:
      loan_id: "TODO: the header of loan_id"  # required; none in the file? an item is on \
one loan at a time: "BARCODE" names it
      item_barcode: "BARCODE"
      primary_id: "TODO: the header of primary_id"  # required
      # not mapped: "WHO", "WHEN"
      # other columns of loans: loan_date, due_date, returned_at
  "TODO notes.csv":  # no table guessed from the file name: name the table it fills, or remove it
    file: "notes.csv"
    columns:
      # "A"
      # "B"
"""
    result = import_flat(mapping="guessed.yaml")
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("error ")] == [
        "error guessed.yaml:11:16: loans.loan_id: TODO left from the template (the header of "
        "loan_id)",
        "error guessed.yaml:13:19: loans.primary_id: TODO left from the template (the header of "
        "primary_id)",
        "error guessed.yaml:16:3: TODO notes.csv: name the table of the extract side this file "
        "fills (code_tables, libraries, locations, vendors, rs_partners, funds, "
        "fund_transactions, courses, course_instructors, items, loans, requests, patrons, "
        "orders, invoices), or remove the table"]


def test_an_empty_header_is_named_by_its_column_and_a_trailing_one_not_at_all(
        root: Path) -> None:
    write_legacy(root, {"patrons.txt": "P BARCODE||P TYPE|\n21001|x|0|\n",
                        "notes.csv": "A,,B,\n1,2,3,\n"})
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line.startswith("      #")] == [
        "      # \"A\"", "      # column 2 (no header)", "      # \"B\"",
        "      # not mapped: column 2 (no header)",
        "      # other columns of patrons: email, username, original_id"]


def test_windows_text_is_guessed_as_cp1252(root: Path) -> None:
    write_legacy(root, {"patrons.txt": "ID|NAME\n1|Zoë\n2|O’Hara\n".encode("cp1252"),
                        "items.txt": "BARCODE|NOTE\n1|O’Hara\n".encode("cp1252")})
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning legacy/items.txt: not UTF-8 (byte 0x92 on line 2, a Windows-1252 character): "
        "read as Windows-1252; check",
        "warning legacy/patrons.txt: not UTF-8 (byte 0xEB on line 2; byte 0x92 on line 3 is a "
        "Windows-1252 character): read as Windows-1252; check"]
    assert result.stdout.count('    encoding: "cp1252"') == 2


def test_symphony_style_charges_headers_and_12_hour_times(root: Path) -> None:
    write_legacy(root, {"charges.txt": "ITEM ID|USER ID|DATE CHARGED|DATE DUE|DATE DISCHARGED\n"
                                       "I1|U1|20160404|4/14/16 4:29 PM|NEVER\n"
                                       "I2|U2|20160405|12/13/16 11:05 AM|20161201\n"})
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("tables:\n", 1)[1] == """\
  loans:  # guessed from the file name
    file: "charges.txt"
    delimiter: "|"
    columns:
      loan_id: "TODO: the header of loan_id"  # required; none in the file? an item is on \
one loan at a time: "ITEM ID" names it
      item_barcode: "ITEM ID"
      primary_id: "USER ID"
      loan_date: "DATE CHARGED"
      due_date: "DATE DUE"
      returned_at: "DATE DISCHARGED"
    dates:
      loan_date: "%Y%m%d"  # values like "20160404"
      due_date: "%m/%d/%y %I:%M %p"  # values like "4/14/16 4:29 PM"
      returned_at: "%Y%m%d"  # values like "20161201"
    empty: ["NEVER"]  # date values without a digit
"""


def test_a_table_in_several_files_is_one_table_with_its_files_in_order(root: Path) -> None:
    header = "ITEM BARCODE,P BARCODE,LOAN ID\n"
    write_legacy(root, {"loans-10.csv": header + "B3,P3,L3\n", "loans-2.csv": header,
                        "loans-1.csv": header + "B1,P1,L1\n",
                        "loans-x.csv": "ITEM BARCODE,WHO\nB9,P9\n"})
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    assert result.stdout.split("tables:\n", 1)[1].splitlines()[:3] == [
        "  loans:  # guessed from the file name",
        '    file: ["loans-1.csv", "loans-2.csv", "loans-10.csv"]  # read in order as one',
        "    columns:"]
    # another header: another table to name
    assert '  "TODO loans-x.csv":' in result.stdout


def test_files_of_a_table_in_ascii_latin1_and_windows_text_are_read_as_windows_text(
        root: Path) -> None:
    header = "ID|NAME\n"
    write_legacy(root, {"patrons-1.txt": header + "1|Ann\n",
                        "patrons-2.txt": (header + "2|Zoë\n").encode("latin-1"),
                        "patrons-3.txt": (header + "3|O’Hara\n").encode("cp1252"),
                        "items-1.txt": "BARCODE|NOTE\n1|Zoë\n",
                        "items-2.txt": "BARCODE|NOTE\n2|Zo\xebe\n".encode("latin-1")})
    result = invoke("snapshot", "mapping-template", "legacy")
    assert result.exit_code == 0, result.output
    text = result.stdout.split("tables:\n", 1)[1]
    patrons = text.split("  patrons:", 1)[1].splitlines()
    assert patrons[1:4] == [
        '    file: ["patrons-1.txt", "patrons-2.txt", "patrons-3.txt"]  # read in order as one',
        '    delimiter: "|"',
        '    encoding: "cp1252"  # not UTF-8 (byte 0x92 on line 2, a Windows-1252 character): '
        'read as Windows-1252; check']
    assert [line for line in result.stderr.splitlines() if "patrons" in line] == [
        "warning legacy/patrons-3.txt: not UTF-8 (byte 0x92 on line 2, a Windows-1252 "
        "character): read as Windows-1252; check"]
    # UTF-8 text with accents and a Latin-1 file cannot be read alike: two tables
    assert '  items:  # guessed from the file name\n    file: "items-1.txt"\n' in text
    assert '  "TODO items-2.txt":' in text


def test_a_date_no_format_fits_is_a_todo(root: Path) -> None:
    write_legacy(root, {"loans.csv": "LOAN ID,ITEM BARCODE,PRIMARY ID,DUE DATE\n"
                                     "L1,B1,P1,next tuesday 5\n"})
    result = invoke("snapshot", "mapping-template", "legacy", "--out", "guessed.yaml")
    assert result.exit_code == 0, result.output
    text = (root / "guessed.yaml").read_text(encoding="utf-8")
    assert text.split("tables:\n", 1)[1] == """\
  loans:  # guessed from the file name
    file: "loans.csv"
    columns:
      loan_id: "LOAN ID"
      item_barcode: "ITEM BARCODE"
      primary_id: "PRIMARY ID"
      due_date: "DUE DATE"
      # other columns of loans: loan_date, returned_at
    dates:
      due_date: "TODO: a format for values like 'next tuesday 5'"
"""
    result = import_flat(mapping="guessed.yaml")
    assert [line for line in result.stderr.splitlines() if line.startswith("error ")] == [
        "error guessed.yaml:16:17: dates.due_date: TODO left from the template (a format for "
        "values like 'next tuesday 5')"]


def test_tables_are_guessed_from_words_of_the_file_name(root: Path) -> None:
    taken: set[str] = set()
    assert guess.guess_table(Path("Sierra-Checkouts_2016.csv"), taken) == "loans"
    assert guess.guess_table(Path("borrowers.txt"), taken) == "patrons"
    assert guess.guess_table(Path("holds.txt"), taken) == "requests"
    assert guess.guess_table(Path("patronage.txt"), taken) is None  # words, not parts of words
    assert guess.guess_table(Path("patrons-2.txt"), {"patrons"}) is None  # one file a table


def test_the_template_of_the_sample_is_the_sample_s_mapping(root: Path) -> None:
    """Every table, column, lookup, date format and placeholder of sample_data/legacy's
    hand-written mapping is guessed from its files (the returns' dates lie beyond the first
    1,000 loans, which are all out)."""
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "legacy"
    result = invoke("snapshot", "mapping-template", str(sample), "--out", "guessed.yaml")
    assert result.exit_code == 0, result.output
    guessed = yaml.safe_load((root / "guessed.yaml").read_text(encoding="utf-8"))["tables"]
    written = yaml.safe_load((sample / "mapping.yaml").read_text(encoding="utf-8"))["tables"]
    assert sorted(guessed) == sorted(written)
    for name, table in written.items():
        for part in ("file", "delimiter", "encoding", "columns", "dates", "empty"):
            assert guessed[name].get(part) == table.get(part), (name, part)


@pytest.mark.parametrize(("table", "header", "column"), [
    ("requests", ("HOLD ID", "HOLD TYPE", "HOLD STATUS"),
     {"request_id": "HOLD ID", "request_type": "HOLD TYPE", "status": "HOLD STATUS"}),
    ("libraries", ("BRANCH CODE", "BRANCH NAME"), {"code": "BRANCH CODE", "name": "BRANCH NAME"}),
    ("locations", ("BRANCH", "LOCATION", "LOCATION NAME"),
     {"library_code": "BRANCH", "code": "LOCATION", "name": "LOCATION NAME"}),
    ("orders", ("ORDER NUMBER", "VENDOR CODE"), {"order_id": "ORDER NUMBER",
                                                  "vendor_code": "VENDOR CODE"}),
    # the column's own name wins over a header exports use for it
    ("loans", ("RECORD #(ITEM)", "LOAN ID"), {"loan_id": "LOAN ID"}),
    ("loans", ("RECORD #(ITEM)",), {"loan_id": "RECORD #(ITEM)"}),
    # like a name, as written when no word of it names the table
    ("loans", ("LOANDATE", "CHKIN DT"), {"loan_date": "LOANDATE", "returned_at": "CHKIN DT"}),
    # what is left once the table's words are out must still be like a column
    ("requests", ("HOLD SHELF", "HOLD NOTE"), {}),
    ("patrons", ("PATRON NOTE", "PHONE NUMBER", "PATRN NAME"), {}),
    ("items", ("ITEM",), {}),
])
def test_columns_are_guessed_without_the_words_naming_the_table(
        table: str, header: tuple[str, ...], column: dict[str, str]) -> None:
    assert guess.guess_columns(TABLES[table], header) == column


# --- the guessed date format, property-tested --------------------------------------------

FORMATS = [f for f in guess.DATE_FORMATS if "%b" not in f]  # month names depend on the locale
DISAMBIGUATE = dt.datetime(2016, 12, 28, 13, 45, 30)  # a day over 12, a time with seconds


def _precision(fmt: str, when: dt.datetime) -> dt.datetime:
    if "%S" not in fmt:
        when = when.replace(second=0)
    if "%H" not in fmt and "%I" not in fmt:
        when = when.replace(hour=0, minute=0)
    return when


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(FORMATS),
       dates=st.lists(st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2049, 12, 31, 23, 59)),
                      min_size=1, max_size=20),
       placeholder=st.sampled_from(["", "  -  -  ", "--"]))
def test_the_guessed_format_reads_every_date_back(fmt: str, dates: list[dt.datetime],
                                                  placeholder: str) -> None:
    written = [_precision(fmt, d.replace(microsecond=0)) for d in [*dates, DISAMBIGUATE]]
    values = [d.strftime(fmt) for d in written] + ([placeholder] if placeholder else [])
    con = db.connect()
    try:
        found = guess.guess_date(con, values)
        assert found.format  # a format, not ISO and not none
        read = [con.one("select strptime($v, $f)", {"v": v, "f": found.format})
                for v in values[:len(written)]]
    finally:
        con.close()
    assert read == written
    assert found.empty == ((placeholder,) if placeholder.strip("- ") == "" and placeholder
                           else ())
