"""`cutover plan PLAN [--changes LOG] --out DIR`: the consortium's milestones, activity calendar
and (with a change log) the class of every legacy change, written as one run folder
(docs/commands/plan.md, "Output files"). Every input is checked before anything is written."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports import plan_report as view
from simulator import db
from simulator.commands.plan import calendar, changes, milestones
from simulator.commands.plan.classes import AT_RISK
from simulator.commands.plan.report import Worked, report_view, summarise
from simulator.errors import display_path
from simulator.inputs import plan as plan_file
from simulator.inputs.snapshot import sha256
from simulator.output import runfolder

Progress = Callable[[str], None]


@dataclass
class PlanRun:
    out: Path
    worked: Worked
    milestones: list[milestones.Milestone]
    summary: dict[str, Any]

    @property
    def at_risk(self) -> int:
        """Changes lost or breaking the Network Zone freeze."""
        counts = self.worked.counts
        return sum(counts.by_class.get(c, 0) for c in AT_RISK) if counts else 0


def run(plan_path: Path, out: Path, changes_path: Path | None = None,
        memory_limit: str | None = None, command: list[str] | None = None,
        progress: Progress = lambda _: None) -> PlanRun:
    plan = plan_file.load(plan_path)
    runfolder.check_out(out, files=[("the plan file", plan_path), ("--changes", changes_path)])
    found = milestones.milestones(plan)
    grids = calendar.grid(plan)
    weeks = calendar.weeks(plan)
    con = db.connect(memory_limit)
    try:
        log = None
        counts = None
        if changes_path is not None:
            progress("reading the change log")
            changes.use_timezone(con, plan)
            log = changes.load(con, changes_path, plan)
            progress("classing the changes")
            changes.classify(con, log, plan, [g.context for g in grids])
            counts = changes.counts(con, log, weeks)
        worked = Worked(plan, grids, weeks, counts, log.shown if log else "",
                        log.rows if log else 0)
        header = {**runfolder.header(command), "inputs": _inputs(plan_path, changes_path)}
        summary = summarise(worked, header)
        progress("writing the run folder")
        runfolder.write_folder(out, lambda folder: _fill(folder, con, worked, found, log,
                                                         summary))
    finally:
        con.close()
    return PlanRun(out, worked, found, summary)


def _inputs(plan_path: Path, changes_path: Path | None) -> dict[str, dict[str, str]]:
    given = {"plan file": plan_path, "change log": changes_path}
    return {role: {"path": display_path(p), "sha256": sha256(p)}
            for role, p in given.items() if p is not None}


def _fill(folder: Path, con: db.Connection, worked: Worked,
          found: list[milestones.Milestone], log: changes.ChangeLog | None,
          summary: dict[str, Any]) -> None:
    stamp = dt.datetime.fromisoformat(summary["manifest"]["timestamp"])
    (folder / "plan.csv").write_text(milestones.to_csv(found), encoding="utf-8")
    (folder / "plan.ics").write_bytes(
        milestones.to_ics(worked.plan, found, stamp).encode("utf-8"))
    (folder / "calendar.csv").write_text(calendar.to_csv(worked.grids), encoding="utf-8")
    files = ["plan.csv", "plan.ics", "calendar.csv"]
    if log is not None:
        changes.write_csv(con, log, folder / "changes.csv")
        files.append("changes.csv")
    files += ["summary.json", "report.html"]
    (folder / runfolder.SUMMARY).write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    html = view.render_plan(report_view(worked, summary, files))
    (folder / "report.html").write_text(html, encoding="utf-8")
