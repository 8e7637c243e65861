"""`cutover offline-circ check` (docs/offline-circ.md): every check, found where it applies and
not where it does not, the replay in load order, the run folder's files and the exit codes.

One small institution: users P1 (username jdoe, user identifier 2000001), JSmith, P2, P3 (user
identifier B3) and P4 (username B3); items I1-I9; I1 on loan to P1 and I2 to jsmith after the
fulfillment load, I3's loan returned. The ILL file's temporary items T1, T3, T4 (and I9, which
Alma has already) have temporary bib records; T2 has none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pymarc
import pytest
from conftest import DATES, write_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from simulator import db
from simulator.cli import app
from simulator.commands.offline_circ import checks, lines, opening, replay
from simulator.inputs import offline_circ, snapshot

USERS = [
    {"primary_id": "P1", "record_type": "PUBLIC", "username": "jdoe"},
    {"primary_id": "JSmith", "record_type": "PUBLIC", "username": "jsmith1"},
    {"primary_id": "P2", "record_type": "PUBLIC", "username": "p2"},
    {"primary_id": "P3", "record_type": "PUBLIC", "username": "p3"},
    {"primary_id": "P4", "record_type": "PUBLIC", "username": "B3"},
]
IDENTIFIERS = [{"primary_id": "P1", "id_type": "BARCODE", "value": "2000001"},
               {"primary_id": "p3", "id_type": "BARCODE", "value": "B3"}]
ITEMS = [{"barcode": f"I{i}"} for i in range(1, 10)]
LOANS = [
    {"loan_id": "L1", "item_barcode": "I1", "primary_id": "P1", "loan_date": "2026-02-01"},
    {"loan_id": "L2", "item_barcode": "I2", "primary_id": "jsmith", "loan_date": "2026-02-01"},
    {"loan_id": "L3", "item_barcode": "I3", "primary_id": "P2", "loan_date": "2026-02-01",
     "returned_at": "2026-02-10"},
]


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute)


def L(when: dt.datetime, barcode: str, patron: str) -> str:
    return offline_circ.line_text(when, "L", barcode, patron)


def R(when: dt.datetime, barcode: str) -> str:
    return offline_circ.line_text(when, "R", barcode, "")


OFFLINE = [
    R(at(13, 9, 0), "I1"),                      # 1 ok: on loan to P1
    L(at(13, 9, 5), "I1", "p1"),                # 2 ok: a Primary ID in another letter case
    L(at(13, 9, 10), "I1", "jdoe"),             # 3 already on loan (by line 2)
    R(at(13, 9, 15), "I3"),                     # 4 not on loan (its loan was returned)
    R(at(13, 9, 20), "I1"),                     # 5 ok
    R(at(13, 9, 25), "I1"),                     # 6 not on loan (returned by line 5)
    L(at(13, 9, 30), "I4", "2000001"),          # 7 ok: a user identifier
    L(at(13, 9, 35), "I5", "B3"),               # 8 ambiguous patron
    L(at(13, 9, 40), "I5", "nobody"),           # 9 unknown patron
    L(at(13, 9, 45), "NOPE", "P2"),             # 10 unknown item
    L(at(13, 9, 50), "I2", "P2"),               # 11 already on loan (in the snapshot)
    "2014010111239L33031245",                   # 12 malformed
    L(at(12, 23, 59), "I6", "P2"),              # 13 before the fulfillment freeze, backwards
    L(at(16, 0, 0), "I7", "P2"),                # 14 at go-live
    L(at(13, 9, 30), "I4", "2000001"),          # 15 line 7 again: duplicate, backwards
    R(at(15, 10, 0), "T1"),                     # 16 ok: loaned in the ILL file
    L(at(15, 10, 5), "I9", "JSMITH"),           # 17 already on loan: by the ILL file's line 5
]
ILL = [
    L(at(1, 10, 0), "T4", "P2"),                # 1 before the technical freeze
    L(at(5), "T1", "P2"),                       # 2 ok
    L(at(6), "T2", "P2"),                       # 3 no temporary record
    L(at(7), "I8", "P2"),                       # 4 an item Alma has
    L(at(8), "I9", "P3"),                       # 5 ok: Alma has it, but so do the bibs
    L(at(13, 8, 0), "T3", "P2"),                # 6 after the fulfillment freeze
]
EXPECTED_LINES = [
    ("ILLcirc.dat", "1", "warning", "2026-03-01 10:00 is before the technical freeze "
     "(2026-03-02): the ILL file holds what happened to temporary items from then to the "
     "fulfillment freeze"),
    ("ILLcirc.dat", "2", "ok", ""),
    ("ILLcirc.dat", "3", "error", "item T2 is neither in the snapshot's items nor in a "
                                  "temporary bib record"),
    ("ILLcirc.dat", "4", "error", "item I8 is in the snapshot's items: the ILL file is for "
     "temporary items created after the technical freeze (put its transactions in the offline "
     "circulation file)"),
    ("ILLcirc.dat", "5", "ok", ""),
    ("ILLcirc.dat", "6", "error", "2026-03-13 08:00 is at or after the fulfillment freeze "
     "(2026-03-13): from then on, loans and returns of ILL items go in the offline circulation "
     "file"),
    ("OffCirc.dat", "1", "ok", ""),
    ("OffCirc.dat", "2", "ok", ""),
    ("OffCirc.dat", "3", "error", "item I1 is already on loan to P1: loaned by line 2"),
    ("OffCirc.dat", "4", "error", "item I3 is not on loan: the snapshot has no open loan of it"),
    ("OffCirc.dat", "5", "ok", ""),
    ("OffCirc.dat", "6", "error", "item I1 is not on loan: returned by line 5"),
    ("OffCirc.dat", "7", "ok", ""),
    ("OffCirc.dat", "8", "error", "patron B3 matches 2 users: P3 by BARCODE, P4 by username"),
    ("OffCirc.dat", "9", "error", "patron nobody matches no user (by Primary ID, username or "
                                  "user identifier)"),
    ("OffCirc.dat", "10", "error", "item NOPE is not in the snapshot's items nor in the "
                                   "temporary ILL bibs"),
    ("OffCirc.dat", "11", "error", "item I2 is already on loan to JSmith: a loan in the "
                                   "snapshot"),
    ("OffCirc.dat", "12", "error", "columns 1-13: a date and time of 13 digits; expected "
                                   "exactly 12 (YYYYMMDDhhmm), then L or R"),
    ("OffCirc.dat", "13", "warning", "2026-03-12 23:59 is before the fulfillment freeze "
     "(2026-03-13): the fulfillment load holds the legacy system's loans until then; make sure "
     "this transaction is not in it too; 2026-03-12 23:59 is earlier than the line before it, "
     "line 11 (2026-03-13 09:50): Alma applies the lines in file order, not by time"),
    ("OffCirc.dat", "14", "error", "2026-03-16 00:00 is at or after go-live (2026-03-16): the "
     "file is loaded before go-live, and from then on circulation happens in Alma"),
    ("OffCirc.dat", "15", "error", "item I4 is already on loan to P1: loaned by line 7; "
     "2026-03-13 09:30 is earlier than the line before it, line 14 (2026-03-16 00:00): Alma "
     "applies the lines in file order, not by time; the same transaction as line 7"),
    ("OffCirc.dat", "16", "ok", ""),
    ("OffCirc.dat", "17", "error", "item I9 is already on loan to P3: loaned by ILLcirc.dat "
                                   "line 5"),
]


def bib(barcode: str, location: str | None = "ILL", title: str | None = "A title"
        ) -> pymarc.Record:
    record = pymarc.Record()
    if title is not None:
        record.add_field(pymarc.Field("245", pymarc.Indicators("0", "0"),
                                      [pymarc.Subfield("a", title)]))
    subfields = [pymarc.Subfield("b", barcode)]
    if location is not None:
        subfields.append(pymarc.Subfield("l", location))
    record.add_field(pymarc.Field("949", pymarc.Indicators(" ", " "), subfields))
    return record


SCENARIO_DATES = "".join(f"  {k}: {v}\n" for k, v in DATES.items())
ILL_BIBS = "ill_bibs:\n  barcode: 949$b\n  location: 949$l\n"


def world(root: Path, offline: list[str], ill: list[str] | None = None,
          records: list[pymarc.Record] | None = None, dates: str = SCENARIO_DATES,
          stage: str = "fulfillment") -> list[str]:
    """The inputs under `root`, and the arguments of a check of them."""
    write_snapshot(root / "fulfillment", stage, {
        "users": USERS, "user_identifiers": IDENTIFIERS, "items": ITEMS, "loans": LOANS})
    (root / "scenario.yaml").write_text(f"institution: TST\ndates:\n{dates}{ILL_BIBS}",
                                        encoding="utf-8")
    (root / "OffCirc.dat").write_bytes("".join(x + "\r\n" for x in offline).encode())
    args = ["OffCirc.dat", "--snapshot", "fulfillment", "--scenario", "scenario.yaml"]
    if ill is not None:
        (root / "ILLcirc.dat").write_bytes("".join(x + "\n" for x in ill).encode())
        args += ["--ill", "ILLcirc.dat"]
    if records is not None:
        (root / "temp-bibs.mrc").write_bytes(b"".join(r.as_marc() for r in records))
        args += ["--ill-bibs", "temp-bibs.mrc"]
    return args


def check(args: list[str], out: str = "run") -> Result:
    return CliRunner().invoke(app, ["--quiet", "offline-circ", "check", *args, "--out", out])


def read_csv(path: Path) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8")))]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    root = tmp_path_factory.mktemp("offline")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        args = world(root, OFFLINE, ILL, [bib("T1"), bib("T3"), bib("T4"), bib("I9")])
        result = check(args)
    return root / "run", result


def test_exit_1_and_the_problems_on_stdout(run: tuple[Path, Result]) -> None:
    _, result = run
    assert result.exit_code == 1, result.output
    assert "ILLcirc.dat:1: warning: 2026-03-01 10:00 is before the technical freeze" in \
        result.output
    assert "OffCirc.dat:12: error: columns 1-13: a date and time of 13 digits" in result.output
    assert ("14 lines with errors, 2 lines with warnings, 1 temporary bib record with problems"
            in result.output)


def test_lines_csv_has_one_row_per_line_with_its_status_and_problem(
        run: tuple[Path, Result]) -> None:
    folder, _ = run
    rows = read_csv(folder / "lines.csv")
    assert rows[0] == ("file", "line", "status", "problem")
    assert rows[1:] == EXPECTED_LINES


def test_every_check_counts_its_lines(run: tuple[Path, Result]) -> None:
    folder, _ = run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert {c["check"]: c["lines"] for c in summary["checks"]} == {
        "malformed": 1, "unknown-item": 2, "unknown-patron": 1, "ambiguous-patron": 1,
        "already-on-loan": 4, "not-on-loan": 2, "ill-item-in-snapshot": 1,
        "ill-after-fulfillment-freeze": 1, "ill-before-technical-freeze": 1,
        "before-fulfillment-freeze": 1, "after-go-live": 1, "backwards": 2, "duplicate": 1}
    assert [c["check"] for c in summary["checks"]] == [c.name for c in checks.CHECKS]
    assert summary["lines"] == {"lines": 23, "ok": 7, "warning": 2, "error": 14}
    assert [(f["file"], f["role"], f["lines"]) for f in summary["files"]] == [
        ("ILLcirc.dat", "ill", 6), ("OffCirc.dat", "offline", 17)]
    # Applied: all but the malformed line, the unknown items (NOPE, T2) and the patrons that
    # are no user or several.
    assert summary["replay"] == {"succeeded": 12, "failed": 6, "not_applied": 5}
    assert summary["notes"] == []
    assert summary["kind"] == "offline-circ" and summary["institution"] == "TST"


def test_the_state_at_go_live(run: tuple[Path, Result]) -> None:
    folder, _ = run
    assert read_csv(folder / "state.csv") == [
        ("barcode", "before", "before_primary_id", "after", "after_primary_id", "change", "file",
         "line"),
        ("I1", "on_loan", "P1", "available", "", "returned", "OffCirc.dat", "5"),
        ("I2", "on_loan", "JSmith", "on_loan", "JSmith", "unchanged", "", ""),
        ("I3", "available", "", "available", "", "unchanged", "", ""),
        ("I4", "available", "", "on_loan", "P1", "loaned", "OffCirc.dat", "7"),
        ("I6", "available", "", "on_loan", "P2", "loaned", "OffCirc.dat", "13"),
        ("I7", "available", "", "on_loan", "P2", "loaned", "OffCirc.dat", "14"),
        ("I8", "available", "", "on_loan", "P2", "loaned", "ILLcirc.dat", "4"),
        ("I9", "available", "", "on_loan", "P3", "loaned", "ILLcirc.dat", "5"),
        ("T1", "available", "", "available", "", "unchanged", "OffCirc.dat", "16"),
        ("T3", "available", "", "on_loan", "P2", "loaned", "ILLcirc.dat", "6"),
        ("T4", "available", "", "on_loan", "P2", "loaned", "ILLcirc.dat", "1"),
    ]
    assert read_csv(folder / "patrons.csv") == [
        ("primary_id", "loans_before", "loans_after", "loaned", "returned"),
        ("JSmith", "1", "1", "0", "0"),
        ("P1", "1", "1", "2", "2"),
        ("P2", "0", "5", "6", "1"),
        ("P3", "0", "1", "1", "0"),
    ]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["state"] == {"items": 11, "on_loan_before": 2, "on_loan_after": 8,
                                "loaned": 7, "returned": 1, "loaned_to_another": 0,
                                "patrons": 4}


def test_the_temporary_bibs_and_the_load_order(run: tuple[Path, Result]) -> None:
    folder, _ = run
    assert read_csv(folder / "bibs.csv") == [
        ("file", "record", "title", "barcodes", "status", "problem"),
        ("temp-bibs.mrc", "1", "A title", "T1", "ok", ""),
        ("temp-bibs.mrc", "2", "A title", "T3", "ok", ""),
        ("temp-bibs.mrc", "3", "A title", "T4", "ok", ""),
        ("temp-bibs.mrc", "4", "A title", "I9", "error", "item I9 is already an item in the "
         "snapshot: the import of new records would add it again"),
    ]
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    bibs = summary["ill_bibs"]
    assert {k: v for k, v in bibs.items() if k != "sha256"} == {
        "file": "temp-bibs.mrc", "format": "MARC 21 binary", "records": 4, "ok": 3, "error": 1,
        "items": 4, "items_without_record": ["T2"]}
    assert summary["load_order"] == [
        "the temporary ILL bibs, with an inventory import profile for new records only",
        "the ILL file (ILLcirc.dat), right before the offline circulation file",
        "the offline circulation file (OffCirc.dat), right before go-live"]


def test_the_run_folder_and_its_manifest(run: tuple[Path, Result]) -> None:
    folder, _ = run
    assert sorted(p.name for p in folder.iterdir()) == [
        ".cutover-run", "bibs.csv", "lines.csv", "patrons.csv", "report.html", "state.csv",
        "summary.json"]
    manifest = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["manifest"]
    assert manifest["snapshot"]["stage"] == "fulfillment"
    assert manifest["scenario"]["ill_bibs"] == {"barcode": "949$b", "location": "949$l"}
    assert set(manifest["snapshot"]["files"]) == {
        "snapshot.yaml", "users.csv", "user_identifiers.csv", "items.csv", "loans.csv"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids |= {v for k, v in attrs if k == "id" and v}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_report_shows_verdict_problems_state_and_bibs(run: tuple[Path, Result]) -> None:
    folder, _ = run
    page = _Text()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    assert {"glance", "verdict", "load-order", "files", "checks", "problems", "state", "bibs",
            "without-record", "manifest"} <= page.ids
    text = " ".join(" ".join(page.text).split())
    assert "14 lines with errors, 2 lines with warnings, 1 temporary bib record with problems" \
        in text
    assert "item I2 is already on loan to JSmith: a loan in the snapshot" in text
    assert "They load before the ILL file" in text


def test_a_clean_file_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = check(world(tmp_path, [R(at(13), "I1"), L(at(14), "I3", "P2")]))
    assert result.exit_code == 0, result.output
    assert "every line ok" in result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["lines"] == {"lines": 2, "ok": 2, "warning": 0, "error": 0}
    assert summary["ill_bibs"] is None
    assert summary["load_order"] == [
        "the offline circulation file (OffCirc.dat), right before go-live"]
    assert not (tmp_path / "run" / "bibs.csv").exists()


def test_without_the_freeze_and_go_live_dates_those_checks_are_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    dates = "  freeze_start: 2026-03-02\n  clean_data_delivered: 2026-03-11\n"
    result = check(world(tmp_path, [L(at(20), "I3", "P2")], dates=dates))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["notes"] == [
        "the scenario gives no fulfillment_freeze: no line was checked for “ill transaction "
        "after the fulfillment freeze”",
        "the scenario gives no fulfillment_freeze: no line was checked for “transaction before "
        "the fulfillment freeze”",
        "the scenario gives no go_live: no line was checked for “transaction at or after "
        "go-live”"]


def test_the_freeze_and_go_live_boundaries(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A date is its day's start: the fulfillment freeze begins at 2026-03-13 00:00, go-live at
    2026-03-16 00:00; the technical freeze at 2026-03-02 00:00."""
    monkeypatch.chdir(tmp_path)
    offline = [L(at(13, 0, 0), "I3", "P2"), L(at(15, 23, 59), "I4", "P2"),
               L(at(16, 0, 0), "I5", "P2")]
    ill = [L(at(2, 0, 0), "T1", "P2"), L(at(12, 23, 59), "T3", "P2"),
           L(at(13, 0, 0), "T4", "P2")]
    result = check(world(tmp_path, offline, ill, [bib("T1"), bib("T3"), bib("T4")]))
    assert result.exit_code == 1, result.output
    rows = read_csv(tmp_path / "run" / "lines.csv")[1:]
    assert [(f, n, status) for f, n, status, _ in rows] == [
        ("ILLcirc.dat", "1", "ok"), ("ILLcirc.dat", "2", "ok"), ("ILLcirc.dat", "3", "error"),
        ("OffCirc.dat", "1", "ok"), ("OffCirc.dat", "2", "ok"), ("OffCirc.dat", "3", "error")]
    assert rows[2][3].startswith("2026-03-13 00:00 is at or after the fulfillment freeze")
    assert rows[5][3].startswith("2026-03-16 00:00 is at or after go-live")


