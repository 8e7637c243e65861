"""cutover verify at the main scale (docs/benchmarks.md): its steps, whole and for the users
alone, and the users reconciliation against datacompy (bench/datacompy_case.py, in the bench's
own environment) and against the same check as one DuckDB query."""

from __future__ import annotations

from pathlib import Path

from bench.measure import BENCH, Measure, Results, Target, case, child, fmt_b, fmt_s


def bench_verify(r: Results, data: Path, predict_run: Path) -> None:
    """cutover verify (the users, and the whole ledger) vs datacompy on the users
    reconciliation."""
    a, logs, work = r.args, r.args.work / "logs", r.args.work / "verify"
    work.mkdir(parents=True, exist_ok=True)
    measures = {name: verify_steps(r, data, predict_run, name, extra)
                for name, extra in (("verify", []), ("verify-users", ["--entity", "users"]))}
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
    against_datacompy(r, python, sm, measures)


def verify_steps(r: Results, data: Path, predict_run: Path, name: str,
                 extra: list[str]) -> Measure:
    """`cutover verify --prediction RUN --post DIR` (the library call, to time its steps)."""
    a, work = r.args, r.args.work / "verify"
    vm = case("verify", ["--run", str(predict_run), "--data", str(data),
                         "--out", str(work / name), "--memory-limit", a.memory_limit,
                         *extra], a.work / "logs" / f"{name}-steps.log")
    r.raw[name.replace("-", "_")] = {"seconds": vm.seconds, "rss": vm.rss, **vm.result}
    steps = "\n".join(f"| {step} | {fmt_s(s)} | {100 * s / vm.result['seconds']:.0f} % |"
                      for step, s in vm.result["steps"])
    r.sections.append(
        f"### verify{' --entity users' if extra else ''}, step by step\n\n"
        f"`cutover verify --prediction RUN --post DIR{' --entity users' if extra else ''}` "
        f"at {a.users:,} users: {fmt_s(vm.seconds)}, peak RSS {fmt_b(vm.rss)}; its own "
        f"progress steps:\n\n| step | time | share |\n|---|---|---|\n{steps}\n")
    return vm


def against_datacompy(r: Results, python: str, sm: Measure,
                      measures: dict[str, Measure]) -> None:
    """datacompy (polars, then pandas) on the prepared users, against `cutover verify --entity
    users` and against the same check as one DuckDB query (`sm`)."""
    logs, work = r.args.work / "logs", r.args.work / "verify"
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
    vm = measures["verify-users"]
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
