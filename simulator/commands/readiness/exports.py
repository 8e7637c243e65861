"""The review's CSV files of records: findings.csv (every record of every finding) and one file
for each rule finding that declares `export:` (the rows of its records)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from simulator import db
from simulator.commands.readiness.findings import ReadyFinding
from simulator.core.engine import Result
from simulator.inputs.keys import key_sql
from simulator.inputs.tables import TABLES
from simulator.output import csvfile
from simulator.privacy import shown_key

FINDINGS_COLUMNS = ("finding_id", "severity", "area", "entity", "record_key", "detail",
                    "waived_by")


def findings_csv(con: db.Connection, found: dict[str, ReadyFinding], show_pii: bool) -> str:
    """Every record of table `ready_marked` with its finding's severity and area."""
    cursor = con.execute("select finding_id, entity, record_key, detail, waived_by "
                         "from ready_marked order by finding_id, entity, record_key")

    def rows() -> Iterator[tuple[str, ...]]:
        while batch := cursor.fetchmany(10_000):
            for fid, entity, key, detail, waived_by in batch:
                f = found[fid]
                yield (fid, f.severity, f.area, entity, shown_key(key, show_pii),
                       shown_key(detail or "", show_pii), "" if waived_by is None else waived_by)

    return csvfile.csv_text(FINDINGS_COLUMNS, rows())


def export_files(con: db.Connection, result: Result, folder: Path) -> dict[str, bool]:
    """The rows of the records of each finding with `export:`, as a CSV file named by it;
    whether each was written (a finding without records writes none)."""
    written = {}
    for entity, rule in result.catalog.values():
        spec = rule.finding
        if spec is None or spec.export is None:
            continue
        key = key_sql(entity.name, "x")
        columns = ", ".join(f"x.{db.ident(c)}" for c in TABLES[entity.name].column_names)
        sql = (f"select {columns} from {db.qualified(entity.schema, entity.name)} x "
               f"join ready_records r on r.record_key = {key} "
               f"where r.finding_id = {db.literal(rule.id)} order by {key}")
        written[spec.export] = bool(con.one(f"select count(*) from ({sql})"))
        if written[spec.export]:
            csvfile.copy_csv(con, sql, folder / spec.export)
    return written
