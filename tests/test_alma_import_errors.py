"""`cutover snapshot import alma-api` on bad input (docs/alma-api.md, "Values"): every problem of
every file at once, each naming the file and the JSON path (or line and column when the file is
no JSON or XML at all), exit code 2, and nothing written: no snapshot folder, no temp folder
beside it, the raw folder untouched. Problems the written snapshot's validation finds (a case-only
duplicate Primary ID, as in a hand-written snapshot) are named in the response files too."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from test_alma_import_shapes import write_raw
from typer.testing import CliRunner, Result

from simulator.cli import app


def run_import(*extra: str, raw: str = "raw", out: str = "snap/freeze") -> Result:
    return CliRunner().invoke(app, ["--quiet", "snapshot", "import", "alma-api", raw, "--stage",
                                    "freeze", "--institution", "TST", "--out", out, *extra])


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def errors(result: Result) -> list[str]:
    return [line.removeprefix("error ") for line in result.stderr.splitlines()
            if line.startswith("error ")]


def assert_rejected(result: Result, problems: list[str], root: Path,
                    before: dict[str, str]) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert errors(result) == problems, result.stderr
    n = len(problems)
    assert result.stderr.rstrip().endswith(
        f"{n} problem{'s' if n != 1 else ''}; nothing was written."), result.stderr
    assert not (root / "snap").exists()  # not even the parent folder it would have made
    assert hashes(root) == before


def user(pid: Any, record_type: Any = "PUBLIC", **more: Any) -> dict[str, Any]:
    return {"primary_id": pid, "record_type": {"value": record_type, "desc": "x"}, **more}


BAD_VALUES = {
    "raw/users/page-0001.json": {"user": [
        user("A1"), user("A2"), user("A3", "STAF"),
        user("A4", "PUBLIC", created_date="2026-3-2Z", last_modified_date="2026-03-02 10:00"),
        user(None, "STAFF", user_role=[{"role_type": {"value": None}, "status": {"value": "ON"}}]),
        user("A6", "PUBLIC", user_identifier=[{"id_type": {"value": "BARCODE"}, "value": None},
                                              {"id_type": None, "value": "B2"}]),
    ], "total_record_count": 6},
    "raw/users/page-0002.json": {"user": {"oops": True}, "total_record_count": 6},
    "raw/users/page-0003.json": {"user": "nobody", "total_record_count": 6},
    "raw/users/page-0004.json": '{"user": [\n  {"primary_id": "X"}\n  {"primary_id": "Y"}]}',
    "raw/users/page-0005.xml": "<users><user><primary_id>Z</user></users>",
    "raw/users/page-0006.json": {"errorsExist": True, "errorList": {"error": [
        {"errorCode": "401861", "errorMessage": "User with identifier 1234 was not found.",
         "trackingId": "E01-1"}]}, "result": None},
    "raw/users/page-0007.json": ["not", "an", "object"],
    "raw/code-tables/UserGroups.json": {"row": [
        {"code": "UG", "enabled": "yes"}, {"code": None, "enabled": 1}]},
    "raw/sets/page-0001.json": {"set": [{"id": "S1", "type": {"value": "DYNAMIC"}},
                                        {"id": "S2", "type": {"value": "LOGICAL"},
                                         "created_date": "2026-02-30T10:00:00.000Z"}],
                                "total_record_count": 2},
    "raw/fund-transactions/F1.json": {"fund_transaction": [
        {"id": "T1", "transaction_type": {"value": "REFUND"}, "amount": {"sum": "12,50"}},
        {"id": "T2", "amount": True}], "total_record_count": 2},
    "raw/funds/page-0001.json": {"fund": [{"code": "F1", "status": {"value": ["ACTIVE"]}}],
                                 "total_record_count": 1},
    "raw/jobs/page-0001.json": {"job": [{"id": "J1", "type": {"value": "scheduled"}}],
                                "total_record_count": 1},
}

BAD_VALUES_SAID = [
    "raw/code-tables/UserGroups.json: $.row[0].enabled: 'yes' is not true or false",
    "raw/code-tables/UserGroups.json: $.row[1].code: no value, but code is required",
    "raw/code-tables/UserGroups.json: $.row[1].enabled: a number is not true or false",
    "raw/fund-transactions/F1.json: $.fund_transaction[0].amount.sum: '12,50' is not a number",
    "raw/fund-transactions/F1.json: $.fund_transaction[0].transaction_type.value: 'REFUND' is "
    "not one of ALLOCATION, EXPENDITURE, ENCUMBRANCE, DISENCUMBRANCE, TRANSFER",
    "raw/fund-transactions/F1.json: $.fund_transaction[1].amount: expected a number, not true "
    "or false",
    "raw/funds/page-0001.json: $.fund[0].status.value: expected text or a code, not a list",
    "raw/jobs/page-0001.json: $.job[0].type.value: 'scheduled' is not one of SCHEDULED, MANUAL, "
    "OTHER (did you mean 'SCHEDULED'?)",
    "raw/sets/page-0001.json: $.set[0].type.value: 'DYNAMIC' is not one of ITEMIZED, LOGICAL",
    "raw/sets/page-0001.json: $.set[1].created_date: '2026-02-30T10:00:00.000Z' is not a date "
    "(2026-03-02Z) or a timestamp (2026-03-02T10:00:00.000Z)",
    "raw/users/page-0001.json: $.user[2].record_type.value: 'STAF' is not one of PUBLIC, STAFF, "
    "CONTACT (did you mean 'STAFF'?)",
    "raw/users/page-0001.json: $.user[3].created_date: '2026-3-2Z' is not a date (2026-03-02Z) "
    "or a timestamp (2026-03-02T10:00:00.000Z)",
    "raw/users/page-0001.json: $.user[3].last_modified_date: '2026-03-02 10:00' is not a date "
    "(2026-03-02Z) or a timestamp (2026-03-02T10:00:00.000Z)",
    "raw/users/page-0001.json: $.user[4].primary_id: no value, but primary_id is required",
    "raw/users/page-0001.json: $.user[4].user_role[0].role_type.value: no value, but role_type "
    "is required",
    "raw/users/page-0001.json: $.user[4].user_role[0].status.value: 'ON' is not one of ACTIVE, "
    "INACTIVE, NEW",
    "raw/users/page-0001.json: $.user[5].user_identifier[0].value: no value, but value is "
    "required",
    "raw/users/page-0001.json: $.user[5].user_identifier[1].id_type: no value, but id_type is "
    "required",
    "raw/users/page-0002.json: $.user.primary_id: no value, but primary_id is required",
    "raw/users/page-0002.json: $.user.record_type: no value, but record_type is required",
    "raw/users/page-0003.json: $.user: expected a list, not text",
    "raw/users/page-0004.json:3:3: not valid JSON: Expecting ',' delimiter",
    "raw/users/page-0005.xml:1:29: not valid XML: mismatched tag",
    "raw/users/page-0006.json: $: an Alma error response, not data (401861: User with "
    "identifier 1234 was not found.)",
    "raw/users/page-0007.json: $: expected an object (a response body), not a list",
]


def test_every_bad_value_of_every_file_at_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, BAD_VALUES)
    before = hashes(tmp_path)
    assert_rejected(run_import(), BAD_VALUES_SAID, tmp_path, before)


def test_a_case_only_duplicate_primary_id_is_the_validation_error_it_is_by_hand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a hand-written users.csv (docs/formats/snapshots.md: Primary IDs match ignoring letter
    case), but named at the response files; the CSV row it would have been is never shown."""
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {
        "raw/users/page-0001.json": {"user": [user("JSmith"), user("0012345")],
                                     "total_record_count": 3},
        "raw/users/page-0002.json": {"user": [user("jsmith", user_role=[
            {"role_type": {"value": "200"}, "scope": {"value": "INST"}},
            {"role_type": {"value": "200"}, "scope": {"value": "INST"}}])],
            "total_record_count": 3},
    })
    before = hashes(tmp_path)
    assert_rejected(run_import(), [
        "raw/users/page-0002.json: $.user[0].primary_id: column primary_id: 'jsmith' is not a "
        "unique key (primary_id): $.user[0].primary_id of raw/users/page-0001.json has 'JSmith' "
        "(Primary IDs match ignoring letter case)",
        "raw/users/page-0002.json: $.user[0].primary_id: column primary_id: 'jsmith|200|INST' is "
        "not a unique key (primary_id|role_type|scope): $.user[0].primary_id of "
        "raw/users/page-0002.json has 'jsmith|200|INST'",
    ], tmp_path, before)


