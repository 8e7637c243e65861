"""A snapshot imported from Alma API responses predicts exactly as the same data written by hand
(issue 12, "Done means"): `cutover snapshot import alma-api` on tests/fixtures/alma-api/awkward,
`cutover snapshot validate` on the result, then `cutover predict` on it and on the same records
written as CSV the way every other test writes a snapshot (conftest.write_snapshot): the same
ledger, and the outcomes asserted here record by record."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import write_scenario, write_snapshot
from typer.testing import CliRunner

from simulator.cli import app
from simulator.inputs.writing import csv_text

RAW = Path(__file__).resolve().parent / "fixtures" / "alma-api" / "awkward"
INST = "01TST_INST"
# S0002's 55 roles: the patron role, and 27 staff role codes in two libraries.
STAFF_CODES = ("0", "1", "2", "12", "226", "29", "33", "250", "34", "36", "37", "44", "48", "54",
               "47", "55", "209", "224", "210", "225", "227", "228", "229", "244", "247", "248",
               "428")
PLACEHOLDER = "no primary id (3248792340004561)"


def user(pid: str, record_type: str, account: str, group: str | None, status: str,
         email: str | None, created: str, updated: str) -> dict[str, Any]:
    return {"primary_id": pid, "record_type": record_type, "account_type": account,
            "user_group": group, "status": status, "email": email, "created_at": created,
            "updated_at": updated}


def role(pid: str, role_type: str, scope: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {"primary_id": pid, "role_type": role_type, "scope": scope, "status": status}


def ident(pid: str, id_type: str, value: str) -> dict[str, Any]:
    return {"primary_id": pid, "id_type": id_type, "value": value}


def by_hand() -> dict[str, list[dict[str, Any]]]:
    """The fixture's records as a person would write them in the snapshot format."""
    return {
        "users": [
            user("0012345", "PUBLIC", "EXTERNAL", "UG", "ACTIVE", "ana@uni.example",
                 "2025-09-15", "2025-10-01T08:30:00"),
            user("JSmith@Uni.example", "PUBLIC", "INTERNAL", "STAFF", "ACTIVE",
                 "JSmith@Uni.example", "2025-09-15", "2026-01-10T16:45:12"),
            user("S0001", "STAFF", "INTERNAL", "STAFF", "ACTIVE", None, "2024-05-02",
                 "2026-03-05T10:00:00"),
            user(PLACEHOLDER, "CONTACT", "INTERNAL", None, "ACTIVE", None, "2023-11-20",
                 "2023-11-20T09:00:00"),
            user("S0002", "STAFF", "INTERNAL", "STAFF", "ACTIVE", None, "2020-01-06",
                 "2025-12-01T12:00:00"),
            user("P0003", "PUBLIC", "EXTERNAL", "UG", "INACTIVE", None, "2026-03-03",
                 "2026-03-04T00:00:00"),
            user("00777", "PUBLIC", "EXTERNAL", "FACULTY", "ACTIVE", "lee@uni.example",
                 "2024-01-01", "2025-02-03T04:05:06"),
        ],
        "user_roles": [
            role("0012345", "200", INST), role("JSmith@Uni.example", "200", INST),
            role("JSmith@Uni.example", "51", "MAIN"), role("JSmith@Uni.example", "51", "LAW"),
            role("S0002", "200", INST), role("00777", "200", INST),
            *(role("S0002", code, scope, "INACTIVE" if code in ("36", "428") else "ACTIVE")
              for code in STAFF_CODES for scope in ("MAIN", "LAW")),
        ],
        "user_identifiers": [
            ident("0012345", "BARCODE", "21234000567"), ident("0012345", "UNIV_ID", "0012345"),
            ident("JSmith@Uni.example", "BARCODE", "21234000999"),
            ident("S0001", "UNIV_ID", "S-0001"), ident("00777", "BARCODE", "00777-B"),
        ],
        "code_tables": [
            {"table_name": "user_groups", "code": "UG", "description": "Undergraduate",
             "enabled": "true"},
            {"table_name": "user_groups", "code": "FACULTY", "description": "Faculty",
             "enabled": "false"},
            {"table_name": "user_groups", "code": "STAFF", "description": " Staff ",
             "enabled": "false"},
            {"table_name": "user_groups", "code": "OLD", "description": "Old group",
             "enabled": "true"},
            {"table_name": "fund_types", "code": "GEN", "description": "General",
             "enabled": "true"},
            {"table_name": "fund_types", "code": "RES", "description": "Reserve",
             "enabled": "false"},
        ],
        "sets": [
            {"set_id": "9001", "name": "New books", "set_type": "LOGICAL",
             "content_type": "BIB_MMS", "created_at": "2025-05-01T09:00:00"},
            {"set_id": "9002", "name": "Weeding candidates", "set_type": "ITEMIZED",
             "content_type": "ITEM", "created_at": "2026-03-04T12:00:00"},
        ],
        "webhooks": [{"profile_id": "5001", "name": "Library webhooks", "status": "ACTIVE",
                      "url": "https://hooks.example.edu/alma"}],
        "jobs": [
            {"job_id": "M26714670000011", "name": "Export patrons", "job_type": "MANUAL"},
            {"job_id": "S1001", "name": "Nightly letters", "job_type": "SCHEDULED",
             "status": "ENABLED"},
            {"job_id": "S1002", "name": "Weekly purge", "job_type": "SCHEDULED",
             "status": "DISABLED"},
        ],
        "libraries": [{"code": "MAIN", "name": "Main Library"},
                      {"code": "LAW", "name": "Law Library"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS", "name": "Stacks"},
                      {"library_code": "LAW", "code": "REF", "name": "Reference"}],
        "vendors": [{"code": "V1", "name": "Books Ltd", "status": "ACTIVE",
                     "email": "orders@books.example"},
                    {"code": "V2", "name": "Old Supplier", "status": "INACTIVE"}],
        "funds": [{"fund_code": "F1", "name": "History books", "fund_type": "ALLOCATED_FUND",
                   "fiscal_period": "FY2026", "status": "ACTIVE"}],
        "fund_transactions": [
            {"transaction_id": "T1", "fund_code": "F1", "transaction_type": "ALLOCATION",
             "amount": "1000.00"},
            {"transaction_id": "T2", "fund_code": "F1", "transaction_type": "EXPENDITURE",
             "amount": "-12.5"},
        ],
        "licenses": [{"license_code": "L1", "name": "Big deal", "linked_to_einventory": "true"},
                     {"license_code": "L2", "name": "Small deal",
                      "linked_to_einventory": "false"},
                     {"license_code": "L3", "name": "Brief record"}],
        "courses": [{"course_code": "HIST101", "name": "History I",
                     "academic_department": "HIST"}],
        "course_instructors": [{"course_code": "HIST101", "instructor_primary_id": "S0001"},
                               {"course_code": "HIST101", "instructor_primary_id": "0012345"}],
        "reading_lists": [{"list_id": "RL1", "course_code": "HIST101", "name": "Week 1"}],
        "loans": [{"loan_id": "LN1", "item_barcode": "39031025815804", "primary_id": "0012345",
                   "loan_date": "2026-02-20T14:03:11", "due_date": "2026-03-20T22:59:00"}],
        "requests": [{"request_id": "RQ1", "request_type": "HOLD", "status": "ON_HOLD_SHELF",
                      "item_barcode": "39031025815805", "primary_id": "JSmith@Uni.example"}],
    }


EXTRACT = {"patrons": [{"primary_id": "jsmith@uni.example", "user_group": "STAFF"}],
           "code_tables": [{"table_name": "user_groups", "code": "UG",
                            "description": "Undergraduate"}]}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["--quiet", *args])


