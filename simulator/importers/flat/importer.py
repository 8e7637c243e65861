"""`cutover snapshot import flat`: legacy files and a mapping become an extract-side snapshot
folder (docs/legacy-files.md). Every problem of the mapping, the files and their values is
reported together, located in the mapping or at the source file's line and column; then the
snapshot is written as Parquet files, validated like any snapshot, and appears atomically."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator import db
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.importers.flat import guess, sources, transform
from simulator.importers.flat import mapping as mapping_file
from simulator.importers.flat.mapping import Mapping, TableMap
from simulator.importers.flat.sources import Source
from simulator.importers.snapshots import MARKER, WHAT, check, manifest_text
from simulator.inputs import csverrors, snapshot
from simulator.inputs.tables import STAGE_SIDE, TYPE_WORDS
from simulator.inputs.validate import MAX_CASES
from simulator.output.runfolder import check_out, write_folder

EXTRACT_STAGES = tuple(s for s, side in STAGE_SIDE.items() if side == "extract")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Imported:
    """What was written: rows per table, and the source headers the mapping left out."""

    out: Path
    rows: dict[str, int]
    dropped: dict[str, tuple[str, ...]]


def import_files(files_dir: Path, mapping_path: Path, out: Path, stage: str, institution: str,
                 taken_at: str | None = None, memory_limit: str | None = None,
                 progress: Progress | None = None, warn: sources.Warn | None = None) -> Imported:
    """Import every table the mapping names into the snapshot folder `out`; `warn` is told
    of what looks wrong but is not refused, as it is found."""
    step = progress or (lambda _: None)
    taken_at = _check_arguments(files_dir, mapping_path, out, stage, institution, taken_at)
    con = db.connect(memory_limit)
    tmp = Path(tempfile.mkdtemp(prefix="cutover-flat-"))
    try:
        step("reading the mapping")
        mapping = mapping_file.load(mapping_path, con)
        problems = Collector()
        problems.extend(mapping.problems)
        found = sources.open_sources(files_dir, mapping, tmp, problems,
                                     warn or (lambda _: None))
        _transform(con, mapping, found, problems, step)
        problems.raise_if_any()
        step("writing the snapshot")
        rows = {name: int(con.one(f"select count(*) from {transform.out_table(name)}"))
                for name in found}
        manifest = manifest_text(institution, stage, taken_at)
        write_folder(out, lambda folder: _fill(con, folder, found, manifest, step, memory_limit),
                     marker=MARKER, what=WHAT)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    dropped = {name: tuple(sources.header_name(i, h) for i, h in sources.unmapped(
                   src.header, {c.header for c in src.table.columns}))
               for name, src in found.items()}
    return Imported(out, rows, {name: d for name, d in dropped.items() if d})


def _check_arguments(files_dir: Path, mapping_path: Path, out: Path, stage: str,
                     institution: str, taken_at: str | None) -> str:
    """The command's own arguments; returns taken_at (now, when not given)."""
    problems = Collector()
    if not files_dir.is_dir():
        problems.add(Loc(display_path(files_dir)), "folder of legacy files not found")
    if stage not in EXTRACT_STAGES:
        problems.add(Loc("--stage"), f"'{stage}' is not a stage of the extract side (legacy "
                                     f"files are the extract side): {', '.join(EXTRACT_STAGES)}")
    if not institution.strip():
        problems.add(Loc("--institution"), "expected the institution code, e.g. NFU")
    try:
        # Not over the inputs; only an earlier import is replaced.
        check_out(out, MARKER, WHAT, folders=[("FILES_DIR", files_dir)],
                  files=[("--mapping", mapping_path)])
    except UserError as e:
        problems.extend(e.problems)
    if taken_at is None:
        taken_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif not snapshot.is_timestamp(taken_at):
        problems.add(Loc("--taken-at"), f"'{taken_at}' is not an ISO timestamp "
                                        "(YYYY-MM-DDTHH:MM:SSZ)")
    problems.raise_if_any()
    return taken_at


def _transform(con: db.Connection, mapping: Mapping, found: dict[str, Source],
               problems: Collector, step: Progress) -> None:
    """Each table read, turned and checked, looked-up tables first; a table whose file or
    looked-up table has a problem is left out (its problem is reported)."""
    done: dict[str, TableMap] = {}
    for name, tm in mapping.tables.items():
        src = found.get(name)
        if src is None or any(c.lookup.table not in done for c in tm.columns if c.lookup):
            found.pop(name, None)
            continue
        step(f"reading {src.shown}")
        try:
            transform.read(con, src)
        except db.DuckDBError as e:
            problems.extend([sources.read_problem(src, e)])
            found.pop(name)
            continue
        problems.extend(_count_problems(con, src))
        transform.build(con, src, done)
        checks = transform.check(con, src, done)
        problems.extend(_check_problems(src, checks))
        problems.extend(_format_hints(con, src, checks))
        transform.drop_raw(con, name)
        done[name] = tm


def _count_problems(con: db.Connection, src: Source) -> list[Problem]:
    """The records read against `records:` of the mapping: a file cut short, or left out."""
    tm = src.table
    if tm.records is None or tm.records_loc is None:
        return []
    read = int(con.one(f"select count(*) from {transform.raw_table(tm.name)}"))
    if read == tm.records:
        return []
    return [Problem(tm.records_loc, f"{tm.name}: records: {tm.records:,}, but {src.shown} "
                                    f"{'hold' if len(src.parts) > 1 else 'holds'} {read:,}: "
                                    "was an export cut short, or a file left out?")]


