"""Where a CSV file DuckDB read goes wrong, in the file's own terms: its reader's errors as one
located sentence, and its record numbers as the file's rows or lines. Snapshot table files
(`reading.py`), legacy flat files (`importers/flat/sources.py`) and the plan's change log
(`commands/plan/changes.py`) share it; what each says differently is its `Words`.

DuckDB numbers records with the header as 1: `row_number()` over a file skips blank lines, the
line of its errors counts them. A quoted value may hold line ends, so a record can start on a
later physical line than its number.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from simulator.errors import Loc, Problem
from simulator.inputs.snapshot import MAX_LINE_BYTES, has_bad_bytes


@dataclass(frozen=True)
class CsvFile:
    """A CSV file as DuckDB reads it: `path` (UTF-8 text), `shown` in messages, its dialect."""

    path: Path
    shown: str
    delimiter: str = ","
    quote: str = '"'  # "": quotes are text

    def reader(self, lines: Iterable[str]) -> Any:
        """A csv reader of the file's dialect (`line_num` tells the lines read)."""
        if self.quote:
            return csv.reader(lines, delimiter=self.delimiter, quotechar=self.quote,
                              doublequote=True)
        return csv.reader(lines, delimiter=self.delimiter, quoting=csv.QUOTE_NONE)


@dataclass(frozen=True)
class Words:
    """How a command words its file's problems (each pinned by its contract's tests).

    `unit` is what a message counts: a `line` is located at the physical line its record starts
    on, a `row` at the record's number (the header is 1, blank lines count).
    """

    unit: str = "line"
    too_many: str = "a value holding a comma must be in double quotes"
    unclosed: str = 'a quoted field is never closed (a " opens it, another " must close it)'
    too_long: str = f"a line is longer than {MAX_LINE_BYTES:,} bytes: is a quote left open?"
    cannot: str = "cannot read the file"
    not_utf8: str = ": save the file as CSV UTF-8"  # after "byte 0xE9 is not UTF-8 text"
    not_utf8_file: str | None = None  # after "not valid UTF-8 text" (default: `not_utf8`)


# --- records and lines -----------------------------------------------------------------------


@contextmanager
def _reading(f: CsvFile, errors: str) -> Iterator[Any]:
    """The file's csv reader, a field as long as the longest line DuckDB reads allowed."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with f.path.open(encoding="utf-8-sig", errors=errors, newline="") as lines:
            yield f.reader(lines)
    finally:
        csv.field_size_limit(limit)


def _records(reader: Any) -> Iterator[tuple[bool, int]]:
    """Each record: whether it is blank, and the physical line it starts on."""
    end = 0
    for fields in reader:
        start, end = end + 1, reader.line_num
        yield not fields, start


def lines(f: CsvFile, rows: set[int], blank_lines_count: bool = False) -> dict[int, int]:
    """The physical line each of `rows` starts on, the file read only up to the last of them.

    A row is a record's number with the header as 1; DuckDB's `row_number()` skips blank lines,
    its error lines count them (`blank_lines_count`). A row not found stays as it is.
    """
    wanted, found, row = max(rows, default=0), {}, 0
    try:
        with _reading(f, "replace") as reader:
            for blank, start in _records(reader):
                if blank_lines_count or not blank:
                    row += 1
                    if row in rows:
                        found[row] = start
                if row >= wanted:
                    break
    except csv.Error:
        pass
    return {row: found.get(row, row) for row in rows}


def rows_counting_blanks(f: CsvFile) -> Callable[[int], int]:
    """Map DuckDB's `row_number()` row to the record's number counting blank lines, as DuckDB's
    errors and a spreadsheet do. A file without an empty line (nearly every file) costs one
    fast byte scan."""
    if not _may_have_blank_lines(f.path):
        return lambda row: row
    blanks: list[int] = []  # per blank line: the first row that comes after it
    kept = 1
    try:
        with _reading(f, "replace") as reader:
            for blank, _ in _records(reader):
                if blank:
                    blanks.append(kept)
                else:
                    kept += 1
    except csv.Error:
        return lambda row: row
    return lambda row: row + bisect.bisect_right(blanks, row)


def _may_have_blank_lines(path: Path) -> bool:
    tail = b""
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            data = tail + chunk
            if b"\n\n" in data or b"\n\r\n" in data or b"\r\r" in data:
                return True
            tail = data[-2:]
    return False


# --- bytes that are not UTF-8 ----------------------------------------------------------------


def bad_field(f: CsvFile) -> tuple[int, int, str] | None:
    """Row (header = 1, blank lines count), column and value (its bad bytes as surrogates) of
    the first field that is not UTF-8."""
    try:
        with _reading(f, "surrogateescape") as reader:
            for row, fields in enumerate(reader, 1):
                for col, value in enumerate(fields, 1):
                    if has_bad_bytes(value):
                        return row, col, value
    except csv.Error:
        return None
    return None


def not_utf8(f: CsvFile, words: Words) -> Problem:
    """The first byte that is not UTF-8: its line, and its field counted by delimiters."""
    with f.path.open("rb") as src:
        for number, line in enumerate(src, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                field = line[:e.start].count(f.delimiter.encode("utf-8")) + 1
                return Problem(Loc(f.shown, number, field),
                               f"byte 0x{line[e.start]:02X} is not UTF-8 text{words.not_utf8}")
    after = words.not_utf8 if words.not_utf8_file is None else words.not_utf8_file
    return Problem(Loc(f.shown), f"not valid UTF-8 text{after}")


# --- DuckDB's reading errors -----------------------------------------------------------------

_LINE = re.compile(r"CSV Error on Line: (\d+)")
_ORIGINAL = re.compile(r"Original Line: (.*?)\nExpected Number of Columns", re.S)
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def read_problem(f: CsvFile, error: Exception, words: Words,
                 not_utf8_at: Callable[[int], Problem] | None = None) -> Problem:
    """DuckDB's CSV reader `error` as one sentence at the record it names (mixed line ends: at
    the first line end that differs). `not_utf8_at` words a file that is not UTF-8, given
    DuckDB's record (default: `not_utf8`)."""
    text = str(error)
    m = _LINE.search(text)
    record = int(m.group(1)) if m else 0
    if "Invalid unicode" in text or "not utf-8" in text:
        return not_utf8_at(record) if not_utf8_at is not None else not_utf8(f, words)
    line, col, message = _sentence(f, text, words)
    if line is None and record:
        line = record if words.unit == "row" else lines(f, {record}, True)[record]
    return Problem(Loc(f.shown, line, col) if line else Loc(f.shown), message)


