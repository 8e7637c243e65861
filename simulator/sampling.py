"""Choosing which ledger rows a report embeds: bounded per entity, every rule represented."""

from __future__ import annotations

from simulator import db

ROWS_PER_ENTITY = 5000


def per_rule_cap(counts: list[int], limit: int) -> int:
    """The largest k with sum(min(c, k)) <= limit: rare rules keep all rows, big ones share."""
    if sum(counts) <= limit:
        return max(counts, default=0)
    lo, hi = 0, max(counts)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(c, mid) for c in counts) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return max(lo, 1)  # one row per rule even when there are more rules than the limit


def sample_ledger(
    con: db.Connection, limit: int = ROWS_PER_ENTITY
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(side, entity) -> [(record_key, rule_id)] sorted by key, at most ~`limit` per entity."""
    counts = con.rows("select side, entity, rule_id, count(*) from ledger group by all")
    by_entity: dict[tuple[str, str], list[int]] = {}
    for side, entity, _rule, n in counts:
        by_entity.setdefault((side, entity), []).append(int(n))
    con.execute("create or replace temp table sample_cap (side varchar, entity varchar, k bigint)")
    con.raw.executemany("insert into sample_cap values (?, ?, ?)",
                        [[s, e, per_rule_cap(c, limit)] for (s, e), c in by_entity.items()])
    rows = con.rows(
        "select l.side, l.entity, l.record_key, l.rule_id from ledger l "
        "join sample_cap c using (side, entity) "
        "qualify row_number() over (partition by l.side, l.entity, l.rule_id "
        "order by l.record_key) <= c.k order by l.side, l.entity, l.record_key"
    )
    out: dict[tuple[str, str], list[tuple[str, str]]] = {k: [] for k in by_entity}
    for side, entity, key, rule in rows:
        out[(side, entity)].append((key, rule))
    return out
