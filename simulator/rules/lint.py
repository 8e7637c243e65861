"""Checking a pack before it runs: structure, SQL shape, names, and that DuckDB can bind it.

Every problem carries the location of the rule or fact it concerns; all are reported at once.
"""

from __future__ import annotations

import difflib
import re

import sqlglot
import sqlglot.errors
import sqlglot.expressions as exp

from simulator import db
from simulator.errors import Collector, Loc, Problem
from simulator.inputs import scenario, snapshot
from simulator.inputs.tables import TABLES, post_table, tables_for
from simulator.rules.compile import (
    DIALECT,
    base_sql,
    columns_used,
    facts_for,
    parse,
    render,
)
from simulator.rules.model import (
    ABSENT_OUTCOMES,
    CONFIDENCES,
    OUTCOMES,
    SEVERITIES,
    Entity,
    Pack,
    Rule,
)

ALMA_OUTCOMES = {"retained", "refreshed", "merged", "removed", "reverted", "detached",
                 "deactivated"}
EXTRACT_OUTCOMES = {"merged", "added", "rejected", "not_migrated"}
_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")  # sqlglot names its node classes
SNAPSHOT_SIDE = {"pre": "alma", "extract": "extract", "testload": "alma"}
# Statements: never a rule's `when` nor anything inside it (only SELECT subqueries may nest).
_STATEMENTS: tuple[type[exp.Expression], ...] = tuple(
    c for c in (getattr(exp, n, None) for n in (
        "DDL", "DML", "Command", "Drop", "Alter", "Attach", "Detach", "Install", "Summarize",
        "TruncateTable", "Grant", "Revoke", "Show", "Pragma", "Set", "Use", "Copy",
        "Transaction", "Commit", "Rollback", "Describe", "Analyze", "Kill", "Cache", "Uncache",
        "Refresh", "LoadData", "Export", "Comment", "Declare", "Execute",
    )) if isinstance(c, type)
)
# Functions a rule may not call: they read files or settings, or are not deterministic.
_FORBIDDEN = {
    "READ_CSV", "READ_CSV_AUTO", "READ_PARQUET", "READ_JSON", "READ_JSON_AUTO", "READ_TEXT",
    "READ_BLOB", "READ_NDJSON", "GLOB", "PARQUET_SCAN", "QUERY", "QUERY_TABLE", "SQLITE_SCAN",
    "POSTGRES_SCAN", "GETENV", "CURRENT_SETTING", "RANDOM", "RAND", "UUID", "GEN_RANDOM_UUID",
    "NOW", "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENTDATE", "CURRENTTIMESTAMP", "SETSEED",
    "NEXTVAL", "TODAY", "GETVARIABLE", "CURRENT_TIME", "LOCALTIME", "LOCALTIMESTAMP",
    "TRANSACTION_TIMESTAMP", "GET_CURRENT_TIMESTAMP", "GET_CURRENT_TIME", "CURRENTTIME",
}


def lint(pack: Pack) -> list[Problem]:
    """Every problem of the pack, sorted by location.

    Static checks first (structure, SQL shape, names); then DuckDB binds every fact and rule
    that passed them, so one run reports both kinds without repeating a problem.
    """
    problems = Collector()
    seen: dict[str, Loc] = {}
    for entity in pack.ordered():
        _structure(entity, seen, problems)
    bad: set[tuple[str, str]] = set()  # (entity id or '*', fact name or rule id) with a problem
    for fact in pack.shared_facts.values():
        fact.tree = _parse(fact.sql, fact.loc, fact.text_loc, problems, f"fact '{fact.name}'")
        if fact.tree is None:
            bad.add(("*", fact.name))
    for entity in pack.ordered():
        for fact in entity.facts.values():
            fact.tree = _parse(fact.sql, fact.loc, fact.text_loc, problems, f"fact '{fact.name}'")
            if fact.tree is None:
                bad.add((entity.id, fact.name))
            if fact.name in TABLES[entity.name].column_names:
                problems.add(fact.loc, f"fact '{fact.name}' hides a column of {entity.name}")
                bad.add((entity.id, fact.name))
        for rule in entity.rules:
            rule.tree = _parse(rule.when, rule.when_loc, rule.when_text_loc, problems,
                               f"rule '{rule.id}'")
            if rule.tree is None:
                bad.add((entity.id, rule.id))
        names = set(pack.shared_facts) | set(entity.facts) | pack.broken_facts | entity.broken
        for fact in [*entity.facts.values(), *pack.shared_facts.values()]:
            if fact.tree is not None and (fact.name in entity.facts or _uses(entity, fact.name)):
                before = len(problems.problems)
                _names(fact.tree, entity, set(), fact.loc, problems, f"fact '{fact.name}'")
                if len(problems.problems) > before:
                    bad.add((entity.id, fact.name))
        for rule in entity.rules:
            if rule.tree is not None:
                before = len(problems.problems)
                _names(rule.tree, entity, names, rule.when_loc, problems, f"rule '{rule.id}'")
                if len(problems.problems) > before:
                    bad.add((entity.id, rule.id))
            _expect(entity, rule, problems, bad)
    _bind(pack, problems, bad)
    _bind_expectations(pack, problems, bad)
    return sorted(set(problems.problems))


