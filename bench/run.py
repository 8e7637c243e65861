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
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import offline_circ, predict_pairs

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
ANALYSIS = BENCH / "ANALYSIS.md"
SAMPLE = ROOT / "sample_data"
GB = 1 << 30
MB = 1 << 20


@dataclass
class Measure:
    """One child process: its wall time, peak RSS and the JSON it printed."""

    seconds: float
    rss: int
    result: dict[str, Any]
    stderr: str = ""
    cpu: float = 0.0  # user + system seconds of the process and its threads


@dataclass
class Target:
    name: str
    target: str
    measured: str
    ok: bool | None  # None: not measured here
    note: str = ""


@dataclass
class Results:
    args: argparse.Namespace
    started: dt.datetime
    targets: list[Target] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


RESUME: dict[str, bool] = {"on": False}


def child(argv: list[str], log: Path, python: str = sys.executable,
          env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> Measure:
    """Run `python ARGV` in the repository; time it and read its peak RSS from the kernel.

    Each measure is saved beside its log; with --resume, a saved one is used instead of running
    the case again (an interrupted run goes on where it stopped)."""
    saved = log.with_suffix(".json")
    if RESUME["on"] and saved.is_file():
        data = json.loads(saved.read_text(encoding="utf-8"))
        return Measure(data["seconds"], data["rss"], data["result"], cpu=data.get("cpu", 0.0))
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as out, log.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([python, *argv], cwd=ROOT, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    stderr = log.read_text(encoding="utf-8", errors="replace")
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}); see {log}:\n"
                           f"{stderr[-3000:]}")
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    measure = Measure(seconds, usage.ru_maxrss * 1024, result, stderr,
                      usage.ru_utime + usage.ru_stime)
    saved.write_text(json.dumps({"argv": argv, "seconds": seconds, "rss": measure.rss,
                                 "cpu": measure.cpu, "result": result}, default=str),
                     encoding="utf-8")
    return measure


def case(name: str, args: list[str], log: Path, **kw: Any) -> Measure:
    return child(["-m", "bench.cases", name, *args], log, **kw)


def generated(data: Path, users: int, institutions: int, seed: int) -> bool:
    try:
        meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (meta.get("users"), meta.get("institutions"), meta.get("seed")) == (
        users, institutions, seed)


def ensure_data(r: Results, users: int) -> Path:
    a = r.args
    data = a.work / f"data-{users}"
    if a.regenerate or not generated(data, users, a.institutions, a.seed):
        m = child(["-m", "simulator", "--quiet", "generate", "--users", str(users),
                   "--institutions", str(a.institutions), "--seed", str(a.seed),
                   "--out", str(data)], a.work / "logs" / f"generate-{users}.log")
        r.raw.setdefault("generate", {})[str(users)] = {"seconds": m.seconds, "rss": m.rss}
    return data


def fmt_s(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 10 else f"{seconds:.2f} s"


def fmt_b(n: float) -> str:
    return f"{n / GB:.2f} GB" if n >= GB else f"{n / MB:.0f} MB"


def rows_of(data: Path) -> dict[str, dict[str, int]]:
    meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, int]] = meta["rows"]
    return rows


# -- the benchmarks ---------------------------------------------------------------------------

def bench_predict(r: Results, data: Path) -> Measure:
    """predict vs the hand-written script; the ledgers must be equal."""
    a, logs = r.args, r.args.work / "logs"
    runs = a.work / "runs"
    pm = case("predict", ["--data", str(data), "--out", str(runs / "predict"),
                          "--memory-limit", a.memory_limit], logs / "predict.log")
    hm = case("hand", ["--data", str(data), "--out", str(runs / "hand"),
                       "--memory-limit", a.memory_limit], logs / "hand.log")
    same = case("same-ledger", ["--left", str(runs / "predict" / "ledger.parquet"),
                                "--right", str(runs / "hand" / "ledger.parquet"),
                                "--memory-limit", a.memory_limit],
                logs / "same-ledger.log").result
    ratio = pm.seconds / hm.seconds
    r.raw["predict"] = {"seconds": pm.seconds, "rss": pm.rss, **pm.result}
    r.raw["hand"] = {"seconds": hm.seconds, "rss": hm.rss, **hm.result}
    r.raw["same_ledger"] = same
    note = "same ledger" if same["same"] else (
        f"LEDGERS DIFFER in {same['differ']}, e.g. {same['sample'][:2]}")
    r.targets.append(Target(
        "predict vs the same classification as one hand-written DuckDB script",
        "≤ 1.3×", f"{ratio:.2f}× ({fmt_s(pm.seconds)} vs {fmt_s(hm.seconds)})",
        ratio <= 1.3 and same["same"], note))
    r.targets.append(Target(
        f"peak RSS of predict at {a.users:,} users (--memory-limit {a.memory_limit})",
        "≤ 1.5 GB", fmt_b(pm.rss), pm.rss <= 1.5 * GB,
        f"hand script: {fmt_b(hm.rss)}"))
    r.sections.append(
        f"### predict, step by step ({a.users:,} users, {pm.result['rows']:,} ledger rows)\n\n"
        f"Wall time of the process {fmt_s(pm.seconds)}, peak RSS {fmt_b(pm.rss)}; the steps "
        "are predict's own progress steps.\n\n| step | time | CPU | share |\n|---|---|---|---|\n"
        f"{step_rows(pm.result, True)}\n\nThe hand-written script ({fmt_s(hm.seconds)}, peak "
        f"RSS {fmt_b(hm.rss)}):\n\n| step | time | CPU |\n|---|---|---|\n"
        f"{step_rows(hm.result)}\n")
    return pm


