"""The readiness checks: what a rule of the pack cannot express, because it looks across
snapshots (the test load), outside the data (the forms) or at the ledger as a whole.

Each check is ONE declaration: `@check(...)` with its id, severity, area, title, fix, cite,
entity, confidence and runbook workload, on the function that finds its records. The function
returns them as a `Query` (SQL selecting entity, record_key, detail; one row per record), as
(entity, record_key, detail) rows, or None when it cannot check (after saying why with
`ctx.note`). Checks run in the order they are declared here; `CHECKS` is the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from simulator import db
from simulator.core.engine import Result
from simulator.errors import Loc, Problem, UserError
from simulator.inputs.bundle import Inputs
from simulator.inputs.keys import key_sql, keys_equal_sql
from simulator.inputs.snapshot import Snapshot, sha256
from simulator.rules.model import CONFIDENCES, SEVERITIES, Entity, Rule
from simulator.rules.vocabulary import AREAS, WORKLOADS

RETAINED = "Data and Configuration Elements Retained at Cutover"
FORM_NAMES = ("migration_form", "field_mapping_form")
NO_LOGICAL_SETS = ("USER", "PO_LINE", "VENDOR")  # content Alma has only itemized sets for
CODE_TABLES = ("libraries", "locations", "vendors", "rs_partners")
# What no check can see, said in every review after the checks' own notes.
NOT_CHECKED = (
    "FTP and S/FTP addresses are not checked: snapshot format version 1 has no table of FTP "
    "connections. Check them by hand against the allowed list.",
    "Duplicate Primary IDs in the extract (also those differing only in letter case) and "
    "patrons without a Primary ID are not findings: validation refuses such an extract (exit 2) "
    "before any check runs.",
)
NO_TESTLOAD = ("Codes added since the test load and staff users changed since the test load "
               "are not checked: no --testload snapshot was given.")


@dataclass(frozen=True)
class Query:
    """SQL selecting entity, record_key and detail, one row per record."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


Records = Query | Iterable[tuple[str, str, str]] | None


@dataclass
class Context:
    """What a check reads: the connection (the inputs as pre, extract, testload; the `ledger`
    view), the opened inputs and the classification; `check` is the check being run."""

    con: db.Connection
    inputs: Inputs
    result: Result
    notes: list[str]
    check: Check | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # shared by every check of a run

    def note(self, text: str) -> None:
        """Say what was not checked (once, however many checks find it out)."""
        if text not in self.notes:
            self.notes.append(text)

    def testload_has(self, table: str) -> bool:
        return self.inputs.testload is not None and table in self.inputs.testload.files

    @property
    def checked_rules(self) -> list[tuple[Entity, Rule]]:
        """The rules whose findings name this check under `checked_by` (docs/rules.md)."""
        me = self.check.id if self.check else None
        return [(e, r) for e, r in self.result.catalog.values()
                if r.finding is not None and me in r.finding.checked_by]

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """`make()`, computed once for all the checks of a run that need it."""
        if name not in self.cache:
            self.cache[name] = make()
        return self.cache[name]


Finder = Callable[[Context], Records]


@dataclass(frozen=True)
class Check:
    """A readiness check: what the report says of its finding, and how its records are found."""

    id: str
    severity: str
    area: str
    title: str
    fix: str
    cite: str
    entity: str
    confidence: str
    workload: str | None  # the runbook workload its records count towards
    find: Finder


CHECKS: dict[str, Check] = {}  # by id, in declaration (and run) order


def check(id: str, severity: str, area: str, title: str, fix: str, cite: str, entity: str, *,
          confidence: str = "documented", workload: str | None = None
          ) -> Callable[[Finder], Finder]:
    """Register the decorated function as the finder of check `id` (see the module's doc)."""
    def register(find: Finder) -> Finder:
        wrong = [f"{name} {value!r}" for name, value, known in (
            ("severity", severity, SEVERITIES), ("area", area, AREAS),
            ("confidence", confidence, CONFIDENCES), ("workload", workload, (None, *WORKLOADS)))
                 if value not in known]
        if not id.startswith("ready.") or id in CHECKS or wrong:
            raise ValueError(f"readiness check {id!r}: a new ready.* id with known names "
                             f"({', '.join(wrong) or 'duplicate or badly named id'})")
        CHECKS[id] = Check(id, severity, area, title, fix, cite, entity, confidence, workload,
                           find)
        return find
    return register


