"""A verify run folder: the ledger of the records checked, summary.json, the discrepancies
(Parquet and CSV), junit.xml and the report, written atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.render import VerifyReport, render_verify
from simulator import db
from simulator.commands import views
from simulator.commands.verify.findings import junit_cases
from simulator.commands.verify.reconcile import DISCREPANCIES
from simulator.core.findings import level_of
from simulator.output import csvfile, runfolder
from simulator.output.junit import junit_xml

DISCREPANCY_COLUMNS = ("side", "entity", "record_key", "class", "expected", "observed",
                       "rule_id")


@dataclass
class Ledger:
    """The ledger a run folder keeps: view `name` (the records checked), and the query giving
    its rows in order (by side, entity and key); `file`, a Parquet file of exactly those rows
    in that order (the prediction's, when every record is checked), is copied instead."""

    name: str
    in_order: str
    file: Path | None = None


def write(con: db.Connection, out: Path, summary: dict[str, Any], ledger: Ledger,
          csv_mode: str = "auto", show_pii: bool = False) -> Path:
    """The run folder `out`, from verify's own ledger view (the session's `ledger` stays as it
    is for the other commands)."""
    return runfolder.write_run(con, out, summary,
                               lambda folder: _extras(con, folder, summary, show_pii),
                               csv_mode, ledger.in_order, ledger.name, ledger.file)


def _extras(con: db.Connection, folder: Path, summary: dict[str, Any], show_pii: bool) -> None:
    """The discrepancies, junit.xml, report.html and summary.md."""
    ordered = (f"select {', '.join(DISCREPANCY_COLUMNS)} from {DISCREPANCIES} "
               "order by side, entity, record_key, class, expected, observed, rule_id")
    con.execute(f"copy ({ordered}) to {db.literal(str(folder / 'discrepancies.parquet'))}"
                " (format parquet, compression zstd)")
    csvfile.copy_csv(con, ordered, folder / "discrepancies.csv")
    (folder / "junit.xml").write_bytes(junit_xml(junit_cases(con)))
    report = VerifyReport(
        institution=summary["institution"],
        stage=summary["stage"],
        verdict=summary["verdict"],
        verdict_level=level_of(summary["findings"]),
        findings=views.mask_findings(summary["findings"], show_pii),
        counts=summary["counts"],
        matrix=summary["matrix"],
        actions=summary["actions"],
        warnings=summary["warnings"],
        manifest=summary["manifest"],
        scope_note=summary["scope"].get("note", ""),
    )
    html, markdown = render_verify(report)
    (folder / "report.html").write_text(html, encoding="utf-8")
    (folder / "summary.md").write_text(markdown, encoding="utf-8")
