"""Reading snapshot files into DuckDB: each table file gets two views, `raw_<schema>.<table>`
(every column as text, with its file row in `_row`, for validation) and `<schema>.<table>`
(typed, spec columns only, for the rules). Data stays in the files; nothing is copied into
Python. A file DuckDB cannot read is located to its row and column."""

from __future__ import annotations

import re
from collections.abc import Callable

from simulator import db
from simulator.errors import Loc, Problem
from simulator.inputs import csverrors
from simulator.inputs.csverrors import CsvFile, Words
from simulator.inputs.snapshot import MAX_LINE_BYTES, NOT_UTF8, Snapshot, TableFile, bytes_shown
from simulator.inputs.tables import SCHEMA_SIDE, SQL_TYPES, Table, tables_for


def row_numbers(tf: TableFile) -> Callable[[int], int]:
    """Map a view's `_row` to the file's row, counting blank lines as DuckDB's errors do: `_row`
    falls behind the row a spreadsheet shows after a blank line. Only called to report problems."""
    if tf.format != "csv":
        return lambda row: row
    return csverrors.rows_counting_blanks(_csv(tf))


def _csv(tf: TableFile) -> CsvFile:
    return CsvFile(tf.path, tf.shown)


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
    views of the others as they are); an absent table is an empty typed view.

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
        typed = db.qualified(schema, table.name)
        if snap is None or (tf := snap.files.get(table.name)) is None:
            # only the typed view: validation reads the raw views of files alone
            cols = ", ".join(f"cast(null as {SQL_TYPES[c.type]}) as {db.ident(c.name)}"
                             for c in table.columns)
            con.execute(f"create or replace view {typed} as "
                        f"select {cols}, cast(null as bigint) as _row limit 0")
            continue
        view = db.qualified(raw, table.name)
        tf, problem = _read(con, view, tf)
        snap.files[table.name] = tf  # with the Parquet file's own header and types
        if problem is not None:
            problems.append(problem)
            snap.unreadable.add(table.name)
            cols = ", ".join(f"cast(null as varchar) as {db.ident(h)}" for h in columns(tf))
            con.execute(f"create or replace view {view} as select {cols}{', ' if cols else ''}"
                        "cast(null as bigint) as _row limit 0")
        con.execute(f"create or replace view {typed} as "
                    f"{_typed_sql(table, tf, view, direct=problem is None)}")
    return problems


def _typed_sql(table: Table, tf: TableFile, raw_view: str, direct: bool) -> str:
    """The typed view: the catalogue's columns, each cast from its text in `raw_view`, except a
    Parquet file's native columns, read straight from the file (a timestamp is not printed
    and parsed again on every read)."""
    present = set(columns(tf))
    native = tf.native if direct and tf.format == "parquet" else frozenset()
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
    return f"select {', '.join(cols)}, {_ROW_SQL['parquet']} as _row from {_source_sql(tf)}"


def _read(con: db.Connection, view: str, tf: TableFile) -> tuple[TableFile, Problem | None]:
    """The raw view `view` over the file, every value read once; the problem, if any."""
    try:
        if tf.format == "parquet":
            kinds = [(str(name), str(kind)) for name, kind, *_ in con.rows(
                f"describe select * from read_parquet({db.literal(str(tf.path))})")]
            tf = _with_parquet_header(tf, kinds)
            nested = _nested_column(tf, kinds)
            if nested is not None:
                return tf, nested
        con.execute(f"create or replace view {view} as {_raw_sql(tf)}")
        # count(column) makes DuckDB decode every value of a CSV file; count(*) would skip
        # them. A Parquet file's counts are its statistics: counted over the raw view, a
        # timestamp column would be printed as text for nothing.
        counts = ", ".join(f"count({db.ident(h)})" for h in columns(tf)) or "count(*)"
        source = view if tf.format == "csv" else f"read_parquet({db.literal(str(tf.path))})"
        con.execute(f"select {counts} from {source}").fetchall()
    except db.DuckDBError as e:
        return tf, csv_problem(tf, e) if tf.format == "csv" else Problem(
            Loc(tf.shown), f"cannot read Parquet file: {_parquet_error(e)}")
    return tf, None


