"""The sample's offline circulation files (sample_data/offline-circ/, made by
simulator/synth/offline_circ.py from the sample after its fulfillment load): `make demo` checks
them, and each deliberate mistake is found on its line; the right lines are the sample's
transactions.csv, which `offline-circ make` writes back byte for byte."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from simulator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FILES = SAMPLE / "offline-circ"
# The deliberate mistakes (simulator/synth/offline_circ.py): file, line -> status and checks.
MISTAKES = {
    ("ILLcirc.dat", "5"): ("error", "item ILL000004 is neither in the snapshot's items nor in a "
                                    "temporary bib record"),
    ("ILLcirc.dat", "6"): ("error", "item 3100000026 is in the snapshot's items"),
    ("ILLcirc.dat", "7"): ("error", "is at or after the fulfillment freeze"),
    ("OffCirc.dat", "15"): ("error", "columns 1-13: a date and time of 13 digits"),
    ("OffCirc.dat", "16"): ("error", "item 3100099999 is not in the snapshot's items"),
    ("OffCirc.dat", "17"): ("error", "patron P99999 matches no user"),
    ("OffCirc.dat", "18"): ("error", "item 3100000010 is not on loan"),
    ("OffCirc.dat", "19"): ("error", "item 3100000047 is already on loan to P00244: a loan in "
                                     "the snapshot"),
    ("OffCirc.dat", "20"): ("warning", "is earlier than the line before it, line 19"),
    ("OffCirc.dat", "21"): ("error", "the same transaction as line 7"),
    ("OffCirc.dat", "22"): ("error", "is at or after go-live"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    out = tmp_path_factory.mktemp("sample") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(FILES)
        result = CliRunner().invoke(app, [
            "--quiet", "offline-circ", "check", "OffCirc.dat", "--ill", "ILLcirc.dat",
            "--ill-bibs", "temp-bibs.xml", "--snapshot", str(SAMPLE / "post-fulfillment"),
            "--scenario", "scenario.yaml", "--out", str(out)])
    return out, result


def test_make_demo_checks_the_sample_files() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "offline-circ check sample_data/offline-circ/OffCirc.dat" in makefile


def test_each_deliberate_mistake_is_found_on_its_line(run: tuple[Path, Result]) -> None:
    out, result = run
    assert result.exit_code == 1, result.output
    rows = list(csv.DictReader(io.StringIO((out / "lines.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 7 + 22
    found = {(r["file"], r["line"]): (r["status"], r["problem"]) for r in rows
             if r["status"] != "ok"}
    assert set(found) == set(MISTAKES)
    for key, (status, words) in MISTAKES.items():
        assert found[key][0] == status and words in found[key][1], (key, found[key])


def test_the_sample_bibs_and_the_state_at_go_live(run: tuple[Path, Result]) -> None:
    out, _ = run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ill_bibs"]["records"] == 4
    assert summary["ill_bibs"]["items_without_record"] == ["ILL000004"]
    bibs = list(csv.DictReader(io.StringIO((out / "bibs.csv").read_text(encoding="utf-8"))))
    assert [(b["record"], b["status"], b["problem"]) for b in bibs if b["status"] != "ok"] == [
        ("3", "error", "item ILL000003 has no location in 949$l")]
    state = {r["barcode"]: r for r in csv.DictReader(
        io.StringIO((out / "state.csv").read_text(encoding="utf-8")))}
    # Returned at line 1, loaned to another patron at line 13; an ILL item loaned in the ILL
    # file and returned in the offline file.
    assert (state["3100000001"]["change"], state["3100000001"]["after_primary_id"]) == (
        "loaned to another", "P00008")
    assert (state["ILL000002"]["after"], state["ILL000002"]["line"]) == ("available", "14")


def test_the_right_lines_are_the_sample_transactions_csv(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--quiet", "offline-circ", "make",
                                      str(FILES / "transactions.csv"), "--out",
                                      str(tmp_path / "OffCirc.dat")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "OffCirc.dat").read_bytes()
    lines = (FILES / "OffCirc.dat").read_bytes().split(b"\r\n")
    assert written == b"".join(line + b"\r\n" for line in lines[:14])