def step_rows(result: dict[str, Any], share: bool = False) -> str:
    """A table's rows: each step's wall and CPU seconds (and its share of the wall time)."""
    cpu = dict(result.get("cpu_steps", []))
    return "\n".join(
        f"| {name} | {fmt_s(s)} | {fmt_s(cpu[name]) if name in cpu else '–'} |"
        + (f" {100 * s / result['seconds']:.0f} % |" if share else "")
        for name, s in result["steps"])


def bench_profile(r: Results, data: Path) -> None:
    a = r.args
    m = case("profile", ["--data", str(data), "--out", str(a.work / "runs" / "profile"),
                         "--memory-limit", a.memory_limit], a.work / "logs" / "profile.log")
    r.raw["profile"] = m.result
    total = sum(s for _, s in m.result["parts"] if not _.startswith("the entity"))
    parts = "\n".join(f"| {n} | {fmt_s(s)} | {100 * s / total:.0f} % |"
                      for n, s in m.result["parts"])
    entities = "\n".join(f"| {n} | {fmt_s(s)} |" for n, s in m.result["entities"][:8])
    r.sections.append(
        "### Profile: where predict's time goes\n\npredict's work taken apart and timed piece "
        f"by piece in one process (`python -m bench.cases profile`, {fmt_s(m.seconds)} in all)."
        "\n\n| part | time | share |\n|---|---|---|\n"
        f"{parts}\n\nThe slowest entity queries, each run alone (`select count(*)` over the "
        "compiled SQL):\n\n| entity | time |\n|---|---|\n"
        f"{entities}\n")


def bench_users(r: Results, data: Path) -> None:
    """The users part: compiled SQL vs pandas; then 10 vs 110 rules."""
    a, logs, work = r.args, r.args.work / "logs", r.args.work / "users"
    work.mkdir(parents=True, exist_ok=True)
    sql = case("users-sql", ["--data", str(data), "--out", str(work / "sql.parquet"),
                             "--memory-limit", a.memory_limit], logs / "users-sql.log")
    pandas = case("users-pandas", ["--data", str(data), "--out", str(work / "pandas.parquet")],
                  logs / "users-pandas.log")
    same = case("same-users", ["--left", str(work / "sql.parquet"),
                               "--right", str(work / "pandas.parquet")],
                logs / "same-users.log").result
    ratio = pandas.seconds / sql.seconds
    r.raw["users_sql"] = {"seconds": sql.seconds, "rss": sql.rss, **sql.result}
    r.raw["users_pandas"] = {"seconds": pandas.seconds, "rss": pandas.rss, **pandas.result}
    r.targets.append(Target(
        "the users rules: compiled DuckDB SQL vs the same in pandas", "≥ 15× faster",
        f"{ratio:.1f}× ({fmt_s(sql.seconds)} vs {fmt_s(pandas.seconds)}; peak RSS "
        f"{fmt_b(sql.rss)} vs {fmt_b(pandas.rss)})", ratio >= 15 and same["same"],
        "same rule for every user" if same["same"] else f"RESULTS DIFFER: {same}"))
    # Rule count: the default users rules plus a generated layer, 10 and 110 rules in all.
    from simulator.synth.generate import write_rule_layer

    layers = {n: write_rule_layer(work / f"layer-{n}", n - 8) for n in (10, 110)}
    times: dict[int, list[float]] = {10: [], 110: []}
    inner: dict[int, list[float]] = {10: [], 110: []}
    for i in range(a.repeat):
        for n in ((10, 110) if i % 2 == 0 else (110, 10)):
            m = case("users-sql", ["--data", str(data), "--rules", str(layers[n]),
                                   "--out", str(work / f"rules-{n}.parquet"),
                                   "--memory-limit", a.memory_limit],
                     logs / f"users-rules-{n}-{i}.log")
            times[n].append(m.seconds)
            inner[n].append(dict(m.result["steps"])["classifying"])
    med = {n: statistics.median(v) for n, v in times.items()}
    imed = {n: statistics.median(v) for n, v in inner.items()}
    m = case("rules-interleaved", ["--data", str(data), "--rules", str(layers[10]),
                                   "--rules", str(layers[110]), "--repeat",
                                   str(2 * a.repeat + 1), "--memory-limit", a.memory_limit],
             logs / "rules-interleaved.log")
    qmed = {int(n): statistics.median(v) for n, v in m.result["times"].items()}
    extra = qmed[110] / qmed[10] - 1
    r.raw["rules"] = {"process": times, "classifying": inner, "interleaved": m.result["times"]}
    r.targets.append(Target(
        "the users entity with 110 rules instead of 10 (one pass per entity)", "< 10 % more",
        f"{100 * extra:+.1f} % (the users query, {fmt_s(qmed[10])} vs {fmt_s(qmed[110])}, "
        f"median of {2 * a.repeat + 1} interleaved runs in one process); whole processes: "
        f"{100 * (med[110] / med[10] - 1):+.1f} % (median of {a.repeat}; classifying "
        f"{100 * (imed[110] / imed[10] - 1):+.1f} %)", extra < 0.10,
        "the worst case: a mixed layer whose rules are guarded by three columns, 25 of them "
        "only by status = 'INACTIVE'"))
    # The usual layer: one rule per local user group.
    groups = {n: write_rule_layer(work / f"groups-{n}", n - 8, shape="groups") for n in (10, 110)}
    m = case("rules-interleaved", ["--data", str(data), "--rules", str(groups[10]),
                                   "--rules", str(groups[110]), "--repeat",
                                   str(2 * a.repeat + 1), "--memory-limit", a.memory_limit],
             logs / "rules-interleaved-groups.log")
    gmed = {int(n): statistics.median(v) for n, v in m.result["times"].items()}
    r.raw["rules_groups"] = m.result["times"]
    r.targets.append(Target(
        "the same with a layer of one rule per local user group", "< 10 % more",
        f"{100 * (gmed[110] / gmed[10] - 1):+.1f} % ({fmt_s(gmed[10])} vs {fmt_s(gmed[110])}, "
        f"median of {2 * a.repeat + 1} interleaved runs)", gmed[110] / gmed[10] - 1 < 0.10,
        "`user_group = 'LOCAL017' and ...`: the run is decided behind one hash join"))