def ledger(run: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    with (run / "ledger.csv").open(encoding="utf-8", newline="") as f:
        return {(r["side"], r["entity"], r["record_key"]): (r["outcome"], r["rule_id"])
                for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("roundtrip")
    imported = root / "imported"
    done = invoke("snapshot", "import", "alma-api", str(RAW), "--stage", "freeze",
                  "--institution", "TST", "--out", str(imported))
    valid = invoke("snapshot", "validate", str(imported))
    hand = write_snapshot(root / "by-hand", "freeze", by_hand())
    extract = write_snapshot(root / "extract", "extract", EXTRACT)
    scenario = write_scenario(root / "scenario.yaml", {"retain_licenses": True})
    predicted = {}
    for name, pre in (("imported", imported), ("by-hand", hand)):
        result = invoke("predict", "--pre", str(pre), "--extract", str(extract),
                        "--scenario", str(scenario), "--out", str(root / f"run-{name}"))
        predicted[name] = (result.exit_code, root / f"run-{name}")
    return {"import": done, "validate": valid, "predicted": predicted, "imported": imported}



ALMA = "alma"
EXPECTED = {
    ("users", "0012345"): ("removed", "users.public"),
    ("users", "00777"): ("removed", "users.public"),
    ("users", "JSmith@Uni.example"): ("refreshed", "users.public-staff-matched"),
    ("users", "P0003"): ("removed", "users.created-during-freeze"),
    ("users", "S0001"): ("reverted", "users.changed-during-freeze"),
    ("users", "S0002"): ("retained", "users.non-public"),
    ("users", PLACEHOLDER): ("retained", "users.non-public"),
    ("user_identifiers", "0012345|BARCODE|21234000567"):
        ("removed", "user_identifiers.public-user-removed"),
    ("user_identifiers", "0012345|UNIV_ID|0012345"):
        ("removed", "user_identifiers.public-user-removed"),
    ("user_identifiers", "00777|BARCODE|00777-B"):
        ("removed", "user_identifiers.public-user-removed"),
    ("user_identifiers", "JSmith@Uni.example|BARCODE|21234000999"):
        ("refreshed", "user_identifiers.public-user-refreshed"),
    ("user_identifiers", "S0001|UNIV_ID|S-0001"):
        ("reverted", "user_identifiers.user-changed-during-freeze"),
    ("user_roles", "JSmith@Uni.example|200|01TST_INST"):
        ("refreshed", "user_roles.patron-role-refreshed"),
    ("user_roles", "JSmith@Uni.example|51|MAIN"): ("retained", "user_roles.staff-role-kept"),
    ("user_roles", "JSmith@Uni.example|51|LAW"): ("retained", "user_roles.staff-role-kept"),
    ("user_roles", "0012345|200|01TST_INST"): ("removed", "user_roles.public-user-removed"),
    ("user_roles", "00777|200|01TST_INST"): ("removed", "user_roles.public-user-removed"),
    ("code_tables", "user_groups|UG"): ("merged", "code_tables.merged"),
    ("code_tables", "user_groups|FACULTY"): ("retained", "code_tables.alma-only"),
    ("code_tables", "fund_types|RES"): ("retained", "code_tables.alma-only"),
    ("sets", "9001"): ("retained", "sets.logical"),
    ("sets", "9002"): ("removed", "sets.created-during-freeze"),
    ("webhooks", "5001"): ("deactivated", "webhooks.inactive"),
    ("jobs", "M26714670000011"): ("retained", "jobs.other"),
    ("jobs", "S1001"): ("deactivated", "jobs.scheduled"),
    ("jobs", "S1002"): ("retained", "jobs.other"),
    ("licenses", "L1"): ("detached", "licenses.retained-einventory"),
    ("licenses", "L2"): ("retained", "licenses.retained"),
    ("licenses", "L3"): ("retained", "licenses.retained"),
    ("locations", "LAW|REF"): ("retained", "locations.retained"),
    ("fund_transactions", "T2"): ("removed", "fund_transactions.removed"),
    ("reading_lists", "RL1"): ("removed", "reading_lists.removed"),
    ("loans", "LN1"): ("removed", "loans.removed"),
    ("requests", "RQ1"): ("removed", "requests.removed"),
}


def test_the_import_is_a_valid_snapshot(runs: dict[str, Any]) -> None:
    assert (runs["import"].exit_code, runs["validate"].exit_code) == (0, 0)
    assert runs["validate"].stdout.strip().endswith(
        "alma-side snapshot of TST, stage freeze; 18 tables, 102 rows, valid.")


def test_the_import_writes_the_files_a_person_would(runs: dict[str, Any]) -> None:
    """Byte for byte: the same tables, the same rows and values, the same CSV."""
    imported: Path = runs["imported"]
    written = {p.name: p.read_text(encoding="utf-8") for p in imported.glob("*.csv")}
    assert written == {f"{table}.csv": csv_text(table, rows) for table, rows in by_hand().items()}
    manifest = (imported / "snapshot.yaml").read_text(encoding="utf-8")
    assert re.fullmatch(r'format_version: 1\ninstitution: "TST"\nstage: freeze\n'
                        r"taken_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n", manifest), manifest


def test_the_imported_snapshot_predicts_as_the_one_written_by_hand(runs: dict[str, Any]) -> None:
    (code_imported, imported), (code_hand, hand) = runs["predicted"].values()
    assert code_imported == code_hand == 0
    assert ledger(imported) == ledger(hand)
    summaries = [json.loads((run / "summary.json").read_text(encoding="utf-8"))
                 for run in (imported, hand)]
    assert [(s["counts"], s["findings"]) for s in summaries] == [
        (summaries[1]["counts"], summaries[1]["findings"])] * 2


def test_exact_outcomes_of_the_imported_records(runs: dict[str, Any]) -> None:
    got = ledger(runs["predicted"]["imported"][1])
    assert {key: got[(ALMA, *key)] for key in EXPECTED} == EXPECTED
    staff_roles = {v for (side, entity, key), v in got.items()
                   if entity == "user_roles" and key.startswith("S0002|")}
    assert staff_roles == {("retained", "user_roles.non-public-user")}
    assert sum(1 for (_, entity, key) in got
               if entity == "user_roles" and key.startswith("S0002|")) == 55
    assert got[("extract", "patrons", "jsmith@uni.example")] == (
        "added", "patrons.refreshes-public-staff")
