"""`cutover offline-circ`: the offline circulation file and the ILL file of the cutover
(docs/offline-circ.md). `check` checks and replays them against Alma after the fulfillment load
and writes a run folder (exit 1 when any line is not ok); `make` writes a file from a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    Exit,
    MemoryLimit,
    Out,
    ScenarioOpt,
    check_options,
    exit_codes,
    print_table,
    step,
    term,
    warn,
)

offline_app = typer.Typer(no_args_is_help=True, help="Check, replay and write offline "
                                                     "circulation files.")


@offline_app.command("check")
@exit_codes
def check(
    offline_file: Annotated[Path, typer.Argument(
        help="The offline circulation file (OffCirc.dat).", show_default=False)],
    snapshot: Annotated[Path, typer.Option(
        "--snapshot", help="Alma after the fulfillment load (a snapshot of stage fulfillment).")],
    scenario: ScenarioOpt,
    out: Out,
    ill: Annotated[Path | None, typer.Option(
        "--ill", help="The ILL file (ILLcirc.dat), loaded before the offline file.")] = None,
    ill_bibs: Annotated[Path | None, typer.Option(
        "--ill-bibs", help="The temporary ILL bibs (MARC 21 binary or MARC XML); the scenario's "
                           "ill_bibs names the fields of each item's barcode and location.")]
    = None,
    memory_limit: MemoryLimit = None,
) -> int:
    """Check the files line by line against Alma and replay them in load order.

    Writes lines.csv (each line's status and problem), state.csv and patrons.csv (the predicted
    state at go-live), bibs.csv (with --ill-bibs), summary.json and report.html.
    """
    from simulator.commands.offline_circ.command import Request
    from simulator.commands.offline_circ.command import check as run_check

    check_options(memory_limit=memory_limit)
    done = run_check(Request(offline_file, snapshot, scenario, out, ill, ill_bibs, memory_limit),
                     progress=step)
    warn(done.warnings + done.summary["notes"])
    s = done.summary
    print_table("Checks", ("severity", "check", "lines"),
                [(c["severity"], c["title"], f"{c['lines']:,}") for c in s["checks"]
                 if c["lines"]], right=("lines",))
    for line in done.problems:
        term.out.print(line, markup=False, highlight=False)
    more = s["lines"]["warning"] + s["lines"]["error"] - len(done.problems)
    if more > 0:
        term.out.print(f"… and {more:,} more lines in lines.csv")
    term.out.print(s["verdict"], markup=False)
    files = ", ".join(f"{f['file']} {f['lines']:,}" for f in s["files"])
    term.out.print(f"{s['lines']['lines']:,} lines ({files}); run folder: {done.out} (open "
                   f"{done.out / 'report.html'})", markup=False)
    return Exit.FINDINGS if done.not_ok else Exit.OK


@offline_app.command("make")
@exit_codes
def make(
    transactions: Annotated[Path, typer.Argument(
        help="A CSV file with the columns timestamp, type (L or R), barcode and patron.",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="The file to write (never overwritten).")],
    line_end: Annotated[str, typer.Option(
        "--line-end", help="crlf (as the offline circulation client writes) or lf.",
                      metavar="<crlf|lf>")] = "crlf",
) -> int:
    """Write an offline circulation file from a CSV of transactions.

    Every row the file cannot hold is refused with its row and column; nothing is written then.
    """
    from simulator.commands.offline_circ.make import make as run_make

    n = run_make(transactions, out, line_end)
    term.out.print(f"{out}: {n:,} transactions written", markup=False)
    return Exit.OK
