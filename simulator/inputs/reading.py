"""Reading snapshot files into DuckDB: each table file gets two views, `raw_<schema>.<table>`
(every column as text, with its file row in `_row`, for validation) and `<schema>.<table>`
(typed, spec columns only, for the rules). Data stays in the files; nothing is copied into
Python. A file DuckDB cannot read is located to its row and column."""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from simulator import db
from simulator.errors import Loc, Problem
from simulator.inputs.snapshot import (
    MAX_LINE_BYTES,
    NOT_UTF8,
    Snapshot,
    TableFile,
    bytes_shown,
    has_bad_bytes,
)
from simulator.inputs.tables import SCHEMA_SIDE, SQL_TYPES, Table, tables_for


def row_numbers(tf: TableFile) -> Callable[[int], int]:
    """Map a view's `_row` to the file's row, counting blank lines as DuckDB's errors do.

    DuckDB skips blank lines, so `_row` (1 + the record's position) falls behind the row a
    spreadsheet shows after a blank line. Only called to report problems; a file without an
    empty line (nearly every file) costs one fast byte scan.
    """
    if tf.format != "csv" or not _may_have_blank_lines(tf.path):
        return lambda row: row
    blanks: list[int] = []  # per blank line: the first `_row` that comes after it
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with tf.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            kept = 1
            for fields in csv.reader(f):
                if fields:
                    kept += 1
                else:
                    blanks.append(kept)
    except csv.Error:
        return lambda row: row
    finally:
        csv.field_size_limit(limit)
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


def _find_bad_utf8(tf: TableFile) -> tuple[int, int, str] | None:
    """Row (header = 1), column and shown value of the first field that is not UTF-8."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with tf.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            for row, fields in enumerate(csv.reader(f), 1):
                for col, value in enumerate(fields, 1):
                    if has_bad_bytes(value):
                        return row, col, value
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    return None


# --- views ---------------------------------------------------------------------------------


def _source_sql(tf: TableFile) -> str:
    if tf.format == "parquet":
        return f"read_parquet({db.literal(str(tf.path))}, file_row_number = true)"
    columns = "{" + ", ".join(f"{db.literal(h)}: 'VARCHAR'" for h in tf.header) + "}"
    return (
        f"read_csv({db.literal(str(tf.path))}, columns = {columns}, header = true, "
        "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"max_line_size = {MAX_LINE_BYTES}, strict_mode = true)"
    )


def attach(con: db.Connection, schema: str, snap: Snapshot | None, side: str,
           tables: set[str] | None = None) -> list[Problem]:
    """Create raw and typed views for every table of `side` (or only for `tables`, leaving the
    views of the others as they are); absent tables are empty.

    Returns the problems of the files themselves: those found when the snapshot was opened
    (empty file, bad header) and those found reading every value (encoding, ragged rows,
    runaway quotes). A file with such a problem is attached as an empty table and marked
    unreadable, so that validating the other tables stays possible.
    """
    raw = f"raw_{schema}"
    con.execute(f"create schema if not exists {db.ident(raw)}")
    con.execute(f"create schema if not exists {db.ident(schema)}")
    problems: list[Problem] = list(snap.problems) if snap else []
    for table in tables_for(side):
        if tables is not None and table.name not in tables:
            continue
        tf = snap.files.get(table.name) if snap else None
        view = db.qualified(raw, table.name)
        problem = None
        if tf is not None:
            tf, problem = _read(con, view, tf)
            if snap is not None:
                snap.files[table.name] = tf  # with the Parquet file's own header and types
        if problem is not None and snap is not None and tf is not None:
            problems.append(problem)
            snap.unreadable.add(table.name)
            cols = ", ".join(f"cast(null as varchar) as {db.ident(h)}" for h in _columns(tf))
            con.execute(f"create or replace view {view} as select {cols}{', ' if cols else ''}"
                        "cast(null as bigint) as _row limit 0")
        elif tf is None:
            cols = ", ".join(f"cast(null as varchar) as {db.ident(c)}" for c in table.column_names)
            con.execute(f"create or replace view {view} as "
                        f"select {cols}, cast(null as bigint) as _row limit 0")
        con.execute(f"create or replace view {db.qualified(schema, table.name)} as "
                    f"{_typed_sql(table, tf, view, direct=problem is None)}")
    return problems


def _typed_sql(table: Table, tf: TableFile | None, raw_view: str, direct: bool) -> str:
    """The typed view: the catalogue's columns, each cast from its text in `raw_view`, except a
    Parquet file's native columns, read straight from the file (a timestamp is not printed
    and parsed again on every read)."""
    present = set(_columns(tf)) if tf else set(table.column_names)
    native = tf.native if direct and tf is not None and tf.format == "parquet" else frozenset()
    cols = []
    for c in table.columns:
        if c.name in native:
            cols.append(db.ident(c.name))
            continue
        value = db.ident(c.name) if c.name in present else "null"
        if native:
            value = f"cast({value} as varchar)"
        cols.append(f"cast({value} as {SQL_TYPES[c.type]}) as {db.ident(c.name)}")
    if not native:
        return f"select {', '.join(cols)}, _row from {raw_view}"
    assert tf is not None
    return f"select {', '.join(cols)}, {_ROW_SQL['parquet']} as _row from {_source_sql(tf)}"


def _read(con: db.Connection, view: str, tf: TableFile) -> tuple[TableFile, Problem | None]:
    """The raw view `view` over the file, every value read once; the problem, if any."""
    try:
        if tf.format == "parquet":
            tf = _with_parquet_header(con, tf)
            nested = _nested_column(con, tf)
            if nested is not None:
                return tf, nested
        con.execute(f"create or replace view {view} as {_raw_sql(tf)}")
        # count(column) makes DuckDB decode every value; count(*) would skip them.
        counts = ", ".join(f"count({db.ident(h)})" for h in _columns(tf)) or "count(*)"
        con.execute(f"select {counts} from {view}").fetchall()
    except db.DuckDBError as e:
        return tf, csv_problem(tf, e) if tf.format == "csv" else Problem(
            Loc(tf.shown), f"cannot read Parquet file: {_parquet_error(e)}")
    return tf, None


# DuckDB types holding more than one value: LIST (`VARCHAR[]`), ARRAY (`VARCHAR[2]`), STRUCT,
# MAP, UNION. A key of `["WH1", "y"]` would be read as the text "[WH1, y]".
_NESTED = re.compile(r"(\[\d*\]$)|^(STRUCT|MAP|UNION)\(")


def _nested_column(con: db.Connection, tf: TableFile) -> Problem | None:
    """The first column of the table's that a Parquet file holds as a nested type."""
    wanted = set(tf.table.column_names)
    rows = con.rows(f"describe select * from read_parquet({db.literal(str(tf.path))})")
    for i, (name, kind, *_) in enumerate(rows, 1):
        if name in wanted and _NESTED.search(str(kind)):
            return Problem(Loc(tf.shown, 1, i), f"column {name} has the nested type {kind}: a "
                           "table file holds one plain value per field (text, a number, a date "
                           "or true/false)")
    return None