def test_a_reference_to_a_table_the_raw_folder_lacks(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Fund transactions need the funds they belong to: a validation problem of the table."""
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {
        "raw/fund-transactions/F9.json": {"fund_transaction": [
            {"id": "T1", "transaction_type": {"value": "ALLOCATION"}, "amount": 5}],
            "total_record_count": 1},
        "raw/funds/page-0001.json": {"fund": [{"code": "F1"}], "total_record_count": 1},
    })
    before = hashes(tmp_path)
    assert_rejected(run_import(), [
        "raw/fund-transactions/F9.json: $.fund_transaction[0] (the file name 'F9'): column "
        "fund_code: 'F9' is not a fund_code present in funds (funds.csv)",
    ], tmp_path, before)


@pytest.mark.parametrize(("body", "said"), [
    ('<?xml version="1.0"?>\n<!DOCTYPE users [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
     "<users><user><primary_id>&x;</primary_id></user></users>",
     "raw/users/page-0001.xml:2:1: a document type declaration (DTD) is not accepted in a "
     "response body: Alma's responses have none"),
    ('<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     "\n<users><user><primary_id>&b;</primary_id></user></users>",
     "raw/users/page-0001.xml:2:1: a document type declaration (DTD) is not accepted in a "
     "response body: Alma's responses have none"),
    ("<users><user><primary_id>&x;</primary_id></user></users>",
     "raw/users/page-0001.xml:1:26: not valid XML: undefined entity"),
], ids=["external-entity", "entity-expansion", "undeclared-entity"])
def test_xml_with_entities_is_refused_before_anything_is_expanded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, said: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {"raw/users/page-0001.xml": body})
    before = hashes(tmp_path)
    result = run_import()
    assert_rejected(result, [said], tmp_path, before)
    assert "root:" not in result.output


@pytest.mark.parametrize(("args", "said"), [
    (("--stage", "extract"), "--stage: 'extract' is an extract-side stage: Alma API responses "
                             "make an Alma-side snapshot (stage testload, freeze, cutover, "
                             "fulfillment, golive)"),
    (("--stage", "frozen"), "--stage: 'frozen' is no stage: Alma API responses make an "
                            "Alma-side snapshot (stage testload, freeze, cutover, fulfillment, "
                            "golive)"),
    (("--code-table", "LetterTypes"), "--code-table: 'LetterTypes' is not AlmaName="
                                      "snapshot_table (a snapshot table name is lower case: "
                                      "user_groups)"),
    (("--code-table", "LetterTypes=Letter Types"), "--code-table: 'LetterTypes=Letter Types' "
                                                   "is not AlmaName=snapshot_table (a snapshot "
                                                   "table name is lower case: user_groups)"),
], ids=["extract-stage", "unknown-stage", "no-equals", "bad-table-name"])
def test_bad_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
                     said: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {"raw/libraries/all.json": {"library": [{"code": "MAIN"}]}})
    before = hashes(tmp_path)
    result = CliRunner().invoke(app, ["--quiet", "snapshot", "import", "alma-api", "raw",
                                      "--stage", "freeze", "--institution", "TST", "--out",
                                      "snap/freeze", *args])
    assert_rejected(result, [said], tmp_path, before)


def test_a_raw_folder_that_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {"raw/notes.txt": "x", "elsewhere/users/p.json": {}})
    before = hashes(tmp_path)
    assert_rejected(run_import(), [
        "raw: no folder of Alma API responses here (expected one or more of users, code-tables, "
        "sets, integration-profiles, jobs, libraries, locations, vendors, funds, "
        "fund-transactions, licenses, courses, reading-lists, loans, requests/)"],
        tmp_path, before)
    assert_rejected(run_import(raw="missing"), ["missing: raw folder not found"], tmp_path,
                    before)


def test_out_must_be_new_or_an_earlier_import(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_raw(tmp_path, {"raw/libraries/all.json": {"library": [{"code": "MAIN"}]},
                         "snap/freeze/users.csv": "primary_id,record_type\n"})
    before = hashes(tmp_path)
    result = run_import()
    assert result.exit_code == 2
    assert errors(result) == ["snap/freeze: --out exists and is not a snapshot folder written by "
                              "`cutover snapshot import`; choose a new folder"]
    assert hashes(tmp_path) == before
