"""`cutover verify`: reconcile what Alma holds after a load with the prediction, record by record.

Everything is set-based SQL over the ledger and the post snapshot (no per-record Python), so it
scales like predict. Classes of discrepancy:

- survived_unexpectedly: predicted gone (removed, rejected, not_migrated) but present;
- lost_unexpectedly: predicted present (any other outcome) but absent;
- unexpected: present after the load, in no input record;
- state_mismatch: present, but a rule's `expect_after` condition does not hold;
- stage checks of the fulfillment load and go-live (DESIGN 5, "Later stages").

A record predicted gone whose key comes back from another input record (a public user removed
and its patron loaded again) is confirmed as long as that other record is present.

The reconciliation runs one Alma table at a time (`reconcile`): the records that land in the
table and the table's rows are matched on normalised keys computed once, and only counts and
the records that are not confirmed are kept, so memory follows the largest table, not the
ledger. `--entity` (a `Scope`) limits the run to some entities; the other records that land in
the same table still count as evidence (a patron loaded again confirms a removed user).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from simulator import db
from simulator.core import engine
from simulator.core.findings import level_of
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import bundle, snapshot, validate
from simulator.inputs.scenario import DEFAULT_SCRUBBED, Scenario
from simulator.inputs.snapshot import Snapshot
from simulator.inputs.tables import TABLES, post_table, tables_for, with_references
from simulator.rules.analysis import render
from simulator.rules.model import (
    ABSENT_OUTCOMES,
    Entity,
    GoliveAction,
    GoliveCheck,
    Pack,
    Rule,
    linted,
)

STAGES = ("cutover", "fulfillment", "golive")
STAGE_CLASSES = {
    "changed_at_fulfillment": "changed by the fulfillment load, which may change only patrons, "
                              "loans and hold-shelf requests",
    "loan_count_changed": "item loan count changed by the fulfillment load",
    "item_status_mismatch": "item status does not follow its loans",
    "instructor_unlinked": "course instructor not linked to a user after the fulfillment load",
    "form_changed": "migration or field mapping form differs from the cutover's",
    "still_scrubbed": "e-mail address still scrubbed after go-live",
    "job_not_enabled": "scheduled job not enabled at go-live",
    "parameter_not_enabled": "customer parameter not as expected at go-live",
}
SURPRISES = ("survived_unexpectedly", "lost_unexpectedly", "unexpected", "state_mismatch",
             *STAGE_CLASSES)
# Post rows that no input record predicts but the load makes by design: the patron role of every
# user the load keeps or loads. table: (the table whose wanted keys it reads, condition on `t`).
_IMPLIED = {
    "user_roles": ("users", "is_patron_role(t.role_type) and lower(coalesce(t.primary_id, '')) "
                            "in (select match_key from {wanted})"),
}
# What a budget's `entity` may name: a table, alone or with its side ("post" for unexpected rows;
# "extract.forms" for the fulfillment load's form check).
BUDGET_ENTITIES = frozenset(
    {t for t in TABLES} | {f"{s}.{t}" for s in ("alma", "extract", "post") for t in TABLES}
    | {"forms", "extract.forms"})
GOLIVE_PARAMETERS = ("acquisition_solr_indexing_enabled", "acquisition_solr_save_enabled")
# Not in the vendor's parameter list; the name this tool expects (see README, verify).
PREFERRED_TERM_PARAMETER = "authority_preferred_term_correction_enabled"
# Tables a fulfillment check of a table reads besides that table (items follow their loans,
# instructors must link to users).
_STAGE_READS = {"items": ("loans",), "course_instructors": ("users",)}


@dataclass
class VerifyResult:
    class_counts: list[dict[str, Any]]
    matrix: list[dict[str, Any]]
    discrepancies: int
    actions: list[dict[str, Any]] = field(default_factory=list)


# --- which entities a run checks --------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The records a run checks: all of them, or those of the entities named with --entity.

    `pairs` are (side, entity) as discrepancies name them: ledger entities (`alma`, `extract`),
    `post` for rows in no input record, `extract.forms`; None: every one.
    """

    names: tuple[str, ...] = ()
    pairs: frozenset[tuple[str, str]] | None = None

    @property
    def partial(self) -> bool:
        return self.pairs is not None

    def has(self, side: str, entity: str) -> bool:
        return self.pairs is None or (side, entity) in self.pairs

    def where(self) -> str:
        """SQL condition on columns `side` and `entity`: true for the records checked."""
        return "true" if self.pairs is None else _one_of(self.pairs)

    @property
    def checked(self) -> list[str]:
        return [f"{s}.{e}" for s, e in sorted(self.pairs or ())]

    @property
    def note(self) -> str:
        """One line for reports; empty when every entity was checked."""
        if self.pairs is None:
            return ""
        return (f"Entities checked: {', '.join(self.names)} ({', '.join(self.checked)}; "
                "filtered with --entity)")

    def as_dict(self) -> dict[str, Any]:
        if self.pairs is None:
            return {"partial": False}
        return {"partial": True, "entities": list(self.names), "checked": self.checked,
                "note": self.note}


EVERY_ENTITY = Scope()


def _one_of(pairs: frozenset[tuple[str, str]] | list[tuple[str, str]]) -> str:
    """SQL condition on columns `side` and `entity`: one of `pairs`."""
    if not pairs:
        return "false"
    return "(" + " or ".join(f"(side = {db.literal(s)} and entity = {db.literal(e)})"
                             for s, e in sorted(pairs)) + ")"


