"""Checking a pack before it runs: structure, SQL shape, names, and that DuckDB can bind it.

Every problem carries the location of the rule or fact it concerns; all are reported at once.
"""

from __future__ import annotations

import functools

import sqlglot.expressions as exp

from simulator import db
from simulator.errors import Collector, Loc, Problem
from simulator.inputs.tables import TABLES, post_table
from simulator.inputs.yamlsrc import suggest
from simulator.rules import metadata
from simulator.rules.analysis import columns_used, render
from simulator.rules.compile import base_sql, facts_for
from simulator.rules.model import (
    ABSENT_OUTCOMES,
    CONFIDENCES,
    OUTCOMES,
    SEVERITIES,
    Entity,
    Fact,
    Pack,
    Rule,
    linted,
)
from simulator.rules.sqlcheck import (
    Binder,
    check_entity_names,
    parse_expression,
)

ALMA_OUTCOMES = {"retained", "refreshed", "merged", "removed", "reverted", "detached",
                 "deactivated"}
EXTRACT_OUTCOMES = {"merged", "added", "rejected", "not_migrated"}


def lint(pack: Pack) -> list[Problem]:
    """Every problem of the pack, sorted by location.

    Static checks first (structure, SQL shape, names); then DuckDB binds every fact and rule
    that passed them, so one run reports both kinds without repeating a problem. The parsed
    expressions stay on the pack (`tree`), so nothing after lint parses them again.
    """
    problems = Collector()
    seen: dict[str, Loc] = {}
    for entity in pack.ordered():
        _structure(entity, seen, problems)
    bad: set[tuple[str, str]] = set()  # (entity id or '*', fact name or rule id) with a problem
    for fact in pack.shared_facts.values():
        _parse_fact(fact, "*", problems, bad)
    for entity in pack.ordered():
        for fact in entity.facts.values():
            _parse_fact(fact, entity.id, problems, bad)
            if fact.name in TABLES[entity.name].column_names:
                problems.add(fact.loc, f"fact '{fact.name}' hides a column of {entity.name}")
                bad.add((entity.id, fact.name))
        for rule in entity.rules:
            rule.tree = parse_expression(rule.when, rule.when_loc, rule.when_text_loc, problems,
                                         f"rule '{rule.id}'") if rule.when else None
            if rule.tree is None:  # a parse problem, or no `when` (the loader said so)
                bad.add((entity.id, rule.id))
        _entity_names(pack, entity, problems, bad)
        for rule in entity.rules:
            _expect(entity, rule, problems, bad)
            metadata.check(entity, rule, problems)
    binder = Binder()
    _bind(binder, pack, problems, bad)
    _bind_expectations(binder, pack, problems, bad)
    metadata.bind(binder, pack, problems)
    return sorted(set(problems.problems))


def _parse_fact(fact: Fact, owner: str, problems: Collector,
                bad: set[tuple[str, str]]) -> None:
    fact.tree = parse_expression(fact.sql, fact.loc, fact.text_loc, problems,
                                 f"fact '{fact.name}'")
    if fact.tree is None:
        bad.add((owner, fact.name))


def _entity_names(pack: Pack, entity: Entity, problems: Collector,
                  bad: set[tuple[str, str]]) -> None:
    """The names each fact the entity uses and each of its rules read must exist."""
    names = set(pack.shared_facts) | set(entity.facts) | pack.broken_facts | entity.broken
    checked: list[tuple[exp.Expression | None, set[str], Loc, str, str]] = [
        (f.tree, set(), f.loc, f"fact '{f.name}'", f.name)
        for f in [*entity.facts.values(), *pack.shared_facts.values()]
        if f.name in entity.facts or _uses(entity, f.name)]
    checked += [(r.tree, names, r.when_loc, f"rule '{r.id}'", r.id) for r in entity.rules]
    for tree, facts, loc, what, name in checked:
        if tree is None:
            continue
        before = len(problems.problems)
        check_entity_names(tree, entity, facts, loc, problems, what)
        if len(problems.problems) > before:
            bad.add((entity.id, name))


def _expect(entity: Entity, rule: Rule, problems: Collector,
            bad: set[tuple[str, str]]) -> None:
    """expect_after: one condition over the record's row in the post snapshot, and the same
    expectation in words for the reports (which would otherwise show the SQL)."""
    if rule.expect_describe is None and rule.expect_describe_loc is not None:
        problems.add(rule.expect_describe_loc,
                     f"rule '{rule.id}' expect_after needs describe: the expectation in plain "
                     "words, as the verify report shows it (expect_after: {sql: ..., "
                     "describe: ...})")
    if rule.expect_after is None:
        return
    loc = rule.expect_loc or rule.loc
    what = f"rule '{rule.id}' expect_after"
    target = post_table(entity.side, entity.name)
    if target is None:
        problems.add(loc, f"{what}: {entity.id} records have no Alma table to check after the "
                          "load")
        bad.add((entity.id, "expect:" + rule.id))
        return
    if rule.outcome in ABSENT_OUTCOMES:
        problems.add(loc, f"{what}: a {rule.outcome} record is not expected after the load, so "
                          "there is no row to check")
    rule.expect_tree = parse_expression(rule.expect_after, loc, None, problems, what)
    if rule.expect_tree is None:
        bad.add((entity.id, "expect:" + rule.id))
        return
    before = len(problems.problems)
    check_entity_names(rule.expect_tree, entity, set(), loc, problems, what, table_name=target)
    if len(problems.problems) > before:
        bad.add((entity.id, "expect:" + rule.id))


