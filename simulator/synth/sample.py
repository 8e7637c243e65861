"""The bundled sample institution: a fictional university, generated with a fixed seed.

`python -m simulator.synth.sample DIR` writes it; the committed `sample_data/` must equal the output
(tests/test_sample.py checks this). Every rule of the users, user_roles and patrons entities has
records here, and there are findings of every severity and records of every outcome. Other rules
may have none (most apply only under other scenario options, e.g. retained funds or courses);
every rule's own test builds a minimal fixture instead.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Mapping
from pathlib import Path

from simulator.inputs.tables import TABLES
from simulator.synth import sample_post, sample_variants

SEED = 20260302
INSTITUTION = "NFU"
FREEZE, CLEAN = "2026-03-02", "2026-03-11"
BEFORE, DURING = "2026-02-10T10:00:00", "2026-03-05T14:30:00"

def scenario_text(institution: str, comment: str, team_email: str) -> str:
    """A scenario file with the sample's dates and options (also for `cutover generate`)."""
    return f"""\
# {comment}
institution: {institution}
dates:
  testload: 2025-09-15
  freeze_start: 2026-03-02
  clean_data_delivered: 2026-03-11
  fulfillment_freeze: 2026-03-13
  go_live: 2026-03-16
options:
  reload_acquisitions: true
  retain_funds: false
  retain_licenses: true
  retain_courses: false
  authority_preferred_term_correction: false
  summon: false
allowed_emails: [{team_email}]
scrubbed_email_pattern: '@scrubbed\\.invalid$'
"""


SCENARIO = scenario_text("NFU", "Northfield University (fictional): the cutover scenario used by "
                                "`make demo`.", "ils-team@northfield.example")

FIRST = ["Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ines", "Jonas", "Kemal",
         "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera"]
