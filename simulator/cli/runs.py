"""The commands that run the simulator on an institution's inputs: predict, explain, verify,
readiness, whatif, and diff of two saved runs. Each parses its options, calls its library
function in `simulator.commands` and prints a short summary; the run folder holds the rest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulator.cli.common import (
    Exit,
    Extract,
    MemoryLimit,
    Out,
    Pre,
    RulesOpt,
    ScenarioOpt,
    ShowPii,
    Testload,
    check_options,
    exit_codes,
    open_session,
    print_findings,
    print_table,
    reading_exit_codes,
    step,
    term,
    warn,
)
from simulator.cli.explaining import print_explanation
from simulator.errors import Loc, Problem, UserError
from simulator.privacy import check_pseudonym_key

if TYPE_CHECKING:
    from simulator.commands.predict import Run as Prediction
    from simulator.commands.verify import Run as Verification


@exit_codes
def predict(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    out: Out,
    testload: Testload = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write ledger.csv: auto (when it fits a "
                                          "spreadsheet), always, never.",
                                     metavar="<mode>")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
    pseudonymize: Annotated[str | None, typer.Option(
        help="Replace Primary IDs in the ledger and report with pseudonyms keyed by this "
             "secret (at least 16 characters): the same in every run with the same key, so "
             "shared runs still join.", metavar="<secret>")
    ] = None,
) -> int:
    """Say for every record what the cutover will do to it, and why."""
    from simulator.commands.predict import predict as run_predict

    check_options(csv, memory_limit)
    check_pseudonym_key(pseudonymize)
    with open_session(pre, extract, scenario, testload, rules, memory_limit,
                      pseudonymize) as session:
        run = run_predict(session, out, csv, show_pii=show_pii)
    print_prediction(run)
    return Exit.FINDINGS if run.result.blockers else Exit.OK


def print_prediction(run: Prediction) -> None:
    """A predict run's findings, verdict and folder (predict and demo)."""
    print_findings("Findings", "finding",
                   [(f.severity, f.title, f.count) for f in run.result.findings])
    term.out.print(run.summary["verdict"])
    term.out.print(f"{run.result.rows:,} records classified; run folder: {run.out}")


@reading_exit_codes
def explain(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    entity: Annotated[str, typer.Argument(help="users, patrons, extract.vendors, ...",
                                          metavar="ENTITY")],
    key: Annotated[str, typer.Argument(help="The record key; composite keys joined by |.",
                                       metavar="KEY")],
    testload: Testload = None,
    rules: RulesOpt = None,
) -> int:
    """Show every rule for one record, its value, the facts, and the rule that decides."""
    from simulator.commands.explain import explain as run_explain

    with open_session(pre, extract, scenario, testload, rules) as session:
        for ex in run_explain(session, entity, key):
            print_explanation(ex)
    return Exit.OK


@exit_codes
def verify(
    post: Annotated[Path, typer.Option("--post", help="Alma snapshot after the load.")],
    out: Out,
    prediction: Annotated[Path | None, typer.Option(
        help="A predict run folder (or give --pre, --extract and --scenario).")] = None,
    pre: Annotated[Path | None, typer.Option(help="Alma snapshot at the freeze.")] = None,
    extract: Annotated[Path | None, typer.Option(help="Final legacy extract folder.")] = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario YAML file.")] = None,
    testload: Testload = None,
    stage: Annotated[str | None, typer.Option(
        help="cutover, fulfillment or golive: the checks run (default: the --post snapshot's "
             "stage; when given, it must be that stage).", metavar="<stage>")] = None,
    budgets: Annotated[Path | None, typer.Option(
        help="Loss budgets YAML (default: any discrepancy fails).")] = None,
    baseline: Annotated[Path | None, typer.Option(
        help="fulfillment stage: Alma snapshot after the cutover load, to compare with.")] = None,
    cutover_extract: Annotated[Path | None, typer.Option(
        help="fulfillment stage: the cutover extract, whose forms must hash the same.")] = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="ledger.csv: auto, always, never.",
                                     metavar="<mode>")] = "auto",
    show_pii: ShowPii = False,
    entity: Annotated[list[str] | None, typer.Option(
        "--entity", help="Check only this entity (repeatable): an Alma table with every record "
                         "that lands in it (users: users and patrons), or one side's entity "
                         "(alma.users, extract.patrons, post.users).", metavar="<entity>")] = None,
    memory_limit: MemoryLimit = None,
) -> int:
    """Reconcile Alma after a load with the prediction, record by record."""
    from simulator.commands import verify as verify_cmd

    check_options(csv, memory_limit)
    _check_verify_sources(prediction, pre, extract, scenario)
    if prediction is not None:
        run = verify_cmd.run_saved(
            prediction, post, out, rules=rules, memory_limit=memory_limit, progress=step,
            stage=stage, budgets_path=budgets, baseline=baseline,
            cutover_extract=cutover_extract, csv_mode=csv, show_pii=show_pii, entities=entity)
    else:
        assert pre is not None and extract is not None and scenario is not None  # checked
        with open_session(pre, extract, scenario, testload, rules, memory_limit) as session:
            run = verify_cmd.run(
                session, post, out, stage=stage, budgets_path=budgets, baseline=baseline,
                cutover_extract=cutover_extract, csv_mode=csv, show_pii=show_pii,
                entities=entity)
    _print_verification(run)
    return Exit.FINDINGS if run.failed else Exit.OK


