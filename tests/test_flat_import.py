"""`cutover snapshot import flat` (docs/legacy-files.md): every feature of the mapping file read
for real from legacy-style files (a pipe-delimited Latin-1 patron file with coded patron types,
a quoted Sierra-style loans export with US dates and `  -  -  ` for no date), the snapshot it
writes, and a round trip from the legacy files to `cutover predict`."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import role, user, write_scenario, write_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from simulator import db
from simulator.cli import app

# Sierra-style exports: patron types are codes, loans name patrons by their record number.
PATRONS = (
    "P BARCODE|P TYPE|RECORD #(PATRON)|PATRN NAME|EMAIL ADDR\n"
    "21001|0|p1001|Jérôme, Anne|anne@nfu.edu\n"
    "21002|1|p1002|Smith, Bob|\n"
    "STAFF1|1|p1003|Staff, Sam|sam@nfu.edu\n"
    "PUBSTAFF|0|p1004|Pub, Pat|\n"
).encode("latin-1")
LOANS = (
    '"RECORD #(ITEM)","OUT DATE","RECORD #(PATRON)","DUE DATE","BARCODE","CHKIN DATE"\n'
    '"i1001","04-04-2016 16:29","p1001","05-01-2016","B1","  -  -  "\n'
    '"i1002","04-05-2016 10:00","p1002","  -  -  ","B2","  -  -  "\n'
    '"i1003","03-01-2016 09:15","p1001","03-29-2016","B3","03-20-2016 14:00"\n'
)
MAPPING = """\
format_version: 1
tables:
  patrons:
    file: patrons.txt
    delimiter: "|"
    encoding: latin-1
    columns:
      primary_id: P BARCODE
      user_group: P TYPE
      original_id: "RECORD #(PATRON)"
      email: EMAIL ADDR
    values:
      user_group: {"0": UG, "1": GRAD}
  loans:
    file: loans.csv
    columns:
      loan_id: "RECORD #(ITEM)"
      item_barcode: BARCODE
      primary_id: {column: "RECORD #(PATRON)", lookup: patrons.original_id}
      loan_date: OUT DATE
      due_date: DUE DATE
      returned_at: CHKIN DATE
    dates:
      loan_date: "%m-%d-%Y %H:%M"
      due_date: "%m-%d-%Y"
      returned_at: "%m-%d-%Y %H:%M"
    empty: ["  -  -  "]
