"""The awkward shapes of Alma's API responses (../shared/domain/alma-formats.md, section 6) that
concern import: each read into the snapshot format as docs/alma-api.md says, JSON and XML alike,
with the warnings docs/commands/snapshot-import-alma-api.md lists."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.importers.alma_api.importer import import_alma_api

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alma-api"


def write_raw(root: Path, files: dict[str, Any]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = body if isinstance(body, str) else json.dumps(body, indent=1)
        path.write_text(text, encoding="utf-8")
    return root


def run_import(*extra: str, raw: str = "raw", out: str = "snap") -> Result:
    return CliRunner().invoke(app, ["--quiet", "snapshot", "import", "alma-api", raw, "--stage",
                                    "freeze", "--institution", "TST", "--out", out, *extra])


def warnings(result: Result) -> list[str]:
    return [line.removeprefix("warning ") for line in result.stderr.splitlines()
            if line.startswith("warning ")]


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def imported(tmp_path: Path, files: dict[str, Any], *extra: str) -> Path:
    write_raw(tmp_path / "raw", files)
    result = run_import(*extra, raw=str(tmp_path / "raw"), out=str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    return tmp_path / "snap"


def test_the_awkward_folder_warns_of_what_it_ignores_and_what_the_api_does_not_say(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = run_import(raw="awkward", out=str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        "awkward/notes.txt: not a folder of the raw folder's layout (docs/alma-api.md); ignored",
        "awkward/users/README.txt: not a response body (.json or .xml); ignored",
        "awkward/users/page-0001.json: $.user[3].primary_id: CONTACT user with Alma's "
        "placeholder primary id 'no primary id (3248792340004561)': imported as it is",
        "awkward/code-tables/LetterTypes.json: no snapshot table for Alma's code table "
        "'LetterTypes'; skipped (--code-table LetterTypes=snapshot_table imports it)",
        "webhooks: Alma's API does not say whether a webhook profile is active; 1 imported as "
        "ACTIVE, so the prediction lists them among the webhooks to switch on by hand after "
        "go-live (docs/alma-api.md, \"What the API does not say\")",
        "integration-profiles: 1 profile of a type other than WEBHOOKS skipped",
        "licenses: 1 license without a `resource` list; linked_to_einventory left empty (read "
        "as not linked)",
        "users: internal_id, origin and username are not in Alma's API; left empty for 7 users "
        "(docs/alma-api.md, \"What the API does not say\")",
    ]
    assert result.stdout.strip() == (f"{tmp_path / 'snap'}: 18 tables, 102 rows from 21 "
                                     "response files of awkward; valid.")


USER = {
    "primary_id": "00042", "record_type": {"value": "STAFF", "desc": " Staff "},
    "account_type": {"value": "INTERNAL", "desc": ""}, "status": {"value": "ACTIVE"},
    "user_group": {"value": None, "desc": None}, "loans": None,
    "created_date": "2026-03-02Z", "last_modified_date": "2026-03-02T23:59:59.999Z",
    "contact_info": {"email": [
        {"email_address": "first@uni.example", "preferred": "false"},
        {"email_address": "pref@uni.example", "preferred": "true"}]},
    "user_identifier": [{"id_type": {"value": "BARCODE", "desc": "Barcode"}, "value": "B042"}],
    "user_role": [
        {"status": {"value": "ACTIVE"}, "scope": {"value": "MAIN", "desc": "Main"},
         "role_type": {"value": "51"}, "parameter": [
             {"type": {"value": "CirculationDesk"}, "scope": {"value": "MAIN"},
              "value": {"value": "DESK1", "desc": "Desk one"}}]},
        {"status": {"value": "INACTIVE"}, "scope": {"value": "LAW"},
         "role_type": {"value": "51"}, "parameter": []}],
}
USER_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<users total_record_count="1">
  <user>
    <primary_id>00042</primary_id>
    <record_type desc=" Staff ">STAFF</record_type>
    <account_type desc="">INTERNAL</account_type>
    <status>ACTIVE</status>
    <user_group/>
    <loans/>
    <created_date>2026-03-02Z</created_date>
    <last_modified_date>2026-03-02T23:59:59.999Z</last_modified_date>
    <contact_info>
      <emails>
        <email preferred="false"><email_address>first@uni.example</email_address></email>
        <email preferred="true"><email_address>pref@uni.example</email_address></email>
      </emails>
    </contact_info>
    <user_identifiers>
      <user_identifier>
        <id_type desc="Barcode">BARCODE</id_type><value>B042</value>
      </user_identifier>
    </user_identifiers>
    <user_roles>
      <user_role>
        <status>ACTIVE</status><scope desc="Main">MAIN</scope><role_type>51</role_type>
        <parameters>
          <parameter><type>CirculationDesk</type><scope>MAIN</scope>
            <value desc="Desk one">DESK1</value></parameter>
        </parameters>
      </user_role>
      <user_role>
        <status>INACTIVE</status><scope>LAW</scope><role_type>51</role_type><parameters/>
      </user_role>
    </user_roles>
  </user>
</users>
"""
USER_TABLES = {
    "users": [{"primary_id": "00042", "record_type": "STAFF", "internal_id": "",
               "account_type": "INTERNAL", "user_group": "", "status": "ACTIVE", "origin": "",
               "username": "", "email": "pref@uni.example", "created_at": "2026-03-02",
               "updated_at": "2026-03-02T23:59:59"}],
    "user_roles": [{"primary_id": "00042", "role_type": "51", "scope": "LAW",
                    "status": "INACTIVE"},
                   {"primary_id": "00042", "role_type": "51", "scope": "MAIN",
                    "status": "ACTIVE"}],
    "user_identifiers": [{"primary_id": "00042", "id_type": "BARCODE", "value": "B042"}],
}


