"""The scenario file (docs/formats/scenario.md): dates and options, bound into rules as
parameters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.snapshot import not_on_calendar
from simulator.inputs.yamlsrc import describe

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
_KEYS = ("allowed_emails", "dates", "ill_bibs", "institution", "options",
         "scrubbed_email_pattern")
DEFAULT_SCRUBBED = r"@scrubbed\.invalid$"
# Where the temporary ILL bibs hold each item (`cutover offline-circ check --ill-bibs`): a MARC
# data field's tag and subfield code, as the import profile names them (`949$b`).
ILL_BIB_FIELDS = ("barcode", "location")
MARC_SUBFIELD = re.compile(r"(?P<tag>[0-9]{3})\$(?P<code>[a-z0-9])")


@dataclass
class Scenario:
    institution: str
    dates: dict[str, dt.datetime] = field(default_factory=dict)
    options: dict[str, bool] = field(default_factory=lambda: dict(OPTIONS))
    allowed_emails: list[str] = field(default_factory=list)
    scrubbed_email_pattern: str = DEFAULT_SCRUBBED
    source: str = ""
    institution_loc: Loc = field(default_factory=lambda: Loc(""))
    ill_bibs: dict[str, str] = field(default_factory=dict)  # ILL_BIB_FIELDS -> `949$b`

    def params(self) -> dict[str, Any]:
        """Every value a rule may bind as `$name`."""
        far = dt.datetime(9999, 12, 31)
        out: dict[str, Any] = {d: self.dates.get(d, far) for d in DATES}
        out.update(self.options)
        out["institution"] = self.institution
        out["scrubbed_email_pattern"] = self.scrubbed_email_pattern
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "institution": self.institution,
            "dates": {k: v.isoformat() for k, v in sorted(self.dates.items())},
            "options": dict(sorted(self.options.items())),
            "allowed_emails": list(self.allowed_emails),
            "scrubbed_email_pattern": self.scrubbed_email_pattern,
        }
        if self.ill_bibs:  # an optional extension: absent, the manifest stays as it was
            out["ill_bibs"] = dict(self.ill_bibs)
        return out


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


def _day(value: dt.datetime) -> str:
    return value.date().isoformat() if value.time() == dt.time() else value.isoformat()


# Given dates must follow the order of DATES; these neighbours may not even share a moment.
_STRICTLY_AFTER = {("testload", "freeze_start"), ("freeze_start", "clean_data_delivered")}


def load(path: Path) -> Scenario:
    """Read and check a scenario file; every problem is reported with its line and column."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    problems = Collector()
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(Loc(shown, 1, 1),
                                "a scenario is a mapping (see docs/formats/scenario.md)"))
    yamlsrc.check_keys(data, _KEYS, problems, template=yamlsrc.ASKED)
    institution = data.get("institution")
    if not isinstance(institution, str) or not institution.strip():
        problems.add(data.value_loc("institution") if "institution" in data else Loc(shown, 1, 1),
                     "institution must be given as a code, e.g. institution: NFU")
    scenario = Scenario(str(institution or "").strip(), source=shown,
                        institution_loc=data.value_loc("institution"))
    read_dates(data, scenario, problems, shown)
    read_options(data, scenario, problems)
    read_emails(data, scenario, problems)
    read_ill_bibs(data, scenario, problems)
    pattern = data.get("scrubbed_email_pattern", DEFAULT_SCRUBBED)
    if not isinstance(pattern, str):
        problems.add(data.value_loc("scrubbed_email_pattern"),
                     "scrubbed_email_pattern must be a regular expression in quotes, "
                     f"not {describe(pattern)}")
    else:
        try:
            re.compile(pattern)
            scenario.scrubbed_email_pattern = pattern
        except re.error as e:
            problems.add(data.value_loc("scrubbed_email_pattern"),
                         f"scrubbed_email_pattern: {pattern!r} is not a regular expression ({e})")
    problems.raise_if_any()
    return scenario


