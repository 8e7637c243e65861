"""Snapshot folders (README, "Snapshots"): the manifest, the table files, and their DuckDB views.

Each table file gets two views: `raw_<schema>.<table>` (every column as text, with its file row
in `_row`, for validation) and `<schema>.<table>` (typed, spec columns only, for the rules).
Data stays in the files; nothing is copied into Python.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulator import db
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.tables import SQL_TYPES, STAGE_SIDE, TABLES, Table, tables_for

FORMAT_VERSION = 1
MANIFEST = "snapshot.yaml"
_MANIFEST_KEYS = ("format_version", "institution", "stage", "taken_at", "forms")
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
    # Problems of single table files (empty, unreadable header): reported by `attach`, together
    # with what reading the data finds, so one run lists every file's problems.
    problems: list[Problem] = field(default_factory=list)
    # Tables whose file could not be read: attached as empty, skipped by validation.
    unreadable: set[str] = field(default_factory=set)
    institution_loc: Loc = field(default_factory=lambda: Loc(""))

    def file_hashes(self) -> dict[str, str]:
        paths = [f.path for f in self.files.values()] + list(self.forms.values())
        paths.append(self.path / MANIFEST)
        return {p.name: sha256(p) for p in sorted(paths) if p.is_file()}


def only(snap: Snapshot, tables: set[str]) -> Snapshot:
    """The snapshot as if it held only `tables`: problems of its other files are not looked at
    (a command that reads a few tables validates just those)."""
    others = {display_path(p) for p in snap.path.iterdir()
              if p.suffix.lower() in (".csv", ".parquet") and p.stem in TABLES
              and p.stem not in tables}
    return replace(snap, files={n: f for n, f in snap.files.items() if n in tables},
                   problems=[p for p in snap.problems if p.loc.path not in others])


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def open_snapshot(path: Path, expect_side: str | None = None, role: str = "") -> Snapshot:
    """Read the manifest and find the table files; all problems are reported together."""
    data = _read_manifest(path, role)
    problems = Collector()
    warnings: list[str] = []
    _check_manifest_keys(data, problems, warnings)
    institution = data.get("institution")
    if "institution" in data and (not isinstance(institution, str) or not institution.strip()):
        problems.add(data.value_loc("institution"), "institution must be a non-empty code")
    side = _side(data, expect_side, role, problems)
    taken_at = _taken_at(data, problems)
    forms = _forms(path, data, problems)
    problems.raise_if_any()
    file_problems = Collector()
    unreadable: set[str] = set()
    files = _discover(path, side or expect_side or "alma", set(forms.values()), file_problems,
                      warnings, unreadable)
    return Snapshot(path=path, institution=str(institution), stage=str(data.get("stage")),
                    taken_at=taken_at, side=side, files=files, forms=forms, warnings=warnings,
                    problems=file_problems.problems, unreadable=unreadable,
                    institution_loc=data.value_loc("institution"))


def _read_manifest(path: Path, role: str) -> yamlsrc.YMap:
    """The manifest of the snapshot folder `path`, which must be a mapping."""
    shown = display_path(path)
    if not path.is_dir():
        raise UserError(Problem(Loc(shown), f"snapshot folder not found{_role(role)}"))
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise UserError(Problem(Loc(shown), f"no {MANIFEST} in this folder{_role(role)} "
                                            "(see README, Snapshots)"))
    data = yamlsrc.load(manifest_path)
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(Loc(display_path(manifest_path), 1, 1),
                                "expected a mapping with format_version, institution, stage"))
    return data


def _check_manifest_keys(data: yamlsrc.YMap, problems: Collector, warnings: list[str]) -> None:
    """Unknown keys are warned about; required ones missing and a wrong version are problems."""
    ignored = Collector()
    yamlsrc.check_keys(data, _MANIFEST_KEYS, ignored, template=yamlsrc.IGNORED)
    warnings.extend(str(p) for p in ignored.problems)
    yamlsrc.required(data, ("format_version", "institution", "stage"), problems,
                     at=Loc(data.loc.path, 1, 1))
    if "format_version" in data and data["format_version"] != FORMAT_VERSION:
        problems.add(data.value_loc("format_version"), f"format_version "
                     f"{data['format_version']!r} is not supported (expected {FORMAT_VERSION})")


def _side(data: yamlsrc.YMap, expect_side: str | None, role: str, problems: Collector) -> str:
    """The side of the manifest's stage ("" when unknown), checked against the one expected."""
    stage = data.get("stage")
    side = STAGE_SIDE.get(str(stage), "")
    if "stage" in data and not side:
        problems.add(data.value_loc("stage"),
                     f"unknown stage {stage!r} (expected one of {', '.join(STAGE_SIDE)})")
    elif side and expect_side and side != expect_side:
        stages = [s for s, sd in STAGE_SIDE.items() if sd == expect_side]
        problems.add(data.value_loc("stage"), f"stage '{stage}' is an {side}-side snapshot, but "
                     f"{role or 'this command'} expects an {expect_side}-side one (stage "
                     f"{', '.join(stages)}): are two folders swapped?")
    return side