def entity_names(pack: Pack) -> dict[str, frozenset[tuple[str, str]]]:
    """What each name --entity accepts stands for.

    A bare name is an Alma table with every record that lands in it (`users`: Alma's users, the
    patrons loaded into it, its rows in no input record) or an entity of the ledger
    (`patrons`); `alma.NAME` and `extract.NAME` are one entity of the ledger, `post.NAME` the
    rows of an Alma table that are in no input record.
    """
    names: dict[str, set[tuple[str, str]]] = {}
    for side, entity in pack.entities:
        for name in {entity, post_table(side, entity)} - {None}:
            names.setdefault(str(name), set()).add((side, entity))
        names.setdefault(f"{side}.{entity}", set()).add((side, entity))
    for table in tables_for("alma"):  # its stage checks and its rows in no input record
        names.setdefault(table.name, set()).update({("alma", table.name), ("post", table.name)})
        names.setdefault(f"alma.{table.name}", set()).add(("alma", table.name))
        names.setdefault(f"post.{table.name}", set()).add(("post", table.name))
    for name in ("forms", "extract.forms"):
        names[name] = {("extract", "forms")}
    return {k: frozenset(v) for k, v in names.items()}


def resolve_scope(given: list[str] | None, pack: Pack) -> Scope:
    """The Scope of `--entity` names; every unknown name is reported together."""
    if not given:
        return EVERY_ENTITY
    known = entity_names(pack)
    wanted = list(dict.fromkeys(n.strip().lower() for n in given))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        bare = sorted(n for n in known if "." not in n)
        shown = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(known), n=1)
            shown.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise UserError(
            f"--entity: unknown entit{'y' if len(unknown) == 1 else 'ies'} {', '.join(shown)}; "
            f"valid names: {', '.join(bare)}; or one side of an entity: alma.NAME or "
            "extract.NAME as the ledger names it (extract.patrons), post.NAME for the rows in no "
            "input record")
    pairs = frozenset(p for n in wanted for p in known[n])
    return Scope(tuple(wanted), pairs)


def tables_needed(scope: Scope, pack: Pack, stage: str) -> set[str] | None:
    """The Alma tables (post and baseline snapshots) the scope's checks read; None: all.

    Closed over references (user_roles → users), so validation finds what a table refers to.
    """
    if scope.pairs is None:
        return None
    alma = {t.name for t in tables_for("alma")}
    need = set()
    for side, name in scope.pairs:
        target = name if side == "post" else post_table(side, name)
        if target in alma:
            need.add(target)
    if stage == "cutover":  # expect_after may read other tables (a user's roles)
        for entity, rule in pack.rules():
            if rule.expect_after and scope.has(entity.side, entity.name):
                tree = linted(rule.expect_tree)
                need |= {t.name for t in tree.find_all(exp.Table) if t.db == "post"}
    if stage == "fulfillment":
        need |= {t for name in list(need) for t in _STAGE_READS.get(name, ())}
    return with_references(need) & alma


# --- keys -----------------------------------------------------------------------------------


# Parts of a key that are one value under several spellings: role "200" is the Patron role.
_CANONICAL = {
    ("user_roles", "role_type"): "case when is_patron_role({v}) then 'patron' else {v} end",
}


def _part(table: str, column: str, value_sql: str) -> str:
    canonical = _CANONICAL.get((table, column))
    if canonical:
        value_sql = canonical.format(v=value_sql)
    return f"lower({value_sql})" if TABLES[table].column(column).ci else value_sql


