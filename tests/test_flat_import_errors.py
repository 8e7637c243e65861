"""`cutover snapshot import flat` refuses bad input (docs/legacy-files.md, "Errors"): every class
with its exact message, mistakes of the mapping located in the mapping file, problems of the
files and values at the source file's line and column; all at once, exit 2, nothing written."""

from __future__ import annotations

import contextlib
import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_flat_import import LOANS, MAPPING, PATRONS, import_flat, invoke, write_legacy
from typer.testing import Result


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def assert_rejected(root: Path, result: Result, problems: list[str],
                    before: dict[str, str]) -> None:
    """Exit 2, exactly these problems and their count, nothing written, nothing changed."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line[len("error "):] for line in result.stderr.splitlines()
              if line.startswith("error ")]
    assert errors == problems, result.stderr
    n = len(problems)
    assert result.stderr.rstrip().endswith(
        f"{n} problem{'s' if n != 1 else ''}; nothing was written."), result.stderr
    assert not (root / "snap").exists()
    assert not [p.name for p in root.iterdir() if p.name.startswith(".snap.")]
    assert hashes(root) == before


def rejected(root: Path, problems: list[str], files: dict[str, str | bytes] | None = None,
             mapping: str = MAPPING) -> None:
    write_legacy(root, files, mapping)
    before = hashes(root)
    assert_rejected(root, import_flat(), problems, before)


def edit(*pairs: tuple[str, str], base: str = MAPPING) -> str:
    text = base
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


COLUMNS_OF_PATRONS = "primary_id, user_group, email, username, original_id"
EXTRACT = ("code_tables, libraries, locations, vendors, rs_partners, funds, fund_transactions, "
           "courses, course_instructors, items, loans, requests, patrons, orders, invoices")


@dataclass(frozen=True)
class Bad:
    id: str
    mapping: str
    problems: list[str]


# --- mistakes in the mapping file, located in it -------------------------------------------

MAPPING_MISTAKES = [
    Bad("unknown-table", edit(("  patrons:\n", "  patron:\n")), [
        "mapping.yaml:3:3: unknown table 'patron' (did you mean 'patrons'?): expected one of "
        f"{EXTRACT}",
        "mapping.yaml:19:56: loans.primary_id: lookup 'patrons.original_id': no table patrons "
        "in this mapping (did you mean 'patron'?)"]),
    Bad("alma-side-table", edit(("  loans:\n", "  users:\n")), [
        "mapping.yaml:14:3: unknown table 'users' (an Alma-side table; legacy files are the "
        f"extract side): expected one of {EXTRACT}"]),
    Bad("unknown-column", edit(("      email: EMAIL", "      e_mail: EMAIL")), [
        "mapping.yaml:11:7: unknown patrons column 'e_mail' (did you mean 'email'?): expected "
        f"{COLUMNS_OF_PATRONS}"]),
    Bad("unknown-key", edit(('    delimiter: "|"', '    delimeter: "|"')), [
        "mapping.yaml:5:5: unknown key 'delimeter' (did you mean 'delimiter'?): expected file, "
        "delimiter, quote, encoding, columns, values, dates, empty, records"]),
    Bad("required-column-not-mapped", edit(("      primary_id: P BARCODE\n", "")), [
        "mapping.yaml:7:5: patrons: required column primary_id is not mapped (name its source "
        "header)"]),
    Bad("missing-file-key", edit(("    file: loans.csv\n", "")), [
        "mapping.yaml:15:5: loans: missing required key 'file'"]),
    Bad("lookup-unknown-column", edit(("lookup: patrons.original_id", "lookup: patrons.orig_id")),
        ["mapping.yaml:19:56: loans.primary_id: lookup 'patrons.orig_id': patrons maps no "
         "column orig_id (did you mean 'original_id'?)"]),
    Bad("lookup-unmapped-column", edit(("lookup: patrons.original_id", "lookup: patrons.username")),
        ["mapping.yaml:19:56: loans.primary_id: lookup 'patrons.username': patrons maps no "
         "column username"]),
    Bad("lookup-not-table-column", edit(("lookup: patrons.original_id", "lookup: original_id")),
        ["mapping.yaml:19:56: loans.primary_id: lookup must be table.column, e.g. "
         "patrons.original_id"]),
    Bad("lookup-itself", edit(("lookup: patrons.original_id", "lookup: loans.loan_id")),
        ["mapping.yaml:19:56: loans.primary_id: lookup 'loans.loan_id': a table cannot look up "
         "itself"]),
    Bad("lookup-unknown-key", edit(
        ('primary_id: {column: "RECORD #(PATRON)", lookup: patrons.original_id}',
         'primary_id: {column: "RECORD #(PATRON)", lookup: patrons.original_id, fallback: x}')),
        ["mapping.yaml:19:77: unknown key 'fallback': expected column, lookup"]),
    Bad("values-on-a-lookup", edit(("    dates:\n", "    values:\n      primary_id: {a: b}\n"
                                                   "    dates:\n")),
        ["mapping.yaml:24:7: values.primary_id: primary_id is looked up in patrons; a "
         "looked-up column takes no values"]),
    Bad("bad-strptime-format", edit(('due_date: "%m-%d-%Y"', 'due_date: "%m-%d-%Q"')), [
        "mapping.yaml:25:17: dates.due_date: '%m-%d-%Q' is not a strptime format (Failed to "
        "parse format specifier %m-%d-%Q: Unrecognized format for strftime/strptime: %Q)"]),
    Bad("format-without-directive", edit(('due_date: "%m-%d-%Y"', 'due_date: "MM-DD-YYYY"')), [
        "mapping.yaml:25:17: dates.due_date: 'MM-DD-YYYY' is not a strptime format (no % "
        "directive, e.g. %m-%d-%Y)"]),
    Bad("dates-of-a-text-column", edit(("    dates:\n", "    dates:\n      item_barcode: '%Y'\n")),
        ["mapping.yaml:24:21: dates.item_barcode: loans.item_barcode is not a date column (the "
         "date columns of loans: loan_date, due_date, returned_at)"]),
    Bad("dates-of-an-unmapped-column", edit(("      returned_at: CHKIN DATE\n", "")), [
        "mapping.yaml:25:7: dates.returned_at: returned_at is not mapped under columns"]),
    Bad("values-not-a-map", edit(('user_group: {"0": UG, "1": GRAD}', "user_group: [UG, GRAD]")),
        ['mapping.yaml:13:19: values.user_group: expected a mapping of source values to '
         'snapshot values, e.g. {"0": UG, "1": GRAD}']),
    Bad("unknown-encoding", edit(("encoding: latin-1", "encoding: latin-9x")), [
        "mapping.yaml:6:15: encoding: 'latin-9x' is not an encoding Python knows (e.g. utf-8, "
        "latin-1, cp1252)"]),
    Bad("long-delimiter", edit(('delimiter: "|"', 'delimiter: "||"')), [
        "mapping.yaml:5:16: delimiter: '||' is not one character (write a tab as \"\\t\")"]),
    Bad("quote-is-the-delimiter", edit(('delimiter: "|"', "delimiter: \"|\"\n    quote: '|'")), [
        "mapping.yaml:6:12: the quote must differ from the delimiter"]),
    Bad("empty-not-a-list", edit(('empty: ["  -  -  "]', "empty: {a: b}")), [
        'mapping.yaml:27:12: empty: expected a list of source values that mean "no value", '
        'e.g. ["  -  -  "]']),
    Bad("file-outside", edit(("file: loans.csv", "file: ../loans.csv")), [
        "mapping.yaml:15:11: file: '../loans.csv' is not a file name inside FILES_DIR"]),
    Bad("records-not-a-count", edit(("file: loans.csv", "file: loans.csv\n    records: many")),
        ["mapping.yaml:16:14: records: expected the number of records the files hold (a whole "
         "number), not 'many'"]),
    Bad("file-blank", edit(("file: loans.csv", "file: ' '")), [
        "mapping.yaml:15:11: file: ' ' is not a file name inside FILES_DIR"]),
    Bad("header-as-mapping", edit(("loan_id: \"RECORD #(ITEM)\"", "loan_id: [a, b]")), [
        "mapping.yaml:17:16: loans.loan_id: expected the source header as text, or {column: "
        "HEADER, lookup: table.column}"]),
    Bad("todo-from-the-template", edit(("loan_id: \"RECORD #(ITEM)\"",
                                        'loan_id: "TODO: the header of loan_id"')), [
        "mapping.yaml:17:16: loans.loan_id: TODO left from the template (the header of "
        "loan_id)"]),
    Bad("format-version", edit(("format_version: 1", "format_version: 2")), [
        "mapping.yaml:1:17: format_version 2 is not supported (expected 1)"]),
    Bad("top-level-key", "format_version: 1\ntabels: {}\n", [
        "mapping.yaml:1:1: missing required key 'tables'",
        "mapping.yaml:2:1: unknown key 'tabels' (did you mean 'tables'?): expected "
        "format_version, tables"]),
    Bad("no-tables", "format_version: 1\ntables: {}\n", [
        "mapping.yaml:2:9: tables must map a table of the extract side to its file, e.g. "
        "patrons: {file: patrons.txt, ...}"]),
    Bad("malformed-yaml", "format_version: 1\ntables:\n  patrons: {file: x\n", [
        "mapping.yaml:4:1: malformed YAML: expected ',' or '}', but got '<stream end>' (while "
        "parsing a flow mapping, which starts at line 3, column 12)"]),
]


@pytest.mark.parametrize("bad", MAPPING_MISTAKES, ids=lambda b: b.id)
def test_mistakes_in_the_mapping_are_located_in_it(root: Path, bad: Bad) -> None:
    rejected(root, bad.problems, mapping=bad.mapping)


def test_lookups_in_a_circle(root: Path) -> None:
    mapping = ("format_version: 1\ntables:\n"
               "  items:\n    file: i.csv\n"
               "    columns: {barcode: {column: B, lookup: loans.loan_id}, status: S}\n"
               "  loans:\n    file: l.csv\n"
               "    columns: {loan_id: L, primary_id: P,"
               " item_barcode: {column: B, lookup: items.status}}\n")
    rejected(root, [
        "mapping.yaml:5:44: items.barcode: lookup 'loans.loan_id': the lookups of items, loans "
        "go round in a circle",
        "mapping.yaml:8:76: loans.item_barcode: lookup 'items.status': the lookups of items, "
        "loans go round in a circle"], {"i.csv": "B,S\n", "l.csv": "L,P,B\n"}, mapping)


def test_a_key_of_several_columns_cannot_be_looked_up(root: Path) -> None:
    mapping = ("format_version: 1\ntables:\n"
               "  locations:\n    file: loc.csv\n    columns: {library_code: LIB, code: C}\n"
               "  items:\n    file: i.csv\n"
               "    columns: {barcode: B, location_code: {column: L, lookup: locations.code}}\n")
    rejected(root, ["mapping.yaml:8:62: items.location_code: lookup 'locations.code': locations "
                    "has a key of several columns (library_code|code): it cannot be looked up"],
             {"loc.csv": "LIB,C\n", "i.csv": "B,L\n"}, mapping)


def test_a_column_read_as_a_date_cannot_be_looked_up(root: Path) -> None:
    mapping = MAPPING + ("  requests:\n    file: r.csv\n    columns:\n      request_id: R\n"
                         "      request_type: T\n      status: S\n"
                         "      item_barcode: {column: B, lookup: loans.due_date}\n")
    rejected(root, ["mapping.yaml:34:41: requests.item_barcode: lookup 'loans.due_date': "
                    "loans.due_date is read as a date: look up an identifier"],
             {"patrons.txt": PATRONS, "loans.csv": LOANS, "r.csv": "R,T,S,B\n"}, mapping)


def test_a_header_only_file_is_an_empty_table(root: Path) -> None:
    write_legacy(root, {"patrons.txt": PATRONS.splitlines(keepends=True)[0],
                        "loans.csv": LOANS.splitlines(keepends=True)[0]})
    result = import_flat()
    assert result.exit_code == 0, result.output
    assert "2 tables (patrons 0, loans 0 rows), valid." in result.stdout


# --- problems of the files and their values, at the source file's line and column ---------


def test_missing_file_with_the_names_beside_it(root: Path) -> None:
    rejected(root, ["legacy/loan.csv: file not found (did you mean 'loans.csv'?) (named at "
                    "mapping.yaml:15:11)"], mapping=edit(("file: loans.csv", "file: loan.csv")))


def test_missing_header_with_did_you_mean(root: Path) -> None:
    rejected(root, [
        "legacy/loans.csv:1:1: no header 'DUE DATES' (did you mean 'DUE DATE'?) for "
        "loans.due_date (mapping.yaml:21:17); the header has: RECORD #(ITEM), OUT DATE, "
        "RECORD #(PATRON), DUE DATE, BARCODE, CHKIN DATE"],
        mapping=edit(("due_date: DUE DATE", "due_date: DUE DATES")))


def test_header_read_with_the_wrong_delimiter(root: Path) -> None:
    header = ("the header has: P BARCODE|P TYPE|RECORD #(PATRON)|PATRN NAME|EMAIL ADDR (one "
              "column: is the delimiter '|'?)")
    rejected(root, [
        f"legacy/patrons.txt:1:1: no header 'EMAIL ADDR' for patrons.email (mapping.yaml:10:14); "
        f"{header}",
        f"legacy/patrons.txt:1:1: no header 'P BARCODE' for patrons.primary_id "
        f"(mapping.yaml:7:19); {header}",
        f"legacy/patrons.txt:1:1: no header 'P TYPE' for patrons.user_group (mapping.yaml:8:19); "
        f"{header}",
        f"legacy/patrons.txt:1:1: no header 'RECORD #(PATRON)' for patrons.original_id "
        f"(mapping.yaml:9:20); {header}",
    ], mapping=edit(('    delimiter: "|"\n', "")))


def test_a_header_named_twice_in_the_file(root: Path) -> None:
    loans = LOANS.replace('"CHKIN DATE"', '"OUT DATE"', 1)
    rejected(root, ["legacy/loans.csv:1:6: header 'OUT DATE' appears 2 times (columns 2, 6) "
                    "for loans.loan_date (mapping.yaml:20:18): rename one"],
             {"patrons.txt": PATRONS, "loans.csv": loans},
             edit(("      returned_at: CHKIN DATE\n", ""),
                  ('      returned_at: "%m-%d-%Y %H:%M"\n', "")))


def test_an_empty_file(root: Path) -> None:
    rejected(root, ["legacy/loans.csv:1:1: empty file: expected a header row naming the "
                    "columns"], {"patrons.txt": PATRONS, "loans.csv": ""})


def test_a_value_outside_the_values_map(root: Path) -> None:
    patrons = PATRONS + "21005|7|p1005|New, Nat|\n".encode("latin-1")
    rejected(root, ["legacy/patrons.txt:6:2: P TYPE '7' is not in the values of user_group "
                    "('0', '1')"], {"patrons.txt": patrons, "loans.csv": LOANS})


def test_a_value_off_only_by_spaces_or_case_is_named_with_the_one_it_nearly_is(
        root: Path) -> None:
    patrons = PATRONS + "21005| 1|p1005|New, Nat|\n21006|u|p1006|Ng, Ann|\n21007|7|p1007|Oh, " \
        "Al|\n21008| u |p1008|Po, Bo|\n21009|0|p1010 |Pad, Pat|\n".encode("latin-1")
    loans = LOANS + '"i1004","04-04-2016 16:29","P1001","05-01-2016","B4","  -  -  "\n' \
        '"i1005","04-04-2016 16:29","p1002 ","05-01-2016","B5","  -  -  "\n' \
        '"i1006","04-04-2016 16:29","p1009","05-01-2016","B6","  -  -  "\n' \
        '"i1007","04-04-2016 16:29","p1010","05-01-2016","B7","  -  -  "\n'
    mapping = edit(('{"0": UG, "1": GRAD}', '{"0": UG, "1": GRAD, "U": UG}'))
    named = "is not in the values of user_group ('0', '1', 'U')"
    rejected(root, [
        "legacy/loans.csv:5:3: RECORD #(PATRON) 'P1001' matches no original_id of patrons "
        "(patrons.txt); it differs from 'p1001' only in case: correct one of the files",
        "legacy/loans.csv:6:3: RECORD #(PATRON) 'p1002 ' matches no original_id of patrons "
        "(patrons.txt); it differs from 'p1002' only by spaces at either end: correct one of the "
        "files",
        "legacy/loans.csv:7:3: RECORD #(PATRON) 'p1009' matches no original_id of patrons "
        "(patrons.txt)",
        "legacy/loans.csv:8:3: RECORD #(PATRON) 'p1010' matches no original_id of patrons "
        "(patrons.txt); it differs from 'p1010 ' only by spaces at either end: correct one of "
        "the files",
        f"legacy/patrons.txt:6:2: P TYPE ' 1' {named}; it differs from '1' only by spaces at "
        "either end: add ' 1' to the values, or correct the file",
        f"legacy/patrons.txt:7:2: P TYPE 'u' {named}; it differs from 'U' only in case: add 'u' "
        "to the values, or correct the file",
        f"legacy/patrons.txt:8:2: P TYPE '7' {named}",
        f"legacy/patrons.txt:9:2: P TYPE ' u ' {named}; it differs from 'U' only in case and "
        "spaces at either end: add ' u ' to the values, or correct the file"],
        {"patrons.txt": patrons, "loans.csv": loans}, mapping)


def test_a_lookup_that_finds_nothing_or_several(root: Path) -> None:
    patrons = PATRONS + "21005|0|p1002|Twin, Tom|\n".encode("latin-1")
    loans = LOANS + '"i1004","04-04-2016 16:29","p9","05-01-2016","B4","  -  -  "\n'
    rejected(root, [
        "legacy/loans.csv:3:3: RECORD #(PATRON) 'p1002' matches the original_id of 2 patrons "
        "rows (patrons.txt): a lookup must find one",
        "legacy/loans.csv:5:3: RECORD #(PATRON) 'p9' matches no original_id of patrons "
        "(patrons.txt)"], {"patrons.txt": patrons, "loans.csv": loans})


def test_a_date_that_does_not_match_its_format(root: Path) -> None:
    loans = LOANS.replace('"04-05-2016 10:00"', '"13-45-2025 09:05"').replace(
        '"03-29-2016"', '"2016-03-29"')
    rejected(root, [
        "legacy/loans.csv:3:2: OUT DATE '13-45-2025 09:05' does not match %m-%d-%Y %H:%M",
        "legacy/loans.csv:4:4: DUE DATE '2016-03-29' does not match %m-%d-%Y"],
        {"patrons.txt": PATRONS, "loans.csv": loans})


def test_a_format_that_another_one_would_fit_is_named_in_the_mapping(root: Path) -> None:
    """Day and month swapped: the lines failing are listed, and the format in the mapping is
    named with one that fits every value; ISO values under a format: leave it out."""
    loans = LOANS.replace('"05-01-2016"', '"05-13-2016"')
    rejected(root, [
        "legacy/loans.csv:2:4: DUE DATE '05-13-2016' does not match %d-%m-%Y",
        "legacy/loans.csv:4:4: DUE DATE '03-29-2016' does not match %d-%m-%Y",
        "mapping.yaml:25:17: dates.due_date: DUE DATE values such as '05-13-2016' do not match "
        "%d-%m-%Y; '%m-%d-%Y' fits every value"],
        {"patrons.txt": PATRONS, "loans.csv": loans},
        mapping=edit(('      due_date: "%m-%d-%Y"', '      due_date: "%d-%m-%Y"')))
    iso = LOANS.replace('"05-01-2016"', '"2016-05-01"').replace('"03-29-2016"', '"2016-03-29"')
    rejected(root, [
        "legacy/loans.csv:2:4: DUE DATE '2016-05-01' does not match %m-%d-%Y",
        "legacy/loans.csv:4:4: DUE DATE '2016-03-29' does not match %m-%d-%Y",
        "mapping.yaml:25:17: dates.due_date: DUE DATE values such as '2016-05-01' are ISO "
        "dates: leave due_date out of dates:"],
        {"patrons.txt": PATRONS, "loans.csv": iso})


def test_an_empty_date_placeholder_without_empty_is_a_bad_date(root: Path) -> None:
    rejected(root, [
        "legacy/loans.csv:2:6: CHKIN DATE '  -  -  ' does not match %m-%d-%Y %H:%M",
        "legacy/loans.csv:3:4: DUE DATE '  -  -  ' does not match %m-%d-%Y",
        "legacy/loans.csv:3:6: CHKIN DATE '  -  -  ' does not match %m-%d-%Y %H:%M"],
        mapping=edit(('    empty: ["  -  -  "]\n', "")))


def test_dates_without_a_format_in_the_mapping_are_named_there(root: Path) -> None:
    """A column with no `dates:` format is read as ISO dates: its values are rejected at their
    lines, and the mapping's column is named once, with a format that fits its first value
    (none fits 'soon'); a column with a format is not named."""
    loans = LOANS.replace('"03-20-2016 14:00"', '"soon"')
    rejected(root, [
        "legacy/loans.csv:2:2: column loan_date (OUT DATE): '04-04-2016 16:29' is not an ISO "
        "date or timestamp (YYYY-MM-DD[THH:MM:SS])",
        "legacy/loans.csv:3:2: column loan_date (OUT DATE): '04-05-2016 10:00' is not an ISO "
        "date or timestamp (YYYY-MM-DD[THH:MM:SS])",
        "legacy/loans.csv:4:2: column loan_date (OUT DATE): '03-01-2016 09:15' is not an ISO "
        "date or timestamp (YYYY-MM-DD[THH:MM:SS])",
        "legacy/loans.csv:4:6: column returned_at (CHKIN DATE): 'soon' is not an ISO date or "
        "timestamp (YYYY-MM-DD[THH:MM:SS])",
        "mapping.yaml:20:18: loans.loan_date: OUT DATE holds values such as '04-04-2016 "
        "16:29', not ISO dates: give its date format under dates: ('%m-%d-%Y %H:%M' fits)",
        "mapping.yaml:22:20: loans.returned_at: CHKIN DATE holds values such as 'soon', not "
        "ISO dates: give its date format under dates:"],
        {"patrons.txt": PATRONS, "loans.csv": loans},
        mapping=edit(('      loan_date: "%m-%d-%Y %H:%M"\n', ""),
                     ('      returned_at: "%m-%d-%Y %H:%M"\n', "")))


def test_lines_count_blank_lines_and_values_over_several_lines(root: Path) -> None:
    loans = LOANS.replace('"B2"', '"B2\nsecond line"') + "\n" + \
        '"i1004","xx","p1001","05-01-2016","B4","  -  -  "\n'
    rejected(root, ["legacy/loans.csv:7:2: OUT DATE 'xx' does not match %m-%d-%Y %H:%M"],
             {"patrons.txt": PATRONS, "loans.csv": loans})


def test_at_most_20_lines_per_check_and_file(root: Path) -> None:
    loans = LOANS + "".join(f'"j{i}","bad{i}","p1001","05-01-2016","B","  -  -  "\n'
                            for i in range(25))
    write_legacy(root, {"patrons.txt": PATRONS, "loans.csv": loans})
    before = hashes(root)
    result = import_flat()
    assert_rejected(root, result, [  # 20 problems counted, and a note that there are more
        f"legacy/loans.csv:{i + 5}:2: OUT DATE 'bad{i}' does not match %m-%d-%Y %H:%M"
        for i in range(20)], before)
    assert ("note legacy/loans.csv: OUT DATE: only the first 20 of 25 lines failing 'matching "
            "%m-%d-%Y %H:%M' are listed") in result.stderr.splitlines()


def test_latin1_bytes_read_as_utf8(root: Path) -> None:
    rejected(root, ["legacy/patrons.txt:2:4: byte 0xE9 is not UTF-8 text: is the file Latin-1 "
                    "or Windows text? (set encoding: in the mapping, e.g. latin-1 or cp1252)"],
             mapping=edit(("    encoding: latin-1\n", "")))


def test_a_byte_the_encoding_has_no_character_for(root: Path) -> None:
    patrons = PATRONS + b"21005|0|p1005|Bad \x81 byte|\n"
    rejected(root, ["legacy/patrons.txt:6:1: byte 0x81 is not cp1252 text: is the file in "
                    "another encoding? (set encoding: in the mapping)"],
             {"patrons.txt": patrons, "loans.csv": LOANS},
             edit(("encoding: latin-1", "encoding: cp1252")))


def test_lines_with_too_many_or_too_few_fields_and_open_quotes(root: Path) -> None:
    # (DuckDB's reader takes one more field at the end when it is empty: a trailing comma)
    rejected(root, ["legacy/loans.csv:4:7: line has 7 fields but the header names 6 (a value "
                    "holding ',' must be quoted)"],
             {"patrons.txt": PATRONS, "loans.csv": LOANS.replace('"B3"', 'B3,x')})
    (root / "legacy" / "loans.csv").write_text(LOANS + '"i9","x\n', encoding="utf-8")
    before = hashes(root)
    assert_rejected(root, import_flat(), [
        "legacy/loans.csv:5:2: a quoted field is never closed (a \" opens it, another must "
        "close it; quote: \"\" in the mapping reads quotes as text)"], before)


def test_a_line_with_many_fields_says_how_many(root: Path) -> None:
    # DuckDB counts one past the header; the line is counted again in the file's dialect
    rejected(root, ["legacy/loans.csv:4:7: line has 8 fields but the header names 6 (a value "
                    "holding ',' must be quoted)"],
             {"patrons.txt": PATRONS, "loans.csv": LOANS.replace('"B3"', 'B3,x,y')})


def test_validation_problems_are_moved_to_the_source_lines(root: Path) -> None:
    loans = LOANS + '"i1001","04-04-2016 16:29","p1002","05-01-2016","","  -  -  "\n'
    rejected(root, [
        "legacy/loans.csv:5:1: column loan_id (RECORD #(ITEM)): 'i1001' is not a unique key "
        "(loan_id): line 2 has 'i1001'",
        "legacy/loans.csv:5:5: column item_barcode (BARCODE): no value, but the column is "
        "required"], {"patrons.txt": PATRONS, "loans.csv": loans})


def test_every_problem_of_every_kind_at_once(root: Path) -> None:
    patrons = PATRONS + "21005|7|p1005|New, Nat|\n".encode("latin-1")
    loans = LOANS.replace('"04-05-2016 10:00"', '"13-45-2025 09:05"')
    mapping = edit(("      email: EMAIL ADDR\n", "      email: EMAIL ADDR\n"
                                                  "      username: LOGIN\n"),
                   ("    empty:", "    quoting: none\n    empty:"))
    # the loans table has a mistake, so it is not read; patrons are
    rejected(root, [
        "legacy/patrons.txt:1:1: no header 'LOGIN' for patrons.username (mapping.yaml:12:17); "
        "the header has: P BARCODE, P TYPE, RECORD #(PATRON), PATRN NAME, EMAIL ADDR",
        "mapping.yaml:28:5: unknown key 'quoting' (did you mean 'quote'?): expected file, "
        "delimiter, quote, encoding, columns, values, dates, empty, records"],
        {"patrons.txt": patrons, "loans.csv": loans}, mapping)
    write_legacy(root, {"patrons.txt": patrons, "loans.csv": loans}, MAPPING)
    before = hashes(root)
    assert_rejected(root, import_flat(), [
        "legacy/loans.csv:3:2: OUT DATE '13-45-2025 09:05' does not match %m-%d-%Y %H:%M",
        "legacy/patrons.txt:6:2: P TYPE '7' is not in the values of user_group ('0', '1')"],
        before)


# --- a table in several files ----------------------------------------------------------------

SEVERAL = edit(("file: patrons.txt", "file: [patrons.txt, patrons-2.txt]"),
               ("file: loans.csv", "file: [loans.csv, loans-2.csv]"))
LOANS_HEADER = LOANS.splitlines(keepends=True)[0]


def test_problems_of_a_later_file_are_at_its_own_lines(root: Path) -> None:
    patrons2 = (PATRONS.splitlines(keepends=True)[0]
                + "21005|7|p1005|New, Nat|\n21006|1|p1006|Ng, Ann|\n".encode("latin-1"))
    loans2 = LOANS_HEADER + (
        '"i1004","04-04-2016 16:29","p9","05-01-2016","B4","  -  -  "\n'
        '"i1001","13-45-2025 09:05","p1001","05-01-2016","B5","  -  -  "\n')
    rejected(root, [
        "legacy/loans-2.csv:2:3: RECORD #(PATRON) 'p9' matches no original_id of patrons "
        "(patrons.txt, patrons-2.txt)",
        "legacy/loans-2.csv:3:2: OUT DATE '13-45-2025 09:05' does not match %m-%d-%Y %H:%M",
        "legacy/patrons-2.txt:2:2: P TYPE '7' is not in the values of user_group ('0', '1')"],
        {"patrons.txt": PATRONS, "patrons-2.txt": patrons2, "loans.csv": LOANS,
         "loans-2.csv": loans2}, SEVERAL)


def test_a_key_twice_across_files_and_a_bad_line_of_a_later_file(root: Path) -> None:
    loans2 = LOANS_HEADER + '"i1001","04-04-2016 16:29","p1002","05-01-2016","B5","  -  -  "\n'
    files = {"patrons.txt": PATRONS, "patrons-2.txt": PATRONS.splitlines(keepends=True)[0],
             "loans.csv": LOANS, "loans-2.csv": loans2}
    rejected(root, [
        "legacy/loans-2.csv:2:1: column loan_id (RECORD #(ITEM)): 'i1001' is not a unique key "
        "(loan_id): line 2 of legacy/loans.csv has 'i1001'"], files, SEVERAL)
    write_legacy(root, {**files, "loans-2.csv": loans2.replace('"  -  -  "', '"x","y"')},
                 SEVERAL)
    assert_rejected(root, import_flat(), [
        "legacy/loans-2.csv:2:7: line has 7 fields but the header names 6 (a value holding ',' "
        "must be quoted)"], hashes(root))


def test_records_other_than_the_mapping_says(root: Path) -> None:
    """A record over two lines (a quoted line end) is one record; the patrons hold 4, not 5,
    and the loans' two files 4, not 3."""
    loans2 = LOANS_HEADER + '"i1004","04-04-2016 16:29","p1001","05-01-2016","B\n4","  -  -  "\n'
    mapping = edit(("file: [patrons.txt, patrons-2.txt]", "file: patrons.txt\n    records: 5"),
                   ("file: [loans.csv, loans-2.csv]", "file: [loans.csv, loans-2.csv]\n"
                                                      "    records: 3"), base=SEVERAL)
    rejected(root, [
        "mapping.yaml:5:14: patrons: records: 5, but legacy/patrons.txt holds 4: was an export "
        "cut short, or a file left out?",
        "mapping.yaml:17:14: loans: records: 3, but legacy/loans.csv, legacy/loans-2.csv hold "
        "4: was an export cut short, or a file left out?"],
        {"patrons.txt": PATRONS, "loans.csv": LOANS, "loans-2.csv": loans2}, mapping)


