"""The words of rule-pack problems a user meets first: SQL that does not parse, a text value in
double quotes, a file given for a pack folder, a misspelt entity, and a rule with several
problems at once. Exact messages and locations, each with the case that must stay quiet.

Packs are written into tmp_path and the tests run from there, so locations read
`pack/users.yaml:LINE:COL`; a rule's `when` starts at column 11 of its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot.errors
from test_lint import one_rule, problems, rule, write_pack
from typer.testing import CliRunner

from simulator.cli import app
from simulator.rules.sqlerrors import explain

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LAYER = ROOT / "sample_data" / "variants" / "my-layer" / "funds.yaml"
SAMPLE_WHEN = "when: $retain_funds and status = 'INACTIVE'"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def base_pack() -> Path:
    return write_pack("base", users="entity: users\nrules:\n" + rule("users.staff")
                      + rule("users.all"))


# --- SQL that does not parse: plain words, at the token -----------------------------------------


@pytest.mark.parametrize(("when", "where", "why"), [
    ("status = 'INACTIVE' and", "4:31", "the condition ends after 'and': something must follow"),
    ("status = 'INACTIVE' or not", "4:34",
     "the condition ends after 'not': something must follow"),
    ("status =", "4:18", "the condition ends after '=': something must follow"),
    ("and status = 'INACTIVE'", "4:11",
     "the condition starts with 'and': something must come before it"),
    ("status = = 'INACTIVE'", "4:20", "something is missing between '=' and '='"),
    ("(status = 'INACTIVE'", "4:11", "a '(' is never closed (a ')' must close it)"),
    ("status in ('A', 'B'", "4:21", "a '(' is never closed (a ')' must close it)"),
    ("status = 'INACTIVE')", "4:30",
     "')' closes nothing: a '(' is missing before it, or it is one too many"),
    ("lower(status x) = 'a'", "4:24", "expected ')' near 'x'"),
    ("status @@ 'x'", "4:18", "unexpected '@' here"),
    ("status = 'INACTIVE", "4:20",
     "a text value is never closed (a ' opens it, another ' must close it)"),
    ("status = 'it''s", "4:20",
     "a text value is never closed (a ' opens it, another ' must close it)"),
    ("status = 'x' /* why", "4:24", "a comment is never closed (/* opens it, */ must close it)"),
    ("status = $", "4:20",
     "'$' must be followed by the name of a scenario value ($freeze_start)"),
])
def test_a_parse_error_is_said_in_plain_words_at_its_token(when: str, where: str,
                                                           why: str) -> None:
    assert one_rule(when) == [f"pack/users.yaml:{where}: rule 'users.x': {why}"]


@pytest.mark.parametrize("when", [
    "status = 'and'",
    "status = 'it''s' and true",
    "status = 'x' -- it's a comment",
    "(status = 'A') or (status = 'B')",
])
def test_sql_that_looks_unfinished_but_parses_is_no_problem(when: str) -> None:
    assert one_rule(when) == []


def test_a_parse_error_in_a_quoted_when_points_past_the_quote() -> None:
    assert one_rule('"status = \'INACTIVE\' and"') == [
        "pack/users.yaml:4:32: rule 'users.x': the condition ends after 'and': something must "
        "follow"
    ]


def test_a_parse_error_in_a_block_scalar_points_at_the_value() -> None:
    assert one_rule(">-\n      status = 'INACTIVE'\n      and") == [
        "pack/users.yaml:4:11: rule 'users.x': the condition ends after 'and': something must "
        "follow"
    ]


def test_a_fact_is_an_expression_in_the_words() -> None:
    assert one_rule("f", facts="facts:\n  f: origin =\n") == [
        "pack/users.yaml:3:13: fact 'f': the expression ends after '=': something must follow"
    ]


def test_sqlglot_s_words_stay_for_an_error_not_worded() -> None:
    error = sqlglot.errors.ParseError.new("x", description="Something new", line=1, col=1,
                                          highlight="a")
    assert explain(error, "a", "condition") == ("cannot parse SQL: Something new (at 'a')", 0)


def test_the_sample_layer_with_a_trailing_and(tmp_path: Path) -> None:
    text = SAMPLE_LAYER.read_text(encoding="utf-8")
    assert SAMPLE_WHEN in text
    layer = write_pack("l2", funds=text.replace(SAMPLE_WHEN, SAMPLE_WHEN + " and"))
    result = CliRunner().invoke(app, ["rules", "lint", "--rules", str(layer)])
    assert result.exit_code == 2
    assert result.output == (
        "error l2/funds.yaml:8:49: rule 'nfu.funds.inactive-not-kept': the condition ends after "
        "'and': something must follow\n1 problem.\n")


# --- a text value in double quotes ---------------------------------------------------------------


def test_a_text_value_in_double_quotes_gets_the_single_quote_hint() -> None:
    assert one_rule('record_type = "STAFF"') == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'STAFF' (text values take "
        "single quotes: 'STAFF')"
    ]


def test_the_hint_doubles_a_quote_inside_the_value() -> None:
    assert one_rule("record_type = \"it's\"") == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'it's' (text values take "
        "single quotes: 'it''s')"
    ]


def test_a_misspelt_column_in_double_quotes_gets_both_hints() -> None:
    assert one_rule("'\"recordtype\" = ''STAFF'''") == [  # in YAML's single quotes
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'recordtype' (did you mean "
        "'record_type'?) (text values take single quotes: 'recordtype')"
    ]


def test_no_quote_hint_for_a_column_in_double_quotes_or_an_unquoted_name() -> None:
    assert one_rule("'\"record_type\" = ''STAFF'''") == []
    assert one_rule("recordtype = 'STAFF'") == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'recordtype' (did you mean "
        "'record_type'?)"
    ]


def test_the_sample_layer_with_double_quotes(tmp_path: Path) -> None:
    text = SAMPLE_LAYER.read_text(encoding="utf-8")
    layer = write_pack("l10", funds=text.replace("'INACTIVE'", '"INACTIVE"'))
    result = CliRunner().invoke(app, ["rules", "lint", "--rules", str(layer)])
    assert result.exit_code == 2
    assert result.output == (
        "error l10/funds.yaml:8:11: rule 'nfu.funds.inactive-not-kept': unknown column or fact "
        "'INACTIVE' (text values take single quotes: 'INACTIVE')\n"
        "1 problem.\n")


# --- a file given for a pack folder --------------------------------------------------------------


def test_a_pack_file_given_for_its_folder_names_the_folder() -> None:
    layer = write_pack("layer", users="entity: users\nrules:\n"
                       + rule("users.mine", extra="    before: users.all\n"))
    assert problems(base_pack(), [layer / "users.yaml"]) == [
        "layer/users.yaml: is a file, expected a rule pack folder (the folder holding it: layer)"
    ]
    assert problems(base_pack(), [layer]) == []
    assert problems(base_pack(), [Path("nowhere")]) == ["nowhere: rule pack folder not found"]


def test_predict_with_a_pack_file_says_so() -> None:
    result = CliRunner().invoke(app, ["rules", "lint", "--rules", str(SAMPLE_LAYER)])
    assert result.exit_code == 2
    assert "is a file, expected a rule pack folder (the folder holding it: " in result.output
    assert result.output.rstrip().endswith("1 problem.")


# --- a misspelt entity or side -------------------------------------------------------------------


def test_a_misspelt_entity_gets_a_did_you_mean() -> None:
    [found] = problems(write_pack("pack", funds="entity: fund\nrules:\n" + rule("funds.all")))
    assert found.startswith("pack/funds.yaml:1:9: unknown entity 'fund' (did you mean "
                            "'funds'?): expected a table name (analytics_reports, ")


def test_an_entity_like_no_table_gets_no_guess() -> None:
    [found] = problems(write_pack("pack", x="entity: zzzz\nrules:\n" + rule("x.all")))
    assert found.startswith("pack/x.yaml:1:9: unknown entity 'zzzz': expected a table name (")


def test_a_misspelt_side_gets_a_did_you_mean() -> None:
    base = write_pack("pack", patrons="entity: patrons\nside: extrct\nrules:\n"
                      + rule("patrons.all"))
    assert problems(base) == [
        "pack/patrons.yaml:2:7: side must be one of extract for patrons, not 'extrct' (did you "
        "mean 'extract'?)"
    ]


def test_a_file_without_entity_says_what_it_lacks() -> None:
    assert problems(write_pack("pack", x="rules:\n" + rule("x.all"))) == [
        "pack/x.yaml:1:1: an entity's file needs entity: the table its rules classify"
    ]


def test_the_rules_of_an_unknown_entity_are_still_checked() -> None:
    funds = ("entity: fund\nrules:\n  - id: funds.x\n    when: status = 'INACTIVE' and\n"
             "    outcome: removed\n    colour: red\n")
    found = problems(write_pack("pack", funds=funds))
    assert found[1:] == [
        "pack/funds.yaml:3:5: rule 'funds.x' needs cite (text)",
        "pack/funds.yaml:3:5: rule 'funds.x' needs reason (text)",
        "pack/funds.yaml:4:31: rule 'funds.x': the condition ends after 'and': something must "
        "follow",
        "pack/funds.yaml:6:5: unknown rule key 'colour' (expected one of after, before, cite, "
        "confidence, disabled, expect_after, finding, golive_action, golive_check, id, message, "
        "outcome, reason, when)",
    ]
    assert found[0].startswith("pack/funds.yaml:1:9: unknown entity 'fund' (did you mean")


# --- every problem of one rule at once -----------------------------------------------------------


def test_a_layer_rule_without_reason_nor_place_reports_both_and_its_sql() -> None:
    layer = write_pack("layer", users=(
        "entity: users\nrules:\n  - id: users.mine\n    when: record_type = \"STAFF\"\n"
        "    outcome: remove\n    cite: c\n"))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:3:5: rule 'users.mine' needs reason (text)",
        "layer/users.yaml:3:9: new rule 'users.mine' in a layer needs before: or after: an "
        "existing rule id of alma.users",
        "layer/users.yaml:4:11: rule 'users.mine': unknown column or fact 'STAFF' (text values "
        "take single quotes: 'STAFF')",
        "layer/users.yaml:5:14: rule 'users.mine': unknown outcome 'remove' (did you mean "
        "'removed'?) (expected one of retained, refreshed, merged, added, removed, reverted, "
        "detached, deactivated, rejected, not_migrated)",
    ]


def test_a_layer_rule_with_its_reason_but_no_place_reports_only_the_place() -> None:
    layer = write_pack("layer", users="entity: users\nrules:\n" + rule("users.mine"))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:3:9: new rule 'users.mine' in a layer needs before: or after: an "
        "existing rule id of alma.users"
    ]
    placed = write_pack("placed", users="entity: users\nrules:\n"
                        + rule("users.mine", extra="    before: users.all\n"))
    assert problems(base_pack(), [placed]) == []


def test_a_missing_field_causes_no_follow_up_problem() -> None:
    # No `when`: no parse error; no `outcome`: no "unknown outcome ''"; the rule that did not
    # load is the last one: no "the last rule must be a catch-all".
    users = ("entity: users\nrules:\n" + rule("users.x")
             + "  - id: users.all\n    reason: r\n    cite: c\n")
    assert problems(write_pack("pack", users=users)) == [
        "pack/users.yaml:8:5: rule 'users.all' needs outcome (text)",
        "pack/users.yaml:8:5: rule 'users.all' needs when (text)",
    ]


def test_a_rule_after_an_unknown_anchor_still_has_its_sql_checked() -> None:
    layer = write_pack("layer", users="entity: users\nrules:\n"
                       + rule("users.mine", "status = 'A' and", extra="    after: users.nosuch\n"))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:4:24: rule 'users.mine': the condition ends after 'and': something "
        "must follow",
        "layer/users.yaml:8:12: after: unknown rule id 'users.nosuch' in alma.users",
    ]