def _norm_key(table: str, alias: str) -> str:
    """The key as matched: parts joined by |, Primary IDs lower-cased, codes made canonical."""
    parts = [_part(table, k, f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')")
             for k in TABLES[table].key]
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def _norm_ledger_key(table: str) -> str:
    """The same normal form computed from a ledger's `record_key` text."""
    spec = TABLES[table]
    if len(spec.key) == 1:
        return _part(table, spec.key[0], "record_key")
    parts = [_part(table, k, f"split_part(record_key, '|', {i})")
             for i, k in enumerate(spec.key, 1)]
    # As many parts as the key has (a key part holding `|` cannot be split): counting the parts
    # is cheaper than comparing character lengths.
    return (f"case when len(string_split(record_key, '|')) = {len(spec.key)} "
            f"then concat_ws('|', {', '.join(parts)}) else record_key end")


def _raw_key(table: str, alias: str) -> str:
    parts = [f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')" for k in TABLES[table].key]
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


# --- presence and expectations, one Alma table at a time ------------------------------------


def _result_tables(con: db.Connection) -> None:
    """`discrepancies`, and what the summary needs of the records: counts per rule and class
    (`presence_counts`), and the records not confirmed (`presence_odd`)."""
    con.execute("create or replace temp table discrepancies (side varchar, entity varchar, "
                "record_key varchar, class varchar, expected varchar, observed varchar, "
                "rule_id varchar)")
    con.execute("create or replace temp table presence_counts (side varchar, entity varchar, "
                "rule_id varchar, outcome varchar, class varchar, n bigint)")
    con.execute("create or replace temp table presence_odd (side varchar, entity varchar, "
                "record_key varchar, outcome varchar, rule_id varchar, want boolean, "
                "present boolean, class varchar)")


def reconcile(con: db.Connection, pack: Pack, source: str, scope: Scope, stage: str,
              params: dict[str, Any]) -> None:
    """Presence classes of every record in scope, its rows in no input record, and (at the
    cutover stage) the expect_after conditions of the rules that decided it.

    `source` is the full ledger (a table or a Parquet read): records out of scope that land in
    the same Alma table are evidence too.
    """
    _result_tables(con)
    entities = [(str(s), str(e)) for s, e in
                con.rows(f"select distinct side, entity from {source} order by all")]
    lands: dict[str, list[tuple[str, str]]] = {}
    for side, entity in entities:
        target = post_table(side, entity)
        if target is not None:
            lands.setdefault(target, []).append((side, entity))
        elif scope.has(side, entity):  # orders and invoices: no Alma table to look in
            con.execute(
                "insert into presence_counts select side, entity, rule_id, outcome, "
                f"'unverifiable', count(*) from {source} where side = $side and entity = $entity "
                "group by all", {"side": side, "entity": entity})
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
        _presence(con, name, implied, "true" if in_scope == here else _one_of(in_scope),
                  scope.has("post", name))
        if stage == "cutover":
            _expectations(con, pack, name, scope, params)
        if name in keep and name not in wanted:  # read later by another table's pass
            wanted[name] = _keep_wanted(con, name)
    for temp in ("expect", "post_keys", "key_info", *wanted.values()):
        con.execute(f"drop table if exists {db.ident(temp)}")
    con.execute("""
        insert into discrepancies
        select side, entity, record_key, class,
            case when want then 'present (' else 'absent (' end || outcome || ')',
            case when present then 'present' else 'absent' end, rule_id
        from presence_odd where class in ('survived_unexpectedly', 'lost_unexpectedly')
    """)


def _expect(con: db.Connection, source: str, table: str, entities: list[tuple[str, str]]) -> None:
    """Table `expect`: the ledger records that land in `table`, with their key as matched."""
    con.execute("create or replace temp table expect (side varchar, entity varchar, "
                "record_key varchar, outcome varchar, rule_id varchar, match_key varchar, "
                "want boolean)")
    for side, entity in entities:  # one entity at a time: a sorted Parquet ledger skips the rest
        con.execute(
            "insert into expect select side, entity, record_key, outcome, rule_id, "
            f"{_norm_ledger_key(table)}, not list_contains($absent, outcome) from {source} "
            "where side = $side and entity = $entity",
            {"absent": sorted(ABSENT_OUTCOMES), "side": side, "entity": entity})


def _wanted_keys(con: db.Connection, source: str, table: str,
                 entities: list[tuple[str, str]]) -> str:
    """A temp table of the keys of `table` some record is predicted to be there under."""
    _expect(con, source, table, entities)
    return _keep_wanted(con, table)


def _keep_wanted(con: db.Connection, table: str) -> str:
    name = "wanted_" + table
    con.execute(f"create or replace temp table {db.ident(name)} as "
                "select distinct match_key from expect where want")
    return name


def _presence(con: db.Connection, table: str, implied: str, counted: str,
              unexpected: bool) -> None:
    """Match `expect` with the table's rows: counts and records not confirmed of the records
    `counted` (an SQL condition), and the rows in no input record if `unexpected`."""
    con.execute(
        f"create or replace temp table post_keys as select {_norm_key(table, 't')} as match_key, "
        f"{_raw_key(table, 't')} as record_key, {implied} as implied "
        f"from {db.qualified('post', table)} as t")
    # Per key: is it in Alma, does a record want it there (or the load make it), is it in any
    # input record.
    con.execute("""
        create or replace temp table key_info as
        select match_key, bool_or(is_post) as found, bool_or(want) as any_want,
            bool_or(not is_post) as expected
        from (select match_key, false as is_post, want from expect
              union all select match_key, true, implied from post_keys)
        group by all""")
    classified = f"""
        select e.side, e.entity, e.record_key, e.outcome, e.rule_id, e.want, k.found as present,
            case when e.want and k.found then 'confirmed'
                 when e.want then 'lost_unexpectedly'
                 when not k.found then 'confirmed'
                 when k.any_want then 'confirmed'
                 else 'survived_unexpectedly' end as class
        from expect e join key_info k using (match_key)
        where {counted}"""
    con.execute("insert into presence_counts select side, entity, rule_id, outcome, class, "
                f"count(*) from ({classified}) group by all")
    con.execute("insert into presence_odd select side, entity, record_key, outcome, rule_id, "
                f"want, present, class from ({classified}) where class <> 'confirmed'")
    if unexpected:
        con.execute("""
            insert into discrepancies
            select 'post', $t, p.record_key, 'unexpected', 'absent (in no input record)',
                   'present', null
            from post_keys p join key_info k using (match_key)
            where not p.implied and not k.expected""", {"t": table})


def _expectations(con: db.Connection, pack: Pack, table: str, scope: Scope,
                  params: dict[str, Any]) -> None:
    """Each rule's expect_after over the post rows of the records it decided (in `expect`)."""
    for entity, rule in pack.rules():
        if rule.expect_after is None or post_table(entity.side, entity.name) != table \
                or not scope.has(entity.side, entity.name):
            continue
        alias = db.ident(table)
        cond = render(linted(rule.expect_tree))
        fields = ", ".join(f"{db.ident(c)} := {alias}.{db.ident(c)}"
                           for c in TABLES[table].column_names)
        observed = f"cast(to_json(struct_pack({fields})) as varchar)"
        sql = (
            f"insert into discrepancies select p.side, p.entity, p.record_key, 'state_mismatch', "
            f"$expected, {observed}, p.rule_id from expect p "
            f"join {db.qualified('post', table)} as {alias} "
            f"on {_norm_key(table, alias)} = p.match_key "
            f"where p.rule_id = $rule and not coalesce(({cond}), false)"
        )
        values = {**params, "expected": rule.expect_after, "rule": rule.id}
        con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})