def test_the_files_of_a_table_must_all_be_there_with_the_same_header(root: Path) -> None:
    other = PATRONS.replace(b"P TYPE", b"P CLASS")
    rejected(root, [
        "legacy/loans-2.csv: file not found (did you mean 'loans.csv'?) (named at "
        "mapping.yaml:15:23)",
        "legacy/patrons-2.txt:1:1: the header differs from legacy/patrons.txt's: the files of one "
        "table are read as one, and each must have the same header (this one has: P BARCODE, "
        "P CLASS, RECORD #(PATRON), PATRN NAME, EMAIL ADDR)"],
        {"patrons.txt": PATRONS, "patrons-2.txt": other, "loans.csv": LOANS}, SEVERAL)


@pytest.mark.parametrize(("files", "problem"), [
    ("[]", "mapping.yaml:15:11: file: expected a file name inside FILES_DIR, or a list of them"),
    ("[loans.csv, loans.csv]", "mapping.yaml:15:23: file: 'loans.csv' is named twice"),
    ("[loans.csv, ../x.csv]", "mapping.yaml:15:23: file: '../x.csv' is not a file name inside "
                              "FILES_DIR"),
])
def test_a_list_of_files_with_a_mistake(root: Path, files: str, problem: str) -> None:
    rejected(root, [problem], mapping=edit(("file: loans.csv", f"file: {files}")))