"""
TAKEN_AT = "2026-03-02T07:00:00Z"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["--quiet", *args])


def write_legacy(root: Path, files: dict[str, str | bytes] | None = None,
                 mapping: str = MAPPING) -> Path:
    """legacy/ with the files (default: the patrons and loans exports) and mapping.yaml."""
    folder = root / "legacy"
    folder.mkdir(exist_ok=True)
    for name, content in (files or {"patrons.txt": PATRONS, "loans.csv": LOANS}).items():
        (folder / name).write_bytes(content if isinstance(content, bytes)
                                    else content.encode("utf-8"))
    (root / "mapping.yaml").write_text(mapping, encoding="utf-8")
    return folder


def import_flat(out: str = "snap", *extra: str, mapping: str = "mapping.yaml") -> Result:
    return invoke("snapshot", "import", "flat", "legacy", "--mapping", mapping, "--stage",
                  "extract", "--institution", "NFU", "--out", out, "--taken-at", TAKEN_AT,
                  *extra)


def rows(path: Path, order: str = "") -> list[tuple[Any, ...]]:
    con = db.connect()
    try:
        return con.rows(f"select * from read_parquet($p) {order}", {"p": str(path)})
    finally:
        con.close()


def columns(path: Path) -> list[str]:
    con = db.connect()
    try:
        return [r[0] for r in con.rows("describe select * from read_parquet($p)",
                                       {"p": str(path)})]
    finally:
        con.close()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def imported(root: Path, files: dict[str, str | bytes], mapping: str,
             table: str) -> list[tuple[Any, ...]]:
    """Import `files` through `mapping` and return the rows of `table`."""
    write_legacy(root, files, mapping)
    result = import_flat()
    assert result.exit_code == 0, result.output
    return rows(root / "snap" / f"{table}.parquet")


# --- the whole import ----------------------------------------------------------------------


def test_import_writes_a_valid_extract_snapshot(root: Path) -> None:
    write_legacy(root)
    result = import_flat()
    assert result.exit_code == 0, result.output
    assert result.stdout == ("snap: extract-side snapshot of NFU, stage extract; 2 tables "
                             "(patrons 4, loans 3 rows), valid.\n")
    assert result.stderr == "patrons: not imported (not in the mapping): PATRN NAME\n"
    snap = root / "snap"
    assert sorted(p.name for p in snap.iterdir() if not p.name.startswith(".")) == [
        "loans.parquet", "patrons.parquet", "snapshot.yaml"]
    assert yaml.safe_load((snap / "snapshot.yaml").read_text(encoding="utf-8")) == {
        "format_version": 1, "institution": "NFU", "stage": "extract",
        "taken_at": dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)}
    # columns in the snapshot's order; PATRN NAME (not mapped) is not there
    assert columns(snap / "patrons.parquet") == ["primary_id", "user_group", "email",
                                                 "original_id"]
    assert rows(snap / "patrons.parquet") == [
        ("21001", "UG", "anne@nfu.edu", "p1001"), ("21002", "GRAD", None, "p1002"),
        ("STAFF1", "GRAD", "sam@nfu.edu", "p1003"), ("PUBSTAFF", "UG", None, "p1004")]
    assert rows(snap / "loans.parquet") == [
        ("i1001", "B1", "21001", dt.datetime(2016, 4, 4, 16, 29), dt.datetime(2016, 5, 1), None),
        ("i1002", "B2", "21002", dt.datetime(2016, 4, 5, 10, 0), None, None),
        ("i1003", "B3", "21001", dt.datetime(2016, 3, 1, 9, 15), dt.datetime(2016, 3, 29),
         dt.datetime(2016, 3, 20, 14, 0))]
    result = invoke("snapshot", "validate", "snap")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("snap: extract-side snapshot of NFU, stage extract; 2 tables, "
                             "7 rows, valid.\n")



def test_lines_ending_with_the_delimiter_and_an_empty_header(root: Path) -> None:
    """Some systems end every line with the delimiter: the empty last header is not named;
    an empty header between others is named by its column."""
    patrons = (
        "P BARCODE|P TYPE|RECORD #(PATRON)|PATRN NAME||EMAIL ADDR|\n"
        "21001|0|p1001|Jérôme, Anne|x|anne@nfu.edu|\n"
        "21002|1|p1002|Smith, Bob|||\n"
    ).encode("latin-1")
    write_legacy(root, {"patrons.txt": patrons, "loans.csv": LOANS})
    result = import_flat()
    assert result.exit_code == 0, result.output
    assert result.stderr == ("patrons: not imported (not in the mapping): PATRN NAME, column 5 "
                             "(no header)\n")
    assert rows(root / "snap" / "patrons.parquet", "order by primary_id")[0][:2] == (
        "21001", "UG")

def test_the_same_files_give_the_same_bytes(root: Path) -> None:
    write_legacy(root)
    assert import_flat("one").exit_code == 0
    assert import_flat("two").exit_code == 0
    for name in ("patrons.parquet", "loans.parquet", "snapshot.yaml"):
        assert (hashlib.sha256((root / "one" / name).read_bytes()).digest()
                == hashlib.sha256((root / "two" / name).read_bytes()).digest())


def test_flat_is_a_source_of_snapshot_import_beside_alma_api() -> None:
    result = invoke("snapshot", "import", "--help")
    assert result.exit_code == 0
    assert "alma-api" in result.stdout and "flat" in result.stdout
    assert "mapping-template" in invoke("snapshot", "--help").stdout


def test_taken_at_defaults_to_now_and_stage_to_extract(root: Path) -> None:
    write_legacy(root)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = invoke("snapshot", "import", "flat", "legacy", "--mapping", "mapping.yaml",
                    "--institution", "NFU", "--out", "snap")
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((root / "snap" / "snapshot.yaml").read_text(encoding="utf-8"))
    assert manifest["stage"] == "extract"
    assert before <= manifest["taken_at"] <= dt.datetime.now(dt.UTC)


def test_fulfillment_extract_stage(root: Path) -> None:
    write_legacy(root)
    result = import_flat("snap", "--stage", "fulfillment_extract")
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((root / "snap" / "snapshot.yaml").read_text(encoding="utf-8"))
    assert manifest["stage"] == "fulfillment_extract"


# --- round trip: legacy files -> import -> validate -> predict -----------------------------


def test_round_trip_from_legacy_files_to_predict(root: Path) -> None:
    write_legacy(root)
    assert import_flat("extract").exit_code == 0
    write_snapshot(root / "freeze", "freeze", {
        "users": [user("STAFF1", "STAFF"), user("PUBSTAFF"), user("OLD1")],
        "user_roles": [role("STAFF1", "Cataloger"), role("PUBSTAFF"),
                       role("PUBSTAFF", "Circulation Desk Operator"), role("OLD1")],
    }, institution="NFU")
    write_scenario(root / "scenario.yaml", institution="NFU")
    assert invoke("snapshot", "validate", "extract").exit_code == 0
    result = invoke("predict", "--pre", "freeze", "--extract", "extract", "--scenario",
                    "scenario.yaml", "--out", "run")
    assert result.exit_code == 0, result.output
    ledger = _ledger(root / "run")
    assert {k: v for k, v in ledger.items() if k[0] == "extract"} == {
        ("extract", "patrons", "21001"): ("added", "patrons.load"),
        ("extract", "patrons", "21002"): ("added", "patrons.load"),
        ("extract", "patrons", "PUBSTAFF"): ("added", "patrons.refreshes-public-staff"),
        ("extract", "patrons", "STAFF1"): ("rejected", "patrons.staff-conversion"),
        ("extract", "loans", "i1001"): ("added", "loans.active"),
        ("extract", "loans", "i1002"): ("added", "loans.active"),
        ("extract", "loans", "i1003"): ("not_migrated", "loans.historical"),
    }


def _ledger(run: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    con = db.connect()
    try:
        found = con.rows("select side, entity, record_key, outcome, rule_id "
                         "from read_parquet($p)", {"p": str(run / "ledger.parquet")})
    finally:
        con.close()
    return {(s, e, k): (o, r) for s, e, k, o, r in found}


# --- each feature of the mapping file ------------------------------------------------------


def test_delimiter_and_encoding_latin1_are_read_as_utf8(root: Path) -> None:
    got = imported(root, {"p.txt": "ID|NAME\n1|Jérôme\n".encode("latin-1")},
                   "format_version: 1\ntables:\n  patrons:\n    file: p.txt\n"
                   "    delimiter: '|'\n    encoding: latin-1\n"
                   "    columns: {primary_id: ID, username: NAME}\n", "patrons")
    assert got == [("1", "Jérôme")]


def test_windows_1252_and_utf16_files_are_converted(root: Path) -> None:
    text = "ID;NAME\n1;Zoë – “q”\n"
    mapping = ("format_version: 1\ntables:\n  patrons:\n    file: p.txt\n    delimiter: ';'\n"
               "    encoding: {enc}\n    columns: {{primary_id: ID, username: NAME}}\n")
    assert imported(root, {"p.txt": text.encode("cp1252")}, mapping.format(enc="cp1252"),
                    "patrons") == [("1", "Zoë – “q”")]
    (root / "snap").rename(root / "snap-cp1252")
    assert imported(root, {"p.txt": text.encode("utf-16")}, mapping.format(enc="utf-16"),
                    "patrons") == [("1", "Zoë – “q”")]


def test_windows_text_read_as_latin1_is_warned_of_at_its_first_such_byte(root: Path) -> None:
    mapping = ("format_version: 1\ntables:\n  patrons:\n    file: p.txt\n    delimiter: ';'\n"
               "    encoding: {enc}\n    columns: {{primary_id: ID, username: NAME}}\n")
    write_legacy(root, {"p.txt": "ID;NAME\n1;Zoë\n2;O’Hara – x\n".encode("cp1252")},
                 mapping.format(enc="latin-1"))
    result = import_flat()
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning legacy/p.txt:3: byte 0x92 is a control character in Latin-1 and '’' in "
        "Windows-1252: is the file Windows text? (then set encoding: cp1252 in the mapping)"]
    # as cp1252, and Latin-1 text without such bytes (or with one cp1252 leaves undefined):
    # no warning
    for enc, data in [("cp1252", "ID;NAME\n1;O’Hara\n".encode("cp1252")),
                      ("latin-1", "ID;NAME\n1;Zoë\n".encode("latin-1")),
                      ("latin-1", b"ID;NAME\n1;Zo\x81\n")]:
        write_legacy(root, {"p.txt": data}, mapping.format(enc=enc))
        result = import_flat("snap2")
        assert (result.exit_code, result.stderr) == (0, ""), (enc, data)
        shutil.rmtree(root / "snap2")


def split(content: bytes, at: int) -> tuple[bytes, bytes]:
    """A file cut after its line `at` (the header is 1) into two files with its header each."""
    lines = content.splitlines(keepends=True)
    return b"".join(lines[:at]), lines[0] + b"".join(lines[at:])


def test_a_table_in_several_files_is_read_as_one_in_their_order(root: Path) -> None:
    """The files of a table listed under `file:` give the rows of the one file they were cut
    from, in the same order, whatever their encoding, byte order mark or last line end."""
    write_legacy(root)
    assert import_flat().exit_code == 0
    whole = {t: rows(root / "snap" / f"{t}.parquet") for t in ("patrons", "loans")}
    shutil.rmtree(root / "snap")
    p1, p2 = split(PATRONS, 3)
    l1, l2 = split(LOANS.encode("utf-8"), 2)
    l3 = b"\xef\xbb\xbf" + l2.splitlines(keepends=True)[0] + l2.splitlines(keepends=True)[2]
    l2 = l2.splitlines(keepends=True)[0] + l2.splitlines(keepends=True)[1]
    mapping = MAPPING.replace("file: patrons.txt", "file: [patrons-1.txt, patrons-2.txt]") \
        .replace("file: loans.csv", "file: [loans-1.csv, loans-2.csv, loans-3.csv]\n"
                                    "    records: 3")
    write_legacy(root, {"patrons-1.txt": p1, "patrons-2.txt": p2.rstrip(b"\n"),
                        "loans-1.csv": l1, "loans-2.csv": l2, "loans-3.csv": l3}, mapping)
    result = import_flat()
    assert result.exit_code == 0, result.output
    assert result.stdout == ("snap: extract-side snapshot of NFU, stage extract; 2 tables "
                             "(patrons 4, loans 3 rows), valid.\n")
    assert {t: rows(root / "snap" / f"{t}.parquet") for t in whole} == whole


def test_tab_delimiter_bom_and_crlf(root: Path) -> None:
    data = b"\xef\xbb\xbfID\tNAME\r\n1\tAnn\r\n2\tBob\r\n"
    got = imported(root, {"p.tsv": data}, "format_version: 1\ntables:\n  patrons:\n"
                   "    file: p.tsv\n    delimiter: \"\\t\"\n"
                   "    columns: {primary_id: ID, username: NAME}\n", "patrons")
    assert got == [("1", "Ann"), ("2", "Bob")]


def test_quotes_doubled_quotes_and_line_ends_in_values(root: Path) -> None:
    data = 'ID,NAME\n1,"Smith, ""Bob"""\n2,"two\nlines"\n'
    got = imported(root, {"p.csv": data}, "format_version: 1\ntables:\n  patrons:\n"
                   "    file: p.csv\n    columns: {primary_id: ID, username: NAME}\n", "patrons")
    assert got == [("1", 'Smith, "Bob"'), ("2", "two\nlines")]