@pytest.mark.parametrize("files", [
    {"users/page-0001.json": {"user": [USER], "total_record_count": 1}},
    {"users/00042.json": USER},
    {"users/page-0001.xml": USER_XML},
    {"users/00042.xml": USER_XML.replace('<users total_record_count="1">', "")
     .replace("</users>", "")},
], ids=["json-page", "json-object", "xml-page", "xml-object"])
def test_one_user_in_every_shape_gives_the_same_rows(tmp_path: Path,
                                                     files: dict[str, Any]) -> None:
    """A coded field read by its value whatever its desc; the same role in two scopes with a
    circulation desk parameter; the preferred e-mail; a date-only Z value and a timestamp with
    milliseconds; leading zeros kept; `loans: null` ignored."""
    snap = imported(tmp_path, files)
    assert {t: rows(snap, t) for t in USER_TABLES} == USER_TABLES


def test_no_user_role_key_no_roles_and_an_empty_page_without_its_list_key(
        tmp_path: Path) -> None:
    snap = imported(tmp_path, {
        "users/page-0001.json": {"user": [{"primary_id": "C1",
                                           "record_type": {"value": "CONTACT"}}],
                                 "total_record_count": 1},
        "users/page-0002.json": {"total_record_count": 1},
        "sets/page-0001.json": {"total_record_count": 0},
        "jobs/page-0001.xml": '<jobs total_record_count="0"/>',
    })
    assert [r["primary_id"] for r in rows(snap, "users")] == ["C1"]
    for table in ("user_roles", "user_identifiers", "sets", "jobs"):
        assert rows(snap, table) == []
    assert sorted(p.name for p in snap.glob("*.csv")) == [
        "jobs.csv", "sets.csv", "user_identifiers.csv", "user_roles.csv", "users.csv"]


def test_primary_ids_that_differ_only_in_case_in_other_tables_are_kept_as_spelled(
        tmp_path: Path) -> None:
    """Loans and requests name users by primary id, in whatever case; the snapshot keeps it."""
    snap = imported(tmp_path, {
        "loans/jsmith.json": {"item_loan": [
            {"loan_id": "L1", "user_id": "JSMITH@uni.example", "item_barcode": "B1",
             "circ_desk": None, "loan_date": "2026-02-01T09:00:00.000Z",
             "due_date": "2026-03-01Z"}], "total_record_count": 1},
        "requests/jsmith.json": {"user_request": [
            {"request_id": "R1", "user_primary_id": "jsmith@UNI.example", "request_type": "HOLD",
             "request_status": "NOT_STARTED", "pickup_location": "Main Library",
             "pickup_location_library": "MAIN"}], "total_record_count": 1},
    })
    assert rows(snap, "loans") == [{"loan_id": "L1", "item_barcode": "B1",
                                    "primary_id": "JSMITH@uni.example",
                                    "loan_date": "2026-02-01T09:00:00",
                                    "due_date": "2026-03-01", "returned_at": ""}]
    assert rows(snap, "requests") == [{"request_id": "R1", "request_type": "HOLD",
                                       "status": "NOT_STARTED", "item_barcode": "",
                                       "primary_id": "jsmith@UNI.example"}]


