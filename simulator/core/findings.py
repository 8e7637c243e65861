"""Findings: what a run tells a project manager, the same shape for every command.

One Finding type, one severity order and one way from findings to a verdict; each command adds
what it knows (readiness: area and waivers; verify: class, budget and examples) as fields of
its own subclass or as `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.rules.model import SEVERITIES

SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}  # blockers first
SAMPLE_KEYS = 10  # record keys a finding shows as examples


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    count: int
    sample_keys: list[str]
    fix: str
    rule_id: str
    entity: str
    cite: str
    confidence: str = "documented"
    # Command-specific fields written beside the common ones (verify: class, budget, details).
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        return {**out, **self.extra}


def order(severity: str, *more: Any) -> tuple[Any, ...]:
    """Sort key: blockers, then warnings, then information; ties by `more`."""
    return (SEVERITY_ORDER[severity], *more)


def level(blockers: int, warnings: int) -> str:
    """The verdict's level: blocker, warning or clear."""
    return "blocker" if blockers else "warning" if warnings else "clear"


def level_of(findings: list[dict[str, Any]]) -> str:
    """The level of findings as summary.json holds them."""
    severities = [f["severity"] for f in findings]
    return level(severities.count("blocker"), severities.count("warning"))


@dataclass(frozen=True)
class Wording:
    """A command's verdict sentences; `{b}` and `{w}` are the open blockers and warnings."""

    blocked: str
    warned: str
    clear: str

    def verdict(self, blockers: int, warnings: int, **more: Any) -> tuple[str, str]:
        """(level, sentence) for these counts."""
        lvl = level(blockers, warnings)
        text = {"blocker": self.blocked, "warning": self.warned, "clear": self.clear}[lvl]
        return lvl, text.format(b=blockers, w=warnings, **more)
