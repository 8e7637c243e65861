"""`cutover whatif`: variant files, patches as views, layered rules, transitions, the report."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import World, role, user, write_scenario
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.commands.whatif import command as whatif
from simulator.commands.whatif.patching import patched
from simulator.commands.whatif.variant import load_variants
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.inputs import scenario
from simulator.synth import sample, sample_variants

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
COLUMNS = ["variant", "side", "entity", "record_key", "outcome_before", "outcome_after",
           "rule_before", "rule_after"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def base_world(world: World) -> World:
    """A public migrated user with a patron, one without, staff, sets, vendors."""
    world.pre = {
        "users": [user("P1"), user("P2"), user("S1", "STAFF")],
        "user_roles": [role("P1"), role("P2")],
        "sets": [{"set_id": "SET1", "set_type": "ITEMIZED"},
                 {"set_id": "SET2", "set_type": "LOGICAL"}],
        "vendors": [{"code": "V1"}],
    }
    world.extract = {
        "patrons": [{"primary_id": "P1"}, {"primary_id": "N1"}],
        "vendors": [{"code": "V1"}, {"code": "V9"}],
    }
    return world


def run(world: World, *variants: Path, rules: list[Path] | None = None) -> whatif.WhatifRun:
    with world.session(rules) as session:
        return whatif.run(session, list(variants), world.root / "out",
                          command=["cutover", "whatif"])


def transitions(out: Path) -> list[tuple[str, ...]]:
    with (out / "transitions.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == COLUMNS
    return [tuple(r) for r in rows[1:]]


def problems(paths: list[Path]) -> list[str]:
    """The problems of variant files over the test scenario (conftest.DATES)."""
    base = scenario.load(write_scenario(paths[0].parent / "base-scenario.yaml"))
    with pytest.raises(UserError) as e:
        load_variants(paths, base)
    return [str(p) for p in e.value.problems]


# --- patches -----------------------------------------------------------------------------------


def test_set_converts_a_public_user_and_the_patron_cascades(world: World) -> None:
    base_world(world)
    v = write(world.root / "convert.yaml", """
        name: convert
        assume:
          - {entity: users, where: "primary_id = 'P1'", set: {record_type: STAFF}}
    """)
    result = run(world, v)
    assert transitions(result.out) == [
        ("convert", "alma", "user_roles", "P1|Patron|TST", "removed", "retained",
         "user_roles.public-user-removed", "user_roles.non-public-user"),
        ("convert", "alma", "users", "P1", "removed", "retained", "users.public",
         "users.non-public"),
        # The cascade: the incoming patron with the same Primary ID is now rejected.
        ("convert", "extract", "patrons", "P1", "added", "rejected", "patrons.load",
         "patrons.staff-conversion"),
    ]
    summary = json.loads((result.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "whatif"
    (v_summary,) = summary["variants"]
    assert v_summary["transitions"] == {"changed": 3, "appeared": 0, "disappeared": 0}
    fc = {f["id"]: f for f in v_summary["finding_changes"]}
    assert fc["patrons.staff-conversion"]["change"] == "appeared"
    assert v_summary["assume"][0]["description"] == \
        "pre.users: set record_type = STAFF where primary_id = 'P1'"


def test_delete_makes_records_disappear(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        name: no-sets
        assume:
          - {entity: sets, where: "set_type = 'ITEMIZED'", delete: true}
    """)
    result = run(world, v)
    assert transitions(result.out) == [
        ("no-sets", "alma", "sets", "SET1", "removed", "", "sets.itemized", ""),
    ]
    table = pq.read_table(result.out / "transitions.parquet").to_pylist()
    assert list(table[0]) == COLUMNS
    assert table[0]["outcome_after"] is None and table[0]["rule_after"] is None


