"""`cutover diff RUN_A RUN_B`: two saved run folders compared record by record.

Any two folders with a ledger (predict runs, verify runs, the runs inside a what-if folder): the
records that changed outcome or rule, appeared or disappeared, the findings that appeared, cleared
or changed, the discrepancies that appeared or cleared (verify runs), and which inputs differ,
from the manifests' hashes (rule pack, snapshot files, scenario, variant, tool).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.render import ChangeTable, DiffReport, InputChange, matrix_view, render_diff
from simulator import db
from simulator.core import compare
from simulator.errors import Collector, Loc, display_path
from simulator.output import runfolder
from simulator.privacy import mask_emails

LEDGER = "ledger.parquet"
DISCREPANCIES = "discrepancies.parquet"
LEDGER_NEEDS = ("side", "entity", "record_key", "outcome", "rule_id")
DISCREPANCY_NEEDS = ("side", "entity", "record_key", "class")
DIFF_COLUMNS = ("change", *compare.CHANGE_COLUMNS)


@dataclass
class RunFolder:
    path: Path
    summary: dict[str, Any]
    discrepancies: bool

    @property
    def shown(self) -> str:
        return display_path(self.path)

    @property
    def manifest(self) -> dict[str, Any]:
        m = self.summary.get("manifest")
        return m if isinstance(m, dict) else {}

    def info(self) -> dict[str, Any]:
        return {
            "name": self.path.name,
            "path": self.shown,
            "kind": str(self.summary.get("kind", "")),
            "stage": str(self.summary.get("stage", "")),
            "variant": str(self.summary.get("variant", "")),
            "institution": str(self.summary.get("institution", "")),
            "timestamp": str(self.manifest.get("timestamp", "")),
            "verdict": str(self.summary.get("verdict", "")),
        }


COMPARE_RUNS = "compare two of its runs, e.g. {run}/variants/base and {run}/variants/<name>"


def open_run(path: Path, role: str, problems: Collector,
             use: str = COMPARE_RUNS) -> RunFolder | None:
    """A run folder's summary, checked enough to compare it; problems are collected. `use`:
    what to do with a what-if folder's runs instead (`{run}` is the folder; verify takes
    one of them)."""
    shown = display_path(path)
    if not path.is_dir():
        problems.add(Loc(shown), f"{role}: run folder not found")
        return None
    marker = path / runfolder.SUMMARY
    if not marker.is_file():
        problems.add(Loc(shown), f"{role}: not a run folder (no {runfolder.SUMMARY})")
        return None
    try:
        summary = json.loads(marker.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        problems.add(Loc(display_path(marker), e.lineno, e.colno),
                     f"{role}: {runfolder.SUMMARY} is not valid JSON ({e.msg})")
        return None
    except (OSError, UnicodeDecodeError) as e:
        problems.add(Loc(display_path(marker)), f"{role}: cannot read {runfolder.SUMMARY}: {e}")
        return None
    if not isinstance(summary, dict):
        problems.add(Loc(display_path(marker), 1, 1), f"{role}: {runfolder.SUMMARY} is not a "
                                                      "run summary (expected an object)")
        return None
    if summary.get("kind") in ("whatif", "diff"):
        hint = "; " + use.format(run=shown) if summary.get("kind") == "whatif" else ""
        problems.add(Loc(shown), f"{role}: a {summary['kind']} folder has no ledger of its "
                                 f"own{hint}")
        return None
    if not (path / LEDGER).is_file():
        problems.add(Loc(shown), f"{role}: no {LEDGER} in this run folder")
        return None
    return RunFolder(path, summary, (path / DISCREPANCIES).is_file())


@dataclass
class DiffRun:
    out: Path
    summary: dict[str, Any]


def run(
    run_a: Path,
    run_b: Path,
    out: Path,
    show_pii: bool = False,
    csv_mode: str = "auto",
    command: list[str] | None = None,
    progress: Callable[[str], None] = lambda step: None,
) -> DiffRun:
    """Compare two saved runs record by record into the folder `out`."""
    a, b = _open_both(run_a, run_b, out)
    con = db.connect()
    try:
        progress("reading the ledgers")
        problems = Collector()
        for name, r in (("a", a), ("b", b)):
            _view(con, f"{name}_ledger", r.path / LEDGER, LEDGER_NEEDS, problems)
        if a.discrepancies and b.discrepancies:
            for name, r in (("a", a), ("b", b)):
                _view(con, f"{name}_disc", r.path / DISCREPANCIES, DISCREPANCY_NEEDS, problems)
        problems.raise_if_any()
        progress("comparing")
        summary = _compare(con, a, b, csv_mode, command)
        with_csv, disc = summary["changes"]["csv"], summary["discrepancy_changes"]

        def fill(folder: Path) -> None:
            ordered = (f"select {', '.join(DIFF_COLUMNS)} from changes "
                       "order by side, entity, record_key")
            compare.export(con, ordered, folder, "changes", csv=with_csv)
            if disc is not None:
                compare.export(con, "select * from disc_changes order by all", folder,
                               "discrepancy_changes")
            (folder / runfolder.SUMMARY).write_text(
                json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n",
                encoding="utf-8")
            report = diff_report(con, summary, show_pii)
            (folder / "report.html").write_text(render_diff(report), encoding="utf-8")

        progress("writing the diff folder")
        runfolder.write_folder(out, fill)
    finally:
        con.close()
    return DiffRun(out, summary)


def _open_both(run_a: Path, run_b: Path, out: Path) -> tuple[RunFolder, RunFolder]:
    """Both run folders (every problem of both together); `out` may replace neither."""
    problems = Collector()
    a = open_run(run_a, "RUN_A", problems)
    b = open_run(run_b, "RUN_B", problems)
    problems.raise_if_any()
    assert a is not None and b is not None
    runfolder.check_out(out, folders=[("one of the runs compared", r.path) for r in (a, b)])
    return a, b


def _compare(con: db.Connection, a: RunFolder, b: RunFolder, csv_mode: str,
             command: list[str] | None) -> dict[str, Any]:
    """Table `changes` and the summary of the comparison."""
    con.execute(f"create temp table changes as select {compare.kind_sql()} as change, * "
                f"from ({compare.changes_sql('a_ledger', 'b_ledger')})")
    rows = int(con.one("select count(*) from changes"))
    with_csv = csv_mode == "always" or (csv_mode == "auto" and rows <= runfolder.CSV_MAX_ROWS)
    matrices = compare.matrices(con, "a_ledger", "b_ledger")
    findings = compare.finding_changes(_findings(a), _findings(b))
    return {
        "kind": "diff",
        "a": a.info(),
        "b": b.info(),
        "inputs": [i.__dict__ for i in compare_inputs(a.manifest, b.manifest)],
        "totals": compare.totals(matrices),
        "matrices": matrices,
        "finding_changes": findings,
        "new_blockers": [f["id"] for f in findings if f["new_blocker"]],
        "cleared_blockers": [f["id"] for f in findings if f["cleared_blocker"]],
        "discrepancy_changes": (_discrepancies(con) if a.discrepancies and b.discrepancies
                                else None),
        "changes": {"rows": rows, "csv": with_csv, "columns": list(DIFF_COLUMNS)},
        "warnings": _warnings(a, b),
        "manifest": runfolder.header(command),
    }


def _view(con: db.Connection, name: str, path: Path, needs: tuple[str, ...],
          problems: Collector) -> None:
    shown = display_path(path)
    try:
        con.execute(f"create or replace temp view {db.ident(name)} as select * from "
                    f"read_parquet({db.literal(str(path))})")
        cols = set(con.columns(db.ident(name)))
    except db.DuckDBError as e:
        problems.add(Loc(shown), f"cannot read: {str(e).strip().splitlines()[0]}")
        return
    missing = [c for c in needs if c not in cols]
    if missing:
        problems.add(Loc(shown), f"lacks column{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(missing)}: not a ledger written by this tool")


def _findings(r: RunFolder) -> list[dict[str, Any]]:
    found = r.summary.get("findings", [])
    return [f for f in found if isinstance(f, dict) and "id" in f] if isinstance(found, list) \
        else []


def _warnings(a: RunFolder, b: RunFolder) -> list[str]:
    out = []
    pa, pb = bool(a.manifest.get("pseudonymized")), bool(b.manifest.get("pseudonymized"))
    if pa != pb:
        which = "A" if pa else "B"
        out.append(f"only run {which} has pseudonymised Primary IDs: the records of users, "
                   "patrons and other tables keyed by Primary ID cannot be matched and show as "
                   "appeared and disappeared")
    ia, ib = a.summary.get("institution"), b.summary.get("institution")
    if ia != ib:
        out.append(f"the runs are of different institutions ({ia} and {ib})")
    if a.discrepancies != b.discrepancies:
        which = "A" if a.discrepancies else "B"
        out.append(f"only run {which} has discrepancies (a verify run): discrepancies are not "
                   "compared")
    return out


def _discrepancies(con: db.Connection) -> list[dict[str, Any]]:
    """Discrepancies matched on (side, entity, record_key, class): which appeared, which
    cleared; counts per entity and class."""
    keys = ("side", "entity", "record_key", "class")
    on = " and ".join(f"a.{db.ident(k)} = b.{db.ident(k)}" for k in keys)
    picked = ", ".join(f"coalesce(a.{db.ident(k)}, b.{db.ident(k)}) as {db.ident(k)}"
                       for k in keys)
    con.execute(
        f"create temp table disc_changes as select "
        f"case when a.record_key is null then 'appeared' else 'cleared' end as change, {picked} "
        f"from (select distinct side, entity, record_key, class from a_disc) a full join "
        f"(select distinct side, entity, record_key, class from b_disc) b on {on} "
        "where a.record_key is null or b.record_key is null")
    rows = con.rows("""
        with counts as (
            select side, entity, class, count(*) filter (where src = 'a') as before,
                   count(*) filter (where src = 'b') as after
            from (select 'a' as src, side, entity, class from a_disc
                  union all select 'b', side, entity, class from b_disc)
            group by all),
        moved as (
            select side, entity, class, count(*) filter (where change = 'appeared') as appeared,
                   count(*) filter (where change = 'cleared') as cleared
            from disc_changes group by all)
        select side, entity, class, coalesce(before, 0), coalesce(after, 0),
               coalesce(appeared, 0), coalesce(cleared, 0)
        from counts full join moved using (side, entity, class)
        where coalesce(appeared, 0) + coalesce(cleared, 0) > 0 or before <> after
        order by all""")
    return [{"entity": f"{s}.{e}", "class": c, "before": int(n_a), "after": int(n_b),
             "appeared": int(up), "cleared": int(down)}
            for s, e, c, n_a, n_b, up, down in rows]


# --- inputs ----------------------------------------------------------------------------------


def compare_inputs(ma: dict[str, Any], mb: dict[str, Any]) -> list[InputChange]:
    """What differs between the inputs of two runs, from their manifests."""
    out = []
    ha, hb = ma.get("rule_pack_hash"), mb.get("rule_pack_hash")
    details = []
    if ha != hb:
        details.append(f"hash {str(ha)[:12]}… → {str(hb)[:12]}…")
        fa, fb = set(ma.get("rule_pack_files", [])), set(mb.get("rule_pack_files", []))
        details += [f"only in A: {f}" for f in sorted(fa - fb)]
        details += [f"only in B: {f}" for f in sorted(fb - fa)]
    out.append(InputChange("Rule pack", ha == hb, details))
    sa, sb = ma.get("snapshots") or {}, mb.get("snapshots") or {}
    for name in sorted(set(sa) | set(sb), key=lambda n: (n not in ("pre", "extract"), n)):
        out.append(_snapshot(name, sa.get(name), sb.get(name)))
    out.append(_scenario(ma.get("scenario") or {}, mb.get("scenario") or {}))
    va, vb = ma.get("variant"), mb.get("variant")
    if va or vb:
        same = (va or {}).get("sha256") == (vb or {}).get("sha256")
        shown = [f"{label}: {v['name']} ({v['file']}, {str(v.get('sha256'))[:12]}…)"
                 if v else f"{label}: none" for label, v in (("A", va), ("B", vb))]
        out.append(InputChange("Variant (patches)", same, [] if same else shown))
    tool = [f"{k}: {ma.get(k)} → {mb.get(k)}" for k in ("tool_version", "duckdb_version")
            if ma.get(k) != mb.get(k)]
    out.append(InputChange("Tool", not tool, tool))
    return out


def _snapshot(name: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> InputChange:
    what = f"Snapshot {name}"
    if a is None or b is None:
        return InputChange(what, False, [f"only in {'B' if a is None else 'A'} "
                                       f"({(a or b or {}).get('path', '')})"])
    details = []
    for key in ("path", "stage", "taken_at", "institution"):
        if a.get(key) != b.get(key):
            details.append(f"{key}: {a.get(key)} → {b.get(key)}")
    fa, fb = a.get("files") or {}, b.get("files") or {}
    changed = [f for f in sorted(set(fa) & set(fb)) if fa[f] != fb[f]]
    if changed:
        details.append(f"{len(changed)} file{'s' if len(changed) != 1 else ''} changed: "
                       + ", ".join(changed))
    for label, only in (("A", sorted(set(fa) - set(fb))), ("B", sorted(set(fb) - set(fa)))):
        if only:
            details.append(f"only in {label}: {', '.join(only)}")
    # The files decide: a folder moved or renamed but holding the same bytes is the same input.
    same = not changed and set(fa) == set(fb)
    return InputChange(what, same, details)


def _scenario(a: dict[str, Any], b: dict[str, Any]) -> InputChange:
    details = []
    for group in ("dates", "options"):
        ga, gb = a.get(group) or {}, b.get(group) or {}
        for key in sorted(set(ga) | set(gb)):
            if ga.get(key) != gb.get(key):
                details.append(f"{key}: {_value(ga.get(key))} → {_value(gb.get(key))}")
    for key in ("institution", "allowed_emails", "scrubbed_email_pattern"):
        if a.get(key) != b.get(key):
            details.append(f"{key}: {_value(a.get(key))} → {_value(b.get(key))}")
    return InputChange("Scenario", not details, details)


def _value(v: Any) -> str:
    if v is None:
        return "not set"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    return str(v)


# --- the report ------------------------------------------------------------------------------


def diff_report(con: db.Connection, summary: dict[str, Any], show_pii: bool = False
                ) -> DiffReport:
    rows = compare.embedded_changes(con, "changes")
    if not show_pii:
        rows = [[*r[:2], mask_emails(r[2]), *r[3:]] for r in rows]
    files = ["changes.parquet"]
    if summary["changes"]["csv"]:
        files.insert(0, "changes.csv")
    findings = summary["finding_changes"]
    if not show_pii:
        findings = [{**f, "title": mask_emails(str(f["title"]))} for f in findings]
    return DiffReport(
        a=summary["a"],
        b=summary["b"],
        inputs=[InputChange(**i) for i in summary["inputs"]],
        totals=summary["totals"],
        matrices=[matrix_view(m) for m in summary["matrices"]
                  if m["changed"] or m["appeared"] or m["disappeared"]],
        finding_changes=findings,
        discrepancy_changes=summary["discrepancy_changes"],
        changes=ChangeTable("", rows, int(summary["changes"]["rows"]), files),
        manifest=summary["manifest"],
        warnings=summary["warnings"],
        show_pii=show_pii,
    )