def _taken_at(data: yamlsrc.YMap, problems: Collector) -> str:
    taken_at = data.get("taken_at")
    if isinstance(taken_at, dt.datetime | dt.date):
        return taken_at.isoformat()
    if taken_at is not None and not _is_timestamp(str(taken_at)):
        problems.add(data.value_loc("taken_at"),
                     f"taken_at: {taken_at!r} is not an ISO timestamp (YYYY-MM-DDTHH:MM:SSZ)")
    return str(taken_at or "")


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


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
        if not (path / file).is_file():
            problems.add(forms.value_loc(name), f"form file '{file}' not found in the snapshot")
            continue
        out[name] = path / file
    return out


def _discover(
    path: Path, side: str, form_files: set[Path], problems: Collector, warnings: list[str],
    unreadable: set[str],
) -> dict[str, TableFile]:
    known = {t.name: t for t in tables_for(side)}
    found: dict[str, TableFile] = {}
    for file in sorted(path.iterdir()):
        if file.name == MANIFEST or file in form_files or file.name.startswith("."):
            continue
        stem, suffix = file.stem, file.suffix.lower()
        shown = display_path(file)
        if suffix not in (".csv", ".parquet"):
            warnings.append(f"{shown}: not a table file (.csv or .parquet); ignored")
            continue
        if stem not in known:
            if stem in TABLES:
                other = next(sd for sd in TABLES[stem].sides if sd != side)
                warnings.append(f"{shown}: {stem} is an {other}-side table, not part of an "
                                f"{side}-side snapshot; ignored")
            else:
                warnings.append(f"{shown}: no table named '{stem}' in an {side}-side snapshot; "
                                "ignored")
            continue
        if not file.is_file():
            warnings.append(f"{shown}: a folder, not a table file; ignored")
            continue
        if stem in found:
            problems.add(
                Loc(shown),
                f"table '{stem}' is given twice ({found[stem].path.name} and {file.name}): "
                "keep one",
            )
            continue
        fmt = suffix[1:]
        header = _csv_header(file, problems) if fmt == "csv" else ()
        if header is None:
            unreadable.add(stem)
        else:
            found[stem] = TableFile(known[stem], file, fmt, header)
    return found


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _csv_header(file: Path, problems: Collector) -> tuple[str, ...] | None:
    shown = display_path(file)
    try:
        with file.open("rb") as f:
            first = f.readline(MAX_LINE_BYTES + 1)
    except OSError as e:
        problems.add(Loc(shown), f"cannot read: {e.strerror or e}")
        return None
    if first.startswith(_UTF16_BOMS):
        problems.add(Loc(shown, 1, 1), "the file is UTF-16 (Excel \"Unicode Text\"): "
                                       "save it as CSV UTF-8")
        return None
    if not first.removeprefix(b"\xef\xbb\xbf").strip():
        problems.add(Loc(shown, 1, 1), "empty file: expected a header row naming the columns")
        return None
    # The first line: old Mac files end lines in CR alone, which `readline` does not split on.
    text = re.split(r"\r\n|\r|\n", first.decode("utf-8-sig", "surrogateescape"), maxsplit=1)[0]
    try:
        # DuckDB skips the header by its own reading: a header it reads otherwise (a stray
        # quote) would make it skip data rows silently, so the header must be strict CSV.
        header = tuple(h.strip() for h in next(csv.reader([text], strict=True)))
    except csv.Error as e:
        problems.add(Loc(shown, 1, 1), f"the header row is not valid CSV ({e}): quote a column "
                                       "name whole, and never across lines")
        return None
    ok = True
    seen: dict[str, str] = {}
    for i, name in enumerate(header, 1):
        if _has_bad_bytes(name):
            problems.add(Loc(shown, 1, i), f"column name {_bytes_shown(name)} {NOT_UTF8}")
            ok = False
        elif not name:
            problems.add(Loc(shown, 1, i), "empty column name in the header")
            ok = False
        elif name.lower() in seen:
            earlier = seen[name.lower()]
            also = "" if earlier == name else f" (as '{earlier}'; letter case does not count)"
            problems.add(Loc(shown, 1, i), f"column '{name}' appears twice in the header{also}")
            ok = False
        seen.setdefault(name.lower(), name)
    return header if ok else None


