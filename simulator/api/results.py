"""What the Python API's calls return: each command's result, its ledgers and findings as DuckDB
relations, and `write(out)` for the run folder the command line would write (docs/python-api.md).

Relations are lazy: `.df()` (pandas), `.to_arrow_table()` (Arrow), `.pl()` (polars, when
installed) run them. Record keys, messages and details are as in the inputs (the run folder
masks e-mail addresses unless `show_pii`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator import db
from simulator.api.tables import COUNT_COLUMNS, FINDING_COLUMNS, count_rows, finding_rows
from simulator.commands import explain as explain_cmd
from simulator.commands import predict as predict_cmd
from simulator.commands.readiness import run as readiness_cmd
from simulator.commands.readiness.findings import open_count
from simulator.commands.verify import command as verify_cmd
from simulator.commands.verify.findings import verdict as verify_verdict
from simulator.commands.verify.folder import DISCREPANCY_COLUMNS
from simulator.commands.verify.reconcile import DISCREPANCIES
from simulator.commands.whatif import command as whatif_cmd
from simulator.commands.whatif.variant import BASE
from simulator.core import compare
from simulator.core.engine import LEDGER_COLUMNS, Result
from simulator.errors import Loc, Problem, UserError
from simulator.inputs.yamlsrc import suggest
from simulator.output.runfolder import CSV_MODES

if TYPE_CHECKING:
    from simulator.api.session import Session


def _check_csv(csv: str) -> None:
    if csv not in CSV_MODES:
        raise UserError(Problem(Loc("csv"), f"must be one of {', '.join(CSV_MODES)}, not '{csv}'"))


def _csv_option(csv: str) -> str | None:
    return None if csv == "auto" else csv


class Prediction:
    """Every record classified (`Session.predict`): the ledger, counts and findings."""

    def __init__(self, session: Session, result: Result) -> None:
        self._session = session
        self._result = result
        n = session._store.number()
        self.counts: db.Relation = session._store.rows(
            f"api_{n}_counts", COUNT_COLUMNS, count_rows(result.counts))
        """(side, entity, outcome, count): records per outcome of each entity."""
        self.findings: db.Relation = session._store.rows(
            f"api_{n}_findings", FINDING_COLUMNS, finding_rows(result.findings))
        """(id, severity, title, count, sample_keys, fix, rule_id, entity, cite, confidence):
        blockers first."""

    @property
    def ledger(self) -> db.Relation:
        """One row per input record (side, entity, record_key, outcome, rule_id, reason, cite,
        message), unordered (`.order("side, entity, record_key")` sorts it)."""
        columns = ", ".join(db.ident(c) for c in LEDGER_COLUMNS)
        return self._session._core.con.relation(f"select {columns} from ledger")

    @property
    def records(self) -> int:
        return self._result.rows

    @property
    def blockers(self) -> int:
        return self._result.blockers

    @property
    def warnings(self) -> int:
        return self._result.warnings

    @property
    def verdict(self) -> str:
        return predict_cmd.verdict(self._result)

    def write(self, out: str | Path, *, csv: str = "auto", show_pii: bool = False) -> Path:
        """Write the run folder `out` (`cutover predict --out`): the same files, atomically.

        Costs: writes the ledger (sorted) as Parquet and CSV (`csv`: auto, always, never) and
        the reports; classifies nothing again.
        """
        session, out = self._session, Path(out)
        session._check_open()
        _check_csv(csv)
        command = session._given.command("predict", ("--csv", _csv_option(csv)),
                                         ("--show-pii", show_pii), ("--out", out))
        return predict_cmd.predict(session._core, out, csv, command, show_pii).out


class Current:
    """A result written from tables its command keeps on the session, which the command's next
    call replaces: such a result writes its run folder only while it is the latest."""

    kind = ""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _check_current(self) -> None:
        self._session._check_open()
        if self._session._latest.get(self.kind) is not self:
            raise UserError(f"a later {self.kind}() on this session replaced the tables this "
                            f"result is written from: write a result before the next "
                            f"{self.kind}(), or call {self.kind}() again")


class Verification(Current):
    """Alma after a load reconciled with the prediction (`Session.verify`)."""

    kind = "verify"

    def __init__(self, session: Session, checked: verify_cmd.Checked) -> None:
        super().__init__(session)
        self._checked = checked
        store, n = session._store, session._store.number()
        columns = ", ".join(DISCREPANCY_COLUMNS)
        self.discrepancies: db.Relation = store.copy(
            f"api_{n}_discrepancies", f"select {columns} from {DISCREPANCIES} "
                                      "order by side, entity, record_key, class")
        """(side, entity, record_key, class, expected, observed, rule_id): every record whose
        fate in Alma differs from the prediction."""
        more = (("class", "varchar"), ("budget", "varchar"))
        self.findings: db.Relation = store.rows(
            f"api_{n}_findings", (*FINDING_COLUMNS, *more),
            finding_rows(checked.findings, more))
        """The finding columns of `Prediction.findings`, and `class` and `budget`."""
        self.counts: db.Relation = store.rows(
            f"api_{n}_counts", (("side", "varchar"), ("entity", "varchar"),
                                ("class", "varchar"), ("count", "bigint")),
            [[c["side"], c["entity"], c["class"], c["count"]]
             for c in checked.result.class_counts])
        """(side, entity, class, count): records per discrepancy class (`confirmed` too)."""
        self.ledger: db.Relation = session._core.con.relation(checked.records)
        """The prediction's ledger rows of the entities checked."""
        self.actions: list[dict[str, str]] = list(checked.result.actions)
        """Go-live's actions by hand (entity, key, action)."""
        self.warnings: list[str] = list(checked.warnings)
        self.stage: str = checked.stage

    @property
    def verdict(self) -> str:
        c = self._checked
        return verify_verdict(c.findings, c.result.discrepancies, c.opened.scope.partial)

    @property
    def failed(self) -> bool:
        """Discrepancies over a fail budget (the command line exits 1)."""
        return any(f.severity == "blocker" for f in self._checked.findings)

    def write(self, out: str | Path, *, csv: str = "auto", show_pii: bool = False) -> Path:
        """Write the run folder `out` (`cutover verify --out`). Costs: writes the ledger of
        the records checked, the discrepancies and the reports; checks nothing again."""
        self._check_current()
        _check_csv(csv)
        session, c, out = self._session, self._checked, Path(out)
        verify_cmd.check_out(session._core, out, c.post_path, budgets_path=c.budgets_path,
                             baseline=c.baseline, cutover_extract=c.cutover_extract)
        command = session._given.command(
            "verify", ("--post", c.post_path),
            ("--stage", None if c.stage == "cutover" else c.stage),
            ("--budgets", c.budgets_path), ("--baseline", c.baseline),
            ("--cutover-extract", c.cutover_extract),
            ("--entity", c.entities),
            ("--csv", _csv_option(csv)), ("--show-pii", show_pii), ("--out", out))
        return verify_cmd.write(session._core, c, out, csv, command, show_pii).out


