"""The rule linter and the pack loader: one test per error class, exact message and location.

Packs are written into tmp_path and the tests run from there, so locations read
`pack/users.yaml:LINE:COL` as a user would see them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.errors import UserError
from simulator.inputs.scenario import param_names
from simulator.rules.lint import lint
from simulator.rules.loader import load_pack
from simulator.rules.model import Pack

PARAMS = ", ".join(f"${p}" for p in sorted(param_names()))
OUTCOMES = ("retained, refreshed, merged, added, removed, reverted, detached, deactivated, "
            "rejected, not_migrated")
ALMA_OUTCOMES = "deactivated, detached, merged, refreshed, removed, retained, reverted"
RULE_KEYS = ("after, before, cite, confidence, disabled, expect_after, finding, golive_action, "
             "golive_check, id, message, outcome, reason, when")
TABLE_HINT = "(read snapshot tables as pre.<table>, extract.<table> or testload.<table>)"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def rule(rid: str, when: str = "true", outcome: str = "removed", extra: str = "") -> str:
    """Five lines (plus `extra`): id on the first, when on the second, outcome on the third."""
    return (f"  - id: {rid}\n    when: {when}\n    outcome: {outcome}\n    reason: r\n"
            f"    cite: c\n{extra}")


def entity(name: str, *rules: str, side: str = "alma", facts: str = "") -> str:
    head = f"entity: {name}\n" + (f"side: {side}\n" if side != "alma" else "")
    return head + facts + "rules:\n" + "".join(rules)


def write_pack(folder: str, **files: str) -> Path:
    path = Path(folder)
    path.mkdir(exist_ok=True)
    for name, text in files.items():
        (path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return path


def problems(base: Path, layers: list[Path] | None = None) -> list[str]:
    """Every problem the loader and the linter report, as the user reads them."""
    try:
        pack = load_pack(layers, base=base)
    except UserError as e:
        return [str(p) for p in e.problems]
    return [str(p) for p in lint(pack)]


def one_rule(when: str, *, facts: str = "", pack_yaml: str | None = None) -> list[str]:
    """users with `users.x` (its when at pack/users.yaml:4:11 without facts) and a catch-all."""
    files = {"users": entity("users", rule("users.x", when), rule("users.all"), facts=facts)}
    if pack_yaml is not None:
        files["pack"] = pack_yaml
    return problems(write_pack("pack", **files))


def loaded(base: Path, layers: list[Path] | None = None) -> Pack:
    pack = load_pack(layers, base=base)
    assert lint(pack) == []
    return pack


def ids(pack: Pack, side: str, name: str) -> list[str]:
    return [r.id for r in pack.entities[(side, name)].rules]


# --- the shape of a `when` -------------------------------------------------------------------


def test_a_clean_pack_has_no_problems() -> None:
    assert one_rule("record_type = 'STAFF' and created_at < $freeze_start") == []


def test_more_than_one_statement() -> None:
    assert one_rule("true; drop table users") == [
        "pack/users.yaml:4:11: rule 'users.x': must be exactly one SQL expression, found 2 "
        "statements"
    ]


@pytest.mark.parametrize(("when", "kind"), [
    ("select 1", "SELECT"),
    ("select true from pre.users", "SELECT"),
    ("drop table x", "DROP"),
    ("delete from pre.users", "DELETE"),
    ("insert into pre.users values (1)", "INSERT"),
    ("attach 'other.db'", "ATTACH"),
    ("pragma version", "PRAGMA"),
])
def test_a_statement_instead_of_an_expression(when: str, kind: str) -> None:
    assert one_rule(when) == [
        f"pack/users.yaml:4:11: rule 'users.x': must be one boolean expression, not a {kind} "
        "statement"
    ]


@pytest.mark.parametrize(("when", "kind"), [
    ("exists (with d as (delete from pre.users returning *) select 1 from d)", "DELETE"),
    ("exists (with d as (insert into pre.users values (1) returning *) select 1 from d)",
     "INSERT"),
])
def test_ddl_or_dml_inside_a_subquery(when: str, kind: str) -> None:
    assert one_rule(when) == [
        f"pack/users.yaml:4:11: rule 'users.x': only SELECT subqueries are allowed, found {kind}"
    ]


def test_dml_sqlglot_cannot_parse_points_at_the_token() -> None:
    assert one_rule("exists (delete from pre.users)") == [
        "pack/users.yaml:4:26: rule 'users.x': expected ')' near 'from'"
    ]


def test_parse_error_in_a_quoted_when_points_past_the_quote() -> None:
    assert one_rule('"record_type in (\'STAFF\'"') == [
        "pack/users.yaml:4:27: rule 'users.x': a '(' is never closed (a ')' must close it)"
    ]


def test_parse_error_in_a_block_scalar_points_at_the_value() -> None:
    assert one_rule(">-\n      record_type in ('STAFF'") == [
        "pack/users.yaml:4:11: rule 'users.x': a '(' is never closed (a ')' must close it)"
    ]


# --- names -------------------------------------------------------------------------------------


def test_unknown_column_with_a_hint() -> None:
    assert one_rule("recordtype = 'STAFF'") == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'recordtype' "
        "(did you mean 'record_type'?)"
    ]


def test_unknown_qualified_column_with_a_hint() -> None:
    assert one_rule(
        "exists (select 1 from pre.user_roles r where r.role = 'Cataloger' "
        "and users.recordtype = 'PUBLIC')"
    ) == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column 'r.role' "
        "(did you mean 'role_type'?)",
        "pack/users.yaml:4:11: rule 'users.x': unknown column 'users.recordtype' "
        "(did you mean 'record_type'?)",
    ]


def test_unknown_fact() -> None:
    facts = "facts:\n  in_extract: exists (select 1 from extract.patrons p)\n"
    # The rule's when moves down by the two lines of facts.
    assert one_rule("has_staff_role", facts=facts) == [
        "pack/users.yaml:6:11: rule 'users.x': unknown column or fact 'has_staff_role'"
    ]


def test_unknown_shared_fact_with_a_hint() -> None:
    pack_yaml = "facts:\n  created_in_freeze: created_at >= $freeze_start\n"
    assert one_rule("created_in_frieze", pack_yaml=pack_yaml) == [
        "pack/users.yaml:4:11: rule 'users.x': unknown column or fact 'created_in_frieze' "
        "(did you mean 'created_in_freeze'?)"
    ]


def test_a_shared_fact_is_checked_against_the_entity_that_uses_it() -> None:
    pack_yaml = "facts:\n  late: updatedat >= $freeze_start\n"
    assert one_rule("late", pack_yaml=pack_yaml) == [
        "pack/pack.yaml:2:9: fact 'late': unknown column or fact 'updatedat' "
        "(did you mean 'updated_at'?)"
    ]


@pytest.mark.parametrize("table", ["pre.nosuch", "nosuch", "extract.users", "main.users"])
def test_unknown_table(table: str) -> None:
    assert one_rule(f"exists (select 1 from {table})") == [
        f"pack/users.yaml:4:11: rule 'users.x': unknown table '{table}' {TABLE_HINT}"
    ]


def test_a_table_function_is_not_a_table() -> None:
    assert one_rule("exists (select 1 from range(3))") == [
        "pack/users.yaml:4:11: rule 'users.x': function range() is not allowed in rules (rules "
        "may call only the deterministic functions listed in docs/rules.md)"
    ]


def test_unknown_alias() -> None:
    assert one_rule(
        "exists (select 1 from pre.user_roles r where q.primary_id = users.primary_id)"
    ) == ["pack/users.yaml:4:11: rule 'users.x': unknown table or alias 'q' in 'q.primary_id'"]


def test_unknown_scenario_value() -> None:
    assert one_rule("$retain_fund") == [
        "pack/users.yaml:4:11: rule 'users.x': unknown scenario value $retain_fund "
        f"(did you mean '$retain_funds'?) (known: {PARAMS})"
    ]


@pytest.mark.parametrize(("when", "name"), [
    ("exists (select 1 from read_csv('/etc/passwd'))", "read_csv"),
    ("exists (select 1 from read_parquet('x.parquet'))", "read_parquet"),
    ("getenv('HOME') = '/root'", "getenv"),
    ("created_at < now()", "now"),
    ("created_at < current_date", "current_date"),
    ("current_setting('threads') = '1'", "current_setting"),
    ("random() < 0.5", "random"),
    ("no_such_function(primary_id)", "no_such_function"),  # unknown: not on the allow-list
])
def test_forbidden_function(when: str, name: str) -> None:
    assert one_rule(when) == [
        f"pack/users.yaml:4:11: rule 'users.x': function {name}() is not allowed in rules "
        "(rules may call only the deterministic functions listed in docs/rules.md)"
    ]


# --- what DuckDB says when it binds the rule ---------------------------------------------------


@pytest.mark.parametrize(("when", "kind"), [
    ("primary_id", "VARCHAR"),
    ("$institution", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
])
def test_when_must_be_boolean(when: str, kind: str) -> None:
    assert one_rule(when) == [
        f"pack/users.yaml:4:11: rule 'users.x': when must be true or false, but this "
        f"expression gives {kind}"
    ]


def test_a_when_duckdb_cannot_bind() -> None:
    [problem] = one_rule("abs(primary_id) > 0")
    assert problem.startswith("pack/users.yaml:4:11: rule 'users.x': Binder Error: No function "
                              "matches the given name and argument types 'abs(VARCHAR)'")


def test_a_fact_duckdb_cannot_bind_skips_the_rules_that_need_it() -> None:
    facts = "facts:\n  bad: abs(primary_id) > 0\n"
    found = one_rule("bad", facts=facts)
    assert len(found) == 1
    assert found[0].startswith("pack/users.yaml:3:8: fact 'bad' in alma.users: Binder Error: "
                               "No function matches the given name and argument types "
                               "'abs(VARCHAR)'")


def test_a_parse_error_in_a_fact_points_at_the_token() -> None:
    assert one_rule("f", facts="facts:\n  f: origin = = 'CREATED'\n") == [
        "pack/users.yaml:3:15: fact 'f': something is missing between '=' and '='"
    ]


def test_a_fact_may_not_hide_a_column() -> None:
    assert one_rule("origin", facts="facts:\n  origin: primary_id is not null\n") == [
        "pack/users.yaml:3:11: fact 'origin' hides a column of users"
    ]


def test_a_fact_is_an_expression_not_a_statement() -> None:
    assert one_rule("f", facts="facts:\n  f: drop table x\n") == [
        "pack/users.yaml:3:6: fact 'f': must be one SQL expression, not a DROP statement"
    ]


# --- structure ---------------------------------------------------------------------------------


def test_duplicate_rule_id_in_one_entity() -> None:
    base = write_pack("pack", users=entity(
        "users", rule("users.x", "origin = 'CREATED'"), rule("users.x")))
    assert problems(base) == [
        "pack/users.yaml:8:9: duplicate rule id 'users.x' (first at pack/users.yaml:3:9)"
    ]


def test_duplicate_rule_id_across_entities() -> None:
    base = write_pack("pack", users=entity("users", rule("all")),
                      funds=entity("funds", rule("all")))
    assert problems(base) == [
        "pack/users.yaml:3:9: duplicate rule id 'all' (first at pack/funds.yaml:3:9)"
    ]


def test_the_last_rule_must_be_a_catch_all() -> None:
    base = write_pack("pack", users=entity("users", rule("users.staff", "record_type = 'STAFF'")))
    assert problems(base) == [
        "pack/users.yaml:4:11: alma.users: the last rule ('users.staff') must be a catch-all "
        "with `when: true` so no record goes unclassified"
    ]


def test_an_entity_without_rules() -> None:
    base = write_pack("pack", users="entity: users\nrules: []\n")
    assert problems(base) == [
        "pack/users.yaml:1:1: alma.users has no rules: every record needs an outcome"
    ]


def test_unknown_outcome_with_a_hint() -> None:
    base = write_pack("pack", users=entity("users", rule("users.all", outcome="remove")))
    assert problems(base) == [
        "pack/users.yaml:5:14: rule 'users.all': unknown outcome 'remove' "
        f"(did you mean 'removed'?) (expected one of {OUTCOMES})"
    ]


def test_an_outcome_that_does_not_fit_the_side() -> None:
    base = write_pack(
        "pack",
        users=entity("users", rule("users.all", outcome="added")),
        patrons=entity("patrons", rule("patrons.all", outcome="retained"), side="extract"),
    )
    assert problems(base) == [
        "pack/patrons.yaml:6:14: rule 'patrons.all': outcome 'retained' does not apply to "
        "extract-side records (use added, merged, not_migrated, rejected)",
        "pack/users.yaml:5:14: rule 'users.all': outcome 'added' does not apply to alma-side "
        f"records (use {ALMA_OUTCOMES})",
    ]


def test_bad_severity_and_confidence() -> None:
    extra = ("    confidence: probable\n"
             "    finding:\n      severity: fatal\n      title: t\n      fix: f\n")
    base = write_pack("pack", users=entity("users", rule("users.all", extra=extra)))
    assert problems(base) == [
        "pack/users.yaml:8:17: rule 'users.all': confidence must be documented or inferred, "
        "not 'probable'",
        "pack/users.yaml:10:17: rule 'users.all': severity must be one of blocker, warning, "
        "info, not 'fatal'",
    ]


def test_unknown_keys() -> None:
    base = write_pack(
        "pack",
        pack="name: p\nversion: 2\n",
        users=("entity: users\nowner: me\nrules:\n"
               + rule("users.all", extra="    colour: red\n    finding:\n      severity: info\n"
                                         "      title: t\n      fix: f\n      link: x\n")),
    )
    assert problems(base) == [
        "pack/pack.yaml:2:1: unknown pack key 'version' (expected one of description, facts, "
        "name)",
        "pack/users.yaml:2:1: unknown entity key 'owner' (expected one of description, entity, "
        "facts, key, rules, side)",
        f"pack/users.yaml:9:5: unknown rule key 'colour' (expected one of {RULE_KEYS})",
        "pack/users.yaml:14:7: unknown finding key 'link' (expected one of area, checked_by, "
        "detail, export, fix, info_up_to, severity, title, workload)",
    ]


# --- expect_after: its SQL and the same in words -------------------------------------------


def expecting(expect: str) -> list[str]:
    """users with one retained catch-all whose expect_after (from line 8) is `expect`."""
    return problems(write_pack("pack", users=entity(
        "users", rule("users.all", outcome="retained", extra=expect))))


WORDS = ("rule 'users.all' expect_after needs describe: the expectation in plain words, as the "
         "verify report shows it (expect_after: {sql: ..., describe: ...})")


def test_an_expect_after_with_sql_and_words() -> None:
    base = write_pack("pack", users=entity("users", rule(
        "users.all", outcome="retained",
        extra="    expect_after:\n      describe: >-\n        the user is still\n"
              "        a staff user\n      sql: record_type = 'STAFF'\n")))
    rule_ = loaded(base).entities[("alma", "users")].rules[0]
    assert (rule_.expect_after, rule_.expect_describe) == (
        "record_type = 'STAFF'", "the user is still a staff user")
    assert str(rule_.expect_loc) == "pack/users.yaml:12:12"


def test_an_expect_after_without_words_is_refused() -> None:
    assert expecting("    expect_after: record_type = 'STAFF'\n") == [
        f"pack/users.yaml:8:19: {WORDS}"]
    assert expecting("    expect_after:\n      sql: record_type = 'STAFF'\n") == [
        f"pack/users.yaml:9:7: {WORDS}"]


def test_the_words_and_the_sql_of_an_expect_after_are_checked_together() -> None:
    assert expecting("    expect_after:\n      describe: [a]\n      sql: nosuch = 1\n") == [
        "pack/users.yaml:9:17: expect_after describe must be the expectation in plain words",
        "pack/users.yaml:10:12: rule 'users.all' expect_after: unknown column or fact "
        "'nosuch'",
    ]
    assert expecting("    expect_after:\n      describe: ''\n      sql: status = 'x'\n") == [
        "pack/users.yaml:9:17: expect_after describe must be the expectation in plain words"]


def test_an_expect_after_without_sql() -> None:
    assert expecting("    expect_after:\n      describe: the user is there\n") == [
        "pack/users.yaml:9:7: expect_after needs sql: an SQL condition"]
    assert expecting("    expect_after:\n      describe: the user is there\n      sql: 3\n") == [
        "pack/users.yaml:10:12: expect_after needs sql: an SQL condition"]


def test_an_expect_after_of_another_shape() -> None:
    assert expecting("    expect_after: [status]\n") == [
        "pack/users.yaml:8:19: expect_after must be a mapping with sql (an SQL condition) and "
        "describe (the expectation in plain words)"]
    assert expecting("    expect_after:\n      describe: d\n      sql: status = 'x'\n"
                     "      check: x\n") == [
        "pack/users.yaml:11:7: unknown expect_after key 'check' (expected one of describe, "
        "sql)"]


def test_every_expect_after_of_the_default_pack_has_words() -> None:
    from conftest import default_pack

    with_sql = [r for _, r in default_pack().rules() if r.expect_after]
    assert len(with_sql) == 18
    assert [r.id for r in with_sql if not r.expect_describe] == []


def test_missing_rule_fields_are_each_named() -> None:
    base = write_pack("pack", users=entity(
        "users", "  - id: users.x\n    when: true\n", rule("users.all")))
    assert problems(base) == [
        "pack/users.yaml:3:5: rule 'users.x' needs cite (text)",
        "pack/users.yaml:3:5: rule 'users.x' needs outcome (text)",
        "pack/users.yaml:3:5: rule 'users.x' needs reason (text)",
    ]


def test_unknown_entity_and_side() -> None:
    base = write_pack("pack", users=entity("user", rule("a")),
                      patrons=entity("patrons", rule("b"), side="alma"))
    found = problems(base)
    assert found[0] == "pack/patrons.yaml:1:1: side must be one of extract for patrons, not 'alma'"
    assert found[1].startswith("pack/users.yaml:1:9: unknown entity 'user' (did you mean "
                               "'users'?): expected a table name (analytics_reports, authorities, ")
    assert len(found) == 2


def test_malformed_yaml() -> None:
    base = write_pack("pack", users="entity: users\nrules:\n  - id: [unclosed\n    when: true\n")
    [problem] = problems(base)
    assert problem.startswith("pack/users.yaml:4:9: malformed YAML: expected ',' or ']'")


def test_a_rule_pack_folder_must_exist() -> None:
    assert problems(Path("nowhere")) == ["nowhere: rule pack folder not found"]


# --- everything at once ------------------------------------------------------------------------


def test_all_problems_of_a_pack_come_out_in_one_pass() -> None:
    users = entity(
        "users",
        rule("users.a", "recordtype = 'STAFF'"),                        # 3: unknown column
        rule("users.b", "true; drop table users", outcome="remove"),    # 8: two problems
        rule("users.c", "primary_id"),                                   # 13: not boolean
        rule("users.d", extra="    colour: red\n"),                     # 18: unknown key
        rule("users.e", "exists (select 1 from read_csv('x'))"),         # 24: forbidden
        rule("users.all"),
    )
    funds = entity(
        "funds",
        rule("funds.a", "$retain_funds and fiscalperiod is null"),       # 3: unknown column
        rule("users.c", "$retain_funds"),                                # 8: duplicate id
        rule("funds.z", "$retain_funds", outcome="added"),               # 13: side; no catch-all
    )
    broken = "entity: vendors\nrules:\n  - id: [\n"
    base = write_pack("pack", users=users, funds=funds, vendors=broken)
    found = problems(base)
    assert found[:-1] == [
        "pack/funds.yaml:4:11: rule 'funds.a': unknown column or fact 'fiscalperiod' "
        "(did you mean 'fiscal_period'?)",
        "pack/funds.yaml:14:11: alma.funds: the last rule ('funds.z') must be a catch-all with "
        "`when: true` so no record goes unclassified",
        "pack/funds.yaml:15:14: rule 'funds.z': outcome 'added' does not apply to alma-side "
        f"records (use {ALMA_OUTCOMES})",
        "pack/users.yaml:4:11: rule 'users.a': unknown column or fact 'recordtype' "
        "(did you mean 'record_type'?)",
        "pack/users.yaml:9:11: rule 'users.b': must be exactly one SQL expression, found 2 "
        "statements",
        "pack/users.yaml:10:14: rule 'users.b': unknown outcome 'remove' (did you mean "
        f"'removed'?) (expected one of {OUTCOMES})",
        "pack/users.yaml:13:9: duplicate rule id 'users.c' (first at pack/funds.yaml:8:9)",
        "pack/users.yaml:14:11: rule 'users.c': when must be true or false, but this expression "
        "gives VARCHAR",
        f"pack/users.yaml:23:5: unknown rule key 'colour' (expected one of {RULE_KEYS})",
        "pack/users.yaml:25:11: rule 'users.e': function read_csv() is not allowed in rules "
        "(rules may call only the deterministic functions listed in docs/rules.md)",
    ]
    assert found[-1].startswith("pack/vendors.yaml:4:1: malformed YAML: ")


def test_a_rule_that_fails_to_load_does_not_cause_follow_up_problems() -> None:
    # users.all lacks its outcome: no "last rule must be a catch-all", and the fact that
    # failed to load is not reported again as unknown where a rule uses it.
    users = entity("users", rule("users.x", "f"), "  - id: users.all\n    when: true\n",
                   facts="facts:\n  f: 42\n")
    found = problems(write_pack("pack", users=users))
    assert found == [
        "pack/users.yaml:3:6: fact 'f' must be an SQL expression",
        "pack/users.yaml:10:5: rule 'users.all' needs cite (text)",
        "pack/users.yaml:10:5: rule 'users.all' needs outcome (text)",
        "pack/users.yaml:10:5: rule 'users.all' needs reason (text)",
    ]


# --- layering ----------------------------------------------------------------------------------


def base_pack() -> Path:
    return write_pack("base", users=entity(
        "users",
        rule("users.staff", "record_type = 'STAFF'", outcome="retained"),
        rule("users.created", "origin = 'CREATED'"),
        rule("users.all"),
    ))


def test_a_layer_replaces_a_rule_by_id_in_place() -> None:
    layer = write_pack("layer", users=entity(
        "users", rule("users.created", "origin = 'CREATED' and status = 'ACTIVE'",
                      outcome="retained")))
    pack = loaded(base_pack(), [layer])
    assert ids(pack, "alma", "users") == ["users.staff", "users.created", "users.all"]
    replaced = pack.entities[("alma", "users")].rules[1]
    assert (replaced.when, replaced.outcome, replaced.origin) == (
        "origin = 'CREATED' and status = 'ACTIVE'", "retained", "layer/users.yaml")


def test_a_layer_disables_a_rule() -> None:
    layer = write_pack("layer", users="entity: users\nrules:\n"
                                      "  - id: users.created\n    disabled: true\n")
    assert ids(loaded(base_pack(), [layer]), "alma", "users") == ["users.staff", "users.all"]


def test_a_layer_adds_rules_before_and_after_an_id() -> None:
    layer = write_pack("layer", users=entity(
        "users",
        rule("users.first", "status = 'INACTIVE'", extra="    before: users.staff\n"),
        rule("users.third", "origin = 'MIGRATED'", extra="    after: users.created\n"),
    ))
    assert ids(loaded(base_pack(), [layer]), "alma", "users") == [
        "users.first", "users.staff", "users.created", "users.third", "users.all"]


def test_a_layer_moves_a_replaced_rule_with_before() -> None:
    layer = write_pack("layer", users=entity(
        "users", rule("users.created", "origin = 'CREATED'", extra="    before: users.staff\n")))
    assert ids(loaded(base_pack(), [layer]), "alma", "users") == [
        "users.created", "users.staff", "users.all"]


def test_layers_apply_in_order() -> None:
    first = write_pack("first", users=entity(
        "users", rule("users.new", "status = 'INACTIVE'", extra="    before: users.all\n")))
    second = write_pack("second", users="entity: users\nrules:\n"
                                        "  - id: users.new\n    disabled: true\n")
    assert ids(loaded(base_pack(), [first]), "alma", "users")[-2] == "users.new"
    assert ids(loaded(base_pack(), [first, second]), "alma", "users") == [
        "users.staff", "users.created", "users.all"]


def test_a_pack_file_is_parsed_once_but_read_again_when_changed() -> None:
    """Files are kept parsed by their content for the process: a file changed in place is read
    again, even with the same size and modification time; a pack built from a file kept
    parsed is built anew (a layer changing it leaves the next load alone)."""
    layer = write_pack("layer", users="entity: users\nrules:\n"
                                      "  - id: users.created\n    disabled: true\n")
    assert ids(loaded(base_pack(), [layer]), "alma", "users") == ["users.staff", "users.all"]
    assert ids(loaded(Path("base")), "alma", "users") == [
        "users.staff", "users.created", "users.all"]
    users = Path("base") / "users.yaml"
    stat = users.stat()
    users.write_text(users.read_text(encoding="utf-8").replace("'STAFF'", "'PUBLC'"),
                     encoding="utf-8")
    os.utime(users, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert users.stat().st_size == stat.st_size
    assert loaded(Path("base")).entities[("alma", "users")].rules[0].when == (
        "record_type = 'PUBLC'")


def test_a_layer_can_add_an_entity() -> None:
    layer = write_pack("layer", funds=entity("funds", rule("funds.all")))
    assert ids(loaded(base_pack(), [layer]), "alma", "funds") == ["funds.all"]


def test_layer_errors_for_unknown_ids_have_locations() -> None:
    layer = write_pack("layer", users=(
        "entity: users\nrules:\n"
        "  - id: users.nosuch\n    disabled: true\n"                              # 3
        + rule("users.a", extra="    before: users.nope\n")                      # 5
        + rule("users.b", extra="    after: users.nope\n")                       # 11
        + rule("users.c")                                                         # 17
        + rule("users.d", extra="    before: users.all\n    after: users.all\n")  # 22
        + rule("users.staff", extra="    disabled: maybe\n")                     # 29
    ))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:3:9: cannot disable unknown rule 'users.nosuch' in alma.users",
        "layer/users.yaml:10:13: before: unknown rule id 'users.nope' in alma.users",
        "layer/users.yaml:16:12: after: unknown rule id 'users.nope' in alma.users",
        "layer/users.yaml:17:9: new rule 'users.c' in a layer needs before: or after: an "
        "existing rule id of alma.users",
        "layer/users.yaml:28:5: rule 'users.d': use before: or after:, not both",
        "layer/users.yaml:34:15: disabled must be true or false",
    ]


def test_a_rule_cannot_be_placed_next_to_itself() -> None:
    layer = write_pack("layer", users=entity(
        "users", rule("users.created", extra="    after: users.created\n")))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:8:12: rule 'users.created' cannot go after itself"
    ]


def test_a_rule_defined_twice_in_one_layer() -> None:
    layer = write_pack("layer", users=entity(
        "users", rule("users.staff"), rule("users.staff", outcome="retained")))
    assert problems(base_pack(), [layer]) == [
        "layer/users.yaml:8:9: duplicate rule id 'users.staff' (first at "
        "layer/users.yaml:3:9)"
    ]


def test_an_entity_defined_twice_in_one_pack() -> None:
    base = write_pack("pack", users=entity("users", rule("a")), users2=entity("users", rule("b")))
    assert problems(base) == [
        "pack/users2.yaml:1:1: alma.users is already defined in this pack "
        "(pack/users.yaml:1:1); one file per entity"
    ]


def test_a_layer_over_the_default_pack() -> None:
    default_ids = [r.id for e, r in load_pack().rules() if e.id == "alma.users"]
    layer = write_pack("layer", users=(
        "entity: users\nrules:\n"
        "  - id: users.staff-created-collides\n    disabled: true\n"
        + rule("users.inactive-public", "record_type = 'PUBLIC' and status = 'INACTIVE'",
               extra="    before: users.public\n")
        + rule("users.non-public", "record_type in ('STAFF', 'CONTACT')", outcome="retained",
               extra="    confidence: inferred\n")
    ))
    pack = load_pack([layer])
    assert lint(pack) == []
    expected = [i for i in default_ids if i != "users.staff-created-collides"]
    expected.insert(expected.index("users.public"), "users.inactive-public")
    assert ids(pack, "alma", "users") == expected
    found = pack.find_rule("users.non-public")
    assert found is not None and found[1].confidence == "inferred"
    assert pack.digest != load_pack().digest


# --- the command -------------------------------------------------------------------------------


def test_cli_lint_reports_every_problem_and_exits_2() -> None:
    layer = write_pack("layer", users=(
        "entity: users\nrules:\n"
        + rule("users.mine", "recordtype = 'STAFF'", extra="    before: users.public\n")
        + rule("users.other", "true; drop table users", extra="    after: users.nosuch\n")
    ))
    result = CliRunner().invoke(app, ["rules", "lint", "--rules", str(layer)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error layer/users.yaml:4:11: rule 'users.mine': unknown column or fact 'recordtype' "
        "(did you mean 'record_type'?)\n"
        "error layer/users.yaml:10:11: rule 'users.other': must be exactly one SQL expression, "
        "found 2 statements\n"
        "error layer/users.yaml:14:12: after: unknown rule id 'users.nosuch' in alma.users\n"
        "3 problems.\n"
    )


def test_cli_lint_on_the_default_pack_exits_0_with_a_summary() -> None:
    pack = load_pack()
    result = CliRunner().invoke(app, ["rules", "lint"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{len(pack.rules())} rules in {len(pack.entities)} entities: no problems.\n")
