"""The readiness report's context objects and the runbook timeline's geometry.

Rendering goes through `reports.render.render` (the one jinja2 environment: autoescape on,
undefined names fail). The page needs no script: findings, records and waivers are plain HTML,
the timeline is an SVG drawn from coordinates computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from reports.render import SEVERITY_ORDER, render

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
AREA_TITLES = {
    "users": "Users",
    "configuration": "Configuration",
    "acquisitions": "Acquisitions",
    "fulfillment": "Fulfillment",
    "communications": "Communications",
}


@dataclass
class AreaView:
    name: str
    score: int
    status: str  # blocked | at risk | ready
    blockers: int
    warnings: int
    info: int
    waived: int

    @property
    def title(self) -> str:
        return AREA_TITLES.get(self.name, self.name.title())

    @property
    def anchor(self) -> str:
        return f"area-{self.name}"

    @property
    def level(self) -> str:
        return {"blocked": "blocker", "at risk": "warning"}.get(self.status, "clear")


@dataclass
class RecordView:
    entity: str
    key: str
    detail: str
    waived: bool


@dataclass
class WaiverView:
    number: int
    finding: str
    records: list[str]
    scope: str
    owner: str
    reason: str
    expires: str
    state: str  # active | expired | unused
    matched: int
    missing: list[str]


@dataclass
class FindingView:
    id: str
    severity: str
    area: str
    title: str
    fix: str
    cite: str
    entity: str
    source: str  # rule id, or "check"
    confidence: str
    count: int
    unwaived: int
    status: str  # open | partly waived | waived
    waivers: list[WaiverView]
    records: list[RecordView]

    @property
    def anchor(self) -> str:
        return f"finding-{self.id}"

    @property
    def more(self) -> int:
        return self.count - len(self.records)


@dataclass
class EventView:
    id: str
    start: dt.date
    end: dt.date
    days: int
    kind: str  # milestone | window
    label: str
    title: str
    detail: str
    who: str
    cite: str


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Mark:
    id: str
    y: int
    label: str
    title: str
    kind: str
    x: float
    width: float
    dates: str


@dataclass
class Timeline:
    """One row per step: a bar for a span of days, a diamond for a day; weekly ticks."""

    width: int
    height: int
    label_width: int
    top: int
    marks: list[Mark]
    ticks: list[Tick]
    go_live_x: float | None


def _day_label(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}"


def timeline(events: list[EventView], go_live: dt.date | None, plot_width: int = 620,
             label_width: int = 190, row: int = 20, top: int = 30) -> Timeline:
    if not events:
        return Timeline(label_width + plot_width + 20, top, label_width, top, [], [], None)
    first = min(e.start for e in events)
    last = max(e.end for e in events) + dt.timedelta(days=1)
    span = max((last - first).days, 1)
    scale = plot_width / span

    def x(day: dt.date) -> float:
        return round(label_width + (day - first).days * scale, 2)

    marks = []
    for i, e in enumerate(events):
        if e.kind == "milestone":
            x0, w = round(x(e.start) + scale / 2, 2), 0.0
            dates = e.start.isoformat()
        else:
            x0, w = x(e.start), round(max(e.days * scale, 2.0), 2)
            dates = f"{e.start.isoformat()} to {e.end.isoformat()}"
        marks.append(Mark(e.id, top + i * row, e.label, e.title, e.kind, x0, w, dates))
    step = 7 if span <= 120 else 28
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    ticks = []
    day = monday
    while day <= last:
        ticks.append(Tick(x(day), _day_label(day)))
        day += dt.timedelta(days=step)
    gx = round(x(go_live) + scale / 2, 2) if go_live and first <= go_live <= last else None
    return Timeline(label_width + plot_width + 20, top + len(events) * row + 8, label_width, top,
                    marks, ticks, gx)


@dataclass
class ReadinessReport:
    institution: str
    stage: str
    scenario: dict[str, Any]
    as_of: str
    verdict: str
    verdict_level: str  # blocker | warning | clear
    areas: list[AreaView]
    findings: list[FindingView]
    waivers: list[WaiverView]
    events: list[EventView]
    notes: list[str]
    manifest: dict[str, Any]
    files: dict[str, bool]  # run folder files and whether they were written
    show_pii: bool = False
    records_shown: int = 50
    costs: tuple[int, int] = (40, 5)  # points per open blocker and per open warning finding
    severities: tuple[str, ...] = field(default=SEVERITY_ORDER)

    @property
    def timeline(self) -> Timeline:
        go = self.scenario["dates"].get("go_live")
        return timeline(self.events, dt.date.fromisoformat(go[:10]) if go else None)

    def date(self, name: str) -> str:
        """A scenario date as the day it is (with its time only when it has one)."""
        value = self.scenario["dates"].get(name)
        if not value:
            return "not set"
        return value[:10] if value.endswith("T00:00:00") else value.replace("T", " ")

    def findings_in(self, area: str) -> list[FindingView]:
        return [f for f in self.findings if f.area == area]

    def open_counts(self) -> dict[str, int]:
        """Open (not fully waived) findings per severity."""
        return {s: sum(1 for f in self.findings if f.severity == s and f.unwaived)
                for s in SEVERITY_ORDER}

    @property
    def waived_count(self) -> int:
        return sum(1 for f in self.findings if not f.unwaived)


def render_readiness(report: ReadinessReport) -> tuple[str, str]:
    """The HTML report and the Markdown summary."""
    return render("readiness.html", report), render("readiness.md", report)
