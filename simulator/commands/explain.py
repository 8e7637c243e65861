"""`cutover explain`: for one record, every rule in order, its `when` value, the facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.core import engine
from simulator.core.session import Session
from simulator.errors import Loc, Problem, UserError
from simulator.inputs.scenario import Scenario
from simulator.inputs.tables import SCHEMA_SIDE, TABLES
from simulator.rules import analysis
from simulator.rules import compile as rc
from simulator.rules.model import Entity, Pack, Rule, linted


@dataclass
class RuleStep:
    rule: Rule
    value: bool | None
    decided: bool


@dataclass
class Explanation:
    entity: Entity
    record_key: str
    facts: dict[str, Any]
    steps: list[RuleStep]

    @property
    def decision(self) -> Rule:
        return next(s.rule for s in self.steps if s.decided)


def resolve_entity(pack: Pack, name: str) -> Entity:
    """`users`, `extract.vendors` or `alma.vendors`; a bare shared name means the Alma side."""
    side, _, table = name.strip().lower().rpartition(".")
    if side and (side, table) in pack.entities:
        return pack.entities[(side, table)]
    if not side:
        for s in ("alma", "extract"):
            if (s, table) in pack.entities:
                return pack.entities[(s, table)]
    known = sorted({e.id for e in pack.entities.values()})
    raise UserError(Problem(Loc("ENTITY"), f"unknown entity '{name}' (known: {', '.join(known)})"))


def key_parts(entity: Entity, key: str) -> list[str]:
    """The parts of a record key as the ledger writes it (`P02401|Cataloger|NFU`)."""
    parts = key.split("|")
    if len(parts) != len(entity.key):
        raise UserError(Problem(Loc("KEY"), f"a {entity.name} key has {len(entity.key)} part(s) "
                                            f"({'|'.join(entity.key)}), got '{key}'"))
    return parts


def explain(session: Session, entity_name: str, key: str) -> list[Explanation]:
    """Validate only the tables the entity reads, then explain one record (see
    `explain_loaded`): one record should not wait for every table of a large snapshot."""
    entity = resolve_entity(session.pack, entity_name)
    key_parts(entity, key)  # usage errors before the slow part
    read = tables_read(entity, session.pack)
    session.need({schema: read.get(schema, set()) for schema in SCHEMA_SIDE})
    return explain_loaded(session.con, session.pack, session.scenario, entity_name, key)


def tables_read(entity: Entity, pack: Pack) -> dict[str, set[str]]:
    """schema -> the tables the entity's table, facts and rules read."""
    trees = [linted(f.tree) for f in rc.facts_for(entity, pack)]
    trees += [linted(r.tree) for r in entity.rules]
    read = analysis.tables_read(trees)
    read.setdefault(entity.schema, set()).add(entity.name)
    return read


def explain_loaded(con: db.Connection, pack: Pack, scenario: Scenario, entity_name: str,
                   key: str) -> list[Explanation]:
    """Every rule of the entity for the record(s) with this key, over already loaded inputs.

    Primary IDs compare ignoring letter case, so more than one record could match in an
    unvalidated snapshot; each gets its explanation.
    """
    entity = resolve_entity(pack, entity_name)
    parts = key_parts(entity, key)
    compiled = rc.explain_sql(entity, pack, len(parts))
    values = {**scenario.params(), **{f"k{i}": p for i, p in enumerate(parts)}}
    try:
        cursor = con.execute(compiled.sql, compiled.bind(values))
    except db.DuckDBError as e:
        engine.raise_fact_problem(con, compiled, values, e)
        raise
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        ci = any(TABLES[entity.name].column(k).ci for k in entity.key)
        raise UserError(Problem(Loc("KEY"), f"no {entity.id} record with key '{key}'"
                                + (" (compared ignoring letter case)" if ci else "")))
    out = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        facts = {f.name: record[f.name] for f in compiled.facts}
        steps, decided = [], False
        for rule in entity.rules:
            value = record["rule:" + rule.id]
            hit = value is True and not decided
            decided = decided or hit
            steps.append(RuleStep(rule, value, hit))
        out.append(Explanation(entity, record["record_key"], facts, steps))
    return out