def test_another_quote_character_and_none(root: Path) -> None:
    base = "format_version: 1\ntables:\n  patrons:\n    file: p.csv\n    quote: {q}\n" \
           "    columns: {{primary_id: ID, username: NAME}}\n"
    assert imported(root, {"p.csv": "ID,NAME\n1,'a, b'\n"}, base.format(q='"\'"'),
                    "patrons") == [("1", "a, b")]
    (root / "snap").rename(root / "snap-1")
    assert imported(root, {"p.csv": 'ID,NAME\n1,say "hi"\n'}, base.format(q='""'),
                    "patrons") == [("1", 'say "hi"')]


def test_unmapped_columns_are_dropped_and_one_header_may_fill_two_columns(root: Path) -> None:
    got = imported(root, {"l.csv": "REC,PAT,JUNK\ni1,p1,x\n"},
                   "format_version: 1\ntables:\n  loans:\n    file: l.csv\n"
                   "    columns: {loan_id: REC, item_barcode: REC, primary_id: PAT}\n", "loans")
    assert got == [("i1", "i1", "p1")]
    assert columns(root / "snap" / "loans.parquet") == ["loan_id", "item_barcode", "primary_id"]


def test_headers_are_matched_trimmed_and_values_kept_as_they_are(root: Path) -> None:
    got = imported(root, {"p.csv": " ID , NAME \n 1 ,Ann \n"},
                   "format_version: 1\ntables:\n  patrons:\n    file: p.csv\n"
                   "    columns: {primary_id: ID, username: NAME}\n", "patrons")
    assert got == [(" 1 ", "Ann ")]