def bench_verify(r: Results, data: Path, predict_run: Path) -> None:
    """cutover verify (the users, and the whole ledger) vs datacompy on the users
    reconciliation."""
    a, logs, work = r.args, r.args.work / "logs", r.args.work / "verify"
    work.mkdir(parents=True, exist_ok=True)
    # `cutover verify --prediction RUN --post DIR` (the library call, to time its steps).
    measures = {}
    for name, extra in (("verify", []), ("verify-users", ["--entity", "users"])):
        vm = case("verify", ["--run", str(predict_run), "--data", str(data),
                             "--out", str(work / name), "--memory-limit", a.memory_limit,
                             *extra], logs / f"{name}-steps.log")
        r.raw[name.replace("-", "_")] = {"seconds": vm.seconds, "rss": vm.rss, **vm.result}
        measures[name] = vm
        steps = "\n".join(f"| {step} | {fmt_s(s)} | {100 * s / vm.result['seconds']:.0f} % |"
                          for step, s in vm.result["steps"])
        r.sections.append(
            f"### verify{' --entity users' if extra else ''}, step by step\n\n"
            f"`cutover verify --prediction RUN --post DIR{' --entity users' if extra else ''}` "
            f"at {a.users:,} users: {fmt_s(vm.seconds)}, peak RSS {fmt_b(vm.rss)}; its own "
            f"progress steps:\n\n| step | time | share |\n|---|---|---|\n{steps}\n")
    vm = measures["verify-users"]
    case("expected-users", ["--run", str(predict_run), "--data", str(data),
                            "--out", str(work / "users")], logs / "expected-users.log")
    sm = case("reconcile-sql", ["--prepared", str(work / "users"),
                                "--memory-limit", a.memory_limit], logs / "reconcile-sql.log")
    r.raw["reconcile_sql"] = {"seconds": sm.seconds, "rss": sm.rss, **sm.result}
    python = a.compare_python
    if not python or not Path(python).exists():
        r.targets.append(Target("cutover verify vs datacompy on the users reconciliation",
                                "≥ 10× faster", "not measured", None,
                                "datacompy is not installed here (make bench installs it)"))
        return
    dm = child([str(BENCH / "datacompy_case.py"), str(work / "users")],
               logs / "datacompy.log", python=python)
    r.raw["datacompy"] = {"seconds": dm.seconds, "rss": dm.rss, **dm.result}
    dp = child([str(BENCH / "datacompy_case.py"), str(work / "users"), "pandas"],
               logs / "datacompy-pandas.log", python=python)
    r.raw["datacompy_pandas"] = {"seconds": dp.seconds, "rss": dp.rss, **dp.result}
    r.targets.append(Target(
        "users reconciliation: the same check as one DuckDB query vs datacompy (pandas)",
        "(reference)", f"{dp.seconds / sm.seconds:.1f}× ({fmt_s(sm.seconds)} vs "
                       f"{fmt_s(dp.seconds)}; peak RSS {fmt_b(sm.rss)} vs {fmt_b(dp.rss)})",
        None, f"datacompy (pandas) finds {dp.result['only_expected']} missing, "
              f"{dp.result['only_actual']} unexpected, {dp.result['mismatched']} mismatched"))
    ratio = dm.seconds / vm.seconds
    agree = all(dm.result[k] == sm.result[k] for k in ("only_expected", "only_actual",
                                                        "mismatched"))
    r.targets.append(Target(
        "users reconciliation: the same check as one DuckDB query vs datacompy (polars)",
        "(reference)", f"{dm.seconds / sm.seconds:.1f}× ({fmt_s(sm.seconds)} vs "
                       f"{fmt_s(dm.seconds)}; peak RSS {fmt_b(sm.rss)} vs {fmt_b(dm.rss)})",
        None, "both processes read the same two prepared Parquet files"))
    whole = measures["verify"]
    r.targets.append(Target(
        "cutover verify --entity users vs datacompy (polars), the users reconciliation",
        "≥ 10× faster",
        f"{ratio:.2f}× ({fmt_s(vm.seconds)} vs {fmt_s(dm.seconds)}; peak RSS {fmt_b(vm.rss)} "
        f"vs {fmt_b(dm.rss)}); every entity: {fmt_s(whole.seconds)}", ratio >= 10,
        f"datacompy {dm.result.get('datacompy')} (polars {dm.result.get('polars')}) finds "
        f"{dm.result['only_expected']} missing, {dm.result['only_actual']} unexpected, "
        f"{dm.result['mismatched']} mismatched users; the same users query in DuckDB takes "
        f"{fmt_s(sm.seconds)} and " + ("agrees" if agree else f"DISAGREES: {sm.result}")))


