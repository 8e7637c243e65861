"""`cutover whatif`: the base run and each variant, compared record by record.

The snapshots are loaded and validated once; each run (the base, then every variant) classifies
them on the same connection, with the variant's patches applied as views (simulator.patching),
its scenario, and its rule pack; its ledger is kept in its own table. Every variant is then
compared with the base (simulator.compare): transitions, matrices, changed findings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.render import ChangeTable, RunView, WhatifReport, matrix_view, render_whatif
from simulator import db
from simulator.commands.predict import verdict
from simulator.commands.whatif.patching import patched
from simulator.commands.whatif.variant import BASE, Variant, load_variants
from simulator.core import compare, engine
from simulator.core.engine import Result
from simulator.core.findings import level_of
from simulator.core.session import Session
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs.bundle import Inputs
from simulator.inputs.scenario import Scenario
from simulator.output import runfolder
from simulator.privacy import mask_emails, shown_key
from simulator.rules.model import Pack

SCHEMA = "whatif"
TRANSITION_COLUMNS = ("variant", *compare.CHANGE_COLUMNS)


@dataclass
class Case:
    """One run: the base or a variant."""

    name: str
    variant: Variant | None
    pack: Pack
    scenario: Scenario
    table: str = ""  # its ledger
    result: Result | None = None
    matrices: list[dict[str, Any]] = field(default_factory=list)
    finding_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> list[dict[str, Any]]:
        assert self.result is not None
        return [f.as_dict() for f in self.result.findings]

    def summary(self, base: Scenario, show_pii: bool = False) -> dict[str, Any]:
        assert self.result is not None
        out: dict[str, Any] = {"name": self.name}
        if self.variant is not None:
            out.update(self.variant.as_dict(base))
            out["scenario"] = runfolder.shown_scenario(self.scenario, show_pii)
            out["scenario_changes"] = [shown_key(c, show_pii) for c in out["scenario_changes"]]
        out.update({
            "verdict": verdict(self.result),
            "blockers": self.result.blockers,
            "warnings": self.result.warnings,
            "rule_pack_hash": self.pack.digest,
            "counts": self.result.counts,
            "findings": self.findings,
        })
        if self.variant is not None:
            out["transitions"] = compare.totals(self.matrices)
            out["matrices"] = self.matrices
            out["finding_changes"] = self.finding_changes
            out["new_blockers"] = [f["id"] for f in self.finding_changes if f["new_blocker"]]
            out["cleared_blockers"] = [f["id"] for f in self.finding_changes
                                       if f["cleared_blocker"]]
        return out


@dataclass
class WhatifRun:
    out: Path
    cases: list[Case]
    summary: dict[str, Any]

    @property
    def variants(self) -> list[Case]:
        return self.cases[1:]


def prepare(session: Session, variant_paths: list[Path]) -> list[Case]:
    """Read and check every variant, every rule pack and the inputs' tables; all problems
    raised at once."""
    problems = Collector()
    base_pack: Pack | None = None
    try:
        session.checked()
        base_pack = session.pack
    except UserError as e:
        problems.extend(e.problems)
    variants = load_variants(variant_paths, session.scenario, problems)
    cases = []
    for v in variants:
        pack = base_pack
        if v.rules:
            try:
                pack = engine.load_checked([*session.rules, *v.rules])
            except UserError as e:
                problems.extend(e.problems)
        if pack is not None:
            cases.append(Case(v.name, v, pack, v.scenario))
    problems.raise_if_any()
    assert base_pack is not None
    return [Case(BASE, None, base_pack, session.scenario), *cases]


@dataclass
class Compared:
    """The base and every variant classified and compared, not yet written
    (`compare_variants`, then `write`): its ledgers and transitions are tables in `schema`."""

    variant_paths: list[Path]
    cases: list[Case]
    schema: str
    transitions: str  # the table of transitions
    rows: int


def run(
    session: Session,
    variant_paths: list[Path],
    out: Path,
    command: list[str] | None = None,
    show_pii: bool = False,
    csv_mode: str = "auto",
) -> WhatifRun:
    """The base run (the session's classification) and each variant, compared record by
    record, written to the folder `out`; `out` is checked before any work."""
    check_out(session, out, variant_paths)
    if not variant_paths:
        raise UserError(Problem(Loc("--variant"), "give at least one variant file"))
    session.progress("checking rules and variants")
    cases = prepare(session, variant_paths)
    check_rules_out(out, cases)
    compared = compare_variants(session, variant_paths, cases)
    return write(session, compared, out, command, show_pii, csv_mode)


def check_out(session: Session, out: Path, variant_paths: list[Path]) -> None:
    """Refuse an `out` over the session's inputs or a variant file."""
    runfolder.check_run_out(out, session.inputs, session.rules,
                            files=[("--variant", path) for path in variant_paths])


def check_rules_out(out: Path, cases: list[Case]) -> None:
    """Refuse an `out` over a variant's rule layer (known once the variants are read)."""
    runfolder.check_out(out, folders=[(f"rules of variant {c.name}", path) for c in cases[1:]
                                      if c.variant is not None for path in c.variant.rules])


def compare_variants(session: Session, variant_paths: list[Path], cases: list[Case],
                     schema: str = SCHEMA) -> Compared:
    """Classify every variant of `cases` (`prepare`) and compare it with the base; the
    ledgers and transitions are kept in `schema` (one per comparison kept apart)."""
    _classify(session, cases, schema)
    session.progress("comparing the variants with the base")
    transitions, rows = _transitions(session.con, cases, schema)
    return Compared(list(variant_paths), cases, schema, transitions, rows)


def write(session: Session, compared: Compared, out: Path, command: list[str] | None = None,
          show_pii: bool = False, csv_mode: str = "auto") -> WhatifRun:
    """The what-if folder `out` of a comparison (`compare_variants`)."""
    cases, transitions, rows = compared.cases, compared.transitions, compared.rows
    with_csv = csv_mode == "always" or (csv_mode == "auto" and rows <= runfolder.CSV_MAX_ROWS)
    summary = _summary(session.inputs, cases, command, rows, with_csv, show_pii)
    session.progress("writing the what-if folder")

    def fill(folder: Path) -> None:
        ordered = (f"select {', '.join(TRANSITION_COLUMNS)} from {transitions} "
                   "order by ord, side, entity, record_key")
        compare.export(session.con, ordered, folder, "transitions", csv=with_csv)
        for i, case in enumerate(cases):
            _write_case(session.con, folder / "variants" / case.name, case, session.inputs,
                        summary["manifest"], command, i, show_pii)
        (folder / runfolder.SUMMARY).write_text(
            json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n",
            encoding="utf-8")
        report = whatif_report(session.con, summary, transitions, show_pii)
        (folder / "report.html").write_text(render_whatif(report), encoding="utf-8")

    runfolder.write_folder(out, fill)
    return WhatifRun(out, cases, summary)


def _classify(session: Session, cases: list[Case], schema: str) -> None:
    """The base is the session's classification; each variant is classified with its patches
    applied as views, its scenario and its pack. Each ledger is kept as a table."""
    con = session.con
    cases[0].result = session.classification
    con.execute(f"create schema if not exists {db.ident(schema)}")
    for i, case in enumerate(cases):
        name = "ledger" if i == 0 else f"ledger_variant_{i}"
        if i:
            session.progress(f"classifying records: {case.name}")
            with patched(con, case.variant.patches if case.variant else []):
                case.result = session.classify(case.pack, case.scenario, name)
        case.table = db.qualified(schema, f"ledger.{i}")
        con.execute(f"create or replace table {case.table} as select * from {db.ident(name)}")


def _transitions(con: db.Connection, cases: list[Case], schema: str) -> tuple[str, int]:
    """Every record whose outcome or rule differs from the base's, per variant; the matrices
    and changed findings of each variant. The table's name and its rows."""
    transitions = db.qualified(schema, "transitions")
    cols = ", ".join(compare.CHANGE_COLUMNS)
    base = cases[0]
    con.execute(f"create or replace table {transitions} as select ''::varchar as variant, "
                f"0 as ord, {cols} from ({compare.changes_sql(base.table, base.table)}) limit 0")
    for i, case in enumerate(cases[1:], 1):
        con.execute(f"insert into {transitions} select $v, $i, {cols} from "
                    f"({compare.changes_sql(base.table, case.table)})",
                    {"v": case.name, "i": i})
        case.matrices = compare.matrices(con, base.table, case.table)
        case.finding_changes = compare.finding_changes(base.findings, case.findings)
    return transitions, int(con.one(f"select count(*) from {transitions}"))


def _summary(inputs: Inputs, cases: list[Case], command: list[str] | None, rows: int,
             with_csv: bool, show_pii: bool) -> dict[str, Any]:
    base = cases[0]
    manifest = runfolder.manifest(inputs, base.pack, command, show_pii)
    manifest["variants"] = {
        c.name: {"file": c.variant.shown, "sha256": c.variant.sha256,
                 "rule_pack_hash": c.pack.digest,
                 "rule_pack_files": [display_path(p) for p in c.pack.files]}
        for c in cases[1:] if c.variant is not None}
    return {
        "kind": "whatif",
        "institution": inputs.scenario.institution,
        "base": base.summary(inputs.scenario),
        "variants": [c.summary(inputs.scenario, show_pii) for c in cases[1:]],
        "transitions": {"rows": rows, "csv": with_csv, "columns": list(TRANSITION_COLUMNS)},
        "manifest": manifest,
    }


def _write_case(con: db.Connection, folder: Path, case: Case, inputs: Inputs,
                manifest: dict[str, Any], command: list[str] | None, index: int,
                show_pii: bool = False) -> None:
    """The case's ledger and a predict-style summary: `cutover diff` compares any two."""
    assert case.result is not None
    folder.mkdir(parents=True)
    ordered = (f"select {', '.join(engine.LEDGER_COLUMNS)} from {case.table} "
               "order by side, entity, record_key")
    rows = case.result.rows
    compare.export(con, ordered, folder, "ledger", csv=rows <= runfolder.CSV_MAX_ROWS)
    own = dict(manifest)
    own.pop("variants", None)
    own["rule_pack_hash"] = case.pack.digest
    own["rule_pack_files"] = [display_path(p) for p in case.pack.files]
    own["scenario"] = runfolder.shown_scenario(case.scenario, show_pii)
    if case.variant is not None:
        own["variant"] = {"name": case.name, "file": case.variant.shown,
                          "sha256": case.variant.sha256}
    summary = {
        "kind": "predict",
        "variant": case.name,
        "institution": inputs.scenario.institution,
        "verdict": verdict(case.result),
        "counts": case.result.counts,
        "findings": case.findings,
        "manifest": own,
        "ledger": {"rows": rows, "csv": rows <= runfolder.CSV_MAX_ROWS},
    }
    (folder / runfolder.SUMMARY).write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _counts(counts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c in counts:
        out.setdefault(f"{c['side']}.{c['entity']}", {})[c["outcome"]] = int(c["count"])
    return out


def run_view(case: dict[str, Any]) -> RunView:
    """A run of summary.json (its base or one of its variants) as the report shows it."""
    is_variant = "file" in case
    changes: list[str] = []
    if is_variant:
        changes = [*case["scenario_changes"], *(p["description"] for p in case["assume"]),
                   *(f"rules layered from {r}" for r in case["rules"])]
    return RunView(
        name=case["name"],
        file=case.get("file", ""),
        changes=changes,
        verdict=case["verdict"],
        verdict_level=level_of(case["findings"]),
        blockers=int(case["blockers"]),
        warnings=int(case["warnings"]),
        counts=_counts(case["counts"]),
        transitions=case.get("transitions", {}),
        finding_changes=case.get("finding_changes", []),
        matrices=[matrix_view(m) for m in case.get("matrices", [])
                  if m["changed"] or m["appeared"] or m["disappeared"]],
    )


def whatif_report(con: db.Connection, summary: dict[str, Any], transitions: str,
                  show_pii: bool = False) -> WhatifReport:
    rows = compare.embedded_changes(con, transitions, group="variant")
    # Variants in the order given, not by name.
    order = {v["name"]: i for i, v in enumerate(summary["variants"])}
    rows.sort(key=lambda r: (order.get(r[0], 0), r[1], r[2]))
    if not show_pii:
        rows = [[*r[:2], mask_emails(r[2]), *r[3:]] for r in rows]
    runs = [run_view(summary["base"]), *(run_view(v) for v in summary["variants"])]
    if not show_pii:  # patch values and finding titles may hold addresses too
        for run in runs:
            run.changes = [mask_emails(c) for c in run.changes]
            run.finding_changes = [{**f, "title": mask_emails(f["title"])}
                                   for f in run.finding_changes]
    files = ["transitions.parquet"]
    if summary["transitions"]["csv"]:
        files.insert(0, "transitions.csv")
    return WhatifReport(
        institution=summary["institution"],
        scenario=summary["manifest"]["scenario"],
        runs=runs,
        changes=ChangeTable("Variant", rows, int(summary["transitions"]["rows"]), files),
        manifest=summary["manifest"],
        transitions_csv=bool(summary["transitions"]["csv"]),
        show_pii=show_pii,
    )