def test_insert_makes_records_appear_with_typed_values(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        name: desk
        assume:
          - entity: users
            insert:
              - {primary_id: X1, record_type: STAFF, created_at: 2026-03-05T10:00:00}
              - {primary_id: X2, record_type: PUBLIC, origin: CREATED}
    """)
    result = run(world, v)
    assert transitions(result.out) == [
        ("desk", "alma", "users", "X1", "", "removed", "", "users.created-during-freeze"),
        ("desk", "alma", "users", "X2", "", "removed", "", "users.public"),
    ]


def test_side_extract_patches_the_extract(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        name: fix-vendor
        assume:
          - {side: extract, entity: vendors, where: "code = 'V9'", delete: true}
          - {side: extract, entity: patrons, where: "primary_id = 'N1'", set: {primary_id: P2}}
    """)
    result = run(world, v)
    # N1 becomes P2 (a disappearance and an appearance); Alma's P2 is removed either way.
    assert transitions(result.out) == [
        ("fix-vendor", "extract", "patrons", "N1", "added", "", "patrons.load", ""),
        ("fix-vendor", "extract", "patrons", "P2", "", "added", "", "patrons.load"),
        ("fix-vendor", "extract", "vendors", "V9", "rejected", "", "vendors.missing-in-alma",
         ""),
    ]
    (v_summary,) = result.summary["variants"]
    assert v_summary["cleared_blockers"] == ["vendors.missing-in-alma"]
    assert v_summary["new_blockers"] == []


def test_patches_apply_in_order_and_where_reads_the_delivered_snapshot(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        name: chain
        assume:
          - {entity: users, where: "primary_id = 'P1'", set: {record_type: STAFF}}
          # Reads pre.users as delivered (P1 is PUBLIC there), not the patched view: no loop.
          - entity: users
            where: "primary_id in (select primary_id from pre.users where record_type = 'PUBLIC')"
            set: {origin: CREATED}
          - {entity: users, where: "origin = 'CREATED' and record_type = 'STAFF'", delete: true}
    """)
    result = run(world, v)
    users = [t for t in transitions(result.out) if t[2] == "users"]
    assert users == [("chain", "alma", "users", "P1", "removed", "", "users.public", "")]


def test_scenario_options_and_dates_merge_over_the_base(world: World) -> None:
    base_world(world)
    world.pre["sets"].append({"set_id": "SET3", "set_type": "LOGICAL",
                              "created_at": "2026-03-05T10:00:00"})
    v = write(world.root / "v.yaml", """
        name: later
        dates: {freeze_start: 2026-03-09}
        options: {retain_funds: true}
        allowed_emails: [a@b.example]
    """)
    result = run(world, v)
    assert transitions(result.out) == [
        ("later", "alma", "sets", "SET3", "removed", "retained", "sets.created-during-freeze",
         "sets.logical"),
    ]
    (case,) = result.variants
    assert case.scenario.dates["freeze_start"].isoformat() == "2026-03-09T00:00:00"
    assert case.scenario.dates["clean_data_delivered"].isoformat() == "2026-03-11T00:00:00"
    assert case.scenario.options["retain_funds"] is True
    assert case.scenario.options["reload_acquisitions"] is True  # from the base
    assert case.scenario.allowed_emails == ["a@b.example"]
    # summary.json masks the addresses (no --show-pii).
    assert result.summary["variants"][0]["scenario_changes"] == [
        "retain_funds: false → true", "freeze_start: 2026-03-02 → 2026-03-09",
        "allowed_emails: a•••@b.example"]


def test_patched_views_are_restored_afterwards(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        assume:
          - {entity: users, where: "true", delete: true}
          - {entity: users, insert: [{primary_id: Z1, record_type: STAFF}]}
    """)
    (variant,) = load_variants([v], world.inputs().scenario)
    with world.session() as session:
        session.need()
        con = session.con
        before = con.rows("select primary_id from pre.users order by 1")
        with patched(con, variant.patches):
            assert con.rows("select primary_id, _row from pre.users") == [("Z1", None)]
        assert con.rows("select primary_id from pre.users order by 1") == before
        assert con.rows("select view_name from duckdb_views() where schema_name = 'whatif'"
                        ) == []