def test_values_recode_and_numbers_in_yaml_are_text(root: Path) -> None:
    got = imported(root, {"p.csv": "ID,T\n1,0\n2,1\n3,\n"},
                   "format_version: 1\ntables:\n  patrons:\n    file: p.csv\n"
                   "    columns: {primary_id: ID, user_group: T}\n"
                   "    values:\n      user_group: {0: UG, 1: 2}\n", "patrons")
    assert got == [("1", "UG"), ("2", "2"), ("3", None)]  # empty stays empty, not checked


def test_lookup_takes_the_key_of_the_looked_up_row(root: Path) -> None:
    files: dict[str, str | bytes] = {
        "items.csv": "BC,REC\nB1,i1\nB2,i2\n", "loans.csv": "L,ITEM,PAT\nL1,i2,P\nL2,,P\n"}
    mapping = ("format_version: 1\ntables:\n"
               "  loans:\n    file: loans.csv\n    columns:\n      loan_id: L\n"
               "      item_barcode: {column: ITEM, lookup: items.status}\n      primary_id: PAT\n"
               "  items:\n    file: items.csv\n    columns: {barcode: BC, status: REC}\n")
    write_legacy(root, files, mapping)
    result = import_flat()
    # L2 has no item: the lookup leaves it empty, and validation wants a value
    assert result.exit_code == 2
    assert "legacy/loans.csv:3:2: column item_barcode (ITEM): no value, but the column is " \
           "required" in result.stderr
    files["loans.csv"] = "L,ITEM,PAT\nL1,i2,P\nL2,i1,P\n"
    assert imported(root, files, mapping, "loans") == [("L1", "B2", "P"), ("L2", "B1", "P")]


