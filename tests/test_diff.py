"""`cutover diff RUN_A RUN_B`: records, findings, discrepancies and inputs of two saved runs."""

from __future__ import annotations

import csv
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import World, user, write_snapshot
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.commands import diff, verify
from simulator.commands.predict import predict
from simulator.commands.whatif import command as whatif
from simulator.core import engine
from simulator.errors import UserError

COLUMNS = ["change", "side", "entity", "record_key", "outcome_before", "outcome_after",
           "rule_before", "rule_after"]
LAYER = """\
entity: users
side: alma
rules:
  - id: users.non-public
    when: record_type in ('STAFF', 'CONTACT')
    outcome: retained
    reason: The same rule with other words, so only the pack's hash changes.
    cite: Users at cutover
"""


def world_a(root: Path) -> World:
    w = World(root)
    w.pre = {"users": [user("P1"), user("S1", "STAFF")],
             "sets": [{"set_id": "SET1", "set_type": "ITEMIZED"}],
             "vendors": [{"code": "V1"}]}
    w.extract = {"patrons": [{"primary_id": "P1"}],
                 "vendors": [{"code": "V1"}, {"code": "V9"}]}
    return w


def world_b(root: Path) -> World:
    """World A with known changes: P1 made staff (its patron is then rejected), SET1 gone,
    SET2 new, vendor V9 gone from the extract, retain_licenses on."""
    w = world_a(root)
    w.pre["users"][0]["record_type"] = "STAFF"
    w.pre["sets"] = [{"set_id": "SET2", "set_type": "LOGICAL"}]
    w.extract["vendors"] = [{"code": "V1"}]
    w.options = {"retain_licenses": True}
    return w


def predicted(w: World, out: Path, rules: list[Path] | None = None) -> Path:
    with w.session(rules) as session:
        predict(session, out, command=["cutover", "predict"])
    return out


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "users.yaml").write_text(LAYER, encoding="utf-8")
    a = predicted(world_a(tmp_path / "a"), tmp_path / "run-a")
    b = predicted(world_b(tmp_path / "b"), tmp_path / "run-b", [layer])
    return a, b


def rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as f:
        data = list(csv.reader(f))
    return [tuple(r) for r in data[1:]]


def test_differences_known_by_construction(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_runs
    out = tmp_path / "diff"
    result = diff.run(a, b, out, command=["cutover", "diff"])
    expected = [
        ("disappeared", "alma", "sets", "SET1", "removed", "", "sets.itemized", ""),
        ("appeared", "alma", "sets", "SET2", "", "retained", "", "sets.logical"),
        ("changed", "alma", "users", "P1", "removed", "retained", "users.public",
         "users.non-public"),
        ("changed", "extract", "patrons", "P1", "added", "rejected", "patrons.load",
         "patrons.staff-conversion"),
        ("disappeared", "extract", "vendors", "V9", "rejected", "", "vendors.missing-in-alma",
         ""),
    ]
    assert rows(out / "changes.csv") == expected
    table = pq.read_table(out / "changes.parquet")
    assert table.column_names == COLUMNS
    assert table.num_rows == len(expected)
    s = result.summary
    assert s["kind"] == "diff"
    assert s["totals"] == {"changed": 2, "appeared": 1, "disappeared": 2}
    assert s["new_blockers"] == []
    assert s["cleared_blockers"] == ["vendors.missing-in-alma"]
    changes = {f["id"]: f["change"] for f in s["finding_changes"]}
    assert changes == {"vendors.missing-in-alma": "cleared", "sets.itemized": "cleared",
                       "patrons.staff-conversion": "appeared"}
    inputs = {i["what"]: i for i in s["inputs"]}
    assert not inputs["Rule pack"]["same"]
    assert inputs["Rule pack"]["details"][1] == "only in B: " + str(tmp_path / "layer" /
                                                                    "users.yaml")
    assert not inputs["Snapshot pre"]["same"]
    assert "2 files changed: sets.csv, users.csv" in inputs["Snapshot pre"]["details"]
    assert not inputs["Snapshot extract"]["same"]
    assert "1 file changed: vendors.csv" in inputs["Snapshot extract"]["details"]
    assert inputs["Scenario"] == {"what": "Scenario", "same": False,
                                  "details": ["retain_licenses: false → true"]}
    assert inputs["Tool"]["same"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="verdict"' in html and 'data-input="Rule pack"' in html
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(s))


def test_the_same_run_twice_is_identical(tmp_path: Path) -> None:
    w = world_a(tmp_path / "a")
    a = predicted(w, tmp_path / "run-a")
    b = predicted(w, tmp_path / "run-b")
    result = diff.run(a, b, tmp_path / "diff")
    s = result.summary
    assert s["totals"] == {"changed": 0, "appeared": 0, "disappeared": 0}
    assert s["finding_changes"] == []
    assert all(i["same"] for i in s["inputs"]), s["inputs"]
    assert rows(tmp_path / "diff" / "changes.csv") == []
    html = (tmp_path / "diff" / "report.html").read_text(encoding="utf-8")
    assert "the same outcome for every record" in html


def post_snapshot(folder: Path, users: list[dict[str, Any]]) -> Path:
    return write_snapshot(folder, "cutover", {"users": users})


def test_verify_runs_compare_their_discrepancies(tmp_path: Path) -> None:
    w = world_a(tmp_path / "a")
    prediction = predicted(w, tmp_path / "prediction")
    post1 = post_snapshot(tmp_path / "post1", [user("P1")])  # S1 lost
    post2 = post_snapshot(tmp_path / "post2", [user("P1"), user("S1", "STAFF"),
                                               user("ZZ", "STAFF")])  # S1 back, ZZ unexpected
    v1 = verify.run_saved(prediction, post1, tmp_path / "v1", command=["verify"]).out
    v2 = verify.run_saved(prediction, post2, tmp_path / "v2", command=["verify"]).out
    result = diff.run(v1, v2, tmp_path / "diff")
    s = result.summary
    assert s["totals"] == {"changed": 0, "appeared": 0, "disappeared": 0}  # same prediction
    disc = {(d["entity"], d["class"]): d for d in s["discrepancy_changes"]}
    assert disc[("alma.users", "lost_unexpectedly")]["cleared"] == 1
    assert disc[("post.users", "unexpected")]["appeared"] == 1
    moved = rows(tmp_path / "diff" / "discrepancy_changes.csv")
    assert ("cleared", "alma", "users", "S1", "lost_unexpectedly") in moved
    assert ("appeared", "post", "users", "ZZ", "unexpected") in moved
    inputs = {i["what"]: i for i in s["inputs"]}
    assert not inputs["Snapshot post"]["same"]
    assert inputs["Snapshot pre"]["same"]


def test_a_whatif_variant_against_its_base(tmp_path: Path) -> None:
    w = world_a(tmp_path / "a")
    v = tmp_path / "v.yaml"
    v.write_text(textwrap.dedent("""\
        name: staff
        assume:
          - {entity: users, where: "primary_id = 'P1'", set: {record_type: STAFF}}
    """), encoding="utf-8")
    with w.session() as session:
        whatif.run(session, [v], tmp_path / "w", command=["cutover", "whatif"])
    result = diff.run(tmp_path / "w" / "variants" / "base", tmp_path / "w" / "variants" / "staff",
                      tmp_path / "diff")
    inputs = {i["what"]: i for i in result.summary["inputs"]}
    assert inputs["Rule pack"]["same"] and inputs["Snapshot pre"]["same"]
    assert not inputs["Variant (patches)"]["same"]
    assert result.summary["totals"]["changed"] == 2  # the user and, by cascade, its patron


# --- errors and the command line ---------------------------------------------------------------


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, args)