def bench_report(r: Results, pm: Measure, predict_run: Path) -> None:
    a = r.args
    size = pm.result["report_bytes"]
    r.targets.append(Target(f"report.html at {a.users:,} users", "≤ 25 MB", fmt_b(size),
                            size <= 25 * MB))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        r.targets.append(Target("report.html opens in headless Chromium", "< 3 s",
                                "not measured", None, "Chromium is not installed"))
        return
    m = case("render", ["--html", str(predict_run / "report.html"), "--chromium", chromium],
             a.work / "logs" / "render.log")
    r.raw["render"] = m.result
    total = m.result["load_seconds"] + m.result["open_users_seconds"]
    r.targets.append(Target(
        "report.html in headless Chromium: load, then open the users section", "< 3 s",
        f"{fmt_s(total)} ({fmt_s(m.result['load_seconds'])} load + "
        f"{fmt_s(m.result['open_users_seconds'])} to show {m.result['rows']:,} rows)",
        total < 3 and not m.result["errors"],
        "page errors: " + "; ".join(m.result["errors"]) if m.result["errors"] else ""))


def bench_scaling(r: Results, main_data: Path, main_predict: Measure) -> None:
    a = r.args
    points: list[tuple[int, int, float]] = []  # users, ledger rows, seconds
    for users in a.scales:
        data = ensure_data(r, users)
        m = case("predict", ["--data", str(data), "--out", str(a.work / "runs" / f"s-{users}"),
                             "--memory-limit", a.memory_limit],
                 a.work / "logs" / f"predict-{users}.log")
        points.append((users, m.result["rows"], m.seconds))
    points.append((a.users, main_predict.result["rows"], main_predict.seconds))
    points.sort()
    r.raw["scaling"] = points
    base_users, base_rows, base_s = points[0]
    worst = max(s / base_s / (rows / base_rows) for _, rows, s in points)
    lines = "\n".join(
        f"| {u:,} | {rows:,} | {fmt_s(s)} | {s / rows * 1e6:.2f} s | "
        f"{s / base_s / (rows / base_rows):.2f} |" for u, rows, s in points)
    r.sections.append(
        "### Row scaling (predict, whole process)\n\n| users | ledger rows | time | per "
        f"million rows | time ratio ÷ row ratio (vs {base_users:,}) |\n|---|---|---|---|---|\n"
        f"{lines}\n")
    r.targets.append(Target(
        f"row scaling {', '.join(f'{u / 1e6:g}M' for u, _, _ in points)} users",
        "linear or better", f"worst time ratio ÷ row ratio {worst:.2f}", worst <= 1.15,
        "≤ 1.15 counts as linear (fixed start-up costs make small runs dearer per row)"))


DEMO_TARGET = "`cutover demo` vs one `cutover predict` of the sample (the same inputs)"
DEMO_GROUP = "cutover demo vs one predict (the sample)"
DEMO_HEADING = "### cutover demo vs one cutover predict"
LEGACY_TARGET = ("`cutover snapshot import flat` of a Sierra-style loans export vs DuckDB's own "
                 "`read_csv` of the same file into Parquet")
