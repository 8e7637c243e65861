"""The scenario file (DESIGN 3.2): dates and options, bound into rules as parameters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator import yamlsrc
from simulator.errors import Collector, Loc, Problem, UserError, display_path

DATES = ("testload", "freeze_start", "clean_data_delivered", "fulfillment_freeze", "go_live")
REQUIRED_DATES = ("freeze_start", "clean_data_delivered")
OPTIONS = {
    "reload_acquisitions": True,
    "retain_funds": False,
    "retain_licenses": False,
    "retain_courses": False,
    "authority_preferred_term_correction": False,
    "summon": False,
}
_KEYS = {"institution", "dates", "options", "allowed_emails", "scrubbed_email_pattern"}
DEFAULT_SCRUBBED = r"@scrubbed\.invalid$"


@dataclass
class Scenario:
    institution: str
    dates: dict[str, dt.datetime] = field(default_factory=dict)
    options: dict[str, bool] = field(default_factory=lambda: dict(OPTIONS))
    allowed_emails: list[str] = field(default_factory=list)
    scrubbed_email_pattern: str = DEFAULT_SCRUBBED
    source: str = ""

    def params(self) -> dict[str, Any]:
        """Every value a rule may bind as `$name`."""
        far = dt.datetime(9999, 12, 31)
        out: dict[str, Any] = {d: self.dates.get(d, far) for d in DATES}
        out.update(self.options)
        out["institution"] = self.institution
        out["scrubbed_email_pattern"] = self.scrubbed_email_pattern
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "institution": self.institution,
            "dates": {k: v.isoformat() for k, v in sorted(self.dates.items())},
            "options": dict(sorted(self.options.items())),
            "allowed_emails": list(self.allowed_emails),
            "scrubbed_email_pattern": self.scrubbed_email_pattern,
        }


def param_names() -> set[str]:
    return set(Scenario("X").params())


def example_params() -> dict[str, Any]:
    """Plausible values for checking that rules bind (lint has no scenario)."""
    s = Scenario("X", dates={d: dt.datetime(2026, 1, 1) for d in DATES})
    return s.params()


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def load(path: Path) -> Scenario:
    data = yamlsrc.load(path)
    shown = display_path(path)
    problems = Collector()
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(Loc(shown, 1, 1), "a scenario is a mapping (see README, Scenario)"))
    for key in data:
        if key not in _KEYS:
            problems.add(data.key_loc(key), f"unknown key '{key}' (expected {', '.join(sorted(_KEYS))})")
    institution = data.get("institution")
    if not isinstance(institution, str) or not institution.strip():
        problems.add(data.value_loc("institution") if "institution" in data else Loc(shown, 1, 1),
                      "institution must be given as a code, e.g. institution: NFU")
    scenario = Scenario(str(institution or ""), source=shown)
    dates = data.get("dates", yamlsrc.YMap())
    if not isinstance(dates, yamlsrc.YMap):
        problems.add(data.value_loc("dates"), "dates must be a mapping of name: ISO date")
    else:
        if not hasattr(dates, "loc"):
            dates.loc, dates.key_locs, dates.value_locs = Loc(shown, 1, 1), {}, {}
        for key, value in dates.items():
            if key not in DATES:
                problems.add(dates.key_loc(key), f"unknown date '{key}' (expected {', '.join(DATES)})")
                continue
            parsed = _as_datetime(value)
            if parsed is None:
                problems.add(dates.value_loc(key), f"{key}: {value!r} is not an ISO date (YYYY-MM-DD)")
            else:
                scenario.dates[key] = parsed
        for key in REQUIRED_DATES:
            if key not in dates:
                problems.add(dates.loc, f"missing date '{key}'")
        fs, cd = scenario.dates.get("freeze_start"), scenario.dates.get("clean_data_delivered")
        if fs and cd and cd <= fs:
            problems.add(dates.value_loc("clean_data_delivered"),
                         "clean_data_delivered must come after freeze_start")
    options = data.get("options", {})
    if not isinstance(options, dict):
        problems.add(data.value_loc("options"), "options must be a mapping of name: true/false")
    else:
        for key, value in options.items():
            loc = options.key_loc(key) if isinstance(options, yamlsrc.YMap) else Loc(shown)
            if key not in OPTIONS:
                problems.add(loc, f"unknown option '{key}' (expected {', '.join(OPTIONS)})")
            elif not isinstance(value, bool):
                problems.add(options.value_loc(key) if isinstance(options, yamlsrc.YMap) else loc,
                             f"option {key} must be true or false, not {value!r}")
            else:
                scenario.options[key] = value
    emails = data.get("allowed_emails", [])
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        problems.add(data.value_loc("allowed_emails"), "allowed_emails must be a list of addresses")
    else:
        scenario.allowed_emails = list(emails)
    pattern = data.get("scrubbed_email_pattern", DEFAULT_SCRUBBED)
    try:
        re.compile(str(pattern))
        scenario.scrubbed_email_pattern = str(pattern)
    except re.error as e:
        problems.add(data.value_loc("scrubbed_email_pattern"), f"not a regular expression: {e}")
    problems.raise_if_any()
    return scenario