def test_cli_exit_0(two_runs: tuple[Path, Path], tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_runs
    out = tmp_path / "diff"
    result = invoke(["--quiet", "diff", str(a), str(b), "--out", str(out)], monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Rule pack: changed" in result.stdout
    assert {p.name for p in out.iterdir()} == {"changes.csv", "changes.parquet", "summary.json",
                                               "report.html", ".cutover-run"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["command"] == ["cutover", "--quiet", "diff", str(a), str(b),
                                              "--out", str(out)]


def test_cli_exit_2_for_folders_that_are_not_runs(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "diff"
    result = invoke(["diff", str(empty), str(tmp_path / "missing"), "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"{empty}: RUN_A: not a run folder (no summary.json)" in result.stderr
    assert f"{tmp_path / 'missing'}: RUN_B: run folder not found" in result.stderr
    assert not out.exists()


def test_problems_with_run_folders(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_runs
    with pytest.raises(UserError, match="one of the runs compared"):
        diff.run(a, b, a)
    assert (a / "ledger.parquet").is_file()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "summary.json").write_text('{"kind": "predict",\n  oops}', encoding="utf-8")
    with pytest.raises(UserError) as e:
        diff.run(broken, b, tmp_path / "d")
    assert str(e.value.problems[0]).startswith(f"{broken / 'summary.json'}:2:3: RUN_A: "
                                               "summary.json is not valid JSON")
    no_ledger = tmp_path / "no-ledger"
    no_ledger.mkdir()
    (no_ledger / "summary.json").write_text('{"kind": "predict"}', encoding="utf-8")
    with pytest.raises(UserError, match="no ledger.parquet"):
        diff.run(no_ledger, b, tmp_path / "d")
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "summary.json").write_text('{"kind": "predict"}', encoding="utf-8")
    (fake / "ledger.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(UserError, match="ledger.parquet: cannot read"):
        diff.run(a, fake, tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_a_whatif_folder_is_not_a_run(tmp_path: Path) -> None:
    w = world_a(tmp_path / "a")
    v = tmp_path / "v.yaml"
    v.write_text("name: nothing\n", encoding="utf-8")
    with w.session() as session:
        whatif.run(session, [v], tmp_path / "w", command=["cutover", "whatif"])
    with pytest.raises(UserError, match="compare two of its runs"):
        diff.run(tmp_path / "w", tmp_path / "w" / "variants" / "base", tmp_path / "d")


def test_pseudonymised_against_plain_is_a_warning(tmp_path: Path) -> None:
    w = world_a(tmp_path / "a")
    a = predicted(w, tmp_path / "run-a")
    b = tmp_path / "run-b"
    with w.session(pseudonymize="k") as session:
        predict(session, b, command=["cutover", "predict"])
    result = diff.run(a, b, tmp_path / "diff")
    assert any("pseudonymised" in x for x in result.summary["warnings"])
    assert engine.LEDGER_COLUMNS[:3] == ("side", "entity", "record_key")
