"""`cutover demo`: every command on the bundled sample institution, each run folder beside the
prediction's, so one command shows what the simulator does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulator.cli.common import Exit, exit_codes, open_inputs, step, term
from simulator.cli.runs import print_prediction

if TYPE_CHECKING:
    from simulator.inputs.bundle import Inputs


@exit_codes
def demo(
    out: Annotated[Path, typer.Option(help="Run folder to write.")] = Path("runs/demo"),
) -> int:
    """Run predict on the bundled sample institution."""
    from simulator.commands.predict import predict as run_predict
    from simulator.synth.sample import sample_dir

    base = sample_dir()
    command = ["cutover", "demo", "--out", str(out)]
    run = run_predict(_sample_inputs(base), out, command=command, progress=step)
    print_prediction(run)
    term.out.print(f"Open {out / 'report.html'} in a browser.")
    demo_verify(base, out, command)
    demo_readiness(base, out, command)
    demo_whatif(base, out, command)
    return Exit.OK


def _sample_inputs(base: Path) -> Inputs:
    """The sample's freeze, extract, scenario and test load, as predict would open them."""
    return open_inputs(base / "freeze", base / "extract", base / "scenario.yaml",
                       base / "testload")


def demo_verify(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's post snapshots checked against the demo prediction, one run per stage."""
    from simulator.commands.verify import command as verify_mod

    for stage in ("cutover", "fulfillment", "golive"):
        out = prediction.parent / f"{prediction.name}-verify-{stage}"
        fulfillment = stage == "fulfillment"
        run = verify_mod.run(base / f"post-{stage}", out, prediction=prediction, stage=stage,
                             baseline=base / "post-cutover" if fulfillment else None,
                             cutover_extract=base / "extract" if fulfillment else None,
                             command=[*command, "verify", stage], progress=step)
        term.out.print(f"verify {stage}: {run.summary['verdict']} Report: "
                          f"{out / 'report.html'}")


def demo_readiness(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's readiness review beside the demo prediction, with the sample's waivers.

    Waivers are judged on the day the sample's Alma snapshot was taken, so the demo tells the
    same story whatever today's date.
    """
    import datetime as dt

    from simulator.commands.readiness.command import readiness as run_readiness

    out = prediction.parent / f"{prediction.name}-readiness"
    inputs = _sample_inputs(base)
    day = dt.date.fromisoformat(inputs.pre.taken_at[:10])
    run = run_readiness(inputs, out, base / "waivers.yaml", day,
                        command=[*command, "readiness", "--as-of", day.isoformat()],
                        progress=step)
    term.out.print(f"readiness: {run.summary['verdict']} Report: {out / 'report.html'}")


def demo_whatif(base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's variants (sample_data/variants/) against the sample, beside the demo."""
    from simulator.commands.whatif import command as whatif_mod

    out = prediction.parent / f"{prediction.name}-whatif"
    variants = sorted((base / "variants").glob("*.yaml"))
    run = whatif_mod.run(_sample_inputs(base), variants, out, command=[*command, "whatif"],
                         progress=step)
    term.out.print(f"whatif: {len(variants)} variants, "
                      f"{run.summary['transitions']['rows']:,} changed records. Report: "
                      f"{out / 'report.html'}")
