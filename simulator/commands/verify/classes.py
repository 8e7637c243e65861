"""The classes of discrepancy verify reports: one declaration each, holding everything about
it (what it means in words, the seed section it cites, how to fix it, at which stage it is
checked and by which function, whether it is always a blocker).

Reconciliation classes (`stage` None) come out of matching every predicted record with the
post snapshot (reconcile.py). Stage checks (`stage` set) look at the table's rows after a later
load: `check` inserts their discrepancies and a budget's percentage is of the table's rows
after the load. Rules may declare go-live checks of their own (`golive_check:` in the pack):
`registry(pack)` adds their classes, titled as the pack titles them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from simulator.commands.verify import stages
from simulator.commands.verify.stages import Context
from simulator.errors import Collector
from simulator.rules.model import Entity, Pack, Rule

STAGES = ("cutover", "fulfillment", "golive")
# Budgets may also name the records found as predicted.
CONFIRMED = "confirmed"
# Classes that are no discrepancy: records as predicted, and those with no table to look in.
NOT_DISCREPANCIES = (CONFIRMED, "unverifiable")
TEST_FINAL_DATA = "Test Final Data"
CHECKLISTS = ("Compare with the vendor's go-live and fulfillment checklists and correct it "
              "with the project team.")


@dataclass(frozen=True)
class DiscrepancyClass:
    name: str
    title: str  # the class in words, as findings and reports show it
    cite: str  # the seed section a finding cites when no rule decided its records
    fix: str
    stage: str | None = None  # the stage a check finds it at; None: reconciliation
    check: Callable[[Context], None] | None = None  # inserts its discrepancies (stage checks)
    blocker: bool = False  # always a blocker, whatever the budgets

    @property
    def stage_check(self) -> bool:
        """Counted against the rows of the table after the load, not the records predicted."""
        return self.stage is not None


CLASSES = (
    DiscrepancyClass(
        "survived_unexpectedly", "survived unexpectedly", TEST_FINAL_DATA,
        "The load kept records the rules said would go: check the rule, or clean these up by "
        "hand."),
    DiscrepancyClass(
        "lost_unexpectedly", "lost unexpectedly", TEST_FINAL_DATA,
        "Check the load's reject reports and the rule: either the rule is wrong or the load "
        "lost these records."),
    DiscrepancyClass(
        "unexpected", "unexpected", "Alma Configuration Freeze",
        "Records after the load that no input explains: made by hand during the freeze, or "
        "loaded from a file that was not in the extract."),
    DiscrepancyClass(
        "state_mismatch", "state mismatch", TEST_FINAL_DATA,
        "The records are there but not in the state the rule expects: compare the observed "
        "values with the rule's expectation."),
    DiscrepancyClass(
        "changed_at_fulfillment", "changed by the fulfillment load, which may change only "
        "patrons, loans and hold-shelf requests", "Fulfillment Load", CHECKLISTS,
        "fulfillment", stages.changed_at_fulfillment),
    DiscrepancyClass(
        "loan_count_changed", "item loan count changed by the fulfillment load",
        "Fulfillment Load", CHECKLISTS, "fulfillment", stages.loan_count_changed),
    DiscrepancyClass(
        "item_status_mismatch", "item status does not follow its loans", "Fulfillment Load",
        CHECKLISTS, "fulfillment", stages.item_status_mismatch),
    DiscrepancyClass(
        "instructor_unlinked", "course instructor not linked to a user after the fulfillment "
        "load", "Courses during fulfillment load", CHECKLISTS, "fulfillment",
        stages.instructor_unlinked),
    # The fulfillment load must run with the cutover's forms.
    DiscrepancyClass(
        "form_changed", "migration or field mapping form differs from the cutover's",
        "Fulfillment Load", CHECKLISTS, "fulfillment", stages.form_changed, blocker=True),
    DiscrepancyClass(
        "still_scrubbed", "e-mail address still scrubbed after go-live", "Unscrub Emails/FTP",
        CHECKLISTS, "golive", stages.still_scrubbed),
    DiscrepancyClass(
        "parameter_not_enabled", "customer parameter not as expected at go-live",
        "Acquisition Solr indexing/save", CHECKLISTS, "golive", stages.parameter_not_enabled),
)


@dataclass(frozen=True)
class Registry:
    """The classes of a run, in order: the ones above, then those the pack's rules declare."""

    classes: tuple[DiscrepancyClass, ...]

    def __iter__(self) -> Iterator[DiscrepancyClass]:
        return iter(self.classes)

    def __getitem__(self, name: str) -> DiscrepancyClass:
        for klass in self.classes:
            if klass.name == name:
                return klass
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(k.name == name for k in self.classes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.classes)

    @property
    def budget_classes(self) -> tuple[str, ...]:
        """What a budget's `class` may name."""
        return (CONFIRMED, *self.names)

    def at(self, stage: str) -> list[DiscrepancyClass]:
        """The stage checks of `stage`, in order."""
        return [k for k in self.classes if k.stage == stage]


BUILT_IN = Registry(CLASSES)


def registry(pack: Pack, problems: Collector | None = None) -> Registry:
    """The built-in classes and those the pack's go-live checks declare. A declared class
    that is one of the built-in ones, or titled differently by two rules, is a problem of the
    pack (added to `problems`; without it, the first declaration wins)."""
    problems = problems if problems is not None else Collector()
    declared: dict[str, list[tuple[Entity, Rule]]] = {}
    titles: dict[str, tuple[str, str]] = {}  # class -> (title, the rule that first gave it)
    for entity, rule in pack.rules():
        check = rule.golive_check
        if check is None:
            continue
        if check.klass in BUILT_IN or check.klass in NOT_DISCREPANCIES:
            problems.add(check.loc, f"rule '{rule.id}' golive_check: class '{check.klass}' is "
                                    "one of verify's own classes; choose another name")
            continue
        title, by = titles.setdefault(check.klass, (check.title, rule.id))
        if check.title != title:
            problems.add(check.loc, f"rule '{rule.id}' golive_check: class '{check.klass}' is "
                                    f"titled '{title}' by rule '{by}'")
        declared.setdefault(check.klass, []).append((entity, rule))
    return Registry((*CLASSES, *(
        DiscrepancyClass(name, titles[name][0], rules[0][1].cite, CHECKLISTS, "golive",
                         partial(stages.rule_checks, tuple(rules)))
        for name, rules in declared.items())))