def test_string_booleans_and_enabled_by_default(tmp_path: Path) -> None:
    snap = imported(tmp_path, {"code-tables/UserIdentifierTypes.json": {"row": [
        {"code": "A", "enabled": "true"}, {"code": "B", "enabled": "false"},
        {"code": "C", "enabled": ""}, {"code": "D", "enabled": None}, {"code": "E"},
        {"code": "F", "enabled": False}, {"code": "G", "enabled": " TRUE "}]}})
    assert [(r["table_name"], r["code"], r["enabled"]) for r in rows(snap, "code_tables")] == [
        ("user_identifier_types", c, e) for c, e in zip(
            "ABCDEFG", ("true", "false", "false", "true", "true", "false", "true"), strict=True)]


def test_code_table_names_given_on_the_command_line(tmp_path: Path) -> None:
    snap = imported(tmp_path, {
        "code-tables/LetterTypes.json": {"row": [{"code": "X"}]},
        "code-tables/UserGroups.xml": "<code_table><rows><row><code>UG</code></row></rows>"
                                      "</code_table>",
    }, "--code-table", "LetterTypes=letter_types", "--code-table", "UserGroups = patron_groups")
    assert [(r["table_name"], r["code"]) for r in rows(snap, "code_tables")] == [
        ("letter_types", "X"), ("patron_groups", "UG")]


def test_a_missing_page_is_said_and_lists_of_one_file_each_are_not(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", {
        "users/page-0001.json": {"user": [{"primary_id": "U1", "record_type": {"value":
                                                                               "STAFF"}}],
                                 "total_record_count": 2},
        "jobs/MANUAL.json": {"job": [{"id": "J1", "type": {"value": "MANUAL"}}],
                             "total_record_count": 1},
        "jobs/SCHEDULED.json": {"job": [{"id": "J2", "type": {"value": "SCHEDULED"}},
                                        {"id": "J3", "type": {"value": "SCHEDULED"}}],
                                "total_record_count": 2},
    })
    result = run_import(raw=str(tmp_path / "raw"), out=str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    raw = tmp_path / "raw"
    assert [w for w in warnings(result) if "total_record_count" in w] == [
        f"{raw}/users/: the files hold 1 records, but total_record_count says 2: the raw folder "
        "may be incomplete (a page missing?)"]


def test_an_earlier_import_is_replaced_and_the_manifest_is_the_options(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", {"libraries/all.xml":
                                 '<libraries total_record_count="1"><library><code>MAIN</code>'
                                 "<name>Main</name></library></libraries>"})
    out = tmp_path / "snap"
    now = dt.datetime(2026, 3, 2, 7, 0, 5, 123, tzinfo=dt.UTC)
    import_alma_api(tmp_path / "raw", out, stage="cutover", institution="123", now=now)
    assert (out / "snapshot.yaml").read_text(encoding="utf-8") == (
        'format_version: 1\ninstitution: "123"\nstage: cutover\ntaken_at: 2026-03-02T07:00:05Z\n')
    (tmp_path / "raw" / "libraries" / "all.xml").write_text(
        "<libraries><library><code>LAW</code></library></libraries>", encoding="utf-8")
    done = import_alma_api(tmp_path / "raw", out, stage="freeze", institution="TST", now=now)
    assert done.rows == {"libraries": 1}
    assert rows(out, "libraries") == [{"code": "LAW", "name": ""}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "snap"]  # no temp folder left


def test_an_unfinished_pull_is_said(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", {
        ".pull-progress.json": {"folders": {}},
        "libraries/page-000001.json": {"library": [{"code": "MAIN"}], "total_record_count": 1},
        "libraries/.page-000002.json.part": '{"library": [',
    })
    result = run_import(raw=str(tmp_path / "raw"), out=str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"{tmp_path}/raw/.pull-progress.json: the pull into this raw folder is unfinished, so "
        "some folders may be partial (run the same pull again to finish it)"]


def test_license_resources_in_xml(tmp_path: Path) -> None:
    snap = imported(tmp_path, {"licenses/page-000001.xml": """<licenses total_record_count="3">
      <license><code>L1</code><resources><resource><id>E1</id></resource></resources></license>
      <license><code>L2</code><resources/></license>
      <license><code>L3</code></license>
    </licenses>"""})
    assert [(r["license_code"], r["linked_to_einventory"]) for r in rows(snap, "licenses")] == [
        ("L1", "true"), ("L2", "false"), ("L3", "")]