class Readiness(Current):
    """The pre-cutover review (`Session.readiness`)."""

    kind = "readiness"

    def __init__(self, session: Session, reviewed: readiness_cmd.Reviewed) -> None:
        super().__init__(session)
        self._reviewed = reviewed
        store, n, review = session._store, session._store.number(), reviewed.review
        more = (("area", "varchar"), ("unwaived", "bigint"), ("status", "varchar"))
        self.findings: db.Relation = store.rows(
            f"api_{n}_findings", (*FINDING_COLUMNS, *more), finding_rows(review.findings, more))
        """The finding columns of `Prediction.findings`, and `area`, `unwaived` (records no
        waiver in force covers) and `status` (open, partly waived, waived)."""
        self.records: db.Relation = store.copy(
            f"api_{n}_records", "select finding_id, entity, record_key, detail, waived_by "
                                "from ready_marked order by finding_id, entity, record_key")
        """(finding_id, entity, record_key, detail, waived_by): every record of every
        finding, as findings.csv lists them."""
        self.scores: db.Relation = store.rows(
            f"api_{n}_scores", (("area", "varchar"), ("score", "integer"), ("status", "varchar"),
                                ("blockers", "integer"), ("warnings", "integer"),
                                ("info", "integer"), ("waived", "integer")),
            [[s.area, s.score, s.status, s.blockers, s.warnings, s.info, s.waived]
             for s in review.scores])
        """(area, score, status, blockers, warnings, info, waived): readiness per area."""
        self.runbook: db.Relation = store.rows(
            f"api_{n}_runbook", (("id", "varchar"), ("start", "date"), ("end", "date"),
                                 ("label", "varchar"), ("title", "varchar"),
                                 ("detail", "varchar"), ("who", "varchar"), ("cite", "varchar")),
            [[e.id, e.start, e.end, e.label, e.title, e.detail, e.who, e.cite]
             for e in review.events])
        """(id, start, end, label, title, detail, who, cite): the dated cutover steps."""
        self.notes: list[str] = list(review.notes)

    @property
    def verdict(self) -> str:
        return self._reviewed.review.verdict[1]

    @property
    def open_blockers(self) -> int:
        return open_count(self._reviewed.review.findings, "blocker")

    @property
    def open_warnings(self) -> int:
        return open_count(self._reviewed.review.findings, "warning")

    @property
    def as_of(self) -> dt.date:
        return self._reviewed.as_of

    def write(self, out: str | Path, *, csv: str = "auto", show_pii: bool = False) -> Path:
        """Write the run folder `out` (`cutover readiness --out`). Costs: writes the ledger,
        findings.csv, the runbook's files, export files and the reports."""
        self._check_current()
        _check_csv(csv)
        session, r, out = self._session, self._reviewed, Path(out)
        readiness_cmd.check_out(session._core, out, r.waivers_path)
        command = session._given.command(
            "readiness", ("--waivers", r.waivers_path), ("--as-of", r.as_of.isoformat()),
            ("--holds-threshold", None if r.holds_threshold == readiness_cmd.HOLDS_THRESHOLD
             else r.holds_threshold),
            ("--csv", _csv_option(csv)), ("--show-pii", show_pii), ("--out", out))
        return readiness_cmd.write(session._core, r, out, csv, command, show_pii).out


