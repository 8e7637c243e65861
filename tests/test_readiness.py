"""`cutover readiness`: every check (positive and negative), the registry of checks and the rule
metadata readiness reads (each key with and without), waivers, the runbook and its exports, the
run folder, the report and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import pytest
from conftest import BEFORE, DURING, World, default_pack, role, user
from typer.testing import CliRunner, Result

from simulator import cli
from simulator.cli import app, runs
from simulator.cli.demo import sample_session
from simulator.commands import readiness
from simulator.commands.readiness import ReadyFinding, runbook, waivers
from simulator.core.session import Session
from simulator.errors import UserError
from simulator.inputs.scenario import Scenario
from simulator.rules.model import CONFIDENCES, SEVERITIES
from simulator.rules.vocabulary import AREAS, CHECKED_BY, READINESS_OPTIONS, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
AS_OF = dt.date(2026, 2, 20)
XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']


# -- helpers --------------------------------------------------------------------------------------

def staff(pid: str, iid: str, **kw: Any) -> dict[str, Any]:
    return user(pid, "STAFF", origin="CREATED", internal_id=iid, **kw)


def write(world: World, forms: dict[str, tuple[str, str]] | None = None,
          scenario_extra: str = "") -> tuple[Path, Path, Path, Path | None]:
    """The world's folders; `forms` maps a form name to (file name, content) in the extract."""
    pre, extract, scenario, testload = world.write()
    if forms:
        lines = "forms:\n" + "".join(f"  {name}: {file}\n" for name, (file, _) in forms.items())
        with (extract / "snapshot.yaml").open("a", encoding="utf-8") as f:
            f.write(lines)
        for file, content in forms.values():
            (extract / file).write_text(content, encoding="utf-8")
    if scenario_extra:
        with scenario.open("a", encoding="utf-8") as f:
            f.write(scenario_extra)
    return pre, extract, scenario, testload


GOOD_FORMS = {"migration_form": ("migration-form.txt", "answers\n"),
              "field_mapping_form": ("mapping.csv", "legacy,alma\n")}


Paths = tuple[Path, Path, Path, Path | None]


def reviewed(paths: Paths, given: list[waivers.Waiver] | None = None, as_of: dt.date = AS_OF,
             threshold: int = readiness.HOLDS_THRESHOLD, rules: list[Path] | None = None
             ) -> tuple[dict[str, ReadyFinding], list[readiness.WaiverState], list[str],
                        dict[str, int]]:
    """The findings by id, the waivers' states, the notes and the runbook workloads."""
    with Session.open(*paths, rules=rules) as session:
        found, states, notes = readiness.collect(session, given or [], as_of, threshold)
        counts = readiness.workloads(session.con, session.classification)
    return {f.id: f for f in found}, states, notes, counts


def collect(paths: Paths, given: list[waivers.Waiver] | None = None, as_of: dt.date = AS_OF,
            threshold: int = readiness.HOLDS_THRESHOLD
            ) -> tuple[dict[str, ReadyFinding], list[readiness.WaiverState], list[str]]:
    found, states, notes, _ = reviewed(paths, given, as_of, threshold)
    return found, states, notes


def keys(f: ReadyFinding) -> set[tuple[str, str]]:
    return {(entity, key) for entity, key, _, _ in f.records}


def details(f: ReadyFinding) -> dict[str, str]:
    return {key: detail for _, key, detail, _ in f.records}


# -- the rich and the clean institution -----------------------------------------------------------