def test_dates_with_one_format_or_a_list(root: Path) -> None:
    got = imported(root, {"l.csv": "L,B,P,OUT,DUE\n1,b,p,04-04-2016 16:29,05-01-2016\n"
                                   "2,b,p,12-31-2016 00:00,12-31-2016 23:59\n"},
                   "format_version: 1\ntables:\n  loans:\n    file: l.csv\n"
                   "    columns: {loan_id: L, item_barcode: B, primary_id: P, loan_date: OUT, "
                   "due_date: DUE}\n    dates:\n      loan_date: '%m-%d-%Y %H:%M'\n"
                   "      due_date: ['%m-%d-%Y', '%m-%d-%Y %H:%M']\n", "loans")
    assert got == [("1", "b", "p", dt.datetime(2016, 4, 4, 16, 29), dt.datetime(2016, 5, 1)),
                   ("2", "b", "p", dt.datetime(2016, 12, 31), dt.datetime(2016, 12, 31, 23, 59))]


def test_iso_dates_need_no_format(root: Path) -> None:
    got = imported(root, {"l.csv": "L,B,P,OUT\n1,b,p,2016-04-04T16:29:00\n"},
                   "format_version: 1\ntables:\n  loans:\n    file: l.csv\n"
                   "    columns: {loan_id: L, item_barcode: B, primary_id: P, loan_date: OUT}\n",
                   "loans")
    assert got == [("1", "b", "p", "2016-04-04T16:29:00")]


