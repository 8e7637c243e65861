"""`cutover demo`: every command on the bundled sample institution, each run folder beside the
prediction's, so one command shows what the simulator does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulator.cli.common import Exit, exit_codes, open_session, term
from simulator.cli.runs import print_prediction
from simulator.errors import Collector, UserError

if TYPE_CHECKING:
    from simulator.core.session import Session


@exit_codes
def demo(
    out: Annotated[Path, typer.Option(help="Run folder to write.")] = Path("runs/demo"),
) -> int:
    """Run the sample institution through every command, each run folder beside OUT.

    Predict, verify (three stages), readiness and what-if, on one session."""
    from simulator.commands.predict import predict as run_predict
    from simulator.synth.sample import sample_dir

    base = sample_dir()
    command = ["cutover", "demo", "--out", str(out)]
    check_folders(out)
    # One Session: the sample is validated and classified once for every command.
    with sample_session(base) as session:
        run = run_predict(session, out, command=command)
        print_prediction(run)
        term.out.print(f"Open {out / 'report.html'} in a browser.")
        demo_verify(session, base, out, command)
        demo_readiness(session, base, out, command)
        demo_whatif(session, base, out, command)
    return Exit.OK


# The run folders the demo writes beside OUT (`sibling`), besides OUT itself.
DEMO_FOLDERS = ("verify-cutover", "verify-fulfillment", "verify-golive", "readiness", "whatif")


def sibling(out: Path, name: str) -> Path:
    """The demo's run folder `name` beside OUT (OUT-readiness)."""
    return out.parent / f"{out.name}-{name}"


def check_folders(out: Path) -> None:
    """Every run folder the demo writes, checked before any of them is written: a folder of the
    user's beside OUT must stop the demo before it starts, not halfway."""
    from simulator.output import runfolder

    problems = Collector()
    for folder in (out, *(sibling(out, name) for name in DEMO_FOLDERS)):
        try:
            runfolder.check_out(folder)
        except UserError as e:
            problems.extend(e.problems)
    problems.raise_if_any()


def sample_session(base: Path) -> Session:
    """The sample's freeze, extract, scenario and test load, as predict would open them."""
    return open_session(base / "freeze", base / "extract", base / "scenario.yaml",
                        base / "testload")


def demo_verify(session: Session, base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's post snapshots checked against the demo prediction, one run per stage, on
    the demo's Session (its inputs, validated once, are the prediction's)."""
    from simulator.commands import verify

    predicted = verify.open_prediction(prediction)
    for stage in verify.STAGES:
        out = sibling(prediction, f"verify-{stage}")
        fulfillment = stage == "fulfillment"
        run = verify.run(session, base / f"post-{stage}", out, prediction=predicted,
                         stage=stage, baseline=base / "post-cutover" if fulfillment else None,
                         cutover_extract=base / "extract" if fulfillment else None,
                         command=[*command, "verify", stage])
        term.out.print(f"verify {stage}: {run.summary['verdict']} Report: "
                          f"{out / 'report.html'}")


def demo_readiness(session: Session, base: Path, prediction: Path,
                   command: list[str]) -> None:
    """The sample's readiness review beside the demo prediction, with the sample's waivers.

    Waivers are judged on the day the sample's Alma snapshot was taken, so the demo tells the
    same story whatever today's date.
    """
    import datetime as dt

    from simulator.commands.readiness import readiness as run_readiness

    out = sibling(prediction, "readiness")
    day = dt.date.fromisoformat(session.inputs.pre.taken_at[:10])
    run = run_readiness(session, out, base / "waivers.yaml", day,
                        command=[*command, "readiness", "--as-of", day.isoformat()])
    term.out.print(f"readiness: {run.summary['verdict']} Report: {out / 'report.html'}")


def demo_whatif(session: Session, base: Path, prediction: Path, command: list[str]) -> None:
    """The sample's variants (sample_data/variants/) against the sample, beside the demo."""
    from simulator.commands.whatif import command as whatif_mod

    out = sibling(prediction, "whatif")
    variants = sorted((base / "variants").glob("*.yaml"))
    run = whatif_mod.run(session, variants, out, command=[*command, "whatif"])
    term.out.print(f"whatif: {len(variants)} variants, "
                      f"{run.summary['transitions']['rows']:,} changed records. Report: "
                      f"{out / 'report.html'}")
