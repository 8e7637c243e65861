"""`cutover readiness`, the pre-cutover review, by job:

- `checks`: the registry of readiness checks, each one declaration with the code finding its
  records;
- `findings`: the review's Finding type (a rule's or a check's, with area, records, waivers);
- `collect`: the records of every finding, waivers applied, samples, workload counts;
- `scores`: readiness per area and the verdict;
- `report`: summary.json and the report's view; `exports`: findings.csv and `export:` files;
- `runbook`: the dated steps and their iCalendar and CSV files; `waivers`: the waivers file;
- `run`: the command, `readiness(session, out, ...)`.
"""

from __future__ import annotations

from simulator.commands.readiness import checks, runbook, waivers
from simulator.commands.readiness.checks import CHECKS, Check, check
from simulator.commands.readiness.collect import RECORDS_SHOWN, collect, workloads
from simulator.commands.readiness.findings import (
    HOLDS_THRESHOLD,
    ReadyFinding,
    Record,
    WaiverState,
    finding_ids,
    options,
)
from simulator.commands.readiness.run import Readiness, parse_as_of, readiness
from simulator.commands.readiness.scores import AreaScore, scores, verdict

__all__ = [
    "CHECKS", "HOLDS_THRESHOLD", "RECORDS_SHOWN", "AreaScore", "Check", "Readiness",
    "ReadyFinding", "Record", "WaiverState", "check", "checks", "collect", "finding_ids",
    "options", "parse_as_of", "readiness", "runbook", "scores", "verdict", "waivers",
    "workloads",
]