# --- later stages -------------------------------------------------------------------------


def _stage_insert(con: db.Connection, select: str, params: dict[str, Any] | None = None) -> None:
    con.execute(f"insert into discrepancies {select}", params)


def fulfillment_checks(con: db.Connection, has_baseline: bool,
                       forms: dict[str, tuple[str, str]], scope: Scope = EVERY_ENTITY) -> None:
    """Only patrons, loans and hold-shelf requests may change; items follow their loans."""
    fulfillment_tables = {"users", "user_roles", "loans", "requests", "course_instructors",
                          "items"}
    for table in tables_for("alma") if has_baseline else []:
        if table.name in fulfillment_tables or not scope.has("alma", table.name):
            continue
        for a, b, seen in (("base", "post", "absent"), ("post", "base", "present")):
            _stage_insert(con, f"""
                select 'alma', $t, {_raw_key(table.name, 'x')}, 'changed_at_fulfillment',
                    '{'present' if seen == 'absent' else 'absent'} as at cutover',
                    '{seen} after the fulfillment load', null
                from {db.qualified(a, table.name)} x
                where not exists (select 1 from {db.qualified(b, table.name)} y
                                  where {_norm_key(table.name, 'y')} =
                                        {_norm_key(table.name, 'x')})""", {"t": table.name})
    # Staff users and non-hold-shelf requests are not fulfillment data.
    if has_baseline and scope.has("alma", "users"):
        _stage_insert(con, """
            select 'alma', 'users', b.primary_id, 'changed_at_fulfillment',
                'staff user as at cutover', coalesce(p.record_type, 'absent'), null
            from base.users b left join post.users p on lower(p.primary_id) = lower(b.primary_id)
            where b.record_type <> 'PUBLIC' and p.record_type is distinct from b.record_type""")
    if has_baseline and scope.has("alma", "requests"):
        _stage_insert(con, """
            select 'alma', 'requests', b.request_id, 'changed_at_fulfillment',
                'request as at cutover (' || b.status || ')', coalesce(p.status, 'absent'), null
            from base.requests b left join post.requests p on p.request_id = b.request_id
            where upper(b.status) <> 'ON_HOLD_SHELF' and (p.request_id is null
                or p.status is distinct from b.status
                or p.primary_id is distinct from b.primary_id
                or p.item_barcode is distinct from b.item_barcode)""")
    if has_baseline and scope.has("alma", "items"):
        _stage_insert(con, """
            select 'alma', 'items', p.barcode, 'loan_count_changed',
                'loan_count ' || coalesce(cast(b.loan_count as varchar), 'empty'),
                'loan_count ' || coalesce(cast(p.loan_count as varchar), 'empty'), null
            from post.items p join base.items b on b.barcode = p.barcode
            where p.loan_count is distinct from b.loan_count""")
    if scope.has("alma", "items"):
        _stage_insert(con, """
            select 'alma', 'items', i.barcode, 'item_status_mismatch',
                case when l.item_barcode is null then 'not ON_LOAN (no active loan)'
                     else 'ON_LOAN (active loan)' end,
                coalesce(i.status, 'empty'), null
            from post.items i
            left join (select distinct item_barcode from post.loans where returned_at is null) l
                on l.item_barcode = i.barcode
            where (l.item_barcode is not null) <> (upper(coalesce(i.status, '')) = 'ON_LOAN')""")
    if scope.has("alma", "course_instructors"):
        _stage_insert(con, """
            select 'alma', 'course_instructors', c.course_code || '|' || c.instructor_primary_id,
                'instructor_unlinked', 'a user with this Primary ID', 'no such user', null
            from post.course_instructors c
            where not exists (select 1 from post.users u
                              where lower(u.primary_id) = lower(c.instructor_primary_id))""")
    for name, (before, after) in sorted(forms.items()) if scope.has("extract", "forms") else []:
        if before != after:
            _stage_insert(con, "select 'extract', 'forms', $name, 'form_changed', $b, $a, null",
                          {"name": name, "b": _digest(before), "a": _digest(after)})


def _digest(value: str) -> str:
    return value if value == "missing" else f"sha256 {value}"


