"""`cutover explain` on the sample institution: facts, every rule's value, the deciding rule.

The explanation must agree with the ledger that `cutover predict` writes for the same inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import World, default_pack, role, user
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from simulator import db
from simulator.cli import app
from simulator.cli.explaining import sql_words, wrap_sql
from simulator.commands.explain import explain, explain_loaded, resolve_entity, tables_read
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.inputs import bundle

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
INPUTS = ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
          "--scenario", str(SAMPLE / "scenario.yaml"), "--testload", str(SAMPLE / "testload")]
ENV = {"COLUMNS": "250"}  # wide enough that no table cell wraps


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["--quiet", *args], env=ENV)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(side, entity, record_key) -> (outcome, rule_id), from a real `cutover predict` run."""
    out = tmp_path_factory.mktemp("run") / "predict"
    result = run("predict", *INPUTS, "--out", str(out))
    assert result.exit_code in (0, 1), result.output
    con = db.connect()
    try:
        rows = con.rows("select side, entity, record_key, outcome, rule_id from read_parquet($p)",
                        {"p": str(out / "ledger.parquet")})
    finally:
        con.close()
    return {(s, e, k): (o, r) for s, e, k, o, r in rows}


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[db.Connection, bundle.Inputs]]:
    inputs = bundle.open_inputs(SAMPLE / "freeze", SAMPLE / "extract", SAMPLE / "scenario.yaml",
                                SAMPLE / "testload")
    with Session(inputs) as session:
        session.need()
        yield session.con, inputs


def parse(output: str) -> dict[str, Any]:
    """The parts of the explain output: header, facts, rule rows, verdict line."""
    lines = output.splitlines()
    facts = {}
    for line in lines[1:]:
        if not line.startswith("  fact "):
            break
        name, _, value = line[len("  fact "):].partition(" = ")
        facts[name] = value
    rows = []
    for line in lines:
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            number, rule_id, when, value, outcome = cells
            rows.append((int(number), rule_id, when, value, outcome))
    verdict = [ln for ln in lines if ln.startswith("→ ")]
    assert len(verdict) == 1, output
    return {"header": lines[0], "facts": facts, "rows": rows, "verdict": verdict[0]}


def expected_rows(entity_id: str, values: list[str], decides: str) -> list[tuple[Any, ...]]:
    entity = next(e for e in default_pack().entities.values() if e.id == entity_id)
    return [(i, r.id, r.when, v,
             r.outcome + (" ◀ decides" if r.id == decides else ""))
            for i, (r, v) in enumerate(zip(entity.rules, values, strict=True), 1)]


def test_explain_a_user_found_ignoring_letter_case(ledger: dict[Any, Any]) -> None:
    result = run("explain", *INPUTS, "users", "p02401")
    assert result.exit_code == 0, result.output
    out = parse(result.output)
    assert out["header"] == "alma.users P02401"
    assert out["facts"] == {"changed_in_freeze": "False", "created_in_freeze": "False",
                            "has_staff_role": "True", "in_extract": "True",
                            "public_at_testload": "True"}
    assert out["rows"] == expected_rows(
        "alma.users", ["False", "False", "False", "False", "False", "True", "True", "True"],
        decides="users.public-staff-matched")
    rule = default_pack().find_rule("users.public-staff-matched")
    assert rule is not None
    assert out["verdict"] == (f"→ refreshed by users.public-staff-matched: {rule[1].reason} "
                              "[Users at cutover]")
    assert ledger[("alma", "users", "P02401")] == ("refreshed", "users.public-staff-matched")


def test_explain_a_composite_key(ledger: dict[Any, Any]) -> None:
    result = run("explain", *INPUTS, "user_roles", "p02401|Cataloger|NFU")
    assert result.exit_code == 0, result.output
    out = parse(result.output)
    assert out["header"] == "alma.user_roles P02401|Cataloger|NFU"
    assert out["facts"] == {"user_changed_in_freeze": "False", "user_created_in_freeze": "False",
                            "user_has_staff_role": "True", "user_in_extract": "True",
                            "user_type": "PUBLIC"}
    assert out["rows"] == expected_rows(
        "alma.user_roles", ["False", "False", "False", "True", "True", "True"],
        decides="user_roles.staff-role-kept")
    assert out["verdict"].startswith("→ retained by user_roles.staff-role-kept: ")
    assert ledger[("alma", "user_roles", "P02401|Cataloger|NFU")] == (
        "retained", "user_roles.staff-role-kept")


