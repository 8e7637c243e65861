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
    """(side, entity) -> [(record_key, rule_id)] sorted by key, at most ~`limit` per entity.

    One pass: each rule keeps its `limit` smallest keys (a bounded heap, no sort of the
    ledger); each rule's share is then cut from those.
    """
    found = con.rows("select side, entity, rule_id, count(*), min(record_key, $k) from ledger "
                     "group by all", {"k": limit})
    by_entity: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for side, entity, rule, n, keys in found:
        by_entity.setdefault((side, entity), []).append((rule, int(n), keys))
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, rules in by_entity.items():
        k = per_rule_cap([n for _, n, _ in rules], limit)
        out[key] = sorted((record, rule) for rule, _, keys in rules for record in keys[:k])
    return out