LEGACY_GROUP = "legacy loans: snapshot import flat vs DuckDB's read_csv"
LEGACY_HEADING = "### snapshot import flat vs DuckDB's read_csv"
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
DEMO_FOLDERS = ("verify-cutover", "verify-fulfillment", "verify-golive", "readiness", "whatif")


def demo_argv(name: str, out: Path) -> list[str]:
    """The two commands as a user types them (`--quiet`), each writing under `out`."""
    if name == "demo":
        return ["-m", "simulator", "--quiet", "demo", "--out", str(out)]
    return ["-m", "simulator", "--quiet", "predict", "--pre", str(SAMPLE / "freeze"),
            "--extract", str(SAMPLE / "extract"), "--scenario", str(SAMPLE / "scenario.yaml"),
            "--testload", str(SAMPLE / "testload"), "--out", str(out)]


def demo_once(r: Results, name: str, i: int) -> Measure:
    """One process of `cutover demo` or `cutover predict`, into a fresh folder under --work."""
    folder = r.args.work / "demo" / f"{i}-{name}"
    log = r.args.work / "logs" / "demo" / f"{name}-{i}.log"
    if RESUME["on"] and log.with_suffix(".json").is_file():
        return child(demo_argv(name, folder / name), log)  # the saved measure
    shutil.rmtree(folder, ignore_errors=True)
    # predict exits 1 (FINDINGS): the sample has blockers on purpose.
    m = child(demo_argv(name, folder / name), log, ok=(0, 1))
    wanted = [name] + [f"{name}-{f}" for f in DEMO_FOLDERS if name == "demo"]
    missing = [f for f in wanted if not (folder / f / "report.html").is_file()]
    if missing:
        raise RuntimeError(f"{name} {i} wrote no report in {', '.join(missing)} ({folder})")
    return m


def bench_demo(r: Results, separately: bool = False) -> Target:
    """`cutover demo` vs one `cutover predict` of the sample: interleaved pairs of processes
    (the first of each pair alternates), medians compared."""
    a = r.args
    runs: dict[str, list[Measure]] = {"demo": [], "predict": []}
    for i in range(a.demo_repeat):
        for name in ("demo", "predict") if i % 2 == 0 else ("predict", "demo"):
            runs[name].append(demo_once(r, name, i))
    secs = {n: [m.seconds for m in ms] for n, ms in runs.items()}
    rss = {n: max(m.rss for m in ms) for n, ms in runs.items()}
    med = {n: statistics.median(v) for n, v in secs.items()}
    ratio = med["demo"] / med["predict"]
    pairs = [d / p for d, p in zip(secs["demo"], secs["predict"], strict=True)]
    r.raw["demo"] = {"seconds": secs, "rss": {n: [m.rss for m in ms] for n, ms in runs.items()},
                     "pair_ratios": pairs, "ratio": ratio}
    spread = (f"medians of {len(pairs)} interleaved pairs; pair ratios "
              f"{min(pairs):.2f}–{max(pairs):.2f}×" if len(pairs) > 1 else "one pair")
    when = (f"; measured {r.started.date().isoformat()} by `python -m bench.run "
            f"{' '.join(sys.argv[1:]) or '--only demo'}`" if separately else "")
    target = Target(
        DEMO_TARGET, "≤ 3×",
        f"{ratio:.2f}× ({fmt_s(med['demo'])} vs {fmt_s(med['predict'])}, {spread})",
        ratio <= 3,
        f"peak RSS {fmt_b(rss['demo'])} vs {fmt_b(rss['predict'])}{when}")
    r.targets.append(target)
    r.sections.append(demo_section(secs, rss, pairs, med, ratio))
    return target


def demo_section(secs: dict[str, list[float]], rss: dict[str, int], pairs: list[float],
                 med: dict[str, float], ratio: float) -> str:
    rows = "\n".join(
        f"| {i + 1} | {'demo' if i % 2 == 0 else 'predict'} | {fmt_s(d)} | {fmt_s(p)} | "
        f"{q:.2f}× |" for i, (d, p, q) in enumerate(zip(secs["demo"], secs["predict"], pairs,
                                                           strict=True)))
    return (
        f"{DEMO_HEADING} (the sample)\n\n"
        "`cutover --quiet demo --out DIR` (predict, verify at three stages, readiness and "
        "what-if with three variants, on one Session) against `cutover --quiet predict --pre "
        "sample_data/freeze --extract sample_data/extract --scenario sample_data/scenario.yaml "
        "--testload sample_data/testload --out DIR`, each its own process, in pairs whose first "
        "alternates; the run folders are under --work. Medians: "
        f"{fmt_s(med['demo'])} vs {fmt_s(med['predict'])}, {ratio:.2f}×; demo "
        f"{fmt_s(min(secs['demo']))}–{fmt_s(max(secs['demo']))}, predict "
        f"{fmt_s(min(secs['predict']))}–{fmt_s(max(secs['predict']))}; peak RSS "
        f"{fmt_b(rss['demo'])} vs {fmt_b(rss['predict'])}. Only this measurement: "
        "`python -m bench.run --only demo` (it replaces this section and its row in the "
        "targets, and keeps the rest).\n\n"
        "| pair | first | demo | predict | ratio |\n|---|---|---|---|---|\n"
        f"{rows}\n")


