"""The `cutover` command: parses arguments, calls library functions, maps errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from simulator import db
from simulator.cli import progress
from simulator.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Predict and verify what survives an Ex Libris Alma cutover, and why.")
rules_app = typer.Typer(no_args_is_help=True, help="List, show, lint and document rule packs.")
snapshot_app = typer.Typer(no_args_is_help=True, help="Check snapshot folders.")
app.add_typer(rules_app, name="rules")
app.add_typer(snapshot_app, name="snapshot")

out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False, "quiet": False}


class Exit(IntEnum):
    """Exit codes of every command.

    OK: done, nothing over threshold. FINDINGS: done, but blockers or discrepancies over
    threshold. BAD_INPUT: bad input or usage; the message names file, line/row and column.
    INTERNAL: a bug; a short message (the traceback with --debug).
    """

    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2
    INTERNAL = 3


def _run(fn: Callable[[], int]) -> None:
    try:
        try:
            code = fn()
        finally:
            progress.done()  # end a running spinner before the result or an error shows
    except UserError as e:
        for p in e.problems:
            err_console.print(f"[red]error[/red] {escape(str(p))}", markup=True, highlight=False)
        n = len(e.problems)
        err_console.print(f"{n} problem{'s' if n != 1 else ''}; nothing was written.")
        raise typer.Exit(Exit.BAD_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as e:
        if _state["debug"]:
            err_console.print_exception()
            raise typer.Exit(Exit.INTERNAL) from None
        first = str(e).splitlines()[0] if str(e) else ""
        err_console.print(f"internal error: {type(e).__name__}: {first} "
                          "(run with --debug for the traceback)")
        raise typer.Exit(Exit.INTERNAL) from None
    raise typer.Exit(code)


def _progress(step: str) -> None:
    """Progress on stderr (simulator.progress): shown for steps that take over a second."""
    progress.report(err_console, not _state["quiet"], step)


def _warn(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[yellow]warning[/yellow] {escape(line)}")


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress messages.")] = False,
) -> None:
    global out_console, err_console
    _state["debug"], _state["quiet"] = debug, quiet
    # New consoles for each invocation: they read the terminal's width (COLUMNS) when made.
    out_console = Console(highlight=False, soft_wrap=True)
    err_console = Console(stderr=True, highlight=False, soft_wrap=True)


Pre = Annotated[Path, typer.Option("--pre", help="Alma snapshot folder at the freeze.")]
Extract = Annotated[Path, typer.Option("--extract", help="Final legacy extract folder.")]
ScenarioOpt = Annotated[Path, typer.Option("--scenario", help="Scenario YAML file.")]
Testload = Annotated[Path | None, typer.Option(
    "--testload", help="Alma snapshot after the test load (optional).")]
ShowPii = Annotated[bool, typer.Option(
    "--show-pii", help="Show e-mail addresses in the report (masked by default).")]
RulesOpt = Annotated[list[Path] | None, typer.Option(
    "--rules", help="A rule pack folder layered over the default (repeatable).")]
MemoryLimit = Annotated[str | None, typer.Option(
    "--memory-limit", help="DuckDB memory limit, e.g. 4GB; beyond it work spills to disk "
                           "(default: CUTOVER_MEMORY_LIMIT, or half of the machine's memory).")]


def _check_options(csv: str | None = None, memory_limit: str | None = None) -> None:
    """The options several commands share, checked before any work starts."""
    from simulator.output.runfolder import CSV_MODES

    if csv is not None and csv not in CSV_MODES:
        raise UserError(f"--csv must be one of {', '.join(CSV_MODES)}, not '{csv}'")
    if memory_limit and (bad := db.check_memory_limit(memory_limit)):
        raise UserError(f"--memory-limit: {bad}")


def _inputs(pre: Path, extract: Path, scenario: Path, testload: Path | None) -> Any:
    from simulator.inputs.bundle import open_inputs

    inputs = open_inputs(pre, extract, scenario, testload)
    _warn(inputs.warnings())
    return inputs


@app.command()
def predict(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    out: Annotated[Path, typer.Option("--out", help="Run folder to write.")],
    testload: Testload = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write ledger.csv: auto (when it fits a "
                                          "spreadsheet), always, never.")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
    pseudonymize: Annotated[str | None, typer.Option(
        help="Replace Primary IDs in the ledger and report with pseudonyms keyed by this "
             "secret: the same in every run with the same key, so shared runs still join.")
    ] = None,
) -> None:
    """Say for every record what the cutover will do to it, and why."""

    def go() -> int:
        from simulator.commands.predict import predict as run_predict

        _check_options(csv, memory_limit)
        inputs = _inputs(pre, extract, scenario, testload)
        run = run_predict(inputs, out, rules, csv, memory_limit=memory_limit,
                          progress=_progress, show_pii=show_pii, pseudonymize=pseudonymize)
        _print_run(run)
        return Exit.FINDINGS if run.result.blockers else Exit.OK

    _run(go)


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]],
                 right: tuple[str, ...] = ("records",)) -> None:
    """A findings-like table on stdout (numbers right-aligned); nothing when there are no rows."""
    if not rows:
        return
    table = RichTable(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left")
    for row in rows:
        table.add_row(*row)
    out_console.print(table)


def _print_run(run: Any) -> None:
    _print_table("Findings", ("severity", "finding", "records"),
                 [(f.severity, f.title, f"{f.count:,}") for f in run.result.findings])
    out_console.print(run.summary["verdict"])
    out_console.print(f"{run.result.rows:,} records classified; run folder: {run.out}")


@app.command()
def explain(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    entity: Annotated[str, typer.Argument(help="users, patrons, extract.vendors, ...")],
    key: Annotated[str, typer.Argument(help="The record key; composite keys joined by |.")],
    testload: Testload = None,
    rules: RulesOpt = None,
) -> None:
    """Show every rule for one record, its value, the facts, and the rule that decides."""

    def go() -> int:
        from simulator.commands.explain import explain as run_explain
        from simulator.core import engine
        from simulator.rules.loader import load_pack

        pack = engine.checked_pack(load_pack(rules))
        inputs = _inputs(pre, extract, scenario, testload)
        con = db.connect()
        try:
            for ex in run_explain(con, pack, inputs, entity, key):
                out_console.print(f"[bold]{ex.entity.id} {ex.record_key}[/bold]")
                for name, value in ex.facts.items():
                    out_console.print(f"  fact {name} = {value}")
                table = RichTable()
                for col in ("#", "rule", "when", "value", "outcome"):
                    table.add_column(col, no_wrap=col in ("rule", "outcome"))
                for i, step in enumerate(ex.steps, 1):
                    mark = "◀ decides" if step.decided else ""
                    table.add_row(str(i), step.rule.id, step.rule.when, str(step.value),
                                  f"{step.rule.outcome} {mark}".strip())
                out_console.print(table)
                rule = ex.decision
                out_console.print(f"→ {rule.outcome} by {rule.id}: {rule.reason} "
                                  f"[{rule.cite}]" + (f" (confidence: {rule.confidence})"
                                                      if rule.confidence != "documented" else ""),
                                  markup=False)
        finally:
            con.close()
        return Exit.OK

    _run(go)


@app.command()
def verify(
    post: Annotated[Path, typer.Option("--post", help="Alma snapshot after the load.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to write.")],
    prediction: Annotated[Path | None, typer.Option(
        help="A predict run folder (or give --pre, --extract and --scenario).")] = None,
    pre: Annotated[Path | None, typer.Option(help="Alma snapshot at the freeze.")] = None,
    extract: Annotated[Path | None, typer.Option(help="Final legacy extract folder.")] = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario YAML file.")] = None,
    testload: Testload = None,
    stage: Annotated[str, typer.Option(help="cutover, fulfillment or golive.")] = "cutover",
    budgets: Annotated[Path | None, typer.Option(
        help="Loss budgets YAML (default: any discrepancy fails).")] = None,
    baseline: Annotated[Path | None, typer.Option(
        help="fulfillment stage: Alma snapshot after the cutover load, to compare with.")] = None,
    cutover_extract: Annotated[Path | None, typer.Option(
        help="fulfillment stage: the cutover extract, whose forms must hash the same.")] = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="ledger.csv: auto, always, never.")] = "auto",
    show_pii: ShowPii = False,
    entity: Annotated[list[str] | None, typer.Option(
        "--entity", help="Check only this entity (repeatable): an Alma table with every record "
                         "that lands in it (users: users and patrons), or one side's entity "
                         "(alma.users, extract.patrons, post.users).")] = None,
    memory_limit: MemoryLimit = None,
) -> None:
    """Reconcile Alma after a load with the prediction, record by record."""

    def go() -> int:
        from simulator.commands.verify import command as verify_mod

        _check_options(csv, memory_limit)
        inline = [p for p in (pre, extract, scenario) if p is not None]
        if prediction is not None and inline:
            raise UserError("give either --prediction or --pre/--extract/--scenario, not both")
        if prediction is None and len(inline) != 3:
            raise UserError("give --prediction RUN, or all of --pre, --extract and --scenario")
        inputs = None if prediction else _inputs(pre, extract, scenario, testload)  # type: ignore[arg-type]
        run = verify_mod.run(post, out, prediction=prediction, inputs=inputs, stage=stage,
                             budgets_path=budgets, baseline=baseline,
                             cutover_extract=cutover_extract, rules=rules, csv_mode=csv,
                             show_pii=show_pii, entities=entity, memory_limit=memory_limit,
                             progress=_progress)
        _warn(run.summary["warnings"])
        _print_table("Discrepancies", ("severity", "discrepancy", "records"),
                     [(f["severity"], f["title"], f"{f['count']:,}") for f in run.findings])
        for action in run.summary["actions"]:
            out_console.print(f"action: {action['action']}", markup=False)
        if run.summary["scope"]["partial"]:
            out_console.print(run.summary["scope"]["note"], markup=False)
        out_console.print(run.summary["verdict"])
        out_console.print(f"run folder: {run.out}")
        return Exit.FINDINGS if run.failed else Exit.OK

    _run(go)


@app.command()
def readiness(
    pre: Pre,
    extract: Extract,
    scenario: ScenarioOpt,
    out: Annotated[Path, typer.Option("--out", help="Run folder to write.")],
    testload: Testload = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="YAML file of accepted risks: finding id, optional record keys, "
                          "owner, reason, expiry date.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The day waivers are judged on (YYYY-MM-DD); default today.")] = None,
    holds_threshold: Annotated[int, typer.Option(
        help="Unfulfilled holds above this many are a warning; up to it, information.")] = 20,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write ledger.csv: auto (when it fits a "
                                          "spreadsheet), always, never.")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
) -> None:
    """Review readiness before the cutover: blockers, risks, waivers and a dated runbook."""

    def go() -> int:
        from simulator.commands.readiness.command import parse_as_of
        from simulator.commands.readiness.command import readiness as run_readiness

        _check_options(csv)
        day = parse_as_of(as_of)
        inputs = _inputs(pre, extract, scenario, testload)
        run = run_readiness(inputs, out, waivers, day, rules, holds_threshold, csv,
                            memory_limit=memory_limit, progress=_progress, show_pii=show_pii)
        _print_readiness(run)
        return Exit.FINDINGS if run.open_blockers else Exit.OK

    _run(go)


def _print_readiness(run: Any) -> None:
    _print_table("Readiness findings", ("severity", "area", "finding", "records", "status"),
                 [(f.severity, f.area, f.title, f"{f.count:,}", f.status) for f in run.findings])
    out_console.print("  ".join(f"{s.area} {s.score} ({s.status})" for s in run.scores))
    out_console.print(run.summary["verdict"])
    out_console.print(f"{len(run.events)} runbook steps; run folder: {run.out}")


def demo_readiness(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's readiness review beside the demo prediction, with the sample's waivers.

    Waivers are judged on the day the sample's Alma snapshot was taken, so the demo tells the
    same story whatever today's date.
    """
    import datetime as dt

    from simulator.commands.readiness.command import readiness as run_readiness

    out = prediction.parent / f"{prediction.name}-readiness"
    inputs = _inputs(base / "freeze", base / "extract", base / "scenario.yaml", base / "testload")
    day = dt.date.fromisoformat(inputs.pre.taken_at[:10])
    run = run_readiness(inputs, out, base / "waivers.yaml", day,
                        command=[*command, "readiness", "--as-of", day.isoformat()],
                        progress=_progress)
    out_console.print(f"readiness: {run.summary['verdict']} Report: {out / 'report.html'}")