def run(ctx: Context) -> None:
    """Every check, in order, into table `ready_records` (finding_id, entity, record_key,
    detail); then the notes on what no check can see."""
    for c in CHECKS.values():
        records = c.find(replace(ctx, check=c))
        if isinstance(records, Query):
            ctx.con.execute("insert into ready_records select $finding_id, entity, record_key, "
                            f"detail from ({records.sql})", {"finding_id": c.id, **records.params})
        elif records is not None:
            data = [[c.id, e, k, d] for e, k, d in records]
            if data:
                ctx.con.raw.executemany("insert into ready_records values (?, ?, ?, ?)", data)
    for text in NOT_CHECKED:
        ctx.note(text)


def _has_testload(ctx: Context) -> bool:
    if ctx.inputs.testload is None:
        ctx.note(NO_TESTLOAD)
        return False
    return True


def _union(parts: list[str]) -> Query | None:
    return Query(" union all ".join(parts)) if parts else None


# -- codes --------------------------------------------------------------------------------

@check("ready.added-since-testload", "info", "configuration",
       "Codes added to the legacy system since the test load",
       "Each must exist in Alma with the same code before the cutover load; those still missing "
       "are also listed as blockers (*.missing-in-alma).", "Prepare for Cutover", "extract")
def added_since_testload(ctx: Context) -> Records:
    """Codes of the extract the test load did not have; the records of the findings that name
    this check say whether the test load had their code."""
    if not _has_testload(ctx):
        return None
    parts = []
    for table in CODE_TABLES:
        if not ctx.testload_has(table):
            ctx.note(f"Codes added since the test load: the testload snapshot has no {table} "
                     f"table, so {table} are not checked.")
            continue
        parts.append(f"""
            select 'extract.{table}' as entity, {key_sql(table, 'x')} as record_key,
              case when exists (select 1 from pre.{table} a
                                where {keys_equal_sql(table, 'a', 'x')})
              then 'new in the legacy system since the test load; in Alma too'
              else 'new in the legacy system since the test load and still missing in Alma'
              end as detail
            from extract.{table} x
            where not exists (select 1 from testload.{table} t
                              where {keys_equal_sql(table, 't', 'x')})""")
    for entity, rule in ctx.checked_rules:
        if ctx.testload_has(entity.name):
            ctx.con.execute(f"""
                update ready_records r set detail = case when exists (
                    select 1 from testload.{entity.name} t
                    where {key_sql(entity.name, 't')} = r.record_key)
                  then 'in the test load: removed or recoded in Alma since?'
                  else 'new in the legacy system since the test load' end
                where r.finding_id = $rule""", {"rule": rule.id})
    return _union(parts)


# -- users --------------------------------------------------------------------------------

@check("ready.primary-id-case", "info", "users",
       "Patrons whose Primary ID differs from Alma's only in letter case",
       "Nothing to do: Primary IDs match ignoring case. Align the spelling at the source if other "
       "systems compare them exactly.", "Users at cutover", "extract.patrons")
def primary_id_case(ctx: Context) -> Records:
    return Query("""
        select 'extract.patrons' as entity, p.primary_id as record_key,
               'Alma has ' || u.primary_id as detail
        from extract.patrons p join pre.users u on lower(u.primary_id) = lower(p.primary_id)
        where u.primary_id <> p.primary_id""")


def _staff_changes(ctx: Context) -> bool:
    """Temp tables `ready_staff_changes` (STAFF users deleted, re-created or renamed since the
    test load) and `ready_staff_reports` (their user-folder reports); False when the test load
    cannot tell."""
    if not _has_testload(ctx):
        return False
    if not ctx.testload_has("users"):
        ctx.note("Staff users changed since the test load are not checked: the testload "
                 "snapshot has no users table.")
        return False
    return bool(ctx.shared("staff-changes", lambda: _make_staff_changes(ctx.con)))


