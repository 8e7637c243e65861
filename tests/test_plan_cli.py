"""`cutover plan` end to end through the command line: the run folder, the report, exit codes,
nothing written on bad input, and the sample consortium (docs/commands/plan.md)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import pytest
from typer.testing import CliRunner, Result

from simulator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "consortium"
PLAN = """\
consortium: CASCADE
clusters:
  - name: "1"
    freeze: 2026-06-01
    institutions: [UWX, OSX]
  - name: "2"
    freeze: 2026-06-12
    institutions: [LCX, RCX, WCX]
"""
CHANGES = """\
timestamp,institution,area,action,record_id
2026-05-31 23:59,UWX,existing_bib,update,b1
2026-06-01 00:00,LCX,existing_bib,update,b2
2026-06-05 10:00,LCX,new_bib,create,b3
2026-06-12 00:00,LCX,new_bib,create,b4
2026-06-10 10:00,UWX,loans,create,=HYPERLINK("x")
"""
FILES = {".cutover-run", "plan.csv", "plan.ics", "calendar.csv", "changes.csv", "summary.json",
         "report.html"}


def invoke(args: list[str]) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["cutover", *args])
        return CliRunner().invoke(app, args)


def inputs(tmp_path: Path, plan: str = PLAN, changes: str = CHANGES) -> tuple[Path, Path]:
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    (tmp_path / "changes.csv").write_text(changes, encoding="utf-8")
    return tmp_path / "plan.yaml", tmp_path / "changes.csv"


def test_the_run_folder_of_the_example(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path)
    out = tmp_path / "runs" / "plan-1"
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(out)])
    assert result.exit_code == 1, result.output  # a change is lost or breaks the freeze
    assert "Changes: migrated 2, supply_separately 1, breaks_freeze 1, lost 1" in result.stdout
    assert "30 milestones, 4 weeks; run folder:" in result.stdout
    assert {p.name for p in out.iterdir()} == FILES
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["changes"]["by_class"] == {"migrated": 2, "supply_separately": 1,
                                              "breaks_freeze": 1, "lost": 1}
    assert summary["changes"]["rows"] == 5
    assert summary["clusters"][1]["milestones"]["go_live"] == ["2026-06-26", "2026-06-26"]
    assert summary["weeks"][-1] == {"week": 4, "start": "2026-06-22", "end": "2026-06-28"}
    assert summary["plan"]["timezone"] == "UTC"
    assert set(summary["manifest"]["inputs"]) == {"plan file", "change log"}
    assert summary["manifest"]["command"][:2] == ["cutover", "plan"]
    rows = list(csv.DictReader(io.StringIO((out / "changes.csv").read_text(encoding="utf-8"))))
    assert [(r["record_id"], r["class"]) for r in rows] == [
        ("b1", "migrated"), ("b2", "breaks_freeze"), ("b3", "supply_separately"),
        ("b4", "lost"), ("'=HYPERLINK(\"x\")", "migrated")]  # a formula stays text
    assert len((out / "plan.csv").read_text(encoding="utf-8").splitlines()) == 31
    assert len((out / "calendar.csv").read_text(encoding="utf-8").splitlines()) == 161
    cal = icalendar.Calendar.from_ical((out / "plan.ics").read_bytes())
    assert len(cal.walk("VEVENT")) == 30


def test_the_same_inputs_give_the_same_files(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path)
    for name in ("a", "b"):
        assert invoke(["plan", str(plan), "--changes", str(log), "--out",
                       str(tmp_path / name)]).exit_code == 1
    for name in ("plan.csv", "calendar.csv", "changes.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_without_a_change_log(tmp_path: Path) -> None:
    plan, _ = inputs(tmp_path)
    out = tmp_path / "plan-1"
    result = invoke(["plan", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES - {"changes.csv"}
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["changes"] is None
    assert "No change log was given" in (out / "report.html").read_text(encoding="utf-8")


def test_a_change_log_with_nothing_at_risk_exits_0(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path, changes="timestamp,institution,area,action,record_id\n"
                                         "2026-06-05 10:00,LCX,new_bib,create,b3\n")
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


def test_a_bad_plan_writes_nothing(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path, plan=PLAN.replace("2026-06-12", "2026-05-12"))
    out = tmp_path / "runs" / "plan-1"
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(out)])
    assert result.exit_code == 2
    assert "plan.yaml:7:13: cluster '2' freezes on 2026-05-12, not after cluster '1' " \
           "(2026-06-01)" in result.stderr
    assert "1 problem; nothing was written." in result.stderr
    assert not (tmp_path / "runs").exists()


def test_a_bad_change_row_writes_nothing(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path, changes=CHANGES + "2026-06-10 10:00,XYZ,loans,create,l9\n")
    out = tmp_path / "plan-1"
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(out)])
    assert result.exit_code == 2
    assert "changes.csv:7:2: institution 'XYZ' is not in the plan" in result.stderr
    assert not out.exists()


def test_out_may_not_hold_an_input(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path)
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--out holds the input file" in result.stderr
    assert "(the plan file)" in result.stderr
    assert "(--changes)" in result.stderr


def test_out_under_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("hi\n", encoding="utf-8")
    result = invoke(["plan", str(plan), "--changes", str(log), "--out", str(notes / "plan-1")])
    assert result.exit_code == 2
    assert result.stderr == (f"error {notes}/plan-1: cannot write --out: {notes} is a file, not "
                             "a folder; choose another --out\n1 problem; nothing was written.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changes.csv", "notes.txt", "plan.yaml"]


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.classes: Counter[str] = Counter()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if name == "class" and value:
                self.classes.update(value.split())

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_report_draws_the_plan_and_escapes_names(tmp_path: Path) -> None:
    plan, log = inputs(tmp_path, plan=PLAN.replace("CASCADE", "<script>alert(1)</script>")
                       .replace('name: "2"', 'name: "<b>2</b>"'))
    out = tmp_path / "o"
    assert invoke(["plan", str(plan), "--changes", str(log), "--out", str(out)]).exit_code == 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>2</b>" not in html
    page = Page()
    page.feed(html)
    assert page.tags["svg"] == 1
    assert page.tags["polygon"] == 2 * 2  # a freeze and a go-live per cluster
    assert page.tags["rect"] == 2 * 4  # the four milestones that span days
    assert page.classes["grid"] == 2
    assert page.classes["state"] == 2 * 8 * 4
    assert page.classes["state-alma"] == 8 * 2 + 2 * 2  # by the first day of each week
    assert "Cluster <b>2</b>: LCX, RCX, WCX" in "".join(page.text)
    cal = icalendar.Calendar.from_ical((out / "plan.ics").read_bytes())
    assert str(cal["X-WR-CALNAME"]) == "Alma cutover plan: <script>alert(1)</script>"
    assert str(cal.walk("VEVENT")[0]["UID"]) == "UWX.technical_freeze@scriptalert1script." \
                                                "cutover-simulator"


def test_the_sample_consortium_has_every_class(tmp_path: Path) -> None:
    out = tmp_path / "demo-plan"
    result = invoke(["plan", str(SAMPLE / "plan.yaml"), "--changes",
                     str(SAMPLE / "changes.csv"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["clusters"]) == 3
    assert sum(len(c["institutions"]) for c in summary["clusters"]) == 12
    assert all(n > 0 for n in summary["changes"]["by_class"].values())
    rows = list(csv.DictReader(io.StringIO((out / "changes.csv").read_text(encoding="utf-8"))))
    given = (SAMPLE / "changes.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(given) - 1 == summary["changes"]["rows"]
    by_id = {r["record_id"]: r["class"] for r in rows}
    assert [by_id[f"b010000{i}"] for i in range(1, 5)] == ["migrated", "breaks_freeze",
                                                           "breaks_freeze", "lost"]
    assert [by_id[f"b020000{i}"] for i in range(1, 7)] == [
        "migrated", "supply_separately", "supply_separately", "lost", "migrated", "lost"]
    assert [by_id["i0500001"], by_id["i0500002"]] == ["migrated", "lost"]


def test_make_demo_runs_the_sample_consortium() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "cutover plan sample_data/consortium/plan.yaml --changes " \
           "sample_data/consortium/changes.csv" in makefile