def _expect(entity: Entity, rule: Rule, problems: Collector,
            bad: set[tuple[str, str]]) -> None:
    """expect_after: one condition over the record's row in the post snapshot."""
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
    rule.expect_tree = _parse(rule.expect_after, loc, None, problems, what)
    if rule.expect_tree is None:
        bad.add((entity.id, "expect:" + rule.id))
        return
    before = len(problems.problems)
    _names(rule.expect_tree, entity, set(), loc, problems, what, table_name=target)
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
        if rule.outcome not in OUTCOMES:
            hint = _hint(rule.outcome, OUTCOMES)
            problems.add(outcome_loc, f"rule '{rule.id}': unknown outcome '{rule.outcome}'{hint} "
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


def _parse(text: str, loc: Loc, text_loc: Loc | None, problems: Collector,
           what: str, boolean: bool | None = None,
           params: set[str] | None = None) -> exp.Expression | None:
    """One boolean-shaped expression, or None after reporting why not.

    `loc` is where the value starts in the pack file; `text_loc`, when known, is where the SQL
    text starts on a single source line, so a parse error can point at its token. `boolean`
    (default: whether `what` names a rule) words the messages; `params` are the `$names` the
    text may use (default: every scenario value; empty: none).
    """
    try:
        trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as e:
        detail = e.errors[0] if isinstance(e, sqlglot.errors.ParseError) and e.errors else {}
        desc = _CLASS.sub(r"\1", str(detail.get("description") or str(e).splitlines()[0]))
        near = str(detail.get("highlight") or "")
        where = loc
        if text_loc is not None and detail and int(detail.get("line") or 0) == 1:
            end_col = int(detail.get("col") or 1)  # sqlglot: the last column of the token
            where = text_loc.at(0, max(end_col - len(near), 0))
        problems.add(where, f"{what}: cannot parse SQL: {desc}"
                            + (f" (at '{near}')" if near else ""))
        return None
    if len(trees) != 1:
        problems.add(loc, f"{what}: must be exactly one SQL expression, found {len(trees)} "
                          "statements")
        return None
    tree = trees[0]
    if boolean is None:
        boolean = what.startswith("rule")
    shape = "boolean expression" if boolean else "SQL expression"
    if isinstance(tree, (*_STATEMENTS, exp.Query)) and not isinstance(tree, exp.Subquery):
        problems.add(loc, f"{what}: must be one {shape}, not a {tree.key.upper()} statement")
        return None
    if not isinstance(tree, exp.Expression):
        problems.add(loc, f"{what}: must be one {shape}")
        return None
    known = scenario.param_names() if params is None else params
    for node in tree.walk():
        if isinstance(node, _STATEMENTS):
            problems.add(loc, f"{what}: only SELECT subqueries are allowed, found "
                              f"{node.key.upper()}")
            return None
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
            if name in _FORBIDDEN:
                problems.add(loc, f"{what}: function {name.lower()}() is not allowed in rules "
                                  "(rules read snapshot tables and scenario values only)")
                return None
        if isinstance(node, exp.Placeholder) and not known:
            problems.add(loc, f"{what}: scenario values (${node.name or '?'}) cannot be used "
                              "here; write the value itself")
            return None
        if isinstance(node, exp.Placeholder) and node.name not in known:
            hint = _hint(f"${node.name}", {f"${p}" for p in known})
            problems.add(loc, f"{what}: unknown scenario value ${node.name or '?'}{hint} "
                              f"(known: {', '.join('$' + p for p in sorted(known))})")
            return None
    return tree


def parse_condition(text: str, loc: Loc, problems: Collector, what: str,
                    text_loc: Loc | None = None,
                    params: set[str] | None = None) -> exp.Expression | None:
    """One boolean SQL condition with the checks every rule's `when` gets (one expression, no
    statements, no file-reading or non-deterministic functions, known `$names`), or None after
    reporting why not. Shared with what-if patches (`where:`)."""
    return _parse(text, loc, text_loc, problems, what, boolean=True, params=params)


def check_names(tree: exp.Expression, table: str, side: str, loc: Loc, problems: Collector,
                what: str) -> bool:
    """Whether every table, alias and column `tree` names exists, read as a condition over a
    row of `table` (of `side`) that may also read snapshot tables; problems are reported."""
    before = len(problems.problems)
    _names(tree, Entity(table, side, TABLES[table].key, loc), set(), loc, problems, what)
    return len(problems.problems) == before


def _hint(word: str, choices: object) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)  # type: ignore[call-overload]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _names(tree: exp.Expression, entity: Entity, facts: set[str], loc: Loc,
           problems: Collector, what: str, table_name: str | None = None) -> None:
    """Every table, alias and column `tree` names must exist.

    `table_name` is the row's own table when it is not the entity's (expect_after reads the
    post snapshot's row, which may be another table, and may also read post.<table>).
    """
    schemas = {**SNAPSHOT_SIDE, **({"post": "alma"} if table_name else {})}
    table_name = table_name or entity.name
    own = set(TABLES[table_name].column_names) | {"_row"}
    for table in tree.find_all(exp.Table):
        schema, name = table.db, table.name
        side = schemas.get(schema)
        if not isinstance(table.this, exp.Identifier) or side is None or \
                name not in {t.name for t in tables_for(side)}:
            names = [f"{s}.<table>" for s in schemas]
            problems.add(loc, f"{what}: unknown table '{table.sql(dialect=DIALECT)}' (read "
                              f"snapshot tables as {', '.join(names[:-1])} or {names[-1]})")
    for col in tree.find_all(exp.Column):
        if not col.name:
            continue
        scopes = _enclosing_sources(col)
        if col.table:
            if col.table == table_name:
                known = own
            elif col.table in scopes:
                known = scopes[col.table]
            else:
                problems.add(loc, f"{what}: unknown table or alias '{col.table}' in "
                                  f"'{col.sql(dialect=DIALECT)}'")
                continue
            if col.name not in known:
                problems.add(loc, f"{what}: unknown column '{col.table}.{col.name}'"
                                  f"{_hint(col.name, known)}")
            continue
        visible = own | facts
        for cols in scopes.values():
            visible |= cols
        if col.name not in visible:
            problems.add(loc, f"{what}: unknown column or fact '{col.name}'"
                              f"{_hint(col.name, visible)}")


