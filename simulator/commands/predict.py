"""`cutover predict`: inputs in, run folder out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.render import render_predict
from simulator import db
from simulator.commands import views as reporting
from simulator.core import engine
from simulator.core.engine import Result
from simulator.inputs import bundle
from simulator.inputs.bundle import Inputs
from simulator.output import runfolder
from simulator.rules.loader import load_pack
from simulator.rules.model import Pack


@dataclass
class Run:
    out: Path
    result: Result
    summary: dict[str, Any]


def verdict(result: Result) -> str:
    if result.blockers:
        return (f"{result.blockers} blocker(s) and {result.warnings} warning(s): the cutover "
                "would lose or reject data that must be fixed first.")
    if result.warnings:
        return f"No blockers; {result.warnings} warning(s) to review."
    return "All clear: no blockers and no warnings."


def summarise(inputs: Inputs, pack: Pack, result: Result,
              command: list[str] | None = None) -> dict[str, Any]:
    return {
        "kind": "predict",
        "institution": inputs.scenario.institution,
        "verdict": verdict(result),
        "counts": result.counts,
        "findings": [f.as_dict() for f in result.findings],
        "manifest": runfolder.manifest(inputs, pack, command),
    }


def predict(
    inputs: Inputs,
    out: Path,
    rules: list[Path] | None = None,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] = lambda step: None,
    show_pii: bool = False,
    pseudonymize: str | None = None,
) -> Run:
    runfolder.check_out(out)
    progress("checking rules")
    pack = engine.checked_pack(load_pack(rules))
    con = db.connect(memory_limit=memory_limit)
    try:
        progress("loading and validating snapshots")
        bundle.load_and_validate(con, inputs)
        progress("classifying records")
        result = engine.classify(con, pack, inputs.scenario, pseudonymize)
        summary = summarise(inputs, pack, result, command)
        summary["manifest"]["pseudonymized"] = bool(pseudonymize)
        progress("writing the run folder")

        def write_report(folder: Path) -> None:
            report = reporting.predict_report(con, pack, inputs.pre.stage, summary,
                                              (folder / "ledger.csv").exists(), show_pii,
                                              pseudonymized=bool(pseudonymize))
            html, markdown = render_predict(report)
            (folder / "report.html").write_text(html, encoding="utf-8")
            (folder / "summary.md").write_text(markdown, encoding="utf-8")

        runfolder.write_run(con, out, summary, write_report, csv_mode,
                            result.ledger_in_order)
    finally:
        con.close()
    return Run(out, result, summary)
