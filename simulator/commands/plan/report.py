"""The plan's summary.json and the report's view data (plain values for `reports/`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports import plan_report as view
from simulator.commands.plan.calendar import ACTIVITIES, ClusterGrid, Week
from simulator.commands.plan.changes import Counts
from simulator.commands.plan.classes import CLASSES
from simulator.commands.plan.milestones import TITLES, Schedule
from simulator.inputs.plan import MILESTONES, Plan


@dataclass(frozen=True)
class Worked:
    """What the command worked out, for the summary and the report."""

    plan: Plan
    grids: list[ClusterGrid]
    weeks: list[Week]
    counts: Counts | None
    changes_file: str
    change_rows: int


def _schedules(worked: Worked) -> list[Schedule]:
    return [g.context.own for g in worked.grids]


def summarise(worked: Worked, header: dict[str, Any]) -> dict[str, Any]:
    """summary.json: the manifest, the plan as read, every cluster's milestones, the weeks and
    the change counts (null without a change log)."""
    changes = None
    if worked.counts is not None:
        changes = {
            "file": worked.changes_file,
            "rows": worked.change_rows,
            "by_class": {c: worked.counts.by_class.get(c, 0) for c in CLASSES},
            "by_institution_week": [{"institution": i, "week": w, "class": c, "changes": n}
                                    for i, w, c, n in worked.counts.cells],
        }
    return {
        "manifest": header,
        "plan": worked.plan.as_dict(),
        "clusters": [{"name": s.cluster.name, "institutions": list(s.cluster.institutions),
                      "milestones": {m: [d.isoformat() for d in s.days[m]] for m in MILESTONES}}
                     for s in _schedules(worked)],
        "weeks": [{"week": w.number, "start": w.start.isoformat(), "end": w.end.isoformat()}
                  for w in worked.weeks],
        "changes": changes,
    }


def report_view(worked: Worked, summary: dict[str, Any], files: list[str]) -> view.PlanReport:
    plan = worked.plan
    clusters = [view.ClusterView(s.cluster.name, list(s.cluster.institutions),
                                 [view.Lane(m, TITLES[m], *s.days[m]) for m in MILESTONES])
                for s in _schedules(worked)]
    grids = [view.GridView(g.context.own.cluster.name, list(g.context.own.cluster.institutions),
                           [view.GridRow(*ACTIVITIES[a], [view.Cell(w.state, w.changes_text())
                                                          for w in row])
                            for a, row in g.rows.items()])
             for g in worked.grids]
    return view.PlanReport(
        plan.consortium, plan.timezone, plan.cutoff_time.strftime("%H:%M"),
        plan.fulfillment_freeze, clusters,
        [view.WeekView(w.number, w.start, w.end) for w in worked.weeks], grids,
        _changes_view(worked), summary["manifest"], files)


def _changes_view(worked: Worked) -> view.ChangesView | None:
    counts = worked.counts
    if counts is None:
        return None
    columns = ["before", *(f"week {w.number}" for w in worked.weeks), "after"]
    table = []
    for cluster, code in worked.plan.institutions():
        weeks: list[dict[str, int]] = [{} for _ in columns]
        totals: dict[str, int] = {}
        for inst, week, cls, n in counts.cells:
            if inst == code:
                weeks[week][cls] = n
                totals[cls] = totals.get(cls, 0) + n
        table.append(view.CountRow(code, cluster.name, weeks, totals))
    return view.ChangesView(worked.changes_file, worked.change_rows, dict(counts.by_class),
                            columns, table)