def golive_checks(con: db.Connection, scenario: Scenario, pack: Pack,
                  scope: Scope = EVERY_ENTITY) -> list[dict[str, Any]]:
    """Go-live switches addresses, jobs and parameters; webhooks stay for the library."""
    params = {"pattern": scenario.scrubbed_email_pattern}
    for table, key in (("users", "primary_id"), ("vendors", "code"), ("rs_partners", "code")):
        if not scope.has("alma", table):
            continue
        _stage_insert(con, f"""
            select 'alma', $t, {db.ident(key)}, 'still_scrubbed', 'a real address',
                email, null
            from {db.qualified('post', table)}
            where email is not null and regexp_matches(email, $pattern)""",
                      {**params, "t": table})
    for entity, rule in pack.rules():
        if rule.golive_check is not None and scope.has(entity.side, entity.name):
            _golive_check(con, entity, rule, rule.golive_check)
    expected = {name: "true" for name in GOLIVE_PARAMETERS}
    expected[PREFERRED_TERM_PARAMETER] = \
        "true" if scenario.options.get("authority_preferred_term_correction") else "false"
    for name, value in expected.items() if scope.has("alma", "parameters") else []:
        _stage_insert(con, """
            select 'alma', 'parameters', $name, 'parameter_not_enabled', $value,
                coalesce(max(p.value), 'absent'), null
            from post.parameters p where p.name = $name
            having lower(coalesce(max(p.value), '')) <> $value
                and ($value = 'true' or count(*) > 0)""", {"name": name, "value": value})
    return [action for entity, rule in pack.rules()
            if rule.golive_action is not None and scope.has(entity.side, entity.name)
            for action in _golive_actions(con, entity, rule, rule.golive_action)]


def _decided(entity: Entity, rule: Rule) -> tuple[str, str]:
    """FROM clause and condition: the post rows of the records `rule` decided."""
    table = entity.name
    alias = db.ident(table)
    source = (f"{db.qualified('post', table)} as {alias} join ledger l on l.side = "
              f"{db.literal(entity.side)} and l.entity = {db.literal(table)} "
              f"and l.record_key = {_raw_key(table, alias)}")
    return source, f"l.rule_id = {db.literal(rule.id)}"


def _golive_check(con: db.Connection, entity: Entity, rule: Rule, check: GoliveCheck) -> None:
    source, decided = _decided(entity, rule)
    _stage_insert(con, f"""
        select {db.literal(entity.side)}, {db.literal(entity.name)}, l.record_key,
            $class, $expected, coalesce(cast(({render(linted(check.observed_tree))})
            as varchar), 'empty'), l.rule_id
        from {source}
        where {decided} and not coalesce(({render(linted(check.expect_tree))}),
                                         false)""",
                  {"class": check.klass, "expected": check.expected})


def _golive_actions(con: db.Connection, entity: Entity, rule: Rule,
                    action: GoliveAction) -> list[dict[str, Any]]:
    """What to do by hand for each record `rule` decided where the action's condition holds."""
    source, decided = _decided(entity, rule)
    alias = db.ident(entity.name)
    name = (f"coalesce({alias}.name, '')" if "name" in TABLES[entity.name].column_names
            else "''")
    rows = con.rows(f"select l.record_key, {name} from {source} where {decided} and "
                    f"coalesce(({render(linted(action.when_tree))}), false) "
                    "order by l.record_key")
    return [{"entity": entity.id, "key": k, "action": action.text.format(name=label or k)}
            for k, label in rows]


# --- summary --------------------------------------------------------------------------------


def summarise(con: db.Connection) -> VerifyResult:
    # A record found as predicted but failing a check of its rule (expect_after, a job left off
    # at go-live) counts under that check, not as confirmed: each record has one class. Such a
    # record is confirmed in presence unless it is one of the few not confirmed there.
    con.execute("""
        create or replace temp table flagged_confirmed as
        select side, entity, record_key, any_value(rule_id) as rule_id
        from discrepancies f where rule_id is not null and not exists (
            select 1 from presence_odd o where o.side = f.side and o.entity = f.entity
                and o.record_key = f.record_key)
        group by side, entity, record_key""")
    class_counts = [
        {"side": s, "entity": e, "class": c, "count": int(n)}
        for s, e, c, n in con.rows("""
            with kept as (
                select side, entity, class, sum(n) as n from presence_counts
                where class in ('confirmed', 'unverifiable') group by all),
            flagged as (
                select side, entity, 'confirmed' as class, count(*) as n
                from flagged_confirmed group by all)
            select side, entity, class, n from (
                select k.side, k.entity, k.class, k.n - coalesce(f.n, 0) as n
                from kept k left join flagged f using (side, entity, class)
                union all
                select side, entity, class, count(*) from discrepancies group by all)
            where n > 0 order by all""")
    ]
    matrix = [
        {"rule_id": r, "side": s, "entity": e, "outcome": o, "predicted": int(p),
         "confirmed": int(c), "surprises": int(x), "by_class": json.loads(b) if b else {}}
        for r, s, e, o, p, c, x, b in con.rows("""
            with d as (
                select rule_id, class, count(*) as n from discrepancies
                where rule_id is not null group by all),
            agg as (select rule_id, sum(n) as surprises,
                           to_json(map(list(class order by class), list(n order by class))) as b
                    from d group by all),
            p as (select rule_id, any_value(side) as side, any_value(entity) as entity,
                         any_value(outcome) as outcome, sum(n) as predicted,
                         coalesce(sum(n) filter (where class = 'confirmed'), 0) as confirmed
                  from presence_counts group by rule_id),
            f as (select rule_id, count(*) as n from flagged_confirmed group by all)
            select p.rule_id, p.side, p.entity, p.outcome, p.predicted,
                p.confirmed - coalesce(f.n, 0), coalesce(agg.surprises, 0),
                cast(agg.b as varchar)
            from p left join agg using (rule_id) left join f using (rule_id)
            order by p.rule_id""")
    ]
    total = int(con.one("select count(*) from discrepancies"))
    return VerifyResult(class_counts, matrix, total)


# --- inputs ---------------------------------------------------------------------------------


