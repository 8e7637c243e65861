"""The offline circulation check at a busy desk's scale (docs/benchmarks.md): the cases that
`python -m bench.cases offline-data` and `offline-profile` run, and the runner's measurement
and the section it writes (`python -m bench.run --only offline-circ`).

The file: `--lines` transactions of the sample institution between its fulfillment freeze and
go-live (simulator/synth/offline_circ.py, `busy_lines`), each item returned when on loan and
loaned otherwise, so nearly every line is right and the whole check and replay run on it. The
target: parsing takes under a second per 10,000 lines; the whole check is timed beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import Results, Target, case, child, fmt_b, fmt_s

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FILE = "OffCirc.dat"
TARGET = "parsing an offline circulation file (`cutover offline-circ check`)"
GROUP = "offline circulation: parsing and the whole check"
HEADING = "### offline-circ check of a busy offline circulation file"
PER = 10_000  # the target is per this many lines


def check_argv(data: Path, out: Path) -> list[str]:
    """The whole check as a user types it."""
    return ["-m", "simulator", "--quiet", "offline-circ", "check", str(data / FILE),
            "--snapshot", str(SAMPLE / "post-fulfillment"), "--scenario",
            str(SAMPLE / "scenario.yaml"), "--out", str(out)]


def case_offline_data(a: argparse.Namespace) -> dict[str, Any]:
    """The file in --out (--lines lines, --seed), from the sample after its fulfillment load."""
    from simulator.synth.offline_circ import busy_lines

    start = time.perf_counter()
    after = {table: list(csv.DictReader((SAMPLE / "post-fulfillment" / f"{table}.csv").open(
        encoding="utf-8", newline=""))) for table in ("items", "loans", "users")}
    a.out.mkdir(parents=True, exist_ok=True)
    with (a.out / FILE).open("w", encoding="utf-8", newline="") as f:
        f.writelines(f"{line}\r\n" for line in busy_lines(after, a.lines, a.seed))
    meta = {"lines": a.lines, "seed": a.seed, "bytes": (a.out / FILE).stat().st_size}
    (a.out / "generated.json").write_text(json.dumps(meta), encoding="utf-8")
    return {**meta, "seconds": time.perf_counter() - start}


def case_offline_profile(a: argparse.Namespace) -> dict[str, Any]:
    """Parsing timed alone (--repeat times, the fastest kept), then the command's library call
    with each of its steps timed."""
    from bench.case_kit import Clock
    from simulator.commands.offline_circ.command import Request, check
    from simulator.inputs import offline_circ

    data = (a.data / FILE).read_bytes()
    times = []
    for _ in range(a.repeat):
        start = time.perf_counter()
        parsed = offline_circ.parse(data)
        times.append(time.perf_counter() - start)
    clock = Clock()
    done = check(Request(a.data / FILE, SAMPLE / "post-fulfillment", SAMPLE / "scenario.yaml",
                         a.out, memory_limit=a.memory_limit), progress=clock)
    timed = clock.done()
    return {"lines": len(parsed.lines), "malformed": len(parsed.errors),
            "parse_seconds": min(times), "parse_all": times, "check": timed,
            "not_ok": done.not_ok, "replay": done.summary["replay"]}


def bench_offline(r: Results, separately: bool = False) -> Target:
    """Parsing timed in one process, then the whole check of the same file, each run its own
    process (`--offline-repeat`); the target is parsing under a second per 10,000 lines."""
    a = r.args
    data = a.work / f"offline-{a.offline_lines}"
    logs = a.work / "logs" / "offline"
    case("offline-data", ["--out", str(data), "--lines", str(a.offline_lines),
                          "--seed", str(a.seed)], logs / "data.log")
    profile = case("offline-profile", ["--data", str(data), "--out",
                                       str(a.work / "offline-runs" / "profile"),
                                       "--memory-limit", a.memory_limit], logs / "profile.log"
                   ).result
    runs = [child(check_argv(data, a.work / "offline-runs" / f"{i}"),
                  logs / f"check-{i}.log", ok=(0, 1)) for i in range(a.offline_repeat)]
    seconds = [m.seconds for m in runs]
    rss = max(m.rss for m in runs)
    lines = profile["lines"]
    per = profile["parse_seconds"] / lines * PER
    whole = statistics.median(seconds)
    r.raw["offline"] = {"profile": profile, "seconds": seconds, "rss": rss}
    when = (f"; measured {r.started.date().isoformat()} by `python -m bench.run "
            f"{' '.join(sys.argv[1:]) or '--only offline-circ'}`" if separately else "")
    target = Target(
        TARGET, "≤ 1 s per 10,000 lines",
        f"{per:.3f} s per 10,000 lines ({fmt_s(profile['parse_seconds'])} for {lines:,})",
        per <= 1 and profile["malformed"] == 0,
        f"the whole check of {lines:,} lines {fmt_s(whole)} per process "
        f"({whole / lines * PER:.2f} s per 10,000 lines), peak RSS "
        f"{fmt_b(rss)}{when}")
    r.targets.append(target)
    r.sections.append(section(lines, profile, seconds, rss))
    return target



def section(lines: int, profile: dict[str, Any], seconds: list[float], rss: int) -> str:
    """The details section: the file, parsing, the check's steps, the whole process."""
    parse = profile["parse_seconds"]
    steps = "\n".join(f"| {name} | {fmt_s(s)} |" for name, s in profile["check"]["steps"])
    runs = ", ".join(fmt_s(s) for s in seconds)
    replay = profile["replay"]
    return (
        f"{HEADING} ({lines:,} lines)\n\n"
        f"The file (`python -m bench.cases offline-data`, written under --work): {lines:,} "
        "transactions of the sample institution between its fulfillment freeze and go-live, "
        "each item returned when on loan and loaned to a patron otherwise; checked against "
        "`sample_data/post-fulfillment` with `sample_data/scenario.yaml`. Parsing alone "
        f"(`simulator.inputs.offline_circ.parse` of the file's bytes, the fastest of "
        f"{len(profile['parse_all'])}): {fmt_s(parse)}, {parse / lines * PER:.3f} s per "
        f"{PER:,} lines ({profile['malformed']} malformed). The replay: "
        f"{replay['succeeded']:,} transactions succeed, {replay['failed']:,} fail, "
        f"{profile['not_ok']:,} lines are not ok.\n\n"
        f"The check's steps in one process (`python -m bench.cases offline-profile`), "
        f"{fmt_s(profile['check']['seconds'])} in all:\n\n| step | time |\n|---|---|\n{steps}\n\n"
        f"The whole command, each its own process (`cutover --quiet offline-circ check "
        f"{FILE} --snapshot sample_data/post-fulfillment --scenario sample_data/scenario.yaml "
        f"--out DIR`; start-up, imports and the snapshot's validation included): {runs}; peak "
        f"RSS {fmt_b(rss)}. Only this measurement: `python -m bench.run --only offline-circ` "
        "(it replaces this section and its row in the targets, and keeps the rest).\n")
