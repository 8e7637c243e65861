"""The sample's configuration, acquisitions and course tables in Alma (freeze) and the extract.

One function per table or pair of tables, run in the order of `TABLES`: the random draws (fund
transactions, orders, invoices) depend on it. Where the two sides differ, a rule has something to
find: codes or vendors on one side only, a fund in another fiscal period, changes in the freeze.
"""

from __future__ import annotations

from simulator.synth.sample_tables import BEFORE, DURING, LIBRARIES, LOCATIONS, Sample

CONTENTS = ["BIB_MMS", "ITEM", "USER", "PO_LINE", "VENDOR", "IEP", "PORTFOLIO"]
AREAS = [("letters", 15), ("templates", 8), ("normalization_rules", 6), ("indication_rules", 4),
         ("online_services_order", 3), ("cloud_app_configuration", 2),
         ("digitization_profile", 3), ("digital_import_profile", 2)]
# Code table -> (Alma's codes, the legacy system's codes).
CODES = {
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
TRANSACTION_TYPES = ["ALLOCATION", "EXPENDITURE", "ENCUMBRANCE", "DISENCUMBRANCE", "TRANSFER"]
PARAMETERS = [("acquisition_solr_indexing_enabled", "false"),
              ("acquisition_solr_save_enabled", "false"), ("patron_loan_limit", "50"),
              ("default_currency", "USD"), ("fine_cap", "25"), ("ill_enabled", "true")]


def configuration(g: Sample) -> None:
    for build in TABLES:
        build(g)


def sets(g: Sample) -> None:
    """Itemized and logical sets; a few created or changed during the freeze."""
    for i in range(1, 43):
        itemized = i <= 26
        created = DURING if i in (3, 30) else BEFORE
        updated = DURING if i in (31, 32, 5) else created
        g.add("freeze", "sets", {
            "set_id": f"SET{i:03d}", "name": f"{'Itemized' if itemized else 'Logical'} set {i}",
            "set_type": "ITEMIZED" if itemized else "LOGICAL",
            "content_type": CONTENTS[i % len(CONTENTS)] if itemized else CONTENTS[i % 2],
            "created_at": created, "updated_at": updated,
        })


def collections(g: Sample) -> None:
    for i in range(1, 9):
        g.add("freeze", "collections", {
            "collection_id": f"COL{i:02d}", "name": f"Digital collection {i}",
            "parent_id": "" if i <= 3 else f"COL{(i % 3) + 1:02d}"})


def configuration_items(g: Sample) -> None:
    """Configuration by area; the first profiles link to a collection, and the 20th item was
    created (the 2nd, 9th and 25th changed) during the freeze."""
    n = 0
    for area, count in AREAS:
        for i in range(1, count + 1):
            n += 1
            linked = area in ("digitization_profile", "digital_import_profile") and i <= 2
            created = DURING if n == 20 else BEFORE
            updated = DURING if n in (2, 9, 25) else created
            g.add("freeze", "configuration", {
                "area": area, "item_id": f"{area[:3].upper()}{i:03d}",
                "name": f"{area.replace('_', ' ')} {i}",
                "collection_id": f"COL0{i}" if linked else "",
                "created_at": created, "updated_at": updated})


def code_tables(g: Sample) -> None:
    for table, (alma, legacy) in CODES.items():
        for snap, codes in (("freeze", alma), ("extract", legacy)):
            for code in codes:
                g.add(snap, "code_tables", {"table_name": table, "code": code,
                                            "description": code.title(), "enabled": "true"})


def libraries(g: Sample) -> None:
    """Libraries and locations; the extract also has a location opened in the legacy system
    after the test load and never added to Alma."""
    for lib in LIBRARIES:
        g.add_both("libraries", {"code": lib, "name": f"{lib.title()} Library"})
        for loc in LOCATIONS[lib]:
            g.add_both("locations", {"library_code": lib, "code": loc,
                                     "name": f"{lib} {loc.lower()}"})
    g.add("extract", "locations", {"library_code": "SCI", "code": "MAKER",
                                   "name": "SCI makerspace"})


def vendors(g: Sample) -> None:
    """V020 is Alma's only, V021 the legacy system's only."""
    for i in range(1, 21):
        row = {"code": f"V{i:03d}", "name": f"Vendor {i}",
               "status": "INACTIVE" if i in (4, 11) else "ACTIVE",
               "email": f"orders{i}@scrubbed.invalid"}
        g.add("freeze", "vendors", row)
        if i != 20:
            g.add("extract", "vendors", {k: row[k] for k in ("code", "name", "status")})
    g.add("extract", "vendors", {"code": "V021", "name": "Vendor 21", "status": "ACTIVE"})


def rs_partners(g: Sample) -> None:
    for i in range(1, 7):
        row = {"code": f"RS{i:02d}", "name": f"Partner library {i}", "status": "ACTIVE",
               "email": f"ill{i}@scrubbed.invalid"}
        g.add("freeze", "rs_partners", row)
        g.add("extract", "rs_partners", {"code": row["code"], "name": row["name"]})


def webhooks(g: Sample) -> None:
    for i, status in enumerate(["ACTIVE", "ACTIVE", "INACTIVE"], 1):
        g.add("freeze", "webhooks", {"profile_id": f"WH{i}", "name": f"Webhook {i}",
                                     "status": status,
                                     "url": f"https://hooks.northfield.example/{i}"})


def jobs(g: Sample) -> None:
    kinds = [("SCHEDULED", "ENABLED")] * 8 + [("SCHEDULED", "DISABLED")] * 2 + [("MANUAL", "")] * 2
    for i, (jtype, status) in enumerate(kinds, 1):
        g.add("freeze", "jobs", {"job_id": f"J{i:03d}", "name": f"Job {i}", "job_type": jtype,
                                 "status": status})


def parameters(g: Sample) -> None:
    for name, value in PARAMETERS:
        g.add("freeze", "parameters", {"name": name, "value": value})


def funds(g: Sample) -> None:
    """F007 is in another fiscal period in the extract."""
    for i in range(1, 16):
        for snap, period in (("freeze", "FY2026"), ("extract", "FY2026" if i != 7 else "FY2025")):
            g.add(snap, "funds", {"fund_code": f"F{i:03d}", "name": f"Fund {i}",
                                  "fund_type": "ALLOCATED", "fiscal_period": period,
                                  "status": "ACTIVE"})


def fund_transactions(g: Sample) -> None:
    for snap, prefix, count in (("freeze", "T", 60), ("extract", "LT", 80)):
        for i in range(1, count + 1):
            g.add(snap, "fund_transactions", {
                "transaction_id": f"{prefix}{i:05d}", "fund_code": f"F{g.r.randint(1, 15):03d}",
                "transaction_type": TRANSACTION_TYPES[i % 5],
                "amount": f"{g.r.randint(10, 5000)}.00"})


def orders_and_invoices(g: Sample) -> None:
    """Every 133rd order is on V021, the vendor missing in Alma."""
    r = g.r
    for i in range(1, 401):
        vendor = "V021" if i % 133 == 0 else f"V{r.randint(1, 19):03d}"
        g.add("extract", "orders", {"order_id": f"PO{i:05d}", "vendor_code": vendor,
                                    "fund_code": f"F{r.randint(1, 15):03d}"})
    for i in range(1, 301):
        g.add("extract", "invoices", {"invoice_id": f"INV{i:05d}",
                                      "vendor_code": f"V{r.randint(1, 19):03d}"})


def licenses(g: Sample) -> None:
    for i in range(1, 11):
        g.add("freeze", "licenses", {"license_code": f"LIC{i:02d}", "name": f"License {i}",
                                     "linked_to_einventory": "true" if i <= 4 else "false"})


def courses(g: Sample) -> None:
    """The extract has two more courses, and departments Alma lacks."""
    for snap, count, departments in (("freeze", 20, ["HIST", "CHEM"]),
                                     ("extract", 22, ["HIST", "CHEM", "LAW"])):
        for i in range(1, count + 1):
            g.add(snap, "courses", {"course_code": f"CRS{i:03d}", "name": f"Course {i}",
                                    "academic_department": departments[i % len(departments)]})


def reading_lists(g: Sample) -> None:
    """Reading lists and their citations."""
    for i in range(1, 31):
        g.add("freeze", "reading_lists", {"list_id": f"RL{i:03d}",
                                          "course_code": f"CRS{(i % 20) + 1:03d}",
                                          "name": f"Reading list {i}"})
    for i in range(1, 121):
        g.add("freeze", "citations", {"citation_id": f"CIT{i:04d}",
                                      "list_id": f"RL{(i % 25) + 1:03d}", "bib_id": f"99{i:08d}"})


def course_instructors(g: Sample) -> None:
    """Staff teach; the extract pairs other staff with the courses."""
    for snap, count, courses, first in (("freeze", 25, 20, 0), ("extract", 30, 22, 10)):
        for i in range(1, count + 1):
            g.add(snap, "course_instructors", {"course_code": f"CRS{(i % courses) + 1:03d}",
                                               "instructor_primary_id": f"S{i + first:04d}"})


def analytics_reports(g: Sample) -> None:
    """Reports of staff users S0021-S0040; needs the users."""
    users = {u["primary_id"]: u for u in g.tables["freeze"]["users"]}
    for i in range(1, 21):
        owner = f"S{i + 20:04d}"
        folder = "INSTITUTION" if i <= 8 else "USER"
        iid, opid = users[owner]["internal_id"], owner
        if i in (15, 16):
            iid = str(8_000_000 + i)  # owner deleted (and re-created with a new internal id)
        if i == 17:
            opid = "S0037-OLD"  # owner's Primary ID changed since the report was saved
        home = "Reports" if folder == "INSTITUTION" else owner
        g.add("freeze", "analytics_reports", {
            "report_path": f"/shared/Northfield/{home}/Report {i:02d}",
            "folder": folder, "owner_internal_id": iid, "owner_primary_id": opid})


def authorities(g: Sample) -> None:
    for i in range(1, 16):
        g.add("freeze", "authorities", {"authority_id": f"AUTH{i:03d}", "origin": "CREATED"})


TABLES = (sets, collections, configuration_items, code_tables, libraries, vendors, rs_partners,
          webhooks, jobs, parameters, funds, fund_transactions, orders_and_invoices, licenses,
          courses, reading_lists, course_instructors, analytics_reports, authorities)