def _enclosing_sources(node: exp.Expression) -> dict[str, set[str]]:
    """Alias -> columns of the snapshot tables in the SELECTs around `node`."""
    out: dict[str, set[str]] = {}
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            for table in parent.find_all(exp.Table):
                if table.parent_select is not parent:
                    continue
                spec = TABLES.get(table.name)
                if spec is not None:
                    out[table.alias_or_name] = set(spec.column_names) | {"_row"}
        parent = parent.parent
    return out


def _bind(pack: Pack, problems: Collector, bad: set[tuple[str, str]]) -> None:
    """Let DuckDB bind every fact and rule over empty tables: types and functions get checked.

    Facts and rules that already have a problem are skipped (DuckDB would only repeat it), and
    so are the rules of an entity whose facts do not bind.
    """
    con = db.connect()
    try:
        for schema, side in SNAPSHOT_SIDE.items():
            snapshot.attach(con, schema, None, side)
        params = scenario.example_params()
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
            failed = False
            for fact in facts:
                sql = f"select ({render(fact.tree or parse(fact.sql))}) as v from {source}"
                try:
                    con.execute(f"describe {sql}", _bind_params(sql, params))
                except db.DuckDBError as e:
                    problems.add(fact.loc, f"fact '{fact.name}' in {entity.id}: {_first(e)}")
                    failed = True
            if failed:
                continue
            base = base_sql(entity, facts)
            for rule in rules:
                when = render(rule.tree or parse(rule.when))
                sql = f"select ({when}) as v from ({base}) as {alias}"
                try:
                    kind = con.rows(f"describe {sql}", _bind_params(sql, params))[0][1]
                except db.DuckDBError as e:
                    problems.add(rule.when_loc, f"rule '{rule.id}': {_first(e)}")
                    continue
                if kind != "BOOLEAN":
                    problems.add(rule.when_loc, f"rule '{rule.id}': when must be true or false, "
                                                f"but this expression gives {kind}")
    finally:
        con.close()


def _bind_expectations(pack: Pack, problems: Collector, bad: set[tuple[str, str]]) -> None:
    """DuckDB binds each expect_after over an empty post snapshot; it must be boolean."""
    rules = [(e, r) for e, r in pack.rules()
             if r.expect_tree is not None and (e.id, "expect:" + r.id) not in bad]
    if not rules:
        return
    con = db.connect()
    try:
        for schema, side in (*SNAPSHOT_SIDE.items(), ("post", "alma")):
            snapshot.attach(con, schema, None, side)
        params = scenario.example_params()
        for entity, rule in rules:
            target = post_table(entity.side, entity.name) or entity.name
            sql = (f"select ({render(rule.expect_tree or parse(rule.expect_after or ''))}) as v "
                   f"from {db.qualified('post', target)} as {db.ident(target)}")
            try:
                kind = con.rows(f"describe {sql}", _bind_params(sql, params))[0][1]
            except db.DuckDBError as e:
                problems.add(rule.expect_loc or rule.loc,
                             f"rule '{rule.id}' expect_after: {_first(e)}")
                continue
            if kind != "BOOLEAN":
                problems.add(rule.expect_loc or rule.loc, f"rule '{rule.id}' expect_after must "
                                                          f"be true or false, not {kind}")
    finally:
        con.close()


def _bind_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in params.items() if f"${k}" in sql}


def _first(e: Exception) -> str:
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    return " ".join(lines[:2])
