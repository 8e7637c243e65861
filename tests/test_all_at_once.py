"""Every problem of every input in one run (docs/formats/bad-input.md): a broken scenario, rule
layer or what-if variant does not hide the problems of the snapshots' tables, and the other way
round; exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import World, role, user
from typer.testing import CliRunner

from simulator.cli import app

DUPLICATE = ("error freeze/users.csv:3:1: column primary_id: 'U1' is not a unique key "
             "(primary_id): row 2 has 'U1'")


@pytest.fixture
def inputs(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The world's inputs, written, with a key twice in the freeze's users."""
    monkeypatch.chdir(tmp_path)
    world.pre = {"users": [user("U1"), user("U1")], "user_roles": [role("U1")]}
    world.extract = {"patrons": []}
    world.write()
    return ["--pre", "freeze", "--extract", "extract", "--scenario", "scenario.yaml"]


def run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["--quiet", *args])
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stderr.splitlines()
                              if not line.startswith("warning ")]


def test_a_scenario_typo_and_a_duplicate_key_together(inputs: list[str], tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + "options:\n  retian_funds: true\n",
                        encoding="utf-8")
    code, lines = run("predict", *inputs, "--out", "run")
    assert code == 2
    assert lines[0] == DUPLICATE
    assert lines[1].startswith("error scenario.yaml:9:3: unknown option 'retian_funds': did you "
                               "mean 'retain_funds'?")
    assert lines[2:] == ["2 problems; nothing was written."]
    assert not (tmp_path / "run").exists()


def test_a_broken_rule_layer_and_a_duplicate_key_together(inputs: list[str],
                                                          tmp_path: Path) -> None:
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "users.yaml").write_text(
        "entity: users\nrules:\n  - id: users.mine\n    when: stauts = 'X'\n"
        "    outcome: retained\n    reason: mine\n    cite: mine\n"
        "    before: users.created-during-freeze\n",
        encoding="utf-8")
    code, lines = run("predict", *inputs, "--rules", "layer", "--out", "run")
    assert code == 2
    assert lines == [
        DUPLICATE,
        "error layer/users.yaml:4:11: rule 'users.mine': unknown column or fact 'stauts' "
        "(did you mean 'status'?)",
        "2 problems; nothing was written."]
    assert not (tmp_path / "run").exists()


def test_a_broken_variant_and_a_duplicate_key_together(inputs: list[str], tmp_path: Path) -> None:
    (tmp_path / "later.yaml").write_text("name: later\ndates: {freeze_start: 2O26-03-09}\n",
                                         encoding="utf-8")
    code, lines = run("whatif", *inputs, "--variant", "later.yaml", "--out", "run")
    assert code == 2
    assert lines == [
        DUPLICATE,
        "error later.yaml:2:23: freeze_start: '2O26-03-09' is not an ISO date (YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SS)",
        "2 problems; nothing was written."]
    assert not (tmp_path / "run").exists()


def test_valid_tables_add_nothing_to_a_scenario_typo(inputs: list[str], tmp_path: Path) -> None:
    users = tmp_path / "freeze" / "users.csv"
    users.write_text("\n".join(users.read_text(encoding="utf-8").splitlines()[:2]) + "\n",
                     encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + "options:\n  retian_funds: true\n",
                        encoding="utf-8")
    code, lines = run("predict", *inputs, "--out", "run")
    assert code == 2
    assert len(lines) == 2 and lines[0].startswith("error scenario.yaml:9:3: unknown option")


def test_only_commands_that_write_say_nothing_was_written(inputs: list[str]) -> None:
    """snapshot validate, explain and rules lint only read: their count says nothing of files."""
    result = CliRunner().invoke(app, ["--quiet", "snapshot", "validate", "freeze"])
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (2, "1 problem.")
    result = CliRunner().invoke(app, ["--quiet", "predict", *inputs, "--out", "run"])
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2, "1 problem; nothing was written.")
