"""`cutover readiness`: the pre-cutover review (blockers, risks, waivers and a dated runbook).

It runs on the same inputs as `predict` and keeps every finding the rule pack raises (missing
codes, funds options, unfulfilled holds, ...), so nothing is computed twice. It adds the checks a
rule cannot express because they look across snapshots or outside the data: codes new since the
test load, addresses that are neither scrubbed nor allowed, staff users re-created since the test
load and their Analytics reports, the forms, loans and requests pointing at nothing, itemized sets
that could be logical. Each finding lists all its records (table `ready_records`), and waivers
accepted by an owner until a date take records or whole findings out of the count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports import readiness_report as view
from simulator import db
from simulator.commands.readiness import runbook, waivers
from simulator.core.engine import Result
from simulator.core.session import Session
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.inputs.bundle import Inputs
from simulator.inputs.snapshot import sha256
from simulator.inputs.tables import AREAS, TABLES
from simulator.output import runfolder
from simulator.privacy import shown_key
from simulator.rules.analysis import render
from simulator.rules.model import Entity, Pack, Rule

SEVERITY_ORDER = {"blocker": 0, "warning": 1, "info": 2}
RECORDS_SHOWN = 50  # per finding in the report; every record is in findings.csv
HOLDS_THRESHOLD = 20  # unfulfilled holds a desk re-creates by hand without a plan
BLOCKER_COST, WARNING_COST = 40, 5  # points an open finding takes off its area's 100

RETAINED = "Data and Configuration Elements Retained at Cutover"
FORM_NAMES = ("migration_form", "field_mapping_form")
NO_LOGICAL_SETS = ("USER", "PO_LINE", "VENDOR")  # content Alma has only itemized sets for
CODE_TABLES = ("libraries", "locations", "vendors", "rs_partners")


@dataclass(frozen=True)
class Check:
    """A readiness check that is not a rule of the pack (it looks across snapshots or files)."""

    id: str
    severity: str
    area: str
    title: str
    fix: str
    cite: str
    entity: str
    confidence: str = "documented"
    workload: str | None = None  # the runbook workload its records count towards


CHECKS = (
    Check("ready.added-since-testload", "info", "configuration",
          "Codes added to the legacy system since the test load",
          "Each must exist in Alma with the same code before the cutover load; those still "
          "missing are also listed as blockers (*.missing-in-alma).",
          "Prepare for Cutover", "extract"),
    Check("ready.primary-id-case", "info", "users",
          "Patrons whose Primary ID differs from Alma's only in letter case",
          "Nothing to do: Primary IDs match ignoring case. Align the spelling at the source if "
          "other systems compare them exactly.", "Users at cutover", "extract.patrons"),
    Check("ready.staff-changed-since-testload", "info", "users",
          "Staff users deleted, re-created or given another Primary ID since the test load",
          "Keep Primary IDs of staff users stable until the cutover; their reports are listed "
          "in the finding below when they have any.", RETAINED + " (Reports in Analytics)",
          "alma.users"),
    Check("ready.reports-of-changed-staff", "warning", "users",
          "Analytics reports in the folders of staff users deleted or renamed since the test load",
          "Save these reports to the institution folder before the cutover: reports in a user "
          "folder are lost with the user's deletion or Primary ID change.",
          RETAINED + " (Reports in Analytics)", "alma.analytics_reports",
          workload="reports-at-risk"),
    Check("ready.unscrubbed-email", "blocker", "communications",
          "E-mail addresses in Alma that are neither scrubbed nor allowed",
          "Scrub these addresses or add them to the allowed list: before go-live, letters must "
          "not reach real patrons, vendors or partners.", "Unscrub Emails/FTP", "alma"),
    Check("ready.inactive-vendor-acquisitions", "info", "acquisitions",
          "Orders and invoices on vendors made inactive in Alma (they still load)",
          "Nothing to do: inactive vendors keep their orders and invoices at cutover.",
          "Note under " + RETAINED, "extract"),
    Check("ready.itemized-could-be-logical", "warning", "configuration",
          "Itemized sets that could be logical sets and survive",
          "Turn these into logical sets (a saved query) before the freeze, or re-create them "
          "after go-live; sets of users, PO lines and vendors can only be itemized.",
          RETAINED, "alma.sets", workload="logical-sets"),
    Check("ready.forms-not-named", "warning", "configuration",
          "Forms not named in the extract's snapshot.yaml",
          "Name the migration form and the field mapping form under forms: so their hashes can "
          "prove they stay the same until the fulfillment load.", "Fulfillment Load",
          "extract.forms"),
    Check("ready.form-unreadable", "blocker", "configuration",
          "Forms named in the extract that are empty or unreadable",
          "Deliver the completed form; the cutover and the fulfillment load are migrated with it.",
          "Prepare for Cutover", "extract.forms"),
    Check("ready.forms", "info", "configuration",
          "Forms of this extract, with their SHA-256: keep them unchanged until the fulfillment "
          "load", "The fulfillment load must use exactly the forms of the cutover: compare these "
          "hashes with the fulfillment extract's.", "Fulfillment Load", "extract.forms"),
    Check("ready.unknown-item", "warning", "fulfillment",
          "Loans and hold-shelf requests pointing at items the extract does not have",
          "Fix the item barcode or add the item at the source before the fulfillment freeze.",
          "Fulfillment Load", "extract", "inferred"),
    Check("ready.unknown-patron", "warning", "fulfillment",
          "Loans and hold-shelf requests pointing at patrons the extract does not have",
          "Fix the Primary ID or deliver the patron at the source before the fulfillment freeze.",
          "Fulfillment Load", "extract", "inferred"),
)
CHECK_BY_ID = {c.id: c for c in CHECKS}


def finding_ids(pack: Pack) -> set[str]:
    """Every id a readiness run can raise: rules with a finding (or inferred) and the checks."""
    ids = {r.id for _, r in pack.rules() if r.finding or r.confidence == "inferred"}
    return ids | set(CHECK_BY_ID)


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--as-of: {text!r} is not an ISO date (YYYY-MM-DD)") from None


# -- the findings -------------------------------------------------------------------------------

@dataclass
class WaiverState:
    waiver: waivers.Waiver
    state: str  # active | expired | unused
    matched: int  # records of the finding it names (whether or not it is in force)
    missing: list[str] = field(default_factory=list)  # its record keys the finding lacks


@dataclass
class ReadyFinding:
    id: str
    severity: str
    area: str
    title: str
    fix: str
    cite: str
    entity: str
    source: str  # the deciding rule's id, or "check"
    confidence: str
    count: int = 0
    unwaived: int = 0
    records: list[tuple[str, str, str, bool]] = field(default_factory=list)  # entity, key, ...
    waivers: list[WaiverState] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.unwaived > 0

    @property
    def status(self) -> str:
        if not self.unwaived:
            return "waived"
        if self.unwaived < self.count:
            return "partly waived"
        return "open"


@dataclass
class AreaScore:
    area: str
    score: int
    status: str  # blocked | at risk | ready
    blockers: int
    warnings: int
    info: int
    waived: int


@dataclass
class Readiness:
    out: Path
    result: Result
    findings: list[ReadyFinding]
    scores: list[AreaScore]
    events: list[runbook.Event]
    notes: list[str]
    waivers: list[WaiverState]
    summary: dict[str, Any]

    @property
    def open_blockers(self) -> int:
        return sum(1 for f in self.findings if f.severity == "blocker" and f.open)

    @property
    def open_warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning" and f.open)


class _Checks:
    """Runs the checks into table `ready_records` (finding_id, entity, record_key, detail)."""

    def __init__(self, con: db.Connection, inputs: Inputs, notes: list[str],
                 result: Result) -> None:
        self.con, self.inputs, self.notes, self.result = con, inputs, notes, result

    def checked_by(self, check_id: str) -> list[tuple[Entity, Rule]]:
        """The rules whose findings name this check under `checked_by` (docs/rules.md)."""
        return [(e, r) for e, r in self.result.catalog.values()
                if r.finding is not None and check_id in r.finding.checked_by]

    def insert(self, check_id: str, sql: str, params: dict[str, Any] | None = None) -> None:
        """`sql` selects entity, record_key, detail; one row per record."""
        self.con.execute(
            "insert into ready_records select $finding_id, entity, record_key, detail "
            f"from ({sql})", {"finding_id": check_id, **(params or {})})

    def insert_rows(self, check_id: str, rows: Iterable[tuple[str, str, str]]) -> None:
        data = [[check_id, e, k, d] for e, k, d in rows]
        if data:
            self.con.raw.executemany("insert into ready_records values (?, ?, ?, ?)", data)

    def testload_has(self, table: str) -> bool:
        return self.inputs.testload is not None and table in self.inputs.testload.files

    def run(self) -> None:
        self.added_since_testload()
        self.primary_id_case()
        self.staff_changes()
        self.unscrubbed_emails()
        self.inactive_vendor_acquisitions()
        self.itemized_could_be_logical()
        self.forms()
        self.unknown_references()
        self.notes.append(
            "FTP and S/FTP addresses are not checked: snapshot format version 1 has no table of "
            "FTP connections. Check them by hand against the allowed list.")
        self.notes.append(
            "Duplicate Primary IDs in the extract (also those differing only in letter case) and "
            "patrons without a Primary ID are not findings: validation refuses such an extract "
            "(exit 2) before any check runs.")

    # 1. Codes new in the legacy system since the test load.
    def added_since_testload(self) -> None:
        if self.inputs.testload is None:
            self.notes.append("Codes added since the test load and staff users changed since the "
                              "test load are not checked: no --testload snapshot was given.")
            return
        for table in CODE_TABLES:
            if not self.testload_has(table):
                self.notes.append(f"Codes added since the test load: the testload snapshot has "
                                  f"no {table} table, so {table} are not checked.")
                continue
            key = _key_sql(table, "x")
            self.insert("ready.added-since-testload", f"""
                select 'extract.{table}' as entity, {key} as record_key,
                  case when exists (select 1 from pre.{table} a where {_key_eq(table, 'a', 'x')})
                  then 'new in the legacy system since the test load; in Alma too'
                  else 'new in the legacy system since the test load and still missing in Alma'
                  end as detail
                from extract.{table} x
                where not exists (select 1 from testload.{table} t
                                  where {_key_eq(table, 't', 'x')})""")
        # The findings that name this check list codes of these tables: say which are new.
        for entity, rule in self.checked_by("ready.added-since-testload"):
            table = entity.name
            if not self.testload_has(table):
                continue
            self.con.execute(f"""
                update ready_records r set detail = case when exists (
                    select 1 from testload.{table} t where {_key_sql(table, 't')} = r.record_key)
                  then 'in the test load: removed or recoded in Alma since?'
                  else 'new in the legacy system since the test load' end
                where r.finding_id = $rule""", {"rule": rule.id})

    # 3. Primary IDs that match Alma's only ignoring letter case.
    def primary_id_case(self) -> None:
        self.insert("ready.primary-id-case", """
            select 'extract.patrons' as entity, p.primary_id as record_key,
                   'Alma has ' || u.primary_id as detail
            from extract.patrons p join pre.users u on lower(u.primary_id) = lower(p.primary_id)
            where u.primary_id <> p.primary_id""")

    # 4. Staff users deleted, re-created or renamed since the test load, and their reports.
    def staff_changes(self) -> None:
        if self.inputs.testload is None:
            return
        if not self.testload_has("users"):
            self.notes.append("Staff users changed since the test load are not checked: the "
                              "testload snapshot has no users table.")
            return
        self.con.execute("""
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
        self.con.execute("""
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
        what = """case c.kind
              when 'recreated' then 'deleted and re-created since the test load (internal id '
                                    || c.old_iid || ' then, ' || c.new_iid || ' now)'
              when 'renamed' then 'Primary ID was ' || c.old_pid || ' at the test load'
              else 'deleted since the test load' end"""
        self.insert("ready.staff-changed-since-testload", f"""
            select case when c.kind = 'deleted' then 'testload.users' else 'alma.users' end
                     as entity,
                   coalesce(c.pid, c.old_pid) as record_key,
                   {what} || coalesce('; ' || n.reports || ' user-folder report(s)', '') as detail
            from ready_staff_changes c left join (
              select owner, kind, count(*) as reports from ready_staff_reports group by all
            ) n on n.owner = coalesce(c.pid, c.old_pid) and n.kind = c.kind
            qualify row_number() over (partition by coalesce(c.pid, c.old_pid)
                                       order by c.kind) = 1""")
        self.insert("ready.reports-of-changed-staff", """
            select 'alma.analytics_reports' as entity, report_path as record_key,
                   'owner ' || owner || case kind
                     when 'recreated' then ' was deleted and re-created since the test load'
                     when 'renamed' then ' was ' || old_pid || ' at the test load'
                     else ' was deleted since the test load' end as detail
            from ready_staff_reports""")

    # 7. Addresses that could receive letters before go-live.
    def unscrubbed_emails(self) -> None:
        scenario = self.inputs.scenario
        self.con.execute("create or replace temp table ready_allowed (email varchar)")
        allowed = sorted({e.strip().lower() for e in scenario.allowed_emails if e.strip()})
        if allowed:
            self.con.raw.executemany("insert into ready_allowed values (?)",
                                     [[e] for e in allowed])
        live = ("nullif(trim(email), '') is not null "
                "and not regexp_matches(trim(email), $pattern) "
                "and lower(trim(email)) not in (select email from ready_allowed)")
        sql = " union all ".join(
            f"select 'alma.{table}' as entity, {key} as record_key, "
            f"'{what} e-mail ' || trim(email) as detail from pre.{table} where {live}"
            for table, key, what in (("users", "primary_id", "user"), ("vendors", "code", "vendor"),
                                     ("rs_partners", "code", "partner")))
        try:  # Python accepted the pattern; DuckDB's RE2 may not (look-around, back-references)
            self.con.one("select regexp_matches('', $pattern)",
                         {"pattern": scenario.scrubbed_email_pattern})
        except db.DuckDBError as e:
            raise UserError(Problem(
                Loc(scenario.source or "scenario"),
                f"scrubbed_email_pattern {scenario.scrubbed_email_pattern!r} cannot be used by "
                f"DuckDB's regular expressions (RE2: no look-around or back-references): "
                f"{str(e).splitlines()[0]}")) from None
        self.insert("ready.unscrubbed-email", sql, {"pattern": scenario.scrubbed_email_pattern})

    # 1. Orders and invoices on inactive vendors: loaded, so only worth knowing.
    def inactive_vendor_acquisitions(self) -> None:
        self.insert("ready.inactive-vendor-acquisitions", " union all ".join(f"""
            select 'extract.{table}' as entity, l.record_key,
                   'vendor ' || x.vendor_code || ' is inactive in Alma' as detail
            from ledger l join extract.{table} x on x.{key} = l.record_key
            where l.side = 'extract' and l.entity = '{table}' and l.outcome = 'added'
              and exists (select 1 from pre.vendors v
                          where v.code = x.vendor_code and v.status = 'INACTIVE')"""
            for table, key in (("orders", "order_id"), ("invoices", "invoice_id"))))

    # 9. Itemized sets the ledger removes whose content a logical set could hold.
    def itemized_could_be_logical(self) -> None:
        rules = [r.id for _, r in self.checked_by("ready.itemized-could-be-logical")]
        self.insert("ready.itemized-could-be-logical", """
            select 'alma.sets' as entity, s.set_id as record_key,
                   'content ' || s.content_type || ': a logical set of it would be kept' as detail
            from ledger l join pre.sets s on s.set_id = l.record_key
            where l.side = 'alma' and l.entity = 'sets'
              and l.rule_id in (select unnest($rules::varchar[]))
              and nullif(trim(s.content_type), '') is not null
              and upper(trim(s.content_type)) not in (select unnest($no_logical::varchar[]))""",
                    {"no_logical": list(NO_LOGICAL_SETS),
                     "rules": rules})

    # 11. The forms named in the extract's manifest.
    def forms(self) -> None:
        snap = self.inputs.extract
        named = dict(snap.forms)
        self.insert_rows("ready.forms-not-named", [
            ("extract.forms", name, "not named under forms: in the extract's snapshot.yaml")
            for name in FORM_NAMES if name not in named])
        bad, good = [], []
        for name, path in sorted(named.items()):
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
        self.insert_rows("ready.form-unreadable", bad)
        self.insert_rows("ready.forms", good)
        if snap.stage == "fulfillment_extract":
            self.notes.append("This is a fulfillment extract: its forms must hash the same as "
                              "the cutover extract's. Compare the hashes under ready.forms with "
                              "the cutover readiness or predict run (summary.json, manifest).")

    # 12. Migrated loans and requests whose item or patron is nowhere.
    def unknown_references(self) -> None:
        migrated = ("from ledger l join extract.{t} x on x.{k} = l.record_key "
                    "where l.side = 'extract' and l.entity = '{t}' and l.outcome = 'added'")
        tables = (("loans", "loan_id"), ("requests", "request_id"))
        self.insert("ready.unknown-item", " union all ".join(
            f"select 'extract.{t}' as entity, l.record_key, "
            f"'item ' || x.item_barcode || ' is not in the extract' as detail "
            + migrated.format(t=t, k=k)
            + " and x.item_barcode is not null and not exists "
              "(select 1 from extract.items i where i.barcode = x.item_barcode)"
            for t, k in tables))
        self.insert("ready.unknown-patron", " union all ".join(
            f"select 'extract.{t}' as entity, l.record_key, "
            f"'patron ' || x.primary_id || ' is neither in the extract nor an Alma staff or "
            f"contact user' as detail "
            + migrated.format(t=t, k=k)
            + " and x.primary_id is not null"
              " and not exists (select 1 from extract.patrons p"
              "                 where lower(p.primary_id) = lower(x.primary_id))"
              " and not exists (select 1 from pre.users u where u.record_type <> 'PUBLIC'"
              "                 and lower(u.primary_id) = lower(x.primary_id))"
            for t, k in tables))


def _key_sql(table: str, alias: str) -> str:
    """A table's ledger key: its key columns joined by |."""
    cols = [f"{alias}.{db.ident(k)}" for k in TABLES[table].key]
    return cols[0] if len(cols) == 1 else "concat_ws('|', " + ", ".join(cols) + ")"


def _key_eq(table: str, a: str, b: str) -> str:
    return " and ".join(f"{a}.{db.ident(k)} = {b}.{db.ident(k)}" for k in TABLES[table].key)


def _rule_records(con: db.Connection, result: Result) -> None:
    """The records behind each finding of the pack, straight from the ledger."""
    ids = [f.id for f in result.findings]
    if not ids:
        return
    con.execute("insert into ready_records select rule_id, side || '.' || entity, record_key, "
                "coalesce(message, '') from ledger where rule_id in "
                "(select unnest($ids::varchar[]))", {"ids": ids})
    for rule_id in ids:
        spec = result.catalog[rule_id][1].finding
        if spec is not None and spec.detail_tree is not None:
            con.execute(f"update ready_records r set detail = s.d from (select k, min(d) as d "
                        f"from ({render(spec.detail_tree)}) group by k) s "
                        "where r.finding_id = $rule and r.record_key = s.k", {"rule": rule_id})


def _definitions(result: Result, holds_threshold: int) -> dict[str, ReadyFinding]:
    options = {"holds_threshold": holds_threshold}  # the names of vocabulary.READINESS_OPTIONS
    out = {}
    for f in result.findings:
        entity, rule = result.catalog[f.id]
        spec = rule.finding
        severity, fix = f.severity, f.fix
        limit = options[spec.info_up_to] if spec and spec.info_up_to else None
        if limit is not None and f.count <= limit:
            severity = "info"
            fix += f" ({f.count} is within the threshold of {limit}.)"
        area = (spec.area if spec else None) or TABLES[entity.name].area
        out[f.id] = ReadyFinding(f.id, severity, area,
                                 f.title, fix, f.cite, f.entity, f.rule_id, f.confidence)
    for c in CHECKS:
        out[c.id] = ReadyFinding(c.id, c.severity, c.area, c.title, c.fix, c.cite, c.entity,
                                 "check", c.confidence)
    return out


def _apply_waivers(con: db.Connection, found: dict[str, ReadyFinding],
                   given: list[waivers.Waiver], as_of: dt.date) -> list[WaiverState]:
    con.execute("create or replace temp table ready_waivers (number int, finding_id varchar, "
                "key varchar, active boolean)")
    rows = [[w.number, w.finding, key, not w.expired(as_of)]
            for w in given for key in (w.records or (None,))]
    if rows:
        con.raw.executemany("insert into ready_waivers values (?, ?, ?, ?)", rows)
    # Record keys match ignoring letter case, as Primary IDs do.
    con.execute("""
        create or replace temp table ready_marked as
        select r.*, (select min(w.number) from ready_waivers w
                     where w.active and w.finding_id = r.finding_id
                       and (w.key is null or lower(w.key) = lower(r.record_key))) as waived_by
        from ready_records r""")
    for fid, n, waived in con.rows("select finding_id, count(*), count(waived_by) "
                                   "from ready_marked group by all"):
        found[fid].count, found[fid].unwaived = int(n), int(n) - int(waived)
    matched = dict(con.rows("""
        select w.number, count(distinct r.entity || chr(0) || r.record_key)
        from ready_waivers w join ready_records r on r.finding_id = w.finding_id
         and (w.key is null or lower(w.key) = lower(r.record_key)) group by all"""))
    missing: dict[int, list[str]] = {}
    for number, key in con.rows("""
            select w.number, w.key from ready_waivers w where w.key is not null and not exists (
              select 1 from ready_records r
              where r.finding_id = w.finding_id and lower(r.record_key) = lower(w.key))
            order by all"""):
        missing.setdefault(int(number), []).append(str(key))
    states = []
    for w in given:
        n = int(matched.get(w.number, 0))
        state = "expired" if w.expired(as_of) else "active" if n else "unused"
        ws = WaiverState(w, state, n, missing.get(w.number, []))
        states.append(ws)
        if w.finding in found:
            found[w.finding].waivers.append(ws)
    return states


def _samples(con: db.Connection, found: dict[str, ReadyFinding]) -> None:
    for fid, entity, key, detail, waived in con.rows("""
            select finding_id, entity, record_key, detail, waived_by is not null
            from ready_marked
            qualify row_number() over (partition by finding_id
                                       order by waived_by is not null, entity, record_key) <= $n
            order by finding_id, waived_by is not null, entity, record_key""",
                                                     {"n": RECORDS_SHOWN}):
        found[fid].records.append((entity, key, detail or "", bool(waived)))


def scores(findings: list[ReadyFinding]) -> list[AreaScore]:
    """Per area: 100 less 40 per open blocker finding and 5 per open warning, at least 0."""
    out = []
    for area in AREAS:
        mine = [f for f in findings if f.area == area]
        b = sum(1 for f in mine if f.severity == "blocker" and f.open)
        w = sum(1 for f in mine if f.severity == "warning" and f.open)
        i = sum(1 for f in mine if f.severity == "info" and f.open)
        waived = sum(1 for f in mine if not f.open)
        score = max(0, 100 - BLOCKER_COST * b - WARNING_COST * w)
        status = "blocked" if b else "at risk" if w else "ready"
        out.append(AreaScore(area, score, status, b, w, i, waived))
    return out


def verdict(findings: list[ReadyFinding]) -> tuple[str, str]:
    b = sum(1 for f in findings if f.severity == "blocker" and f.open)
    w = sum(1 for f in findings if f.severity == "warning" and f.open)
    waived = sum(1 for f in findings if not f.open)
    tail = f" {waived} finding(s) waived." if waived else ""
    if b:
        return "blocker", (f"Not ready: {b} open blocker(s) and {w} warning(s); fix the blockers "
                           f"at the source or waive them with an owner before the freeze.{tail}")
    if w:
        return "warning", f"No open blockers; {w} warning(s) to review.{tail}"
    return "clear", f"Ready: no open blockers or warnings.{tail}"


def collect(con: db.Connection, inputs: Inputs, result: Result, given: list[waivers.Waiver],
            as_of: dt.date, holds_threshold: int = HOLDS_THRESHOLD
            ) -> tuple[list[ReadyFinding], list[WaiverState], list[str]]:
    """Every finding with its records, after `engine.classify` built the ledger."""
    con.execute("create or replace temp table ready_records (finding_id varchar, entity varchar, "
                "record_key varchar, detail varchar)")
    notes: list[str] = []
    _rule_records(con, result)
    _Checks(con, inputs, notes, result).run()
    found = _definitions(result, holds_threshold)
    states = _apply_waivers(con, found, given, as_of)
    _samples(con, found)
    raised = [f for f in found.values() if f.count]
    raised.sort(key=lambda f: (SEVERITY_ORDER[f.severity], AREAS.index(f.area), f.id))
    return raised, states, notes


# -- the run ------------------------------------------------------------------------------------

def _finding_dict(f: ReadyFinding, show_pii: bool) -> dict[str, Any]:
    return {
        "id": f.id, "severity": f.severity, "area": f.area, "title": f.title, "count": f.count,
        "unwaived": f.unwaived, "status": f.status,
        "sample_keys": [shown_key(k, show_pii) for _, k, _, _ in f.records[:10]],
        "fix": f.fix, "rule_id": f.source if f.source != "check" else None, "entity": f.entity,
        "cite": f.cite, "confidence": f.confidence,
        "waivers": [w.waiver.number for w in f.waivers],
    }


def _waiver_dict(s: WaiverState) -> dict[str, Any]:
    w = s.waiver
    return {"number": w.number, "finding": w.finding, "records": list(w.records),
            "owner": w.owner, "reason": w.reason, "expires": w.expires.isoformat(),
            "state": s.state, "matched": s.matched, "missing_records": s.missing}


def summarise(inputs: Inputs, pack: Pack, result: Result, findings: list[ReadyFinding],
              states: list[WaiverState], events: list[runbook.Event], notes: list[str],
              as_of: dt.date, waivers_path: Path | None, show_pii: bool,
              command: list[str] | None) -> dict[str, Any]:
    level, text = verdict(findings)
    manifest = runfolder.manifest(inputs, pack, command)
    manifest["as_of"] = as_of.isoformat()
    manifest["waivers"] = ({"path": display_path(waivers_path), "sha256": sha256(waivers_path)}
                           if waivers_path else None)
    return {
        "kind": "readiness",
        "institution": inputs.scenario.institution,
        "verdict": text,
        "verdict_level": level,
        "open_blockers": sum(1 for f in findings if f.severity == "blocker" and f.open),
        "scores": {s.area: {k: v for k, v in s.__dict__.items() if k != "area"}
                   for s in scores(findings)},
        "findings": [_finding_dict(f, show_pii) for f in findings],
        "waivers": [_waiver_dict(s) for s in states],
        "runbook": [e.as_dict() for e in events],
        "notes": notes,
        "counts": result.counts,
        "manifest": manifest,
    }


def _findings_csv(con: db.Connection, found: dict[str, ReadyFinding], show_pii: bool) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("finding_id", "severity", "area", "entity", "record_key", "detail",
                     "waived_by"))
    cursor = con.execute("select finding_id, entity, record_key, detail, waived_by "
                         "from ready_marked order by finding_id, entity, record_key")
    while batch := cursor.fetchmany(10_000):
        for fid, entity, key, detail, waived_by in batch:
            f = found[fid]
            writer.writerow((fid, f.severity, f.area, entity, shown_key(key, show_pii),
                             shown_key(detail or "", show_pii),
                             "" if waived_by is None else waived_by))
    return buf.getvalue()


