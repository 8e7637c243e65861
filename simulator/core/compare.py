"""Comparing two ledgers record by record, shared by `cutover whatif` and `cutover diff`.

A record is compared on (side, entity, record_key): it changed when its outcome or deciding rule
differs, appeared when only the second ledger has it, disappeared when only the first has it.
Transition matrices count every record by (outcome before, outcome after), `absent` standing for
a record one ledger does not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator import db
from simulator.core.findings import SEVERITY_ORDER
from simulator.output import csvfile
from simulator.output.sampling import per_rule_cap

ABSENT = "absent"
CHANGE_COLUMNS = ("side", "entity", "record_key", "outcome_before", "outcome_after",
                  "rule_before", "rule_after")
ROWS_EMBEDDED = 20_000  # changed records embedded in a report page (the rest: CSV/Parquet)


def _joined(a: str, b: str) -> str:
    return (f"{a} as a full join {b} as b on a.side = b.side and a.entity = b.entity "
            "and a.record_key = b.record_key")


def changes_sql(a: str, b: str) -> str:
    """Every record whose outcome or rule differs between ledgers `a` and `b` (relations), or
    that only one of them has; columns CHANGE_COLUMNS."""
    return (
        "select coalesce(a.side, b.side) as side, coalesce(a.entity, b.entity) as entity, "
        "coalesce(a.record_key, b.record_key) as record_key, a.outcome as outcome_before, "
        "b.outcome as outcome_after, a.rule_id as rule_before, b.rule_id as rule_after "
        f"from {_joined(a, b)} "
        "where a.outcome is distinct from b.outcome or a.rule_id is distinct from b.rule_id"
    )


def kind_sql(alias: str = "") -> str:
    """SQL naming the kind of a change row: changed, appeared or disappeared."""
    p = f"{alias}." if alias else ""
    return (f"case when {p}outcome_before is null then 'appeared' "
            f"when {p}outcome_after is null then 'disappeared' else 'changed' end")


def matrices(con: db.Connection, a: str, b: str) -> list[dict[str, Any]]:
    """One transition matrix per entity present in either ledger, every record counted."""
    rows = con.rows(
        "select coalesce(a.side, b.side), coalesce(a.entity, b.entity), "
        f"coalesce(a.outcome, '{ABSENT}'), coalesce(b.outcome, '{ABSENT}'), count(*), "
        "count(*) filter (where a.rule_id is distinct from b.rule_id) "
        f"from {_joined(a, b)} group by all order by all"
    )
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for side, entity, before, after, n, rule_changed in rows:
        m = out.setdefault((side, entity), {
            "side": side, "entity": entity, "id": f"{side}.{entity}", "cells": [],
            "before": 0, "after": 0, "changed": 0, "appeared": 0, "disappeared": 0})
        n, rule_changed = int(n), int(rule_changed)
        m["cells"].append({"before": before, "after": after, "count": n,
                           "rule_changed": rule_changed})
        if before != ABSENT:
            m["before"] += n
        if after != ABSENT:
            m["after"] += n
        if before == ABSENT:
            m["appeared"] += n
        elif after == ABSENT:
            m["disappeared"] += n
        elif before != after:
            m["changed"] += n
        else:
            m["changed"] += rule_changed
    return [out[k] for k in sorted(out)]


def totals(matrix_list: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(m[k] for m in matrix_list) for k in ("changed", "appeared", "disappeared")}


def finding_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """Findings that appeared, cleared, or changed severity or count, matched by id."""
    a = {f["id"]: f for f in before}
    b = {f["id"]: f for f in after}
    out = []
    for fid in sorted(set(a) | set(b)):
        fa, fb = a.get(fid), b.get(fid)
        sev_a, sev_b = (fa or {}).get("severity"), (fb or {}).get("severity")
        n_a, n_b = int((fa or {}).get("count", 0)), int((fb or {}).get("count", 0))
        if fa is not None and fb is not None and (sev_a, n_a) == (sev_b, n_b):
            continue
        change = "appeared" if fa is None else "cleared" if fb is None else "changed"
        shown = fb or fa or {}
        out.append({
            "id": fid, "title": shown.get("title", fid), "entity": shown.get("entity", ""),
            "change": change, "severity_before": sev_a, "severity_after": sev_b,
            "count_before": n_a, "count_after": n_b,
            "new_blocker": sev_b == "blocker" and sev_a != "blocker",
            "cleared_blocker": sev_a == "blocker" and sev_b != "blocker",
        })
    out.sort(key=lambda f: (not (f["new_blocker"] or f["cleared_blocker"]),
                            SEVERITY_ORDER.get(f["severity_after"] or f["severity_before"], 3),
                            f["id"]))
    return out


def embedded_changes(con: db.Connection, relation: str, group: str = "''",
                     limit: int = ROWS_EMBEDDED) -> list[list[str]]:
    """Changed records for a report page: at most ~`limit`, every (group, entity, before,
    after) cell represented, sorted. Rows: group, entity id, key, before, after, rules."""
    cells = con.rows(f"select {group}, side, entity, outcome_before, outcome_after, count(*) "
                     f"from {relation} group by all")
    cap = per_rule_cap([int(c[-1]) for c in cells], limit)
    rows = con.rows(
        f"select {group} as g, side || '.' || entity, record_key, "
        f"coalesce(outcome_before, '{ABSENT}'), coalesce(outcome_after, '{ABSENT}'), "
        "coalesce(rule_before, ''), coalesce(rule_after, '') "
        f"from {relation} qualify row_number() over (partition by {group}, side, entity, "
        "outcome_before, outcome_after order by record_key) <= $cap "
        "order by all", {"cap": cap})
    return [[str(v) for v in r] for r in rows]


def export(con: db.Connection, query: str, folder: Path, stem: str,
           csv: bool = True) -> None:
    """`query` as `<stem>.parquet` and `<stem>.csv` (formulas neutralised) in `folder`."""
    con.execute(f"copy ({query}) to {db.literal(str(folder / (stem + '.parquet')))} "
                "(format parquet, compression zstd)")
    if csv:
        csvfile.copy_csv(con, query, folder / (stem + ".csv"))
