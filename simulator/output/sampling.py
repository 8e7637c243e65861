"""Choosing which ledger rows a report embeds: bounded per entity, every rule represented."""

from __future__ import annotations

from collections.abc import Iterable

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
    rules: Iterable[tuple[tuple[str, str], str, list[str]]], counts: dict[str, int],
    limit: int = ROWS_PER_ENTITY,
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(side, entity) -> [(record_key, rule_id)] sorted by key, at most ~`limit` per entity.

    `rules`: each rule's (side, entity), id and its `limit` smallest keys, sorted, as the
    classification's one pass over the ledger found them (a bounded heap per rule, no sort of
    the ledger); `counts`: its records. Each rule's share is cut from its keys.
    """
    by_entity: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for key, rule, keys in rules:
        if counts.get(rule):
            by_entity.setdefault(key, []).append((rule, counts[rule], keys))
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, found in by_entity.items():
        k = per_rule_cap([n for _, n, _ in found], limit)
        out[key] = sorted((record, rule) for rule, _, keys in found for record in keys[:k])
    return out
