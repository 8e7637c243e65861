"""The report, docs/benchmarks.md: written whole from a run's results, or with one measurement
(`python -m bench.run --only NAME`) put into it, keeping the rest; bench/ANALYSIS.md, the
explanations written by hand, is appended either way."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import offline_circ, predict_pairs
from bench.demo_bench import DEMO_GROUP, DEMO_HEADING, DEMO_TARGET
from bench.legacy_bench import LEGACY_GROUP, LEGACY_HEADING, LEGACY_TARGET
from bench.measure import BENCH, GB, Results, Target

ANALYSIS = BENCH / "ANALYSIS.md"

ONLY_NOTE = ("- `python -m bench.run --only demo` measures only `cutover demo` against one "
             "`cutover predict`\n  of the bundled sample (no generated data), `--only legacy` "
             "only `cutover snapshot import flat`\n  of a loans export against DuckDB's "
             "`read_csv` of it, `--only offline-circ` only the offline\n  circulation check, "
             "`--only predict` only predict against the lean script in interleaved\n  pairs at "
             "2M and 5M users; each replaces its row and its section here.")
# Notes earlier runs wrote, replaced by ONLY_NOTE when a report is spliced.
OLD_ONLY_NOTES = ("- `python -m bench.run --only demo` measures only `cutover demo` against one "
                  "`cutover predict`\n  of the bundled sample (no generated data), `--only legacy` "
                  "only `cutover snapshot import flat`\n  of a loans export against DuckDB's "
                  "`read_csv` of it; each replaces its row and its section here.",
                  "- `python -m bench.run --only demo` measures only `cutover demo` against one "
                  "`cutover predict`\n  of the bundled sample (no generated data) and replaces "
                  "that row and its section here.",)


@dataclass(frozen=True)
class Only:
    """A measurement `--only NAME` makes alone and writes into the report, keeping the rest:
    its target row (named `target`, or `group` when it failed), its section and raw results."""

    name: str
    target: str
    group: str
    heading: str

    def owns_row(self, row: str) -> bool:
        return row.split(" | ")[0] in (f"| {self.target}", f"| {self.group}")


ONLY = {"demo": Only("demo", DEMO_TARGET, DEMO_GROUP, DEMO_HEADING),
        "legacy": Only("legacy", LEGACY_TARGET, LEGACY_GROUP, LEGACY_HEADING),
        "offline-circ": Only("offline-circ", offline_circ.TARGET, offline_circ.GROUP,
                             offline_circ.HEADING),
        "predict": Only("predict", predict_pairs.TARGET, predict_pairs.GROUP,
                        predict_pairs.HEADING)}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (f"{os.cpu_count()} cores ({cpu}), {mem / GB:.0f} GB memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def write_report(r: Results, path: Path, finished: dt.datetime | None = None,
                 command: str | None = None) -> None:
    from simulator import db

    a = r.args
    finished = finished or dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = r.raw.get("main_rows", {})
    inputs = ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items())) if rows else ""
    table = "\n".join(target_row(t) for t in r.targets)
    command = command or " ".join(["python -m bench.run", *sys.argv[1:]])
    minutes = (finished - r.started).total_seconds() / 60
    text = f"""# Benchmarks

Measured on {finished.date().isoformat()} (finished {finished.isoformat()}, {minutes:.0f} minutes)
by `{command}`, which `make bench` runs. The measured parts are written by the runner: to change
them, run `make bench` again; the analysis at the end is `bench/ANALYSIS.md`.

- Machine: {machine()}; DuckDB {db.VERSION}.
- Data: `cutover generate --users {a.users:,} --institutions {a.institutions} --seed {a.seed}`
  ({inputs}).
{ONLY_NOTE}
- Each contender is its own process, run one after the other in this one run; times are wall
  times of the whole process (start-up, imports and reading the files included), RSS the
  process's peak resident memory. DuckDB runs with `--memory-limit {a.memory_limit}` (predict,
  the hand-written script and verify alike) and spills to a temp folder beyond it.

## Targets

| benchmark | target | measured | result | notes |
|---|---|---|---|---|
{table}

## Details

