"""Reading a rule's metadata: what readiness, the runbook and verify need to know about it
(docs/rules.md, "Rule metadata"). The linter checks the names and the SQL (rules/lint.py)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Any

from simulator import db
from simulator.errors import Collector, Loc
from simulator.inputs import yamlsrc
from simulator.inputs.tables import post_table
from simulator.inputs.yamlsrc import suggest
from simulator.rules.analysis import render
from simulator.rules.model import (
    ABSENT_OUTCOMES,
    Entity,
    FindingSpec,
    GoliveAction,
    GoliveCheck,
    Pack,
    Rule,
)
from simulator.rules.sqlcheck import (
    Binder,
    check_entity_names,
    parse_expression,
    parse_query,
)
from simulator.rules.vocabulary import AREAS, CHECKED_BY, READINESS_OPTIONS, WORKLOADS

FINDING_KEYS = ("severity", "title", "fix")
FINDING_EXTRAS = ("area", "detail", "workload", "info_up_to", "export", "checked_by")
GOLIVE_CHECK_KEYS = ("class", "title", "expect", "expected", "observed")
GOLIVE_ACTION_KEYS = ("when", "text")


def _texts(raw: yamlsrc.YMap, keys: tuple[str, ...], problems: Collector, what: str) -> bool:
    """Whether every key in `keys` is given as text; problems are reported."""
    missing = [k for k in keys if not isinstance(raw.get(k), str) or not raw[k].strip()]
    if missing:
        problems.add(raw.loc, f"{what} needs {', '.join(keys[:-1])} and {keys[-1]} (text); "
                              f"missing or not text: {', '.join(missing)}")
    return not missing


def unknown_keys(raw: yamlsrc.YMap, allowed: Iterable[str], problems: Collector,
                 what: str) -> None:
    """Every key of a rule pack's mapping that is not `allowed`, located, in the packs' words."""
    names = sorted(allowed)
    yamlsrc.check_keys(raw, names, problems, what=f"{what} key", template=yamlsrc.LISTED,
                       expected="one of " + ", ".join(names))


def _mapping(item: yamlsrc.YMap, key: str, problems: Collector,
             shape: str) -> yamlsrc.YMap | None:
    raw = item.get(key)
    if raw is None:
        return None
    if not isinstance(raw, yamlsrc.YMap):
        problems.add(item.value_loc(key), f"{key} must be a mapping with {shape}")
        return None
    return raw


def finding(item: yamlsrc.YMap, problems: Collector) -> FindingSpec | None:
    raw = _mapping(item, "finding", problems, "severity, title, fix")
    if raw is None:
        return None
    unknown_keys(raw, FINDING_KEYS + FINDING_EXTRAS, problems, "finding")
    if not all(isinstance(raw.get(k), str) for k in FINDING_KEYS):
        problems.add(raw.loc, "finding needs severity, title and fix (text)")
        return None
    spec = FindingSpec(raw["severity"], raw["title"], raw["fix"], raw.value_loc("severity"),
                       locs={k: raw.value_loc(k) for k in raw})
    for key in ("area", "detail", "workload", "info_up_to", "export"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.add(raw.value_loc(key), f"finding {key} must be text")
        elif value is not None:
            setattr(spec, key, " ".join(value.split()) if key == "detail" else value.strip())
    checked_by = raw.get("checked_by", [])
    if not isinstance(checked_by, list) or not all(isinstance(c, str) for c in checked_by):
        problems.add(raw.value_loc("checked_by"), "finding checked_by must be a list of "
                                                  "readiness check ids")
    else:
        spec.checked_by = tuple(checked_by)
    return spec


def golive_check(item: yamlsrc.YMap, problems: Collector) -> GoliveCheck | None:
    raw = _mapping(item, "golive_check", problems, ", ".join(GOLIVE_CHECK_KEYS))
    if raw is None:
        return None
    unknown_keys(raw, GOLIVE_CHECK_KEYS, problems, "golive_check")
    if not _texts(raw, GOLIVE_CHECK_KEYS, problems, "golive_check"):
        return None
    flat = {k: " ".join(str(raw[k]).split()) for k in GOLIVE_CHECK_KEYS}
    return GoliveCheck(flat["class"], flat["title"], flat["expect"], flat["expected"],
                       flat["observed"], raw.value_loc("expect"))


def golive_action(item: yamlsrc.YMap, problems: Collector) -> GoliveAction | None:
    raw = _mapping(item, "golive_action", problems, "when and text")
    if raw is None:
        return None
    unknown_keys(raw, GOLIVE_ACTION_KEYS, problems, "golive_action")
    if not _texts(raw, GOLIVE_ACTION_KEYS, problems, "golive_action"):
        return None
    return GoliveAction(" ".join(str(raw["when"]).split()), " ".join(str(raw["text"]).split()),
                        raw.value_loc("when"))


def loc_of(spec: Any, key: str, default: Loc) -> Loc:
    """Where a metadata key was written (for lint messages)."""
    locs = getattr(spec, "locs", {})
    return locs.get(key, getattr(spec, "loc", default))


# -- checks (called by rules/lint.py) ---------------------------------------------------------

_EXPORT = re.compile(r"^[a-z0-9][a-z0-9-]*\.csv$")
RESERVED_FILES = ("ledger.csv", "findings.csv", "runbook.csv", "discrepancies.csv")


def check(entity: Entity, rule: Rule, problems: Collector) -> None:
    """The names of the rule's metadata must be known and its SQL well formed."""
    if rule.finding is not None:
        _check_finding(entity, rule, rule.finding, problems)
    target = post_table(entity.side, entity.name)
    for spec, key in ((rule.golive_check, "golive_check"), (rule.golive_action, "golive_action")):
        if spec is None:
            continue
        if entity.side != "alma" or target is None:
            problems.add(spec.loc, f"rule '{rule.id}' {key}: only Alma-side records are "
                                   "checked at go-live")
        elif rule.outcome in ABSENT_OUTCOMES:
            problems.add(spec.loc, f"rule '{rule.id}' {key}: a {rule.outcome} record is not "
                                   "there at go-live")
    if rule.golive_check is not None and target is not None:
        _check_golive(entity, rule, rule.golive_check, target, problems)
    if rule.golive_action is not None and target is not None:
        _check_action(entity, rule, rule.golive_action, target, problems)