@rules_app.command("list")
def rules_list(rules: RulesOpt = None) -> None:
    """List every rule in order, per entity."""

    def go() -> int:
        from simulator.rules.loader import load_pack

        pack = load_pack(rules)
        table = RichTable()
        for col in ("entity", "id", "outcome", "confidence", "seed section"):
            table.add_column(col)
        for entity, rule in pack.rules():
            table.add_row(entity.id, rule.id, rule.outcome, rule.confidence, rule.cite)
        out_console.print(table)
        return Exit.OK

    _run(go)


@rules_app.command("show")
def rules_show(rule_id: str, rules: RulesOpt = None) -> None:
    """Show one rule whole."""

    def go() -> int:
        from simulator.rules.loader import load_pack

        found = load_pack(rules).find_rule(rule_id)
        if not found:
            raise UserError(f"no rule with id '{rule_id}' (see `cutover rules list`)")
        entity, rule = found
        out_console.print(f"[bold]{rule.id}[/bold]  ({entity.id}, {rule.loc})")
        out_console.print(f"when:       {rule.when}", markup=False)
        out_console.print(f"outcome:    {rule.outcome}")
        out_console.print(f"reason:     {rule.reason}", markup=False)
        out_console.print(f"seed:       {rule.cite}", markup=False)
        out_console.print(f"confidence: {rule.confidence}")
        if rule.message:
            out_console.print(f"message:    {rule.message}", markup=False)
        if rule.finding:
            out_console.print(f"finding:    {rule.finding.severity}: {rule.finding.title}",
                              markup=False)
        return Exit.OK

    _run(go)