def scenario_from_manifest(data: dict[str, Any]) -> Scenario:
    return Scenario(
        institution=str(data.get("institution", "")),
        dates={k: dt.datetime.fromisoformat(v) for k, v in data.get("dates", {}).items()},
        options=dict(data.get("options", {})),
        allowed_emails=list(data.get("allowed_emails", [])),
        scrubbed_email_pattern=str(data.get("scrubbed_email_pattern") or DEFAULT_SCRUBBED),
        source="prediction manifest",
    )


@dataclass
class Prediction:
    """A saved predict run: its ledger and the inputs it was made from."""

    run: Path
    summary: dict[str, Any]
    inputs: bundle.Inputs
    warnings: list[str]
    unchanged: frozenset[str] = frozenset()  # inputs byte-identical to those predict validated


def open_prediction(run: Path) -> Prediction:
    shown = display_path(run)
    summary_path, ledger_path = run / "summary.json", run / "ledger.parquet"
    if not summary_path.is_file() or not ledger_path.is_file():
        raise UserError(Problem(Loc(shown), "not a predict run folder (summary.json and "
                                            "ledger.parquet expected)"))
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(Problem(Loc(display_path(summary_path)), f"unreadable: {e}")) from None
    if summary.get("kind") != "predict":
        raise UserError(Problem(Loc(display_path(summary_path)),
                                f"a {summary.get('kind')!r} run, not a predict run"))
    manifest = summary.get("manifest", {})
    if manifest.get("pseudonymized"):
        raise UserError(Problem(Loc(shown), "the prediction was pseudonymised; verify needs "
                                            "the real keys (predict again without --pseudonymize)"))
    snaps = manifest.get("snapshots", {})
    problems = Collector()
    opened: dict[str, Snapshot] = {}
    warnings = []
    unchanged = set()
    for name, side in (("pre", "alma"), ("extract", "extract"), ("testload", "alma")):
        if name not in snaps:
            continue
        path = Path(snaps[name]["path"])
        if not path.is_dir() and snaps[name].get("location"):
            path = Path(snaps[name]["location"])  # verify runs from another folder
        try:
            opened[name] = snapshot.open_snapshot(path, side, f"{name} of the prediction")
        except UserError as e:
            problems.extend(e.problems)
            continue
        if opened[name].file_hashes() != snaps[name].get("files"):
            warnings.append(f"{display_path(path)}: files changed since the prediction was made")
        else:
            unchanged.add(name)
    problems.raise_if_any()
    if "pre" not in opened or "extract" not in opened:
        raise UserError(Problem(Loc(shown), "the prediction's manifest names no pre and extract "
                                            "snapshots"))
    inputs = bundle.Inputs(opened["pre"], opened["extract"],
                           scenario_from_manifest(manifest.get("scenario", {})),
                           opened.get("testload"))
    return Prediction(run, summary, inputs, warnings, frozenset(unchanged))


def load_post(con: db.Connection, post: Snapshot, schema: str = "post",
              tables: set[str] | None = None) -> None:
    """Attach and validate an Alma-side snapshot; with `tables`, only those tables (the others
    are attached empty and not read)."""
    if tables is not None:
        post = snapshot.only(post, tables)
    problems = Collector()
    problems.extend(snapshot.attach(con, schema, post, "alma"))
    problems.extend(validate.validate(con, schema, post))
    problems.raise_if_any()


# --- the command ----------------------------------------------------------------------------

FIXES = {
    "lost_unexpectedly": "Check the load's reject reports and the rule: either the rule is wrong "
                         "or the load lost these records.",
    "survived_unexpectedly": "The load kept records the rules said would go: check the rule, or "
                             "clean these up by hand.",
    "unexpected": "Records after the load that no input explains: made by hand during the "
                  "freeze, or loaded from a file that was not in the extract.",
    "state_mismatch": "The records are there but not in the state the rule expects: compare the "
                      "observed values with the rule's expectation.",
}
SAMPLE = 10
CITES = {
    "unexpected": "Alma Configuration Freeze",
    "changed_at_fulfillment": "Fulfillment Load",
    "loan_count_changed": "Fulfillment Load",
    "item_status_mismatch": "Fulfillment Load",
    "instructor_unlinked": "Courses during fulfillment load",
    "form_changed": "Fulfillment Load",
    "still_scrubbed": "Unscrub Emails/FTP",
    "job_not_enabled": "Enable Job Schedule",
    "parameter_not_enabled": "Acquisition Solr indexing/save",
}


