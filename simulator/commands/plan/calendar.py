"""What each institution may still do in the legacy system, activity by activity and week by
week (calendar.csv and the report's grid).

The activities are the rows of the activity table in the seed's "Appendix – Large Consortium
'Big Bang' Approach"; their states follow its milestones and the Network Zone rules of the same
appendix (and "Network Zone – Central Bibliographic Catalog - Consortium"):

- existing bibliographic records (updates and deletions) are built into the Network Zone with
  the first cluster, so they freeze in the legacy system for every cluster on the first
  cluster's freeze; the first cluster edits them in Alma once its staff work there, the later
  clusters once the first cluster is live (in the Network Zone);
- new bibliographic records, holdings and items and acquisitions stop on the institution's own
  freeze and move to Alma when its staff start targeted work there;
- loans go on in the legacy system until circulation goes offline, then in the offline client
  until go-live;
- holds and patrons stop on the institution's freeze (the appendix's table) or, with
  `fulfillment_freeze: offline_circulation`, when circulation goes offline; Alma from go-live.

Week 1 begins on the first cluster's freeze, as the appendix counts weeks; the last week holds
the last go-live.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from simulator.commands.plan.milestones import DAY, Schedule, schedules
from simulator.inputs.plan import Plan
from simulator.output import csvfile

# Activity -> (work area, activity), in the order of the seed's table.
ACTIVITIES: dict[str, tuple[str, str]] = {
    "acquisitions": ("Acquisitions", "all functions"),
    "existing_bib_update": ("Cataloguing", "update of existing bibs"),
    "new_bib": ("Cataloguing", "new bibs"),
    "holdings_items": ("Cataloguing", "holdings and items"),
    "existing_bib_delete": ("Cataloguing", "deletion of bibs"),
    "loans": ("Circulation", "loans"),
    "holds": ("Circulation", "holds"),
    "patrons": ("Patrons", "patrons"),
}
STATES = ("legacy", "frozen", "offline_client", "alma")
EXISTING_BIBS = ("existing_bib_update", "existing_bib_delete")

Periods = list[tuple[dt.date | None, str]]  # each state from its first day (None: always before)


@dataclass(frozen=True)
class Context:
    """One cluster's schedule with the first cluster's, which builds the Network Zone."""

    own: Schedule
    first: Schedule
    fulfillment_freeze: str = "technical_freeze"

    @property
    def is_first(self) -> bool:
        return self.own.cluster == self.first.cluster


def contexts(plan: Plan) -> list[Context]:
    found = schedules(plan)
    return [Context(s, found[0], plan.fulfillment_freeze) for s in found]


def periods(activity: str, ctx: Context) -> Periods:
    """The activity's states for the cluster's institutions, in order of their first days; on
    a day shared by two, the later one holds."""
    own, first = ctx.own, ctx.first
    if activity in EXISTING_BIBS:
        opens = own.targeted if ctx.is_first else first.go_live
        return [(None, "legacy"), (first.freeze, "frozen"), (opens, "alma")]
    if activity == "loans":
        start, end = own.offline
        out: Periods = [(None, "legacy"), (start, "offline_client")]
        if end + DAY < own.go_live:
            out.append((end + DAY, "frozen"))
        return [*out, (own.go_live, "alma")]
    if activity in ("holds", "patrons"):
        stops = own.freeze if ctx.fulfillment_freeze == "technical_freeze" else own.offline[0]
        return [(None, "legacy"), (stops, "frozen"), (own.go_live, "alma")]
    return [(None, "legacy"), (own.freeze, "frozen"), (own.targeted, "alma")]


def state_on(found: Periods, day: dt.date) -> str:
    state = found[0][1]
    for start, name in found:
        if start is None or start <= day:
            state = name
    return state


@dataclass(frozen=True)
class Week:
    number: int
    start: dt.date
    end: dt.date


def weeks(plan: Plan) -> list[Week]:
    """Week 1 from the first cluster's freeze to the week of the last go-live."""
    found = schedules(plan)
    one = found[0].freeze
    count = (max(s.go_live for s in found) - one).days // 7 + 1
    return [Week(n, one + 7 * (n - 1) * DAY, one + (7 * n - 1) * DAY) for n in range(1, count + 1)]


@dataclass(frozen=True)
class WeekState:
    """An activity in one week: its state on the week's first day, and each later day of the
    week on which it changes (day, new state)."""

    week: Week
    state: str
    changes: tuple[tuple[dt.date, str], ...]

    def changes_text(self) -> str:
        return "; ".join(f"{state} from {day.isoformat()}" for day, state in self.changes)


def week_states(found: Periods, all_weeks: list[Week]) -> list[WeekState]:
    out = []
    for week in all_weeks:
        state = state_on(found, week.start)
        changes, now = [], state
        for i in range(1, 7):
            day = week.start + i * DAY
            if (then := state_on(found, day)) != now:
                changes.append((day, then))
                now = then
        out.append(WeekState(week, state, tuple(changes)))
    return out


@dataclass(frozen=True)
class ClusterGrid:
    """Every activity's weeks for one cluster: the same for each of its institutions."""

    context: Context
    rows: dict[str, list[WeekState]]


def grid(plan: Plan) -> list[ClusterGrid]:
    all_weeks = weeks(plan)
    return [ClusterGrid(ctx, {a: week_states(periods(a, ctx), all_weeks) for a in ACTIVITIES})
            for ctx in contexts(plan)]


CSV_COLUMNS = ("cluster", "institution", "activity", "week", "start", "end", "state", "changes")


def to_csv(grids: list[ClusterGrid]) -> str:
    """One row per institution, activity and week, in plan order."""
    return csvfile.csv_text(CSV_COLUMNS, (
        [g.context.own.cluster.name, code, activity, w.week.number, w.week.start.isoformat(),
         w.week.end.isoformat(), w.state, w.changes_text()]
        for g in grids for code in g.context.own.cluster.institutions
        for activity, row in g.rows.items() for w in row))