def _known(spec: FindingSpec, key: str, value: str | None, known: Any, rule: Rule,
           problems: Collector) -> None:
    if value is not None and value not in known:
        problems.add(loc_of(spec, key, rule.loc),
                     f"rule '{rule.id}' finding {key}: unknown {key} '{value}'"
                     f"{suggest(value, known)} (expected one of {', '.join(sorted(known))})")


def _check_finding(entity: Entity, rule: Rule, spec: FindingSpec, problems: Collector) -> None:
    _known(spec, "area", spec.area, AREAS, rule, problems)
    _known(spec, "workload", spec.workload, WORKLOADS, rule, problems)
    _known(spec, "info_up_to", spec.info_up_to, READINESS_OPTIONS, rule, problems)
    for check_id in spec.checked_by:
        _known(spec, "checked_by", check_id, CHECKED_BY, rule, problems)
    if spec.export is not None and (not _EXPORT.match(spec.export)
                                    or spec.export in RESERVED_FILES):
        problems.add(loc_of(spec, "export", rule.loc),
                     f"rule '{rule.id}' finding export: '{spec.export}' must be a file name "
                     "like unfulfilled-holds.csv (lower case, digits and -, ending .csv), not "
                     f"one of {', '.join(RESERVED_FILES)}")
    if spec.detail is not None:
        spec.detail_tree = parse_query(spec.detail, loc_of(spec, "detail", rule.loc), problems,
                                       f"rule '{rule.id}' finding detail")


def _check_golive(entity: Entity, rule: Rule, spec: GoliveCheck, target: str,
                  problems: Collector) -> None:
    what = f"rule '{rule.id}' golive_check"
    if not _CLASS_NAME.match(spec.klass):
        problems.add(spec.loc, f"{what}: class '{spec.klass}' must be a lower-case name with "
                               "underscores (job_not_enabled)")
    spec.expect_tree = parse_expression(spec.expect, spec.loc, None, problems,
                                        f"{what} expect", boolean=True, params=set())
    spec.observed_tree = parse_expression(spec.observed, spec.loc, None, problems,
                                          f"{what} observed", boolean=False, params=set())
    before = len(problems.problems)
    for tree, part in ((spec.expect_tree, "expect"), (spec.observed_tree, "observed")):
        if tree is not None:
            check_entity_names(tree, entity, set(), spec.loc, problems, f"{what} {part}",
                               table_name=target)
    if len(problems.problems) > before:  # DuckDB would only repeat the problem
        spec.expect_tree = spec.observed_tree = None


def _check_action(entity: Entity, rule: Rule, spec: GoliveAction, target: str,
                  problems: Collector) -> None:
    what = f"rule '{rule.id}' golive_action"
    spec.when_tree = parse_expression(spec.when, spec.loc, None, problems, f"{what} when",
                                      boolean=True, params=set())
    if spec.when_tree is not None:
        before = len(problems.problems)
        check_entity_names(spec.when_tree, entity, set(), spec.loc, problems, f"{what} when",
                           table_name=target)
        if len(problems.problems) > before:
            spec.when_tree = None
    fields = {f for _, f, _, _ in string.Formatter().parse(spec.text) if f is not None}
    if fields - {"name"}:
        problems.add(spec.loc, f"{what} text: only {{name}} can be filled in, not "
                               f"{', '.join('{' + f + '}' for f in sorted(fields - {'name'}))}")


_CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def bind(binder: Binder, pack: Pack, problems: Collector) -> None:
    """DuckDB binds the metadata's SQL over empty snapshots: details give `k` and `d`, go-live
    conditions are boolean."""
    for entity, rule in pack.rules():
        target = post_table(entity.side, entity.name) or entity.name
        source = f"{db.qualified('post', target)} as {db.ident(target)}"
        for sql, loc, what, kind in _bindable(rule, source):
            found, error = binder.type(sql)
            if error is not None:
                problems.add(loc, f"{what}: {error}")
            elif kind and found != kind:
                problems.add(loc, f"{what} must be true or false, not {found}")


def _bindable(rule: Rule, source: str) -> list[tuple[str, Loc, str, str | None]]:
    """(SQL to describe, where, what, the type it must have) for each part that parsed."""
    out: list[tuple[str, Loc, str, str | None]] = []
    spec = rule.finding
    if spec is not None and spec.detail_tree is not None:
        out.append((f"select k, d from ({render(spec.detail_tree)})",
                    loc_of(spec, "detail", rule.loc), f"rule '{rule.id}' finding detail", None))
    check = rule.golive_check
    if check is not None and check.expect_tree is not None and check.observed_tree is not None:
        what = f"rule '{rule.id}' golive_check"
        out.append((f"select ({render(check.expect_tree)}) as v from {source}", check.loc,
                    f"{what} expect", "BOOLEAN"))
        out.append((f"select ({render(check.observed_tree)}) as v from {source}", check.loc,
                    f"{what} observed", None))
    action = rule.golive_action
    if action is not None and action.when_tree is not None:
        out.append((f"select ({render(action.when_tree)}) as v from {source}", action.loc,
                    f"rule '{rule.id}' golive_action when", "BOOLEAN"))
    return out
