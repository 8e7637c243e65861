"""The rule model: plain data with source locations, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp

from simulator.errors import Loc
from simulator.inputs.tables import SIDE_SCHEMA

OUTCOMES = {
    "retained": "exists after the load as it was",
    "refreshed": "exists after the load; its data replaced by the migrated record matched on key; "
    "named parts kept (a public user's staff roles)",
    "merged": "a code present in Alma and in the extract: kept once",
    "added": "loaded from the extract",
    "removed": "was in Alma before the load, gone after",
    "reverted": "changed in Alma during the configuration freeze: the change is lost",
    "detached": "survives but loses a link (to a collection, to e-inventory, to bib citations)",
    "deactivated": "survives but switched off by the load (webhooks inactive, scheduled jobs "
    "disabled)",
    "rejected": "an extract record the load refuses; the reject message is part of the ledger",
    "not_migrated": "an extract record the migration skips by design (unfulfilled holds, "
    "returned loans)",
}
# After the load a record with one of these outcomes is gone (or was never loaded); with any
# other outcome it is there. A reverted record is there, in its state from before the freeze.
ABSENT_OUTCOMES = frozenset({"removed", "rejected", "not_migrated"})
SEVERITIES = ("blocker", "warning", "info")
CONFIDENCES = ("documented", "inferred")


def linted(tree: exp.Expression | None) -> exp.Expression:
    """An SQL text of the pack as lint parsed it: lint parses each text once and keeps the tree
    on the pack, so nothing after it parses again."""
    if tree is None:
        raise RuntimeError("a rule pack was used before lint parsed it (use a checked pack)")
    return tree


@dataclass
class FindingSpec:
    """A rule's finding, and what readiness and the runbook need to know about its records
    (docs/rules.md, "Rule metadata"; the names are in rules/vocabulary.py)."""

    severity: str
    title: str
    fix: str
    loc: Loc
    area: str | None = None  # default: the area of the entity's table
    # A SELECT giving `k` (a record key) and `d` (a detail readiness shows beside it).
    detail: str | None = None
    workload: str | None = None  # the runbook workload its records count towards
    info_up_to: str | None = None  # a readiness option: information while count <= it
    export: str | None = None  # a CSV file of the records' rows in a readiness run folder
    checked_by: tuple[str, ...] = ()  # readiness checks that look further at its records
    detail_tree: exp.Expression | None = None
    locs: dict[str, Loc] = field(default_factory=dict)  # of each key given


@dataclass
class GoliveCheck:
    """A check verify makes at go-live on each record the rule decided that is present."""

    klass: str  # the discrepancy class when `expect` does not hold
    title: str  # the class in words, as reports show it
    expect: str  # SQL condition over the record's row after go-live
    expected: str  # the expectation as reports show it
    observed: str  # SQL: the value reports show as observed
    loc: Loc
    expect_tree: exp.Expression | None = None
    observed_tree: exp.Expression | None = None


@dataclass
class GoliveAction:
    """Something to do by hand at go-live for each record the rule decided where `when`
    holds after go-live; `{name}` in the text is the record's name (or its key)."""

    when: str
    text: str
    loc: Loc
    when_tree: exp.Expression | None = None


@dataclass
class Fact:
    name: str
    sql: str
    loc: Loc
    tree: exp.Expression | None = None
    # Where the SQL text itself starts when it sits on one source line (positions inside the
    # text then map onto the file); None for block scalars and multi-line text.
    text_loc: Loc | None = None


@dataclass
class Rule:
    id: str
    when: str
    outcome: str
    reason: str
    cite: str
    loc: Loc
    when_loc: Loc
    confidence: str = "documented"
    message: str | None = None
    finding: FindingSpec | None = None
    origin: str = ""  # the pack file that last defined the rule
    tree: exp.Expression | None = None
    when_text_loc: Loc | None = None  # as Fact.text_loc
    outcome_loc: Loc | None = None
    confidence_loc: Loc | None = None
    # Checked by `cutover verify` on each record this rule decided that is present after the
    # load: an SQL condition over the record's row in the post snapshot (`expect_loc`), and
    # the same expectation in plain words, as reports show it (`describe`; lint refuses an
    # expectation without it, at `expect_describe_loc`).
    expect_after: str | None = None
    expect_loc: Loc | None = None
    expect_tree: exp.Expression | None = None
    expect_describe: str | None = None
    expect_describe_loc: Loc | None = None
    golive_check: GoliveCheck | None = None
    golive_action: GoliveAction | None = None

    def description(self) -> str:
        """Plain-language form shown in reports and docs."""
        return f"{self.outcome.replace('_', ' ')} when {self.when}: {self.reason}"


@dataclass
class Entity:
    name: str
    side: str
    key: tuple[str, ...]
    loc: Loc
    facts: dict[str, Fact] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    # Names of facts and rules that failed to load: the linter still checks the rest of the
    # entity but does not report what their absence implies (an unknown fact, no catch-all).
    broken: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return f"{self.side}.{self.name}"

    @property
    def schema(self) -> str:
        return SIDE_SCHEMA[self.side]


@dataclass
class Pack:
    entities: dict[tuple[str, str], Entity]
    shared_facts: dict[str, Fact]
    files: list[Path]
    digest: str
    broken_facts: set[str] = field(default_factory=set)  # shared facts that failed to load
    # Compiled SQL per (entity id, pseudonymised), filled by rules.compile.compiled: a pack is
    # compiled once however many runs (what-if variants, a demo's commands) classify with it.
    compiled: dict[tuple[str, bool], Any] = field(default_factory=dict, repr=False,
                                                  compare=False)

    def rules(self) -> list[tuple[Entity, Rule]]:
        return [(e, r) for e in self.ordered() for r in e.rules]

    def ordered(self) -> list[Entity]:
        return [self.entities[k] for k in sorted(self.entities)]

    def find_rule(self, rule_id: str) -> tuple[Entity, Rule] | None:
        for e, r in self.rules():
            if r.id == rule_id:
                return e, r
        return None