def test_explain_an_extract_entity(ledger: dict[Any, Any]) -> None:
    result = run("explain", *INPUTS, "extract.vendors", "V021")
    assert result.exit_code == 0, result.output
    out = parse(result.output)
    assert out["header"] == "extract.vendors V021"
    assert out["facts"] == {"in_alma": "False"}
    assert out["rows"] == expected_rows("extract.vendors", ["False", "True"],
                                        decides="vendors.missing-in-alma")
    assert out["verdict"].startswith("→ rejected by vendors.missing-in-alma: ")
    assert out["verdict"].endswith("[Prepare for Cutover]")
    assert ledger[("extract", "vendors", "V021")] == ("rejected", "vendors.missing-in-alma")


def test_explain_an_unknown_key_exits_2() -> None:
    result = run("explain", *INPUTS, "users", "NOBODY")
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error KEY: no alma.users record with key 'NOBODY' (compared ignoring letter case)\n"
        "1 problem.\n")


def test_explain_an_unknown_entity_exits_2() -> None:
    result = run("explain", *INPUTS, "frobs", "X")
    assert result.exit_code == 2, result.output
    known = ", ".join(sorted(e.id for e in default_pack().entities.values()))
    assert result.output == (f"error ENTITY: unknown entity 'frobs' (known: {known})\n"
                             "1 problem.\n")


def test_explain_a_key_with_the_wrong_number_of_parts_exits_2() -> None:
    result = run("explain", *INPUTS, "user_roles", "P02401")
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error KEY: a user_roles key has 3 part(s) (primary_id|role_type|scope), "
        "got 'P02401'\n1 problem.\n")


# --- the layout at any width: a table when wide, each condition under its rule when narrow -----

USER_HEAD = """alma.users P02401
  fact changed_in_freeze = False
  fact created_in_freeze = False
  fact has_staff_role = True
  fact in_extract = True
  fact public_at_testload = True
"""


def verdict_line(rule_id: str) -> str:
    found = default_pack().find_rule(rule_id)
    assert found is not None
    rule = found[1]
    return f"→ {rule.outcome} by {rule.id}: {rule.reason} [{rule.cite}]\n"