# DuckDB types holding more than one value: LIST (`VARCHAR[]`), ARRAY (`VARCHAR[2]`), STRUCT,
# MAP, UNION. A key of `["WH1", "y"]` would be read as the text "[WH1, y]".
_NESTED = re.compile(r"(\[\d*\]$)|^(STRUCT|MAP|UNION)\(")


def _nested_column(tf: TableFile, kinds: list[tuple[str, str]]) -> Problem | None:
    """The first column of the table's that a Parquet file holds as a nested type."""
    wanted = set(tf.table.column_names)
    for i, (name, kind) in enumerate(kinds, 1):
        if name in wanted and _NESTED.search(kind):
            return Problem(Loc(tf.shown, 1, i), f"column {name} has the nested type {kind}: a "
                           "table file holds one plain value per field (text, a number, a date "
                           "or true/false)")
    return None


def attach_empty(con: db.Connection, post: bool = False) -> None:
    """Every input schema (and `post`) with empty tables: what SQL is bound against to check
    it before any data is read."""
    for schema, side in [*SCHEMA_SIDE.items(), *([("post", "alma")] if post else [])]:
        attach(con, schema, None, side)


def columns(tf: TableFile) -> list[str]:
    """The file's columns as its raw view shows them, but for `_row`: the view adds the file
    row number under that name, and a file column of that name is ignored."""
    return [h for h in tf.header if h.lower() != "_row"]


_ROW_SQL = {"parquet": "cast(file_row_number + 1 as bigint)",
            "csv": "cast(row_number() over () + 1 as bigint)"}


def _raw_sql(tf: TableFile) -> str:
    present = "".join(f"cast({db.ident(h)} as varchar) as {db.ident(h)}, " for h in columns(tf))
    return f"select {present}{_ROW_SQL[tf.format]} as _row from {_source_sql(tf)}"


def _parquet_error(e: Exception) -> str:
    text = _first(e)
    if "magic bytes" in text:
        return "not a Parquet file (no Parquet magic bytes): is it a CSV file named .parquet?"
    return text.split("Error: ", 1)[-1]


def _with_parquet_header(tf: TableFile, kinds: list[tuple[str, str]]) -> TableFile:
    """The file's own header (its columns and DuckDB types), and which of its columns are
    stored as the catalogue's type."""
    spec = {c.name: SQL_TYPES[c.type] for c in tf.table.columns}
    native = frozenset(name for name, kind in kinds if spec.get(name) == kind)
    return TableFile(tf.table, tf.path, tf.format, tuple(name for name, _ in kinds), native)


def _first(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


# Snapshot files count rows (records, the header is 1, blank lines too), as DuckDB's errors do.
_WORDS = Words(unit="row", cannot="cannot read CSV",
               too_long=f"a row is longer than {MAX_LINE_BYTES:,} bytes (the most a row may hold): "
                        "is a quote left open, or a field holding a whole document?")


def csv_problem(tf: TableFile, e: Exception) -> Problem:
    """Turn DuckDB's CSV reader errors into one located sentence."""
    return csverrors.read_problem(_csv(tf), e, _WORDS, lambda row: _not_utf8(tf, row))


def _not_utf8(tf: TableFile, row: int) -> Problem:
    """The first field that is not UTF-8, named by its column (else at DuckDB's `row`)."""
    found = csverrors.bad_field(_csv(tf))
    if found is None:
        return Problem(Loc(tf.shown, row, 1) if row else Loc(tf.shown), f"a value {NOT_UTF8}")
    row, col, value = found
    name = tf.header[col - 1] if col <= len(tf.header) else f"#{col}"
    return Problem(Loc(tf.shown, row, col), f"column {name}: {bytes_shown(value)} {NOT_UTF8}")
