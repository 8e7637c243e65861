"""The consortium plan report's view data and the Gantt chart's geometry.

Rendering goes through `reports.render.render` (the one jinja2 environment). The page needs no
script: the Gantt chart is an SVG drawn from coordinates computed here, the activity calendar
and the change counts are plain tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from reports.render import render

STATE_COLOURS = {"legacy": "#e8f5e9", "frozen": "#fdecea", "offline_client": "#fff4e5",
                 "alma": "#e3f2fd"}
CLASS_COLOURS = {"migrated": "#2e7d32", "supply_separately": "#1565c0",
                 "breaks_freeze": "#ef6c00", "lost": "#c62828"}
MILESTONE_COLOURS = {"technical_freeze": "#37474f", "clean_data": "#00838f",
                     "staff_targeted_work": "#5e35b1", "offline_circulation": "#ef6c00",
                     "final_circulation_load": "#8d6e63", "go_live": "#2e7d32"}


@dataclass
class Lane:
    """One milestone of one cluster, for the chart and the milestone table."""

    milestone: str
    title: str
    start: dt.date
    end: dt.date

    @property
    def dates(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass
class ClusterView:
    name: str
    institutions: list[str]
    lanes: list[Lane]


@dataclass
class Bar:
    y: int
    x: float
    width: float
    colour: str
    label: str
    title: str
    milestone: bool  # one day: a diamond


@dataclass
class Group:
    label: str
    y: int
    bars: list[Bar]


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Gantt:
    width: int
    height: int
    label_width: int
    top: int
    groups: list[Group]
    ticks: list[Tick]


def gantt(clusters: list[ClusterView], week_one: dt.date, plot_width: int = 640,
          label_width: int = 230, row: int = 18, top: int = 30) -> Gantt:
    """A heading row per cluster, then a row per milestone; a tick at each week's start. The
    plot spans whole weeks, from week 1 to the week of the last milestone."""
    last = max(lane.end for c in clusters for lane in c.lanes) + dt.timedelta(days=1)
    span = max(-(-(last - week_one).days // 7) * 7, 7)
    scale = plot_width / span

    def x(day: dt.date) -> float:
        return round(label_width + (day - week_one).days * scale, 2)

    groups, y = [], top
    for c in clusters:
        group = Group(f"Cluster {c.name}: {', '.join(c.institutions)}", y, [])
        y += row
        for lane in c.lanes:
            days = (lane.end - lane.start).days + 1
            one = lane.start == lane.end and lane.milestone in ("technical_freeze", "go_live")
            group.bars.append(Bar(
                y, round(x(lane.start) + scale / 2, 2) if one else x(lane.start),
                0.0 if one else round(max(days * scale, 2.0), 2),
                MILESTONE_COLOURS.get(lane.milestone, "#607d8b"), lane.title,
                f"Cluster {c.name}: {lane.title}, {lane.dates}", one))
            y += row
        groups.append(group)
        y += row // 2
    ticks = [Tick(x(week_one + dt.timedelta(days=7 * n)), f"week {n + 1}")
             for n in range(span // 7)]
    return Gantt(label_width + plot_width + 20, y + 4, label_width, top, groups, ticks)


@dataclass
class WeekView:
    number: int
    start: dt.date
    end: dt.date


@dataclass
class Cell:
    state: str
    changes: str  # "frozen from 2026-06-03; ..." or empty

    @property
    def colour(self) -> str:
        return STATE_COLOURS.get(self.state, "#ffffff")


@dataclass
class GridRow:
    area: str
    activity: str
    cells: list[Cell]


@dataclass
class GridView:
    """One cluster's activity calendar: the same for each of its institutions."""

    cluster: str
    institutions: list[str]
    rows: list[GridRow]


@dataclass
class CountRow:
    institution: str
    cluster: str
    weeks: list[dict[str, int]]  # per column of ChangesView.columns: class -> changes
    totals: dict[str, int]


@dataclass
class ChangesView:
    file: str
    rows: int
    by_class: dict[str, int]
    columns: list[str]  # "before", "week 1", ..., "after"
    table: list[CountRow]


@dataclass
class PlanReport:
    consortium: str
    timezone: str
    cutoff_time: str
    fulfillment_freeze: str
    clusters: list[ClusterView]
    weeks: list[WeekView]
    grids: list[GridView]
    changes: ChangesView | None
    manifest: dict[str, Any]
    files: list[str]
    classes: tuple[str, ...] = tuple(CLASS_COLOURS)
    states: tuple[str, ...] = tuple(STATE_COLOURS)
    state_colours: dict[str, str] = field(default_factory=lambda: dict(STATE_COLOURS))
    class_colours: dict[str, str] = field(default_factory=lambda: dict(CLASS_COLOURS))

    @property
    def chart(self) -> Gantt:
        return gantt(self.clusters, self.weeks[0].start)

    @property
    def institution_count(self) -> int:
        return sum(len(c.institutions) for c in self.clusters)

    @property
    def milestones(self) -> list[str]:
        return [lane.title for lane in self.clusters[0].lanes]


def render_plan(report: PlanReport) -> str:
    return render("plan.html", report)
