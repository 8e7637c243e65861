"""The checks of the later stages (docs/commands/verify.md, "The later stages"): what the
fulfillment load may change, and what go-live must switch back on. Each check inserts the
discrepancies of one class (classes.py declares which, and at which stage); go-live also lists
actions to take by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.commands.verify.scope import Scope
from simulator.inputs import keys, snapshot
from simulator.inputs.scenario import Scenario
from simulator.inputs.snapshot import Snapshot
from simulator.inputs.tables import TABLES, tables_for
from simulator.rules.analysis import render
from simulator.rules.model import Entity, GoliveAction, Pack, Rule, linted

# Tables the fulfillment load may change: patrons, their roles, loans, requests, course
# instructors (linked to users) and items (which follow their loans).
FULFILLMENT_TABLES = frozenset({"users", "user_roles", "loans", "requests",
                                "course_instructors", "items"})
GOLIVE_PARAMETERS = ("acquisition_solr_indexing_enabled", "acquisition_solr_save_enabled")
# Not in the vendor's parameter list; the name this tool expects (see docs/commands/verify.md).
PREFERRED_TERM_PARAMETER = "authority_preferred_term_correction_enabled"
# Tables whose e-mail addresses go-live unscrubs, and their keys.
UNSCRUBBED = (("users", "primary_id"), ("vendors", "code"), ("rs_partners", "code"))
NO_BASELINE = ("no --baseline: what changed since the cutover load (other tables, staff users, "
               "requests, loan counts) was not checked")
NO_CUTOVER_EXTRACT = ("no --cutover-extract: the migration and field mapping forms were not "
                      "compared with the cutover's")


@dataclass(frozen=True)
class Context:
    """What a stage check reads: the post snapshot (schema `post`), the baseline (schema `base`,
    when `baseline`), the records in scope (view `ledger`), and where it writes."""

    con: db.Connection
    scope: Scope
    scenario: Scenario
    ledger: str  # the ledger records in scope (a view name)
    discrepancies: str  # the table a check inserts into
    baseline: bool = False
    # name -> (digest at the cutover, digest now) of each migration and field mapping form;
    # None: no --cutover-extract to compare with.
    forms: dict[str, tuple[str, str]] | None = None

    def insert(self, select: str, params: dict[str, Any] | None = None) -> None:
        self.con.execute(f"insert into {db.ident(self.discrepancies)} {select}", params)


def form_digests(before: Snapshot | None, after: Snapshot) -> dict[str, tuple[str, str]] | None:
    """(at the cutover, now) digest of each form of either extract; None without `before`."""
    if before is None:
        return None
    old = {n: snapshot.sha256(p) for n, p in before.forms.items() if p.is_file()}
    new = {n: snapshot.sha256(p) for n, p in after.forms.items() if p.is_file()}
    return {n: (old.get(n, "missing"), new.get(n, "missing")) for n in sorted(set(old) | set(new))}


def warnings(stage: str, baseline: bool, forms: dict[str, tuple[str, str]] | None) -> list[str]:
    """The checks of `stage` skipped for want of an input."""
    if stage != "fulfillment":
        return []
    return ([NO_CUTOVER_EXTRACT] if forms is None else []) + ([] if baseline else [NO_BASELINE])


# --- the fulfillment load ---------------------------------------------------------------------


def changed_at_fulfillment(ctx: Context) -> None:
    """Only patrons, loans and hold-shelf requests may change: rows of any other table that
    appeared or went, staff users changed, requests not on the hold shelf changed."""
    if not ctx.baseline:
        return
    branches: list[str] = []
    params: dict[str, Any] = {}
    for table in tables_for("alma"):
        if table.name in FULFILLMENT_TABLES or not ctx.scope.has("alma", table.name):
            continue
        name = f"t{len(params)}"
        params[name] = table.name
        for a, b, seen in (("base", "post", "absent"), ("post", "base", "present")):
            branches.append(f"""
                select 'alma', ${name}, {keys.key_sql(table.name, 'x')},
                    'changed_at_fulfillment',
                    '{'present' if seen == 'absent' else 'absent'} as at cutover',
                    '{seen} after the fulfillment load', null
                from {db.qualified(a, table.name)} x
                where not exists (select 1 from {db.qualified(b, table.name)} y
                                  where {keys.normal_key_sql(table.name, 'y')} =
                                        {keys.normal_key_sql(table.name, 'x')})""")
    if branches:  # every table in one statement: most of them are small
        ctx.insert(" union all ".join(branches), params)
    if ctx.scope.has("alma", "users"):
        ctx.insert("""
            select 'alma', 'users', b.primary_id, 'changed_at_fulfillment',
                'staff user as at cutover', coalesce(p.record_type, 'absent'), null
            from base.users b left join post.users p on lower(p.primary_id) = lower(b.primary_id)
            where b.record_type <> 'PUBLIC' and p.record_type is distinct from b.record_type""")
    if ctx.scope.has("alma", "requests"):
        ctx.insert("""
            select 'alma', 'requests', b.request_id, 'changed_at_fulfillment',
                'request as at cutover (' || b.status || ')', coalesce(p.status, 'absent'), null
            from base.requests b left join post.requests p on p.request_id = b.request_id
            where upper(b.status) <> 'ON_HOLD_SHELF' and (p.request_id is null
                or p.status is distinct from b.status
                or p.primary_id is distinct from b.primary_id
                or p.item_barcode is distinct from b.item_barcode)""")


def loan_count_changed(ctx: Context) -> None:
    """Items keep their loan count through the fulfillment load."""
    if ctx.baseline and ctx.scope.has("alma", "items"):
        ctx.insert("""
            select 'alma', 'items', p.barcode, 'loan_count_changed',
                'loan_count ' || coalesce(cast(b.loan_count as varchar), 'empty'),
                'loan_count ' || coalesce(cast(p.loan_count as varchar), 'empty'), null
            from post.items p join base.items b on b.barcode = p.barcode
            where p.loan_count is distinct from b.loan_count""")


def item_status_mismatch(ctx: Context) -> None:
    """An item is on loan exactly when it has an active loan."""
    if ctx.scope.has("alma", "items"):
        ctx.insert("""
            select 'alma', 'items', i.barcode, 'item_status_mismatch',
                case when l.item_barcode is null then 'not ON_LOAN (no active loan)'
                     else 'ON_LOAN (active loan)' end,
                coalesce(i.status, 'empty'), null
            from post.items i
            left join (select distinct item_barcode from post.loans where returned_at is null) l
                on l.item_barcode = i.barcode
            where (l.item_barcode is not null) <> (upper(coalesce(i.status, '')) = 'ON_LOAN')""")


def instructor_unlinked(ctx: Context) -> None:
    """Every course instructor links to a user."""
    if ctx.scope.has("alma", "course_instructors"):
        ctx.insert("""
            select 'alma', 'course_instructors', c.course_code || '|' || c.instructor_primary_id,
                'instructor_unlinked', 'a user with this Primary ID', 'no such user', null
            from post.course_instructors c
            where not exists (select 1 from post.users u
                              where lower(u.primary_id) = lower(c.instructor_primary_id))""")


def form_changed(ctx: Context) -> None:
    """The migration and field mapping forms hash as the cutover extract's."""
    if ctx.forms is None or not ctx.scope.has("extract", "forms"):
        return
    for name, (before, after) in sorted(ctx.forms.items()):
        if before != after:
            ctx.insert("select 'extract', 'forms', $name, 'form_changed', $b, $a, null",
                       {"name": name, "b": _digest(before), "a": _digest(after)})


