"""Loss budgets of `cutover verify --budgets FILE`: the file, the judgement and the exit codes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import World, default_pack, user, write_snapshot
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.commands import verify
from simulator.commands.verify import budgets
from simulator.commands.verify.budgets import Budget, Threshold
from simulator.core.session import Session
from simulator.errors import Loc, UserError

# What a budget's class may name: confirmed and every class of the registry (with the classes
# the default pack's rules declare).
CLASSES = verify.registry(default_pack()).budget_classes
DOC = Path(__file__).resolve().parent.parent / "docs" / "formats" / "budgets.md"


def load(path: Path, text: str) -> list[Budget]:
    path.write_text(text, encoding="utf-8")
    return budgets.load(path, CLASSES, budgets.ENTITIES)


def problems(path: Path, text: str) -> list[str]:
    with pytest.raises(UserError) as e:
        load(path, text)
    return [str(p) for p in e.value.problems]


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, args)


# -- the file --------------------------------------------------------------------------------


def test_budget_file(tmp_path: Path) -> None:
    path = tmp_path / "budgets.yaml"
    found = load(path, """\
# loss budgets of the cutover
budgets:
  - {entity: users, class: lost_unexpectedly, fail: 0}
  - entity: extract.items
    class: lost_unexpectedly
    warn: 0.1%
    fail: 2 %
  - {class: unexpected, warn: 3}
  - {entity: '*', class: '*', fail: 0}
""")
    shown = str(path)
    assert found == [
        Budget("users", "lost_unexpectedly", None, Threshold(0, False), Loc(shown, 3, 5)),
        Budget("extract.items", "lost_unexpectedly", Threshold(0.1, True), Threshold(2, True),
               Loc(shown, 4, 5)),
        Budget("*", "unexpected", Threshold(3, False), None, Loc(shown, 8, 5)),
        Budget("*", "*", None, Threshold(0, False), Loc(shown, 9, 5)),
    ]
    assert [str(b.fail) for b in found] == ["> 0", "> 2%", "None", "> 0"]
    assert str(found[1].warn) == "> 0.1%"
    # A bare list is a budget file too; the stage classes and forms can be budgeted.
    assert load(path, "- {entity: post.users, class: unexpected, warn: 1}\n"
                      "- {entity: extract.forms, class: form_changed, fail: 0}\n"
                      "- {entity: items, class: item_status_mismatch, warn: 5%}\n") == [
        Budget("post.users", "unexpected", Threshold(1, False), None, Loc(shown, 1, 3)),
        Budget("extract.forms", "form_changed", None, Threshold(0, False), Loc(shown, 2, 3)),
        Budget("items", "item_status_mismatch", Threshold(5, True), None, Loc(shown, 3, 3)),
    ]


def test_every_problem_of_a_budget_file_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "budgets.yaml"
    assert problems(path, """\
budgets:
  - {entity: userz, class: lost_unexpectedly, fail: 0}
  - entity: items
    class: lostt
    warn: 0.1%
    fial: 3
  - {entity: '*', class: '*', fail: -1, warn: abc}
  - {entity: users}
  - {entity: users, fail: true}
  - 12
""") == [
        f"{path}:2:14: unknown entity 'userz'",
        f"{path}:4:12: unknown class 'lostt' (expected one of {', '.join(CLASSES)})",
        f"{path}:6:5: unknown key 'fial' (expected entity, class, warn, fail)",
        f"{path}:7:37: threshold -1 must be a count (0, 12) or a percentage (0.1%)",
        f"{path}:7:47: threshold 'abc' must be a count (0, 12) or a percentage (0.1%)",
        f"{path}:8:5: a budget needs warn, fail or both",
        f"{path}:9:27: threshold True must be a count (0, 12) or a percentage (0.1%)",
        f"{path}:10:5: a budget is a mapping with entity, class and warn and/or fail",
    ]


def test_the_documented_examples_are_valid_budget_files(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(budgets:\n.*?)```", DOC.read_text(encoding="utf-8"),
                        re.S)
    assert blocks
    for block in blocks:
        assert load(tmp_path / "budgets.yaml", block)


@pytest.mark.parametrize("text", ["", "budgets: 3\n", "limits: []\n"],
                         ids=["empty", "not-a-list", "no-budgets-key"])
def test_a_budget_file_is_a_list(tmp_path: Path, text: str) -> None:
    path = tmp_path / "budgets.yaml"
    assert problems(path, text) == [f"{path}:1:1: expected a list of budgets under 'budgets:'"]


def test_malformed_yaml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "budgets.yaml"
    found = problems(path, "budgets:\n  - {entity: users, fail: 0\n")
    assert len(found) == 1 and found[0].startswith(f"{path}:"), found
    with pytest.raises(UserError, match="file not found"):
        budgets.load(tmp_path / "absent.yaml", CLASSES, budgets.ENTITIES)


# -- the judgement ---------------------------------------------------------------------------


def test_thresholds() -> None:
    count0, pct = Threshold(0, False), Threshold(0.1, True)
    assert not count0.crossed(0, 10) and count0.crossed(1, 10)
    assert not Threshold(2, False).crossed(2, 2) and Threshold(2, False).crossed(3, 1000)
    assert not pct.crossed(1, 1000)  # 0.1 % is not more than 0.1 %
    assert pct.crossed(2, 1000)
    assert not pct.crossed(0, 0)
    assert pct.crossed(1, 0)  # a share of nothing: no record to measure it against


def test_first_matching_budget_decides(tmp_path: Path) -> None:
    found = load(tmp_path / "b.yaml", """\