def test_an_inserted_key_that_exists_is_a_located_error(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        assume:
          - {entity: users, insert: [{primary_id: p1, record_type: STAFF}]}
    """)
    with pytest.raises(UserError) as e:
        run(world, v)
    assert [str(p) for p in e.value.problems] == [
        f"{v}:2:5: after this patch pre.users holds the key (Primary IDs ignoring letter case) "
        "'p1' more than once (inserted rows): a record must appear once; change an existing "
        "record with set: instead"]
    assert not (world.root / "out").exists()


# --- layered rules ---------------------------------------------------------------------------


LAYER = """
    entity: users
    side: alma
    rules:
      - id: users.public                 # replace by id
        when: true
        outcome: removed
        reason: Replaced in the layer.
        cite: Users at cutover
      - id: users.public-staff-unmatched # disable
        disabled: true
      - id: layer.p2-first               # add before a rule
        before: users.non-public
        when: primary_id = 'P2'
        outcome: retained
        reason: Added before users.non-public.
        cite: Users at cutover
      - id: layer.after-staff            # add after a rule
        after: users.non-public
        when: primary_id = 'P1'
        outcome: refreshed
        reason: Added after users.non-public.
        cite: Users at cutover
"""


def test_each_layering_operation_through_a_variants_rules(world: World) -> None:
    base_world(world)
    world.pre["user_roles"].append(role("P2", "Cataloger"))  # P2: public with a staff role
    write(world.root / "layer" / "users.yaml", LAYER)
    v = write(world.root / "v.yaml", """
        name: layered
        rules: layer/
    """)
    result = run(world, v)
    (case,) = result.variants
    ids = [r.id for r in case.pack.entities[("alma", "users")].rules]
    assert ids.index("layer.p2-first") == ids.index("users.non-public") - 1
    assert ids.index("layer.after-staff") == ids.index("users.non-public") + 1
    assert "users.public-staff-unmatched" not in ids
    assert case.pack.find_rule("users.public")[1].reason == "Replaced in the layer."  # type: ignore[index]
    users = [t for t in transitions(result.out) if t[2] == "users"]
    assert users == [
        ("layered", "alma", "users", "P1", "removed", "refreshed", "users.public",
         "layer.after-staff"),
        ("layered", "alma", "users", "P2", "removed", "retained", "users.public-staff-unmatched",
         "layer.p2-first"),
    ]
    assert case.pack.digest != result.cases[0].pack.digest
    assert result.summary["manifest"]["variants"]["layered"]["rule_pack_hash"] == \
        case.pack.digest


def test_unknown_rule_ids_in_a_variants_layer_are_located_lint_errors(world: World) -> None:
    base_world(world)
    layer = write(world.root / "layer" / "users.yaml", """
        entity: users
        side: alma
        rules:
          - id: users.nope
            disabled: true
          - id: layer.x
            before: users.missing
            when: true
            outcome: retained
            reason: x
            cite: x
    """)
    v = write(world.root / "v.yaml", "rules: layer/\n")
    with pytest.raises(UserError) as e:
        run(world, v)
    assert [str(p) for p in e.value.problems] == [
        f"{layer}:4:9: cannot disable unknown rule 'users.nope' in alma.users",
        f"{layer}:7:13: before: unknown rule id 'users.missing' in alma.users",
    ]


def test_a_layer_folder_that_does_not_exist(tmp_path: Path) -> None:
    v = write(tmp_path / "v.yaml", "rules: nowhere/\n")
    assert problems([v]) == [
        f"{v}:1:8: rule pack folder 'nowhere/' not found (looked for {tmp_path / 'nowhere'})"]


# --- located problems in variant files -----------------------------------------------------------


def test_a_patched_column_that_does_not_exist_names_file_line_and_column(tmp_path: Path) -> None:
    v = write(tmp_path / "v.yaml", """
        name: typo
        assume:
          - {entity: users, where: "primary_id = 'U1'", set: {recordtype: STAFF}}
    """)
    assert problems([v]) == [
        f"{v}:3:55: users has no column 'recordtype' (did you mean 'record_type'?) (columns: "
        "primary_id, record_type, internal_id, account_type, user_group, status, origin, "
        "username, email, created_at, updated_at)"]


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", """
        name: a
        colour: blue
        options: {retain_fund: true, summon: maybe}
        dates: {freeze_start: 2026-03-20}
        assume:
          - {entity: user, where: "true", delete: true}
          - {entity: users, where: "primary_id = 'U1'; drop table users", delete: true}
          - {entity: users, where: "primary_id", delete: true}
          - {entity: users, where: "status = 'ACTIVE'", set: {record_type: STAF, created_at: soon}}
          - {entity: users, insert: [{record_type: STAFF}]}
          - {entity: patrons, where: "true", delete: true}
          - {entity: users, where: "true", delete: false}
          - {entity: users, where: "true", delete: true, set: {status: ACTIVE}}
          - {entity: users, where: "nosuch = 1", delete: true}
          - {entity: users, where: "created_at > $freeze_start", delete: true}
          - {side: legacy, entity: users, insert: [{primary_id: X}]}
    """)
    b = write(tmp_path / "b.yaml", """
        name: a
        assume: {entity: users}
    """)
    assert problems([a, b]) == [
        f"{a}:2:1: unknown key 'colour': expected name, options, dates, allowed_emails, assume, "
        "rules",
        f"{a}:3:11: unknown option 'retain_fund': did you mean 'retain_funds'? expected "
        "reload_acquisitions, retain_funds, retain_licenses, retain_courses, "
        "authority_preferred_term_correction, summon",
        f"{a}:3:38: option summon must be true or false, not 'maybe'",
        f"{a}:4:8: clean_data_delivered (2026-03-11) must come after freeze_start (2026-03-20)",
        f"{a}:6:14: unknown entity 'user' (did you mean 'users'?): expected a table name "
        "(see docs/formats/snapshots.md)",
        f"{a}:7:28: where (users): must be exactly one SQL expression, found 2 statements",
        f"{a}:8:28: where (users) must be true or false, but this expression gives VARCHAR",
        f"{a}:9:68: users.record_type: 'STAF' is not one of PUBLIC, STAFF, CONTACT "
        "(did you mean 'STAFF'?)",
        f"{a}:9:86: users.created_at: 'soon' is not an ISO date or timestamp "
        "(YYYY-MM-DD[THH:MM:SS])",
        f"{a}:10:30: inserted users row lacks required column primary_id",
        f"{a}:11:14: patrons is not a table of the alma side (side: extract)",
        f"{a}:12:44: delete must be true, not false",
        f"{a}:13:36: a patch does one thing: give exactly one of set, delete or insert "
        "(found set, delete)",
        f"{a}:14:28: where (users): unknown column or fact 'nosuch'",
        f"{a}:15:28: where (users): scenario values ($freeze_start) cannot be used here; "
        "write the value itself",
        f"{a}:16:12: side must be alma or extract, not 'legacy'",
        f"{b}:2:9: assume must be a list of patches like {{entity: users, where: ..., "
        "set: {...}}",
    ]


def test_duplicate_variant_names_and_a_reserved_name(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "name: same\n")
    b = write(tmp_path / "b.yaml", "name: SAME\n")
    c = write(tmp_path / "c.yaml", "name: base\n")
    d = write(tmp_path / "d.yaml", "name: ../up\n")
    assert problems([a, b, c, d]) == [
        f"{b}:1:7: variant name 'SAME' is already used by {a}:1:7: give each variant its own "
        "name",
        f"{c}:1:7: variant name 'base' is already used by the base run: give each variant its "
        "own name",
        f"{d}:1:7: name must be a short name of letters, digits, '.', '-' or '_' (it names a "
        "folder), not '../up'",
    ]


def test_malformed_yaml_is_located(tmp_path: Path) -> None:
    v = write(tmp_path / "v.yaml", "assume: [\n")
    (msg,) = problems([v])
    assert msg.startswith(f"{v}:2:1: malformed YAML")


@pytest.mark.parametrize(("value", "message"), [
    ("{primary_id: X, record_type: 3}", "users.record_type: '3' is not one of PUBLIC, STAFF, "
                                        "CONTACT"),
    ("{primary_id: X, record_type: true}", "users.record_type: true is not text (put the value "
                                           "in quotes)"),
    ("{primary_id: X, record_type: [STAFF]}", "users.record_type: a list is not text (put the "
                                              "value in quotes)"),
    ("{primary_id: X, record_type: STAFF, created_at: 2026-02-30}",
     "users.created_at: '2026-02-30': 2026-02-30 is not a day of the calendar (2026-02 has "
     "days 01 to 28)"),
    ("{primary_id: X, record_type: STAFF, created_at: soon}",
     "users.created_at: 'soon' is not an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS])"),
    ("{primary_id: '', record_type: STAFF}", "users.primary_id is required and cannot be empty"),
])
def test_values_of_the_wrong_type(tmp_path: Path, value: str, message: str) -> None:
    v = write(tmp_path / "v.yaml", f"assume:\n  - {{entity: users, insert: [{value}]}}\n")
    (msg,) = problems([v])
    assert msg.split(": ", 1)[1] == message


def test_typed_values_for_other_column_types(tmp_path: Path) -> None:
    v = write(tmp_path / "v.yaml", """
        assume:
          - {entity: licenses, where: "true", set: {linked_to_einventory: "yes"}}
          - {entity: items, where: "true", set: {loan_count: 1.5}}
          - {entity: fund_transactions, where: "true", set: {amount: ten}}
          - {entity: licenses, where: "true", set: {linked_to_einventory: false}}
          - {entity: items, where: "true", set: {loan_count: 3}}
          - {entity: fund_transactions, where: "true", set: {amount: 10.5}}
    """)
    assert [m.split(": ", 1)[1] for m in problems([v])] == [
        "licenses.linked_to_einventory: 'yes' is not true or false",
        "items.loan_count: 1.5 is not a whole number",
        "fund_transactions.amount: 'ten' is not a number",
    ]


# --- the transition matrix -------------------------------------------------------------------


def test_transition_matrix_on_a_fixture_with_known_answers(world: World) -> None:
    # users: P1 removed → retained (set), P2 removed → absent (delete), X1 absent → retained
    # (insert); S1 and S2 stay retained, P3 stays removed. patrons: P1 added → rejected (the
    # cascade), N1 stays added.
    world.pre = {"users": [user("P1"), user("P2"), user("P3"), user("S1", "STAFF"),
                           user("S2", "STAFF")]}
    world.extract = {"patrons": [{"primary_id": "P1"}, {"primary_id": "N1"}]}
    v = write(world.root / "v.yaml", """
        name: m
        assume:
          - {entity: users, where: "primary_id = 'P1'", set: {record_type: STAFF}}
          - {entity: users, where: "primary_id = 'P2'", delete: true}
          - {entity: users, insert: [{primary_id: X1, record_type: CONTACT}]}
    """)
    result = run(world, v)
    (summary,) = result.summary["variants"]
    matrices = {m["id"]: m for m in summary["matrices"]}
    cells = {(c["before"], c["after"]): c["count"] for c in matrices["alma.users"]["cells"]}
    assert cells == {("removed", "retained"): 1, ("removed", "absent"): 1,
                     ("absent", "retained"): 1, ("retained", "retained"): 2,
                     ("removed", "removed"): 1}
    m = matrices["alma.users"]
    assert (m["before"], m["after"], m["changed"], m["appeared"], m["disappeared"]) == \
        (5, 5, 1, 1, 1)
    patrons = {(c["before"], c["after"]): c["count"] for c in matrices["extract.patrons"]["cells"]}
    assert patrons == {("added", "rejected"): 1, ("added", "added"): 1}
    assert summary["transitions"] == {"changed": 2, "appeared": 1, "disappeared": 1}
    # The report shows the same matrix.
    page = (result.out / "report.html").read_text(encoding="utf-8")
    assert 'data-entity="alma.users"' in page


# --- the run folder, the report, the command line ----------------------------------------------


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.scripts.append(data)


def test_report_escapes_data_and_embeds_the_changes(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", """
        name: xss
        assume:
          - entity: users
            insert: [{primary_id: "<script>alert(1)</script>", record_type: STAFF,
                      email: x@y.example}]
    """)
    result = run(world, v)
    html = (result.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    page = Page()
    page.feed(html)
    data = json.loads(next(s for s in page.scripts if s.lstrip().startswith('{"group"')))
    assert data["group"] == "Variant"
    assert data["rows"] == [["xss", "alma.users", "<script>alert(1)</script>", "absent",
                             "retained", "", "users.non-public"]]
    assert ("table", {"class": "runs", "id": "runs"}) in page.elements
    assert "http://" not in html and "https://" not in html  # no network
    for name in ("base", "xss"):
        summary = json.loads((result.out / "variants" / name / "summary.json").read_text(
            encoding="utf-8"))
        assert summary["kind"] == "predict" and summary["variant"] == name
        assert (result.out / "variants" / name / "ledger.parquet").is_file()


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, args)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cli_exit_0_and_inputs_unchanged(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    base_world(world)
    pre, extract, scn, _ = world.write()
    v = write(world.root / "variants" / "v.yaml", """
        name: convert
        assume:
          - {entity: users, where: "primary_id = 'P1'", set: {record_type: STAFF}}
          - {entity: sets, where: "true", delete: true}
          - {side: extract, entity: patrons, insert: [{primary_id: N2}]}
    """)
    before = {name: tree_hashes(world.root / name) for name in ("freeze", "extract", "variants")}
    out = world.root / "out"
    result = invoke(["--quiet", "whatif", "--pre", str(pre), "--extract", str(extract),
                     "--scenario", str(scn), "--variant", str(v), "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 0, result.output
    assert "convert" in result.stdout
    assert {p.name for p in out.iterdir()} == {"summary.json", "transitions.csv",
                                               "transitions.parquet", "report.html",
                                               "variants", ".cutover-run"}
    after = {name: tree_hashes(world.root / name) for name in ("freeze", "extract", "variants")}
    assert after == before
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["command"][:2] == ["cutover", "--quiet"]
    assert summary["transitions"]["rows"] == len(transitions(out))


def test_cli_exit_2_names_the_variant_file_and_writes_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    base_world(world)
    pre, extract, scn, _ = world.write()
    v = write(world.root / "v.yaml", """
        assume:
          - {entity: users, where: "true", set: {recordtype: STAFF}}
    """)
    out = world.root / "out"
    result = invoke(["whatif", "--pre", str(pre), "--extract", str(extract), "--scenario",
                     str(scn), "--variant", str(v), "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"{v}:2:42: users has no column 'recordtype'" in result.stderr
    assert not out.exists()


def test_cli_needs_a_variant(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    base_world(world)
    pre, extract, scn, _ = world.write()
    result = invoke(["whatif", "--pre", str(pre), "--extract", str(extract), "--scenario",
                     str(scn), "--out", str(world.root / "out")], monkeypatch)
    assert result.exit_code == 2


def test_an_existing_folder_that_is_no_run_is_refused(world: World) -> None:
    base_world(world)
    v = write(world.root / "v.yaml", "name: x\n")
    (world.root / "out").mkdir()
    (world.root / "out" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="not a run folder"):
        run(world, v)
    assert (world.root / "out" / "keep.txt").read_text(encoding="utf-8") == "mine"


# --- the sample's variants ---------------------------------------------------------------------


def test_committed_sample_variants_equal_the_generator() -> None:
    for rel, text in sample_variants.files().items():
        assert (SAMPLE / rel).read_text(encoding="utf-8") == text, rel
        assert rel in sample.files()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> whatif.WhatifRun:
    out = tmp_path_factory.mktemp("sample-whatif") / "w"
    with Session.open(SAMPLE / "freeze", SAMPLE / "extract", SAMPLE / "scenario.yaml",
                      SAMPLE / "testload") as session:
        return whatif.run(session, sorted((SAMPLE / "variants").glob("*.yaml")), out,
                          command=["cutover", "whatif"])


@pytest.fixture(scope="module")
def sample_variants_run(sample_run: whatif.WhatifRun) -> dict[str, Any]:
    return {v["name"]: v for v in sample_run.summary["variants"]}


def test_sample_variants_show_meaningful_differences(sample_variants_run: dict[str, Any]
                                                     ) -> None:
    v = sample_variants_run
    assert sorted(v) == ["convert-staff", "later-freeze", "retain-funds"]
    # convert-staff: five users kept, their five patrons rejected (the cascade), one desk user.
    cells = {m["id"]: {(c["before"], c["after"]): c["count"] for c in m["cells"]}
             for m in v["convert-staff"]["matrices"]}
    assert cells["alma.users"][("removed", "retained")] == len(sample_variants.CONVERTED)
    assert cells["alma.users"][("absent", "retained")] == 1
    assert cells["extract.patrons"][("added", "rejected")] == len(sample_variants.CONVERTED)
    # retain-funds: a blocker appears (fiscal period), another clears (orders not reloaded).
    assert v["retain-funds"]["new_blockers"] == ["funds.retained-fiscal-period-differs"]
    assert v["retain-funds"]["cleared_blockers"] == ["orders.vendor-missing"]
    assert "nfu.funds.inactive-not-kept" in {f["id"] for f in v["retain-funds"]["findings"]}
    # later-freeze: the makerspace location's blocker clears; reverted records are kept.
    assert v["later-freeze"]["cleared_blockers"] == ["locations.missing-in-alma"]
    assert v["later-freeze"]["transitions"]["disappeared"] == 2


def test_the_documented_example_variant_is_valid(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "formats" / "variants.md").read_text(encoding="utf-8")
    example = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    v = tmp_path / "example.yaml"
    v.write_text(example, encoding="utf-8")
    (tmp_path / "my-layer").mkdir()
    (variant,) = load_variants([v], scenario.load(write_scenario(tmp_path / "base.yaml")))
    assert variant.name == "retain-funds-and-convert"
    assert [p.kind for p in variant.patches] == ["set", "delete", "insert", "delete"]
    assert variant.patches[-1].side == "extract"
    assert variant.rules == [tmp_path / "my-layer/"]


def test_report_search_and_filters_in_chromium(sample_run: whatif.WhatifRun) -> None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run the browser tests")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text)
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file:", "data:", "about:")) else None)
            page.goto((sample_run.out / "report.html").as_uri())
            records = page.locator("#records")
            rows = records.locator("tbody tr.change")
            total = sample_run.summary["transitions"]["rows"]
            assert rows.count() == min(total, 2000)
            records.locator("input.search").fill("P00011")
            keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key + ' ' + r.dataset.entity)")
            assert sorted(keys) == ["P00011 alma.users", "P00011 extract.patrons",
                                    "P00011|Patron|NFU alma.user_roles"]
            records.locator("input.search").fill("")
            records.locator("select.group-filter").select_option("later-freeze")
            records.locator("select.kind-filter").select_option("disappeared")
            keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
            assert sorted(keys) == ["SCI|MAKER", "SET017"]
            records.locator("th[data-col='2']").click()
            keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
            assert keys == ["SCI|MAKER", "SET017"]
            records.locator("th[data-col='2']").click()
            keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
            assert keys == ["SET017", "SCI|MAKER"]
            page.goto((sample_run.out / "report.html").as_uri() + "#records/patrons/P00012")
            keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
            assert keys == ["P00012"]
            assert page.locator("table.transitions").count() >= 3
        finally:
            browser.close()
    assert problems == []


def test_problems_of_files_and_of_layers_are_reported_together(world: World) -> None:
    base_world(world)
    layer = write(world.root / "layer" / "users.yaml", """
        entity: users
        side: alma
        rules:
          - {id: users.nope, disabled: true}
    """)
    good = write(world.root / "good.yaml", "name: layered\nrules: layer/\n")
    bad = write(world.root / "bad.yaml", "name: bad\nassume: [{entity: nope, insert: []}]\n")
    with pytest.raises(UserError) as e:
        run(world, good, bad)
    assert [str(p) for p in e.value.problems] == [
        f"{bad}:2:19: unknown entity 'nope': expected a table name (see docs/formats/snapshots.md)",
        f"{layer}:4:10: cannot disable unknown rule 'users.nope' in alma.users",
    ]