def _sentence(f: CsvFile, text: str, words: Words) -> tuple[int | None, int, str]:
    """The line (None: the record's), column and sentence of a reading error."""
    if "maximum line size" in text.lower():
        return None, 1, words.too_long
    if counts := _COUNTS.search(text):
        expected, found = int(counts.group(1)), int(counts.group(2))
        if found > expected:
            found = _fields(f, text, found)
        hint = (words.too_many if found > expected
                else f"is a value missing, or the {words.unit} broken in two?")
        return None, min(expected, found) + 1, (
            f"{words.unit} has {found} field{'s' if found != 1 else ''} but the header names "
            f"{expected} ({hint})")
    if "invalid state" in text and (changed := _mixed_line_ends(f.path)):
        line, col, crlf = changed
        ends = ("CRLF", "LF") if crlf else ("LF", "CRLF")
        return line, col, (f"the file mixes line ends (Windows CRLF and Unix LF): this line "
                           f"ends in {ends[0]}, the first line in {ends[1]}; save it again with "
                           "one kind")
    if "unterminated quote" in text.lower():
        return None, _unclosed_field(f, text), words.unclosed
    return None, 1, f"{words.cannot}: {text.strip().splitlines()[0]}"


_UNCLOSED = re.compile(r"Original Line: (.*?)\nValue with unterminated quote", re.S)


def _unclosed_field(f: CsvFile, error: str) -> int:
    """The field whose quote never closes, counted in the record DuckDB quotes in `error` (from
    its start to the file's end, or as much as it read): the last field a quote opens (a
    stray character after a closing quote, `"x"y`, leaves that field open too); 1 when it
    quotes none."""
    m = _UNCLOSED.search(error)
    field, opened, quoted = 1, 1, False
    for ch in m.group(1) if m and f.quote else "":
        if ch == f.quote:  # a doubled quote inside a quoted field closes and opens again
            quoted = not quoted
            opened = field if quoted else opened
        elif not quoted and ch == f.delimiter:
            field += 1
        elif not quoted and ch in "\r\n":
            field = 1
    return opened


def _fields(f: CsvFile, error: str, found: int) -> int:
    """The fields of the record DuckDB quotes in `error` (after any blank lines it quotes
    before it): DuckDB counts a long record's fields only up to one past the header's."""
    m = _ORIGINAL.search(error)
    try:
        fields = next((r for r in f.reader(io.StringIO(m.group(1))) if r), None) if m else None
    except csv.Error:
        return found
    return len(fields) if fields else found


def _mixed_line_ends(path: Path) -> tuple[int, int, bool] | None:
    """The first line whose end differs from the first line's: its number, the column its line
    end starts at, and whether it ends in CRLF (None: all alike)."""
    first: bool | None = None  # does the first line end in CRLF?
    line, prev, offset, line_start = 0, b"", 0, 0  # offsets in bytes from the file's start
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            start = 0
            while (i := chunk.find(b"\n", start)) >= 0:
                line += 1
                crlf = (chunk[i - 1:i] if i else prev) == b"\r"
                if first is None:
                    first = crlf
                elif crlf != first:
                    return line, _column(f, line_start, offset + i - crlf), crlf
                start = i + 1
                line_start = offset + start
            prev = chunk[-1:]
            offset += len(chunk)
    return None


def _column(f: BinaryIO, start: int, end: int) -> int:
    """The column (in characters) of the byte at `end` of a line that starts at `start`."""
    f.seek(start)
    text = f.read(min(end - start, MAX_LINE_BYTES)).decode("utf-8", "replace")
    return len(text) + 1
