"""One pass per entity, read from DuckDB's EXPLAIN (docs/architecture.md, "The pipeline"):
a regression guard, no timing.

Each compiled entity query must scan its own table, and each table a fact's subquery names at
most once per mention, however many rules the entity has. The plans come from plain `EXPLAIN
(FORMAT JSON)` over a small generated consortium, copied into DuckDB tables so that every scan
names its table. With a generated layer of 102 local rules on users (110 in all) the scans stay
the same; and a compiler that pasted facts into each rule instead would fail this test (checked
below).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot.expressions as exp
from conftest import default_pack

from simulator import db
from simulator.core import engine
from simulator.inputs import bundle, reading
from simulator.inputs.tables import tables_for
from simulator.rules import analysis
from simulator.rules import compile as rc
from simulator.rules.loader import load_pack
from simulator.rules.model import Entity, Pack, linted
from simulator.synth.generate import generate, write_rule_layer

SCHEMAS = (("pre", "alma", "freeze"), ("extract", "extract", "extract"),
           ("testload", "alma", "testload"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[db.Connection, Any]]:
    data = tmp_path_factory.mktemp("one-pass") / "data"
    generate(data, users=300, institutions=2, seed=3)
    inputs = bundle.open_inputs(data / "freeze", data / "extract", data / "scenario.yaml",
                                data / "testload")
    con = db.connect()
    snaps = inputs.snapshots()
    for schema, side, _ in SCHEMAS:
        reading.attach(con, f"v_{schema}", snaps.get(schema), side)
        con.execute(f"create schema {db.ident(schema)}")
        for table in tables_for(side):
            con.execute(f"create table {db.qualified(schema, table.name)} as "
                        f"select * from {db.qualified('v_' + schema, table.name)}")
    try:
        yield con, inputs.scenario.params()
    finally:
        con.close()


def scans(con: db.Connection, sql: str, params: dict[str, Any]) -> Counter[str]:
    """schema.table -> number of scans in the physical plan."""
    plan = json.loads(con.rows(f"explain (format json) {sql}", params)[0][1])
    found: Counter[str] = Counter()

    def walk(node: dict[str, Any]) -> None:
        info = node.get("extra_info") or {}
        if isinstance(info, dict) and "Table" in info:
            parts = [p.strip('"') for p in str(info["Table"]).split(".")]
            found[".".join(parts[-2:])] += 1
        for child in node.get("children", []):
            walk(child)

    for root in plan:
        walk(root)
    return found


def designed(entity: Entity, compiled: rc.Compiled) -> Counter[str]:
    """The design: the entity's table once, plus each table a fact's subquery mentions."""
    want: Counter[str] = Counter({f"{entity.schema}.{entity.name}": 1})
    for fact in compiled.facts:
        for table in linted(fact.tree).find_all(exp.Table):
            want[f"{table.db}.{table.name}"] += 1
    return want


def check(con: db.Connection, params: dict[str, Any], pack: Pack,
          entity: Entity) -> Counter[str]:
    compiled = rc.compile_entity(entity, pack)
    got = scans(con, compiled.sql, compiled.bind(params))
    want = designed(entity, compiled)
    # A fact a constant scenario value rules out may be planned away: at most, never more.
    assert got[f"{entity.schema}.{entity.name}"] >= 1 and got <= want, (
        f"{entity.id}: the plan scans {dict(got)}, the design says at most {dict(want)}")
    return got


@pytest.mark.parametrize("entity_id", sorted(e.id for e in default_pack().ordered()))
def test_each_entity_scans_each_table_once_per_design(
        world: tuple[db.Connection, Any], entity_id: str) -> None:
    con, params = world
    pack = default_pack()
    entity = next(e for e in pack.ordered() if e.id == entity_id)
    check(con, params, pack, entity)


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Pack]:
    root = tmp_path_factory.mktemp("layers")
    return {n: engine.checked_pack(load_pack([write_rule_layer(root / str(n), n - 8)]))
            for n in (10, 110)}


def test_scans_do_not_grow_with_the_number_of_rules(
        world: tuple[db.Connection, Any], layered: dict[int, Pack]) -> None:
    con, params = world
    found = {}
    for n, pack in layered.items():
        users = pack.entities[("alma", "users")]
        assert len(users.rules) == n
        found[n] = check(con, params, pack, users)
    assert found[110] == found[10]
    assert found[10] == Counter({"pre.users": 1, "pre.user_roles": 1, "extract.patrons": 1,
                                 "testload.users": 1})


def naive_sql(entity: Entity, pack: Pack) -> str:
    """What a compiler without facts-as-columns would write: each fact pasted into each rule."""
    facts = {f.name: analysis.render(linted(f.tree)) for f in rc.facts_for(entity, pack)}
    whens = []
    for i, rule in enumerate(entity.rules):
        when = analysis.render(linted(rule.tree))
        for name, sql in facts.items():
            when = re.sub(rf"\b{name}\b", f"({sql})", when)
        whens.append(f"when ({when}) then {i}")
    table = db.qualified(entity.schema, entity.name)
    return (f"select {rc.key_sql(entity, db.ident(entity.name))} as record_key, case "
            f"{' '.join(whens)} end as rule_index from {table} as {db.ident(entity.name)}")


def test_the_guard_catches_a_compiler_that_scans_per_rule(
        world: tuple[db.Connection, Any], layered: dict[int, Pack]) -> None:
    con, params = world
    pack = layered[110]
    users = pack.entities[("alma", "users")]
    sql = naive_sql(users, pack)
    got = scans(con, sql, {k: v for k, v in params.items() if f"${k}" in sql})
    assert got["pre.user_roles"] > 10  # one scan per rule that mentions has_staff_role
    assert not got <= designed(users, rc.compile_entity(users, pack))


def test_generated_layer_is_a_valid_layer(tmp_path: Path) -> None:
    pack = engine.checked_pack(load_pack([write_rule_layer(tmp_path / "layer", 3)]))
    rules = [r.id for r in pack.entities[("alma", "users")].rules]
    assert rules[-4:] == ["users.local-000", "users.local-001", "users.local-002",
                          "users.public"]