budgets:
  - {entity: users, class: lost_unexpectedly, fail: 0}
  - {entity: extract.items, class: '*', warn: 1%, fail: 10%}
  - {entity: users, warn: 10%}
  - {entity: '*', class: '*', fail: 0}
""")
    users_lost, items, users_any, anything = found
    assert budgets.judge(found, "alma.users", "lost_unexpectedly", 1, 100) == ("fail", users_lost)
    assert budgets.judge(found, "post.users", "unexpected", 10, 100) == ("ok", users_any)
    assert budgets.judge(found, "post.users", "unexpected", 11, 100) == ("warn", users_any)
    assert budgets.judge(found, "extract.items", "lost_unexpectedly", 1, 100) == ("ok", items)
    assert budgets.judge(found, "extract.items", "lost_unexpectedly", 2, 100) == ("warn", items)
    assert budgets.judge(found, "extract.items", "lost_unexpectedly", 11, 100) == ("fail", items)
    # extract.items names one side only.
    assert budgets.judge(found, "alma.items", "survived_unexpectedly", 1, 100) == (
        "fail", anything)
    assert budgets.judge([users_lost], "alma.sets", "unexpected", 5, 5) == ("ok", None)
    assert budgets.judge(budgets.DEFAULT, "alma.sets", "unexpected", 1, 5) == (
        "fail", budgets.DEFAULT[0])
    assert [str(b.threshold(v)) for b, v in ((items, "warn"), (items, "fail"), (items, "ok"),
                                             (users_any, "ok"))] == ["> 1%", "> 10%", "> 10%",
                                                                     "> 10%"]


# -- through the command ---------------------------------------------------------------------


def _lost_one_of_two(world: World) -> Path:
    world.pre = {"users": [user("Staff1", "STAFF"), user("Staff2", "STAFF")]}
    return write_snapshot(world.root / "post", "cutover", {"users": [user("Staff2", "STAFF")]})


def _args(world: World, post: Path, out: Path) -> list[str]:
    pre, extract, scenario, _ = world.write()
    return ["--quiet", "verify", "--pre", str(pre), "--extract", str(extract), "--scenario",
            str(scenario), "--post", str(post), "--out", str(out)]


@pytest.mark.parametrize("text,code,severity,budget", [
    (None, 1, "blocker", "> 0"),
    ("- {entity: users, class: lost_unexpectedly, fail: 0}", 1, "blocker", "> 0"),
    ("- {entity: alma.users, class: lost_unexpectedly, warn: 0, fail: 60%}", 0, "warning", "> 0"),
    ("- {entity: users, class: '*', warn: 50%, fail: 1}", 0, "info", "> 1"),
    ("- {entity: extract.users, class: '*', fail: 0}\n"
     "- {entity: '*', class: lost_unexpectedly, warn: 0}", 0, "warning", "> 0"),
], ids=["default", "fail", "warn", "within", "first-match"])
def test_judgement_severity_and_exit_code(world: World, monkeypatch: pytest.MonkeyPatch,
                                          text: str | None, code: int, severity: str,
                                          budget: str) -> None:
    post = _lost_one_of_two(world)
    out = world.root / "verify"
    args = _args(world, post, out)
    if text is not None:
        (world.root / "budgets.yaml").write_text(text + "\n", encoding="utf-8")
        args += ["--budgets", str(world.root / "budgets.yaml")]
    result = invoke(args, monkeypatch)
    assert result.exit_code == code, result.output
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(f["id"], f["severity"], f["count"], f["budget"]) for f in summary["findings"]] == [
        ("verify.lost_unexpectedly.alma.users.users.non-public", severity, 1, budget)]
    assert summary["verdict"] == ("1 discrepancy; 1 over a fail budget." if code else
                                  "1 discrepancy, none over a fail budget.")


def test_bad_budgets_exit_2_with_the_other_input_problems(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _lost_one_of_two(world)
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  - {entity: userz, fail: 0}\n", encoding="utf-8")
    out = tmp_path / "verify"
    missing = tmp_path / "no-such-post"
    result = invoke([*_args(world, missing, out), "--budgets", str(path)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"{path}:2:14: unknown entity 'userz'" in result.stderr
    assert f"{missing}: snapshot folder not found (--post)" in result.stderr
    assert "2 problems; nothing was written." in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("limit,severity", [("20%", "blocker"), ("30%", "info")])
def test_percentages_of_a_stage_check_are_of_the_rows_after_the_load(
        world: World, tmp_path: Path, limit: str, severity: str) -> None:
    # No items before the load: the share is of the four items Alma holds after it.
    path = tmp_path / "budgets.yaml"
    path.write_text(f"budgets:\n  - {{entity: items, class: item_status_mismatch, fail: {limit}}}"
                    "\n  - {entity: '*', class: '*', warn: 0}\n", encoding="utf-8")
    items = [{"barcode": f"B{i}", "status": "ON_LOAN" if i == 1 else "IN_PLACE"}
             for i in range(1, 5)]
    post = write_snapshot(tmp_path / "post", "fulfillment", {"items": items})
    with Session(world.inputs()) as session:
        run = verify.run(session, post, tmp_path / "out", stage="fulfillment",
                         budgets_path=path)
    assert [(f["class"], f["severity"], f["budget"]) for f in run.summary["findings"]
            if f["class"] == "item_status_mismatch"] == [
        ("item_status_mismatch", severity, f"> {limit}")]
    assert run.failed is (severity == "blocker")
