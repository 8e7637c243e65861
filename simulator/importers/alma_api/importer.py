"""`cutover snapshot import alma-api`: a raw folder of Alma API responses into a snapshot folder
(docs/alma-api.md). Every file is read and every record mapped before anything is written; all
problems of all files are raised together (exit 2, nothing written)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import Collector, Loc
from simulator.importers.alma_api import rawfolder, snapshot_out
from simulator.importers.alma_api.map_config import CODE_TABLES
from simulator.importers.alma_api.rawfolder import Found, RawFile
from simulator.importers.alma_api.record import Record, Sink
from simulator.importers.alma_api.shape import read_body
from simulator.importers.snapshots import MARKER, WHAT
from simulator.inputs.tables import STAGE_SIDE
from simulator.output.runfolder import check_out

NOT_IN_API = ("users: internal_id, origin and username are not in Alma's API; left empty for "
              "{n} user{s} (docs/alma-api.md, \"What the API does not say\")")
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Imported:
    out: Path
    rows: dict[str, int]  # table -> rows written
    files: int  # response files read
    warnings: list[str]


def import_alma_api(raw: Path, out: Path, *, stage: str, institution: str,
                    code_tables: list[str] | None = None,
                    progress: Callable[[str], None] | None = None,
                    now: dt.datetime | None = None) -> Imported:
    """Import `raw` into the snapshot folder `out` (stage and institution for its manifest;
    `code_tables`: the `--code-table AlmaName=snapshot_table` options)."""
    problems = Collector()
    names = code_table_names(code_tables or [], problems)
    check_manifest(stage, institution, problems)
    problems.raise_if_any()
    check_out(out, MARKER, WHAT, folders=[("RAW_DIR", raw)])
    step = progress or (lambda _: None)
    found = rawfolder.discover(raw)
    sink = Sink(code_tables=names, warnings=list(found.warnings))
    read(found, sink, step)
    sink.problems.raise_if_any()
    rows = snapshot_out.in_order(sink.rows, [t for f in found.folders for t in f.tables])
    if rows.get("users"):
        sink.tallies[NOT_IN_API] = len(rows["users"])
    step("writing and validating the snapshot")
    taken_at = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    snapshot_out.write(out, institution, stage, taken_at, rows)
    return Imported(out, {t: len(r) for t, r in rows.items()}, len(found.files),
                    sink.all_warnings())


def code_table_names(options: list[str], problems: Collector) -> dict[str, str]:
    """docs/alma-api.md's code table names, with each `AlmaName=snapshot_table` added."""
    names = dict(CODE_TABLES)
    for option in options:
        alma, eq, table = (part.strip() for part in option.partition("="))
        if not eq or not alma or not _TABLE_NAME.fullmatch(table):
            problems.add(Loc("--code-table"), f"{option!r} is not AlmaName=snapshot_table (a "
                                              "snapshot table name is lower case: user_groups)")
            continue
        names[alma] = table
    return names


def check_manifest(stage: str, institution: str, problems: Collector) -> None:
    alma = [s for s, side in STAGE_SIDE.items() if side == "alma"]
    if stage not in alma:
        what = "an extract-side stage" if stage in STAGE_SIDE else "no stage"
        problems.add(Loc("--stage"), f"{stage!r} is {what}: Alma API responses make an "
                                     f"Alma-side snapshot (stage {', '.join(alma)})")
    if not institution.strip() or not institution.isprintable():
        problems.add(Loc("--institution"), f"{institution!r} is not an institution code")


def read(found: Found, sink: Sink, progress: Callable[[str], None]) -> None:
    """Every record of every file into the sink's rows; per folder, a warning when the lists'
    total_record_count says more (or fewer) records than the files hold: both as pages of one
    list (users/page-1.json, page-2.json) and each file on its own (jobs/MANUAL.json)."""
    for folder in found.folders:
        progress(f"reading {folder.name}/")
        files = [f for f in found.files if f.folder is folder]
        held, totals, short = 0, [], False
        for file in files:
            n, total = read_file(file, sink)
            if total is not None:  # a list page (one object alone has no count)
                held += n
                totals.append(total)
                short = short or n != total
        if folder.counted and totals and short and held != max(totals):
            sink.warnings.append(
                f"{display(files[0])}: the files hold {held} records, but total_record_count "
                f"says {max(totals)}: the raw folder may be incomplete (a page missing?)")


def display(file: RawFile) -> str:
    return file.shown[: -len(file.path.name)] or "./"


def read_file(file: RawFile, sink: Sink) -> tuple[int, int | None]:
    """The records of one file into the sink; how many it holds, and its total_record_count."""
    folder = file.folder
    if folder.skip is not None and (why := folder.skip(file.stem, sink.code_tables)):
        sink.warnings.append(f"{file.shown}: {why}")
        return 0, None
    body, problems = read_body(file.path, file.shown)
    sink.problems.extend(problems)
    if body is None:
        return 0, None
    held = rawfolder.held(body, file)
    sink.problems.extend(held.problems)
    for node in held.records:
        folder.read(Record(node, file.shown, file.stem, sink))
    return len(held.records), held.total
