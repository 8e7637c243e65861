"""The transactions CSV that `cutover offline-circ make` turns into an offline circulation file
(docs/offline-circ.md, "Writing a file"): a header naming `timestamp`, `type`, `barcode` and
`patron`, then one transaction a row. Every value the file cannot hold is refused at its row and
column, every one at once, so nothing half-right is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import offline_circ
from simulator.inputs.yamlsrc import suggest

COLUMNS = ("timestamp", "type", "barcode", "patron")
_COMPACT = re.compile(r"[0-9]{12}")
Row = tuple[dt.datetime, str, str, str]


def read(path: Path) -> list[Row]:
    """The file's transactions, in order; raises every problem of every row together."""
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(Problem(Loc(shown), f"cannot read the transactions file: "
                                            f"{e.strerror or e}")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise UserError(Problem(Loc(shown, line), f"byte 0x{data[e.start]:02X} is not UTF-8 "
                                                  "text: save the file as UTF-8")) from None
    if not text.strip():
        raise UserError(Problem(Loc(shown, 1, 1), "the file is empty: expected a header "
                                                  f"{','.join(COLUMNS)}, then one transaction a "
                                                  "row"))
    problems = Collector()
    rows = _rows(text, shown, problems)
    problems.raise_if_any()
    return rows


def _rows(text: str, shown: str, problems: Collector) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        where = _columns(header, shown, problems)
        if where is None:
            return []
        out: list[Row] = []
        line = reader.line_num
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue  # a blank line
            row = _row(fields, where, Loc(shown, start), problems)
            if row is not None:
                out.append(row)
    except csv.Error as e:
        problems.add(Loc(shown, reader.line_num), f"not a CSV file here: {e}")
        return []
    return out


def _columns(header: list[str], shown: str, problems: Collector) -> dict[str, int] | None:
    """Each column's position, or None when the header is not the one expected."""
    before = len(problems.problems)
    for i, name in enumerate(header, 1):
        if name not in COLUMNS:
            problems.add(Loc(shown, 1, i), f"unknown column {name!r}{suggest(name, COLUMNS)}: "
                                           f"expected {', '.join(COLUMNS)}")
        elif header.index(name) != i - 1:
            problems.add(Loc(shown, 1, i), f"column {name!r} is named twice")
    for name in COLUMNS:
        if name not in header:
            problems.add(Loc(shown, 1, 1), f"missing column {name!r} (the header names "
                                           f"{', '.join(COLUMNS)})")
    if len(problems.problems) > before:
        return None
    return {name: header.index(name) for name in COLUMNS}


def _row(fields: list[str], where: dict[str, int], loc: Loc,
         problems: Collector) -> Row | None:
    if len(fields) != len(where):
        problems.add(loc.at(0, 1), f"{len(fields)} fields; the header names {len(where)}")
        return None
    value = {name: fields[i] for name, i in where.items()}
    column = {name: i + 1 for name, i in where.items()}
    at = timestamp(value["timestamp"].strip())
    if at is None:
        problems.add(Loc(loc.path, loc.line, column["timestamp"]),
                     f"timestamp {value['timestamp']!r} is not a date and time "
                     "(YYYY-MM-DD hh:mm, YYYY-MM-DDThh:mm or YYYYMMDDhhmm)")
        return None
    # Spaces around a value are the CSV's layout (`2026-03-13 10:15, L, 3100, P1`), not data.
    kind, barcode, patron = (value[n].strip(" ") for n in ("type", "barcode", "patron"))
    kind = kind.upper()
    found = offline_circ.unwritable(at, kind, barcode, patron)
    for name, why in found:
        problems.add(Loc(loc.path, loc.line, column[name]), f"{name}: {why}")
    return None if found else (at, kind, barcode, patron)


def timestamp(text: str) -> dt.datetime | None:
    """`YYYYMMDDhhmm` or an ISO date and time (a date alone has no time: None)."""
    if _COMPACT.fullmatch(text):
        try:
            return dt.datetime.strptime(text, "%Y%m%d%H%M")
        except ValueError:
            return None
    if len(text) <= 10:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def file_text(rows: list[Row], line_end: str = "\r\n") -> str:
    """The offline circulation file of `rows` (each one `unwritable` found nothing wrong in)."""
    return "".join(offline_circ.line_text(*row) + line_end for row in rows)
