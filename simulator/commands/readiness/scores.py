"""Readiness per area, and the review's verdict, from the open findings."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.commands.readiness.findings import ReadyFinding, open_count
from simulator.core.findings import Wording
from simulator.inputs.tables import AREAS

BLOCKER_COST, WARNING_COST = 40, 5  # points an open finding takes off its area's 100

WORDING = Wording(
    blocked="Not ready: {b} open blocker(s) and {w} warning(s); fix the blockers at the source "
            "or waive them with an owner before the freeze.{tail}",
    warned="No open blockers; {w} warning(s) to review.{tail}",
    clear="Ready: no open blockers or warnings.{tail}")


@dataclass
class AreaScore:
    area: str
    score: int
    status: str  # blocked | at risk | ready
    blockers: int
    warnings: int
    info: int
    waived: int


def scores(findings: list[ReadyFinding]) -> list[AreaScore]:
    """Per area: 100 less 40 per open blocker finding and 5 per open warning, at least 0."""
    out = []
    for area in AREAS:
        mine = [f for f in findings if f.area == area]
        b, w = open_count(mine, "blocker"), open_count(mine, "warning")
        waived = sum(1 for f in mine if not f.open)
        score = max(0, 100 - BLOCKER_COST * b - WARNING_COST * w)
        status = "blocked" if b else "at risk" if w else "ready"
        out.append(AreaScore(area, score, status, b, w, open_count(mine, "info"), waived))
    return out


def verdict(findings: list[ReadyFinding]) -> tuple[str, str]:
    """(level, sentence): blocker while any blocker is open, warning while any warning is."""
    waived = sum(1 for f in findings if not f.open)
    tail = f" {waived} finding(s) waived." if waived else ""
    return WORDING.verdict(open_count(findings, "blocker"), open_count(findings, "warning"),
                           tail=tail)
