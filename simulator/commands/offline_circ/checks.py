"""Every check of a line (docs/offline-circ.md, "Checks"), one declaration each: its name, its
severity, a title, the scenario date it needs and the SQL that finds the lines it concerns, each
with its message. A line's status is its worst severity (`error` over `warning`; `ok` with
none); its problem, every message in the order declared here.

The SQL reads `oc_facts` (lines.py) and `oc_replay` (replay.py); scenario dates and wordings are
bound parameters: `$fulfillment_freeze`, `$go_live`, `$freeze_start` and their `_shown` forms,
`$bibs` (whether temporary bibs were given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.commands.offline_circ.lines import shown_time
from simulator.inputs.scenario import Scenario

SEVERITIES = ("error", "warning")
_TS = "strftime(f.ts, '%Y-%m-%d %H:%M')"
_WELL_FORMED = "f.malformed is null"
# Another line `o`, named from line `f`: its number, and its file's name when it is another.
_LINE_OF = ("case when o.file = f.file then format('line {}', o.line) "
            "else format('{} line {}', o.name, o.line) end")
_REPLAYED = """
    select f.seq, {message} as message
    from oc_replay r join oc_facts f using (seq) left join oc_lines o on o.seq = r.last_ok
    where r.kind = '{kind}' and not r.ok"""


@dataclass(frozen=True)
class Check:
    name: str
    severity: str  # error | warning
    title: str
    sql: str  # select seq, message
    needs: str | None = None  # the scenario date it compares with


def _where(condition: str, message: str) -> str:
    return f"select f.seq, {message} as message from oc_facts f where {condition}"


CHECKS = (
    Check("malformed", "error", "Malformed line", _where("f.malformed is not null",
                                                          "f.malformed")),
    Check("unknown-item", "error", "Unknown item barcode", _where(
        f"{_WELL_FORMED} and not f.in_items and not f.in_bibs",
        "case when f.role = 'ill' then format('item {} is neither in the snapshot''s items nor "
        "in a temporary bib record{}', f.barcode, case when $bibs then '' else ' (no --ill-bibs "
        "given)' end) else format('item {} is not in the snapshot''s items{}', f.barcode, "
        "case when $bibs then ' nor in the temporary ILL bibs' else '' end) end")),
    Check("unknown-patron", "error", "Unknown patron", _where(
        f"{_WELL_FORMED} and f.kind = 'L' and f.patron_users = 0",
        "format('patron {} matches no user (by Primary ID, username or user identifier)', "
        "f.patron)")),
    Check("ambiguous-patron", "error", "Patron matching several users", _where(
        f"{_WELL_FORMED} and f.kind = 'L' and f.patron_users > 1",
        "format('patron {} matches {} users: {}', f.patron, f.patron_users, f.matched)")),
    Check("already-on-loan", "error", "Loan of an item already on loan", _REPLAYED.format(
        kind="L", message="format('item {} is already on loan to {}: {}', f.barcode, r.holder, "
        f"case when o.seq is null then 'a loan in the snapshot' else 'loaned by ' || {_LINE_OF} "
        "end)")),
    Check("not-on-loan", "error", "Return of an item not on loan", _REPLAYED.format(
        kind="R", message="format('item {} is not on loan: {}', f.barcode, case when o.seq is "
        f"null then 'the snapshot has no open loan of it' else 'returned by ' || {_LINE_OF} end)"
    )),
    Check("ill-item-in-snapshot", "error", "ILL line for an item Alma already has", _where(
        f"{_WELL_FORMED} and f.role = 'ill' and f.in_items and not f.in_bibs",
        "format('item {} is in the snapshot''s items: the ILL file is for temporary items "
        "created after the technical freeze (put its transactions in the offline circulation "
        "file)', f.barcode)")),
    Check("ill-after-fulfillment-freeze", "error", "ILL transaction after the fulfillment "
          "freeze", _where(
              f"{_WELL_FORMED} and f.role = 'ill' and f.ts >= $fulfillment_freeze",
              f"format('{{}} is at or after the fulfillment freeze ({{}}): from then on, loans "
              f"and returns of ILL items go in the offline circulation file', {_TS}, "
              "$fulfillment_freeze_shown)"), "fulfillment_freeze"),
    Check("ill-before-technical-freeze", "warning", "ILL transaction before the technical "
          "freeze", _where(
              f"{_WELL_FORMED} and f.role = 'ill' and f.ts < $freeze_start",
              f"format('{{}} is before the technical freeze ({{}}): the ILL file holds what "
              f"happened to temporary items from then to the fulfillment freeze', {_TS}, "
              "$freeze_start_shown)"), "freeze_start"),
    Check("before-fulfillment-freeze", "warning", "Transaction before the fulfillment freeze",
          _where(f"{_WELL_FORMED} and f.role = 'offline' and f.ts < $fulfillment_freeze",
                 f"format('{{}} is before the fulfillment freeze ({{}}): the fulfillment load "
                 f"holds the legacy system''s loans until then; make sure this transaction is "
                 f"not in it too', {_TS}, $fulfillment_freeze_shown)"), "fulfillment_freeze"),
    Check("after-go-live", "error", "Transaction at or after go-live", _where(
        f"{_WELL_FORMED} and f.role = 'offline' and f.ts >= $go_live",
        f"format('{{}} is at or after go-live ({{}}): the file is loaded before go-live, and "
        f"from then on circulation happens in Alma', {_TS}, $go_live_shown)"), "go_live"),
    Check("backwards", "warning", "Timestamp earlier than the line before", f"""
        select seq, format('{{}} is earlier than the line before it, line {{}} ({{}}): '
                           || 'Alma applies the lines in file order, not by time',
                           {_TS.replace('f.ts', 'ts')},
                           before_line, strftime(before_ts, '%Y-%m-%d %H:%M')) as message
        from (select seq, ts, lag(ts) over w as before_ts, lag(line) over w as before_line
              from oc_facts f where {_WELL_FORMED} window w as (partition by file order by seq))
        where ts < before_ts"""),
    Check("duplicate", "warning", "The same transaction twice", f"""
        select f.seq, format('the same transaction as {{}}', {_LINE_OF}) as message
        from (select seq, file, first_value(seq) over w as first_seq, row_number() over w as n
              from oc_facts where malformed is null
              window w as (partition by ts, kind, barcode, patron order by seq)) f
        join oc_lines o on o.seq = f.first_seq
        where f.n > 1"""),
)
BY_NAME = {c.name: c for c in CHECKS}


def params(scenario: Scenario, bibs: bool) -> dict[str, Any]:
    far = dt.datetime(9999, 12, 31)
    out: dict[str, Any] = {"bibs": bibs}
    for name in ("freeze_start", "fulfillment_freeze", "go_live"):
        value = scenario.dates.get(name)
        out[name] = value or far
        out[f"{name}_shown"] = shown_time(value) if value else ""
    return out


def run(con: db.Connection, scenario: Scenario, bibs: bool) -> list[str]:
    """Every check into `oc_problems`, each line's verdict into `oc_status`; returns notes on
    the checks the scenario's dates leave out."""
    used = [(i, c) for i, c in enumerate(CHECKS) if c.needs is None or c.needs in
            scenario.dates]
    notes = [f"the scenario gives no {c.needs}: no line was checked for "
             f"“{c.title.lower()}”" for c in CHECKS if c.needs and c.needs not in scenario.dates]
    bound = params(scenario, bibs)
    parts = " union all ".join(
        f"select seq, {i} as check_no, '{c.name}' as check_name, '{c.severity}' as severity, "
        f"message from ({c.sql})" for i, c in used)
    con.execute(f"create or replace temp table oc_problems as {parts}",
                {k: v for k, v in bound.items() if f"${k}" in parts})
    con.execute("""
        create or replace temp table oc_status as
        select l.seq,
               case when bool_or(p.severity = 'error') then 'error'
                    when bool_or(p.severity = 'warning') then 'warning' else 'ok' end as status,
               coalesce(string_agg(p.message, '; ' order by p.check_no), '') as problem
        from oc_lines l left join oc_problems p using (seq)
        group by l.seq""")
    return notes


def counts(con: db.Connection) -> dict[str, int]:
    """Lines each check concerns (0 for those that found none)."""
    found = dict(con.rows("select check_name, count(distinct seq) from oc_problems group by 1"))
    return {c.name: int(found.get(c.name, 0)) for c in CHECKS}