# -- legacy flat files: snapshot import flat vs DuckDB's read_csv ------------------------------

# The baseline: DuckDB's CSV reader of the loans file with its dialect, its `  -  -  ` for no
# value and the same date formats as the mapping, written as zstd Parquet (as the import
# writes), in a plain Python process that imports only duckdb. FILE is the file's literal.
LEGACY_READ_CSV = (
    "read_csv(FILE, header = true, delim = ',', quote = '\"', escape = '\"', "
    "nullstr = '  -  -  ', auto_detect = false, columns = {'RECORD #(ITEM)': 'VARCHAR', "
    "'OUT DATE': 'TIMESTAMP', 'RECORD #(PATRON)': 'VARCHAR', 'DUE DATE': 'DATE', "
    "'ITEM BARCODE': 'VARCHAR'}, timestampformat = '%m-%d-%Y %H:%M', dateformat = '%m-%d-%Y')")
LEGACY_BASELINE = """\
import json, sys, time
import duckdb
start = time.perf_counter()
src, dest, limit, spill, read_csv = sys.argv[1:6]
def q(text): return "'" + text.replace("'", "''") + "'"
con = duckdb.connect()
con.execute(f"set memory_limit = {q(limit)}")
con.execute(f"set temp_directory = {q(spill)}")
rows = con.execute(f"copy (select * from {read_csv.replace('FILE', q(src))}) to {q(dest)} "
                   "(format parquet, compression zstd)").fetchone()[0]
con.close()
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))
"""
LEGACY_SIDES = ("import", "read_csv")


def ensure_legacy(r: Results) -> tuple[Path, dict[str, Any]]:
    """The generated export under --work (written once per line count and seed, in this
    process: about 40 s for 10,000,000 lines)."""
    from bench import cases

    a = r.args
    data = a.work / f"legacy-{a.legacy_lines}"
    try:
        meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if a.regenerate or (meta.get("lines"), meta.get("seed"), meta.get("version")) != (
            a.legacy_lines, a.seed, cases.LEGACY_VERSION):
        shutil.rmtree(data, ignore_errors=True)
        meta = cases.case_legacy_data(argparse.Namespace(out=data, lines=a.legacy_lines,
                                                         seed=a.seed))
        r.raw.setdefault("generate", {})[f"legacy-{a.legacy_lines}"] = meta["seconds"]
    return data, meta


def legacy_argv(name: str, data: Path, out: Path, a: argparse.Namespace) -> list[str]:
    """The import as a user types it, or the baseline script; each writes under `out`."""
    if name == "import":
        return ["-m", "simulator", "--quiet", "snapshot", "import", "flat", str(data),
                "--mapping", str(data / "mapping.yaml"), "--stage", "extract",
                "--institution", "NFU", "--taken-at", "2026-03-02T07:00:00Z",
                "--out", str(out / "extract"), "--memory-limit", a.memory_limit]
    return ["-c", LEGACY_BASELINE, str(data / "loans.csv"), str(out / "loans.parquet"),
            a.memory_limit, str(a.work / "legacy-spill"), LEGACY_READ_CSV]


def legacy_written(name: str, out: Path) -> Path:
    return out / "extract" / "loans.parquet" if name == "import" else out / "loans.parquet"


def legacy_once(r: Results, data: Path, name: str, i: int) -> Measure:
    """One process of the import or of the baseline, into a fresh folder under --work."""
    folder = r.args.work / "legacy-runs" / f"{i}-{name}"
    log = r.args.work / "logs" / "legacy" / f"{name}-{i}.log"
    argv = legacy_argv(name, data, folder, r.args)
    if RESUME["on"] and log.with_suffix(".json").is_file():
        return child(argv, log)  # the saved measure
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    m = child(argv, log)
    if not legacy_written(name, folder).is_file():
        raise RuntimeError(f"{name} {i} wrote no loans.parquet in {folder}")
    return m


def legacy_same(a: argparse.Namespace, imported: Path, baseline: Path) -> dict[str, Any]:
    """Rows of both files, and how many rows differ, taken in order, in the columns both have
    (loan and item, the two dates) or lack the patron the import looked up: the import keeps
    the file's order, reads the dates as DuckDB's reader does and finds every patron."""
    from simulator import db

    if not (imported.is_file() and baseline.is_file()):
        return {}
    con = db.connect(memory_limit=a.memory_limit)
    try:
        i, b = (f"read_parquet({db.literal(str(p))})" for p in (imported, baseline))
        rows = [int(con.one(f"select count(*) from {t}")) for t in (i, b)]
        differ = int(con.one(
            f"select count(*) from (select * from {i}) i positional join (select * from {b}) b "
            "where i.loan_id is distinct from b.\"RECORD #(ITEM)\" "
            "or i.item_barcode is distinct from b.\"ITEM BARCODE\" "
            "or i.loan_date is distinct from b.\"OUT DATE\" "
            "or i.due_date is distinct from cast(b.\"DUE DATE\" as timestamp) "
            "or i.primary_id is null"))
    finally:
        con.close()
    return {"rows": rows, "differ": differ}