def test_empty_values_are_null_in_every_column_quoted_or_not(root: Path) -> None:
    got = imported(root, {"p.csv": 'ID,E,N\n1,"  -  -  ",n/a\n2,  -  -  ,""\n'},
                   "format_version: 1\ntables:\n  patrons:\n    file: p.csv\n"
                   "    columns: {primary_id: ID, email: E, username: N}\n"
                   "    empty: ['  -  -  ', n/a]\n", "patrons")
    assert got == [("1", None, None), ("2", None, None)]


def test_order_of_the_file_is_kept(root: Path) -> None:
    body = "".join(f"{i}\n" for i in range(500, 0, -1))
    got = imported(root, {"p.csv": "ID\n" + body},
                   "format_version: 1\ntables:\n  patrons:\n    file: p.csv\n"
                   "    columns: {primary_id: ID}\n", "patrons")
    assert [r[0] for r in got] == [str(i) for i in range(500, 0, -1)]


def test_the_output_is_a_new_folder_or_an_earlier_import(root: Path) -> None:
    write_legacy(root)
    assert import_flat().exit_code == 0
    first = (root / "snap" / "loans.parquet").read_bytes()
    (root / "legacy" / "loans.csv").write_text(LOANS.replace("B3", "B9"), encoding="utf-8")
    result = import_flat()  # an earlier import is replaced
    assert result.exit_code == 0, result.output
    assert (root / "snap" / "loans.parquet").read_bytes() != first
    assert ("i1003", "B9") == rows(root / "snap" / "loans.parquet")[2][:2]


# --- dates written with a format are read back (property) ---------------------------------

DATE_FORMATS = ["%m-%d-%Y %H:%M", "%d/%m/%Y", "%Y%m%d %H:%M:%S", "%d.%m.%y", "%m/%d/%Y %H:%M:%S",
                "%d-%b-%Y"]


@settings(max_examples=10, deadline=None)
@given(fmt=st.sampled_from(DATE_FORMATS),
       dates=st.lists(st.none() | st.datetimes(dt.datetime(1970, 1, 1),
                                               dt.datetime(2049, 12, 31, 23, 59)),
                      min_size=1, max_size=30))