def test_at_80_columns_each_condition_is_under_its_rule() -> None:
    result = CliRunner().invoke(app, ["--quiet", "explain", *INPUTS, "users", "p02401"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert result.output == USER_HEAD + """\
#  rule                                value  outcome
1  users.created-during-freeze         False  removed
   when created_in_freeze
2  users.changed-during-freeze         False  reverted
   when record_type in ('STAFF', 'CONTACT') and changed_in_freeze
3  users.staff-created-collides        False  retained
   when record_type in ('STAFF', 'CONTACT') and origin = 'CREATED' and
        in_extract and not public_at_testload
4  users.non-public                    False  retained
   when record_type in ('STAFF', 'CONTACT')
5  users.public-staff-created-matched  False  refreshed
   when has_staff_role and in_extract and origin = 'CREATED'
6  users.public-staff-matched          True   refreshed ◀ decides
   when has_staff_role and in_extract
7  users.public-staff-unmatched        True   removed
   when has_staff_role
8  users.public                        True   removed
   when true
""" + verdict_line("users.public-staff-matched")
    assert max(len(line) for line in result.output.splitlines()[:-1]) <= 80


def test_at_160_columns_the_rules_are_a_table() -> None:
    result = CliRunner().invoke(app, ["--quiet", "explain", *INPUTS, "users", "p02401"],
                                env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    w = 87  # the condition column
    rows = [("1", "users.created-during-freeze", "created_in_freeze", "False", "removed"),
            ("2", "users.changed-during-freeze",
             "record_type in ('STAFF', 'CONTACT') and changed_in_freeze", "False", "reverted"),
            ("3", "users.staff-created-collides", "record_type in ('STAFF', 'CONTACT') and "
             "origin = 'CREATED' and in_extract and not", "False", "retained"),
            ("", "", "public_at_testload", "", ""),
            ("4", "users.non-public", "record_type in ('STAFF', 'CONTACT')", "False",
             "retained"),
            ("5", "users.public-staff-created-matched",
             "has_staff_role and in_extract and origin = 'CREATED'", "False", "refreshed"),
            ("6", "users.public-staff-matched", "has_staff_role and in_extract", "True",
             "refreshed ◀ decides"),
            ("7", "users.public-staff-unmatched", "has_staff_role", "True", "removed"),
            ("8", "users.public", "true", "True", "removed")]
    widths = (1, 34, w - 2, 5, 19)

    def line(left: str, mid: str, right: str, fill: str, cells: tuple[str, ...]) -> str:
        return left + mid.join(f"{fill}{c:<{n}}{fill}" for c, n in zip(cells, widths,
                                                                         strict=True)) + right

    def rule(left: str, mid: str, right: str, bar: str) -> str:
        return left + mid.join(bar * (n + 2) for n in widths) + right

    table = [rule("┏", "┳", "┓", "━"),
             line("┃", "┃", "┃", " ", ("#", "rule", "when", "value", "outcome")),
             rule("┡", "╇", "┩", "━"),
             *(line("│", "│", "│", " ", r) for r in rows),
             rule("└", "┴", "┘", "─")]
    assert result.output == USER_HEAD + "\n".join(table) + "\n" + verdict_line(
        "users.public-staff-matched")
    assert len(table[0]) == 160


def test_a_table_is_kept_when_every_condition_fits() -> None:
    result = CliRunner().invoke(app, ["--quiet", "explain", *INPUTS, "extract.vendors", "V021"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:9] == [
        "┏━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓",
        "┃ # ┃ rule                    ┃ when    ┃ value ┃ outcome            ┃",
        "┡━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩",
        "│ 1 │ vendors.present-in-alma │ in_alma │ False │ merged             │",
        "│ 2 │ vendors.missing-in-alma │ true    │ True  │ rejected ◀ decides │",
        "└───┴─────────────────────────┴─────────┴───────┴────────────────────┘",
        verdict_line("vendors.missing-in-alma").rstrip("\n"),
    ]


@pytest.mark.parametrize("columns", ["80", "160"])
def test_a_condition_is_printed_as_written_not_as_markup(columns: str, tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "users.yaml").write_text(
        "entity: users\nrules:\n  - id: users.odd\n    before: users.public\n"
        "    when: username = '[bold]x[/bold]'\n    outcome: removed\n    reason: r\n"
        "    cite: c\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--quiet", "explain", *INPUTS, "--rules", str(layer),
                                      "users", "p02401"], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "username = '[bold]x[/bold]'" in result.output


def test_wrapping_breaks_between_tokens_only() -> None:
    assert wrap_sql("name = 'Report 9 of the year'  and\n x", 12) == [
        "name =", "'Report 9 of the year'", "and x"]
    assert wrap_sql('"odd  name" = \'it\'\'s  here\' or true', 27) == [
        '"odd  name" = \'it\'\'s  here\'', "or true"]
    assert sql_words("a  'b c'\td") == ["a", "'b c'", "d"]


# A word (no white space, no quote) or a quoted string (spaces and doubled quotes inside).
TOKEN = st.one_of(
    st.text(st.characters().filter(lambda c: c.isprintable() and not c.isspace()
                                   and c not in "'\""), min_size=1, max_size=15),
    st.text(st.characters().filter(str.isprintable), max_size=15).map(
        lambda t: "'" + t.replace("'", "''") + "'"))


@given(st.lists(TOKEN, min_size=1, max_size=30), st.integers(min_value=1, max_value=100))
def test_wrapped_lines_hold_whole_tokens_greedily(tokens: list[str], width: int) -> None:
    lines = wrap_sql(" ".join(tokens), width)
    assert [w for ln in lines for w in sql_words(ln)] == tokens
    for ln in lines:
        assert len(ln) <= width or len(sql_words(ln)) == 1
    for ln, after in itertools.pairwise(lines):  # the next token did not fit
        assert len(ln) + 1 + len(sql_words(after)[0]) > width


# --- the library, over inputs loaded once ------------------------------------------------------


def test_a_bare_name_means_the_alma_side_unless_only_the_extract_has_it() -> None:
    pack = default_pack()
    assert resolve_entity(pack, "vendors").id == "alma.vendors"
    assert resolve_entity(pack, "Extract.Vendors").id == "extract.vendors"
    assert resolve_entity(pack, "patrons").id == "extract.patrons"
    with pytest.raises(UserError, match="unknown entity 'alma.patrons'"):
        resolve_entity(pack, "alma.patrons")


def test_only_primary_ids_ignore_letter_case(loaded: tuple[db.Connection, Any]) -> None:
    con, inputs = loaded
    [ex] = explain_loaded(con, default_pack(), inputs.scenario, "patrons", "P02328")
    assert ex.record_key == "p02328"  # the ledger keeps the record's own spelling
    with pytest.raises(UserError) as e:
        explain_loaded(con, default_pack(), inputs.scenario, "extract.vendors", "v021")
    assert str(e.value) == "KEY: no extract.vendors record with key 'v021'"


def test_the_testload_snapshot_feeds_the_facts(loaded: tuple[db.Connection, Any],
                                               ledger: dict[Any, Any]) -> None:
    # C0001 was a public user at the test load and is a migrated staff user now.
    con, inputs = loaded
    [ex] = explain_loaded(con, default_pack(), inputs.scenario, "patrons", "c0001")
    assert ex.record_key == "C0001"
    assert ex.facts == {"alma_non_public": True, "alma_staff_migrated": True,
                        "public_at_testload": True, "refreshes_public_staff": False}
    assert [(s.rule.id, s.value, s.decided) for s in ex.steps] == [
        ("patrons.staff-conversion", True, True),
        ("patrons.staff-created-collision", True, False),
        ("patrons.refreshes-public-staff", False, False),
        ("patrons.load", True, False),
    ]
    assert ledger[("extract", "patrons", "C0001")] == ("rejected", "patrons.staff-conversion")


def test_explain_the_patron_role_of_a_matched_user(loaded: tuple[db.Connection, Any],
                                                   ledger: dict[Any, Any]) -> None:
    con, inputs = loaded
    [ex] = explain_loaded(con, default_pack(), inputs.scenario, "user_roles", "p02401|200|NFU")
    assert ex.record_key == "P02401|200|NFU"
    assert [(s.rule.id, s.value) for s in ex.steps] == [
        ("user_roles.user-created-during-freeze", False),
        ("user_roles.user-changed-during-freeze", False),
        ("user_roles.non-public-user", False),
        ("user_roles.staff-role-kept", False),
        ("user_roles.patron-role-refreshed", True),
        ("user_roles.public-user-removed", True),
    ]
    assert ex.decision.id == "user_roles.patron-role-refreshed"
    assert ledger[("alma", "user_roles", "P02401|200|NFU")] == (
        "refreshed", "user_roles.patron-role-refreshed")


def test_explain_agrees_with_the_ledger_for_every_rule(loaded: tuple[db.Connection, Any],
                                                       ledger: dict[Any, Any]) -> None:
    """For each rule that decides some record: its first and last record, explained."""
    con, inputs = loaded
    pack = default_pack()
    by_rule: dict[tuple[str, str, str], list[str]] = {}
    for (side, entity, key), (_, rule_id) in sorted(ledger.items()):
        by_rule.setdefault((side, entity, rule_id), []).append(key)
    checked = 0
    for (side, entity, rule_id), keys in by_rule.items():
        for key in {keys[0], keys[-1]}:
            [ex] = explain_loaded(con, pack, inputs.scenario, f"{side}.{entity}", key)
            assert ex.record_key == key
            assert ex.decision.id == rule_id, (side, entity, key)
            assert ledger[(side, entity, key)][0] == ex.decision.outcome
            assert [s.decided for s in ex.steps].count(True) == 1
            first_true = next(s.rule.id for s in ex.steps if s.value is True)
            assert first_true == rule_id
            checked += 1
    assert {rule_id for _, _, rule_id in by_rule} <= {r.id for _, r in pack.rules()}
    assert checked > 100


def test_a_null_when_does_not_decide(world: World) -> None:
    """Without dates the freeze facts are NULL: shown as such, and the CASE skips them too."""
    world.pre = {"configuration": [{"area": "letters", "item_id": "L1"}]}
    with world.session() as session:
        [ex] = explain(session, "configuration", "letters|L1")
    assert ex.facts == {"changed_in_freeze": None, "created_in_freeze": None}
    assert [(s.value, s.decided) for s in ex.steps][0] == (None, False)
    assert ex.decision.id == "configuration.retained"
    assert world.ledger()[("alma", "configuration", "letters|L1")].rule_id == ex.decision.id


def test_explain_validates_only_the_tables_the_entity_reads(world: World) -> None:
    """A bad vendors file does not stop explaining a user; a bad roles file (a fact reads it)
    does, with the validation message."""
    world.pre = {"users": [user("U1")], "vendors": [{"code": "V1", "status": "SLEEPING"}]}
    with world.session() as session:
        [ex] = explain(session, "users", "U1")
    assert ex.decision.id == "users.public"
    world.pre["user_roles"] = [{**role("U1"), "status": "SLEEPING"}]
    with world.session() as session, pytest.raises(UserError) as e:
        explain(session, "users", "U1")
    assert "user_roles.csv:2:4: column status: 'SLEEPING' is not one of" in str(e.value)
    assert "vendors" not in str(e.value)
    assert tables_read(default_pack().entities[("alma", "users")], default_pack()) == {
        "pre": {"users", "user_roles"}, "extract": {"patrons"}, "testload": {"users"}}