def read_emails(data: yamlsrc.YMap, scenario: Scenario, problems: Collector) -> None:
    """`allowed_emails:` of `data` into `scenario` (also for variant files)."""
    emails = data.get("allowed_emails", [])
    if not isinstance(emails, list):
        problems.add(data.value_loc("allowed_emails"),
                     "allowed_emails must be a list of addresses")
        return
    for i, email in enumerate(emails):
        if not isinstance(email, str) or not email.strip():
            where = emails.item_locs[i] if isinstance(emails, yamlsrc.YList) else data.loc
            problems.add(where, f"allowed_emails: {describe(email)} is not an address")
    scenario.allowed_emails = [e for e in emails if isinstance(e, str)]


def read_ill_bibs(data: yamlsrc.YMap, scenario: Scenario, problems: Collector) -> None:
    """`ill_bibs:` (optional): the MARC field and subfield of each item's barcode and location
    in the temporary ILL bibs."""
    if "ill_bibs" not in data:
        return
    spec = data["ill_bibs"]
    if not isinstance(spec, yamlsrc.YMap):
        problems.add(data.value_loc("ill_bibs"), "ill_bibs must be a mapping such as "
                                                 "{barcode: 949$b, location: 949$l}")
        return
    yamlsrc.check_keys(spec, ILL_BIB_FIELDS, problems, template=yamlsrc.ASKED)
    yamlsrc.required(spec, ILL_BIB_FIELDS, problems, template="ill_bibs: missing '{key}' "
                                                              "(e.g. {key}: 949$b)")
    for key in ILL_BIB_FIELDS:
        value = spec.get(key)
        if key not in spec:
            continue
        found = MARC_SUBFIELD.fullmatch(value) if isinstance(value, str) else None
        if found is None or found["tag"] < "010":
            problems.add(spec.value_loc(key), f"ill_bibs: {key}: {describe(value)} is not a "
                                              "data field and subfield such as 949$b")
        else:
            scenario.ill_bibs[key] = found.group()


def read_dates(data: yamlsrc.YMap, scenario: Scenario, problems: Collector, shown: str) -> None:
    """The `dates:` of `data` into `scenario`, order checked (also for variant files)."""
    if "dates" not in data:
        problems.add(Loc(shown, 1, 1), "missing key 'dates' (freeze_start and "
                                       "clean_data_delivered are required)")
        return
    dates = data["dates"]
    if not isinstance(dates, yamlsrc.YMap):
        problems.add(data.value_loc("dates"),
                     f"dates must be a mapping of name: ISO date, not {describe(dates)}")
        return
    yamlsrc.check_keys(dates, DATES, problems, what="date", template=yamlsrc.ASKED)
    for key, value in dates.items():
        if key not in DATES:
            continue
        parsed = _as_datetime(value)
        if parsed is None:
            why = not_on_calendar(value.strip()) if isinstance(value, str) else None
            problems.add(dates.value_loc(key), f"{key}: {describe(value)}: {why}" if why else
                         f"{key}: {describe(value)} is not an ISO date (YYYY-MM-DD or "
                         "YYYY-MM-DDTHH:MM:SS)")
        else:
            scenario.dates[key] = parsed
    yamlsrc.required(dates, REQUIRED_DATES, problems, template="missing date '{key}'",
                     at=data.key_loc("dates"))
    given = [d for d in DATES if d in scenario.dates]
    for earlier, later in zip(given, given[1:], strict=False):
        a, b = scenario.dates[earlier], scenario.dates[later]
        strict = (earlier, later) in _STRICTLY_AFTER
        if b < a or (b == a and strict):
            relation = "after" if strict else "on or after"
            problems.add(dates.value_loc(later),
                         f"{later} ({_day(b)}) must come {relation} {earlier} ({_day(a)})")


def read_options(data: yamlsrc.YMap, scenario: Scenario, problems: Collector) -> None:
    """The `options:` of `data` over `scenario`'s (also for variant files)."""
    options = data.get("options", yamlsrc.YMap())
    if not isinstance(options, yamlsrc.YMap):
        problems.add(data.value_loc("options"),
                     f"options must be a mapping of name: true/false, not {describe(options)}")
        return
    yamlsrc.check_keys(options, OPTIONS, problems, what="option", template=yamlsrc.ASKED)
    for key, value in options.items():
        if key not in OPTIONS:
            continue
        if not isinstance(value, bool):
            problems.add(options.value_loc(key),
                         f"option {key} must be true or false, not {describe(value)}")
        else:
            scenario.options[key] = value