def _make_staff_changes(con: db.Connection) -> bool:
    con.execute("""
        create or replace temp table ready_staff_changes as
        with t as (select * from testload.users where record_type = 'STAFF'),
             u as (select * from pre.users where record_type = 'STAFF')
        select 'recreated' as kind, u.primary_id as pid, t.primary_id as old_pid,
               t.internal_id as old_iid, u.internal_id as new_iid
        from u join t on lower(t.primary_id) = lower(u.primary_id)
        where t.internal_id <> u.internal_id
        union all
        select 'renamed', u.primary_id, t.primary_id, t.internal_id, u.internal_id
        from u join t on t.internal_id = u.internal_id
        where lower(t.primary_id) <> lower(u.primary_id)
        union all
        select 'deleted', null, t.primary_id, t.internal_id, null from t
        where not exists (select 1 from pre.users x
                          where lower(x.primary_id) = lower(t.primary_id)
                             or x.internal_id = t.internal_id)""")
    con.execute("""
        create or replace temp table ready_staff_reports as
        select r.report_path, c.kind, coalesce(c.pid, c.old_pid) as owner, c.old_pid
        from pre.analytics_reports r join ready_staff_changes c
          on r.owner_internal_id = c.old_iid
          or (c.kind = 'renamed' and r.owner_internal_id = c.new_iid)
          or (nullif(trim(r.owner_internal_id), '') is null and lower(r.owner_primary_id)
              in (lower(c.old_pid), lower(coalesce(c.pid, c.old_pid))))
        where r.folder = 'USER'
        qualify row_number() over (partition by r.report_path
                                   order by c.kind, coalesce(c.pid, c.old_pid)) = 1""")
    return True


@check("ready.staff-changed-since-testload", "info", "users",
       "Staff users deleted, re-created or given another Primary ID since the test load",
       "Keep Primary IDs of staff users stable until the cutover; their reports are listed in "
       "the finding below when they have any.", RETAINED + " (Reports in Analytics)",
       "alma.users")
def staff_changed_since_testload(ctx: Context) -> Records:
    if not _staff_changes(ctx):
        return None
    what = """case c.kind
          when 'recreated' then 'deleted and re-created since the test load (internal id '
                                || c.old_iid || ' then, ' || c.new_iid || ' now)'
          when 'renamed' then 'Primary ID was ' || c.old_pid || ' at the test load'
          else 'deleted since the test load' end"""
    return Query(f"""
        select case when c.kind = 'deleted' then 'testload.users' else 'alma.users' end
                 as entity,
               coalesce(c.pid, c.old_pid) as record_key,
               {what} || coalesce('; ' || n.reports || ' user-folder report(s)', '') as detail
        from ready_staff_changes c left join (
          select owner, kind, count(*) as reports from ready_staff_reports group by all
        ) n on n.owner = coalesce(c.pid, c.old_pid) and n.kind = c.kind
        qualify row_number() over (partition by coalesce(c.pid, c.old_pid)
                                   order by c.kind) = 1""")


@check("ready.reports-of-changed-staff", "warning", "users",
       "Analytics reports in the folders of staff users deleted or renamed since the test load",
       "Save these reports to the institution folder before the cutover: reports in a user "
       "folder are lost with the user's deletion or Primary ID change.",
       RETAINED + " (Reports in Analytics)", "alma.analytics_reports",
       workload="reports-at-risk")
def reports_of_changed_staff(ctx: Context) -> Records:
    if not _staff_changes(ctx):
        return None
    return Query("""
        select 'alma.analytics_reports' as entity, report_path as record_key,
               'owner ' || owner || case kind
                 when 'recreated' then ' was deleted and re-created since the test load'
                 when 'renamed' then ' was ' || old_pid || ' at the test load'
                 else ' was deleted since the test load' end as detail
        from ready_staff_reports""")


# -- communications -----------------------------------------------------------------------

