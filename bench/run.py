"""The benchmark runner (docs/benchmarks.md): `make bench`, or `python -m bench.run [--smoke]`.

Generates the synthetic consortium (`cutover generate`) at each scale under --work (never in
the repository), runs every contender as its own process (bench/cases.py) side by side in one
run, and writes docs/benchmarks.md: the machine, the command, the date, each target with the
measured ratio, the profile of predict, and bench/ANALYSIS.md (the explanations and plans).
Wall time is the parent's clock around the child process; peak RSS is the child's, from the
kernel (`wait4`). Ratios compare runs made minutes apart on the same machine: the machine is
shared and noisy, so absolute seconds vary more between runs than the ratios do.

`python -m bench.run --only demo` measures only `cutover demo` against one `cutover predict` of
the bundled sample (about a minute; no generated data) and writes that one target and its
section into the report, keeping every other measured result: from --work's results.json when
a run left one there (as --rerender reads it), else by replacing the demo's row and section in
the existing report. `--demo-repeat N` sets the number of interleaved pairs.

`python -m bench.run --only legacy` likewise measures only `cutover snapshot import flat` of a
generated Sierra-style loans export (`--legacy-lines`, 10,000,000 by default; written once under
--work by `python -m bench.cases legacy-data`) against DuckDB's own `read_csv` of the same file
into Parquet in a plain Python process (`--legacy-repeat N` interleaved pairs), then times the
import's steps in one more process (`python -m bench.cases legacy-profile`).

`python -m bench.run --only offline-circ` measures only the offline circulation check
(bench/offline_circ.py): a file of `--offline-lines` transactions (50,000 by default) parsed in
one process, then checked whole by `cutover offline-circ check` (`--offline-repeat` processes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from bench import offline_circ, predict_pairs
from bench.demo_bench import DEMO_GROUP, bench_demo
from bench.legacy_bench import LEGACY_GROUP, bench_legacy
from bench.measure import (
    RESUME,
    ROOT,
    Results,
    Target,
    case,
    ensure_data,
    fmt_b,
    fmt_s,
    rows_of,
)
from bench.offline_circ import bench_offline
from bench.predict_bench import bench_predict, bench_profile, bench_report, bench_scaling
from bench.report import ONLY, rerender, write_one, write_report
from bench.users_bench import bench_users
from bench.verify_bench import bench_verify


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--users", type=int, default=5_000_000, help="the main scale")
    p.add_argument("--scales", default="500000,1000000,2000000",
                   help="smaller scales for row scaling (comma separated)")
    p.add_argument("--institutions", type=int, default=12)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--repeat", type=int, default=3, help="runs of each rule-count case")
    p.add_argument("--work", type=Path, default=None,
                   help="data, runs and logs (default: cutover-bench[-smoke] in the temp folder)")
    p.add_argument("--report", type=Path, default=None,
                   help="default: docs/benchmarks.md (with --smoke: benchmarks.md in --work)")
    p.add_argument("--compare-python", default=str(ROOT / ".venv" / "bench" / "bin" / "python"),
                   help="the Python that has datacompy and polars (bench/requirements.txt)")
    p.add_argument("--regenerate", action="store_true", help="generate the data again")
    p.add_argument("--resume", action="store_true",
                   help="reuse the measures an interrupted run saved in --work/logs")
    p.add_argument("--rerender", action="store_true",
                   help="only write the report again from --work's results.json (after "
                        "editing bench/ANALYSIS.md)")
    p.add_argument("--smoke", action="store_true",
                   help="a tiny run that checks the harness (tests/test_bench_smoke.py)")
    p.add_argument("--only", choices=tuple(ONLY), default=None,
                   help="demo: only `cutover demo` vs one `cutover predict` of the sample; "
                        "legacy: only `cutover snapshot import flat` of a loans export vs "
                        "DuckDB's read_csv of it; offline-circ: only parsing and checking an "
                        "offline circulation file; predict: only predict vs the lean script in "
                        "interleaved pairs at --predict-users; written into the report beside "
                        "the results "
                        "measured before")
    p.add_argument("--demo-repeat", type=int, default=None,
                   help="interleaved pairs of demo and predict (default 5; 1 with --smoke)")
    p.add_argument("--legacy-lines", type=int, default=None,
                   help="lines of the generated loans export (default 10,000,000; 3,000 with "
                        "--smoke)")
    p.add_argument("--legacy-repeat", type=int, default=None,
                   help="interleaved pairs of import and read_csv (default 3; 1 with --smoke)")
    p.add_argument("--offline-lines", type=int, default=None,
                   help="lines of the offline circulation file (default 50,000; 2,000 with "
                        "--smoke)")
    p.add_argument("--predict-users", default=None,
                   help="scales of --only predict (default 2000000,5000000; 1000 with --smoke)")
    p.add_argument("--predict-repeat", type=int, default=None,
                   help="interleaved pairs of predict and the lean script per scale (default 3)")
    p.add_argument("--offline-repeat", type=int, default=None,
                   help="processes of the whole offline-circ check (default 3; 1 with --smoke)")
    return settle(p.parse_args(argv))


def settle(a: argparse.Namespace) -> argparse.Namespace:
    """The defaults that hang on --smoke, and the paths and lists the options name."""
    a.demo_repeat = a.demo_repeat or (1 if a.smoke else 5)
    a.legacy_lines = a.legacy_lines or (3000 if a.smoke else 10_000_000)
    a.legacy_repeat = a.legacy_repeat or (1 if a.smoke else 3)
    a.offline_lines = a.offline_lines or (2000 if a.smoke else 50_000)
    a.offline_repeat = a.offline_repeat or (1 if a.smoke else 3)
    a.predict_users = [int(u) for u in str(a.predict_users or ("1000" if a.smoke else
                                                               "2000000,5000000")).split(",")]
    a.predict_repeat = a.predict_repeat or (1 if a.smoke else 3)
    if a.smoke:
        a.users, a.scales, a.repeat, a.institutions = 1000, "400", 1, 2
        a.memory_limit = "512MB"
    a.work = a.work or Path(tempfile.gettempdir()) / ("cutover-bench-smoke" if a.smoke
                                                      else "cutover-bench")
    a.report = a.report or (a.work / "benchmarks.md" if a.smoke
                            else ROOT / "docs" / "benchmarks.md")
    a.scales = [int(s) for s in str(a.scales).split(",") if s.strip()]
    return a


def only_one(a: argparse.Namespace, name: str) -> None:
    """Measure one target alone (`--only demo` or `--only legacy`) and write it into the
    report, keeping the rest."""
    r = Results(a, dt.datetime.now(dt.UTC).replace(microsecond=0))
    if name == "demo":
        print(f"… {DEMO_GROUP}: {a.demo_repeat} pair(s) in {a.work}", flush=True)
        target = bench_demo(r, separately=True)
    elif name == "offline-circ":
        print(f"… {offline_circ.GROUP}: {a.offline_lines:,} lines in {a.work}", flush=True)
        target = bench_offline(r, separately=True)
    elif name == "predict":
        target = predict_pairs.run(r, ensure_data, case, Target, fmt_s, fmt_b)
    else:
        print(f"… {LEGACY_GROUP}: {a.legacy_lines:,} lines, {a.legacy_repeat} pair(s) in "
              f"{a.work}", flush=True)
        target = bench_legacy(r, separately=True)
    write_one(r, target, ONLY[name])
    print(f"{'ok  ' if target.ok else 'MISS'} {target.name}: {target.measured} "
          f"(target {target.target})\nwritten: {a.report}", flush=True)


def main(argv: list[str] | None = None) -> None:
    a = parse(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    RESUME["on"] = a.resume
    if a.rerender:
        rerender(a)
        print(f"written: {a.report}")
        return
    if a.only:
        only_one(a, a.only)
        return
    r = Results(a, dt.datetime.now(dt.UTC).replace(microsecond=0))
    print(f"benchmarks at {a.users:,} users in {a.work}\n… generating data", flush=True)
    data = ensure_data(r, a.users)
    r.raw["main_rows"] = {f"{stage} {table}": n for stage, tables in rows_of(data).items()
                          for table, n in tables.items()
                          if table in ("users", "user_roles", "patrons", "items", "loans",
                                       "requests") and stage != "cutover"}
    print("… predict vs the hand-written script", flush=True)
    pm = bench_predict(r, data)
    predict_run = a.work / "runs" / "predict"
    groups = [
        ("the users part: pandas, rule count", lambda: bench_users(r, data)),
        ("verify vs datacompy", lambda: bench_verify(r, data, predict_run)),
        ("the report", lambda: bench_report(r, pm, predict_run)),
        ("profile", lambda: bench_profile(r, data)),
        ("row scaling", lambda: bench_scaling(r, data, pm)),
        (DEMO_GROUP, lambda: bench_demo(r)),
        (LEGACY_GROUP, lambda: bench_legacy(r)),
        (offline_circ.GROUP, lambda: bench_offline(r)),
    ]
    for name, run in groups:
        print(f"… {name}", flush=True)
        try:
            run()
        except Exception as e:  # one failed benchmark must not lose the others' numbers
            r.targets.append(Target(name, "", "failed", False, str(e).splitlines()[0]))
            print(f"failed: {name}: {e}", file=sys.stderr, flush=True)
    write_report(r, a.report)
    for t in r.targets:
        print(f"{'ok  ' if t.ok else '--  ' if t.ok is None else 'MISS'} {t.name}: "
              f"{t.measured} (target {t.target})", flush=True)
    print(f"written: {a.report}", flush=True)


if __name__ == "__main__":
    main()
