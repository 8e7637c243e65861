"""predict at the main scale (docs/benchmarks.md): against the hand-written script, taken apart
by the profile, its report.html in headless Chromium, and its time as the rows grow."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench.measure import GB, MB, Measure, Results, Target, case, ensure_data, fmt_b, fmt_s


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