class WhatIf:
    """The base and each variant, compared record by record (`Session.whatif`)."""

    def __init__(self, session: Session, compared: whatif_cmd.Compared) -> None:
        self._session = session
        self._compared = compared
        store, n, cases = session._store, session._store.number(), compared.cases
        self.variants: list[str] = [c.name for c in cases[1:]]
        """The variants' names, in the order given; the base is `base`."""
        columns = ", ".join(whatif_cmd.TRANSITION_COLUMNS)
        self.transitions: db.Relation = session._core.con.relation(
            f"select {columns} from {compared.transitions}")
        """(variant, side, entity, record_key, outcome_before, outcome_after, rule_before,
        rule_after): every record whose outcome or deciding rule a variant changes; an empty
        outcome for a record a patch inserts or deletes."""
        self.counts: db.Relation = store.rows(
            f"api_{n}_counts", (("variant", "varchar"), *COUNT_COLUMNS),
            [row for c in cases for row in count_rows(_result(c).counts, [c.name])])
        """(variant, side, entity, outcome, count), the base's as variant `base`."""
        self.findings: db.Relation = store.rows(
            f"api_{n}_findings", (("variant", "varchar"), *FINDING_COLUMNS),
            [row for c in cases for row in finding_rows(_result(c).findings, first=[c.name])])
        """(variant, and the columns of `Prediction.findings`), the base's as `base`."""
        self.totals: db.Relation = store.rows(
            f"api_{n}_totals", (("variant", "varchar"), ("changed", "bigint"),
                                ("appeared", "bigint"), ("disappeared", "bigint"),
                                ("new_blockers", "varchar[]"),
                                ("cleared_blockers", "varchar[]")),
            [_totals(c) for c in cases[1:]])
        """(variant, changed, appeared, disappeared, new_blockers, cleared_blockers)."""

    def ledger(self, variant: str = BASE) -> db.Relation:
        """The ledger of `variant` (or of the base), as `Prediction.ledger`'s columns."""
        names = [c.name for c in self._compared.cases]
        if variant not in names:
            raise UserError(Problem(Loc("variant"), f"'{variant}' is not a variant of this run "
                                    f"(known: {', '.join(names)})" + suggest(variant, names)))
        case = self._compared.cases[names.index(variant)]
        columns = ", ".join(db.ident(c) for c in LEDGER_COLUMNS)
        return self._session._core.con.relation(f"select {columns} from {case.table}")

    def write(self, out: str | Path, *, csv: str = "auto", show_pii: bool = False) -> Path:
        """Write the what-if folder `out` (`cutover whatif --out`). Costs: writes the
        transitions, every run's ledger and summary and the report; classifies nothing."""
        session, c, out = self._session, self._compared, Path(out)
        session._check_open()
        _check_csv(csv)
        whatif_cmd.check_out(session._core, out, c.variant_paths)
        whatif_cmd.check_rules_out(out, c.cases)
        command = session._given.command(
            "whatif", ("--variant", c.variant_paths), ("--csv", _csv_option(csv)),
            ("--show-pii", show_pii), ("--out", out))
        return whatif_cmd.write(session._core, c, out, command, show_pii, csv).out


def _result(case: whatif_cmd.Case) -> Result:
    assert case.result is not None  # classified by compare_variants
    return case.result


def _totals(case: whatif_cmd.Case) -> list[Any]:
    t = compare.totals(case.matrices)
    changes = case.finding_changes
    return [case.name, t["changed"], t["appeared"], t["disappeared"],
            [f["id"] for f in changes if f["new_blocker"]],
            [f["id"] for f in changes if f["cleared_blocker"]]]


@dataclass
class Explanation:
    """One record's rules in order (`Session.explain`), its facts and the deciding rule."""

    entity: str  # alma.users, extract.vendors, ...
    record_key: str
    facts: dict[str, Any]
    rules: db.Relation  # (step, rule_id, when, value, outcome, decides)
    decision: str  # the deciding rule's id
    outcome: str
    reason: str
    cite: str
    confidence: str

    @classmethod
    def of(cls, session: Session, ex: explain_cmd.Explanation) -> Explanation:
        store, n = session._store, session._store.number()
        rules = store.rows(
            f"api_{n}_rules", (("step", "integer"), ("rule_id", "varchar"), ("when", "varchar"),
                               ("value", "boolean"), ("outcome", "varchar"),
                               ("decides", "boolean")),
            [[i, s.rule.id, s.rule.when, s.value, s.rule.outcome, s.decided]
             for i, s in enumerate(ex.steps, 1)])
        rule = ex.decision
        return cls(ex.entity.id, ex.record_key, dict(ex.facts), rules, rule.id, rule.outcome,
                   rule.reason, rule.cite, rule.confidence)
