"""`cutover demo` against one `cutover predict` of the bundled sample (docs/benchmarks.md):
`python -m bench.run --only demo`, or a group of the full run. No generated data."""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

from bench.measure import RESUME, SAMPLE, Measure, Results, Target, child, fmt_b, fmt_s
from simulator.cli.demo import DEMO_FOLDERS

DEMO_TARGET = "`cutover demo` vs one `cutover predict` of the sample (the same inputs)"
DEMO_GROUP = "cutover demo vs one predict (the sample)"
DEMO_HEADING = "### cutover demo vs one cutover predict"


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
