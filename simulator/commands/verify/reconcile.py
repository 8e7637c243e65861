"""Every predicted record looked up after the load, one Alma table at a time, and the summary.

The records that land in a table and the table's rows are matched on normalised keys computed
once (inputs/keys.py), and only counts and the records that are not confirmed are kept, so
memory follows the largest table, not the ledger. Records out of scope that land in the same
table still count as evidence (a patron loaded again confirms a removed user).

A record predicted gone whose key comes back from another input record (a public user removed
and its patron loaded again) is confirmed as long as that other record is present.

Temp tables (named for verify, so a Session shared with other commands keeps its own):
`verify_discrepancies` (every surprise), `verify_counts` (records per rule and class) and
`verify_odd` (the records not confirmed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from simulator import db
from simulator.commands.verify.scope import Scope, one_of
from simulator.inputs import keys
from simulator.inputs.tables import TABLES, post_table, tables_for
from simulator.rules.analysis import render
from simulator.rules.model import ABSENT_OUTCOMES, Pack, Rule, linted

DISCREPANCIES = "verify_discrepancies"
COUNTS = "verify_counts"
ODD = "verify_odd"
_EXPECT, _POST_KEYS, _KEY_INFO = "verify_expect", "verify_post_keys", "verify_key_info"
_ODD_HERE = "verify_odd_here"  # the records of one table that may not be confirmed
_FLAGGED = "verify_flagged"
# The class of a record there after the load but failing its rule's expect_after.
STATE_MISMATCH = "state_mismatch"
# Post rows that no input record predicts but the load makes by design: the patron role of every
# user the load keeps or loads. table: (the table whose wanted keys it reads, condition on `t`).
_IMPLIED = {
    "user_roles": ("users", "is_patron_role(t.role_type) and lower(coalesce(t.primary_id, '')) "
                            "in (select match_key from {wanted})"),
}


@dataclass
class VerifyResult:
    class_counts: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    discrepancies: int
    actions: list[dict[str, Any]] = field(default_factory=list)


def result_tables(con: db.Connection) -> None:
    """Empty `verify_discrepancies`, `verify_counts` and `verify_odd`."""
    con.execute(f"create or replace temp table {DISCREPANCIES} (side varchar, entity varchar, "
                "record_key varchar, class varchar, expected varchar, observed varchar, "
                "rule_id varchar)")
    con.execute(f"create or replace temp table {COUNTS} (side varchar, entity varchar, "
                "rule_id varchar, outcome varchar, class varchar, n bigint)")
    con.execute(f"create or replace temp table {ODD} (side varchar, entity varchar, "
                "record_key varchar, outcome varchar, rule_id varchar, want boolean, "
                "present boolean, class varchar)")


def reconcile(con: db.Connection, pack: Pack, source: str, scope: Scope, stage: str,
              params: dict[str, Any]) -> None:
    """Presence classes of every record in scope, its rows in no input record, and (at the
    cutover stage) the expect_after conditions of the rules that decided it.

    `source` is the full ledger (a view or a Parquet read): records out of scope that land in
    the same Alma table are evidence too.
    """
    result_tables(con)
    lands = _landing(con, source, scope)
    todo = [t.name for t in tables_for("alma")
            if scope.has("post", t.name) or any(scope.has(*e) for e in lands.get(t.name, []))]
    keep = {of for name, (of, _) in _IMPLIED.items() if name in todo}
    wanted: dict[str, str] = {}  # table -> temp table of its wanted keys (for _IMPLIED)
    for name in todo:
        here = lands.get(name, [])
        implied = "false"
        if name in _IMPLIED:
            of, condition = _IMPLIED[name]
            if of not in wanted:
                wanted[of] = _wanted_keys(con, source, of, lands.get(of, []))
            implied = condition.format(wanted=wanted[of])
        _expect(con, source, name, here)
        # Records out of scope landing here are evidence, but not counted or reported.
        in_scope = [e for e in here if scope.has(*e)]
        _presence(con, name, implied, "true" if in_scope == here else one_of(in_scope),
                  scope.has("post", name))
        if stage == "cutover":
            _expectations(con, pack, name, scope, params)
        if name in keep and name not in wanted:  # read later by another table's pass
            wanted[name] = _keep_wanted(con, name)
    for temp in (_EXPECT, _POST_KEYS, _KEY_INFO, _ODD_HERE, *wanted.values()):
        con.execute(f"drop table if exists {db.ident(temp)}")
    con.execute(f"""
        insert into {DISCREPANCIES}
        select side, entity, record_key, class,
            case when want then 'present (' else 'absent (' end || outcome || ')',
            case when present then 'present' else 'absent' end, rule_id
        from {ODD} where class in ('survived_unexpectedly', 'lost_unexpectedly')
    """)


def _landing(con: db.Connection, source: str, scope: Scope) -> dict[str, list[tuple[str, str]]]:
    """Alma table -> the ledger entities whose records land in it. Records with no table to
    look in (orders and invoices) are counted as unverifiable."""
    lands: dict[str, list[tuple[str, str]]] = {}
    for s, e in con.rows(f"select distinct side, entity from {source} order by all"):
        side, entity = str(s), str(e)
        target = post_table(side, entity)
        if target is not None:
            lands.setdefault(target, []).append((side, entity))
        elif scope.has(side, entity):
            con.execute(
                f"insert into {COUNTS} select side, entity, rule_id, outcome, 'unverifiable', "
                f"count(*) from {source} where side = $side and entity = $entity group by all",
                {"side": side, "entity": entity})
    return lands


def _expect(con: db.Connection, source: str, table: str, entities: list[tuple[str, str]]) -> None:
    """The ledger records that land in `table`, with their key as matched: one statement, an
    entity per branch (a sorted Parquet ledger skips the rest of each branch's reads)."""
    params: dict[str, Any] = {"absent": sorted(ABSENT_OUTCOMES)}
    typed = ("select null::varchar as side, null::varchar as entity, null::varchar as record_key,"
             " null::varchar as outcome, null::varchar as rule_id, null::varchar as match_key, "
             "null::boolean as want where false")
    branches = [typed]
    for i, (side, entity) in enumerate(entities):
        params |= {f"side{i}": side, f"entity{i}": entity}
        branches.append(
            f"select side::varchar, entity::varchar, record_key, outcome::varchar, "
            f"rule_id::varchar, {keys.normal_ledger_key_sql(table)}, "
            f"not list_contains($absent, outcome) "
            f"from {source} where side = $side{i} and entity = $entity{i}")
    con.execute(f"create or replace temp table {_EXPECT} as {' union all '.join(branches)}",
                params if entities else None)


def _wanted_keys(con: db.Connection, source: str, table: str,
                 entities: list[tuple[str, str]]) -> str:
    """A temp table of the keys of `table` some record is predicted to be there under."""
    _expect(con, source, table, entities)
    return _keep_wanted(con, table)


def _keep_wanted(con: db.Connection, table: str) -> str:
    name = "verify_wanted_" + table
    con.execute(f"create or replace temp table {db.ident(name)} as "
                f"select distinct match_key from {_EXPECT} where want")
    return name


def _presence(con: db.Connection, table: str, implied: str, counted: str,
              unexpected: bool) -> None:
    """Match the expected records with the table's rows: counts and records not confirmed of
    the records `counted` (an SQL condition), and the rows in no input record if
    `unexpected`."""
    con.execute(
        f"create or replace temp table {_POST_KEYS} as select "
        f"{keys.normal_key_sql(table, 't')} as match_key, {keys.key_sql(table, 't')} as "
        f"record_key, {implied} as implied, t._row as post_row "
        f"from {db.qualified('post', table)} as t")
    # Per key: is it in Alma, does a record want it there (or the load make it), is it in any
    # input record. Kept only for the few keys that matter: found but wanted by none, wanted
    # but not found (every other record is confirmed), or in no input record but for rows the
    # load does not make.
    odd = int(con.one(f"""
        create or replace temp table {_KEY_INFO} as
        select match_key, bool_or(is_post) as found, bool_or(want) as any_want,
            bool_or(not is_post) as expected
        from (select match_key, false as is_post, want from {_EXPECT}
              union all select match_key, true, implied from {_POST_KEYS})
        group by all
        having found is distinct from any_want
            or (not expected and bool_or(is_post and not want))"""))
    _classify(con, counted, odd)
    if unexpected and odd:
        con.execute(f"""
            insert into {DISCREPANCIES}
            select 'post', $t, p.record_key, 'unexpected', 'absent (in no input record)',
                   'present', null
            from {_POST_KEYS} p join {_KEY_INFO} k using (match_key)
            where not p.implied and not k.expected""", {"t": table})


def _classify(con: db.Connection, counted: str, odd: int) -> None:
    """The records `counted` of the `odd` keys in `verify_key_info` classified one by one
    (those not confirmed kept), the others counted confirmed."""
    confirmed = (f"select side, entity, rule_id, outcome, 'confirmed' as class, count(*) as n "
                 f"from {_EXPECT} where match_key is not null and {counted} group by all")
    if not odd:  # every record found as predicted (the usual case): counted, nothing kept
        con.execute(f"insert into {COUNTS} {confirmed}")
        return
    con.execute(f"""
        create or replace temp table {_ODD_HERE} as
        select e.side, e.entity, e.record_key, e.outcome, e.rule_id, e.want, k.found as present,
            case when e.want and k.found then 'confirmed'
                 when e.want then 'lost_unexpectedly'
                 when not k.found then 'confirmed'
                 when k.any_want then 'confirmed'
                 else 'survived_unexpectedly' end as class
        from {_EXPECT} e join {_KEY_INFO} k using (match_key)
        where {counted}""")
    con.execute(f"insert into {ODD} select side, entity, record_key, outcome, rule_id, "
                f"want, present, class from {_ODD_HERE} where class <> 'confirmed'")
    con.execute(f"""
        insert into {COUNTS}
        select side, entity, rule_id, outcome, class, sum(n) from (
            {confirmed}
            union all
            select side, entity, rule_id, outcome, 'confirmed', -count(*) from {_ODD_HERE}
            where class <> 'confirmed' group by all
            union all
            select side, entity, rule_id, outcome, class, count(*) from {_ODD_HERE}
            where class <> 'confirmed' group by all)
        group by all having sum(n) > 0""")


def _expectations(con: db.Connection, pack: Pack, table: str, scope: Scope,
                  params: dict[str, Any]) -> None:
    """Each rule's expect_after over the post rows of the records it decided, one statement per
    group of rules with the same one. The records failing it are found first, reading only the
    columns the condition names; only the rows they failed on are then read whole, for what was
    observed."""
    groups = _same_expectation(pack, table, scope)
    if not groups:
        return
    alias, post = db.ident(table), db.qualified("post", table)
    ids = [{f"rule_{g}_{i}": rule.id for i, rule in enumerate(rules)}
           for g, rules in enumerate(groups)]
    decided = [f"p.rule_id in ({', '.join('$' + k for k in group)})" for group in ids]
    counts = ", ".join(f"count(*) filter (where {d})" for d in decided)
    every = {k: v for group in ids for k, v in group.items()}
    rows, *sizes = con.rows(f"select (select count(*) from {_POST_KEYS}), {counts} "
                            f"from {_EXPECT} p", every)[0]
    fields = ", ".join(f"{db.ident(c)} := {alias}.{db.ident(c)}"
                       for c in TABLES[table].column_names)
    for rules, group, where, size in zip(groups, ids, decided, sizes, strict=True):
        failing = _failing(table, where, rules[0], int(size) * 4 < int(rows))
        sql = (f"insert into {DISCREPANCIES} select f.side, f.entity, f.record_key, "
               f"'{STATE_MISMATCH}', $expected, "
               f"cast(to_json(struct_pack({fields})) as varchar), f.rule_id "
               f"from (select p.side, p.entity, p.record_key, p.rule_id, {failing}) f "
               f"join {post} as {alias} on {alias}._row = f._row")
        values = {**params, "expected": rules[0].expect_after, **group}
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})


