"""Every CSV file the tool writes, safe to open in a spreadsheet (docs/formats/run-folder.md, "CSV
files").

A text value starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a
formula (`=HYPERLINK(...)`); it gets a leading apostrophe instead, the way OWASP recommends
("CSV Injection"), which a spreadsheet shows as text. Only CSV files: Parquet keeps every value
as it is. Two ways in, one rule: `copy_csv` for DuckDB's COPY (each text column of the query
wrapped by `cell_sql`) and `csv_text` for rows written from Python (each value through `cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from simulator import db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value as a CSV file holds it: formula-like text behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_sql(expr: str) -> str:
    """SQL for the text `expr` as a CSV file holds it (`cell` in SQL); null stays null."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return f"case when left({expr}, 1) in ({starts}) then '''' || {expr} else {expr} end"


def safe_query(con: db.Connection, query: str) -> str:
    """`query` with each text column through `cell_sql`, the others as they are, in order."""
    columns = con.rows(f"describe select * from ({query})")
    parts = []
    for name, kind, *_ in columns:
        col = f"q.{db.ident(name)}"
        parts.append(f"{cell_sql(col)} as {db.ident(name)}" if kind == "VARCHAR" else col)
    return f"select {', '.join(parts)} from ({query}) as q"


def copy_csv(con: db.Connection, query: str, path: Path) -> None:
    """The rows of `query`, in its order, as the CSV file `path` with a header."""
    con.execute(f"copy ({safe_query(con, query)}) to {db.literal(str(path))} "
                "(format csv, header true)")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file's text from Python rows (`\\n` line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()