def test_a_snapshot_of_another_stage_is_a_warning(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = check(world(tmp_path, [R(at(13), "I1")], stage="cutover"))
    assert result.exit_code == 0, result.output
    assert ("fulfillment: stage 'cutover', but the files are checked against Alma after the "
            "fulfillment load ('fulfillment')") in result.output


def errors(result: Result) -> list[str]:
    return [line.removeprefix("error ") for line in result.output.splitlines()
            if line.startswith("error ")]


def test_bad_inputs_are_all_reported_at_once_and_nothing_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = world(tmp_path, [R(at(13), "I1")])
    (tmp_path / "scenario.yaml").write_text("institution: TST\ndates:\n  freeze_start: x\n",
                                            encoding="utf-8")
    result = check(["missing.dat", *args[1:], "--ill", "nope.dat"])
    assert result.exit_code == 2
    assert errors(result) == [
        "missing.dat: not found",
        "nope.dat: --ill: not found",
        "scenario.yaml:2:1: missing date 'clean_data_delivered'",
        "scenario.yaml:3:17: freeze_start: 'x' is not an ISO date (YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SS)",
    ]
    assert not (tmp_path / "run").exists()


def test_a_snapshot_that_does_not_validate_is_bad_input(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = world(tmp_path, [R(at(13), "I1")])
    (tmp_path / "fulfillment" / "loans.csv").write_text(
        "loan_id,item_barcode,primary_id\nL1,I1,\n", encoding="utf-8")
    result = check(args)
    assert result.exit_code == 2
    assert errors(result) == [
        "fulfillment/loans.csv:2:3: column primary_id: no value, but the column is required"]
    assert not (tmp_path / "run").exists()


def test_inputs_that_do_not_fit_together(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = world(tmp_path, [R(at(13), "I1")], records=[bib("T1")])
    (tmp_path / "scenario.yaml").write_text(f"institution: NFU\ndates:\n{SCENARIO_DATES}",
                                            encoding="utf-8")
    result = check(args)
    assert result.exit_code == 2
    assert errors(result) == [
        "--ill-bibs: given without --ill: the temporary bibs are the records of the ILL file's "
        "items",
        "scenario.yaml:1:1: --ill-bibs needs the fields that hold each item's barcode and "
        "location in the temporary bibs: add `ill_bibs: {barcode: 949$b, location: 949$l}` (the "
        "fields the import profile names)"]
    result = check(args[:5])
    assert errors(result) == ["fulfillment/snapshot.yaml:2:14: institution 'TST' differs from "
                              "the scenario's 'NFU' (scenario.yaml:1:14)"]


def test_out_may_not_replace_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = world(tmp_path, [R(at(13), "I1")])
    result = check(args, out="fulfillment")
    assert result.exit_code == 2
    assert errors(result) == ["fulfillment: --out is the input folder fulfillment (--snapshot): "
                              "choose a folder outside the inputs"]


def test_out_under_a_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = world(tmp_path, [R(at(13), "I1")])
    (tmp_path / "notes.txt").write_text("hi\n", encoding="utf-8")
    result = check(args, out="notes.txt/run")
    assert result.exit_code == 2
    assert errors(result) == ["notes.txt/run: cannot write --out: notes.txt is a file, not a "
                              "folder; choose another --out"]


def test_the_report_escapes_what_the_file_holds(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = check(world(tmp_path, [L(at(13), "<script>alert(1)</script>", "P2")]))
    assert result.exit_code == 1
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "item &lt;script&gt;alert(1)&lt;/script&gt; is not in the snapshot" in html


# -- the replay against a model of it -----------------------------------------------------------

@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("replay")
    world(root, [])
    connection = db.connect()
    opening.attach(connection, snapshot.open_snapshot(root / "fulfillment", "alma"))
    yield connection
    connection.close()


def model(steps: list[tuple[str, str, str]]) -> tuple[list[bool], dict[str, str]]:
    """Alma's upload as a loop: each transaction in order, on the snapshot's open loans."""
    holder = {"I1": "P1", "I2": "JSmith"}
    oks = []
    for kind, item, patron in steps:
        ok = (item not in holder) if kind == "L" else (item in holder)
        if ok and kind == "L":
            holder[item] = patron
        elif ok:
            del holder[item]
        oks.append(ok)
    return oks, holder


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("LR"), st.sampled_from(["I1", "I2", "I3", "I4"]),
                          st.sampled_from(["P1", "P2", "JSmith"])), max_size=25))
def test_the_replay_is_the_loop_alma_runs(con: Any, steps: list[tuple[str, str, str]]) -> None:
    text = "".join(offline_circ.line_text(at(13, 9, i), kind, item, patron) + "\n"
                   for i, (kind, item, patron) in enumerate(steps))
    parsed = offline_circ.parse(text.encode())
    tx = opening.TxFile(Path("OffCirc.dat"), "offline", parsed, "")
    lines.load(con, [tx], None)
    lines.facts(con)
    replay.run(con)
    oks, holder = model(steps)
    assert [bool(ok) for (ok,) in con.rows("select ok from oc_replay order by seq")] == oks
    after = {b: p for b, a, p in con.rows(
        "select barcode, after, after_primary_id from oc_state") if a == "on_loan"}
    touched = {item for _, item, _ in steps}
    assert after == {b: p for b, p in holder.items() if b in touched}