@rules_app.command("lint")
def rules_lint(rules: RulesOpt = None) -> None:
    """Check a pack (and layers): structure, SQL, names; every problem with its location."""

    def go() -> int:
        from simulator.rules.lint import lint
        from simulator.rules.loader import load_pack

        pack = load_pack(rules)
        problems = lint(pack)
        if problems:
            raise UserError(problems)
        out_console.print(f"{len(pack.rules())} rules in {len(pack.entities)} entities: no "
                          "problems.")
        return Exit.OK

    _run(go)


@rules_app.command("doc")
def rules_doc(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    rules: RulesOpt = None,
) -> None:
    """Write the pack as Markdown (docs/rules.md)."""

    def go() -> int:
        from simulator.rules.docs import rules_markdown
        from simulator.rules.loader import load_pack

        text = rules_markdown(load_pack(rules))
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return Exit.OK

    _run(go)


@snapshot_app.command("validate")
def snapshot_validate(folder: Annotated[Path, typer.Argument(help="Snapshot folder.")]) -> None:
    """Check a snapshot folder: manifest, files, columns, types, domains, keys, references."""

    def go() -> int:
        from simulator.errors import Collector
        from simulator.inputs import snapshot, validate

        snap = snapshot.open_snapshot(folder)
        _warn(snap.warnings)
        con = db.connect()
        try:
            problems = Collector()
            _progress("reading the snapshot files")
            problems.extend(snapshot.attach(con, "snap", snap, snap.side))
            _progress("validating")
            problems.extend(validate.validate(con, "snap", snap))
            problems.raise_if_any()
            rows = {name: con.one(f"select count(*) from {db.qualified('snap', name)}")
                    for name in sorted(snap.files)}
        finally:
            con.close()
        out_console.print(f"{folder}: {snap.side}-side snapshot of {snap.institution}, stage "
                          f"{snap.stage}; {len(rows)} tables, {sum(rows.values()):,} rows, valid.")
        return Exit.OK

    _run(go)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Run folder to write.")] = Path("runs/demo"),
) -> None:
    """Run predict on the bundled sample institution."""

    def go() -> int:
        from simulator.commands.predict import predict as run_predict
        from simulator.synth.sample import sample_dir

        base = sample_dir()
        inputs = _inputs(base / "freeze", base / "extract", base / "scenario.yaml",
                         base / "testload")
        command = ["cutover", "demo", "--out", str(out)]
        run = run_predict(inputs, out, command=command, progress=_progress)
        _print_run(run)
        out_console.print(f"Open {out / 'report.html'} in a browser.")
        demo_verify(base, out, command)
        demo_readiness(base, out, command)
        demo_whatif(base, out, command)
        return Exit.OK

    _run(go)