def bench_legacy(r: Results, separately: bool = False) -> Target:
    """`cutover snapshot import flat` of the loans (and the patrons they look up) vs DuckDB's
    read_csv of the loans into Parquet: interleaved pairs of processes, medians compared; then
    the import's steps timed in one more process."""
    a = r.args
    data, meta = ensure_legacy(r)
    runs: dict[str, list[Measure]] = {n: [] for n in LEGACY_SIDES}
    for i in range(a.legacy_repeat):
        for name in LEGACY_SIDES if i % 2 == 0 else LEGACY_SIDES[::-1]:
            runs[name].append(legacy_once(r, data, name, i))
    last = {n: legacy_written(n, a.work / "legacy-runs" / f"{a.legacy_repeat - 1}-{n}")
            for n in LEGACY_SIDES}
    same = legacy_same(a, last["import"], last["read_csv"])
    profile = None if a.smoke else legacy_profile(a, data)
    secs = {n: [m.seconds for m in ms] for n, ms in runs.items()}
    rss = {n: max(m.rss for m in ms) for n, ms in runs.items()}
    med = {n: statistics.median(v) for n, v in secs.items()}
    ratio = med["import"] / med["read_csv"]
    pairs = [x / y for x, y in zip(secs["import"], secs["read_csv"], strict=True)]
    r.raw["legacy"] = {"data": meta, "seconds": secs,
                       "rss": {n: [m.rss for m in ms] for n, ms in runs.items()},
                       "pair_ratios": pairs, "ratio": ratio, "same": same, "profile": profile}
    spread = (f"medians of {len(pairs)} interleaved pairs; pair ratios "
              f"{min(pairs):.2f}–{max(pairs):.2f}×" if len(pairs) > 1 else "one pair")
    ok = bool(same) and same["rows"] == [meta["lines"]] * 2 and same["differ"] == 0
    check = (f"the same {meta['lines']:,} loans in the same order, every patron found"
             if ok else f"OUTPUTS DIFFER: {same or 'not compared'}")
    when = (f"; measured {r.started.date().isoformat()} by `python -m bench.run "
            f"{' '.join(sys.argv[1:]) or '--only legacy'}`" if separately else "")
    target = Target(
        LEGACY_TARGET, "≤ 1.5×",
        f"{ratio:.2f}× at {meta['lines']:,} lines ({fmt_s(med['import'])} vs "
        f"{fmt_s(med['read_csv'])}, {spread})", ratio <= 1.5 and ok,
        f"peak RSS {fmt_b(rss['import'])} vs {fmt_b(rss['read_csv'])}; {check}{when}")
    r.targets.append(target)
    r.sections.append(legacy_section(a, meta, secs, rss, pairs, med, ratio, profile))
    return target


def legacy_profile(a: argparse.Namespace, data: Path) -> dict[str, Any]:
    """The import's steps timed in one more process (not with --smoke: the smoke test checks
    that the steps it wraps exist, and stays short)."""
    out = a.work / "legacy-runs" / "profile"
    log = a.work / "logs" / "legacy" / "profile.log"
    if not (RESUME["on"] and log.with_suffix(".json").is_file()):
        shutil.rmtree(out, ignore_errors=True)
    return case("legacy-profile", ["--data", str(data), "--out", str(out / "extract"),
                                   "--memory-limit", a.memory_limit], log).result