def _failing(table: str, decided: str, rule: Rule, few: bool) -> str:
    """The post row number and FROM clause of the records `decided` (on `verify_expect p`)
    whose row fails `rule`'s expect_after, a condition on the row alone (as lint binds it)."""
    alias, post = db.ident(table), db.qualified("post", table)
    cond = f"not coalesce(({render(linted(rule.expect_tree))}), false)"
    if few:  # their rows found by the keys matched already, not by every row's key again
        return (f"{alias}._row from {_EXPECT} p join (select match_key as _key, post_row as "
                f"_post_row from {_POST_KEYS}) k on k._key = p.match_key join {post} as "
                f"{alias} on {alias}._row = k._post_row where {decided} and {cond}")
    # Many: the condition is evaluated on the rows decided, the few failing matched back.
    key = keys.normal_key_sql(table, alias)
    rows = (f"select * from {post} as {alias} "
            f"where {key} in (select match_key from {_EXPECT} p where {decided})")
    return (f"f._row from {_EXPECT} p join (select {alias}._row, {key} as _key from ({rows}) "
            f"as {alias} where {cond}) f on f._key = p.match_key where {decided}")


def _same_expectation(pack: Pack, table: str, scope: Scope) -> list[list[Rule]]:
    """The rules with an expect_after checked on `table`, those with the same one together
    (checked in one pass)."""
    same: dict[str, list[Rule]] = {}
    for entity, rule in pack.rules():
        if rule.expect_after is not None and post_table(entity.side, entity.name) == table \
                and scope.has(entity.side, entity.name):
            same.setdefault(rule.expect_after, []).append(rule)
    return list(same.values())