LAST = ["Abbott", "Baker", "Costa", "Dvorak", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi"]
LIBRARIES = ["MAIN", "LAW", "MED", "SCI"]
LOCATIONS = {"MAIN": ["STACKS", "REF", "RESERVE", "PER"], "LAW": ["STACKS", "REF"],
             "MED": ["STACKS", "JOURNALS"], "SCI": ["STACKS", "MAPS", "REF"]}
STAFF_ROLES = ["Circulation Desk Operator", "Cataloger", "Purchase Operator",
               "Fulfillment Services Operator", "General System Administrator"]


class Gen:
    def __init__(self, seed: int = SEED) -> None:
        self.r = random.Random(seed)
        self.tables: dict[str, dict[str, list[dict[str, object]]]] = {
            "freeze": {}, "extract": {}, "testload": {}}

    def add(self, snap: str, table: str, row: Mapping[str, object]) -> None:
        self.tables[snap].setdefault(table, []).append(dict(row))

    def name(self) -> tuple[str, str]:
        return self.r.choice(FIRST), self.r.choice(LAST)

    # -- users -------------------------------------------------------------------------------
    def users(self) -> None:
        r = self.r
        internal = iter(range(9_100_000, 9_200_000, 7))
        patron_role = ["Patron", "200"]

        def user(snap: str, pid: str, rtype: str, origin: str, created: str = BEFORE,
                 updated: str = BEFORE, group: str = "UNDERGRAD", iid: int | None = None) -> None:
            first, last = self.name()
            self.add(snap, "users", {
                "primary_id": pid, "record_type": rtype,
                "internal_id": str(iid if iid is not None else next(internal)),
                "account_type": "EXTERNAL" if origin == "MIGRATED" else "INTERNAL",
                "user_group": group, "status": "ACTIVE", "origin": origin,
                "username": pid.lower(), "email": f"{pid.lower()}@scrubbed.invalid",
                "created_at": created, "updated_at": updated,
            })
            if snap == "freeze":
                self._names[pid] = (first, last)

        def role(pid: str, role_type: str) -> None:
            self.add("freeze", "user_roles", {"primary_id": pid, "role_type": role_type,
                                              "scope": INSTITUTION, "status": "ACTIVE"})

        def patron(pid: str, group: str = "UNDERGRAD") -> None:
            first, last = self._names.get(pid, self.name())
            self.add("extract", "patrons", {
                "primary_id": pid, "user_group": group,
                "email": f"{first.lower()}.{last.lower()}{len(pid)}@mail.northfield.example",
                "username": pid.lower(), "original_id": "L" + pid[1:],
            })

        self._names: dict[str, tuple[str, str]] = {}
        # Public migrated users from the test load; most come again in the extract.
        for i in range(1, 2601):
            pid = f"P{i:05d}"
            group = r.choice(["UNDERGRAD", "UNDERGRAD", "GRAD", "FACULTY", "ALUMNI"])
            user("freeze", pid, "PUBLIC", "MIGRATED", group=group)
            user("testload", pid, "PUBLIC", "MIGRATED", group=group)
            role(pid, r.choice(patron_role))
            if i <= 2450:
                # A few Primary IDs arrive in another letter case: still the same user.
                patron(pid.lower() if i % 97 == 0 else pid, group)
            if 2401 <= i <= 2440:
                role(pid, r.choice(STAFF_ROLES))  # public user with a staff role, matched
            if 2551 <= i <= 2560:
                role(pid, r.choice(STAFF_ROLES))  # public user with a staff role, unmatched
        # Public users created by hand in Alma during the freeze.
        for i in range(1, 4):
            pid = f"PF{i:03d}"
            user("freeze", pid, "PUBLIC", "CREATED", created=DURING, updated=DURING)
            role(pid, "Patron")
        # Staff created in Alma; three collide with incoming patrons.
        for i in range(1, 61):
            pid = f"S{i:04d}"
            created = DURING if i <= 5 else BEFORE
            updated = DURING if 6 <= i <= 9 else created
            user("freeze", pid, "STAFF", "CREATED", created=created, updated=updated, group="STAFF")
            role(pid, STAFF_ROLES[i % len(STAFF_ROLES)])
            role(pid, "Patron")
            if i >= 58:
                patron(pid, "STAFF")
        # Public users loaded at the test load and changed to staff since: their patrons bounce.
        for i in range(1, 31):
            pid = f"C{i:04d}"
            iid = next(internal)
            user("testload", pid, "PUBLIC", "MIGRATED", iid=iid)
            user("freeze", pid, "STAFF", "MIGRATED", group="STAFF", iid=iid)
            role(pid, STAFF_ROLES[i % len(STAFF_ROLES)])
            if i <= 25:
                patron(pid, "FACULTY")
        for i in range(1, 11):
            pid = f"K{i:04d}"
            user("freeze", pid, "CONTACT", "CREATED", group="CONTACT")
        # New patrons only in the legacy system.
        for i in range(1, 601):
            patron(f"N{i:05d}", r.choice(["UNDERGRAD", "GRAD"]))

    # -- configuration -------------------------------------------------------------------------
    def configuration(self) -> None:
        r = self.r
        contents = ["BIB_MMS", "ITEM", "USER", "PO_LINE", "VENDOR", "IEP", "PORTFOLIO"]
        for i in range(1, 43):
            itemized = i <= 26
            created = DURING if i in (3, 30) else BEFORE
            updated = DURING if i in (31, 32, 5) else created
            self.add("freeze", "sets", {
                "set_id": f"SET{i:03d}", "name": f"{'Itemized' if itemized else 'Logical'} set {i}",
                "set_type": "ITEMIZED" if itemized else "LOGICAL",
                "content_type": contents[i % len(contents)] if itemized else contents[i % 2],
                "created_at": created, "updated_at": updated,
            })
        for i in range(1, 9):
            self.add("freeze", "collections", {
                "collection_id": f"COL{i:02d}", "name": f"Digital collection {i}",
                "parent_id": "" if i <= 3 else f"COL{(i % 3) + 1:02d}"})
        areas = [("letters", 15), ("templates", 8), ("normalization_rules", 6),
                 ("indication_rules", 4), ("online_services_order", 3),
                 ("cloud_app_configuration", 2), ("digitization_profile", 3),
                 ("digital_import_profile", 2)]
        n = 0
        for area, count in areas:
            for i in range(1, count + 1):
                n += 1
                linked = area in ("digitization_profile", "digital_import_profile") and i <= 2
                created = DURING if n == 20 else BEFORE
                updated = DURING if n in (2, 9, 25) else created
                self.add("freeze", "configuration", {
                    "area": area, "item_id": f"{area[:3].upper()}{i:03d}",
                    "name": f"{area.replace('_', ' ')} {i}",
                    "collection_id": f"COL0{i}" if linked else "",
                    "created_at": created, "updated_at": updated})
        codes = {
            "user_groups": (["UNDERGRAD", "GRAD", "FACULTY", "STAFF", "CONTACT"],
                            ["UNDERGRAD", "GRAD", "FACULTY", "STAFF", "ALUMNI", "VISITOR"]),
            "item_policies": (["LOAN28", "LOAN7", "NOLOAN"], ["LOAN28", "LOAN14", "NOLOAN"]),
            "fund_types": (["ALLOCATED", "SUMMARY"], ["ALLOCATED", "SUMMARY"]),
            "fiscal_periods": (["FY2026"], ["FY2026"]),
            "reporting_codes": (["MONO", "SERIAL"], ["MONO", "SERIAL", "EBOOK"]),
            "user_identifier_types": (["BARCODE", "UNIV_ID"], ["BARCODE", "UNIV_ID", "LIBCARD"]),
            "block_definitions": (["FINE", "LOST"], ["FINE", "OVERDUE"]),
            "user_statistics_categories": (["ARTS", "SCI"], ["ARTS", "SCI", "MED"]),
            "academic_departments": (["HIST", "CHEM"], ["HIST", "CHEM", "LAW"]),
            "letter_types": (["OVERDUE", "COURTESY"], []),
            "call_number_types": (["LC", "DEWEY"], ["LC", "LOCAL"]),
        }
        for table, (alma, legacy) in codes.items():
            for code in alma:
                self.add("freeze", "code_tables", {"table_name": table, "code": code,
                                                   "description": code.title(),
                                                   "enabled": "true"})
            for code in legacy:
                self.add("extract", "code_tables", {"table_name": table, "code": code,
                                                    "description": code.title(),
                                                    "enabled": "true"})
        for lib in LIBRARIES:
            self.add("freeze", "libraries", {"code": lib, "name": f"{lib.title()} Library"})
            self.add("extract", "libraries", {"code": lib, "name": f"{lib.title()} Library"})
            for loc in LOCATIONS[lib]:
                row = {"library_code": lib, "code": loc, "name": f"{lib} {loc.lower()}"}
                self.add("freeze", "locations", row)
                self.add("extract", "locations", row)
        # A location opened in the legacy system after the test load and never added to Alma.
        self.add("extract", "locations", {"library_code": "SCI", "code": "MAKER",
                                          "name": "SCI makerspace"})
        for i in range(1, 21):
            row = {"code": f"V{i:03d}", "name": f"Vendor {i}",
                   "status": "INACTIVE" if i in (4, 11) else "ACTIVE",
                   "email": f"orders{i}@scrubbed.invalid"}
            self.add("freeze", "vendors", row)
            if i != 20:
                self.add("extract", "vendors", {k: row[k] for k in ("code", "name", "status")})
        self.add("extract", "vendors", {"code": "V021", "name": "Vendor 21", "status": "ACTIVE"})
        for i in range(1, 7):
            row = {"code": f"RS{i:02d}", "name": f"Partner library {i}", "status": "ACTIVE",
                   "email": f"ill{i}@scrubbed.invalid"}
            self.add("freeze", "rs_partners", row)
            self.add("extract", "rs_partners", {"code": row["code"], "name": row["name"]})
        for i, status in enumerate(["ACTIVE", "ACTIVE", "INACTIVE"], 1):
            self.add("freeze", "webhooks", {"profile_id": f"WH{i}", "name": f"Webhook {i}",
                                            "status": status,
                                            "url": f"https://hooks.northfield.example/{i}"})
        jobs = [("SCHEDULED", "ENABLED")] * 8 + [("SCHEDULED", "DISABLED")] * 2 + \
               [("MANUAL", "")] * 2
        for i, (jtype, status) in enumerate(jobs, 1):
            self.add("freeze", "jobs", {"job_id": f"J{i:03d}", "name": f"Job {i}",
                                        "job_type": jtype, "status": status})
        for name, value in [("acquisition_solr_indexing_enabled", "false"),
                            ("acquisition_solr_save_enabled", "false"),
                            ("patron_loan_limit", "50"), ("default_currency", "USD"),
                            ("fine_cap", "25"), ("ill_enabled", "true")]:
            self.add("freeze", "parameters", {"name": name, "value": value})
        for i in range(1, 16):
            self.add("freeze", "funds", {"fund_code": f"F{i:03d}", "name": f"Fund {i}",
                                         "fund_type": "ALLOCATED", "fiscal_period": "FY2026",
                                         "status": "ACTIVE"})
            self.add("extract", "funds", {"fund_code": f"F{i:03d}", "name": f"Fund {i}",
                                          "fund_type": "ALLOCATED",
                                          "fiscal_period": "FY2026" if i != 7 else "FY2025",
                                          "status": "ACTIVE"})
        kinds = ["ALLOCATION", "EXPENDITURE", "ENCUMBRANCE", "DISENCUMBRANCE", "TRANSFER"]
        for i in range(1, 61):
            self.add("freeze", "fund_transactions", {
                "transaction_id": f"T{i:05d}", "fund_code": f"F{r.randint(1, 15):03d}",
                "transaction_type": kinds[i % 5], "amount": f"{r.randint(10, 5000)}.00"})
        for i in range(1, 81):
            self.add("extract", "fund_transactions", {
                "transaction_id": f"LT{i:05d}", "fund_code": f"F{r.randint(1, 15):03d}",
                "transaction_type": kinds[i % 5], "amount": f"{r.randint(10, 5000)}.00"})
        for i in range(1, 401):
            vendor = "V021" if i % 133 == 0 else f"V{r.randint(1, 19):03d}"
            self.add("extract", "orders", {"order_id": f"PO{i:05d}", "vendor_code": vendor,
                                           "fund_code": f"F{r.randint(1, 15):03d}"})
        for i in range(1, 301):
            self.add("extract", "invoices", {"invoice_id": f"INV{i:05d}",
                                             "vendor_code": f"V{r.randint(1, 19):03d}"})
        for i in range(1, 11):
            self.add("freeze", "licenses", {"license_code": f"LIC{i:02d}",
                                            "name": f"License {i}",
                                            "linked_to_einventory": "true" if i <= 4 else "false"})
        for i in range(1, 21):
            self.add("freeze", "courses", {"course_code": f"CRS{i:03d}", "name": f"Course {i}",
                                           "academic_department": ["HIST", "CHEM"][i % 2]})
        for i in range(1, 23):
            self.add("extract", "courses", {"course_code": f"CRS{i:03d}", "name": f"Course {i}",
                                            "academic_department": ["HIST", "CHEM", "LAW"][i % 3]})
        for i in range(1, 31):
            self.add("freeze", "reading_lists", {"list_id": f"RL{i:03d}",
                                                 "course_code": f"CRS{(i % 20) + 1:03d}",
                                                 "name": f"Reading list {i}"})
        for i in range(1, 121):
            self.add("freeze", "citations", {"citation_id": f"CIT{i:04d}",
                                             "list_id": f"RL{(i % 25) + 1:03d}",
                                             "bib_id": f"99{i:08d}"})
        for i in range(1, 26):
            self.add("freeze", "course_instructors", {"course_code": f"CRS{(i % 20) + 1:03d}",
                                                      "instructor_primary_id": f"S{i:04d}"})
        for i in range(1, 31):
            self.add("extract", "course_instructors", {"course_code": f"CRS{(i % 22) + 1:03d}",
                                                       "instructor_primary_id": f"S{i + 10:04d}"})
        users = {u["primary_id"]: u for u in self.tables["freeze"]["users"]}
        for i in range(1, 21):
            owner = f"S{i + 20:04d}"
            folder = "INSTITUTION" if i <= 8 else "USER"
            iid, opid = users[owner]["internal_id"], owner
            if i in (15, 16):
                iid = str(8_000_000 + i)  # owner deleted (and re-created with a new internal id)
            if i == 17:
                opid = "S0037-OLD"  # owner's Primary ID changed since the report was saved
            home = "Reports" if folder == "INSTITUTION" else owner
            self.add("freeze", "analytics_reports", {
                "report_path": f"/shared/Northfield/{home}/Report {i:02d}",
                "folder": folder, "owner_internal_id": iid, "owner_primary_id": opid})
        for i in range(1, 16):
            self.add("freeze", "authorities", {"authority_id": f"AUTH{i:03d}", "origin": "CREATED"})

    # -- inventory and fulfillment -------------------------------------------------------------
    def fulfillment(self) -> None:
        r = self.r
        for i in range(1, 501):
            lib = r.choice(LIBRARIES)
            self.add("freeze", "items", {"barcode": f"39{i:08d}", "library_code": lib,
                                         "location_code": r.choice(LOCATIONS[lib]),
                                         "status": "IN_PLACE", "loan_count": str(r.randint(0, 9))})
        for i in range(1, 201):
            self.add("freeze", "loans", {"loan_id": f"AL{i:05d}", "item_barcode": f"39{i:08d}",
                                         "primary_id": f"P{r.randint(1, 2600):05d}",
                                         "loan_date": "2026-02-01T12:00:00",
                                         "due_date": "2026-03-01T23:59:00", "returned_at": ""})
        for i in range(1, 51):
            self.add("freeze", "requests", {"request_id": f"AR{i:05d}", "request_type": "HOLD",
                                            "status": "NOT_STARTED",
                                            "item_barcode": f"39{i + 300:08d}",
                                            "primary_id": f"P{r.randint(1, 2600):05d}"})
        patrons = [p["primary_id"] for p in self.tables["extract"]["patrons"]]
        n_items = 6000
        for i in range(1, n_items + 1):
            lib = r.choice(LIBRARIES)
            self.add("extract", "items", {"barcode": f"31{i:08d}", "library_code": lib,
                                          "location_code": r.choice(LOCATIONS[lib]),
                                          "status": "IN_PLACE",
                                          "loan_count": str(r.randint(0, 40))})
        for i in range(1, 1501):
            returned = "" if i <= 1100 else "2026-02-20T09:15:00"
            self.add("extract", "loans", {"loan_id": f"LN{i:06d}",
                                          "item_barcode": f"31{r.randint(1, n_items):08d}",
                                          "primary_id": r.choice(patrons),
                                          "loan_date": "2026-01-15T10:00:00",
                                          "due_date": "2026-04-15T23:59:00",
                                          "returned_at": returned})
        for i in range(1, 301):
            kind, status = ("HOLD", "ON_HOLD_SHELF") if i <= 80 else \
                ("HOLD", "NOT_STARTED") if i <= 260 else ("BOOKING", "ACTIVE")
            self.add("extract", "requests", {"request_id": f"RQ{i:06d}", "request_type": kind,
                                             "status": status,
                                             "item_barcode": f"31{r.randint(1, n_items):08d}",
                                             "primary_id": r.choice(patrons)})


    # -- cases added later: no random draws, so every earlier record keeps its values ------------
    def created_public_staff(self) -> None:
        """Public users created by hand in Alma before the freeze (not migrated) who were given a
        staff-oriented role, e.g. student assistants at the desk; the extract has their patrons."""
        people = [("Ada", "Quist"), ("Omar", "Novak"), ("Vera", "Ito")]
        for i, (first, last) in enumerate(people, 1):
            pid = f"PS{i:03d}"
            self.add("freeze", "users", {
                "primary_id": pid, "record_type": "PUBLIC", "internal_id": str(9_300_000 + i),
                "account_type": "INTERNAL", "user_group": "UNDERGRAD", "status": "ACTIVE",
                "origin": "CREATED", "username": pid.lower(),
                "email": f"{pid.lower()}@scrubbed.invalid", "created_at": BEFORE,
                "updated_at": BEFORE,
            })
            for role_type in ("Patron", STAFF_ROLES[i % len(STAFF_ROLES)]):
                self.add("freeze", "user_roles", {"primary_id": pid, "role_type": role_type,
                                                  "scope": INSTITUTION, "status": "ACTIVE"})
            self.add("extract", "patrons", {
                "primary_id": pid, "user_group": "UNDERGRAD",
                "email": f"{first.lower()}.{last.lower()}{len(pid)}@mail.northfield.example",
                "username": pid.lower(), "original_id": "L" + pid[1:],
            })

    def readiness_cases(self) -> None:
        """What `cutover readiness` finds beyond the rules (see README, cutover readiness).

        The test load held the codes of that day: MED|JOURNALS and V019 were added since, in the
        legacy system and in Alma; SCI|MAKER and V021 only in the legacy system. Three staff
        users changed since the test load (two deleted and re-created, one renamed) and own
        user-folder reports; one was deleted. A few addresses in Alma are neither scrubbed nor
        allowed, and a few migrated loans and requests point at items or patrons that do not
        exist. Changes only: no random draws.
        """
        freeze, extract, testload = self.tables["freeze"], self.tables["extract"], \
            self.tables["testload"]
        testload["libraries"] = [dict(row) for row in freeze["libraries"]]
        testload["locations"] = [dict(row) for row in freeze["locations"]
                                 if (row["library_code"], row["code"]) != ("MED", "JOURNALS")]
        testload["vendors"] = [dict(row) for row in freeze["vendors"] if row["code"] != "V019"]
        testload["rs_partners"] = [dict(row) for row in freeze["rs_partners"]]
        staff = {u["primary_id"]: u for u in freeze["users"] if u["record_type"] == "STAFF"}
        for i in range(21, 38):
            row = dict(staff[f"S{i:04d}"])
            if i in (35, 36):
                row["internal_id"] = str(8_000_000 + i - 20)  # deleted and re-created since
            if i == 37:
                row["primary_id"] = row["username"] = "S0037-OLD"  # renamed since
            testload["users"].append(row)
        testload["users"].append({**staff["S0021"], "primary_id": "S0070", "username": "s0070",
                                  "internal_id": "9999070"})  # deleted since the test load
        emails = {("users", "S0012"): "lena.moreau@northfield.example",
                  ("users", "S0013"): "ils-team@northfield.example",  # on the allowed list
                  ("vendors", "V007"): "orders@booksupplier.example",
                  ("rs_partners", "RS03"): "ill@partner3.example"}
        for (table, key), email in emails.items():
            for row in freeze[table]:
                if row.get("primary_id", row.get("code")) == key:
                    row["email"] = email
        extract["loans"] += [
            {"loan_id": "LN009001", "item_barcode": "3199990001", "primary_id": "N00001",
             "loan_date": "2026-02-02T10:00:00", "due_date": "2026-04-02T23:59:00",
             "returned_at": ""},
            {"loan_id": "LN009002", "item_barcode": "3100000001", "primary_id": "L-GONE-01",
             "loan_date": "2026-02-02T10:00:00", "due_date": "2026-04-02T23:59:00",
             "returned_at": ""},
            {"loan_id": "LN009003", "item_barcode": "3199990002", "primary_id": "N00002",
             "loan_date": "2025-11-02T10:00:00", "due_date": "2025-12-02T23:59:00",
             "returned_at": "2025-11-20T16:00:00"},  # returned: not migrated, not a problem
        ]
        extract["requests"].append({"request_id": "RQ009001", "request_type": "HOLD",
                                    "status": "ON_HOLD_SHELF", "item_barcode": "3100000002",
                                    "primary_id": "L-GONE-02"})


WAIVERS = """\
# Northfield University (fictional): risks accepted before the cutover, used by `make demo`
# (`cutover readiness --waivers sample_data/waivers.yaml`). A waiver holds through its expiry day.
waivers:
  - finding: vendors.missing-in-alma
    records: [V021]
    owner: Dana Okafor (acquisitions lead)
    reason: Vendor 21 is a one-off supplier; it is added to Alma after go-live.
    expires: 2026-03-31
  - finding: orders.vendor-missing
    owner: Dana Okafor (acquisitions lead)
    reason: The three orders on vendor 21 are keyed by hand after go-live.
    expires: 2026-03-31
  - finding: ready.unscrubbed-email
    records: [V007]
    owner: Sam Haddad (systems librarian)
    reason: The vendor's EDI test mailbox, agreed with the vendor for the cutover tests.
    expires: 2026-03-16
  - finding: requests.unfulfilled
    owner: Lena Novak (circulation)
    reason: Accepted for the test load only; the desk plans the re-creation for go-live.
    expires: 2026-02-27
"""


MANIFESTS = {
    "testload": "format_version: 1\ninstitution: NFU\nstage: testload\n"
                "taken_at: 2025-09-20T06:00:00Z\n",
    "freeze": "format_version: 1\ninstitution: NFU\nstage: freeze\n"
              "taken_at: 2026-03-02T07:00:00Z\n",
    "extract": "format_version: 1\ninstitution: NFU\nstage: extract\n"
               "taken_at: 2026-03-03T18:00:00Z\nforms:\n"
               "  migration_form: migration-form.xlsx.txt\n"
               "  field_mapping_form: field-mapping-form.csv\n",
}
FORMS = {
    "migration-form.xlsx.txt": "Migration form (fictional): answers as of the cutover.\n"
                               "patron_primary_id_source: UNIV_ID\n",
    "field-mapping-form.csv": "legacy_field,alma_field\nPATRON_ID,primary_id\n"
                              "PATRON_TYPE,user_group\n",
}


def csv_text(table: str, rows: Iterable[dict[str, object]]) -> str:
    spec = TABLES[table]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(spec.column_names)
    ordered = sorted(rows, key=lambda row: tuple(str(row.get(k, "")) for k in spec.key))
    for row in ordered:
        writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in spec.column_names])
    return buf.getvalue()