def _check_problems(src: Source, checks: list[transform.Check]) -> list[Problem]:
    """The failures of a table's checks, at the source file's line and column."""
    lines = csverrors.lines(src.csv, {f.row for c in checks for f in c.failures})
    out = []
    for one in checks:
        header = one.column.header
        for f in one.failures[:MAX_CASES]:
            out.append(Problem(src.loc(lines[f.row], src.position(header)),
                               f"{header} {_show(f.value)} {f.message}"))
        if one.truncated:
            of = f" of {one.total:,}" if one.total > MAX_CASES else ""
            out.append(Problem(Loc(src.shown), f"{header}: only the first {MAX_CASES}{of} lines "
                                               f"failing '{one.expectation}' are listed",
                               note=True))
    return out


def _format_hints(con: db.Connection, src: Source, checks: list[transform.Check]) -> list[Problem]:
    """For each date column whose values all fit another format (or are ISO dates), one
    problem at its format in the mapping saying so: the usual cause is day and month swapped,
    or a format that was not needed."""
    out = []
    for one in checks:
        col = one.column
        if not col.formats or col.formats_loc is None or not one.failures:
            continue
        values = [f.value for f in one.failures]
        fits = guess.guess_date(con, values).format
        if fits is None or not transform.all_fit(con, src, col, fits):
            continue
        said = f"{col.header} values such as {values[0]!r}"
        out.append(Problem(col.formats_loc, f"dates.{col.name}: {said} are ISO dates: leave "
                                            f"{col.name} out of dates:" if not fits else
                           f"dates.{col.name}: {said} do not match {' or '.join(col.formats)};"
                           f" {fits!r} fits every value"))
    return out


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _fill(con: db.Connection, folder: Path, found: dict[str, Source], manifest: str,
          step: Progress, memory_limit: str | None) -> None:
    """The snapshot's files in the temp folder, validated as `cutover snapshot validate` does;
    its problems are raised at the source files."""
    for name, src in found.items():
        con.execute(transform.copy_sql(src.table, str(folder / f"{name}.parquet")))
    (folder / snapshot.MANIFEST).write_text(manifest, encoding="utf-8")
    (folder / MARKER).write_text("written by cutover snapshot import flat\n", encoding="utf-8")
    step("validating")
    problems = check(folder, memory_limit)
    if problems:
        tables = {display_path(folder / f"{name}.parquet"): src for name, src in found.items()}
        raise UserError([p for src in found.values() for p in _at_source(
            src, [q for q in problems if tables.get(q.loc.path) is src])]
            + [p for p in problems if p.loc.path not in tables]
            + [p for src in found.values() for p in _date_hints(
                con, src, [q for q in problems if tables.get(q.loc.path) is src])])


_NOT_ISO = re.compile(rf"^column (\w+): '(.*)' is not {re.escape(TYPE_WORDS['timestamp'])}$")


def _date_hints(con: db.Connection, src: Source, problems: list[Problem]) -> list[Problem]:
    """For each column with no `dates:` format whose values are not ISO dates, one problem at
    the column in the mapping, with a format that fits its first such value: the usual cause
    is a format left out of the mapping."""
    first: dict[str, str] = {}
    for p in problems:
        if (m := _NOT_ISO.match(p.message)) is not None:
            first.setdefault(m.group(1), m.group(2))
    out = []
    for name, value in first.items():
        col = src.table.column(name)
        if col is None or col.formats:
            continue
        fits = guess.guess_date(con, [value]).format
        hint = f" ({fits!r} fits)" if fits else ""
        out.append(Problem(col.loc, f"{src.table.name}.{name}: {col.header} holds values such "
                                    f"as {value!r}, not ISO dates: give its date format under "
                                    f"dates:{hint}"))
    return out


_ROW_HAS = re.compile(r": row (\d+) has ")


def _at_source(src: Source, problems: list[Problem]) -> list[Problem]:
    """Validation problems of a written table, moved to the source file: row N of the Parquet
    file is the record on row N + 1 of the source (its header is row 1)."""
    if not problems:
        return []
    columns = transform.output_columns(src.table)
    rows = {p.loc.line + 1 for p in problems if p.loc.line}
    rows |= {int(m.group(1)) + 1 for p in problems for m in _ROW_HAS.finditer(p.message)}
    lines = csverrors.lines(src.csv, rows)
    out = []
    for p in problems:
        message = _ROW_HAS.sub(lambda m: f": {src.line_words(lines[int(m.group(1)) + 1])} has ",
                               p.message)
        for name in columns:
            col = src.table.column(name)
            if col is not None and message.startswith(f"column {name}:"):
                message = f"column {name} ({col.header}):" + message[len(f"column {name}:"):]
        if not p.loc.line:
            out.append(Problem(Loc(src.shown), message))
            continue
        name = columns[p.loc.col - 1] if 0 < p.loc.col <= len(columns) else columns[0]
        header = src.table.column(name)
        col_no = src.position(header.header) if header is not None else 1
        out.append(Problem(src.loc(lines[p.loc.line + 1], col_no), message))
    return out
