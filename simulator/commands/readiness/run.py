"""`cutover readiness`: the pre-cutover review (blockers, risks, waivers and a dated runbook).

It runs on the same inputs as `predict` and keeps every finding the rule pack raises (missing
codes, funds options, unfulfilled holds, ...), so nothing is computed twice. It adds the checks a
rule cannot express (checks.py). Each finding lists all its records (table `ready_records`), and
waivers accepted by an owner until a date take records or whole findings out of the count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import readiness_report as view
from simulator.commands.readiness import exports, runbook, waivers
from simulator.commands.readiness.collect import collect, workloads
from simulator.commands.readiness.findings import (
    HOLDS_THRESHOLD,
    ReadyFinding,
    WaiverState,
    finding_ids,
    open_count,
)
from simulator.commands.readiness.report import Review, report_view, summarise
from simulator.commands.readiness.scores import AreaScore, scores, verdict
from simulator.core.engine import Result
from simulator.core.session import Session
from simulator.errors import Loc, Problem, UserError
from simulator.output import runfolder


@dataclass
class Readiness:
    out: Path
    result: Result
    findings: list[ReadyFinding]
    scores: list[AreaScore]
    events: list[runbook.Event]
    notes: list[str]
    waivers: list[WaiverState]
    summary: dict[str, Any]

    @property
    def open_blockers(self) -> int:
        return open_count(self.findings, "blocker")

    @property
    def open_warnings(self) -> int:
        return open_count(self.findings, "warning")


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(Problem(Loc("--as-of"),
                                f"{text!r} is not an ISO date (YYYY-MM-DD)")) from None


@dataclass
class Reviewed:
    """A review done on a Session and not yet written (`review`, then `write`): it reads the
    session's readiness tables, so it is written before the next `review` on that Session."""

    result: Result
    review: Review
    as_of: dt.date
    waivers_path: Path | None
    holds_threshold: int


def readiness(
    session: Session,
    out: Path,
    waivers_path: Path | None = None,
    as_of: dt.date | None = None,
    holds_threshold: int = HOLDS_THRESHOLD,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
) -> Readiness:
    """The readiness review of the session's inputs, written to the run folder `out`
    (`review`, then `write`); `out` is checked before any work."""
    check_out(session, out, waivers_path)
    reviewed = review(session, waivers_path, as_of, holds_threshold)
    return write(session, reviewed, out, csv_mode, command, show_pii)


def check_out(session: Session, out: Path, waivers_path: Path | None) -> None:
    """Refuse an `out` over any input of the review (runfolder.check_run_out)."""
    runfolder.check_run_out(out, session.inputs, session.rules,
                            files=[("--waivers", waivers_path)])


def review(session: Session, waivers_path: Path | None = None, as_of: dt.date | None = None,
           holds_threshold: int = HOLDS_THRESHOLD) -> Reviewed:
    """The readiness review of the session's inputs (after its classification); nothing is
    written. Waivers are judged on `as_of` (default today)."""
    if holds_threshold < 0:
        raise UserError(Problem(Loc("--holds-threshold"),
                                f"must be 0 or more, not {holds_threshold}"))
    as_of = as_of or dt.date.today()
    given = waivers.load(waivers_path, finding_ids(session.pack)) if waivers_path else []
    result, con = session.classification, session.con
    session.progress("running the readiness checks")
    findings, states, notes = collect(session, given, as_of, holds_threshold)
    events, runbook_notes = runbook.build(session.scenario, workloads(con, result))
    found = Review(findings, scores(findings), states, events, runbook_notes + notes,
                   verdict(findings))
    return Reviewed(result, found, as_of, waivers_path, holds_threshold)


def write(session: Session, reviewed: Reviewed, out: Path, csv_mode: str = "auto",
          command: list[str] | None = None, show_pii: bool = False) -> Readiness:
    """The run folder `out` of a review (`review`), its summary with the manifest."""
    result, con, found = reviewed.result, session.con, reviewed.review
    summary = summarise(session, result, found, reviewed.as_of, reviewed.waivers_path,
                        show_pii, command)
    session.progress("writing the run folder")

    def fill(folder: Path) -> None:
        exported = exports.export_files(con, result, folder)
        (folder / "findings.csv").write_text(
            exports.findings_csv(con, {f.id: f for f in found.findings}, show_pii),
            encoding="utf-8")
        stamp = dt.datetime.fromisoformat(summary["manifest"]["timestamp"])
        (folder / "runbook.ics").write_bytes(
            runbook.to_ics(found.events, session.scenario.institution, stamp).encode("utf-8"))
        (folder / "runbook.csv").write_text(runbook.to_csv(found.events), encoding="utf-8")
        files = {"ledger.parquet": True, "ledger.csv": (folder / "ledger.csv").exists(),
                 "findings.csv": True, "runbook.ics": True, "runbook.csv": True, **exported}
        html, markdown = view.render_readiness(
            report_view(session.inputs.pre.stage, summary, found, files, show_pii))
        (folder / "report.html").write_text(html, encoding="utf-8")
        (folder / "summary.md").write_text(markdown, encoding="utf-8")

    runfolder.write_run(con, out, summary, fill, csv_mode, result.ledger_in_order)
    return Readiness(out, result, found.findings, found.scores, found.events, found.notes,
                     found.waivers, summary)
