"""`cutover offline-circ check` as a library call: open every input, check and replay the lines
on one DuckDB connection, write the run folder (docs/offline-circ.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.offline_circ_report import (
    BibRow,
    CheckRow,
    FileRow,
    LineRow,
    OfflineCircReport,
    PatronRow,
    StateRow,
    render_offline_circ,
)
from simulator import db
from simulator.commands.offline_circ import bibs as bibs_mod
from simulator.commands.offline_circ import checks, folder, lines, opening, replay
from simulator.output import runfolder

SHOWN_ROWS = 1000  # rows of each table the report shows


def _quiet(step: str) -> None:
    """No progress display (the command line passes its own)."""


@dataclass
class Request:
    offline: Path
    snapshot: Path
    scenario: Path
    out: Path
    ill: Path | None = None
    ill_bibs: Path | None = None
    memory_limit: str | None = None
    command: list[str] | None = None


@dataclass
class Done:
    out: Path
    summary: dict[str, Any]
    problems: list[str]  # the first lines with problems, as `file:line: problem`
    warnings: list[str]

    @property
    def not_ok(self) -> int:
        return folder.not_ok(self.summary)


def check(req: Request, progress: Callable[[str], None] = _quiet) -> Done:
    """Check and replay the files; every input problem raises UserError before anything is
    written."""
    progress("reading the files")
    opened = opening.open_inputs(req.offline, req.ill, req.ill_bibs, req.snapshot, req.scenario)
    runfolder.check_out(req.out, folders=[("--snapshot", req.snapshot)],
                        files=[("the offline circulation file", req.offline), ("--ill", req.ill),
                               ("--ill-bibs", req.ill_bibs), ("--scenario", req.scenario)])
    con = db.connect(req.memory_limit)
    try:
        progress("reading the snapshot")
        opening.attach(con, opened.snapshot)
        progress("checking and replaying the lines")
        lines.load(con, opened.files, opened.bibs)
        lines.facts(con)
        replay.run(con)
        notes = checks.run(con, opened.scenario, opened.bibs is not None)
        if opened.bibs is not None:
            bibs_mod.check_against(opened.bibs, _in_alma(con, opened.bibs))
        summary = folder.summary(con, opened, notes, req.command)
        progress("writing the run folder")
        html = render_offline_circ(_report(con, summary, opened))
        folder.write(con, req.out, summary, opened, html)
        shown = [f"{file}:{line}: {status}: {problem}"
                 for file, line, status, problem in con.rows(f"{folder.NOT_OK} limit 20")]
    finally:
        con.close()
    return Done(req.out, summary, shown, opened.warnings)


def _in_alma(con: db.Connection, bibs: bibs_mod.Bibs) -> set[str]:
    return {b for (b,) in con.rows(
        f"select distinct barcode from {db.qualified(opening.SCHEMA, 'items')} "
        "where barcode in (select barcode from oc_bib_items)")} if bibs.records else set()


def _report(con: db.Connection, summary: dict[str, Any],
            opened: opening.Opened) -> OfflineCircReport:
    """The report's view data: plain rows, each table cut at SHOWN_ROWS."""
    limit = f" limit {SHOWN_ROWS}"
    return OfflineCircReport(
        institution=summary["institution"], verdict=summary["verdict"],
        clear=not folder.not_ok(summary), lines=summary["lines"],
        files=[FileRow(f["file"], f["role"], f["lines"], f["ok"], f["warning"], f["error"],
                       f["sha256"]) for f in summary["files"]],
        checks=[CheckRow(c["check"], c["severity"], c["title"], c["lines"])
                for c in summary["checks"]],
        problems=[LineRow(*row) for row in con.rows(folder.NOT_OK + limit)],
        replay=summary["replay"], state=summary["state"],
        changes=[StateRow(*row) for row in con.rows(folder.STATE + limit)],
        patrons=[PatronRow(*row) for row in con.rows(folder.PATRONS + limit)],
        load_order=summary["load_order"], manifest=summary["manifest"],
        bibs=summary["ill_bibs"],
        bib_rows=[BibRow(*row[1:]) for row in folder.bib_rows(opened)[:SHOWN_ROWS]],
        notes=summary["notes"], limit=SHOWN_ROWS)