{chr(10).join(r.sections)}
"""
    if ANALYSIS.is_file():
        text += "\n" + ANALYSIS.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (a.work / "results.json").write_text(json.dumps(
        {"targets": [t.__dict__ for t in r.targets], "sections": r.sections, "raw": r.raw,
         "started": r.started.isoformat(), "finished": finished.isoformat(),
         "command": command, "report": str(path.resolve())}, indent=2, default=str),
        encoding="utf-8")



def target_row(t: Target) -> str:
    mark = {True: "met", False: "**missed**", None: "—"}
    return f"| {t.name} | {t.target} | {t.measured} | {mark[t.ok]} | {t.note} |"


def splice_report(text: str, target: Target, section: str, only: Only = ONLY["demo"]) -> str:
    """The report with one measurement's target row and its section put in (replacing earlier
    ones), everything else kept as measured, and the analysis read again from
    bench/ANALYSIS.md."""
    for old in OLD_ONLY_NOTES:
        text = text.replace(f"\n{old}\n", "\n")
    if ONLY_NOTE not in text:
        at = text.find("\n- Each contender is its own process")
        text = text if at < 0 else f"{text[:at]}\n{ONLY_NOTE}{text[at:]}"
    lines = text.split("\n")
    head = next(i for i, line in enumerate(lines) if line.startswith("## Targets"))
    start = next(i for i in range(head, len(lines)) if lines[i].startswith("|---"))
    end = next(i for i in range(start, len(lines) + 1)
               if i == len(lines) or not lines[i].startswith("|"))
    table = [row for row in lines[start + 1:end] if not only.owns_row(row)]
    where = next((j for j, row in enumerate(lines[start + 1:end]) if only.owns_row(row)),
                 len(table))
    lines[start + 1:end] = table[:where] + [target_row(target)] + table[where:]
    text = "\n".join(lines)
    details, _, rest = text.partition("\n## Details\n")
    # The measured sections end where the analysis (a level-2 heading) starts.
    at = rest.find("\n## ")
    body = rest if at < 0 else rest[:at]
    parts = [p for p in body.split("\n### ") if not ("### " + p).startswith(only.heading)]
    body = "\n### ".join(parts).rstrip("\n") + "\n\n" + section
    analysis = ANALYSIS.read_text(encoding="utf-8") if ANALYSIS.is_file() else ""
    return f"{details}\n## Details\n{body}\n" + ("\n" + analysis if analysis else "")


def write_one(r: Results, target: Target, only: Only) -> None:
    """One measurement (`--only NAME`, measured into `r`) written into the report, keeping the
    rest: from --work's results.json when the run that wrote the report left one there, else
    by replacing the target's row and section in the report in place."""
    a = r.args
    saved = a.work / "results.json"
    data = json.loads(saved.read_text(encoding="utf-8")) if saved.is_file() else {}
    if data.get("report", str(a.report.resolve())) != str(a.report.resolve()):
        data = {}  # that run wrote another report
    if data:  # the results of the run that wrote the report (as --rerender reads them)
        old = [Target(**t) for t in data["targets"]]
        mine = {only.target, only.group}
        keep = [t for t in old if t.name not in mine]
        where = next((i for i, t in enumerate(old) if t.name in mine), len(keep))
        sections = [s for s in data["sections"] if not s.startswith(only.heading)]
        merged = Results(a, dt.datetime.fromisoformat(data["started"]),
                         keep[:where] + [target] + keep[where:],
                         sections + r.sections, {**data["raw"], **r.raw})
        write_report(merged, a.report, dt.datetime.fromisoformat(data["finished"]),
                     data["command"])
    elif a.report.is_file():  # no results.json: replace the row and section in place
        a.report.write_text(splice_report(a.report.read_text(encoding="utf-8"), target,
                                          r.sections[-1], only), encoding="utf-8")
    else:
        write_report(r, a.report)


def rerender(a: argparse.Namespace) -> None:
    """The report written again from --work's results.json (after editing bench/ANALYSIS.md)."""
    saved = json.loads((a.work / "results.json").read_text(encoding="utf-8"))
    r = Results(a, dt.datetime.fromisoformat(saved["started"]),
                [Target(**t) for t in saved["targets"]], saved["sections"], saved["raw"])
    write_report(r, a.report, dt.datetime.fromisoformat(saved["finished"]), saved["command"])