def attach_empty(con: db.Connection, post: bool = False) -> None:
    """Every input schema (and `post`) with empty tables: what SQL is bound against to check
    it before any data is read."""
    for schema, side in [*SCHEMA_SIDE.items(), *([("post", "alma")] if post else [])]:
        attach(con, schema, None, side)


def _columns(tf: TableFile) -> list[str]:
    # `_row` is the file row number we add; a column of that name in the file is ignored.
    return [h for h in tf.header if h.lower() != "_row"]


_ROW_SQL = {"parquet": "cast(file_row_number + 1 as bigint)",
            "csv": "cast(row_number() over () + 1 as bigint)"}


def _raw_sql(tf: TableFile) -> str:
    present = "".join(f"cast({db.ident(h)} as varchar) as {db.ident(h)}, " for h in _columns(tf))
    return f"select {present}{_ROW_SQL[tf.format]} as _row from {_source_sql(tf)}"


def _parquet_error(e: Exception) -> str:
    text = _first(e)
    if "magic bytes" in text:
        return "not a Parquet file (no Parquet magic bytes): is it a CSV file named .parquet?"
    return text.split("Error: ", 1)[-1]


def _with_parquet_header(con: db.Connection, tf: TableFile) -> TableFile:
    """The file's own header, and which of its columns are stored as the catalogue's type."""
    kinds = con.rows(f"describe select * from read_parquet({db.literal(str(tf.path))})")
    spec = {c.name: SQL_TYPES[c.type] for c in tf.table.columns}
    native = frozenset(name for name, kind, *_ in kinds if spec.get(name) == str(kind))
    return TableFile(tf.table, tf.path, tf.format, tuple(name for name, *_ in kinds), native)


def _first(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_ORIGINAL = re.compile(r"Original Line: (.*?)\nExpected Number of Columns", re.S)
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _fields(error: str, found: int) -> int:
    """The fields of the row DuckDB quotes in `error`: it counts a long row's fields only up to
    one past the header's (`found`)."""
    m = _ORIGINAL.search(error)
    try:
        return len(next(csv.reader(io.StringIO(m.group(1))))) if m else found
    except (csv.Error, StopIteration):
        return found


def csv_problem(tf: TableFile, e: Exception) -> Problem:
    """Turn DuckDB's CSV reader errors into one located sentence.

    DuckDB's "line" counts records (the header is 1), as our row numbers do.
    """
    text = str(e)
    m = _LINE.search(text)
    row = int(m.group(1)) if m else 0
    col = 1
    if "Invalid unicode" in text or "not utf-8" in text:
        found = _find_bad_utf8(tf)
        if found:
            row, col, value = found
            name = tf.header[col - 1] if col <= len(tf.header) else f"#{col}"
            msg = f"column {name}: {bytes_shown(value)} {NOT_UTF8}"
        else:
            msg = f"a value {NOT_UTF8}"
    elif "Maximum line size" in text or "maximum line size" in text:
        msg = (
            f"a row is longer than {MAX_LINE_BYTES:,} bytes (the most a row may hold): is a "
            "quote left open, or a field holding a whole document?"
        )
    elif counts := _COUNTS.search(text):
        expected, found_n = int(counts.group(1)), _fields(text, int(counts.group(2)))
        col = min(expected, found_n) + 1
        hint = ("a value holding a comma must be in double quotes" if found_n > expected
                else "is a value missing, or the row broken in two?")
        msg = (f"row has {found_n} field{'s' if found_n != 1 else ''} but the header names "
               f"{expected} ({hint})")
    elif "invalid state" in text and (changed := _mixed_line_ends(tf.path)):
        row, col, crlf = changed
        ends = ("CRLF", "LF") if crlf else ("LF", "CRLF")
        msg = (f"the file mixes line ends (Windows CRLF and Unix LF): this line ends in {ends[0]}, "
               f"the first line in {ends[1]}; save it again with one kind")
    elif "unterminated quote" in text.lower():
        msg = "a quoted field is never closed (a \" opens it, another \" must close it)"
    else:
        msg = f"cannot read CSV: {_first(e)}"
    return Problem(Loc(tf.shown, row, col) if row else Loc(tf.shown), msg)
