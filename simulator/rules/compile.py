"""Compiling an entity's rules into one SQL pass.

Facts become columns of one `base` projection (each evaluated once per record); the ordered
rules become one CASE that yields the index of the first rule that matches. Scenario values stay
`$name` parameters; names reach the SQL only through `db.ident`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
import sqlglot.expressions as exp

from simulator import db
from simulator.privacy import pseudonym_sql
from simulator.rules.model import Entity, Fact, Pack, Rule
from simulator.tables import TABLES

DIALECT = "duckdb"


def parse(text: str) -> exp.Expression:
    """Parse one expression (the linter has already rejected anything else)."""
    trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    if len(trees) != 1 or not isinstance(trees[0], exp.Expression):
        raise ValueError(f"expected one expression, found {len(trees)}")
    return trees[0]


def render(tree: exp.Expression) -> str:
    return tree.sql(dialect=DIALECT)


def columns_used(tree: exp.Expression) -> set[str]:
    return {c.name for c in tree.find_all(exp.Column) if not c.table}


def params_used(trees: list[exp.Expression]) -> set[str]:
    return {p.name for t in trees for p in t.find_all(exp.Placeholder) if p.name}


@dataclass
class Compiled:
    entity: Entity
    facts: list[Fact]
    sql: str  # one pass: record_key, rule_index
    params: set[str]

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: values[k] for k in sorted(self.params)}


def facts_for(entity: Entity, pack: Pack, rules: list[Rule] | None = None) -> list[Fact]:
    """The entity's facts plus the shared facts its rules (or `rules`) mention, sorted."""
    named = dict(entity.facts)
    wanted = set(named)
    for rule in entity.rules if rules is None else rules:
        wanted |= columns_used(rule.tree or parse(rule.when))
    for name, fact in sorted(pack.shared_facts.items()):
        if name in wanted and name not in named:
            named[name] = fact
    return [named[n] for n in sorted(named)]


def key_sql(entity: Entity, alias: str, pseudonymize: bool = False) -> str:
    """The ledger key: parts joined by `|`; Primary IDs as keyed pseudonyms when asked."""
    table = TABLES[entity.name]
    parts = []
    for k in entity.key:
        part = f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')"
        if pseudonymize and table.column(k).ci:
            part = pseudonym_sql(part)
        parts.append(part)
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def base_sql(entity: Entity, facts: list[Fact]) -> str:
    """The entity's rows with one column per fact (one line per fact)."""
    alias = db.ident(entity.name)
    cols = [f"{alias}.*"] + [f"({render(f.tree or parse(f.sql))}) as {db.ident(f.name)}"
                             for f in facts]
    source = db.qualified(entity.schema, TABLES[entity.name].name)
    return "select " + ",\n    ".join(cols) + f"\n  from {source} as {alias}"


def case_sql(rules: list[Rule]) -> str:
    """One CASE over the ordered rules: the index of the first whose `when` holds."""
    whens = "".join(
        f"\n    when ({render(r.tree or parse(r.when))}) then {i}" for i, r in enumerate(rules)
    )
    return f"case{whens}\n  end"


def _trees(facts: list[Fact], rules: list[Rule]) -> list[exp.Expression]:
    return [f.tree or parse(f.sql) for f in facts] + [r.tree or parse(r.when) for r in rules]


def compile_entity(entity: Entity, pack: Pack, pseudonymize: bool = False) -> Compiled:
    """One pass over the entity's table: `record_key` and the index of the deciding rule."""
    facts = facts_for(entity, pack)
    alias = db.ident(entity.name)
    key = key_sql(entity, alias, pseudonymize)
    sql = (
        f"with base as (\n  {base_sql(entity, facts)}\n)\n"
        f"select {key} as record_key,\n"
        f"  {case_sql(entity.rules)} as rule_index\n"
        f"from base as {alias}\n"
    )
    params = params_used(_trees(facts, entity.rules))
    if "$pseudonymize_key" in key:
        params.add("pseudonymize_key")
    return Compiled(entity, facts, sql, params)


def explain_sql(entity: Entity, pack: Pack, key_parts: int) -> Compiled:
    """Every fact and every rule's `when` for the records whose key matches `$k0..$kN`."""
    facts = facts_for(entity, pack)
    alias = db.ident(entity.name)
    table = TABLES[entity.name]
    conds = []
    for i, k in enumerate(entity.key[:key_parts]):
        col = f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')"
        if table.column(k).ci:
            conds.append(f"lower({col}) = lower($k{i})")
        else:
            conds.append(f"{col} = $k{i}")
    values = [f"({render(r.tree or parse(r.when))}) as {db.ident('rule:' + r.id)}"
              for r in entity.rules]
    fact_cols = [f"{alias}.{db.ident(f.name)}" for f in facts]
    sql = (
        f"with base as (\n  {base_sql(entity, facts)}\n)\n"
        f"select {key_sql(entity, alias)} as record_key,\n  "
        + ",\n  ".join(fact_cols + values)
        + f"\nfrom base as {alias}\nwhere {' and '.join(conds)}\norder by record_key\n"
    )
    params = params_used(_trees(facts, entity.rules)) | {f"k{i}" for i in range(key_parts)}
    return Compiled(entity, facts, sql, params)
