"""Running a rule pack over a set of snapshots: the outcome ledger, counts and findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.core import findings
from simulator.core.findings import Finding
from simulator.errors import Problem, UserError
from simulator.inputs.scenario import Scenario
from simulator.inputs.tables import SCHEMA_SIDE, TABLES
from simulator.rules import compile as rc
from simulator.rules.analysis import params_used
from simulator.rules.lint import lint
from simulator.rules.loader import fingerprint, load_pack
from simulator.rules.model import Entity, Pack, Rule, linted

LEDGER_COLUMNS = ("side", "entity", "record_key", "outcome", "rule_id", "reason", "cite", "message")


_CHECKED: dict[str, Pack] = {}  # linted packs by `loader.fingerprint`


def load_checked(layers: list[Path] | None = None) -> Pack:
    """The default pack with `layers`, loaded and linted, once per content in a process: a
    demo, a notebook or a test suite running many commands lints the same pack once. Packs are
    not changed after lint, so sharing one is safe."""
    key = fingerprint(layers)
    if key not in _CHECKED:
        _CHECKED[key] = checked_pack(load_pack(layers))
    return _CHECKED[key]


def checked_pack(pack: Pack) -> Pack:
    problems = lint(pack)
    if problems:
        raise UserError(problems)
    return pack


@dataclass
class Result:
    counts: list[dict[str, Any]]
    rule_counts: dict[str, int]
    findings: list[Finding]
    rows: int
    catalog: dict[str, tuple[Entity, Rule]]
    # The ledger's rows sorted by side, entity and key, for writing (see `_ledger_sql`).
    ledger_in_order: str
    # rule id -> its records' smallest keys (as many as `classify` was asked for, sorted): the
    # findings' and the report's samples, from the same pass as the counts.
    smallest: dict[str, list[str]]

    @property
    def blockers(self) -> int:
        return sum(1 for f in self.findings if f.severity == "blocker")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def classify(con: db.Connection, pack: Pack, scenario: Scenario,
             pseudonymize_key: str | None = None, name: str = "ledger",
             sample: int = findings.SAMPLE_KEYS) -> Result:
    """Build temp table `<name>_index` (one row per input record; view `<name>` adds the
    rules' texts) and summarise it, keeping each rule's `sample` smallest keys (a report's
    sample wants ROWS_PER_ENTITY). What-if variants use their own `name`.

    With `pseudonymize_key`, Primary IDs in record keys become keyed pseudonyms (the same for
    the same key in every run), so a shared ledger can still be joined with another.
    """
    params = {**scenario.params(), "pseudonymize_key": pseudonymize_key or ""}
    index = db.ident(f"{name}_index")
    con.execute(f"create or replace temp table {index} (side {_ledger_type(con, 'side')}, "
                f"entity {_ledger_type(con, 'entity')}, record_key varchar, rule int)")
    catalog: dict[str, tuple[Entity, Rule]] = {}
    number = 0  # `rule`: the rule's place in the whole pack (1-based), one int per ledger row
    for entity in pack.ordered():
        for r in entity.rules:
            catalog[r.id] = (entity, r)
        compiled = rc.compiled(entity, pack, pseudonymize=bool(pseudonymize_key))
        try:
            con.execute(
                f"insert into {index} select $side, $entity, record_key, rule_index + $first "
                f"from ({compiled.sql})",
                {"side": entity.side, "entity": entity.name, "first": number + 1,
                 **compiled.bind(params)},
            )
        except db.DuckDBError as e:
            raise_fact_problem(con, compiled, params, e)
            raise
        number += len(entity.rules)
    # One scan of the narrow index gives every count, every finding's first keys and the
    # report's sample; the wide `ledger` (each rule's texts on each row) is only a view, read
    # once when written.
    per_rule: dict[int | None, tuple[int, list[str]]] = {
        rule: (int(n), list(keys)) for rule, n, keys in con.rows(
            f"select rule, count(*), min(record_key, $n) from {index} group by all",
            {"n": max(sample, findings.SAMPLE_KEYS)})}
    unclassified = per_rule.get(None, (0, []))[0]
    if unclassified:
        raise RuntimeError(f"{unclassified} records matched no rule despite the catch-all")
    rules = [r for e in pack.ordered() for r in e.rules]  # by rule number
    texts = _texts_sql(rules)
    con.execute(f"create or replace temp view {db.ident(name)} as {_ledger_sql(texts, index)}")
    by_rule = {r.id: per_rule.get(i, (0, [])) for i, r in enumerate(rules, 1)}
    outcome_counts: dict[tuple[str, str, str], int] = {}
    for rule_id, (n, _) in by_rule.items():
        entity, rule = catalog[rule_id]
        key = (entity.side, entity.name, rule.outcome)
        outcome_counts[key] = outcome_counts.get(key, 0) + n
    counts = [{"side": s, "entity": e, "outcome": o, "count": n}
              for (s, e, o), n in sorted(outcome_counts.items()) if n]
    rule_counts = {rule_id: n for rule_id, (n, _) in sorted(by_rule.items()) if n}
    found = _findings_of(pack, by_rule)
    rows = sum(n for n, _ in per_rule.values())
    in_order = _in_order(con, rules, name, index)
    smallest = {rule_id: keys for rule_id, (n, keys) in by_rule.items() if n}
    return Result(counts, rule_counts, found, rows, catalog, in_order, smallest)


def raise_fact_problem(con: db.Connection, compiled: rc.Compiled, params: dict[str, Any],
                       error: db.DuckDBError) -> None:
    """A fact whose subquery finds two rows for one record is the rule author's mistake: name
    it at its place in the pack (exit 2), found by running the entity's facts one at a time.
    Called with the error of any query over the compiled facts (classification, explain)."""
    if rc.MANY_ROWS not in str(error):
        return
    for fact in compiled.facts:
        one = rc.Compiled(compiled.entity, [fact], rc.base_sql(compiled.entity, [fact]),
                          params_used([linted(fact.tree)]))
        try:
            # count(fact): count(*) would let DuckDB skip computing the fact
            con.execute(f"select count({db.ident(fact.name)}) from ({one.sql})",
                        one.bind(params))
        except db.DuckDBError as e:
            if rc.MANY_ROWS in str(e):
                raise UserError(Problem(fact.loc, (
                    f"fact {fact.name}: its subquery finds more than one row for some "
                    f"{compiled.entity.name} records, but a fact used as a value must find at "
                    "most one; narrow its where clause, or aggregate (max(...), any_value(...))"
                ))) from None


_TEXTS = ("outcome", "rule_id", "reason", "cite", "message")


def _values(r: Rule) -> tuple[str | None, ...]:
    return r.outcome, r.id, r.reason, r.cite, r.message


def _in_order(con: db.Connection, rules: list[Rule], name: str, index: str) -> str:
    """The ledger sorted by side, entity and key, for writing. Side and entity are the index's
    ENUM values (`_ledger_type`), and every text an ENUM value of the pack's own (sorted, so
    they sort as their text): they sort as small numbers, and written to Parquet an ENUM column
    is a dictionary already, where a VARCHAR column is hashed value by value (the long reasons,
    15M times at 2M users). The file holds plain strings either way."""
    texts = [_enum_type(con, f"{name}_{f}", {_values(r)[i] for r in rules})
             for i, f in enumerate(_TEXTS)]
    return f"{_ledger_sql(_texts_sql(rules, texts), index)} order by side, entity, record_key"


def _ledger_type(con: db.Connection, column: str) -> str:
    """The index's ENUM type of `side` or `entity`: every side, every table of the catalogue,
    sorted (so that it sorts as its text does). One type for every classification of a
    connection, so that indexes compare and join as they are. Each row's side and entity are
    then a small number to store, count by and sort on, not a text (37M rows at 5M users)."""
    kind = db.ident(f"ledger_{column}")
    values = set(SCHEMA_SIDE.values()) if column == "side" else set(TABLES)
    con.execute(f"create temp type if not exists {kind} as enum("
                + ", ".join(db.literal(v) for v in sorted(values)) + ")")
    return kind


def _enum_type(con: db.Connection, name: str, values: set[str | None]) -> str:
    kind = db.ident(name)
    con.execute(f"create or replace temp type {kind} as enum("
                + ", ".join(db.literal(v) for v in sorted(v for v in values if v is not None))
                + ")")
    return kind


def _texts_sql(rules: list[Rule], types: list[str] | None = None) -> str:
    """The rules' texts as one constant list of structs, in rule-number order (each value cast
    to its column's type in `types`, if given)."""
    casts = types or ["varchar"] * len(_TEXTS)
    return "[" + ", ".join(
        "{" + ", ".join(f"{name}: " + ("null" if value is None else db.literal(value))
                        + f"::{kind}" for name, value, kind in zip(_TEXTS, _values(r), casts,
                                                                    strict=True)) + "}"
        for r in rules) + "]"


