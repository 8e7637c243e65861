"""`cutover predict`: inputs in, run folder out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.render import render_predict
from simulator.commands import views as reporting
from simulator.core.engine import Result
from simulator.core.findings import Wording
from simulator.core.session import Session
from simulator.inputs.bundle import Inputs
from simulator.output import runfolder
from simulator.rules.model import Pack


@dataclass
class Run:
    out: Path
    result: Result
    summary: dict[str, Any]


WORDING = Wording(
    blocked="{b} blocker(s) and {w} warning(s): the cutover would lose or reject data that "
            "must be fixed first.",
    warned="No blockers; {w} warning(s) to review.",
    clear="All clear: no blockers and no warnings.")


def verdict(result: Result) -> str:
    return WORDING.verdict(result.blockers, result.warnings)[1]


def summarise(inputs: Inputs, pack: Pack, result: Result,
              command: list[str] | None = None, show_pii: bool = False) -> dict[str, Any]:
    return {
        "kind": "predict",
        "institution": inputs.scenario.institution,
        "verdict": verdict(result),
        "counts": result.counts,
        "findings": [f.as_dict() for f in result.findings],
        "manifest": runfolder.manifest(inputs, pack, command, show_pii),
    }


def predict(session: Session, out: Path, csv_mode: str = "auto",
            command: list[str] | None = None, show_pii: bool = False) -> Run:
    """Classify every record of the session's inputs and write the run folder `out`."""
    runfolder.check_run_out(out, session.inputs, session.rules)
    result = session.classification
    pseudonymized = bool(session.pseudonymize)
    summary = summarise(session.inputs, session.pack, result, command, show_pii)
    summary["manifest"]["pseudonymized"] = pseudonymized
    session.progress("writing the run folder")

    def write_report(folder: Path) -> None:
        report = reporting.predict_report(result, session.pack, session.inputs.pre.stage,
                                          summary, (folder / "ledger.csv").exists(), show_pii,
                                          pseudonymized=pseudonymized)
        html, markdown = render_predict(report)
        (folder / "report.html").write_text(html, encoding="utf-8")
        (folder / "summary.md").write_text(markdown, encoding="utf-8")

    runfolder.write_run(session.con, out, summary, write_report, csv_mode,
                        result.ledger_in_order)
    return Run(out, result, summary)