@check("ready.unscrubbed-email", "blocker", "communications",
       "E-mail addresses in Alma that are neither scrubbed nor allowed",
       "Scrub these addresses or add them to the allowed list: before go-live, letters must not "
       "reach real patrons, vendors or partners.", "Unscrub Emails/FTP", "alma")
def unscrubbed_email(ctx: Context) -> Records:
    """Addresses that could receive letters before go-live."""
    scenario = ctx.inputs.scenario
    ctx.con.execute("create or replace temp table ready_allowed (email varchar)")
    allowed = sorted({e.strip().lower() for e in scenario.allowed_emails if e.strip()})
    if allowed:
        ctx.con.raw.executemany("insert into ready_allowed values (?)", [[e] for e in allowed])
    try:  # Python accepted the pattern; DuckDB's RE2 may not (look-around, back-references)
        ctx.con.one("select regexp_matches('', $pattern)",
                    {"pattern": scenario.scrubbed_email_pattern})
    except db.DuckDBError as e:
        raise UserError(Problem(
            Loc(scenario.source or "scenario"),
            f"scrubbed_email_pattern {scenario.scrubbed_email_pattern!r} cannot be used by "
            f"DuckDB's regular expressions (RE2: no look-around or back-references): "
            f"{str(e).splitlines()[0]}")) from None
    live = ("nullif(trim(email), '') is not null "
            "and not regexp_matches(trim(email), $pattern) "
            "and lower(trim(email)) not in (select email from ready_allowed)")
    return Query(" union all ".join(
        f"select 'alma.{table}' as entity, {key} as record_key, "
        f"'{what} e-mail ' || trim(email) as detail from pre.{table} where {live}"
        for table, key, what in (("users", "primary_id", "user"), ("vendors", "code", "vendor"),
                                 ("rs_partners", "code", "partner"))),
        {"pattern": scenario.scrubbed_email_pattern})


# -- acquisitions -------------------------------------------------------------------------

@check("ready.inactive-vendor-acquisitions", "info", "acquisitions",
       "Orders and invoices on vendors made inactive in Alma (they still load)",
       "Nothing to do: inactive vendors keep their orders and invoices at cutover.",
       "Note under " + RETAINED, "extract")
def inactive_vendor_acquisitions(ctx: Context) -> Records:
    return _union([f"""
        select 'extract.{table}' as entity, l.record_key,
               'vendor ' || x.vendor_code || ' is inactive in Alma' as detail
        from ledger l join extract.{table} x on x.{key} = l.record_key
        where l.side = 'extract' and l.entity = '{table}' and l.outcome = 'added'
          and exists (select 1 from pre.vendors v
                      where v.code = x.vendor_code and v.status = 'INACTIVE')"""
                   for table, key in (("orders", "order_id"), ("invoices", "invoice_id"))])


# -- sets and forms -----------------------------------------------------------------------

@check("ready.itemized-could-be-logical", "warning", "configuration",
       "Itemized sets that could be logical sets and survive",
       "Turn these into logical sets (a saved query) before the freeze, or re-create them after "
       "go-live; sets of users, PO lines and vendors can only be itemized.", RETAINED,
       "alma.sets", workload="logical-sets")
def itemized_could_be_logical(ctx: Context) -> Records:
    """The sets the rules naming this check remove, whose content a logical set could hold."""
    return Query("""
        select 'alma.sets' as entity, s.set_id as record_key,
               'content ' || s.content_type || ': a logical set of it would be kept' as detail
        from ledger l join pre.sets s on s.set_id = l.record_key
        where l.side = 'alma' and l.entity = 'sets'
          and l.rule_id in (select unnest($rules::varchar[]))
          and nullif(trim(s.content_type), '') is not null
          and upper(trim(s.content_type)) not in (select unnest($no_logical::varchar[]))""",
                 {"no_logical": list(NO_LOGICAL_SETS),
                  "rules": [r.id for _, r in ctx.checked_rules]})


@check("ready.forms-not-named", "warning", "configuration",
       "Forms not named in the extract's snapshot.yaml",
       "Name the migration form and the field mapping form under forms: so their hashes can "
       "prove they stay the same until the fulfillment load.", "Fulfillment Load",
       "extract.forms")
