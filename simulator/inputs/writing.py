"""Snapshot tables as CSV text (docs/formats/snapshots.md): the one way the sample, the tests and
the importers write a table file. Rows come out in key order, so the same rows give the same
bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping

from simulator.inputs.tables import TABLES

Row = Mapping[str, object]


def key_order(table: str) -> Callable[[Row], tuple[str, ...]]:
    """The sort key of a row of `table`: its key columns as text (the order `csv_text` writes)."""
    key = TABLES[table].key
    return lambda row: tuple(str(row.get(k, "")) for k in key)


def csv_text(table: str, rows: Iterable[Row]) -> str:
    """The CSV file of `table`: a header of its columns, then the rows in key order; a missing
    or None value is an empty field."""
    spec = TABLES[table]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(spec.column_names)
    for row in sorted(rows, key=key_order(table)):
        writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in spec.column_names])
    return buf.getvalue()