def _uses(entity: Entity, fact: str) -> bool:
    return any(
        r.tree is not None
        and any(c.name == fact and not c.table for c in r.tree.find_all(exp.Column))
        for r in entity.rules
    )


def _structure(entity: Entity, seen: dict[str, Loc], problems: Collector) -> None:
    allowed = ALMA_OUTCOMES if entity.side == "alma" else EXTRACT_OUTCOMES
    if not entity.rules:
        problems.add(entity.loc, f"{entity.id} has no rules: every record needs an outcome")
    for rule in entity.rules:
        if rule.id in seen:
            problems.add(rule.loc, f"duplicate rule id '{rule.id}' (first at {seen[rule.id]})")
        seen.setdefault(rule.id, rule.loc)
        outcome_loc = rule.outcome_loc or rule.loc
        if not rule.outcome:
            pass  # missing: the loader said so
        elif rule.outcome not in OUTCOMES:
            close = suggest(rule.outcome, OUTCOMES)
            problems.add(outcome_loc, f"rule '{rule.id}': unknown outcome '{rule.outcome}'{close} "
                                      f"(expected one of {', '.join(OUTCOMES)})")
        elif rule.outcome not in allowed:
            problems.add(outcome_loc, f"rule '{rule.id}': outcome '{rule.outcome}' does not apply "
                                      f"to {entity.side}-side records (use "
                                      f"{', '.join(sorted(allowed))})")
        if rule.confidence not in CONFIDENCES:
            problems.add(rule.confidence_loc or rule.loc,
                         f"rule '{rule.id}': confidence must be documented or inferred, "
                         f"not '{rule.confidence}'")
        if rule.finding and rule.finding.severity not in SEVERITIES:
            problems.add(rule.finding.loc, f"rule '{rule.id}': severity must be one of "
                                           f"{', '.join(SEVERITIES)}, not "
                                           f"'{rule.finding.severity}'")
    if entity.rules and not entity.broken:  # a rule that failed to load may be the catch-all
        last = entity.rules[-1]
        if last.when.strip().lower() != "true":
            problems.add(last.when_loc, f"{entity.id}: the last rule ('{last.id}') must be a "
                                        "catch-all with `when: true` so no record goes "
                                        "unclassified")


def _bind(binder: Binder, pack: Pack, problems: Collector,
          bad: set[tuple[str, str]]) -> None:
    """Let DuckDB bind every fact and rule over empty tables: types and functions get checked.

    Facts and rules that already have a problem are skipped (DuckDB would only repeat it), and
    so are the rules of an entity whose facts do not bind.
    """
    for entity in pack.ordered():
        missing = entity.broken | pack.broken_facts  # names that failed to load
        rules = [r for r in entity.rules
                 if r.tree is not None and (entity.id, r.id) not in bad
                 and not columns_used(r.tree) & missing]
        facts = facts_for(entity, pack, rules)
        if any((entity.id, f.name) in bad or ("*", f.name) in bad for f in facts):
            continue
        alias = db.ident(entity.name)
        source = f"{db.qualified(entity.schema, TABLES[entity.name].name)} as {alias}"
        texts = [render(linted(f.tree)) for f in facts]
        bound = binder.types(texts, source)
        for fact, (_, error) in zip(facts, bound, strict=True):
            if error is not None:
                problems.add(fact.loc, f"fact '{fact.name}' in {entity.id}: {error}")
        if any(error is not None for _, error in bound):
            continue
        whens = [render(linted(rule.tree)) for rule in rules]
        found = binder.types(  # the facts as columns: built only when not bound before
            whens, functools.partial(_with_facts, entity, facts),
            key=(entity.id, tuple(f.name for f in facts), tuple(texts)))
        for rule, (kind, error) in zip(rules, found, strict=True):
            if error is not None:
                problems.add(rule.when_loc, f"rule '{rule.id}': {error}")
            elif kind != "BOOLEAN":
                problems.add(rule.when_loc, f"rule '{rule.id}': when must be true or false, "
                                            f"but this expression gives {kind}")


def _with_facts(entity: Entity, facts: list[Fact]) -> str:
    return f"({base_sql(entity, facts)}) as {db.ident(entity.name)}"


def _bind_expectations(binder: Binder, pack: Pack, problems: Collector,
                       bad: set[tuple[str, str]]) -> None:
    """DuckDB binds each expect_after over an empty post snapshot; it must be boolean."""
    rules = [(e, r) for e, r in pack.rules()
             if r.expect_tree is not None and (e.id, "expect:" + r.id) not in bad]
    if not rules:
        return
    by_target: dict[str, list[Rule]] = {}
    for entity, rule in rules:
        by_target.setdefault(post_table(entity.side, entity.name) or entity.name,
                             []).append(rule)
    for target, some in by_target.items():
        source = f"{db.qualified('post', target)} as {db.ident(target)}"
        found = binder.types([render(linted(r.expect_tree)) for r in some], source)
        for rule, (kind, error) in zip(some, found, strict=True):
            loc = rule.expect_loc or rule.loc
            if error is not None:
                problems.add(loc, f"rule '{rule.id}' expect_after: {error}")
            elif kind != "BOOLEAN":
                problems.add(loc, f"rule '{rule.id}' expect_after must be true or false, "
                                  f"not {kind}")