def findings(con: db.Connection, budgets_: list[Any], pack: Pack) -> list[dict[str, Any]]:
    from simulator.commands.verify import budgets as budget_mod

    totals = dict(((s, e), int(n)) for s, e, n in con.rows(
        "select side, entity, sum(n) from presence_counts group by all"))
    groups = con.rows("""
        select side, entity, class, coalesce(rule_id, ''), count(*),
               list(record_key order by record_key)[1:$n],
               list([record_key, expected, observed] order by record_key)[1:$n]
        from discrepancies group by all order by all""", {"n": SAMPLE})
    cites = {r.id: r.cite for _, r in pack.rules()}
    out = []
    for side, entity, klass, rule_id, n, keys, details in groups:
        # A stage check looks at the table's rows after the load: a percentage is of those.
        where = ("post" if klass in STAGE_CLASSES else side, entity)
        if where[0] == "post" and where not in totals:
            totals[where] = _post_rows(con, entity)
        total = totals.get(where, 0)
        verdict, budget = budget_mod.judge(budgets_, f"{side}.{entity}", klass, int(n), total)
        severity = {"fail": "blocker", "warn": "warning"}.get(verdict, "info")
        if klass == "form_changed":
            severity = "blocker"  # the fulfillment load must run with the cutover's forms
        what = STAGE_CLASSES.get(klass, klass.replace("_", " "))
        out.append({
            "id": f"verify.{klass}.{side}.{entity}" + (f".{rule_id}" if rule_id else ""),
            "severity": severity,
            "title": f"{side}.{entity}: {int(n):,} {what}"
                     + (f" (rule {rule_id})" if rule_id else ""),
            "count": int(n),
            "sample_keys": list(keys),
            "fix": FIXES.get(klass, "Compare with the vendor's go-live and fulfillment "
                                    "checklists and correct it with the project team."),
            "rule_id": rule_id or klass,
            "entity": f"{side}.{entity}",
            "cite": cites.get(rule_id, CITES.get(klass, "Test Final Data")),
            "confidence": "documented",
            "class": klass,
            "budget": str(budget.threshold(verdict)) if budget else "",
            "details": [{"key": k, "expected": e, "observed": o} for k, e, o in details],
        })
    order = {"blocker": 0, "warning": 1, "info": 2}
    out.sort(key=lambda f: (order[f["severity"]], f["id"]))
    return out


def _post_rows(con: db.Connection, table: str) -> int:
    """Rows of an Alma table after the load (what a stage check's percentage is of)."""
    if table not in {t.name for t in tables_for("alma")}:
        return 0
    return int(con.one(f"select count(*) from {db.qualified('post', table)}"))


def junit_cases(con: db.Connection, pack: Pack) -> list[Any]:
    from simulator.output.junit import Case

    failures: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for side, entity, klass, rule, n, keys in con.rows("""
            select side, entity, class, coalesce(rule_id, class), count(*),
                   list(record_key order by record_key)[1:$n]
            from discrepancies group by all order by all""", {"n": SAMPLE}):
        failures.setdefault((f"{side}.{entity}", rule), []).append((klass, int(n), list(keys)))
    names = {(f"{s}.{e}", r) for s, e, r in con.rows(
        "select distinct side, entity, rule_id from presence_counts")}
    return [Case(suite, name, failures.get((suite, name), []))
            for suite, name in sorted(names | set(failures))]


@dataclass
class Run:
    out: Path
    result: VerifyResult
    summary: dict[str, Any]
    findings: list[dict[str, Any]]

    @property
    def failed(self) -> bool:
        return any(f["severity"] == "blocker" for f in self.findings)