# --- the command's arguments ---------------------------------------------------------------


def test_bad_arguments_together(root: Path) -> None:
    write_legacy(root)
    (root / "snap").mkdir()
    (root / "snap" / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = hashes(root)
    result = invoke("snapshot", "import", "flat", "nowhere", "--mapping", "mapping.yaml",
                    "--stage", "freeze", "--institution", " ", "--out", "snap",
                    "--taken-at", "yesterday")
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error ")] == [
        "error --institution: expected the institution code, e.g. NFU",
        "error --stage: 'freeze' is not a stage of the extract side (legacy files are the "
        "extract side): extract, fulfillment_extract",
        "error --taken-at: 'yesterday' is not an ISO timestamp (YYYY-MM-DDTHH:MM:SSZ)",
        "error nowhere: folder of legacy files not found",
        "error snap: --out exists and is not a snapshot folder written by `cutover snapshot "
        "import`; choose a new folder"]
    assert hashes(root) == before


def test_missing_mapping_file(root: Path) -> None:
    write_legacy(root)
    before = hashes(root)
    assert_rejected(root, import_flat(mapping="mapping.yml"),
                    ["mapping.yml: file not found"], before)


# --- any mistake in the mapping is reported, never an internal error (property) -------------

LOCATED = re.compile(r"error (mapping\.yaml:\d+:\d+|legacy/[^:]+(:\d+(:\d+)?)?): ")


