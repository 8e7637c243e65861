"""`cutover verify`: reconcile what Alma holds after a load with the prediction, record by
record, on a Session (the inputs predicted from, or those a saved prediction was made from).

Everything is set-based SQL over the ledger and the post snapshot (no per-record Python), so it
scales like predict: reconcile.py matches the records with the post snapshot, the stage checks
of classes.py look at the later loads, findings.py judges the discrepancies by the budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.commands.verify import folder, stages
from simulator.commands.verify.findings import as_dicts, findings, verdict
from simulator.commands.verify.opening import Opened, check_stage, open_inputs
from simulator.commands.verify.prediction import Prediction, open_prediction, prediction_session
from simulator.commands.verify.reconcile import DISCREPANCIES, VerifyResult, reconcile, summarise
from simulator.commands.verify.scope import rules_read, tables_needed
from simulator.core import engine
from simulator.core.findings import Finding
from simulator.core.session import Session
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.inputs.tables import SCHEMA_SIDE
from simulator.output import runfolder

# Verify's view of the ledger records it checks; the session's own `ledger` (the
# classification other commands read) is left as it is.
LEDGER = "verify_ledger"


@dataclass
class Run:
    out: Path
    result: VerifyResult
    summary: dict[str, Any]
    findings: list[Finding]

    @property
    def failed(self) -> bool:
        return any(f.severity == "blocker" for f in self.findings)


@dataclass
class Checked:
    """A verification done on a Session and not yet written (`check`, then `write`): it reads
    the session's verify tables, so it is written before the next `check` on that Session."""

    post_path: Path
    opened: Opened
    prediction: Prediction | None
    stage: str
    result: VerifyResult
    findings: list[Finding]
    warnings: list[str]
    ledger: folder.Ledger
    records: str  # the query of the ledger's records checked (view `ledger.name` is over it)
    budgets_path: Path | None = None
    baseline: Path | None = None
    cutover_extract: Path | None = None
    entities: list[str] | None = None


def run(
    session: Session,
    post_path: Path,
    out: Path,
    *,
    prediction: Prediction | None = None,
    stage: str | None = None,
    budgets_path: Path | None = None,
    baseline: Path | None = None,
    cutover_extract: Path | None = None,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
    entities: list[str] | None = None,
) -> Run:
    """Verify the post snapshot at `post_path` against a prediction into run folder `out`
    (`check`, then `write`); `out` is checked before any work. `stage` is the post snapshot's
    own unless given (see `check`)."""
    check_out(session, out, post_path, prediction=prediction, budgets_path=budgets_path,
              baseline=baseline, cutover_extract=cutover_extract)
    checked = check(session, post_path, prediction=prediction, stage=stage,
                    budgets_path=budgets_path, baseline=baseline,
                    cutover_extract=cutover_extract, entities=entities)
    return write(session, checked, out, csv_mode, command, show_pii)


def check_out(session: Session, out: Path, post_path: Path, *,
              prediction: Prediction | None = None, budgets_path: Path | None = None,
              baseline: Path | None = None, cutover_extract: Path | None = None) -> None:
    """Refuse an `out` over any input of the run (runfolder.check_run_out)."""
    runfolder.check_run_out(out, session.inputs, session.rules, [
        ("--post", post_path), ("--baseline", baseline), ("--cutover-extract", cutover_extract),
        ("--prediction", prediction.run if prediction else None)], [("--budgets", budgets_path)])


def check(
    session: Session,
    post_path: Path,
    *,
    prediction: Prediction | None = None,
    stage: str | None = None,
    budgets_path: Path | None = None,
    baseline: Path | None = None,
    cutover_extract: Path | None = None,
    entities: list[str] | None = None,
) -> Checked:
    """Verify the post snapshot at `post_path` against a prediction; nothing is written.

    The prediction is `prediction` (an opened predict run, whose ledger is read; the session's
    inputs are the ones it was made from), or else the session's classification. The stage
    checked is the post snapshot's (cutover, fulfillment or golive); a `stage` given must be
    the same, so that a snapshot is never checked against the wrong load. `entities`
    (`--entity`) limits the run to some entities (see scope.resolve_scope). Every problem of
    every input is raised together.
    """
    check_stage(stage)
    earlier = []
    if prediction is None and session.pseudonymize:
        earlier.append(Problem(Loc(""), "verify needs the real keys: give a Session without "
                                        "pseudonymisation"))
    opened = open_inputs(lambda: session.pack, post_path, stage=stage,
                         budgets_path=budgets_path, baseline=baseline,
                         cutover_extract=cutover_extract, entities=entities, earlier=earlier)
    stage = opened.stage
    source, ledger, records = _load(session, opened, prediction, stage)
    session.progress("verifying")
    forms = stages.form_digests(opened.cutover_extract, session.inputs.extract) \
        if stage == "fulfillment" else None
    result = _check(session, opened, source, stage, forms)
    found = findings(session.con, opened.budgets, opened.registry, opened.pack)
    warnings = [*(prediction.warnings if prediction else []), *opened.post.warnings,
                *stages.warnings(stage, opened.baseline is not None, forms),
                *_pack_warning(opened, prediction)]
    return Checked(post_path, opened, prediction, stage, result, found, warnings, ledger,
                   records, budgets_path, baseline, cutover_extract, entities)


