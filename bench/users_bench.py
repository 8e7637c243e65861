"""The users part at the main scale (docs/benchmarks.md): its compiled SQL against the same
rules in pandas, then what more rules cost, with a worst-case layer and with the usual one."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.measure import Results, Target, case, fmt_b, fmt_s


def bench_users(r: Results, data: Path) -> None:
    """The users part: compiled SQL vs pandas; then 10 vs 110 rules."""
    work = r.args.work / "users"
    work.mkdir(parents=True, exist_ok=True)
    users_vs_pandas(r, data, work)
    rule_count(r, data, work)
    rule_groups(r, data, work)


def users_vs_pandas(r: Results, data: Path, work: Path) -> None:
    """The compiled users entity against the same rules in pandas; each user's rule must be
    the same."""
    a, logs = r.args, r.args.work / "logs"
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


def rule_count(r: Results, data: Path, work: Path) -> None:
    """The default users rules plus a generated layer, 10 and 110 rules in all: whole processes
    in interleaved pairs, then the users query alone, interleaved in one process."""
    from simulator.synth.generate import write_rule_layer

    a, logs = r.args, r.args.work / "logs"
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
    raw, qmed = interleaved(r, data, layers, "rules-interleaved")
    extra = qmed[110] / qmed[10] - 1
    r.raw["rules"] = {"process": times, "classifying": inner, "interleaved": raw}
    r.targets.append(Target(
        "the users entity with 110 rules instead of 10 (one pass per entity)", "< 10 % more",
        f"{100 * extra:+.1f} % (the users query, {fmt_s(qmed[10])} vs {fmt_s(qmed[110])}, "
        f"median of {2 * a.repeat + 1} interleaved runs in one process); whole processes: "
        f"{100 * (med[110] / med[10] - 1):+.1f} % (median of {a.repeat}; classifying "
        f"{100 * (imed[110] / imed[10] - 1):+.1f} %)", extra < 0.10,
        "the worst case: a mixed layer whose rules are guarded by three columns, 25 of them "
        "only by status = 'INACTIVE'"))


def rule_groups(r: Results, data: Path, work: Path) -> None:
    """The usual layer: one rule per local user group."""
    from simulator.synth.generate import write_rule_layer

    a = r.args
    groups = {n: write_rule_layer(work / f"groups-{n}", n - 8, shape="groups") for n in (10, 110)}
    raw, gmed = interleaved(r, data, groups, "rules-interleaved-groups")
    r.raw["rules_groups"] = raw
    r.targets.append(Target(
        "the same with a layer of one rule per local user group", "< 10 % more",
        f"{100 * (gmed[110] / gmed[10] - 1):+.1f} % ({fmt_s(gmed[10])} vs {fmt_s(gmed[110])}, "
        f"median of {2 * a.repeat + 1} interleaved runs)", gmed[110] / gmed[10] - 1 < 0.10,
        "`user_group = 'LOCAL017' and ...`: the run is decided behind one hash join"))


def interleaved(r: Results, data: Path, layers: dict[int, Path],
                log: str) -> tuple[Any, dict[int, float]]:
    """The users query with the 10- and the 110-rule layer in turn in one process: its times
    as the case printed them, and their medians by rule count."""
    a = r.args
    m = case("rules-interleaved", ["--data", str(data), "--rules", str(layers[10]),
                                   "--rules", str(layers[110]), "--repeat",
                                   str(2 * a.repeat + 1), "--memory-limit", a.memory_limit],
             a.work / "logs" / f"{log}.log")
    return m.result["times"], {int(n): statistics.median(v)
                               for n, v in m.result["times"].items()}