def _workloads(con: db.Connection, result: Result) -> dict[str, int]:
    """Records per runbook workload (vocabulary.WORKLOADS), each record counted once."""
    of = {c.id: c.workload for c in CHECKS if c.workload}
    of |= {r.id: r.finding.workload for _, r in result.catalog.values()
           if r.finding is not None and r.finding.workload}
    return {str(w): int(n) for w, n in con.rows(
        "select m.workload, count(distinct r.record_key) from ready_records r "
        "join (select unnest($ids::varchar[]) as id, unnest($works::varchar[]) as workload) m "
        "on m.id = r.finding_id group by all", {"ids": list(of), "works": list(of.values())})}


def _exports(con: db.Connection, result: Result, folder: Path) -> dict[str, bool]:
    """The rows of the records of each finding with `export:`, as a CSV file named by it;
    whether each was written (a finding without records writes none)."""
    written = {}
    for entity, rule in result.catalog.values():
        spec = rule.finding
        if spec is None or spec.export is None:
            continue
        key = _key_sql(entity.name, "x")
        columns = ", ".join(f"x.{db.ident(c)}" for c in TABLES[entity.name].column_names)
        sql = (f"select {columns} from {db.qualified(entity.schema, entity.name)} x "
               f"join ready_records r on r.record_key = {key} "
               f"where r.finding_id = {db.literal(rule.id)} order by {key}")
        written[spec.export] = bool(con.one(f"select count(*) from ({sql})"))
        if written[spec.export]:
            con.execute(f"copy ({sql}) to {db.literal(str(folder / spec.export))} "
                        "(format csv, header true)")
    return written