def files(seed: int = SEED) -> dict[str, str]:
    """Relative path -> text of every file of the sample."""
    g = Gen(seed)
    g.users()
    g.configuration()
    g.fulfillment()
    g.created_public_staff()
    g.readiness_cases()
    out = {"scenario.yaml": SCENARIO, "waivers.yaml": WAIVERS}
    for snap, tables in g.tables.items():
        out[f"{snap}/snapshot.yaml"] = MANIFESTS[snap]
        for table, rows in tables.items():
            out[f"{snap}/{table}.csv"] = csv_text(table, rows)
    for name, text in FORMS.items():
        out[f"extract/{name}"] = text
    for snap, tables in sample_post.post_snapshots(g.tables).items():
        out[f"{snap}/snapshot.yaml"] = sample_post.MANIFESTS[snap]
        for table, rows in tables.items():
            out[f"{snap}/{table}.csv"] = csv_text(table, rows)
    out.update(sample_variants.files())
    return dict(sorted(out.items()))


def write(folder: Path, seed: int = SEED) -> None:
    for rel, text in files(seed).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")


def sample_dir() -> Path:
    """The copy shipped inside the package, or the sample in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sample", here.parent / "sample_data"):
        if (candidate / "scenario.yaml").is_file():
            return candidate
    raise FileNotFoundError("the sample institution is missing from this installation")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m simulator.synth.sample",
                                     description="Write the sample institution (make sample).")
    parser.add_argument("folder", nargs="?", type=Path, default=Path("sample_data"))
    write(parser.parse_args().folder)