def write(session: Session, checked: Checked, out: Path, csv_mode: str = "auto",
          command: list[str] | None = None, show_pii: bool = False) -> Run:
    """The run folder `out` of a verification (`check`), its summary with the manifest."""
    opened, result, found = checked.opened, checked.result, checked.findings
    summary = {
        "kind": "verify",
        "stage": checked.stage,
        "institution": session.scenario.institution,
        "verdict": verdict(found, result.discrepancies, opened.scope.partial),
        "counts": result.class_counts,
        "matrix": result.matrix,
        "findings": as_dicts(found),
        "actions": result.actions,
        "warnings": checked.warnings,
        "scope": opened.scope.as_dict(),
        "manifest": _manifest(session, opened, checked.prediction, command, show_pii),
    }
    session.progress("writing the run folder")
    folder.write(session.con, out, summary, checked.ledger, csv_mode, show_pii)
    return Run(out, result, summary, found)


def run_saved(
    prediction: Path,
    post_path: Path,
    out: Path,
    *,
    rules: list[Path] | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
    stage: str | None = None,
    budgets_path: Path | None = None,
    baseline: Path | None = None,
    cutover_extract: Path | None = None,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    show_pii: bool = False,
    entities: list[str] | None = None,
) -> Run:
    """`run` against the predict run folder `prediction` (`cutover verify --prediction`), on
    a Session over the inputs it was made from (`prediction_session`, with the rule pack
    layers, memory limit and progress display given). A folder that cannot be read is
    reported together with the problems of the other inputs."""
    runfolder.check_out(out, folders=[
        ("--prediction", prediction), ("--post", post_path), ("--baseline", baseline),
        ("--cutover-extract", cutover_extract), *(("--rules", r) for r in rules or [])],
        files=[("--budgets", budgets_path)])
    check_stage(stage)
    try:
        saved = open_prediction(prediction)
    except UserError as e:
        open_inputs(lambda: engine.load_checked(rules), post_path, stage=stage,
                    budgets_path=budgets_path, baseline=baseline,
                    cutover_extract=cutover_extract, entities=entities, earlier=e.problems)
        raise
    with prediction_session(saved, rules, memory_limit, progress) as session:
        return run(session, post_path, out, prediction=saved, stage=stage,
                   budgets_path=budgets_path, baseline=baseline, cutover_extract=cutover_extract,
                   csv_mode=csv_mode, command=command, show_pii=show_pii, entities=entities)


def _load(session: Session, opened: Opened, prediction: Prediction | None,
          stage: str) -> tuple[str, folder.Ledger, str]:
    """Attach and validate what the run reads; the full ledger as SQL (read one entity at a
    time by the reconciliation), the view of the records in scope, which the run folder keeps
    and go-live reads, and the query that view is over."""
    session.add_snapshot("post", opened.post, "alma")
    if opened.baseline is not None:
        session.add_snapshot("base", opened.baseline, "alma")
    session.progress("loading and validating snapshots")
    session.need(_inputs_needed(session, opened, prediction, stage))
    needed = tables_needed(opened.scope, opened.pack, stage)
    session.need({"post": needed, **({"base": needed} if opened.baseline else {})})
    columns = ", ".join(db.ident(c) for c in engine.LEDGER_COLUMNS)
    in_scope = f"select {columns} from {db.ident(LEDGER)}"
    file = None
    if prediction is not None:
        source = prediction.ledger
        in_order = in_scope  # its file is in order; DuckDB keeps the order of a scan
        file = None if opened.scope.partial else prediction.ledger_file
    else:
        source = "ledger"
        result = session.classification
        in_order = (f"{in_scope} order by side, entity, record_key" if opened.scope.partial
                    else result.ledger_in_order)
    records = f"select {columns} from {source} where {opened.scope.where()}"
    session.con.execute(f"create or replace temp view {db.ident(LEDGER)} as {records}")
    return source, folder.Ledger(LEDGER, in_order, file), records


def _inputs_needed(session: Session, opened: Opened, prediction: Prediction | None,
                   stage: str) -> dict[str, set[str] | None] | None:
    """The input tables to read: every one (None), except that when some entities are checked
    against a saved prediction, the inputs unchanged since it (validated then) are read only
    where the rules checked read them."""
    if prediction is None or not opened.scope.partial:
        return None
    read = rules_read(opened.scope, opened.pack, stage)
    return {schema: read.get(schema, set()) if schema in session.trusted else None
            for schema in SCHEMA_SIDE}


def _check(session: Session, opened: Opened, source: str, stage: str,
           forms: dict[str, tuple[str, str]] | None) -> VerifyResult:
    """The reconciliation, then the checks of the stage: the discrepancies, summarised."""
    reconcile(session.con, opened.pack, source, opened.scope, stage, session.scenario.params())
    ctx = stages.Context(session.con, opened.scope, session.scenario, LEDGER, DISCREPANCIES,
                         baseline=opened.baseline is not None, forms=forms)
    for klass in opened.registry.at(stage):
        if klass.check is not None:
            klass.check(ctx)
    result = summarise(session.con)
    if stage == "golive":
        result.actions = stages.golive_actions(ctx, opened.pack)
    return result


def _pack_warning(opened: Opened, prediction: Prediction | None) -> list[str]:
    if prediction is None or prediction.rule_pack_hash == opened.pack.digest:
        return []
    return ["the rule pack differs from the one the prediction used; expectations come from "
            "the current pack"]


def _manifest(session: Session, opened: Opened, prediction: Prediction | None,
              command: list[str] | None, show_pii: bool) -> dict[str, Any]:
    manifest = runfolder.manifest(session.inputs, opened.pack, command, show_pii)
    post = opened.post
    manifest["snapshots"]["post"] = {
        "path": display_path(post.path), "institution": post.institution,
        "stage": post.stage, "taken_at": post.taken_at, "files": post.file_hashes()}
    if prediction is not None:
        manifest["prediction"] = {"path": display_path(prediction.run),
                                  "rule_pack_hash": prediction.rule_pack_hash}
    if opened.scope.partial:
        manifest["entity_filter"] = list(opened.scope.names)
    return manifest