def run(
    post_path: Path,
    out: Path,
    *,
    prediction: Path | None = None,
    inputs: bundle.Inputs | None = None,
    stage: str = "cutover",
    budgets_path: Path | None = None,
    baseline: Path | None = None,
    cutover_extract: Path | None = None,
    rules: list[Path] | None = None,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
    entities: list[str] | None = None,
    memory_limit: str | None = None,
    progress: Any = lambda step: None,
) -> Run:
    """Verify the post snapshot at `post_path` against a prediction into run folder `out`.

    `entities` (`--entity`) limits the run to some entities (see `resolve_scope`).
    """
    from reports.render import VerifyReport, render_verify
    from simulator.commands import views as reporting
    from simulator.commands.verify import budgets as budget_mod
    from simulator.output import runfolder
    from simulator.output.junit import junit_xml
    from simulator.rules.loader import load_pack

    runfolder.check_out(out)
    if stage not in STAGES:
        raise UserError(f"--stage must be one of {', '.join(STAGES)}, not '{stage}'")
    problems = Collector()
    warnings: list[str] = []
    pred = None
    try:
        if prediction is not None:
            pred = open_prediction(prediction)
            inputs, warnings = pred.inputs, pred.warnings
    except UserError as e:
        problems.extend(e.problems)
    snaps: dict[str, Snapshot] = {}
    for name, path, side in (("post", post_path, "alma"), ("baseline", baseline, "alma"),
                             ("cutover_extract", cutover_extract, "extract")):
        if path is None:
            continue
        try:
            snaps[name] = snapshot.open_snapshot(path, side, f"--{name.replace('_', '-')}")
        except UserError as e:
            problems.extend(e.problems)
    budgets_ = budget_mod.DEFAULT
    if budgets_path is not None:
        try:
            budgets_ = budget_mod.load(budgets_path, ("confirmed", *SURPRISES),
                                       set(BUDGET_ENTITIES))
        except UserError as e:
            problems.extend(e.problems)
    progress("checking rules")
    try:
        pack = engine.checked_pack(load_pack(rules))
        scope = resolve_scope(entities, pack)
    except UserError as e:
        problems.extend(e.problems)
    problems.raise_if_any()
    assert inputs is not None
    post = snaps["post"]
    warnings += post.warnings
    if post.stage != stage:
        warnings.append(f"{display_path(post.path)}: stage '{post.stage}' but verifying the "
                        f"'{stage}' stage")
    con = db.connect(memory_limit)
    try:
        progress("loading and validating snapshots")
        bundle.load_and_validate(con, inputs, trusted=pred.unchanged if pred else frozenset())
        needed = tables_needed(scope, pack, stage)
        load_post(con, post, tables=needed)
        if "baseline" in snaps:
            load_post(con, snaps["baseline"], "base", tables=needed)
        # `ledger` (what the run folder keeps, and go-live reads) holds the records in scope;
        # `source` every record, read one entity at a time by the reconciliation.
        columns = ", ".join(db.ident(c) for c in engine.LEDGER_COLUMNS)
        in_order = runfolder.LEDGER_IN_ORDER
        if pred is not None:
            source = f"read_parquet({db.literal(str(pred.run / 'ledger.parquet'))})"
        else:
            progress("classifying records")
            in_order = engine.classify(con, pack, inputs.scenario).ledger_in_order
            source = "ledger"
            if scope.partial:  # `ledger` (a table or a view) becomes the records in scope
                kind = con.one("select table_type from information_schema.tables where "
                               "table_catalog = 'temp' and table_name = 'ledger'")
                con.execute(f"alter {'view' if kind == 'VIEW' else 'table'} ledger "
                            "rename to ledger_all")
                source = "ledger_all"
        if source != "ledger":  # a view: the Parquet file is read where it is needed
            con.execute(f"create or replace temp view ledger as select {columns} from {source} "
                        f"where {scope.where()}")
        progress("verifying")
        actions: list[dict[str, Any]] = []
        reconcile(con, pack, source, scope, stage, inputs.scenario.params())
        if stage == "fulfillment":
            forms = {}
            if "cutover_extract" in snaps:
                before = {n: snapshot.sha256(p) for n, p in snaps["cutover_extract"].forms.items()
                          if p.is_file()}
                after = {n: snapshot.sha256(p) for n, p in inputs.extract.forms.items()
                         if p.is_file()}
                forms = {n: (before.get(n, "missing"), after.get(n, "missing"))
                         for n in sorted(set(before) | set(after))}
            else:
                warnings.append("no --cutover-extract: the migration and field mapping forms "
                                "were not compared with the cutover's")
            if "baseline" not in snaps:
                warnings.append("no --baseline: what changed since the cutover load (other "
                                "tables, staff users, requests, loan counts) was not checked")
            fulfillment_checks(con, "baseline" in snaps, forms, scope)
        elif stage == "golive":
            actions = golive_checks(con, inputs.scenario, pack, scope)
        result = summarise(con)
        result.actions = actions
        found = findings(con, budgets_, pack)
        manifest = runfolder.manifest(inputs, pack, command)
        manifest["snapshots"]["post"] = {
            "path": display_path(post.path), "institution": post.institution,
            "stage": post.stage, "taken_at": post.taken_at, "files": post.file_hashes()}
        if pred is not None:
            manifest["prediction"] = {"path": display_path(pred.run),
                                      "rule_pack_hash": pred.summary["manifest"].get(
                                          "rule_pack_hash")}
            if pred.summary["manifest"].get("rule_pack_hash") != pack.digest:
                warnings.append("the rule pack differs from the one the prediction used; "
                                "expectations come from the current pack")
        if scope.partial:
            manifest["entity_filter"] = list(scope.names)
        blockers = sum(1 for f in found if f["severity"] == "blocker")
        n = result.discrepancies
        noun = "discrepancy" if n == 1 else "discrepancies"
        verdict = (f"{n:,} {noun}; {blockers} over a fail budget." if blockers else
                   f"{n:,} {noun}, none over a fail budget." if n else
                   "Confirmed: Alma holds exactly what the prediction said." if not scope.partial
                   else "Confirmed: for the entities checked, Alma holds exactly what the "
                        "prediction said.")
        summary = {
            "kind": "verify",
            "stage": stage,
            "institution": inputs.scenario.institution,
            "verdict": verdict,
            "counts": result.class_counts,
            "matrix": result.matrix,
            "findings": found,
            "actions": actions,
            "warnings": warnings,
            "scope": scope.as_dict(),
            "manifest": manifest,
        }
        progress("writing the run folder")

        def extras(folder: Path) -> None:
            ordered = ("select side, entity, record_key, class, expected, observed, rule_id "
                       "from discrepancies order by side, entity, record_key, class")
            con.execute(f"copy ({ordered}) to {db.literal(str(folder / 'discrepancies.parquet'))}"
                        " (format parquet, compression zstd)")
            con.execute(f"copy ({ordered}) to {db.literal(str(folder / 'discrepancies.csv'))} "
                        "(format csv, header true)")
            (folder / "junit.xml").write_bytes(junit_xml(junit_cases(con, pack)))
            report = VerifyReport(
                institution=inputs.scenario.institution,
                stage=stage,
                verdict=verdict,
                verdict_level=level_of(found),
                findings=reporting.mask_findings(found, show_pii),
                counts=result.class_counts,
                matrix=result.matrix,
                actions=actions,
                warnings=warnings,
                manifest=manifest,
                scope_note=scope.note,
            )
            html, markdown = render_verify(report)
            (folder / "report.html").write_text(html, encoding="utf-8")
            (folder / "summary.md").write_text(markdown, encoding="utf-8")

        if pred is not None:  # its ledger file is in order; DuckDB keeps the order of a scan
            in_order = f"select {', '.join(engine.LEDGER_COLUMNS)} from ledger"
        elif scope.partial:  # `ledger` is a filtered view of the classified records
            in_order = runfolder.LEDGER_IN_ORDER
        runfolder.write_run(con, out, summary, extras, csv_mode, in_order)
    finally:
        con.close()
    return Run(out, result, summary, found)
