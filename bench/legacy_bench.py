"""`cutover snapshot import flat` of a generated Sierra-style loans export against DuckDB's own
`read_csv` of the same file into Parquet (docs/benchmarks.md): `python -m bench.run --only
legacy`, or a group of the full run. The files and the import's profile are cases of
bench/legacy_cases.py."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.measure import RESUME, Measure, Results, Target, case, child, fmt_b, fmt_s

LEGACY_TARGET = ("`cutover snapshot import flat` of a Sierra-style loans export vs DuckDB's own "
                 "`read_csv` of the same file into Parquet")
LEGACY_GROUP = "legacy loans: snapshot import flat vs DuckDB's read_csv"
LEGACY_HEADING = "### snapshot import flat vs DuckDB's read_csv"

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
    from bench import legacy_cases

    a = r.args
    data = a.work / f"legacy-{a.legacy_lines}"
    try:
        meta = json.loads((data / "generated.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if a.regenerate or (meta.get("lines"), meta.get("seed"), meta.get("version")) != (
            a.legacy_lines, a.seed, legacy_cases.LEGACY_VERSION):
        shutil.rmtree(data, ignore_errors=True)
        meta = legacy_cases.case_legacy_data(argparse.Namespace(out=data, lines=a.legacy_lines,
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

