"""predict against the lean hand-written script (bench/hand_predict.sql) in interleaved pairs
of processes at several scales: `python -m bench.run --only predict` (docs/benchmarks.md).

Each pair runs `bench.cases predict` and `bench.cases hand` on the same generated data under
the same `--memory-limit`, the first of the pair alternating; the ledgers of the last pair must
be equal. Wall time is what the target is about; the processes' CPU time (user + system, from
the kernel) is recorded beside it, as it moves less when the shared machine is busy.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET = "predict vs the lean hand-written script, interleaved pairs (validation included)"
GROUP = "predict vs the lean script at several scales"
HEADING = "### predict vs the lean script, interleaved pairs"
NAMES = ("predict", "hand")


def measure(a: Any, data: Path, case: Callable[..., Any]) -> dict[str, Any]:
    """`a.predict_repeat` interleaved pairs on `data`; medians, spreads and the ledger check."""
    runs = a.work / "runs" / "pairs" / data.name
    logs = a.work / "logs" / "pairs" / data.name
    seen: dict[str, list[Any]] = {n: [] for n in NAMES}
    for i in range(a.predict_repeat):
        for name in NAMES if i % 2 == 0 else NAMES[::-1]:
            seen[name].append(case(name, ["--data", str(data), "--out", str(runs / name),
                                          "--memory-limit", a.memory_limit],
                                   logs / f"{name}-{i}.log"))
    same = case("same-ledger", ["--left", str(runs / "predict" / "ledger.parquet"),
                                "--right", str(runs / "hand" / "ledger.parquet"),
                                "--memory-limit", a.memory_limit], logs / "same.log").result
    out: dict[str, Any] = {"same": same["same"], "rows": same["rows"][0]}
    for name, ms in seen.items():
        out[name] = {"seconds": [m.seconds for m in ms], "cpu": [m.cpu for m in ms],
                     "rss": max(m.rss for m in ms)}
    med = {k: {n: statistics.median(out[n][k]) for n in NAMES} for k in ("seconds", "cpu")}
    out["ratio"] = med["seconds"]["predict"] / med["seconds"]["hand"]
    out["cpu_ratio"] = med["cpu"]["predict"] / med["cpu"]["hand"]
    out["pairs"] = [p / h for p, h in zip(out["predict"]["seconds"], out["hand"]["seconds"],
                                          strict=True)]
    return out


def row(users: int, m: dict[str, Any], fmt_s: Callable[[float], str],
        fmt_b: Callable[[float], str]) -> str:
    med = {n: statistics.median(m[n]["seconds"]) for n in NAMES}
    cpu = {n: statistics.median(m[n]["cpu"]) for n in NAMES}
    return (f"| {users:,} | {m['rows']:,} | {fmt_s(med['hand'])} | {fmt_s(med['predict'])} | "
            f"**{m['ratio']:.2f}×** ({min(m['pairs']):.2f}–{max(m['pairs']):.2f}×) | "
            f"{fmt_s(cpu['hand'])} | {fmt_s(cpu['predict'])} | {m['cpu_ratio']:.2f}× | "
            f"{fmt_b(m['predict']['rss'])} | {'yes' if m['same'] else '**NO**'} |")


def section(a: Any, by_users: dict[int, dict[str, Any]], fmt_s: Callable[[float], str],
            fmt_b: Callable[[float], str], when: str) -> str:
    rows = "\n".join(row(u, m, fmt_s, fmt_b) for u, m in sorted(by_users.items()))
    return (
        f"{HEADING}\n\n"
        f"`python -m bench.cases predict` (predict as the command runs it: rules checked, every "
        f"snapshot read and validated, classified, the run folder with ledger, summary and "
        f"report written) against `python -m bench.cases hand` (bench/hand_predict.sql: one "
        f"scan per entity, no validation, side, entity, rule id and every text as ENUM values, "
        f"the same sorted zstd ledger), both under `--memory-limit {a.memory_limit}`, "
        f"{a.predict_repeat} interleaved pair(s) per scale (the first of a pair alternates); "
        f"medians. {when}\n\n"
        "| users | ledger rows | lean script | predict | ratio (pairs) | script CPU | "
        "predict CPU | CPU ratio | predict peak RSS | same ledger |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n")


def run(r: Any, ensure_data: Callable[[Any, int], Path], case: Callable[..., Any],
        target_of: Callable[..., Any], fmt_s: Callable[[float], str],
        fmt_b: Callable[[float], str]) -> Any:
    a = r.args
    by_users: dict[int, dict[str, Any]] = {}
    for users in a.predict_users:
        print(f"… {GROUP}: {users:,} users, {a.predict_repeat} pair(s)", flush=True)
        by_users[users] = measure(a, ensure_data(r, users), case)
    r.raw["predict_pairs"] = {str(u): m for u, m in by_users.items()}
    measured = "; ".join(f"{m['ratio']:.2f}× at {u / 1e6:g}M users" for u, m in
                         sorted(by_users.items()))
    ok = all(m["ratio"] <= 1.3 and m["same"] for m in by_users.values())
    rss = max(m["predict"]["rss"] for m in by_users.values())
    when = (f"Measured {r.started.date().isoformat()} by `python -m bench.run "
            f"{' '.join(sys.argv[1:])}`.")
    target = target_of(TARGET, "≤ 1.3×", measured, ok,
                       "CPU time: " + "; ".join(f"{m['cpu_ratio']:.2f}×" for _, m in
                                                 sorted(by_users.items()))
                       + f"; peak RSS of predict {fmt_b(rss)}")
    r.targets.append(target)
    r.sections.append(section(a, by_users, fmt_s, fmt_b, when))
    return target