def demo_verify(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's post snapshots checked against the demo prediction, one run per stage."""
    from simulator.commands.verify import command as verify_mod

    for stage in ("cutover", "fulfillment", "golive"):
        out = prediction.parent / f"{prediction.name}-verify-{stage}"
        fulfillment = stage == "fulfillment"
        run = verify_mod.run(base / f"post-{stage}", out, prediction=prediction, stage=stage,
                             baseline=base / "post-cutover" if fulfillment else None,
                             cutover_extract=base / "extract" if fulfillment else None,
                             command=[*command, "verify", stage], progress=_progress)
        out_console.print(f"verify {stage}: {run.summary['verdict']} Report: "
                          f"{out / 'report.html'}")


@app.command()
def whatif(
    pre: Pre,
    extract: Extract,
    scenario: Annotated[Path, typer.Option("--scenario", help="The base scenario YAML file.")],
    variant: Annotated[list[Path], typer.Option(
        "--variant", help="A variant YAML file: options, dates, patches (assume:) and rules "
                          "differing from the base (repeatable).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    testload: Testload = None,
    rules: RulesOpt = None,
    csv: Annotated[str, typer.Option(help="Write transitions.csv: auto (when it fits a "
                                          "spreadsheet), always, never.")] = "auto",
    memory_limit: MemoryLimit = None,
    show_pii: ShowPii = False,
) -> None:
    """Run the base and each variant, and show every record whose outcome changes."""

    def go() -> int:
        from simulator.commands.whatif import command as whatif_mod

        _check_options(csv, memory_limit)
        inputs = _inputs(pre, extract, scenario, testload)
        run = whatif_mod.run(inputs, variant, out, rules, memory_limit=memory_limit,
                             progress=_progress, show_pii=show_pii, csv_mode=csv)
        _print_whatif(run)
        return Exit.OK

    _run(go)


def _print_whatif(run: Any) -> None:
    _print_table("What-if", ("variant", "changed", "appeared", "disappeared", "new blockers",
                             "cleared blockers"),
                 [(v["name"], f"{v['transitions']['changed']:,}",
                   f"{v['transitions']['appeared']:,}", f"{v['transitions']['disappeared']:,}",
                   ", ".join(v["new_blockers"]) or "-", ", ".join(v["cleared_blockers"]) or "-")
                  for v in run.summary["variants"]],
                 right=("changed", "appeared", "disappeared"))
    out_console.print(f"{run.summary['transitions']['rows']:,} changed records; folder: "
                      f"{run.out} (open {run.out / 'report.html'})")


def demo_whatif(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's variants (sample_data/variants/) against the sample, beside the demo."""
    from simulator.commands.whatif import command as whatif_mod

    out = prediction.parent / f"{prediction.name}-whatif"
    inputs = _inputs(base / "freeze", base / "extract", base / "scenario.yaml", base / "testload")
    variants = sorted((base / "variants").glob("*.yaml"))
    run = whatif_mod.run(inputs, variants, out, command=[*command, "whatif"],
                         progress=_progress)
    out_console.print(f"whatif: {len(variants)} variants, "
                      f"{run.summary['transitions']['rows']:,} changed records. Report: "
                      f"{out / 'report.html'}")


@app.command()
def diff(
    run_a: Annotated[Path, typer.Argument(help="A run folder (predict or verify).")],
    run_b: Annotated[Path, typer.Argument(help="Another run folder, compared with the first.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    csv: Annotated[str, typer.Option(help="Write changes.csv: auto (when it fits a "
                                          "spreadsheet), always, never.")] = "auto",
    show_pii: ShowPii = False,
) -> None:
    """Compare two saved runs: records that changed, appeared or disappeared, findings, inputs."""

    def go() -> int:
        from simulator.commands import diff as diff_mod

        _check_options(csv)
        result = diff_mod.run(run_a, run_b, out, show_pii=show_pii, csv_mode=csv,
                              progress=_progress)
        _warn(result.summary["warnings"])
        s = result.summary
        for item in s["inputs"]:
            state = "same" if item["same"] else "changed: " + "; ".join(item["details"])
            out_console.print(f"{item['what']}: {state}", markup=False)
        t = s["totals"]
        out_console.print(f"{t['changed']:,} records changed outcome or rule, "
                          f"{t['appeared']:,} appeared, {t['disappeared']:,} disappeared; "
                          f"{len(s['finding_changes'])} findings changed. Folder: {result.out} "
                          f"(open {result.out / 'report.html'})")
        return Exit.OK

    _run(go)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced if it holds an "
                                                    "earlier generated set).")],
    users: Annotated[int, typer.Option(help="Alma users at the freeze.")] = 100_000,
    institutions: Annotated[int, typer.Option(help="Member institutions.")] = 12,
    seed: Annotated[int, typer.Option(help="The same seed gives the same data.")] = 7,
    memory_limit: MemoryLimit = None,
) -> None:
    """Write a synthetic consortium: testload, freeze, extract and cutover snapshots."""

    def go() -> int:
        from simulator.synth.generate import generate as run_generate

        _check_options(memory_limit=memory_limit)
        done = run_generate(out, users, institutions, seed, memory_limit, progress=_progress)
        progress.done()
        for stage, tables in done.rows.items():
            out_console.print(f"{out / stage}: {len(tables)} tables, "
                              f"{sum(tables.values()):,} rows")
        out_console.print(f"Scenario: {out / 'scenario.yaml'}; what the cutover snapshot holds "
                          f"that the rules do not predict: {out / 'generated.json'}")
        return Exit.OK

    _run(go)


def main() -> None:
    app()