def rich_world(root: Path) -> World:
    """Every check finds something here, next to a near miss it must leave alone."""
    w = World(root)
    w.pre = {
        "users": [
            user("JSmith", email="jane.smith@uni.example"),  # unscrubbed
            user("PubStaff", email="ps@scrubbed.invalid"),
            user("C1", "STAFF"),  # public at the test load, staff now
            staff("S1", "I-NEW1"),  # deleted and re-created
            staff("S2", "I-S2", email="ILS-Team@Uni.Example"),  # renamed; allowed address
            staff("S4", "I-S4", email="s4@scrubbed.invalid"),  # unchanged
        ],
        "user_roles": [role("JSmith"), role("PubStaff"), role("PubStaff", "Cataloger"),
                       role("C1", "Cataloger")],
        "vendors": [{"code": "V1", "status": "ACTIVE", "email": "orders@vendor.example"},
                    {"code": "V2", "status": "INACTIVE", "email": "v2@scrubbed.invalid"},
                    {"code": "V3", "status": "ACTIVE"}],
        "rs_partners": [{"code": "RS1", "email": "ill@partner.example"}],
        "libraries": [{"code": "MAIN"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS"}],
        "analytics_reports": [
            {"report_path": "/u/S1/r", "folder": "USER", "owner_internal_id": "I-OLD1",
             "owner_primary_id": "S1"},
            {"report_path": "/u/S2/r", "folder": "USER", "owner_internal_id": "I-S2",
             "owner_primary_id": "S2-OLD"},
            {"report_path": "/shared/r", "folder": "INSTITUTION", "owner_internal_id": "I-OLD1",
             "owner_primary_id": "S1"},
            {"report_path": "/u/S4/r", "folder": "USER", "owner_internal_id": "I-S4",
             "owner_primary_id": "S4"},
        ],
        "sets": [
            {"set_id": "SET-BIB", "set_type": "ITEMIZED", "content_type": "BIB_MMS",
             "created_at": BEFORE},
            {"set_id": "SET-USR", "set_type": "ITEMIZED", "content_type": "USER"},
            {"set_id": "SET-PO", "set_type": "ITEMIZED", "content_type": "po_line"},
            {"set_id": "SET-VND", "set_type": "ITEMIZED", "content_type": "VENDOR"},
            {"set_id": "SET-LOG", "set_type": "LOGICAL", "content_type": "BIB_MMS"},
            {"set_id": "SET-NEW", "set_type": "ITEMIZED", "content_type": "ITEM",
             "created_at": DURING},  # created in the freeze: lost whatever its type
        ],
        "webhooks": [{"profile_id": "WH1", "status": "ACTIVE"}],
        "jobs": [{"job_id": "J1", "job_type": "SCHEDULED", "status": "ENABLED"}],
        "collections": [{"collection_id": "COL1"}],
        "configuration": [{"area": "letters", "item_id": "L1", "updated_at": DURING}],
        "authorities": [{"authority_id": "A1", "origin": "CREATED"}],
    }
    w.extract = {
        "patrons": [{"primary_id": "jsmith"}, {"primary_id": "C1"}, {"primary_id": "N1"}],
        "vendors": [{"code": "V1"}, {"code": "V2"}, {"code": "V3"}, {"code": "V9"}],
        "libraries": [{"code": "MAIN"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS"},
                      {"library_code": "MAIN", "code": "NEWLOC"}],
        "orders": [{"order_id": "O1", "vendor_code": "V2"},
                   {"order_id": "O2", "vendor_code": "V1"}],
        "items": [{"barcode": "I1"}, {"barcode": "I2"}],
        "loans": [
            {"loan_id": "L1", "item_barcode": "I1", "primary_id": "N1"},
            {"loan_id": "L2", "item_barcode": "I-GONE", "primary_id": "N1"},
            {"loan_id": "L3", "item_barcode": "I-GONE", "primary_id": "GHOST",
             "returned_at": BEFORE},  # returned: not migrated, not a problem
            {"loan_id": "L4", "item_barcode": "I2", "primary_id": "GHOST"},
            {"loan_id": "L5", "item_barcode": "I2", "primary_id": "s4"},  # an Alma staff user
        ],
        "requests": [
            {"request_id": "Q1", "request_type": "HOLD", "status": "ON_HOLD_SHELF",
             "item_barcode": "I1", "primary_id": "GHOST2"},
            {"request_id": "Q2", "request_type": "HOLD", "status": "NOT_STARTED",
             "item_barcode": "I-GONE", "primary_id": "GHOST3"},  # not migrated
            {"request_id": "Q3", "request_type": "HOLD", "status": "ON_HOLD_SHELF",
             "item_barcode": "I-GONE2", "primary_id": "N1"},
        ],
    }
    w.testload = {
        "users": [staff("S1", "I-OLD1"), staff("S2-OLD", "I-S2"), staff("S3", "I-S3"),
                  staff("S4", "I-S4"), user("C1")],
        "vendors": [{"code": "V1"}, {"code": "V2"}],
        "libraries": [{"code": "MAIN"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS"}],
    }
    return w


RICH_FORMS = {"migration_form": ("migration-form.txt", "answers\n"),
              "field_mapping_form": ("empty.csv", "")}
ALLOWED = "allowed_emails: [ils-team@uni.example]\n"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[dict[str, ReadyFinding], list[str]]:
    root = tmp_path_factory.mktemp("rich")
    found, _, notes = collect(write(rich_world(root), RICH_FORMS, ALLOWED))
    return found, notes


def clean_world(root: Path) -> World:
    """The near misses of the rich world alone: no check may find anything."""
    w = World(root)
    w.pre = {
        "users": [user("JSmith", email="js@scrubbed.invalid"),
                  staff("S4", "I-S4", email="ILS-TEAM@uni.example")],
        "user_roles": [role("JSmith")],
        "vendors": [{"code": "V1", "status": "ACTIVE", "email": "v1@scrubbed.invalid"}],
        "rs_partners": [{"code": "RS1", "email": ""}],
        "libraries": [{"code": "MAIN"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS"}],
        "analytics_reports": [{"report_path": "/u/S4/r", "folder": "USER",
                               "owner_internal_id": "I-S4", "owner_primary_id": "S4"}],
        "sets": [{"set_id": "SET-USR", "set_type": "ITEMIZED", "content_type": "USER"},
                 {"set_id": "SET-LOG", "set_type": "LOGICAL", "content_type": "BIB_MMS"}],
        "webhooks": [{"profile_id": "WH0", "status": "INACTIVE"}],
        "jobs": [{"job_id": "J0", "job_type": "MANUAL"}],
    }
    w.extract = {
        "patrons": [{"primary_id": "JSmith"}],
        "vendors": [{"code": "V1"}],
        "libraries": [{"code": "MAIN"}],
        "locations": [{"library_code": "MAIN", "code": "STACKS"}],
        "orders": [{"order_id": "O2", "vendor_code": "V1"}],
        "items": [{"barcode": "I1"}],
        "loans": [{"loan_id": "L1", "item_barcode": "I1", "primary_id": "jsmith"},
                  {"loan_id": "L3", "item_barcode": "I-GONE", "primary_id": "GHOST",
                   "returned_at": BEFORE}],
        "requests": [{"request_id": "Q1", "request_type": "HOLD", "status": "ON_HOLD_SHELF",
                      "item_barcode": "I1", "primary_id": "JSMITH"}],
    }
    w.testload = {"users": [staff("S4", "I-S4")], "vendors": [{"code": "V1"}],
                  "libraries": [{"code": "MAIN"}],
                  "locations": [{"library_code": "MAIN", "code": "STACKS"}],
                  "rs_partners": []}
    return w


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[dict[str, ReadyFinding], list[str]]:
    root = tmp_path_factory.mktemp("clean")
    found, _, notes = collect(write(clean_world(root), GOOD_FORMS, ALLOWED))
    return found, notes


# -- each check: positive on the rich world, negative on the clean one ----------------------------

EXPECTED: dict[str, set[tuple[str, str]]] = {
    # 1. codes: missing in Alma (the pack's blockers) and new since the test load
    "vendors.missing-in-alma": {("extract.vendors", "V9")},
    "locations.missing-in-alma": {("extract.locations", "MAIN|NEWLOC")},
    "ready.added-since-testload": {("extract.vendors", "V3"), ("extract.vendors", "V9"),
                                   ("extract.locations", "MAIN|NEWLOC")},
    "ready.inactive-vendor-acquisitions": {("extract.orders", "O1")},
    # 2, 3. users
    "patrons.staff-conversion": {("extract.patrons", "C1")},
    "users.public-staff-unmatched": {("alma.users", "PubStaff")},
    "ready.primary-id-case": {("extract.patrons", "jsmith")},
    # 4. staff changed since the test load, and their reports
    "ready.staff-changed-since-testload": {("alma.users", "S1"), ("alma.users", "S2"),
                                           ("testload.users", "S3")},
    "ready.reports-of-changed-staff": {("alma.analytics_reports", "/u/S1/r"),
                                       ("alma.analytics_reports", "/u/S2/r")},
    # 5. unfulfilled holds
    "requests.unfulfilled": {("extract.requests", "Q2")},
    # 7. addresses
    "ready.unscrubbed-email": {("alma.users", "JSmith"), ("alma.vendors", "V1"),
                               ("alma.rs_partners", "RS1")},
    # 8. action lists
    "webhooks.inactive": {("alma.webhooks", "WH1")},
    "jobs.scheduled": {("alma.jobs", "J1")},
    # 9, 10. collections, sets, configuration, authorities
    "collections.all": {("alma.collections", "COL1")},
    "ready.itemized-could-be-logical": {("alma.sets", "SET-BIB")},
    "configuration.changed-during-freeze": {("alma.configuration", "letters|L1")},
    "authorities.local": {("alma.authorities", "A1")},
    # 11. forms
    "ready.forms": {("extract.forms", "migration_form")},
    "ready.form-unreadable": {("extract.forms", "field_mapping_form")},
    # 12. data quality
    "ready.unknown-item": {("extract.loans", "L2"), ("extract.requests", "Q3")},
    "ready.unknown-patron": {("extract.loans", "L4"), ("extract.requests", "Q1")},
}


@pytest.mark.parametrize("finding_id", sorted(EXPECTED))
def test_check_finds_exactly_its_records(
        rich: tuple[dict[str, ReadyFinding], list[str]], finding_id: str) -> None:
    found, _ = rich
    assert finding_id in found, sorted(found)
    assert keys(found[finding_id]) == EXPECTED[finding_id]
    assert found[finding_id].count == len(EXPECTED[finding_id])


@pytest.mark.parametrize("finding_id", sorted(set(EXPECTED) - {"ready.forms"}))
def test_check_finds_nothing_in_a_clean_institution(
        clean: tuple[dict[str, ReadyFinding], list[str]], finding_id: str) -> None:
    found, _ = clean
    assert finding_id not in found


def test_clean_institution_has_only_information(
        clean: tuple[dict[str, ReadyFinding], list[str]]) -> None:
    found, notes = clean
    assert set(found) == {"ready.forms", "sets.itemized"}
    assert keys(found["ready.forms"]) == {("extract.forms", "migration_form"),
                                          ("extract.forms", "field_mapping_form")}
    assert not [n for n in notes if "test load" in n]  # the testload has every table


def test_severities_areas_and_details(rich: tuple[dict[str, ReadyFinding], list[str]]) -> None:
    found, notes = rich
    severity = {fid: f.severity for fid, f in found.items()}
    assert severity["vendors.missing-in-alma"] == "blocker"
    assert severity["ready.unscrubbed-email"] == "blocker"
    assert severity["ready.form-unreadable"] == "blocker"
    assert severity["ready.reports-of-changed-staff"] == "warning"
    assert severity["ready.itemized-could-be-logical"] == "warning"
    assert severity["ready.unknown-item"] == severity["ready.unknown-patron"] == "warning"
    assert severity["ready.inactive-vendor-acquisitions"] == "info"
    assert severity["ready.added-since-testload"] == "info"
    assert severity["requests.unfulfilled"] == "info"  # 1 is within the default threshold
    assert found["ready.unscrubbed-email"].area == "communications"
    assert found["vendors.missing-in-alma"].area == "acquisitions"
    assert found["ready.unknown-item"].area == "fulfillment"
    # Records say more than their key.
    assert details(found["vendors.missing-in-alma"]) == {
        "V9": "new in the legacy system since the test load"}
    assert details(found["ready.added-since-testload"])["V3"].endswith("in Alma too")
    assert "missing in Alma" in details(found["ready.added-since-testload"])["V9"]
    staff_changes = details(found["ready.staff-changed-since-testload"])
    assert staff_changes["S1"].startswith("deleted and re-created")
    assert "I-OLD1" in staff_changes["S1"] and "1 user-folder report" in staff_changes["S1"]
    assert staff_changes["S2"].startswith("Primary ID was S2-OLD")
    assert staff_changes["S3"] == "deleted since the test load"
    assert details(found["ready.unscrubbed-email"])["V1"] == "vendor e-mail orders@vendor.example"
    assert details(found["users.public-staff-unmatched"]) == {"PubStaff": "roles: Cataloger"}
    assert details(found["ready.form-unreadable"]) == {
        "field_mapping_form": "empty.csv: empty file"}
    assert "SHA-256" in details(found["ready.forms"])["migration_form"]
    # The testload has no rs_partners table: that part is not checked, and it says so.
    assert any("no rs_partners table" in n for n in notes)
    assert any("FTP" in n for n in notes)


def test_without_a_testload_the_testload_checks_are_notes(tmp_path: Path) -> None:
    w = rich_world(tmp_path)
    w.testload = None
    found, _, notes = collect(write(w, GOOD_FORMS))
    assert "ready.added-since-testload" not in found
    assert "ready.staff-changed-since-testload" not in found
    assert details(found["vendors.missing-in-alma"]) == {"V9": ""}
    assert any("no --testload" in n for n in notes)


def test_forms_not_named(tmp_path: Path) -> None:
    w = World(tmp_path)
    found, _, _ = collect(write(w))
    assert keys(found["ready.forms-not-named"]) == {("extract.forms", "migration_form"),
                                                    ("extract.forms", "field_mapping_form")}
    assert found["ready.forms-not-named"].severity == "warning"
    found, _, _ = collect(write(World(tmp_path / "b"), {"migration_form": ("m.txt", "x")}))
    assert keys(found["ready.forms-not-named"]) == {("extract.forms", "field_mapping_form")}


def holds_world(root: Path, n: int) -> World:
    w = World(root)
    w.extract = {"requests": [{"request_id": f"Q{i}", "request_type": "HOLD",
                               "status": "NOT_STARTED"} for i in range(n)]}
    return w


@pytest.mark.parametrize("threshold,severity", [(2, "warning"), (3, "info"), (0, "warning")])
def test_unfulfilled_holds_are_a_warning_above_the_threshold(
        tmp_path: Path, threshold: int, severity: str) -> None:
    found, _, _ = collect(write(holds_world(tmp_path, 3)), threshold=threshold)
    assert found["requests.unfulfilled"].severity == severity
    assert found["requests.unfulfilled"].count == 3


@pytest.mark.parametrize("options,finding", [
    ({"retain_funds": True, "reload_acquisitions": True}, "funds.retain-with-reload"),
    ({"retain_funds": True, "reload_acquisitions": False}, "funds.retained-fiscal-period-differs"),
])
def test_funds_options_are_blockers(tmp_path: Path, options: dict[str, bool],
                                    finding: str) -> None:
    w = World(tmp_path)
    w.pre = {"funds": [{"fund_code": "F1", "fiscal_period": "FY2026"}]}
    w.extract = {"funds": [{"fund_code": "F1", "fiscal_period": "FY2025"}]}
    w.options = options
    found, _, _ = collect(write(w, GOOD_FORMS))
    assert found[finding].severity == "blocker"
    assert keys(found[finding]) == {("alma.funds", "F1")}
    if finding.endswith("differs"):
        assert details(found[finding]) == {"F1": "Alma FY2026, extract FY2025"}


def test_funds_default_options_raise_nothing(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.pre = {"funds": [{"fund_code": "F1", "fiscal_period": "FY2026"}]}
    w.extract = {"funds": [{"fund_code": "F1", "fiscal_period": "FY2025"}]}
    found, _, _ = collect(write(w, GOOD_FORMS))
    assert not [fid for fid in found if fid.startswith("funds.")]


def test_scrubbed_pattern_duckdb_cannot_use_is_a_located_error(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.pre = {"users": [user("U1", email="u1@x.example")]}
    paths = write(w, GOOD_FORMS, "scrubbed_email_pattern: '(?=x)@scrubbed'\n")
    with pytest.raises(UserError) as e:
        collect(paths)
    assert "scrubbed_email_pattern" in str(e.value) and "scenario.yaml" in str(e.value)


# -- the registry of checks -----------------------------------------------------------------------

def test_every_check_declares_known_names() -> None:
    for c in readiness.CHECKS.values():
        assert c.id.startswith("ready."), c.id
        assert c.severity in SEVERITIES and c.area in AREAS, c.id
        assert c.confidence in CONFIDENCES and c.workload in (None, *WORKLOADS), c.id
        assert c.title and c.fix and c.cite and c.entity and callable(c.find), c.id


def test_the_command_page_lists_every_check() -> None:
    page = (ROOT / "docs" / "commands" / "readiness.md").read_text(encoding="utf-8")
    assert [c for c in readiness.CHECKS if f"`{c}`" not in page] == []


@pytest.mark.parametrize("fields,message", [
    (("ready.x", "info", "nowhere"), "area 'nowhere'"),
    (("ready.x", "fatal", "users"), "severity 'fatal'"),
    (("ready.forms", "info", "users"), "duplicate or badly named id"),
    (("forms", "info", "users"), "duplicate or badly named id"),
])
def test_a_declaration_with_unknown_names_is_refused(fields: tuple[str, str, str],
                                                     message: str) -> None:
    before = dict(readiness.CHECKS)
    with pytest.raises(ValueError, match=message):
        readiness.check(*fields, "Title", "Fix.", "Cite", "alma.users")(lambda ctx: None)
    assert readiness.CHECKS == before


def test_a_check_is_one_declaration(tmp_path: Path) -> None:
    """Declared once: it runs, counts towards its workload, and waivers may name it."""
    @readiness.check("ready.test-probe", "warning", "users", "Probe", "Fix it.",
                     "Users at cutover", "alma.users", workload="holds")
    def probe(ctx: readiness.checks.Context) -> readiness.checks.Records:
        return [("alma.users", pid, "probed") for pid, in ctx.con.rows(
            "select primary_id from pre.users where primary_id like 'P%'")]

    try:
        w = World(tmp_path)
        w.pre = {"users": [user("P1"), user("Q1")]}
        found, _, _, counts = reviewed(write(w, GOOD_FORMS))
        f = found["ready.test-probe"]
        assert (f.severity, f.area, f.source, f.count) == ("warning", "users", "check", 1)
        assert details(f) == {"P1": "probed"}
        assert counts == {"holds": 1}
        assert "ready.test-probe" in readiness.finding_ids(default_pack())
    finally:
        readiness.CHECKS.pop("ready.test-probe")


# -- the vocabulary of rule metadata and what implements it ---------------------------------------

def test_every_checked_by_name_is_a_registered_check() -> None:
    assert set(CHECKED_BY) <= set(readiness.CHECKS)


def test_every_readiness_option_is_one_readiness_applies() -> None:
    assert set(readiness.options()) == set(READINESS_OPTIONS)
    for name, flag in READINESS_OPTIONS.items():
        for function in (readiness.readiness, readiness.collect, runs.readiness):
            assert name in inspect.signature(function).parameters, (name, function)
        assert flag in invoke(["readiness", "--help"]).output


PROBES = {
    "users": """\
entity: users
rules:
  - id: users.probe-plain
    before: users.public
    when: primary_id = 'PLAIN'
    outcome: removed
    reason: A finding without metadata.
    cite: Users at cutover
    finding: {severity: warning, title: Plain probe, fix: Look.}
  - id: users.probe-rich
    before: users.public
    when: primary_id = 'RICH'
    outcome: removed
    reason: A finding with every metadata key.
    cite: Users at cutover
    finding:
      severity: warning
      title: Rich probe
      fix: Look.
      area: communications
      detail: select primary_id as k, 'group ' || user_group as d from pre.users
      workload: webhooks
      info_up_to: holds_threshold
      export: probe-rich.csv
""",
    "extract_vendors": """\
entity: vendors
side: extract
rules:
  - id: vendors.probe-checked
    before: vendors.present-in-alma
    when: code = 'VR'
    outcome: rejected
    reason: r
    cite: c
    finding: {severity: info, title: Checked, fix: f, checked_by: [ready.added-since-testload]}
  - id: vendors.probe-unchecked
    before: vendors.present-in-alma
    when: code = 'VP'
    outcome: rejected
    reason: r
    cite: c
    finding: {severity: info, title: Unchecked, fix: f}
""",
    "sets": """\
entity: sets
rules:
  - id: sets.probe-checked
    before: sets.created-during-freeze
    when: set_id = 'S-R'
    outcome: removed
    reason: r
    cite: c
    finding:
      severity: info
      title: Checked
      fix: f
      checked_by: [ready.itemized-could-be-logical]
  - id: sets.probe-unchecked
    before: sets.created-during-freeze
    when: set_id = 'S-P'
    outcome: removed
    reason: r
    cite: c
    finding: {severity: info, title: Unchecked, fix: f}
""",
}


def probe_world(root: Path) -> tuple[Paths, list[Path]]:
    """A tiny institution and a rule layer: each metadata key on one rule and not on its twin."""
    layer = root / "layer"
    layer.mkdir(parents=True)
    for name, text in PROBES.items():
        (layer / f"{name}.yaml").write_text(text, encoding="utf-8")
    w = World(root / "in")
    w.pre = {"users": [user("PLAIN", user_group="G0"), user("RICH", user_group="G1")],
             "sets": [{"set_id": s, "set_type": "ITEMIZED", "content_type": "BIB_MMS",
                       "created_at": BEFORE} for s in ("S-P", "S-R")]}
    w.extract = {"vendors": [{"code": "VP"}, {"code": "VR"}]}
    w.testload = {"vendors": []}
    return write(w, GOOD_FORMS), [layer]


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[dict[str, ReadyFinding], dict[str, int]]:
    paths, layers = probe_world(tmp_path_factory.mktemp("probes"))
    found, _, _, counts = reviewed(paths, rules=layers)
    return found, counts


def test_area_files_a_finding_under_it_or_its_table(
        probed: tuple[dict[str, ReadyFinding], dict[str, int]]) -> None:
    found, _ = probed
    assert found["users.probe-rich"].area == "communications"
    assert found["users.probe-plain"].area == "users"  # the table catalogue's area of users


def test_detail_describes_each_record_or_the_ledger_message_does(
        probed: tuple[dict[str, ReadyFinding], dict[str, int]]) -> None:
    found, _ = probed
    assert details(found["users.probe-rich"]) == {"RICH": "group G1"}
    assert details(found["users.probe-plain"]) == {"PLAIN": ""}


def test_workload_counts_the_records_for_the_runbook(
        probed: tuple[dict[str, ReadyFinding], dict[str, int]]) -> None:
    _, counts = probed
    assert counts["webhooks"] == 1  # RICH; PLAIN declares no workload


@pytest.mark.parametrize("threshold,rich", [(20, "info"), (1, "info"), (0, "warning")])
def test_info_up_to_makes_a_finding_information_within_the_option(
        probed: tuple[dict[str, ReadyFinding], dict[str, int]], tmp_path: Path,
        threshold: int, rich: str) -> None:
    if threshold == readiness.HOLDS_THRESHOLD:
        found, _ = probed
    else:
        paths, layers = probe_world(tmp_path)
        found = reviewed(paths, threshold=threshold, rules=layers)[0]
    assert found["users.probe-rich"].severity == rich
    assert found["users.probe-rich"].fix.endswith(
        f"(1 is within the threshold of {threshold}.)" if rich == "info" else "Look.")
    assert (found["users.probe-plain"].severity, found["users.probe-plain"].fix) == (
        "warning", "Look.")


def test_checked_by_lets_a_check_look_at_the_findings_records(
        probed: tuple[dict[str, ReadyFinding], dict[str, int]]) -> None:
    found, counts = probed
    assert details(found["vendors.probe-checked"]) == {
        "VR": "new in the legacy system since the test load"}
    assert details(found["vendors.probe-unchecked"]) == {"VP": ""}
    assert keys(found["ready.itemized-could-be-logical"]) == {("alma.sets", "S-R")}
    assert counts["logical-sets"] == 1


def test_export_writes_the_rows_of_the_findings_records(tmp_path: Path) -> None:
    paths, layers = probe_world(tmp_path)
    out = tmp_path / "run"
    with Session.open(*paths, rules=layers) as session:
        run = readiness.readiness(session, out, as_of=AS_OF)
    rows = list(csv.DictReader(io.StringIO((out / "probe-rich.csv").read_text(encoding="utf-8"))))
    assert [(r["primary_id"], r["user_group"]) for r in rows] == [("RICH", "G1")]
    # No file for the finding without `export:`, nor for an export without records.
    assert {p.name for p in out.glob("*.csv")} == {"ledger.csv", "findings.csv", "runbook.csv",
                                                   "probe-rich.csv"}
    assert run.summary["findings"] and "probe-rich.csv" in (out / "report.html").read_text(
        encoding="utf-8")


# -- waivers --------------------------------------------------------------------------------------

def blocker_world(root: Path) -> World:
    w = World(root)
    w.extract = {"vendors": [{"code": "V8"}, {"code": "V9"}]}
    return w


def waivers_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


KNOWN = readiness.finding_ids(default_pack())


def test_waiver_of_a_whole_finding(tmp_path: Path) -> None:
    path = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: vendors.missing-in-alma
    owner: Dana (acquisitions)
    reason: Both vendors are added on day one.
    expires: 2026-03-31
""")
    given = waivers.load(path, KNOWN)
    assert given == [waivers.Waiver(1, "vendors.missing-in-alma", (), "Dana (acquisitions)",
                                    "Both vendors are added on day one.", dt.date(2026, 3, 31),
                                    given[0].loc)]
    found, states, _ = collect(write(blocker_world(tmp_path), GOOD_FORMS), given)
    f = found["vendors.missing-in-alma"]
    assert (f.count, f.unwaived, f.status, f.open) == (2, 0, "waived", False)
    assert [s.state for s in states] == ["active"] and states[0].matched == 2
    assert all(waived for _, _, _, waived in f.records)


def test_waiver_of_some_records_matches_ignoring_case(tmp_path: Path) -> None:
    path = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: vendors.missing-in-alma
    records: [v9, V7]
    owner: Dana
    reason: V9 is added on day one.
    expires: 2026-03-31
""")
    found, states, _ = collect(write(blocker_world(tmp_path), GOOD_FORMS),
                               waivers.load(path, KNOWN))
    f = found["vendors.missing-in-alma"]
    assert (f.count, f.unwaived, f.status) == (2, 1, "partly waived")
    assert {k: w for _, k, _, w in f.records} == {"V8": False, "V9": True}
    assert states[0].state == "active" and states[0].missing == ["V7"]


@pytest.mark.parametrize("expires,state,unwaived", [
    ("2026-02-19", "expired", 2),  # the day before AS_OF: counts again
    ("2026-02-20", "active", 0),  # a waiver holds through its expiry day
])
def test_expired_waivers_count_again(tmp_path: Path, expires: str, state: str,
                                     unwaived: int) -> None:
    path = waivers_file(tmp_path / "w.yaml", f"""\
waivers:
  - finding: vendors.missing-in-alma
    owner: Dana
    reason: Accepted for the test load.
    expires: {expires}
""")
    found, states, _ = collect(write(blocker_world(tmp_path), GOOD_FORMS),
                               waivers.load(path, KNOWN))
    assert states[0].state == state
    assert found["vendors.missing-in-alma"].unwaived == unwaived
    assert found["vendors.missing-in-alma"].waivers == states


def test_waiver_of_a_finding_not_raised_is_unused(tmp_path: Path) -> None:
    path = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: requests.unfulfilled
    owner: Lena
    reason: Re-created by hand.
    expires: 2026-03-31
""")
    found, states, _ = collect(write(blocker_world(tmp_path), GOOD_FORMS),
                               waivers.load(path, KNOWN))
    assert states[0].state == "unused" and states[0].matched == 0
    assert found["vendors.missing-in-alma"].unwaived == 2


def test_unknown_finding_id_is_a_located_error_with_a_suggestion(tmp_path: Path) -> None:
    path = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: vendors.missing-in-alam
    owner: Dana
    reason: typo
    expires: 2026-03-31
""")
    with pytest.raises(UserError) as e:
        waivers.load(path, KNOWN)
    [problem] = e.value.problems
    assert str(problem).endswith("w.yaml:2:14: unknown finding 'vendors.missing-in-alam'"
                                 + str(problem).split("'vendors.missing-in-alam'", 1)[1])
    assert "w.yaml:2:14: unknown finding 'vendors.missing-in-alam'" in str(problem)
    assert "did you mean 'vendors.missing-in-alma'" in str(problem)


def test_every_problem_of_a_waivers_file_is_reported_at_once(tmp_path: Path) -> None:
    path = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: vendors.missing-in-alma
    records: V9
    owner: ""
    reason: fine
    expires: 2026-02-30
    approved: yes
  - finding: requests.unfulfilled
    expires: 2026-03-01
  - just text
""")
    with pytest.raises(UserError) as e:
        waivers.load(path, KNOWN)
    text = "\n".join(str(p).split("w.yaml:", 1)[1] for p in e.value.problems)
    assert "3:14: records must be a list of record keys" in text
    assert "4:12: owner must be a non-empty text" in text
    assert "6:14: expires: '2026-02-30' is not an ISO date" in text
    assert "7:5: unknown key 'approved'" in text
    assert "8:5: waiver 2: missing 'owner'" in text and "8:5: waiver 2: missing 'reason'" in text
    assert "10:5: a waiver is a mapping" in text
    assert len(e.value.problems) == 7


@pytest.mark.parametrize("text,where,message", [
    ("waivers:\n  - finding: x\n   owner: y\n", "3:", "malformed YAML"),
    ("- finding: x\n", "1:1", "expected a mapping with the key 'waivers'"),
    ("waivers: 5\n", "1:10", "waivers must be a list"),
    ("waivers: []\nextra: 1\n", "2:1", "unknown key 'extra'"),
])
def test_malformed_waivers_files_are_located(tmp_path: Path, text: str, where: str,
                                             message: str) -> None:
    path = waivers_file(tmp_path / "w.yaml", text)
    with pytest.raises(UserError) as e:
        waivers.load(path, KNOWN)
    first = str(e.value.problems[0])
    assert f"w.yaml:{where}" in first and message in first, first


def test_empty_waivers_list_is_fine(tmp_path: Path) -> None:
    assert waivers.load(waivers_file(tmp_path / "w.yaml", "waivers:\n"), KNOWN) == []


# -- the runbook ----------------------------------------------------------------------------------

def scenario(summon: bool = False, **dates: str) -> Scenario:
    given = {"freeze_start": "2026-03-02", "clean_data_delivered": "2026-03-11",
             "fulfillment_freeze": "2026-03-13", "go_live": "2026-03-16", **dates}
    s = Scenario("NFU", dates={k: dt.datetime.fromisoformat(v) for k, v in given.items() if v})
    s.options["summon"] = summon
    return s


def days(events: list[runbook.Event]) -> dict[str, tuple[str, str]]:
    return {e.id: (e.start.isoformat(), e.end.isoformat()) for e in events}


def test_runbook_dates_without_summon() -> None:
    events, notes = runbook.build(scenario(), {"webhooks": 2,
                                               "holds": 5})
    d = days(events)
    assert d["freeze"] == ("2026-03-02", "2026-03-02")
    assert d["configuration-freeze"] == ("2026-03-02", "2026-03-10")
    assert d["clean-data"] == ("2026-03-11", "2026-03-11")
    assert d["targeted-work"] == ("2026-03-11", "2026-03-15")
    assert d["fulfillment-freeze"] == ("2026-03-13", "2026-03-13")
    assert d["offline-circulation"] == ("2026-03-13", "2026-03-15")
    assert d["fulfillment-load"] == ("2026-03-14", "2026-03-15")
    assert d["offline-file-ill"] == d["offline-file"] == d["go-live"] == ("2026-03-16",) * 2
    assert d["link-resolver"] == d["z3950"] == d["publish"] == ("2026-03-16",) * 2
    assert d["old-resolver"] == ("2026-03-16", "2026-04-16")
    assert d["old-resolver-off"] == ("2026-04-16", "2026-04-16")
    assert d["authorities"] == ("2026-03-17", "2026-03-17")
    assert d["webhooks"] == d["holds"] == ("2026-03-16",) * 2
    assert not [i for i in d if i.startswith("summon")]
    ids = [e.id for e in events]
    assert ids.index("offline-file-ill") < ids.index("offline-file") < ids.index("go-live")
    assert [e.start for e in events] == sorted(e.start for e in events)
    assert "Switch 2 webhooks on by hand" in {e.title for e in events}
    assert notes == []


def test_runbook_dates_with_summon() -> None:
    d = days(runbook.build(scenario(summon=True))[0])
    assert d["summon-freeze"] == ("2026-03-16", "2026-03-23")  # one week past go-live
    assert d["summon-go-live"] == ("2026-03-30", "2026-03-30")  # about two weeks later
    assert d["go-live"] == ("2026-03-16", "2026-03-16")


def test_runbook_without_fulfillment_freeze_and_go_live() -> None:
    events, notes = runbook.build(scenario(fulfillment_freeze="", go_live=""))
    assert {e.id for e in events} == {"prepare", "freeze", "configuration-freeze", "clean-data",
                                      "targeted-work"}
    assert len(notes) == 2 and "go_live" in notes[1]


def test_add_months_keeps_the_day_or_the_month_end() -> None:
    assert runbook.add_months(dt.date(2026, 3, 16), 1) == dt.date(2026, 4, 16)
    assert runbook.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert runbook.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


def test_ics_parses_with_icalendar_and_has_the_events() -> None:
    events, _ = runbook.build(scenario(summon=True), {"webhooks": 3})
    text = runbook.to_ics(events, "NFU; Main, Library",
                          dt.datetime(2026, 2, 20, 8, 30, tzinfo=dt.UTC))
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["VERSION"]) == "2.0"
    parsed = {str(v["UID"]): v for v in cal.walk("VEVENT")}
    assert len(parsed) == len(events)
    for e in events:
        v = parsed[f"{e.id}@nfumainlibrary.cutover-simulator"]
        assert str(v["SUMMARY"]) == e.title
        assert v.decoded("DTSTART") == e.start
        assert v.decoded("DTEND") == e.end + dt.timedelta(days=1)  # exclusive end
        assert e.cite in str(v["DESCRIPTION"]) and e.detail in str(v["DESCRIPTION"])
        assert v.decoded("DTSTAMP") == dt.datetime(2026, 2, 20, 8, 30, tzinfo=dt.UTC)
    summon = parsed["summon-go-live@nfumainlibrary.cutover-simulator"]
    assert summon.decoded("DTSTART") == dt.date(2026, 3, 30)
    publish = parsed["publish@nfumainlibrary.cutover-simulator"]
    assert "OCLC, union catalogues" in str(publish["DESCRIPTION"])  # commas survive escaping


def test_the_runbook_uses_every_workload_and_no_other() -> None:
    assert set(runbook.WORKLOAD_STEPS) == set(WORKLOADS)
    with pytest.raises(ValueError, match="nosuch"):
        runbook.build(scenario(), {"nosuch": 1})


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_workload_is_counted_in_its_runbook_step(workload: str) -> None:
    step = runbook.WORKLOAD_STEPS[workload]
    counted = {e.id: e.title for e in runbook.build(scenario(), {workload: 7})[0]}
    assert "7" in counted[step], counted[step]
    uncounted = {e.id: e.title for e in runbook.build(scenario(), {})[0]}
    assert "7" not in uncounted.get(step, "")


def test_runbook_csv() -> None:
    events, _ = runbook.build(scenario())
    rows = list(csv.DictReader(io.StringIO(runbook.to_csv(events))))
    assert [r["id"] for r in rows] == [e.id for e in events]
    assert rows[0]["start"] == "2026-02-16" and rows[0]["days"] == "14"


# -- the run folder, the report and the command line ---------------------------------------------

def invoke(args: list[str]) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["cutover", *args])
        return CliRunner().invoke(app, args)


def args_of(paths: tuple[Path, Path, Path, Path | None]) -> list[str]:
    pre, extract, scenario_path, testload = paths
    out = ["--pre", str(pre), "--extract", str(extract), "--scenario", str(scenario_path)]
    return out + (["--testload", str(testload)] if testload else [])


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    VOID = {"br", "meta", "input", "img", "hr", "link", "line", "polygon", "rect"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            while self.stack and self.stack[-1] != tag:
                self.stack.pop()
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def ids(self) -> set[str]:
        return {str(a["id"]) for _, a in self.elements if a.get("id")}


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def rich_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    root = tmp_path_factory.mktemp("rich-run")
    paths = write(rich_world(root / "in"), RICH_FORMS, ALLOWED)
    w = waivers_file(root / "waivers.yaml", """\
waivers:
  - finding: ready.unscrubbed-email
    records: [V1]
    owner: Sam <script>alert(1)</script>
    reason: The vendor's test mailbox "><img src=x onerror=alert(1)>
    expires: 2026-03-16
  - finding: webhooks.inactive
    owner: Sam
    reason: Old profile.
    expires: 2026-01-31
""")
    out = root / "run"
    result = invoke(["--quiet", "readiness", *args_of(paths), "--waivers", str(w),
                     "--as-of", "2026-02-20", "--out", str(out)])
    return out, result


def test_run_folder_files_and_summary(rich_run: tuple[Path, Result]) -> None:
    out, result = rich_run
    assert result.exit_code == 1, result.output  # open blockers remain
    assert {"ledger.parquet", "ledger.csv", "summary.json", "report.html", "summary.md",
            "findings.csv", "runbook.ics", "runbook.csv", "unfulfilled-holds.csv"} <= {
        p.name for p in out.iterdir()}
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["kind"] == "readiness" and s["institution"] == "TST"
    assert set(s["scores"]) == set(AREAS)
    assert s["scores"]["communications"]["status"] == "blocked"
    assert s["open_blockers"] >= 3
    assert s["manifest"]["as_of"] == "2026-02-20"
    assert s["manifest"]["waivers"]["sha256"]
    by_id = {f["id"]: f for f in s["findings"]}
    assert by_id["ready.unscrubbed-email"]["status"] == "partly waived"
    assert by_id["ready.unscrubbed-email"]["unwaived"] == 2
    assert by_id["webhooks.inactive"]["status"] == "open"  # its waiver expired
    assert [w["state"] for w in s["waivers"]] == ["active", "expired"]
    assert [e["id"] for e in s["runbook"]][:2] == ["prepare", "save-reports"]
    rows = list(csv.DictReader(io.StringIO((out / "findings.csv").read_text(encoding="utf-8"))))
    assert len(rows) == sum(f["count"] for f in s["findings"])
    assert {r["waived_by"] for r in rows if r["finding_id"] == "ready.unscrubbed-email"} == {
        "1", ""}
    holds = list(csv.DictReader(io.StringIO(
        (out / "unfulfilled-holds.csv").read_text(encoding="utf-8"))))
    assert [h["request_id"] for h in holds] == ["Q2"]
    ics = icalendar.Calendar.from_ical((out / "runbook.ics").read_bytes())
    assert len(list(ics.walk("VEVENT"))) == len(s["runbook"])
    assert "Readiness findings" in result.stdout and "blocked" in result.stdout


def test_report_parses_links_scores_and_escapes(rich_run: tuple[Path, Result]) -> None:
    out, _ = rich_run
    html = (out / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.errors == [] and page.stack == []
    ids = page.ids()
    assert {"verdict", "scores", "runbook", "findings", "waivers", "notes", "manifest"} <= ids
    # Each area's score links to its findings.
    links = [a["href"] for t, a in page.elements if t == "a" and a.get("href", "").startswith(
        "#area-")]
    assert links == [f"#area-{a}" for a in AREAS]
    assert {h[1:] for h in links} <= ids
    verdict = next(a for t, a in page.elements if a.get("id") == "verdict")
    assert verdict["class"] == "verdict blocker"
    articles = {a["id"]: a for t, a in page.elements if t == "article"}
    assert articles["finding-ready.unscrubbed-email"]["data-status"] == "partly waived"
    # The timeline: one step per runbook event, as SVG.
    steps = [a["data-step"] for t, a in page.elements if t == "g" and a.get("data-step")]
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert steps == [e["id"] for e in s["runbook"]]
    # Data and waiver text are escaped, never markup.
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert not [t for t, _ in page.elements if t in ("script", "img")]
    text = "".join(page.text)
    assert XSS[0] in text and 'mailbox "><img src=x onerror=alert(1)>' in text
    # No network.
    for _, a in page.elements:
        for attr in ("src", "href"):
            assert not (a.get(attr) or "").startswith(("http:", "https:", "//"))
    # E-mail addresses are masked by default, here and in summary.md, summary.json, findings.csv.
    for name in ("report.html", "summary.md", "summary.json", "findings.csv"):
        body = (out / name).read_text(encoding="utf-8")
        assert "jane.smith@uni.example" not in body and "orders@vendor.example" not in body, name
    assert "j•••@uni.example" in text
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# Cutover readiness: TST\n")
    assert "| Communications | 60 | blocked |" in md


def test_show_pii_reveals_addresses(tmp_path: Path) -> None:
    w = World(tmp_path / "in")
    w.pre = {"users": [user("U1", email="jane.doe@uni.example")]}
    paths = write(w, GOOD_FORMS)
    out = tmp_path / "run"
    result = invoke(["--quiet", "readiness", *args_of(paths), "--show-pii", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "jane.doe@uni.example" in (out / "report.html").read_text(encoding="utf-8")
    assert "jane.doe@uni.example" in (out / "findings.csv").read_text(encoding="utf-8")


def test_exit_0_when_every_blocker_is_waived(tmp_path: Path) -> None:
    paths = write(blocker_world(tmp_path / "in"), GOOD_FORMS)
    w = waivers_file(tmp_path / "w.yaml", """\
waivers:
  - finding: vendors.missing-in-alma
    owner: Dana
    reason: Added on day one.
    expires: 2026-03-31
""")
    out = tmp_path / "run"
    base = ["--quiet", "readiness", *args_of(paths), "--as-of", "2026-03-01"]
    result = invoke([*base, "--waivers", str(w), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["open_blockers"] == 0 and summary["verdict_level"] == "clear"
    assert "1 finding(s) waived" in summary["verdict"]
    assert "warning" not in result.stderr
    # The same waiver, expired: the blocker counts again, and the terminal says why.
    result = invoke([*base[:-1], "2026-04-01", "--waivers", str(w), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"warning {w}:2:5: waiver 1 (vendors.missing-in-alma) expired on 2026-03-31: its records "
        "count again"]
    # Naming a record the finding lacks: a misspelt key waives nothing.
    w.write_text(w.read_text(encoding="utf-8") + "    records: [V0211]\n", encoding="utf-8")
    result = invoke([*base, "--waivers", str(w), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"warning {w}:2:5: waiver 1 (vendors.missing-in-alma) waives nothing: the finding has "
        "none of its records"]


def test_exit_0_without_blockers(tmp_path: Path) -> None:
    paths = write(clean_world(tmp_path / "in"), GOOD_FORMS, ALLOWED)
    out = tmp_path / "run"
    result = invoke(["--quiet", "readiness", *args_of(paths), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict_level"] == "clear"
    assert all(s["score"] == 100 for s in summary["scores"].values())


@pytest.mark.parametrize("extra,message", [
    (["--as-of", "2026-13-01"], "error --as-of: '2026-13-01' is not an ISO date (YYYY-MM-DD)\n"),
    (["--waivers", "WAIVERS"], "w.yaml:4:14: expires: 'soon' is not an ISO date"),
    (["--waivers", "MISSING"], "nope.yaml: file not found"),
    (["--holds-threshold", "-1"], "error --holds-threshold: must be 0 or more, not -1\n"),
    (["--csv", "sometimes"],
     "error --csv: must be one of auto, always, never, not 'sometimes'\n"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, extra: list[str],
                                              message: str) -> None:
    paths = write(blocker_world(tmp_path / "in"), GOOD_FORMS)
    bad = waivers_file(tmp_path / "w.yaml", "waivers:\n  - finding: vendors.missing-in-alma\n"
                                            "    owner: A\n    expires: soon\n    reason: B\n")
    extra = [str(bad) if a == "WAIVERS" else str(tmp_path / "nope.yaml") if a == "MISSING"
             else a for a in extra]
    out = tmp_path / "run"
    result = invoke(["readiness", *args_of(paths), *extra, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert not out.exists()


def test_the_sample_institution_shows_a_realistic_mix(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What `make demo` shows: blockers, warnings, info, a waiver in force and an expired one."""
    monkeypatch.setitem(cli._state, "quiet", True)
    with sample_session(SAMPLE) as session:
        cli.demo_readiness(session, SAMPLE, tmp_path / "demo", ["cutover", "demo"])
    out = tmp_path / "demo-readiness"  # beside the demo's prediction, as verify's runs are
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["manifest"]["as_of"] == "2026-03-02"  # the day the sample's Alma was taken
    assert s["manifest"]["command"] == ["cutover", "demo", "readiness", "--as-of", "2026-03-02"]
    assert s["open_blockers"] == 2
    status = {f["id"]: (f["severity"], f["status"]) for f in s["findings"]}
    assert {sev for sev, st in status.values() if st == "open"} == {"blocker", "warning", "info"}
    assert status["vendors.missing-in-alma"] == ("blocker", "waived")
    assert status["orders.vendor-missing"] == ("blocker", "waived")
    assert status["locations.missing-in-alma"] == ("blocker", "open")
    assert status["ready.unscrubbed-email"] == ("blocker", "partly waived")
    assert status["requests.unfulfilled"] == ("warning", "open")  # its waiver expired
    assert sorted(w["state"] for w in s["waivers"]) == ["active", "active", "active", "expired"]
    for fid in ("ready.added-since-testload", "ready.staff-changed-since-testload",
                "ready.reports-of-changed-staff", "ready.itemized-could-be-logical",
                "ready.unknown-item", "ready.unknown-patron", "ready.primary-id-case",
                "ready.forms", "ready.inactive-vendor-acquisitions"):
        assert fid in status, fid
    assert {s["scores"][a]["status"] for a in AREAS} == {"blocked", "at risk", "ready"}


def test_the_documented_waivers_example_loads(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "formats" / "waivers.md").read_text(encoding="utf-8")
    example = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    [w] = waivers.load(waivers_file(tmp_path / "w.yaml", example), KNOWN)
    assert (w.finding, w.records, w.expires) == ("vendors.missing-in-alma", ("V021",),
                                                 dt.date(2026, 3, 31))
    # And the sample's waivers file names known findings only.
    assert len(waivers.load(SAMPLE / "waivers.yaml", KNOWN)) == 4
