"""The cases of verify at scale: `cutover verify` step by step, and the users reconciliation
prepared as two Parquet files (for datacompy, bench/datacompy_case.py) and done as one DuckDB
query."""

from __future__ import annotations

import argparse
from typing import Any

from bench.case_kit import Clock
from simulator import db

EXPECTED_USERS = """
    select lower(l.record_key) as match_key, l.record_key as primary_id,
      u.record_type,
      case when l.outcome = 'refreshed' then p.user_group else u.user_group end as user_group
    from read_parquet({ledger}) l
    join {pre_users} u on l.side = 'alma' and l.entity = 'users'
      and u.primary_id = l.record_key
    left join {patrons} p on lower(p.primary_id) = lower(u.primary_id)
    where l.outcome in ('retained', 'refreshed', 'reverted')
    union all
    select lower(l.record_key), l.record_key, 'PUBLIC', p.user_group
    from read_parquet({ledger}) l
    join {patrons} p on l.side = 'extract' and l.entity = 'patrons'
      and p.primary_id = l.record_key
    where l.outcome = 'added' and not exists (
      select 1 from read_parquet({ledger}) a join {pre_users} u2
        on a.side = 'alma' and a.entity = 'users' and u2.primary_id = a.record_key
      where lower(a.record_key) = lower(l.record_key)
        and a.outcome in ('retained', 'refreshed', 'reverted'))
"""


def case_expected_users(a: argparse.Namespace) -> dict[str, Any]:
    """Untimed preparation: the users the ledger says Alma holds after the load, and Alma's
    actual users, as two Parquet files (match_key, primary_id, record_type, user_group)."""
    con = db.connect()
    try:
        sql = EXPECTED_USERS.format(
            ledger=db.literal(str(a.run / "ledger.parquet")),
            pre_users=f"read_parquet({db.literal(str(a.data / 'freeze' / 'users.parquet'))})",
            patrons=f"read_parquet({db.literal(str(a.data / 'extract' / 'patrons.parquet'))})")
        a.out.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({sql}) to {db.literal(str(a.out / 'expected.parquet'))} "
                    "(format parquet)")
        post = db.literal(str(a.data / "cutover" / "users.parquet"))
        con.execute(f"copy (select lower(primary_id) as match_key, primary_id, record_type, "
                    f"user_group from read_parquet({post})) to "
                    f"{db.literal(str(a.out / 'actual.parquet'))} (format parquet)")
        rows = [int(con.one(f"select count(*) from read_parquet("
                            f"{db.literal(str(a.out / n))})"))
                for n in ("expected.parquet", "actual.parquet")]
    finally:
        con.close()
    return {"rows": rows}


def case_reconcile_sql(a: argparse.Namespace) -> dict[str, Any]:
    """The same users reconciliation as one DuckDB query (for reference beside datacompy)."""
    clock = Clock()
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("comparing")
        e, x = (f"read_parquet({db.literal(str(a.prepared / n))})"
                for n in ("expected.parquet", "actual.parquet"))
        row = con.rows(
            f"select count(*) filter (where x.match_key is null), "
            f"count(*) filter (where e.match_key is null), "
            f"count(*) filter (where e.match_key is not null and x.match_key is not null and "
            f"(e.record_type is distinct from x.record_type or e.user_group is distinct from "
            f"x.user_group)) from {e} e full join {x} x using (match_key)")[0]
    finally:
        con.close()
    return {**clock.done(), "only_expected": row[0], "only_actual": row[1],
            "mismatched": row[2]}


def case_verify(a: argparse.Namespace) -> dict[str, Any]:
    """`cutover verify --prediction RUN --post DIR [--entity E ...]` as the command runs it,
    step by step, with the counts of its users discrepancies."""
    from simulator.commands import verify

    clock = Clock()
    run = verify.run_saved(a.run, a.data / "cutover", a.out, csv_mode="never", progress=clock,
                           entities=a.entity or None, memory_limit=a.memory_limit)
    return {**clock.done(), "counts": run.summary["counts"]}