def legacy_section(a: argparse.Namespace, meta: dict[str, Any], secs: dict[str, list[float]],
                   rss: dict[str, int], pairs: list[float], med: dict[str, float], ratio: float,
                   profile: dict[str, Any] | None) -> str:
    rows = "\n".join(
        f"| {i + 1} | {LEGACY_SIDES[i % 2]} | {fmt_s(x)} | {fmt_s(y)} | {q:.2f}× |"
        for i, (x, y, q) in enumerate(zip(secs["import"], secs["read_csv"], pairs,
                                          strict=True)))
    return (
        f"{LEGACY_HEADING} ({meta['lines']:,} loan lines)\n\n"
        f"The files (`python -m bench.cases legacy-data`, written once under --work): a "
        f"Sierra-style loans export of {meta['lines']:,} lines ({fmt_b(meta['loans_bytes'])}; "
        "`\"RECORD #(ITEM)\",\"OUT DATE\",\"RECORD #(PATRON)\",\"DUE DATE\",\"ITEM BARCODE\"`, "
        "every field quoted, US dates such as `04-04-2016 16:29`, `  -  -  ` for no date), "
        f"a patrons file of {meta['patrons']:,} lines ({fmt_b(meta['patrons_bytes'])}; "
        "pipe-delimited Latin-1, coded patron types) whose record numbers the loans' patron "
        "column is looked up in, and the mapping.\n\n"
        "(a) `cutover --quiet snapshot import flat DIR --mapping DIR/mapping.yaml --stage "
        f"extract --institution NFU --out DIR --memory-limit {a.memory_limit}`: both files "
        "read, the patrons converted to UTF-8 and their types recoded, each loan's patron "
        "looked up, the dates parsed, written as Parquet in the file's order, and validated. "
        "(b) a plain Python process that imports only duckdb, with the same memory limit: "
        f"`COPY (SELECT * FROM {LEGACY_READ_CSV.replace('FILE', chr(39) + 'loans.csv' + chr(39))}"
        ") TO 'loans.parquet' (FORMAT parquet, COMPRESSION zstd)`. Each is its own process, "
        "in pairs whose first alternates. Medians: "
        f"{fmt_s(med['import'])} vs {fmt_s(med['read_csv'])}, {ratio:.2f}×; import "
        f"{fmt_s(min(secs['import']))}–{fmt_s(max(secs['import']))}, read_csv "
        f"{fmt_s(min(secs['read_csv']))}–{fmt_s(max(secs['read_csv']))}; peak RSS "
        f"{fmt_b(rss['import'])} vs {fmt_b(rss['read_csv'])}. Only this measurement: "
        "`python -m bench.run --only legacy` (it replaces this section and its row in the "
        "targets, and keeps the rest).\n\n"
        "| pair | first | import | read_csv | ratio |\n|---|---|---|---|---|\n"
        f"{rows}\n\n{legacy_steps_text(profile)}")


def legacy_steps_text(profile: dict[str, Any] | None) -> str:
    if profile is None:
        return "The import's steps are timed in full runs (not with --smoke).\n"
    total = profile["seconds"]
    steps = "\n".join(f"| {n} | {fmt_s(s)} | {100 * s / total:.0f} % |"
                      for n, s in profile["parts"])
    whatif = "\n".join(f"| {n} | {fmt_s(s)} |" for n, s in profile["whatif"])
    return (
        "Where the import's time goes: the same library call in one more process "
        f"(`python -m bench.cases legacy-profile`), {fmt_s(total)}, with each of the importer's "
        "steps timed:\n\n"
        f"| step | time | share |\n|---|---|---|\n{steps}\n\n"
        "What two steps cost done otherwise (the unsorted write in the same process, right "
        "after the sorted one; the reads on a fresh connection):\n\n"
        f"| variant | time |\n|---|---|\n{whatif}\n")


# -- offline circulation: parsing and the whole check (bench/offline_circ.py) -----------------

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
    runs = [child(offline_circ.check_argv(data, a.work / "offline-runs" / f"{i}"),
                  logs / f"check-{i}.log", ok=(0, 1)) for i in range(a.offline_repeat)]
    seconds = [m.seconds for m in runs]
    rss = max(m.rss for m in runs)
    lines = profile["lines"]
    per = profile["parse_seconds"] / lines * offline_circ.PER
    whole = statistics.median(seconds)
    r.raw["offline"] = {"profile": profile, "seconds": seconds, "rss": rss}
    when = (f"; measured {r.started.date().isoformat()} by `python -m bench.run "
            f"{' '.join(sys.argv[1:]) or '--only offline-circ'}`" if separately else "")
    target = Target(
        offline_circ.TARGET, "≤ 1 s per 10,000 lines",
        f"{per:.3f} s per 10,000 lines ({fmt_s(profile['parse_seconds'])} for {lines:,})",
        per <= 1 and profile["malformed"] == 0,
        f"the whole check of {lines:,} lines {fmt_s(whole)} per process "
        f"({whole / lines * offline_circ.PER:.2f} s per 10,000 lines), peak RSS "
        f"{fmt_b(rss)}{when}")
    r.targets.append(target)
    r.sections.append(offline_circ.section(lines, profile, seconds, rss, fmt_s, fmt_b))
    return target


# -- the report ---------------------------------------------------------------------------------

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
    a = p.parse_args(argv)
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
    only = ONLY[name]
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
    print(f"{'ok  ' if target.ok else 'MISS'} {target.name}: {target.measured} "
          f"(target {target.target})\nwritten: {a.report}", flush=True)


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


def main(argv: list[str] | None = None) -> None:
    a = parse(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    RESUME["on"] = a.resume
    if a.rerender:
        saved = json.loads((a.work / "results.json").read_text(encoding="utf-8"))
        r = Results(a, dt.datetime.fromisoformat(saved["started"]),
                    [Target(**t) for t in saved["targets"]], saved["sections"], saved["raw"])
        write_report(r, a.report, dt.datetime.fromisoformat(saved["finished"]),
                     saved["command"])
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
