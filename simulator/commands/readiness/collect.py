"""The records behind every finding of a review, in table `ready_records` (finding_id, entity,
record_key, detail): the rule pack's straight from the ledger, the checks' from their queries;
then the waivers judged on them (table `ready_marked` adds `waived_by`) and a sample of each
finding's records for the report."""

from __future__ import annotations

import datetime as dt

from simulator import db
from simulator.commands.readiness import checks, waivers
from simulator.commands.readiness.findings import (
    HOLDS_THRESHOLD,
    ReadyFinding,
    Record,
    WaiverState,
    definitions,
    options,
    ordered,
)
from simulator.core.engine import Result
from simulator.core.findings import SAMPLE_KEYS
from simulator.core.session import Session
from simulator.rules.analysis import render

RECORDS_SHOWN = 50  # per finding in the report; every record is in findings.csv


def collect(session: Session, given: list[waivers.Waiver], as_of: dt.date,
            holds_threshold: int = HOLDS_THRESHOLD
            ) -> tuple[list[ReadyFinding], list[WaiverState], list[str]]:
    """Every raised finding with its records, the waivers' states, and the notes on what was
    not checked; after the session's classification built the ledger."""
    con, result = session.con, session.classification
    con.execute("create or replace temp table ready_records (finding_id varchar, entity varchar, "
                "record_key varchar, detail varchar)")
    notes: list[str] = []
    _rule_records(con, result)
    checks.run(checks.Context(con, session.inputs, result, notes))
    found = definitions(result, options(holds_threshold))
    states = _apply_waivers(con, found, given, as_of)
    _samples(con, found)
    return ordered(found), states, notes


def _rule_records(con: db.Connection, result: Result) -> None:
    """The records behind each finding of the pack, straight from the ledger; the detail is
    the reject message, or what the finding's `detail` query says of the record."""
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


def _mark(con: db.Connection, given: list[waivers.Waiver], as_of: dt.date) -> None:
    """Tables `ready_waivers` (one row per waived key; null: every record) and `ready_marked`.
    Record keys match ignoring letter case, as Primary IDs do."""
    con.execute("create or replace temp table ready_waivers (number int, finding_id varchar, "
                "key varchar, active boolean)")
    rows = [[w.number, w.finding, key, not w.expired(as_of)]
            for w in given for key in (w.records or (None,))]
    if rows:
        con.raw.executemany("insert into ready_waivers values (?, ?, ?, ?)", rows)
    con.execute("""
        create or replace temp table ready_marked as
        select r.*, (select min(w.number) from ready_waivers w
                     where w.active and w.finding_id = r.finding_id
                       and (w.key is null or lower(w.key) = lower(r.record_key))) as waived_by
        from ready_records r""")


def _apply_waivers(con: db.Connection, found: dict[str, ReadyFinding],
                   given: list[waivers.Waiver], as_of: dt.date) -> list[WaiverState]:
    """Count each finding's records and those no waiver in force covers; each waiver's state."""
    _mark(con, given, as_of)
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
    """The first records of each finding, open ones first; its sample keys from them."""
    for fid, entity, key, detail, waived in con.rows("""
            select finding_id, entity, record_key, detail, waived_by is not null
            from ready_marked
            qualify row_number() over (partition by finding_id
                                       order by waived_by is not null, entity, record_key) <= $n
            order by finding_id, waived_by is not null, entity, record_key""",
                                                     {"n": RECORDS_SHOWN}):
        found[fid].records.append(Record(entity, key, detail or "", bool(waived)))
    for f in found.values():
        f.sample_keys = [r.key for r in f.records[:SAMPLE_KEYS]]


def workloads(con: db.Connection, result: Result) -> dict[str, int]:
    """Records per runbook workload (vocabulary.WORKLOADS), each record counted once: those of
    the checks and of the rules' findings that declare the workload."""
    of = {c.id: c.workload for c in checks.CHECKS.values() if c.workload}
    of |= {r.id: r.finding.workload for _, r in result.catalog.values()
           if r.finding is not None and r.finding.workload}
    return {str(w): int(n) for w, n in con.rows(
        "select m.workload, count(distinct r.record_key) from ready_records r "
        "join (select unnest($ids::varchar[]) as id, unnest($works::varchar[]) as workload) m "
        "on m.id = r.finding_id group by all", {"ids": list(of), "works": list(of.values())})}
