"""`cutover rules list | show | doc` over the default pack and over a layered pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.rules.docs import rules_markdown
from simulator.rules.loader import load_pack

ENV = {"COLUMNS": "400"}  # wide enough that no table cell wraps


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=ENV)


def table_rows(output: str) -> list[tuple[str, ...]]:
    return [tuple(c.strip() for c in line.strip("│").split("│"))
            for line in output.splitlines() if line.startswith("│")]


@pytest.fixture
def layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my-pack"
    folder.mkdir()
    (folder / "users.yaml").write_text(
        "entity: users\n"
        "rules:\n"
        "  - id: users.staff-created-collides\n"
        "    disabled: true\n"
        "  - id: users.inactive-public\n"
        "    before: users.public\n"
        "    when: record_type = 'PUBLIC' and status = 'INACTIVE'\n"
        "    outcome: removed\n"
        "    confidence: inferred\n"
        "    reason: Inactive public users | are not reloaded.\n"
        "    cite: Users at cutover\n", encoding="utf-8")
    return Path("my-pack")


def test_rules_list_shows_every_rule_in_order() -> None:
    result = run("rules", "list")
    assert result.exit_code == 0, result.output
    assert table_rows(result.output) == [
        (e.id, r.id, r.outcome, r.confidence, r.cite) for e, r in load_pack().rules()]


def test_rules_list_with_a_layer(layer: Path) -> None:
    result = run("rules", "list", "--rules", str(layer))
    assert result.exit_code == 0, result.output
    ids = [row[1] for row in table_rows(result.output) if row[0] == "alma.users"]
    default = [r.id for e, r in load_pack().rules() if e.id == "alma.users"]
    expected = [i for i in default if i != "users.staff-created-collides"]
    expected.insert(expected.index("users.public"), "users.inactive-public")
    assert ids == expected


def test_rules_show_one_rule_whole() -> None:
    found = load_pack().find_rule("patrons.staff-conversion")
    assert found is not None
    entity, rule = found
    result = run("rules", "show", "patrons.staff-conversion")
    assert result.exit_code == 0, result.output
    assert rule.finding is not None
    assert result.output == (
        f"patrons.staff-conversion  (extract.patrons, {rule.loc})\n"
        f"when:       {rule.when}\n"
        "outcome:    rejected\n"
        f"reason:     {rule.reason}\n"
        "seed:       Users at cutover\n"
        "confidence: documented\n"
        "message:    Transaction silently rolled back because it has been marked as "
        "rollback-only\n"
        f"finding:    warning: {rule.finding.title}\n"
    )
    # The location points at the rule's id in its file.
    line = Path(rule.loc.path).read_text(encoding="utf-8").splitlines()[rule.loc.line - 1]
    assert line[rule.loc.col - 1:] == "patrons.staff-conversion"


def test_rules_show_a_rule_of_a_layer(layer: Path) -> None:
    result = run("rules", "show", "users.inactive-public", "--rules", str(layer))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "users.inactive-public  (alma.users, my-pack/users.yaml:5:9)\n"
        "when:       record_type = 'PUBLIC' and status = 'INACTIVE'\n"
        "outcome:    removed\n"
        "reason:     Inactive public users | are not reloaded.\n"
        "seed:       Users at cutover\n"
        "confidence: inferred\n"
    )


def test_rules_show_an_unknown_rule_exits_2(layer: Path) -> None:
    result = run("rules", "show", "users.staff-created-collides", "--rules", str(layer))
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error RULE_ID: no rule with id 'users.staff-created-collides' (see `cutover rules "
        "list`)\n1 problem.\n")


def test_rules_doc_writes_the_markdown(tmp_path: Path, layer: Path) -> None:
    result = run("rules", "doc")
    assert result.exit_code == 0, result.output
    assert result.output == rules_markdown(load_pack())
    out = tmp_path / "rules.md"
    result = run("rules", "doc", "--rules", str(layer), "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text == rules_markdown(load_pack([layer]))
    assert "users.staff-created-collides" not in text
    # A pipe in a cell is escaped so the table keeps its columns.
    assert ("| `users.inactive-public` | `record_type = 'PUBLIC' and status = 'INACTIVE'` | "
            "removed | Inactive public users \\| are not reloaded. | Users at cutover | "
            "inferred |  |") in text
