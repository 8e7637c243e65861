"""What a verify run tells: one finding per entity, class and rule, judged by the loss budgets;
the verdict; and the junit.xml cases (one per rule × entity)."""

from __future__ import annotations

from typing import Any

from simulator import db
from simulator.commands.verify import budgets as budget_mod
from simulator.commands.verify.classes import Registry
from simulator.commands.verify.reconcile import COUNTS, DISCREPANCIES, STATE_MISMATCH
from simulator.core.findings import SAMPLE_KEYS, Finding, Wording, order
from simulator.inputs.tables import tables_for
from simulator.output.junit import Case
from simulator.rules.model import Pack

# `{n}` discrepancies (`{noun}`), `{b}` of them over a fail budget; `{checked}` says when
# only some entities were checked.
WORDING = Wording(
    blocked="{n:,} {noun}; {b} over a fail budget.",
    warned="{n:,} {noun}, none over a fail budget.",
    clear="Confirmed: {checked}Alma holds exactly what the prediction said.")
SEVERITY = {"fail": "blocker", "warn": "warning"}  # of a budget's verdict; else information


def verdict(found: list[Finding], discrepancies: int, partial: bool) -> str:
    """The run's verdict: discrepancies over a fail budget, or none, or none at all."""
    blockers = sum(1 for f in found if f.severity == "blocker")
    # Every discrepancy is for someone to look at, whatever its budget.
    return WORDING.verdict(
        blockers, discrepancies, n=discrepancies,
        noun="discrepancy" if discrepancies == 1 else "discrepancies",
        checked="for the entities checked, " if partial else "")[1]


def findings(con: db.Connection, budgets: list[budget_mod.Budget], registry: Registry,
             pack: Pack) -> list[Finding]:
    """One finding per entity, class and rule of the discrepancies, severest first."""
    totals = {(s, e): int(n) for s, e, n in con.rows(
        f"select side, entity, sum(n) from {COUNTS} group by all")}
    groups = con.rows(f"""
        select side, entity, class, coalesce(rule_id, ''), count(*),
               list(record_key order by record_key)[1:$n],
               list([record_key, expected, observed] order by record_key)[1:$n]
        from {DISCREPANCIES} group by all order by all""", {"n": SAMPLE_KEYS})
    cites = {r.id: r.cite for _, r in pack.rules()}
    # A state mismatch's expected value is its rule's SQL; the report shows it in words.
    words = {r.id: r.expect_describe for _, r in pack.rules() if r.expect_describe}
    out = []
    for side, entity, name, rule_id, n, keys, details in groups:
        klass = registry[name]
        # A stage check looks at the table's rows after the load: a percentage is of those.
        where = ("post" if klass.stage_check else side, entity)
        if where[0] == "post" and where not in totals:
            totals[where] = _post_rows(con, entity)
        judged, budget = budget_mod.judge(budgets, f"{side}.{entity}", name, int(n),
                                          totals.get(where, 0))
        threshold = budget.threshold(judged) if budget else None
        out.append(Finding(
            id=f"verify.{name}.{side}.{entity}" + (f".{rule_id}" if rule_id else ""),
            severity="blocker" if klass.blocker else SEVERITY.get(judged, "info"),
            title=f"{side}.{entity}: {int(n):,} {klass.title}"
                  + (f" (rule {rule_id})" if rule_id else ""),
            count=int(n),
            sample_keys=list(keys),
            fix=klass.fix,
            rule_id=rule_id or name,
            entity=f"{side}.{entity}",
            cite=cites.get(rule_id, klass.cite),
            extra={"class": name, "budget": "" if threshold is None else str(threshold),
                   "details": [_detail(k, e, o, words.get(rule_id)
                                       if name == STATE_MISMATCH else None)
                               for k, e, o in details]},
        ))
    out.sort(key=lambda f: order(f.severity, f.id))
    return out


def _detail(key: str, expected: str, observed: str, words: str | None) -> dict[str, str]:
    """One record of a finding: what was expected (and, for a rule's SQL, the same in
    words), and what was found."""
    out = {"key": key, "expected": expected, "observed": observed}
    if words:
        out["expected_in_words"] = words
    return out


def _post_rows(con: db.Connection, table: str) -> int:
    """Rows of an Alma table after the load (what a stage check's percentage is of)."""
    if table not in {t.name for t in tables_for("alma")}:
        return 0
    return int(con.one(f"select count(*) from {db.qualified('post', table)}"))


def junit_cases(con: db.Connection) -> list[Case]:
    """One case per rule × entity that decided records, and per class of rows in no input
    record; failing with the discrepancies' sample keys."""
    failures: dict[tuple[str, str], list[tuple[str, int, list[str]]]] = {}
    for side, entity, klass, rule, n, keys in con.rows(f"""
            select side, entity, class, coalesce(rule_id, class), count(*),
                   list(record_key order by record_key)[1:$n]
            from {DISCREPANCIES} group by all order by all""", {"n": SAMPLE_KEYS}):
        failures.setdefault((f"{side}.{entity}", rule), []).append((klass, int(n), list(keys)))
    names = {(f"{s}.{e}", r) for s, e, r in con.rows(
        f"select distinct side, entity, rule_id from {COUNTS}")}
    return [Case(suite, name, failures.get((suite, name), []))
            for suite, name in sorted(names | set(failures))]


def as_dicts(found: list[Finding]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in found]
