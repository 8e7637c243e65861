"""The one place CSV reading errors are located (simulator/inputs/csverrors.py): DuckDB's record
numbers as the file's lines and rows, and its reader's errors as sentences, in each command's
words, on real DuckDB errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import db
from simulator.inputs import csverrors
from simulator.inputs.csverrors import CsvFile, Words

ROWS = Words(unit="row", cannot="cannot read CSV")
LINES = Words()
PIPES = Words(too_many="a value holding '|' must be quoted", not_utf8=": set encoding",
              not_utf8_file=" (set encoding)")


@pytest.fixture(scope="module")
def con() -> Iterator[db.Connection]:
    c = db.connect()
    yield c
    c.close()


def write(tmp_path: Path, data: str | bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def problem(con: db.Connection, f: CsvFile, words: Words, columns: int) -> str:
    """The sentence for the error DuckDB raises reading `f` as the commands do."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, columns + 1)) + "}"
    with pytest.raises(db.DuckDBError) as e:
        con.execute(f"select * from read_csv($path, columns = {cols}, header = true, "
                    "auto_detect = false, delim = $delim, quote = $quote, escape = $quote, "
                    "strict_mode = true, max_line_size = 2097152)",
                    {"path": str(f.path), "delim": f.delimiter, "quote": f.quote}).fetchall()
    return str(csverrors.read_problem(f, e.value, words))


# --- records and lines ---------------------------------------------------------------------

TEXT = 'a,b\n1,"two\nlines"\n\n3,x\n\n\n4,y\n'  # records 2, 3, 4 start on lines 2, 5, 8


def test_lines_of_records_skip_blank_lines_and_follow_quoted_line_ends(tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, TEXT), "f.csv")
    assert csverrors.lines(f, {1, 2, 3, 4, 9}) == {1: 1, 2: 2, 3: 5, 4: 8, 9: 9}
    # DuckDB's error lines count blank records: record 4 is the blank line 4
    assert csverrors.lines(f, {3, 4, 5}, blank_lines_count=True) == {3: 4, 4: 5, 5: 6}
    assert csverrors.lines(f, set()) == {}


def test_rows_counting_blanks(tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, TEXT), "f.csv")
    assert [csverrors.rows_counting_blanks(f)(r) for r in (1, 2, 3, 4)] == [1, 2, 4, 7]
    plain = CsvFile(write(tmp_path, "a,b\n1,2\n3,4\n", "plain.csv"), "plain.csv")
    assert [csverrors.rows_counting_blanks(plain)(r) for r in (1, 2, 3)] == [1, 2, 3]


def test_lines_in_another_dialect(tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, "a|b\n'x|\ny'|1\n2|3\n"), "f.txt", "|", "'")
    assert csverrors.lines(f, {2, 3}) == {2: 2, 3: 4}
    unquoted = CsvFile(f.path, "f.txt", "|", "")  # quotes are text: every line a record
    assert csverrors.lines(unquoted, {2, 3}) == {2: 2, 3: 3}


VALUES = st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters=',"\n '),
                 max_size=8)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60,
          deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(VALUES, min_size=2, max_size=2)), max_size=12))
def test_lines_are_where_each_record_starts(tmp_path: Path, records: list[list[str] | None]
                                            ) -> None:
    buf, starts = io.StringIO(), []
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["a", "b"])
    for fields in records:
        if fields is None:
            buf.write("\n")  # a blank line
            continue
        starts.append(buf.getvalue().count("\n") + 1)
        writer.writerow(fields)
    f = CsvFile(write(tmp_path, buf.getvalue()), "f.csv")
    rows = set(range(2, len(starts) + 2))
    assert csverrors.lines(f, rows) == {row: starts[row - 2] for row in rows}


# --- DuckDB's errors -----------------------------------------------------------------------