def forms_not_named(ctx: Context) -> Records:
    named = dict(ctx.inputs.extract.forms)
    return [("extract.forms", name, "not named under forms: in the extract's snapshot.yaml")
            for name in FORM_NAMES if name not in named]


def _read_forms(snap: Snapshot) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The named forms that are empty or unreadable, and the others with their SHA-256."""
    bad, good = [], []
    for name, path in sorted(dict(snap.forms).items()):
        try:
            size = path.stat().st_size
            digest = sha256(path) if size else ""
        except OSError as e:
            bad.append(("extract.forms", name, f"{path.name}: cannot read ({e.strerror})"))
            continue
        if not size:
            bad.append(("extract.forms", name, f"{path.name}: empty file"))
        else:
            good.append(("extract.forms", name, f"{path.name}: SHA-256 {digest}"))
    return bad, good


@check("ready.form-unreadable", "blocker", "configuration",
       "Forms named in the extract that are empty or unreadable",
       "Deliver the completed form; the cutover and the fulfillment load are migrated with it.",
       "Prepare for Cutover", "extract.forms")
def form_unreadable(ctx: Context) -> Records:
    bad, _ = ctx.shared("forms", lambda: _read_forms(ctx.inputs.extract))
    return list(bad)


@check("ready.forms", "info", "configuration",
       "Forms of this extract, with their SHA-256: keep them unchanged until the fulfillment load",
       "The fulfillment load must use exactly the forms of the cutover: compare these hashes with "
       "the fulfillment extract's.", "Fulfillment Load", "extract.forms")
def forms(ctx: Context) -> Records:
    _, good = ctx.shared("forms", lambda: _read_forms(ctx.inputs.extract))
    if ctx.inputs.extract.stage == "fulfillment_extract":
        ctx.note("This is a fulfillment extract: its forms must hash the same as the cutover "
                 "extract's. Compare the hashes under ready.forms with the cutover readiness or "
                 "predict run (summary.json, manifest).")
    return list(good)


# -- fulfillment --------------------------------------------------------------------------

MIGRATED = ("from ledger l join extract.{t} x on x.{k} = l.record_key "
            "where l.side = 'extract' and l.entity = '{t}' and l.outcome = 'added'")
FULFILLMENT = (("loans", "loan_id"), ("requests", "request_id"))


@check("ready.unknown-item", "warning", "fulfillment",
       "Loans and hold-shelf requests pointing at items the extract does not have",
       "Fix the item barcode or add the item at the source before the fulfillment freeze.",
       "Fulfillment Load", "extract", confidence="inferred")
def unknown_item(ctx: Context) -> Records:
    return _union([
        f"select 'extract.{t}' as entity, l.record_key, "
        f"'item ' || x.item_barcode || ' is not in the extract' as detail "
        + MIGRATED.format(t=t, k=k)
        + " and x.item_barcode is not null and not exists "
          "(select 1 from extract.items i where i.barcode = x.item_barcode)"
        for t, k in FULFILLMENT])


@check("ready.unknown-patron", "warning", "fulfillment",
       "Loans and hold-shelf requests pointing at patrons the extract does not have",
       "Fix the Primary ID or deliver the patron at the source before the fulfillment freeze.",
       "Fulfillment Load", "extract", confidence="inferred")
def unknown_patron(ctx: Context) -> Records:
    return _union([
        f"select 'extract.{t}' as entity, l.record_key, "
        f"'patron ' || x.primary_id || ' is neither in the extract nor an Alma staff or "
        f"contact user' as detail "
        + MIGRATED.format(t=t, k=k)
        + " and x.primary_id is not null"
          " and not exists (select 1 from extract.patrons p"
          "                 where lower(p.primary_id) = lower(x.primary_id))"
          " and not exists (select 1 from pre.users u where u.record_type <> 'PUBLIC'"
          "                 and lower(u.primary_id) = lower(x.primary_id))"
        for t, k in FULFILLMENT])
