"""Writing the imported snapshot folder (docs/formats/snapshots.md): `snapshot.yaml` and one CSV
file per table, written atomically (output/runfolder.py `write_folder`) and validated as `cutover
snapshot validate` does before it appears, so an import never leaves an invalid snapshot.

What the validation finds (a key repeated, Primary IDs that differ only in letter case) is
said at the response files: the file and JSON path of the value, and of the other row named."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from simulator.errors import Loc, Problem, UserError, display_path
from simulator.importers.alma_api.record import Row
from simulator.importers.snapshots import MARKER, WHAT, check, manifest_text
from simulator.inputs import snapshot
from simulator.inputs.tables import TABLES
from simulator.inputs.writing import csv_text, key_order
from simulator.output.runfolder import write_folder


def in_order(rows: dict[str, list[Row]], tables: Iterable[str]) -> dict[str, list[Row]]:
    """The rows of each of `tables`, in the order its CSV file holds them (key order)."""
    out = {}
    for table in tables:
        key = key_order(table)
        out[table] = sorted(rows.get(table, []), key=lambda row: key(row.values))
    return out


def write(out: Path, institution: str, stage: str, taken_at: str,
          rows: dict[str, list[Row]]) -> Path:
    """The snapshot folder at `out`: every table of `rows` (in order, see `in_order`), an empty
    one as its header alone; a problem of the written snapshot is raised, nothing written."""
    def fill(tmp: Path) -> None:
        (tmp / snapshot.MANIFEST).write_text(manifest_text(institution, stage, taken_at),
                                             encoding="utf-8")
        for table, table_rows in rows.items():
            (tmp / f"{table}.csv").write_text(csv_text(table, (r.values for r in table_rows)),
                                              encoding="utf-8", newline="")
        (tmp / MARKER).write_text("written by cutover snapshot import alma-api\n",
                                  encoding="utf-8")
        problems = check(tmp)
        if problems:
            raise UserError([_at_source(p, tmp, rows) for p in problems])

    return write_folder(out, fill, marker=MARKER, what=WHAT)


def _at_source(problem: Problem, tmp: Path, rows: dict[str, list[Row]]) -> Problem:
    """A problem of a written table file, located at the response file and JSON path of the
    row and value it names; a row named in the message ("row 3 has ...") likewise."""
    table = next((t for t in rows if problem.loc.path == display_path(tmp / f"{t}.csv")), None)
    if table is None:
        return problem
    ordered = rows[table]
    columns = TABLES[table].column_names
    column = columns[problem.loc.col - 1] if 0 < problem.loc.col <= len(columns) else None

    def source(number: int) -> Row | None:
        return ordered[number - 2] if 2 <= number < len(ordered) + 2 else None

    def named(m: re.Match[str]) -> str:
        other = source(int(m.group(1)))
        return m.group(0) if other is None else f"{other.paths.get(column or '', other.path)} " \
                                                 f"of {other.file}"

    message = re.sub(r"\brow (\d+)\b", named, problem.message)
    row = source(problem.loc.line)
    if row is None:
        return Problem(Loc(f"{table} (imported)"), message)
    return Problem(Loc(row.file), f"{row.paths.get(column or '', row.path)}: {message}")
