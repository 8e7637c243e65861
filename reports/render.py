"""Rendering reports: the one place where jinja2 is set up.

Autoescaping is on for every template and undefined names fail loudly, so a missing value is a
bug found in tests, never a blank in a report a project manager reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"

# Stable colours per outcome, shared by every report.
OUTCOME_COLOURS = {
    "retained": "#2e7d32",
    "refreshed": "#00838f",
    "merged": "#5e35b1",
    "added": "#1565c0",
    "removed": "#c62828",
    "reverted": "#ef6c00",
    "detached": "#8d6e63",
    "deactivated": "#6d4c41",
    "rejected": "#ad1457",
    "not_migrated": "#757575",
}


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Filters, in one block.
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.filters["outcome_colour"] = lambda o: OUTCOME_COLOURS.get(str(o), "#999999")
    env.filters["pct"] = lambda part, whole: f"{(100.0 * part / whole) if whole else 0:.1f}"
    return env


_ENV = _env()


@dataclass
class PredictReport:
    """Everything the predict report shows; built by the caller, never queried from the page."""

    institution: str
    stage: str
    scenario: dict[str, Any]
    verdict: str
    counts: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    manifest: dict[str, Any]
    outcomes: list[str] = field(default_factory=lambda: list(OUTCOME_COLOURS))


def render(template: str, context: Any) -> str:
    return _ENV.get_template(template).render(r=context, colours=OUTCOME_COLOURS)


def render_predict(report: PredictReport) -> str:
    return render("predict.html", report)
