"""The commands that work on the tools rather than an institution's cutover: rule packs
(list, show, lint, doc), snapshot validation, and generating a synthetic consortium."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from simulator.cli import progress
from simulator.cli.common import (
    Exit,
    MemoryLimit,
    RulesOpt,
    check_options,
    exit_codes,
    reading_exit_codes,
    step,
    term,
    warn,
)
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.output import runfolder

rules_app = typer.Typer(no_args_is_help=True, help="List, show, lint and document rule packs.")
snapshot_app = typer.Typer(no_args_is_help=True,
                           help="Check, pull and import snapshot folders.")


@rules_app.command("list")
@reading_exit_codes
def rules_list(rules: RulesOpt = None) -> int:
    """List every rule in order, per entity."""
    from simulator.rules.loader import load_pack

    pack = load_pack(rules)
    table = RichTable()
    for col in ("entity", "id", "outcome", "confidence", "seed section"):
        table.add_column(col)
    for entity, rule in pack.rules():
        table.add_row(entity.id, rule.id, rule.outcome, rule.confidence, rule.cite)
    term.out.print(table)
    return Exit.OK


@rules_app.command("show")
@reading_exit_codes
def rules_show(rule_id: Annotated[str, typer.Argument(
        help="The rule's id, as `cutover rules list` shows it.", metavar="RULE_ID")],
        rules: RulesOpt = None) -> int:
    """Show one rule whole."""
    from simulator.rules.loader import load_pack

    found = load_pack(rules).find_rule(rule_id)
    if not found:
        raise UserError(Problem(Loc("RULE_ID"),
                                f"no rule with id '{rule_id}' (see `cutover rules list`)"))
    entity, rule = found
    out = term.out
    out.print(f"[bold]{rule.id}[/bold]  ({entity.id}, {rule.loc})")
    out.print(f"when:       {rule.when}", markup=False)
    out.print(f"outcome:    {rule.outcome}")
    out.print(f"reason:     {rule.reason}", markup=False)
    out.print(f"seed:       {rule.cite}", markup=False)
    out.print(f"confidence: {rule.confidence}")
    if rule.message:
        out.print(f"message:    {rule.message}", markup=False)
    if rule.finding:
        out.print(f"finding:    {rule.finding.severity}: {rule.finding.title}", markup=False)
    return Exit.OK


@rules_app.command("lint")
@reading_exit_codes
def rules_lint(rules: RulesOpt = None) -> int:
    """Check a pack (and layers): structure, SQL, names; every problem with its location."""
    from simulator.rules.lint import lint
    from simulator.rules.loader import load_pack

    pack = load_pack(rules)
    problems = lint(pack)
    if problems:
        raise UserError(problems)
    term.out.print(f"{len(pack.rules())} rules in {len(pack.entities)} entities: no "
                      "problems.")
    return Exit.OK


@rules_app.command("doc")
@exit_codes
def rules_doc(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    rules: RulesOpt = None,
) -> int:
    """Write the pack as Markdown (docs/rules.md)."""
    from simulator.rules.docs import rules_markdown
    from simulator.rules.loader import load_pack

    text = rules_markdown(load_pack(rules))
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return Exit.OK


@snapshot_app.command("validate")
@reading_exit_codes
def snapshot_validate(folder: Annotated[Path, typer.Argument(help="Snapshot folder.")]) -> int:
    """Check a snapshot folder: manifest, files, columns, types, domains, keys, references."""
    from simulator.errors import UserError
    from simulator.inputs import snapshot, validate

    snap = snapshot.open_snapshot(folder)
    warn(snap.warnings)
    problems, rows = validate.check_snapshot(snap, step)
    if problems:
        raise UserError(problems)
    term.out.print(f"{folder}: {snap.side}-side snapshot of {snap.institution}, stage "
                      f"{snap.stage}; {len(rows)} tables, {sum(rows.values()):,} rows, valid.")
    return Exit.OK


@exit_codes
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced if it holds an "
                                                    "earlier generated set).")],
    users: Annotated[int, typer.Option(help="Alma users at the freeze.")] = 100_000,
    institutions: Annotated[int, typer.Option(help="Member institutions.")] = 12,
    seed: Annotated[int, typer.Option(help="The same seed gives the same data.")] = 7,
    memory_limit: MemoryLimit = None,
) -> int:
    """Write a synthetic consortium: testload, freeze, extract and cutover snapshots."""
    from simulator.synth.generate import generate as run_generate

    check_options(memory_limit=memory_limit)
    if not out.exists() and (why := runfolder.not_creatable(out)) is not None:
        raise UserError(Problem(Loc(display_path(out)), runfolder.CANNOT_WRITE + why))
    done = run_generate(out, users, institutions, seed, memory_limit, progress=step)
    progress.done()
    for stage, tables in done.rows.items():
        term.out.print(f"{out / stage}: {len(tables)} tables, {sum(tables.values()):,} rows")
    term.out.print(f"Scenario: {out / 'scenario.yaml'}; what the cutover snapshot holds "
                      f"that the rules do not predict: {out / 'generated.json'}")
    return Exit.OK
