"""Measured prototypes of the fixes docs/benchmarks.md proposes (not used by the simulator).

`python -m bench.proposals DATA [--memory-limit 1GB]` times, on one generated data set and in
one process, each slow part of predict as it is and as proposed:

1. validation: pandera over ibis (one query per check) vs one SQL pass per table computing every
   check as a `count(*) filter (...)` (failing rows fetched only for the checks that fail);
2. the Primary-ID facts: `exists (select 1 from t where lower(t.k) = lower(x.k) and ...)` (the
   compiler's output today) vs `coalesce(lower(x.k) in (select lower(t.k) from t where ...),
   false)`, the same truth values as a plain semi-join;
3. the ledger: materializing ledger (with every rule's reason and cite text per row) vs keeping
   ledger_index (rule_index only) and joining the rule catalog while writing the Parquet file;
4. the report's sample: a window over the whole ledger vs a bounded `min(record_key, k)`
   aggregate per rule.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from bench.cases import _attach, _inputs
from simulator import db, engine, validate
from simulator.rules import compile as rc
from simulator.rules.loader import load_pack
from simulator.rules.model import Entity, Pack
from simulator.sampling import sample_ledger
from simulator.tables import TABLES, tables_for


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- 1. validation in one pass per table ------------------------------------------------------

def one_pass_validation(con: db.Connection, schema: str, files: set[str], side: str) -> int:
    """Every check of `validate` (required, type, domain, unique key, reference) as counts."""
    raw = f"raw_{schema}"
    failing = 0
    for table in tables_for(side):
        if table.name not in files:
            continue
        view = db.qualified(raw, table.name)
        checks = []
        for c in table.columns:
            col = db.ident(c.name)
            if c.required:
                checks.append(f"{col} is null or trim({col}) = ''")
            if c.type != "text":
                sql_type = {"int": "bigint", "decimal": "decimal(18,4)", "bool": "boolean",
                            "timestamp": "timestamp"}[c.type]
                checks.append(f"{col} is not null and try_cast({col} as {sql_type}) is null")
            if c.domain:
                values = ", ".join(db.literal(v) for v in c.domain)
                checks.append(f"{col} is not null and {col} not in ({values})")
        counts = ", ".join(f"count(*) filter (where {c})" for c in checks) or "count(*)"
        failing += sum(con.rows(f"select {counts} from {view}")[0])
        key = ", ".join(f"lower({db.ident(k)})" if table.column(k).ci else db.ident(k)
                        for k in table.key)
        failing += len(con.rows(f"select {key} from {view} group by all having count(*) > 1 "
                                "limit 20"))
        for ref in table.refs:
            if ref.table in files:
                mine = f"lower(t.{db.ident(ref.column)})" if table.column(ref.column).ci \
                    else f"t.{db.ident(ref.column)}"
                theirs = f"lower(r.{db.ident(ref.target)})" if table.column(ref.column).ci \
                    else f"r.{db.ident(ref.target)}"
                failing += int(con.one(
                    f"select count(*) from {view} t anti join {db.qualified(raw, ref.table)} r "
                    f"on {mine} = {theirs} where t.{db.ident(ref.column)} is not null"))
    return failing


# -- 2. the Primary-ID facts as IN instead of EXISTS ------------------------------------------

def semi_join(tree: exp.Expression, outer: str) -> exp.Expression:
    """exists (select 1 from T where A = B and rest), B over `outer` only, A over T only ->
    coalesce(B in (select A from T where rest), false)."""
    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Exists) or not isinstance(node.this, exp.Select):
            return node
        select = node.this
        where = select.args.get("where")
        if where is None:
            return node
        terms = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
        for term in terms:
            if not isinstance(term, exp.EQ):
                continue
            sides = [term.left, term.right]
            tables = [{c.table for c in s.find_all(exp.Column)} for s in sides]
            for mine, theirs in ((0, 1), (1, 0)):
                if tables[mine] == {outer} and outer not in tables[theirs] and tables[theirs]:
                    rest = [t for t in terms if t is not term]
                    inner = select.copy()
                    inner.set("expressions", [sides[theirs].copy()])
                    inner.set("where", exp.Where(this=exp.and_(*rest)) if rest else None)
                    found = exp.In(this=sides[mine].copy(), query=exp.Subquery(this=inner))
                    return exp.Coalesce(this=found, expressions=[exp.false()])
        return node

    return tree.transform(rewrite)


def rewritten(pack: Pack) -> Pack:
    new = copy.deepcopy(pack)
    for entity in new.ordered():
        for fact in rc.facts_for(entity, new):
            fact.tree = semi_join(fact.tree or rc.parse(fact.sql), entity.name)
    return new


def correlation(node: exp.Exists, outer: str) -> tuple[Any, Any, exp.Select] | None:
    """(outer key, inner key, the subquery without that equality) of an `exists` correlated
    by exactly one equality and nothing else, or None."""
    select = node.this
    if not isinstance(select, exp.Select) or select.args.get("where") is None:
        return None
    where = select.args["where"].this
    terms = list(where.flatten()) if isinstance(where, exp.And) else [where]
    for term in terms:
        if not isinstance(term, exp.EQ):
            continue
        sides = [term.left, term.right]
        tables = [{c.table for c in side.find_all(exp.Column)} for side in sides]
        for mine, theirs in ((0, 1), (1, 0)):
            if tables[mine] != {outer} or outer in tables[theirs] or not tables[theirs]:
                continue
            rest = [t for t in terms if t is not term]
            if any(c.table == outer for t in rest for c in t.find_all(exp.Column)):
                return None
            inner = select.copy()
            inner.set("expressions", [exp.alias_(sides[theirs].copy(), "k")])
            inner.set("distinct", exp.Distinct())
            inner.set("where", exp.Where(this=exp.and_(*rest)) if rest else None)
            return sides[mine].copy(), sides[theirs], inner
    return None


def join_sql(entity: Entity, pack: Pack) -> rc.Compiled:
    """The entity's pass with each simply correlated `exists` as a left join on the distinct
    inner keys (`fN.k is not null`), as the hand-written script does; the rest as compiled."""
    facts = rc.facts_for(entity, pack)
    alias = db.ident(entity.name)
    joins: list[str] = []
    cols = [f"{alias}.*"]

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Exists):
            return node
        found = correlation(node, entity.name)
        if found is None:
            return node
        outer_key, _, inner = found
        name = f"f{len(joins)}"
        joins.append(f"left join ({rc.render(inner)}) as {name} on {name}.k = "
                     f"{rc.render(outer_key)}")
        return exp.Not(this=exp.Is(this=exp.column("k", table=name), expression=exp.Null()))

    for fact in facts:
        tree = (fact.tree or rc.parse(fact.sql)).copy().transform(rewrite)
        cols.append(f"({rc.render(tree)}) as {db.ident(fact.name)}")
    source = db.qualified(entity.schema, entity.name)
    base = ("select " + ",\n    ".join(cols) + f"\n  from {source} as {alias}\n  "
            + "\n  ".join(joins))
    sql = (f"with base as (\n  {base}\n)\nselect {rc.key_sql(entity, alias)} as record_key,\n"
           f"  {rc.case_sql(entity.rules)} as rule_index\nfrom base as {alias}\n")
    compiled = rc.compile_entity(entity, pack)
    return rc.Compiled(entity, facts, sql, compiled.params)


def entity_seconds(con: db.Connection, compiled: rc.Compiled,
                   params: dict[str, Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    try:
        value = con.rows(f"select count(*), sum(hash(record_key, rule_index)) from "
                         f"({compiled.sql})", compiled.bind(params))[0]
    except db.DuckDBError as e:
        return float("nan"), str(e).splitlines()[0]
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.proposals")
    p.add_argument("data", type=Path)
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--skip-validation", action="store_true")
    a = p.parse_args(argv)
    inputs = _inputs(a.data)
    pack = engine.checked_pack(load_pack())
    params = inputs.scenario.params()
    out: dict[str, Any] = {"data": str(a.data)}
    con = db.connect(memory_limit=a.memory_limit)
    try:
        _attach(con, inputs)
        snaps = inputs.snapshots()
        pandera = one_pass = 0.0
        for name, snap in snaps.items() if not a.skip_validation else ():
            pandera += timed(functools.partial(validate.validate, con, name, snap))
            one_pass += timed(functools.partial(one_pass_validation, con, name,
                                                set(snap.files), snap.side))
        out["validate_pandera"], out["validate_one_pass"] = pandera, one_pass
        sys.stderr.write(json.dumps(out) + "\n")
        fast = rewritten(pack)
        out["facts"] = {}
        for key in (("alma", "users"), ("alma", "user_roles"), ("extract", "patrons"),
                    ("alma", "analytics_reports")):
            entity = pack.entities[key]
            before, v1 = entity_seconds(con, rc.compile_entity(entity, pack), params)
            joined, v2 = entity_seconds(con, join_sql(entity, pack), params)
            marked, v3 = entity_seconds(con, rc.compile_entity(fast.entities[key], fast), params)
            out["facts"][".".join(key)] = {"exists": before, "left_join": joined,
                                           "in": marked, "same": v1 == v2,
                                           "in_result": v3 if v3 != v1 else "same"}
            sys.stderr.write(json.dumps(out["facts"]) + "\n")
        start = time.perf_counter()
        engine.classify(con, pack, inputs.scenario)
        out["classify"] = time.perf_counter() - start
        out["materialize_ledger"] = timed(lambda: con.execute(
            "create or replace temp table ledger2 as select l.side, l.entity, l.record_key, "
            "c.outcome, c.rule_id, c.reason, c.cite, c.message from ledger_index l join "
            "rule_catalog c using (side, entity, rule_index)"))
        cols = "side, entity, record_key, outcome, rule_id, reason, cite, message"
        target = db.literal(str(Path("/tmp") / "cutover-proposal-ledger.parquet"))
        out["write_from_ledger"] = timed(lambda: con.execute(
            f"copy (select {cols} from ledger order by side, entity, record_key) to {target} "
            "(format parquet, compression zstd)"))
        out["write_joining_index"] = timed(lambda: con.execute(
            f"copy (select l.side, l.entity, l.record_key, c.outcome, c.rule_id, c.reason, "
            f"c.cite, c.message from ledger_index l join rule_catalog c using (side, entity, "
            f"rule_index) order by l.side, l.entity, l.record_key) to {target} "
            "(format parquet, compression zstd)"))
        out["sample_window"] = timed(lambda: sample_ledger(con))
        out["sample_topk"] = timed(lambda: con.rows(
            "select side, entity, rule_id, min(record_key, 5000) from ledger group by all"))
        out["sample_topk_index"] = timed(lambda: con.rows(
            "select side, entity, rule_index, min(record_key, 5000) from ledger_index "
            "group by all"))
    finally:
        con.close()
    Path("/tmp/cutover-proposal-ledger.parquet").unlink(missing_ok=True)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    assert TABLES  # the spec this module's checks follow
    main()