NOT_UTF8 = "is not valid UTF-8 text (Latin-1 or Windows bytes?): save the file as UTF-8"


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _bytes_shown(text: str) -> str:
    """A value holding undecodable bytes, shown with those bytes as \\xNN."""
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "'" + (shown if len(shown) <= 60 else shown[:57] + "...") + "'"


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


def _mixed_line_ends(path: Path) -> int:
    """The first line whose end differs from the first line's (0: all alike)."""
    first: bool | None = None  # does the first line end in CRLF?
    line, prev = 0, b""
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            start = 0
            while (i := chunk.find(b"\n", start)) >= 0:
                line += 1
                crlf = (chunk[i - 1:i] if i else prev) == b"\r"
                if first is None:
                    first = crlf
                elif crlf != first:
                    return line
                start = i + 1
            prev = chunk[-1:]
    return 0


def _find_bad_utf8(tf: TableFile) -> tuple[int, int, str] | None:
    """Row (header = 1), column and shown value of the first field that is not UTF-8."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with tf.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            for row, fields in enumerate(csv.reader(f), 1):
                for col, value in enumerate(fields, 1):
                    if _has_bad_bytes(value):
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
            try:
                if tf.format == "parquet":
                    tf = _with_parquet_header(con, tf)
                con.execute(f"create or replace view {view} as {_raw_sql(tf)}")
                # count(column) makes DuckDB decode every value; count(*) would skip them.
                counts = ", ".join(f"count({db.ident(h)})" for h in _columns(tf)) or "count(*)"
                con.execute(f"select {counts} from {view}").fetchall()
            except db.DuckDBError as e:
                problem = csv_problem(tf, e) if tf.format == "csv" else Problem(
                    Loc(tf.shown), f"cannot read Parquet file: {_parquet_error(e)}")
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
        present_cols = set(_columns(tf)) if tf else set(table.column_names)
        typed = ", ".join(
            f"cast({db.ident(c.name) if c.name in present_cols else 'null'} as "
            f"{SQL_TYPES[c.type]}) as {db.ident(c.name)}"
            for c in table.columns
        )
        con.execute(
            f"create or replace view {db.qualified(schema, table.name)} as "
            f"select {typed}, _row from {view}"
        )
    return problems


def _columns(tf: TableFile) -> list[str]:
    # `_row` is the file row number we add; a column of that name in the file is ignored.
    return [h for h in tf.header if h.lower() != "_row"]


def _raw_sql(tf: TableFile) -> str:
    row = "file_row_number + 1" if tf.format == "parquet" else "row_number() over () + 1"
    present = "".join(f"cast({db.ident(h)} as varchar) as {db.ident(h)}, " for h in _columns(tf))
    return f"select {present}cast({row} as bigint) as _row from {_source_sql(tf)}"


def _parquet_error(e: Exception) -> str:
    text = _first(e)
    if "magic bytes" in text:
        return "not a Parquet file (no Parquet magic bytes): is it a CSV file named .parquet?"
    return text.split("Error: ", 1)[-1]


def _with_parquet_header(con: db.Connection, tf: TableFile) -> TableFile:
    cols = con.columns(f"read_parquet({db.literal(str(tf.path))})")
    return TableFile(tf.table, tf.path, tf.format, tuple(cols))


def _first(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


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
            msg = f"column {name}: {_bytes_shown(value)} {NOT_UTF8}"
        else:
            msg = f"a value {NOT_UTF8}"
    elif "Maximum line size" in text or "maximum line size" in text:
        msg = (
            f"a row is longer than {MAX_LINE_BYTES:,} bytes (the most a row may hold): is a "
            "quote left open, or a field holding a whole document?"
        )
    elif counts := _COUNTS.search(text):
        expected, found_n = int(counts.group(1)), int(counts.group(2))
        col = min(expected, found_n) + 1
        hint = ("a value holding a comma must be in double quotes" if found_n > expected
                else "is a value missing, or the row broken in two?")
        msg = f"row has {found_n} fields but the header names {expected} ({hint})"
    elif "invalid state" in text and (changed := _mixed_line_ends(tf.path)):
        msg = (f"the file mixes line ends (Windows CRLF and Unix LF; the first change is at line "
               f"{changed}): save it again with one kind")
    elif "unterminated quote" in text.lower():
        msg = "a quoted field is never closed (a \" opens it, another \" must close it)"
    else:
        msg = f"cannot read CSV: {_first(e)}"
    return Problem(Loc(tf.shown, row, col) if row else Loc(tf.shown), msg)
