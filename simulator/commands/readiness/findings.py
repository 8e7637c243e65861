"""The findings of a readiness review: every finding of the rule pack and every readiness check,
as one type built on the Finding every command shares, with its area, records and waivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from simulator.commands.readiness import waivers
from simulator.commands.readiness.checks import CHECKS, Check
from simulator.core.engine import Result
from simulator.core.findings import Finding, order
from simulator.inputs.tables import AREAS, TABLES
from simulator.rules.model import Pack

HOLDS_THRESHOLD = 20  # unfulfilled holds a desk re-creates by hand without a plan


def options(holds_threshold: int = HOLDS_THRESHOLD) -> dict[str, int]:
    """The readiness options a finding's `info_up_to` may name (vocabulary.READINESS_OPTIONS)."""
    return {"holds_threshold": holds_threshold}


class Record(NamedTuple):
    entity: str  # where the record is: alma.users, extract.vendors, testload.users, extract.forms
    key: str
    detail: str
    waived: bool


@dataclass
class WaiverState:
    waiver: waivers.Waiver
    state: str  # active | expired | unused
    matched: int  # records of the finding it names (whether or not it is in force)
    missing: list[str] = field(default_factory=list)  # its record keys the finding lacks

    def warning(self) -> str | None:
        """What the terminal says of a waiver that does not do all it names, located in the
        waivers file (the report shows every waiver's state)."""
        w = self.waiver
        said = f"{w.loc}: waiver {w.number} ({w.finding})"
        if self.state == "expired":
            return f"{said} expired on {w.expires.isoformat()}: its records count again"
        if self.state == "unused":
            return f"{said} waives nothing: the finding has none of its records"
        if self.missing:
            keys = ", ".join(repr(k) for k in self.missing)
            return f"{said}: {keys} not among the finding's records (misspelt?)"
        return None


@dataclass
class ReadyFinding(Finding):
    """A finding of the review. `rule_id` is empty for a readiness check's; `count` and
    `unwaived` count every record (table `ready_marked`), `records` holds the first ones."""

    area: str = ""
    unwaived: int = 0
    records: list[Record] = field(default_factory=list)
    waivers: list[WaiverState] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The deciding rule's id, or "check"."""
        return self.rule_id or "check"

    @property
    def open(self) -> bool:
        return self.unwaived > 0

    @property
    def status(self) -> str:
        if not self.unwaived:
            return "waived"
        if self.unwaived < self.count:
            return "partly waived"
        return "open"


def finding_ids(pack: Pack) -> set[str]:
    """Every id a readiness run can raise: rules with a finding (or inferred) and the checks."""
    ids = {r.id for _, r in pack.rules() if r.finding or r.confidence == "inferred"}
    return ids | set(CHECKS)


def _of_rule(f: Finding, result: Result, limits: dict[str, int]) -> ReadyFinding:
    """A rule's finding: information while its count is within the option `info_up_to` names;
    filed under its `area`, or its table's."""
    entity, rule = result.catalog[f.id]
    spec = rule.finding
    severity, fix = f.severity, f.fix
    limit = limits[spec.info_up_to] if spec and spec.info_up_to else None
    if limit is not None and f.count <= limit:
        severity = "info"
        fix += f" ({f.count} is within the threshold of {limit}.)"
    area = (spec.area if spec else None) or TABLES[entity.name].area
    return ReadyFinding(f.id, severity, f.title, 0, [], fix, f.rule_id, f.entity, f.cite,
                        f.confidence, area=area)


def _of_check(c: Check) -> ReadyFinding:
    return ReadyFinding(c.id, c.severity, c.title, 0, [], c.fix, "", c.entity, c.cite,
                        c.confidence, area=c.area)


def definitions(result: Result, limits: dict[str, int]) -> dict[str, ReadyFinding]:
    """Every finding the review can raise, not yet counted: the pack's, then the checks'."""
    out = {f.id: _of_rule(f, result, limits) for f in result.findings}
    return out | {c.id: _of_check(c) for c in CHECKS.values()}


def ordered(found: dict[str, ReadyFinding]) -> list[ReadyFinding]:
    """The raised findings: blockers first, then by area and id."""
    raised = [f for f in found.values() if f.count]
    return sorted(raised, key=lambda f: order(f.severity, AREAS.index(f.area), f.id))


def open_count(findings: list[ReadyFinding], severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity and f.open)