def _ledger_sql(texts: str, index: str) -> str:
    """The ledger over `index`, each row's texts looked up by its rule number in a constant
    list (cheaper than a join, and it keeps the index's order)."""
    picked = ", ".join(f"r.{name} as {name}" for name in _TEXTS)
    return (f"select side, entity, record_key, {picked} from (select side, entity, record_key, "
            f"{texts}[rule] as r from {index})")


def _findings_of(pack: Pack, by_rule: dict[str, tuple[int, list[str]]]) -> list[Finding]:
    out = []
    for entity, rule in pack.rules():
        count, sample = by_rule[rule.id]
        if not count:
            continue
        if rule.finding:
            severity, title, fix = rule.finding.severity, rule.finding.title, rule.finding.fix
        elif rule.confidence == "inferred":
            severity = "warning"
            title = f"Inferred rule applied: {rule.id}"
            fix = ("The vendor's description does not cover this case; confirm the outcome with "
                   "the Ex Libris project manager.")
        else:
            continue
        out.append(Finding(rule.id, severity, title, count, sample[:findings.SAMPLE_KEYS],
                           " ".join(fix.split()), rule.id, entity.id, rule.cite,
                           rule.confidence))
    out.sort(key=lambda f: findings.order(f.severity, f.id))
    return out
