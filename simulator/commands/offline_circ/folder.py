"""The run folder of `cutover offline-circ check` (docs/offline-circ.md, "Run folder"), written
atomically through output/runfolder.py: `lines.csv` (one row per input line: `file`, `line`,
`status`, `problem`), `state.csv` (each item the files touch, before and after), `patrons.csv`
(the loans of each patron concerned), `bibs.csv` (with --ill-bibs: each record),
`summary.json` and `report.html`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator import db
from simulator.commands.offline_circ import checks
from simulator.commands.offline_circ.opening import Opened
from simulator.errors import display_path
from simulator.inputs import snapshot
from simulator.output import csvfile, runfolder

LINES = ("select l.file, l.line, s.status, s.problem from oc_lines l join oc_status s "
         "using (seq) order by l.seq")
NOT_OK = ("select l.file, l.line, s.status, s.problem from oc_lines l join oc_status s "
          "using (seq) where s.status <> 'ok' order by l.seq")
STATE = ("select barcode, before, before_primary_id, after, after_primary_id, change, file, "
         "line from oc_state order by barcode")
PATRONS = ("select primary_id, loans_before, loans_after, loaned, returned from "
           "oc_patron_state order by primary_id")
BIB_COLUMNS = ("file", "record", "title", "barcodes", "status", "problem")
# The order the files go into Alma (the vendor's appendix on ILL borrowing during the cutover).
LOAD_ORDER = (
    "the temporary ILL bibs, with an inventory import profile for new records only",
    "the ILL file (ILLcirc.dat), right before the offline circulation file",
    "the offline circulation file (OffCirc.dat), right before go-live",
)


BibLine = tuple[str, int, str, str, str, str]


def bib_rows(opened: Opened) -> list[BibLine]:
    if opened.bibs is None:
        return []
    shown = opened.bibs.shown
    return [(shown, r.number, r.title, " ".join(i.barcode for i in r.items),
             "error" if r.problems else "ok", "; ".join(r.problems))
            for r in opened.bibs.records]


def not_ok(data: dict[str, Any]) -> int:
    """Lines with a warning or an error, and temporary bib records with a problem."""
    bibs = data.get("ill_bibs") or {}
    return int(data["lines"]["warning"] + data["lines"]["error"] + bibs.get("error", 0))


def summary(con: db.Connection, opened: Opened, notes: list[str],
            command: list[str] | None) -> dict[str, Any]:
    """What summary.json holds (and the report and the command line show)."""
    per_file = {f: {"lines": 0, "ok": 0, "warning": 0, "error": 0} for f in
                (x.shown for x in opened.files)}
    for file, status, n in con.rows("select l.file, s.status, count(*) from oc_lines l join "
                                    "oc_status s using (seq) group by all"):
        per_file[file][status] = int(n)
        per_file[file]["lines"] += int(n)
    totals = {k: sum(f[k] for f in per_file.values()) for k in ("lines", "ok", "warning",
                                                                  "error")}
    found = checks.counts(con)
    bibs = bib_rows(opened)
    bad_bibs = sum(1 for row in bibs if row[4] != "ok")
    problems = totals["warning"] + totals["error"] + bad_bibs
    return {
        "kind": "offline-circ",
        "institution": opened.scenario.institution,
        "verdict": _verdict(totals, bad_bibs) if problems else "every line ok",
        "lines": totals,
        "files": [{"file": f.shown, "role": f.role, "sha256": f.sha256, **per_file[f.shown]}
                  for f in opened.files],
        "checks": [{"check": c.name, "severity": c.severity, "title": c.title,
                    "lines": found[c.name]} for c in checks.CHECKS],
        "replay": _replay_counts(con, totals["lines"]),
        "state": _state_counts(con),
        "ill_bibs": _bibs_summary(con, opened, bibs, bad_bibs),
        "load_order": load_order(opened),
        "notes": notes,
        "manifest": _manifest(opened, command),
    }


def _verdict(totals: dict[str, int], bad_bibs: int) -> str:
    def count(n: int, one: str, many: str) -> str:
        return f"{n:,} {one if n == 1 else many}"

    parts = [count(totals["error"], "line with errors", "lines with errors"),
             count(totals["warning"], "line with warnings", "lines with warnings")]
    if bad_bibs:
        parts.append(count(bad_bibs, "temporary bib record with problems",
                           "temporary bib records with problems"))
    return ", ".join(parts)


def load_order(opened: Opened) -> list[str]:
    """The steps of LOAD_ORDER these inputs have."""
    bibs, ill, offline = LOAD_ORDER
    has_ill = any(f.role == "ill" for f in opened.files)
    return [*([bibs] if opened.bibs is not None else []), *([ill] if has_ill else []), offline]


def _replay_counts(con: db.Connection, lines: int) -> dict[str, int]:
    applied, failed = con.rows("select count(*) filter (where ok), count(*) filter (where not "
                               "ok) from oc_replay")[0]
    return {"succeeded": int(applied), "failed": int(failed),
            "not_applied": lines - int(applied) - int(failed)}


def _state_counts(con: db.Connection) -> dict[str, int]:
    row = con.rows("""
        select count(*), count(*) filter (where before = 'on_loan'),
               count(*) filter (where after = 'on_loan'), count(*) filter (where change =
               'loaned'), count(*) filter (where change = 'returned'),
               count(*) filter (where change = 'loaned to another'),
               (select count(*) from oc_patron_state) from oc_state""")[0]
    names = ("items", "on_loan_before", "on_loan_after", "loaned", "returned",
             "loaned_to_another", "patrons")
    return {name: int(n) for name, n in zip(names, row, strict=True)}


def _bibs_summary(con: db.Connection, opened: Opened, rows: list[BibLine],
                  bad: int) -> dict[str, Any] | None:
    if not any(f.role == "ill" for f in opened.files):
        return None
    missing = [b for (b,) in con.rows(
        "select distinct barcode from oc_facts where role = 'ill' and malformed is null "
        "and not in_items and not in_bibs order by barcode")]
    out: dict[str, Any] = {"items_without_record": missing}
    if opened.bibs is not None:
        out.update(file=opened.bibs.shown, format=opened.bibs.format, records=len(rows),
                   ok=len(rows) - bad, error=bad,
                   items=sum(len(r.items) for r in opened.bibs.records),
                   sha256=snapshot.sha256(opened.bibs.path))
    return out


def _manifest(opened: Opened, command: list[str] | None) -> dict[str, Any]:
    snap = opened.snapshot
    return {
        **runfolder.header(command),
        "snapshot": {"path": display_path(snap.path), "institution": snap.institution,
                     "stage": snap.stage, "taken_at": snap.taken_at,
                     "files": snap.file_hashes()},
        "scenario": runfolder.shown_scenario(opened.scenario, show_pii=False),
    }


def write(con: db.Connection, out: Path, data: dict[str, Any], opened: Opened,
          html: str) -> Path:
    """The run folder, atomically."""
    def fill(tmp: Path) -> None:
        csvfile.copy_csv(con, LINES, tmp / "lines.csv")
        csvfile.copy_csv(con, STATE, tmp / "state.csv")
        csvfile.copy_csv(con, PATRONS, tmp / "patrons.csv")
        if opened.bibs is not None:
            (tmp / "bibs.csv").write_text(csvfile.csv_text(BIB_COLUMNS, bib_rows(opened)),
                                          encoding="utf-8")
        (tmp / runfolder.SUMMARY).write_text(
            json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        (tmp / "report.html").write_text(html, encoding="utf-8")

    return runfolder.write_folder(out, fill)
