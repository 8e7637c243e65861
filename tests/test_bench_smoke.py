"""The benchmark harness at tiny scale, so `make bench` keeps working (no timing asserted).

Runs `python -m bench.run --smoke` as `make bench` runs the real thing: generate, predict vs the
hand-written script (same ledger), the users part vs pandas (same rules), 10 vs 110 rules, verify
(and datacompy when the bench environment has it), the report in Chromium when installed, and
row scaling; then checks the report it writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
                 "110 rules instead of 10", "datacompy", "report.html at", "row scaling"):
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
    # Generated data and runs stay in --work, never in the repository.
    assert not (ROOT / "runs" / "predict").exists()