def _digest(value: str) -> str:
    return value if value == "missing" else f"sha256 {value}"


# --- go-live ----------------------------------------------------------------------------------


def still_scrubbed(ctx: Context) -> None:
    """Go-live unscrubs the e-mail addresses of users, vendors and resource sharing partners."""
    for table, key in UNSCRUBBED:
        if ctx.scope.has("alma", table):
            ctx.insert(f"""
                select 'alma', $t, {db.ident(key)}, 'still_scrubbed', 'a real address',
                    email, null
                from {db.qualified('post', table)}
                where email is not null and regexp_matches(email, $pattern)""",
                       {"pattern": ctx.scenario.scrubbed_email_pattern, "t": table})


def parameter_not_enabled(ctx: Context) -> None:
    """Acquisition Solr indexing and saving on; preferred term correction as the scenario
    asks."""
    if not ctx.scope.has("alma", "parameters"):
        return
    expected = {name: "true" for name in GOLIVE_PARAMETERS}
    expected[PREFERRED_TERM_PARAMETER] = \
        "true" if ctx.scenario.options.get("authority_preferred_term_correction") else "false"
    for name, value in expected.items():
        ctx.insert("""
            select 'alma', 'parameters', $name, 'parameter_not_enabled', $value,
                coalesce(max(p.value), 'absent'), null
            from post.parameters p where p.name = $name
            having lower(coalesce(max(p.value), '')) <> $value
                and ($value = 'true' or count(*) > 0)""", {"name": name, "value": value})


def rule_checks(rules: tuple[tuple[Entity, Rule], ...], ctx: Context) -> None:
    """The go-live checks rules declare (`golive_check`), on the records each rule decided
    that are present after go-live."""
    for entity, rule in rules:
        check = rule.golive_check
        if check is None or not ctx.scope.has(entity.side, entity.name):
            continue
        source, decided = _decided(ctx, entity, rule)
        ctx.insert(f"""
            select {db.literal(entity.side)}, {db.literal(entity.name)}, l.record_key,
                $class, $expected, coalesce(cast(({render(linted(check.observed_tree))})
                as varchar), 'empty'), l.rule_id
            from {source}
            where {decided} and not coalesce(({render(linted(check.expect_tree))}),
                                             false)""",
                   {"class": check.klass, "expected": check.expected})


def golive_actions(ctx: Context, pack: Pack) -> list[dict[str, Any]]:
    """What to do by hand at go-live (rules' `golive_action`), for the entities in scope."""
    return [action for entity, rule in pack.rules()
            if rule.golive_action is not None and ctx.scope.has(entity.side, entity.name)
            for action in _actions(ctx, entity, rule, rule.golive_action)]


def _decided(ctx: Context, entity: Entity, rule: Rule) -> tuple[str, str]:
    """FROM clause and condition: the post rows of the records `rule` decided."""
    table = entity.name
    alias = db.ident(table)
    source = (f"{db.qualified('post', table)} as {alias} join {db.ident(ctx.ledger)} l "
              f"on l.side = {db.literal(entity.side)} and l.entity = {db.literal(table)} "
              f"and l.record_key = {keys.key_sql(table, alias)}")
    return source, f"l.rule_id = {db.literal(rule.id)}"


def _actions(ctx: Context, entity: Entity, rule: Rule,
             action: GoliveAction) -> list[dict[str, Any]]:
    """What to do by hand for each record `rule` decided where the action's condition holds."""
    source, decided = _decided(ctx, entity, rule)
    alias = db.ident(entity.name)
    name = (f"coalesce({alias}.name, '')" if "name" in TABLES[entity.name].column_names
            else "''")
    rows = ctx.con.rows(f"select l.record_key, {name} from {source} where {decided} and "
                        f"coalesce(({render(linted(action.when_tree))}), false) "
                        "order by l.record_key")
    return [{"entity": entity.id, "key": k, "action": action.text.format(name=label or k)}
            for k, label in rows]