def test_a_row_with_more_fields_names_all_of_them(con: db.Connection, tmp_path: Path) -> None:
    # DuckDB counts one past the header; the quoted record is counted again in the dialect.
    f = CsvFile(write(tmp_path, "a,b\n1,2\n3,4,5,6\n"), "f.csv")
    assert problem(con, f, LINES, 2) == ("f.csv:3:3: line has 4 fields but the header names 2 "
                                         "(a value holding a comma must be in double quotes)")
    pipes = CsvFile(write(tmp_path, 'a|b\n1|"x|y"|z|w\n', "p.txt"), "p.txt", "|")
    assert problem(con, pipes, PIPES, 2) == ("p.txt:2:3: line has 4 fields but the header "
                                             "names 2 (a value holding '|' must be quoted)")


def test_a_short_row_after_blank_lines(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, "a,b,c\n1,2,3\n\n\nx,y\n"), "f.csv")
    assert problem(con, f, ROWS, 3) == ("f.csv:5:3: row has 2 fields but the header names 3 "
                                        "(is a value missing, or the row broken in two?)")
    assert problem(con, f, LINES, 3) == ("f.csv:5:3: line has 2 fields but the header names 3 "
                                         "(is a value missing, or the line broken in two?)")


def test_one_field_is_singular(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, "a,b,c\nx\n"), "f.csv")
    assert problem(con, f, LINES, 3) == ("f.csv:2:2: line has 1 field but the header names 3 "
                                         "(is a value missing, or the line broken in two?)")


def test_rows_are_records_and_lines_are_lines(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, 'a,b\n1,"x\ny"\n3,4,5\n'), "f.csv")
    assert problem(con, f, ROWS, 2).startswith("f.csv:3:3: row has 3 fields")
    assert problem(con, f, LINES, 2).startswith("f.csv:4:3: line has 3 fields")


def test_mixed_line_ends_are_located_in_every_words(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, "a,b\r\n1,2\r\n3,4\n5,6\r\n"), "f.csv")
    expected = ("f.csv:3:4: the file mixes line ends (Windows CRLF and Unix LF): this line ends "
                "in LF, the first line in CRLF; save it again with one kind")
    assert problem(con, f, ROWS, 2) == problem(con, f, LINES, 2) == expected


def test_a_quote_never_closed(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, 'a,b\n1,2\n\n3,"x\n'), "f.csv")
    assert problem(con, f, LINES, 2) == ('f.csv:4:2: a quoted field is never closed (a " opens '
                                         'it, another " must close it)')


def test_bytes_that_are_not_utf8(con: db.Connection, tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, b"a|b\n1|2\n3|caf\xe9\n", "p.txt"), "p.txt", "|")
    assert problem(con, f, PIPES, 2) == "p.txt:3:2: byte 0xE9 is not UTF-8 text: set encoding"
    assert str(csverrors.not_utf8(CsvFile(write(tmp_path, "a\n1\n", "ok.txt"), "ok.txt"),
                                  PIPES)) == "ok.txt: not valid UTF-8 text (set encoding)"
    assert str(csverrors.not_utf8(CsvFile(tmp_path / "ok.txt", "ok.txt"), LINES)) == (
        "ok.txt: not valid UTF-8 text: save the file as CSV UTF-8")


def test_the_first_field_that_is_not_utf8(tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, b'a,b\n1,"x,\ny"\n\n3,caf\xe9\n'), "f.csv")
    assert csverrors.bad_field(f) == (4, 2, "caf\udce9")  # the blank record counts
    assert csverrors.bad_field(CsvFile(write(tmp_path, "a\n1\n", "ok.csv"), "ok.csv")) is None


def test_another_error_is_quoted(tmp_path: Path) -> None:
    f = CsvFile(write(tmp_path, "a\n1\n"), "f.csv")
    error = Exception("Invalid Input Error: something else\nmore")
    assert str(csverrors.read_problem(f, error, ROWS)) == (
        "f.csv: cannot read CSV: Invalid Input Error: something else")
    assert str(csverrors.read_problem(f, error, LINES)) == (
        "f.csv: cannot read the file: Invalid Input Error: something else")
