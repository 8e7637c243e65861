"""What-if variant files (docs/formats/variants.md): scenario overrides, snapshot patches, a rule
layer.

A variant names what differs from the base run: options and dates merged over the base scenario,
`allowed_emails` replacing its list, patches (`assume:`, read in .patches) applied to the
snapshots as DuckDB views (.patching), and a rule pack layered over the packs of the base run.
Every problem of every variant file is collected with its `path:line:col` and raised once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.commands.whatif.patches import Patch, bind_conditions, read_patches
from simulator.errors import Collector, Loc, UserError, display_path
from simulator.inputs import scenario as scenario_mod
from simulator.inputs import yamlsrc
from simulator.inputs.scenario import Scenario
from simulator.inputs.yamlsrc import describe
from simulator.rules.loader import Source

KEYS = ("name", "options", "dates", "allowed_emails", "assume", "rules")
BASE = "base"  # the name of the run without a variant
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class Variant:
    name: str
    path: Path
    scenario: Scenario
    patches: list[Patch] = field(default_factory=list)
    rules: list[Path] = field(default_factory=list)  # layers, relative to the variant file
    sha256: str = ""
    name_loc: Loc = field(default_factory=lambda: Loc(""))

    @property
    def shown(self) -> str:
        return display_path(self.path)

    def scenario_changes(self, base: Scenario) -> list[str]:
        """What differs from the base scenario, one phrase each."""
        out = []
        for name, value in sorted(self.scenario.options.items()):
            if base.options.get(name) != value:
                out.append(f"{name}: {str(base.options.get(name)).lower()} → "
                           f"{str(value).lower()}")
        for name in scenario_mod.DATES:
            before, after = base.dates.get(name), self.scenario.dates.get(name)
            if before != after:
                out.append(f"{name}: {_day(before)} → {_day(after)}")
        if self.scenario.allowed_emails != base.allowed_emails:
            out.append(f"allowed_emails: {', '.join(self.scenario.allowed_emails) or 'none'}")
        return out

    def as_dict(self, base: Scenario) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.shown,
            "sha256": self.sha256,
            "scenario": self.scenario.as_dict(),
            "scenario_changes": self.scenario_changes(base),
            "assume": [p.as_dict() for p in self.patches],
            "rules": [display_path(p) for p in self.rules],
        }


def _day(value: dt.datetime | None) -> str:
    if value is None:
        return "not set"
    return value.date().isoformat() if value.time() == dt.time() else value.isoformat()


def load_variants(paths: list[Path], base: Scenario,
                  collector: Collector | None = None) -> list[Variant]:
    """Every variant file read and checked against the base scenario; all problems at once.

    With `collector`, problems are added to it and the variants without problems returned (the
    caller raises), so that it can check more (their rule layers) before reporting everything.
    """
    problems = collector if collector is not None else Collector()
    variants: list[Variant] = []
    seen: dict[str, Loc] = {BASE: Loc("the base run")}
    conditions: list[Patch] = []  # of every file, also of files with other problems
    for path in paths:
        try:
            variant = load_variant(path, base, problems, conditions)
        except UserError as e:  # unreadable or malformed YAML
            problems.extend(e.problems)
            continue
        if variant is None:
            continue
        key = variant.name.lower()
        if key in seen:
            problems.add(variant.name_loc, f"variant name '{variant.name}' is already used by "
                                           f"{seen[key]}: give each variant its own name")
            continue
        seen[key] = variant.name_loc
        variants.append(variant)
    before = len(problems.problems)
    bind_conditions(conditions, problems)
    failed = {p.loc.path for p in problems.problems[before:]}
    if collector is None:
        problems.raise_if_any()
    return [v for v in variants if v.shown not in failed]


def load_variant(path: Path, base: Scenario, problems: Collector,
                 conditions: list[Patch] | None = None) -> Variant | None:
    """One variant file, or None after collecting its problems. Patches whose `where` passed
    the static checks are added to `conditions`, for DuckDB to bind (`bind_conditions`)."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    if not isinstance(data, yamlsrc.YMap):
        problems.add(getattr(data, "loc", Loc(shown, 1, 1)),
                     "a variant is a mapping with name, options, dates, assume, rules "
                     "(see docs/formats/variants.md)")
        return None
    start = len(problems.problems)
    yamlsrc.check_keys(data, KEYS, problems)
    name = data.get("name", path.stem)
    name_loc = data.value_loc("name") if "name" in data else Loc(shown, 1, 1)
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add(name_loc, f"name must be a short name of letters, digits, '.', '-' or '_' "
                               f"(it names a folder), not {describe(name)}")
        name = path.stem
    scn = _scenario(data, base, problems, shown)
    text = path.read_bytes()
    src = Source(shown, text.decode("utf-8-sig").splitlines())
    patches = read_patches(data, problems, src, conditions if conditions is not None else [])
    rules = _rules(data, path, problems)
    if len(problems.problems) > start:
        return None
    return Variant(str(name), path, scn, patches, rules, hashlib.sha256(text).hexdigest(),
                   name_loc)


# --- scenario ----------------------------------------------------------------------------------


def _scenario(data: yamlsrc.YMap, base: Scenario, problems: Collector, shown: str) -> Scenario:
    """The base scenario with the variant's options and dates merged over it.

    The scenario module's own checks are reused: options as `options:` of a scenario file;
    dates as the base dates with the variant's replacing them, so the order of all dates is
    checked again (a problem points at the variant's date, or at its `dates:` mapping).
    """
    scn = copy.deepcopy(base)
    if "options" in data:
        scenario_mod.read_options(data, scn, problems)
    if "dates" in data:
        dates = data["dates"]
        if not isinstance(dates, yamlsrc.YMap):
            problems.add(data.value_loc("dates"),
                         f"dates must be a mapping of name: ISO date, not {describe(dates)}")
        else:
            merged = yamlsrc.YMap(dates.loc)
            for name, value in base.dates.items():
                merged[name] = value
                merged.key_locs[name] = merged.value_locs[name] = dates.loc
            for name, value in dates.items():
                merged[name] = value
                merged.key_locs[name] = dates.key_loc(name)
                merged.value_locs[name] = dates.value_loc(name)
            wrapper = yamlsrc.YMap(data.loc)
            wrapper["dates"] = merged
            wrapper.value_locs["dates"] = data.value_loc("dates")
            scn.dates = {}
            scenario_mod.read_dates(wrapper, scn, problems, shown)
    if "allowed_emails" in data:
        scenario_mod.read_emails(data, scn, problems)
    scn.source = shown
    return scn


# --- rules -------------------------------------------------------------------------------------


def _rules(data: yamlsrc.YMap, path: Path, problems: Collector) -> list[Path]:
    """`rules:` a folder (or a list of folders), relative to the variant file."""
    if "rules" not in data:
        return []
    raw = data["rules"]
    items = raw if isinstance(raw, list) else [raw]
    locs = raw.item_locs if isinstance(raw, yamlsrc.YList) else [data.value_loc("rules")]
    out = []
    for item, loc in zip(items, locs, strict=True):
        if not isinstance(item, str) or not item.strip():
            problems.add(loc, "rules must name a rule pack folder (relative to this file)")
            continue
        folder = path.parent / item
        if not folder.is_dir():
            problems.add(loc, f"rule pack folder '{item}' not found (looked for "
                              f"{display_path(folder)})")
            continue
        out.append(folder)
    return out