def assert_imported_or_located(result: Result) -> None:
    """Exit 0, or exit 2 with every problem located in the mapping or a file; never an
    internal error."""
    assert result.exit_code in (0, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    if result.exit_code == 2:
        problems = [line for line in result.stderr.splitlines() if line.startswith("error ")]
        assert problems, result.stderr
        assert all(LOCATED.match(p) for p in problems), problems


ODD_VALUES = st.one_of(
    st.none(), st.integers(-3, 3), st.booleans(), st.just(""), st.just(" "),
    st.sampled_from(["P TYPE", "RECORD #(PATRON)", "patrons.original_id", "loans.loan_id",
                     "%m-%d-%Y", "%Q", "|", "||", "\t", "latin-9", "no-such-codec", "TODO",
                     "  -  -  ", "primary_id", "patrons", "2016-04-04"]),
    st.lists(st.sampled_from(["%m-%d-%Y", "", "x", "  -  -  "]), max_size=3),
    st.dictionaries(st.sampled_from(["column", "lookup", "0", "1", "x"]),
                    st.sampled_from(["P TYPE", "patrons.original_id", "UG", ""]), max_size=2))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the parsed mapping a value sits at."""
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_change_to_the_mapping_is_imported_or_refused_located(data: st.DataObject) -> None:
    """A value anywhere in the mapping replaced by one of another kind, a key removed or an
    unknown one added: exit 0, or exit 2 with every problem located; never an internal error."""
    mapping = yaml.safe_load(MAPPING)
    for _ in range(data.draw(st.integers(1, 3))):
        *parent, key = data.draw(st.sampled_from(_paths(mapping)))
        node = mapping
        for step in parent:
            node = node[step]
        action = data.draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            node[key] = data.draw(ODD_VALUES)
        elif action == "remove":
            del node[key]
        else:
            node[data.draw(st.sampled_from(["extra", "column", "values", "dates", "empty",
                                            "records"]))] = \
                data.draw(ODD_VALUES)
        if not isinstance(mapping, dict) or not mapping:
            break
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        write_legacy(Path(tmp), mapping=yaml.safe_dump(mapping, sort_keys=False))
        assert_imported_or_located(import_flat())


# --- any damage to the files is imported or refused located (property) ----------------------

ODD_BYTES = [b'"', b",", b"|", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xe9", b"\x92", b" ",
             b"-", b"  -  -  ", b"13-45-2025 09:05", b"p9", b"7", b"\xef\xbb\xbf"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_to_the_files_is_imported_or_refused_located(data: st.DataObject) -> None:
    """Bytes inserted, removed or a line repeated in either file: exit 0, or exit 2 with every
    problem located in a file; never an internal error."""
    files = {"patrons.txt": bytearray(PATRONS), "loans.csv": bytearray(LOANS.encode("utf-8"))}
    for _ in range(data.draw(st.integers(1, 3))):
        content = files[data.draw(st.sampled_from(sorted(files)))]
        at = data.draw(st.integers(0, len(content)))
        action = data.draw(st.sampled_from(["insert", "remove", "repeat"]))
        if action == "insert":
            content[at:at] = data.draw(st.sampled_from(ODD_BYTES))
        elif action == "remove":
            del content[at:at + data.draw(st.integers(1, 12))]
        else:
            start = content.rfind(b"\n", 0, at) + 1
            end = content.find(b"\n", at)
            content[start:start] = content[start:len(content) if end < 0 else end + 1]
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        write_legacy(Path(tmp), {name: bytes(c) for name, c in files.items()})
        assert_imported_or_located(import_flat())
