"""Snapshot folders (DESIGN 3.1): the manifest, the table files, and their DuckDB views.

Each table file gets two views: `raw_<schema>.<table>` (every column as text, with its file row
in `_row`, for validation) and `<schema>.<table>` (typed, spec columns only, for the rules).
Data stays in the files; nothing is copied into Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator import db, yamlsrc
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.tables import SQL_TYPES, STAGE_SIDE, TABLES, Table, tables_for

FORMAT_VERSION = 1
MANIFEST = "snapshot.yaml"
_MANIFEST_KEYS = {"format_version", "institution", "stage", "taken_at", "forms"}
MAX_LINE_BYTES = 2_097_152


@dataclass(frozen=True)
class TableFile:
    table: Table
    path: Path
    format: str  # csv | parquet
    header: tuple[str, ...]

    @property
    def shown(self) -> str:
        return display_path(self.path)


@dataclass
class Snapshot:
    path: Path
    institution: str
    stage: str
    taken_at: str
    side: str
    files: dict[str, TableFile]
    forms: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def file_hashes(self) -> dict[str, str]:
        paths = [f.path for f in self.files.values()] + list(self.forms.values())
        paths.append(self.path / MANIFEST)
        return {p.name: sha256(p) for p in sorted(paths) if p.is_file()}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def open_snapshot(path: Path, expect_side: str | None = None, role: str = "") -> Snapshot:
    """Read the manifest and find the table files; all problems are reported together."""
    problems = Collector()
    shown = display_path(path)
    if not path.is_dir():
        raise UserError(Problem(Loc(shown), f"snapshot folder not found{_role(role)}"))
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise UserError(
            Problem(Loc(shown), f"no {MANIFEST} in this folder{_role(role)} (see README, Snapshots)")
        )
    data = yamlsrc.load(manifest_path)
    mloc = Loc(display_path(manifest_path), 1, 1)
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(mloc, "expected a mapping with format_version, institution, stage"))
    warnings: list[str] = []
    for key in data:
        if key not in _MANIFEST_KEYS:
            warnings.append(f"{data.key_loc(key)}: unknown key '{key}' ignored")
    for key in ("format_version", "institution", "stage"):
        if key not in data:
            problems.add(mloc, f"missing required key '{key}'")
    if "format_version" in data and data["format_version"] != FORMAT_VERSION:
        problems.add(
            data.value_loc("format_version"),
            f"format_version {data['format_version']!r} is not supported (expected {FORMAT_VERSION})",
        )
    institution = data.get("institution")
    if "institution" in data and (not isinstance(institution, str) or not institution.strip()):
        problems.add(data.value_loc("institution"), "institution must be a non-empty code")
    stage = data.get("stage")
    side = STAGE_SIDE.get(str(stage), "")
    if "stage" in data and not side:
        problems.add(
            data.value_loc("stage"),
            f"unknown stage {stage!r} (expected one of {', '.join(STAGE_SIDE)})",
        )
    elif side and expect_side and side != expect_side:
        problems.add(
            data.value_loc("stage"),
            f"stage '{stage}' holds {side}-side tables, but{_role(role)} expects an "
            f"{expect_side}-side snapshot",
        )
    taken_at = data.get("taken_at")
    if isinstance(taken_at, dt.datetime | dt.date):
        taken_at = taken_at.isoformat()
    forms = _forms(path, data, problems)
    files = _discover(path, side or expect_side or "alma", set(forms.values()), problems, warnings)
    problems.raise_if_any()
    return Snapshot(
        path=path,
        institution=str(institution),
        stage=str(stage),
        taken_at=str(taken_at or ""),
        side=side,
        files=files,
        forms=forms,
        warnings=warnings,
    )


def _role(role: str) -> str:
    return f" ({role})" if role else ""


def _forms(path: Path, data: yamlsrc.YMap, problems: Collector) -> dict[str, Path]:
    forms = data.get("forms")
    if forms is None:
        return {}
    if not isinstance(forms, yamlsrc.YMap):
        problems.add(data.value_loc("forms"), "forms must map a form name to a file name")
        return {}
    out = {}
    for name, file in forms.items():
        if not isinstance(file, str) or not file or Path(file).is_absolute() or ".." in file:
            problems.add(forms.value_loc(name), "a form must be a file name inside the snapshot")
            continue
        out[name] = path / file
    return out


def _discover(
    path: Path, side: str, form_files: set[Path], problems: Collector, warnings: list[str]
) -> dict[str, TableFile]:
    known = {t.name: t for t in tables_for(side)}
    found: dict[str, TableFile] = {}
    for file in sorted(path.iterdir()):
        if file.name == MANIFEST or file in form_files or file.name.startswith("."):
            continue
        stem, suffix = file.stem, file.suffix.lower()
        if suffix not in (".csv", ".parquet") or stem not in known:
            other = " (a table of the other side)" if stem in TABLES and stem not in known else ""
            warnings.append(f"{display_path(file)}: not a {side}-side table{other}; ignored")
            continue
        if stem in found:
            problems.add(
                Loc(display_path(file)),
                f"table '{stem}' is given twice ({found[stem].path.name} and {file.name})",
            )
            continue
        fmt = suffix[1:]
        header = _csv_header(file, problems) if fmt == "csv" else ()
        if header is not None:
            found[stem] = TableFile(known[stem], file, fmt, header)
    return found


def _csv_header(file: Path, problems: Collector) -> tuple[str, ...] | None:
    shown = display_path(file)
    with file.open("rb") as f:
        first = f.readline(MAX_LINE_BYTES + 1)
    if not first.strip():
        problems.add(Loc(shown, 1, 1), "empty file: expected a header row naming the columns")
        return None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.add(Loc(shown, 1, e.start + 1), "not valid UTF-8 (save the file as UTF-8)")
        return None
    header = tuple(h.strip() for h in next(csv.reader([text.rstrip("\r\n")])))
    seen: set[str] = set()
    for i, name in enumerate(header, 1):
        if not name:
            problems.add(Loc(shown, 1, i), "empty column name in the header")
        elif name in seen:
            problems.add(Loc(shown, 1, i), f"column '{name}' appears twice in the header")
        seen.add(name)
    return header


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


def attach(con: db.Connection, schema: str, snap: Snapshot | None, side: str) -> list[Problem]:
    """Create raw and typed views for every table of `side`; absent tables are empty.

    Returns the problems found while reading files (encoding, ragged rows, runaway quotes).
    """
    raw = f"raw_{schema}"
    con.execute(f"create schema if not exists {db.ident(raw)}")
    con.execute(f"create schema if not exists {db.ident(schema)}")
    problems: list[Problem] = []
    for table in tables_for(side):
        tf = snap.files.get(table.name) if snap else None
        if tf is None:
            cols = ", ".join(f"cast(null as varchar) as {db.ident(c)}" for c in table.column_names)
            raw_sql = f"select {cols}, cast(null as bigint) as _row limit 0"
        else:
            if tf.format == "parquet":
                try:
                    tf = _with_parquet_header(con, tf)
                except db.DuckDBError as e:
                    problems.append(Problem(Loc(tf.shown), f"cannot read Parquet file: {_first(e)}"))
                    continue
                row = "file_row_number + 1"
            else:
                row = "row_number() over () + 1"
            present = ", ".join(
                f"cast({db.ident(h)} as varchar) as {db.ident(h)}" for h in tf.header
            )
            raw_sql = f"select {present}, cast({row} as bigint) as _row from {_source_sql(tf)}"
        con.execute(f"create or replace view {db.qualified(raw, table.name)} as {raw_sql}")
        if tf is not None and tf.format == "csv":
            try:
                con.execute(f"select count(*) from {db.qualified(raw, table.name)}").fetchall()
            except db.DuckDBError as e:
                problems.append(csv_problem(tf, e))
        present_cols = set(tf.header) if tf else set(table.column_names)
        typed = ", ".join(
            f"cast({db.ident(c.name) if c.name in present_cols else 'null'} as "
            f"{SQL_TYPES[c.type]}) as {db.ident(c.name)}"
            for c in table.columns
        )
        con.execute(
            f"create or replace view {db.qualified(schema, table.name)} as "
            f"select {typed}, _row from {db.qualified(raw, table.name)}"
        )
    return problems


def _with_parquet_header(con: db.Connection, tf: TableFile) -> TableFile:
    cols = con.columns(f"read_parquet({db.literal(str(tf.path))})")
    return TableFile(tf.table, tf.path, tf.format, tuple(cols))


def _first(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def csv_problem(tf: TableFile, e: Exception) -> Problem:
    """Turn DuckDB's CSV reader errors into one located sentence."""
    text = str(e)
    m = _LINE.search(text)
    loc = Loc(tf.shown, int(m.group(1)), 1) if m else Loc(tf.shown)
    if "Invalid unicode" in text or "not utf-8" in text:
        msg = "not valid UTF-8 (Latin-1 or Windows bytes?): save the file as UTF-8"
    elif "Maximum line size" in text or "maximum line size" in text:
        msg = (
            f"a row is longer than {MAX_LINE_BYTES:,} bytes: is a quote left open, or a field "
            "holding a whole document?"
        )
    elif counts := _COUNTS.search(text):
        msg = f"row has {counts.group(2)} fields but the header names {counts.group(1)}"
    elif "unterminated quote" in text.lower():
        msg = "a quoted field is never closed"
    else:
        msg = f"cannot read CSV: {_first(e)}"
    return Problem(loc, msg)