def readiness(
    session: Session,
    out: Path,
    waivers_path: Path | None = None,
    as_of: dt.date | None = None,
    holds_threshold: int = HOLDS_THRESHOLD,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
) -> Readiness:
    """The readiness review of the session's inputs, written to the run folder `out`."""
    runfolder.check_out(out)
    if holds_threshold < 0:
        raise UserError(f"--holds-threshold must be 0 or more, not {holds_threshold}")
    as_of = as_of or dt.date.today()
    inputs, pack = session.inputs, session.pack
    given = waivers.load(waivers_path, finding_ids(pack)) if waivers_path else []
    result = session.classification
    con = session.con
    session.progress("running the readiness checks")
    findings, states, notes = collect(con, inputs, result, given, as_of, holds_threshold)
    events, runbook_notes = runbook.build(inputs.scenario, _workloads(con, result))
    notes = runbook_notes + notes
    summary = summarise(inputs, pack, result, findings, states, events, notes, as_of,
                        waivers_path, show_pii, command)
    by_id = {f.id: f for f in findings}
    area_scores = scores(findings)
    session.progress("writing the run folder")

    def write(folder: Path) -> None:
        exported = _exports(con, result, folder)
        (folder / "findings.csv").write_text(_findings_csv(con, by_id, show_pii),
                                             encoding="utf-8")
        stamp = dt.datetime.fromisoformat(summary["manifest"]["timestamp"])
        (folder / "runbook.ics").write_bytes(
            runbook.to_ics(events, inputs.scenario.institution, stamp).encode("utf-8"))
        (folder / "runbook.csv").write_text(runbook.to_csv(events), encoding="utf-8")
        files = {"ledger.parquet": True, "ledger.csv": (folder / "ledger.csv").exists(),
                 "findings.csv": True, "runbook.ics": True, "runbook.csv": True,
                 **exported}
        report = _report(inputs, summary, findings, area_scores, states, events, notes,
                         files, show_pii)
        html, markdown = view.render_readiness(report)
        (folder / "report.html").write_text(html, encoding="utf-8")
        (folder / "summary.md").write_text(markdown, encoding="utf-8")

    runfolder.write_run(con, out, summary, write, csv_mode,
                        result.ledger_in_order)
    return Readiness(out, result, findings, area_scores, events, notes, states, summary)