def test_dates_written_with_a_format_are_read_back(fmt: str,
                                                   dates: list[dt.datetime | None]) -> None:
    def kept(when: dt.datetime) -> dt.datetime:  # what the format writes of a datetime
        when = when.replace(microsecond=0)
        if "%S" not in fmt:
            when = when.replace(second=0)
        return when if "%H" in fmt else when.replace(hour=0, minute=0)

    lines = "".join(f"L{i},B,P,{'  -  -  ' if d is None else d.strftime(fmt)}\n"
                    for i, d in enumerate(dates))
    mapping = ("format_version: 1\ntables:\n  loans:\n    file: l.csv\n"
               "    columns: {loan_id: L, item_barcode: B, primary_id: P, due_date: D}\n"
               f"    dates: {{due_date: '{fmt}'}}\n    empty: ['  -  -  ']\n")
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        write_legacy(Path(tmp), {"l.csv": "L,B,P,D\n" + lines}, mapping)
        result = import_flat()
        assert result.exit_code == 0, result.output
        got = rows(Path(tmp) / "snap" / "loans.parquet")
    assert [r[3] for r in got] == [None if d is None else kept(d) for d in dates]


# Text a legacy export may hold: letters of several scripts, spaces, the delimiters, quotes and
# line ends (quoted by the writer); not control characters.
TEXT = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"],
                             include_characters="\n\r"), max_size=12)


@settings(max_examples=15, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=15), delimiter=st.sampled_from(",|\t;"),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
       line_end=st.sampled_from(["\n", "\r\n"]))
def test_values_written_by_a_csv_writer_are_read_back(values: list[str], delimiter: str,
                                                      encoding: str, line_end: str) -> None:
    """Whatever the delimiter, encoding, line end and text (quoted when it holds a delimiter, a
    quote or a line end), each value comes back as written; an empty one as no value."""
    if encoding == "latin-1":
        values = [v.encode("latin-1", "replace").decode("latin-1") for v in values]
    if line_end == "\n":  # the writer quotes only the characters of its line end
        values = [v.replace("\r", "") for v in values]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerows([("ID", "NAME"), *((f"P{i}", v) for i, v in enumerate(values))])
    mapping = ("format_version: 1\ntables:\n  patrons:\n    file: p.txt\n"
               f"    delimiter: {json.dumps(delimiter)}\n    encoding: {encoding}\n"
               "    columns: {primary_id: ID, username: NAME}\n")
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        write_legacy(Path(tmp), {"p.txt": out.getvalue().encode(encoding)}, mapping)
        result = import_flat()
        assert result.exit_code == 0, result.output
        got = rows(Path(tmp) / "snap" / "patrons.parquet")
    assert [r[1] for r in got] == [v or None for v in values]


def test_valid_files_are_checked_by_one_aggregate_not_a_scan_per_check(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The values the mapping turns are checked by the `_bad` bits of the turning pass: a table
    whose values all turn costs one aggregate, and only a failing check reads its rows."""
    sent: list[str] = []
    execute = db.Connection.execute

    def logged(con: db.Connection, sql: str, params: Any = None) -> Any:
        sent.append(sql)
        return execute(con, sql, params)

    monkeypatch.setattr(db.Connection, "execute", logged)
    write_legacy(root)
    assert import_flat().exit_code == 0
    assert [q for q in sent if "order by r._line limit" in q] == []
    assert len([q for q in sent if "bit_or(_bad)" in q]) == 2  # patrons, loans
    sent.clear()
    loans = LOANS.replace('"04-05-2016 10:00","p1002"', '"13-45-2016 10:00","p9999"')
    write_legacy(root, {"patrons.txt": PATRONS, "loans.csv": loans})
    result = import_flat("snap2")
    assert result.exit_code == 2
    assert "legacy/loans.csv:3:2: OUT DATE '13-45-2016 10:00' does not match" in result.output
    assert "legacy/loans.csv:3:3: RECORD #(PATRON) 'p9999' matches no original_id" \
        in result.output
    # the date and the lookup's two checks read their rows; the other dates and the map do not
    assert len([q for q in sent if "order by r._line limit" in q]) == 3
