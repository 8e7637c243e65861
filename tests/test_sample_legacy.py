"""The sample's extract as legacy files (`sample_data/legacy/`, simulator/synth/legacy.py) imported
with `cutover snapshot import flat`: every table it yields is the extract's, and the imported
snapshot predicts as sample_data/extract does (issue 13).

What the legacy files cannot carry (simulator/synth/legacy.py says why): the extract's
original_id, which is not unique, so the patron record number the loans are looked up by takes
its place; and the loan of a patron the extract does not hold, which a lookup by record number
refuses. Every other value comes back exactly, the loans' times included (they have no seconds).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator import db
from simulator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
EXTRACT = SAMPLE / "extract"
LEGACY = SAMPLE / "legacy"
RUNNER = CliRunner()

# The loan of patron L-GONE-01, whom the extract does not hold: no record number names it.
LEFT_OUT = {"loans": {"LN009002"}}
# A Sierra patron record number: p, seven digits and a check digit (x for 10).
RECORD_NUMBER = re.compile(r"p\d{7}[\dx]")

Row = dict[str, str]


def extract_tables() -> list[str]:
    """The extract's tables (its forms are no tables)."""
    forms = {"field-mapping-form.csv"}
    return sorted(p.stem for p in EXTRACT.glob("*.csv") if p.name not in forms)


def by_hand(table: str) -> tuple[list[str], list[Row]]:
    """The extract's header and rows as written, less the rows the legacy files cannot hold."""
    with (EXTRACT / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    gone = LEFT_OUT.get(table, set())
    return columns, [r for r in rows if r[columns[0]] not in gone]


def as_text(value: Any) -> str:
    """An imported value as the extract's CSV writes it (timestamps as ISO, no value empty)."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def imported_table(folder: Path, table: str) -> tuple[list[str], list[Row]]:
    """The imported Parquet file's columns and rows, in the file's order."""
    con = db.connect()
    try:
        cur = con.execute("select * from read_parquet($p)", {"p": str(folder / f"{table}.parquet")})
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, map(as_text, r), strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return columns, rows


def import_flat(files: Path, out: Path) -> Any:
    return RUNNER.invoke(app, ["snapshot", "import", "flat", str(files), "--mapping",
                               str(files / "mapping.yaml"), "--stage", "extract",
                               "--institution", "NFU", "--out", str(out)])


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("legacy") / "extract"
    result = import_flat(LEGACY, out)
    assert result.exit_code == 0, result.output
    return out


def test_the_import_yields_every_table_of_the_extract(imported: Path) -> None:
    assert sorted(p.stem for p in imported.glob("*.parquet")) == extract_tables()


@pytest.mark.parametrize("table", extract_tables())
def test_every_imported_table_is_the_extracts(imported: Path, table: str) -> None:
    columns, want = by_hand(table)
    got_columns, got = imported_table(imported, table)
    assert got_columns == columns
    if table == "patrons":  # the record numbers stand for the original ids (below)
        want = [{**r, "original_id": ""} for r in want]
        got = [{**r, "original_id": ""} for r in got]
    assert len(got) == len(want) > 0
    assert got == want, next((g, w) for g, w in zip(got, want, strict=True) if g != w)


def test_patrons_original_id_is_their_record_number(imported: Path) -> None:
    """The extract's original ids are not unique, so they cannot be what the loans are looked up
    by; the import gives each patron its unique record number instead."""
    _, extract = by_hand("patrons")
    assert len({r["original_id"] for r in extract}) < len(extract)
    numbers = [r["original_id"] for r in imported_table(imported, "patrons")[1]]
    assert all(RECORD_NUMBER.fullmatch(n) for n in numbers)
    assert len(set(numbers)) == len(numbers) == len(extract)


def test_the_legacy_files_are_legacy_shaped() -> None:
    patrons = (LEGACY / "patrons.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        patrons.decode("utf-8")
    text = patrons.decode("latin-1")
    assert text.startswith("RECORD #(PATRON)|P TYPE|") and "García" in text
    loans = (LEGACY / "checkouts.csv").read_text(encoding="utf-8")
    assert loans.startswith('"RECORD #(ITEM)","OUT DATE","RECORD #(PATRON)","DUE DATE",')
    assert '"01-15-2026 10:00"' in loans and '"  -  -  "' in loans


def test_a_loan_of_a_patron_without_a_record_number_is_refused(tmp_path: Path) -> None:
    """Why the loan of patron L-GONE-01 is not in the export: a lookup must find its patron."""
    files = tmp_path / "legacy"
    shutil.copytree(LEGACY, files)
    with (files / "checkouts.csv").open("a", encoding="utf-8", newline="") as f:
        f.write('"i19999999","02-02-2026 10:00","L-GONE-01","04-02-2026 23:59","3100000001",'
                '"LN009002","  -  -  "\r\n')
    lines = (files / "checkouts.csv").read_bytes().count(b"\n")
    result = import_flat(files, tmp_path / "out")
    assert result.exit_code == 2
    assert (f"checkouts.csv:{lines}:3: RECORD #(PATRON) 'L-GONE-01' matches no original_id of "
            "patrons (patrons.txt)") in result.output
    assert not (tmp_path / "out").exists()


def predict(extract: Path, out: Path) -> tuple[int, list[str], dict[str, Any]]:
    """Exit code, ledger.csv lines and summary of predict from `extract` with the sample's
    freeze, scenario and test load."""
    result = RUNNER.invoke(app, ["predict", "--pre", str(SAMPLE / "freeze"), "--extract",
                                 str(extract), "--scenario", str(SAMPLE / "scenario.yaml"),
                                 "--testload", str(SAMPLE / "testload"), "--csv", "always",
                                 "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ledger = (out / "ledger.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return result.exit_code, ledger, summary


def test_the_imported_extract_predicts_exactly_as_the_extract(imported: Path,
                                                              tmp_path: Path) -> None:
    code, ledger, summary = predict(imported, tmp_path / "legacy")
    hand_code, hand_ledger, hand_summary = predict(EXTRACT, tmp_path / "hand")
    left_out = [line for line in hand_ledger
                if any(line.startswith(f"extract,{table},{key},")
                       for table, keys in LEFT_OUT.items() for key in keys)]
    assert [line.split(",")[3] for line in left_out] == ["added"]  # LN009002, an active loan
    assert ledger == [line for line in hand_ledger if line not in left_out]
    assert len(ledger) > 18000  # every record of both sides, not an empty ledger
    assert code == hand_code == 1
    assert summary["verdict"] == hand_summary["verdict"]
    assert summary["findings"] == hand_summary["findings"]
    one_less = [{**c, "count": c["count"] - ((c["side"], c["entity"], c["outcome"])
                                             == ("extract", "loans", "added"))}
                for c in hand_summary["counts"]]
    assert summary["counts"] == one_less
