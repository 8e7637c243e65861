"""`cutover plan`: a consortium's cutover in clusters (docs/commands/plan.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    Exit,
    MemoryLimit,
    check_options,
    exit_codes,
    print_table,
    step,
    term,
)


@exit_codes
def plan(
    plan_file: Annotated[Path, typer.Argument(help="The consortium's plan (YAML): clusters, "
                                                   "their freezes and institutions, offsets.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder to write.")],
    changes: Annotated[Path | None, typer.Option(
        "--changes", help="Legacy change log (CSV: timestamp, institution, area, action, "
                          "record_id) to class by what reaches Alma.")] = None,
    memory_limit: MemoryLimit = None,
) -> int:
    """Plan a consortium's cutover in clusters, with milestones and a weekly calendar.

    Each cluster's milestones, an activity calendar per week, and which legacy changes reach
    Alma."""
    from simulator.commands.plan.classes import CLASSES
    from simulator.commands.plan.command import run

    check_options(memory_limit=memory_limit)
    done = run(plan_file, out, changes, memory_limit, progress=step)
    print_table("Clusters", ("cluster", "institutions", "freeze", "go-live"),
                [(s["name"], ", ".join(s["institutions"]), s["milestones"]["technical_freeze"][0],
                  s["milestones"]["go_live"][0]) for s in done.summary["clusters"]], right=())
    counts = done.worked.counts
    if counts is not None:
        term.out.print("Changes: " + ", ".join(f"{c} {counts.by_class.get(c, 0):,}"
                                               for c in CLASSES))
    term.out.print(f"{len(done.milestones):,} milestones, {len(done.worked.weeks)} weeks; run "
                   f"folder: {done.out}", markup=False)
    return Exit.FINDINGS if done.at_risk else Exit.OK