def summarise(con: db.Connection) -> VerifyResult:
    """Counts per entity and class, and the matrix of rules: predicted, confirmed, surprises.

    A record found as predicted but failing a check of its rule (expect_after, a job left off
    at go-live) counts under that check, not as confirmed: each record has one class. Such a
    record is confirmed in presence unless it is one of the few not confirmed there.
    """
    con.execute(f"""
        create or replace temp table {_FLAGGED} as
        select side, entity, record_key, any_value(rule_id) as rule_id
        from {DISCREPANCIES} f where rule_id is not null and not exists (
            select 1 from {ODD} o where o.side = f.side and o.entity = f.entity
                and o.record_key = f.record_key)
        group by side, entity, record_key""")
    total = int(con.one(f"select count(*) from {DISCREPANCIES}"))
    return VerifyResult(_class_counts(con), _matrix(con), total)


def _class_counts(con: db.Connection) -> list[dict[str, Any]]:
    return [
        {"side": s, "entity": e, "class": c, "count": int(n)}
        for s, e, c, n in con.rows(f"""
            with kept as (
                select side, entity, class, sum(n) as n from {COUNTS}
                where class in ('confirmed', 'unverifiable') group by all),
            flagged as (
                select side, entity, 'confirmed' as class, count(*) as n
                from {_FLAGGED} group by all)
            select side, entity, class, n from (
                select k.side, k.entity, k.class, k.n - coalesce(f.n, 0) as n
                from kept k left join flagged f using (side, entity, class)
                union all
                select side, entity, class, count(*) from {DISCREPANCIES} group by all)
            where n > 0 order by all""")
    ]


def _matrix(con: db.Connection) -> list[dict[str, Any]]:
    return [
        {"rule_id": r, "side": s, "entity": e, "outcome": o, "predicted": int(p),
         "confirmed": int(c), "surprises": int(x), "by_class": json.loads(b) if b else {}}
        for r, s, e, o, p, c, x, b in con.rows(f"""
            with d as (
                select rule_id, class, count(*) as n from {DISCREPANCIES}
                where rule_id is not null group by all),
            agg as (select rule_id, sum(n) as surprises,
                           to_json(map(list(class order by class), list(n order by class))) as b
                    from d group by all),
            p as (select rule_id, any_value(side) as side, any_value(entity) as entity,
                         any_value(outcome) as outcome, sum(n) as predicted,
                         coalesce(sum(n) filter (where class = 'confirmed'), 0) as confirmed
                  from {COUNTS} group by rule_id),
            f as (select rule_id, count(*) as n from {_FLAGGED} group by all)
            select p.rule_id, p.side, p.entity, p.outcome, p.predicted,
                p.confirmed - coalesce(f.n, 0), coalesce(agg.surprises, 0),
                cast(agg.b as varchar)
            from p left join agg using (rule_id) left join f using (rule_id)
            order by p.rule_id""")
    ]