def _report(inputs: Inputs, summary: dict[str, Any], findings: list[ReadyFinding],
            area_scores: list[AreaScore], states: list[WaiverState],
            events: list[runbook.Event], notes: list[str], files: dict[str, bool],
            show_pii: bool) -> view.ReadinessReport:
    def shown(text: str) -> str:
        return shown_key(text, show_pii)

    def waiver_view(s: WaiverState) -> view.WaiverView:
        w = s.waiver
        return view.WaiverView(w.number, w.finding, [shown(k) for k in w.records], w.scope,
                               w.owner, w.reason, w.expires.isoformat(), s.state, s.matched,
                               [shown(k) for k in s.missing])

    return view.ReadinessReport(
        institution=inputs.scenario.institution,
        stage=inputs.pre.stage,
        scenario=summary["manifest"]["scenario"],
        as_of=summary["manifest"]["as_of"],
        verdict=summary["verdict"],
        verdict_level=summary["verdict_level"],
        areas=[view.AreaView(s.area, s.score, s.status, s.blockers, s.warnings, s.info,
                             s.waived) for s in area_scores],
        findings=[view.FindingView(
            id=f.id, severity=f.severity, area=f.area, title=f.title, fix=f.fix, cite=f.cite,
            entity=f.entity, source=f.source, confidence=f.confidence, count=f.count,
            unwaived=f.unwaived,
            status=f.status, waivers=[waiver_view(s) for s in f.waivers],
            records=[view.RecordView(e, shown(k), shown(d), w) for e, k, d, w in f.records],
        ) for f in findings],
        waivers=[waiver_view(s) for s in states],
        events=[view.EventView(e.id, e.start, e.end, e.days, e.kind, e.label, e.title, e.detail,
                               e.who, e.cite) for e in events],
        notes=notes,
        manifest=summary["manifest"],
        files=files,
        show_pii=show_pii,
        records_shown=RECORDS_SHOWN,
        costs=(BLOCKER_COST, WARNING_COST),
    )
