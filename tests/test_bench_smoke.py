"""The benchmark harness at tiny scale, so `make bench` keeps working (no timing asserted).

Runs `python -m bench.run --smoke` as `make bench` runs the real thing: generate, predict vs the
hand-written script (same ledger), the users part vs pandas (same rules), 10 vs 110 rules, verify
(and datacompy when the bench environment has it), the report in Chromium when installed, and
row scaling, `cutover demo` vs one `cutover predict` of the sample, and `cutover snapshot import
flat` of a generated loans export (3,000 lines) vs DuckDB's read_csv of it, and `cutover
offline-circ check` of a generated offline circulation file (2,000 lines); then checks the report
it writes, and that `--only demo` measures the demo again into that report, keeping the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_ROW = "`cutover demo` vs one `cutover predict` of the sample"
DEMO_SECTION = "### cutover demo vs one cutover predict"
LEGACY_ROW = "`cutover snapshot import flat` of a Sierra-style loans export vs DuckDB's own"
LEGACY_SECTION = "### snapshot import flat vs DuckDB's read_csv"
OFFLINE_ROW = "parsing an offline circulation file (`cutover offline-circ check`)"


@pytest.mark.slow
def test_bench_smoke_run_writes_every_target(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--work", str(tmp_path / "work"),
         "--report", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = report.read_text(encoding="utf-8")
    for name in ("hand-written DuckDB script", "peak RSS of predict", "in pandas",
                 "110 rules instead of 10", "datacompy", "report.html at", "row scaling",
                 DEMO_ROW, LEGACY_ROW, LEGACY_SECTION, OFFLINE_ROW):
        assert name in text, name
    assert "| failed |" not in text
    assert "same ledger" in text and "same rule for every user" in text
    results = json.loads((tmp_path / "work" / "results.json").read_text(encoding="utf-8"))
    raw = results["raw"]
    assert raw["same_ledger"]["same"], raw["same_ledger"]
    assert raw["predict"]["rows"] == raw["hand"]["rows"] > 0
    assert raw["users_sql"]["rules"] == 8
    assert len(raw["scaling"]) == 2
    assert not any(t["measured"] == "failed" for t in results["targets"]), results["targets"]
    # One pair of processes in the smoke run; the demo's six run folders and predict's one.
    assert [len(raw["demo"]["seconds"][n]) for n in ("demo", "predict")] == [1, 1]
    demo = tmp_path / "work" / "demo"
    assert (demo / "0-predict" / "predict" / "ledger.parquet").is_file()
    assert sorted(p.name for p in (demo / "0-demo").iterdir()) == [
        "demo", "demo-readiness", "demo-verify-cutover", "demo-verify-fulfillment",
        "demo-verify-golive", "demo-whatif"]
    # The legacy files: generated once under --work; one pair of processes; the import wrote
    # the same loans as DuckDB's reader, in order. (The import's steps are timed in full runs
    # only: the importer's functions that profile wraps must still exist.)
    legacy = raw["legacy"]
    assert legacy["data"]["lines"] == 3000
    assert [len(legacy["seconds"][n]) for n in ("import", "read_csv")] == [1, 1]
    assert legacy["same"] == {"rows": [3000, 3000], "differ": 0}, legacy["same"]
    from bench.legacy_cases import legacy_steps

    assert all(callable(getattr(module, name)) for module, name, _ in legacy_steps())
    loans = tmp_path / "work" / "legacy-3000" / "loans.csv"
    assert loans.read_text(encoding="utf-8").startswith('"RECORD #(ITEM)","OUT DATE",')
    # The offline circulation file: 2,000 lines, every one parsed and checked whole.
    offline = raw["offline"]["profile"]
    assert (offline["lines"], offline["malformed"], offline["not_ok"]) == (2000, 0, 0)
    assert len(raw["offline"]["seconds"]) == 1
    # Generated data and runs stay in --work, never in the repository.
    assert not (ROOT / "runs" / "predict").exists()

    # Only the demo, again (its saved measures reused: --resume): its row and section are
    # replaced, every other one kept as it was.
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--only", "demo", "--resume", "--work",
         str(tmp_path / "work"), "--report", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = report.read_text(encoding="utf-8")
    rows = [line for line in again.splitlines() if line.startswith(f"| {DEMO_ROW}")]
    assert len(rows) == 1 and "--only demo" in rows[0], rows
    assert others(again) == others(text)
    assert again.count(DEMO_SECTION) == 1


def others(report: str) -> list[str]:
    """The report's lines but the demo's target row and section (and blank lines)."""
    start = report.find(DEMO_SECTION)
    if start >= 0:
        ends = [at for at in (report.find("\n### ", start), report.find("\n## ", start))
                if at >= 0]
        report = report[:start] + (report[min(ends) + 1:] if ends else "")
    return [line for line in report.splitlines()
            if line and not line.startswith(f"| {DEMO_ROW}")]


def test_only_demo_without_saved_results_replaces_its_row_and_section() -> None:
    """With no results.json beside it, `--only demo` edits the report it finds in place."""
    from bench.demo_bench import DEMO_TARGET, demo_section
    from bench.measure import MB, Target
    from bench.report import ONLY_NOTE, splice_report

    report = "\n".join([
        "# Benchmarks", "", "- Machine: x.", "- Each contender is its own process.", "",
        "## Targets", "", "| benchmark | target | measured | result | notes |",
        "|---|---|---|---|---|", "| predict vs hand | ≤ 1.3× | 1.16× | met | same ledger |",
        "| row scaling | linear | 1.00 | met |  |", "", "## Details", "",
        "### predict, step by step", "", "| step | time |", "|---|---|", "| a | 1 s |", "",
        "### Row scaling", "", "| users | time |", "|---|---|", "| 400 | 1 s |", "", "",
        "## Analysis", "", "### A plan", "", "text", ""])

    def demo(ratio: float) -> tuple[Target, str]:
        section = demo_section({"demo": [3 * ratio], "predict": [3.0]},
                               {"demo": 2 * MB, "predict": MB}, [ratio],
                               {"demo": 3 * ratio, "predict": 3.0}, ratio)
        return Target(DEMO_TARGET, "≤ 3×", f"{ratio:.2f}×", ratio <= 3), section

    once = splice_report(report, *demo(2.5))
    twice = splice_report(once, *demo(3.5))

    def measured(text: str) -> list[str]:  # the analysis is read again from bench/ANALYSIS.md
        lines = others(text.replace(ONLY_NOTE + "\n", ""))
        return lines[:next(i for i, line in enumerate(lines) if line.startswith("## Analysis"))]

    for text in (once, twice):
        assert measured(text) == measured(report)
        assert text.count(DEMO_SECTION) == 1 and text.count(f"| {DEMO_ROW}") == 1
        assert text.count(ONLY_NOTE) == 1
        assert text.index("| row scaling") < text.index(f"| {DEMO_ROW}") < text.index(
            "## Details") < text.index("### Row scaling") < text.index(DEMO_SECTION) < text.index(
            "## Analysis")
    assert "| 3.50× | **missed** |" in twice and "2.50×" not in twice


def test_only_legacy_splices_its_own_row_and_section_beside_the_demo() -> None:
    """`--only legacy` replaces only its row and section; the note of earlier reports that named
    only `--only demo` is replaced by the one naming both."""
    from bench.demo_bench import DEMO_HEADING, DEMO_TARGET
    from bench.legacy_bench import LEGACY_HEADING, LEGACY_TARGET
    from bench.measure import Target
    from bench.report import OLD_ONLY_NOTES, ONLY, ONLY_NOTE, Only, splice_report

    old_note = OLD_ONLY_NOTES[0]
    report = "\n".join([
        "# Benchmarks", "", "- Machine: x.", old_note, "- Each contender is its own process.",
        "", "## Targets", "", "| benchmark | target | measured | result | notes |",
        "|---|---|---|---|---|", f"| {DEMO_TARGET} | ≤ 3× | 2.50× | met |  |", "",
        "## Details", "", f"{DEMO_HEADING} (the sample)", "", "demo numbers", "", "",
        "## Analysis", "", "text", ""])

    def legacy(ratio: float) -> tuple[Target, str, Only]:
        return (Target(LEGACY_TARGET, "≤ 1.5×", f"{ratio:.2f}×", ratio <= 1.5),
                f"{LEGACY_HEADING} (3,000 loan lines)\n\nlegacy {ratio:.2f}\n",
                ONLY["legacy"])

    once = splice_report(report, *legacy(2.0))
    twice = splice_report(once, *legacy(1.2))
    for text in (once, twice):
        assert old_note not in text and text.count(ONLY_NOTE) == 1
        assert text.count(f"| {DEMO_TARGET}") == 1 and "demo numbers" in text
        assert text.count(f"| {LEGACY_ROW}") == 1 and text.count(LEGACY_SECTION) == 1
        assert text.index(f"| {DEMO_TARGET}") < text.index(f"| {LEGACY_ROW}") < text.index(
            "## Details") < text.index(DEMO_SECTION) < text.index(LEGACY_SECTION) < text.index(
            "## Analysis")
    assert "| 1.20× | met |" in twice and "legacy 1.20" in twice
    assert "| 2.00× |" not in twice and "legacy 2.00" not in twice