def _check_verify_sources(prediction: Path | None, pre: Path | None, extract: Path | None,
                          scenario: Path | None) -> None:
    """What verify compares with: a saved prediction, or inputs to predict anew."""
    inline = [p for p in (pre, extract, scenario) if p is not None]
    if prediction is not None and inline:
        raise UserError(Problem(Loc("--prediction"), "give either --prediction or "
                                                     "--pre/--extract/--scenario, not both"))
    if prediction is None and len(inline) != 3:
        raise UserError(Problem(Loc("--prediction"), "give --prediction RUN, or all of --pre, "
                                                     "--extract and --scenario"))


def _print_verification(run: Verification) -> None:
    """A verify run's warnings, discrepancies, actions, scope, verdict and folder."""
    warn(run.summary["warnings"])
    print_findings("Discrepancies", "discrepancy",
                   [(f.severity, f.title, f.count) for f in run.findings])
    for action in run.summary["actions"]:
        term.out.print(f"action: {action['action']}", markup=False)
    if run.summary["scope"]["partial"]:
        term.out.print(run.summary["scope"]["note"], markup=False)
    term.out.print(run.summary["verdict"])
    term.out.print(f"run folder: {run.out}")


@exit_codes
def readiness(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    out: Out,
    testload: Testload = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="YAML file of accepted risks: finding id, optional record keys, "
                          "owner, reason, expiry date.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The day waivers are judged on (YYYY-MM-DD); default today.",
                   metavar="<date>")] = None,
    holds_threshold: Annotated[int, typer.Option(
        help="Unfulfilled holds above this many are a warning; up to it, information.")] = 20,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write ledger.csv: auto (when it fits a "
                                          "spreadsheet), always, never.",
                                     metavar="<mode>")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
) -> int:
    """Review readiness before the cutover: blockers, risks, waivers and a dated runbook."""
    from simulator.commands.readiness import parse_as_of
    from simulator.commands.readiness import readiness as run_readiness

    check_options(csv, memory_limit)
    day = parse_as_of(as_of)
    with open_session(pre, extract, scenario, testload, rules, memory_limit) as session:
        run = run_readiness(session, out, waivers, day, holds_threshold, csv,
                            show_pii=show_pii)
    print_table("Readiness findings", ("severity", "area", "finding", "records", "status"),
                [(f.severity, f.area, f.title, f"{f.count:,}", f.status) for f in run.findings])
    term.out.print("  ".join(f"{s.area} {s.score} ({s.status})" for s in run.scores))
    term.out.print(run.summary["verdict"])
    warn([line for w in run.waivers if (line := w.warning())])
    term.out.print(f"{len(run.events)} runbook steps; run folder: {run.out}")
    return Exit.FINDINGS if run.open_blockers else Exit.OK


@exit_codes
def whatif(
    pre: Pre,
    extract: Extract,
    scenario: Annotated[Path, typer.Option("--scenario", help="The base scenario YAML file.")],
    variant: Annotated[list[Path], typer.Option(
        "--variant", help="A variant YAML file: options, dates, patches (assume:) and rules "
                          "differing from the base (repeatable).", metavar="<file>")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    testload: Testload = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write transitions.csv: auto (when it fits a "
                                          "spreadsheet), always, never.",
                                     metavar="<mode>")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
) -> int:
    """Run the base and each variant, and show every record whose outcome changes."""
    from simulator.commands.whatif import command as whatif_mod

    check_options(csv, memory_limit)
    with open_session(pre, extract, scenario, testload, rules, memory_limit) as session:
        run = whatif_mod.run(session, variant, out, show_pii=show_pii, csv_mode=csv)
    print_table("What-if", ("variant", "changed", "appeared", "disappeared", "new blockers",
                            "cleared blockers"),
                [(v["name"], f"{v['transitions']['changed']:,}",
                  f"{v['transitions']['appeared']:,}", f"{v['transitions']['disappeared']:,}",
                  ", ".join(v["new_blockers"]) or "-", ", ".join(v["cleared_blockers"]) or "-")
                 for v in run.summary["variants"]],
                right=("changed", "appeared", "disappeared"))
    term.out.print(f"{run.summary['transitions']['rows']:,} changed records; folder: "
                      f"{run.out} (open {run.out / 'report.html'})")
    return Exit.OK


@exit_codes
def diff(
    run_a: Annotated[Path, typer.Argument(help="A run folder (predict or verify).")],
    run_b: Annotated[Path, typer.Argument(help="Another run folder, compared with the first.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    csv: Annotated[str, typer.Option(help="Write changes.csv: auto (when it fits a "
                                          "spreadsheet), always, never.",
                                     metavar="<mode>")] = "auto",
    show_pii: ShowPii = False,
) -> int:
    """Compare two saved runs: records that changed, appeared or disappeared, findings, inputs."""
    from simulator.commands import diff as diff_mod

    check_options(csv)
    result = diff_mod.run(run_a, run_b, out, show_pii=show_pii, csv_mode=csv, progress=step)
    warn(result.summary["warnings"])
    s = result.summary
    for item in s["inputs"]:
        state = "same" if item["same"] else "changed: " + "; ".join(item["details"])
        term.out.print(f"{item['what']}: {state}", markup=False)
    t = s["totals"]
    term.out.print(f"{t['changed']:,} records changed outcome or rule, "
                      f"{t['appeared']:,} appeared, {t['disappeared']:,} disappeared; "
                      f"{len(s['finding_changes'])} findings changed. Folder: {result.out} "
                      f"(open {result.out / 'report.html'})")
    return Exit.OK
