"""The sample's configuration, acquisitions and courses as Alma API responses (docs/alma-api.md):
code tables, sets, webhook integration profiles, jobs, libraries and their locations, vendors,
funds and each fund's transactions, licenses, courses and each course's reading lists.

Per-parent files (locations, fund transactions, reading lists) are written for every parent, an
empty page when it has none, as a pull that asks once for each writes them.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulator.synth.alma_api_shapes import (
    INSTITUTION_NAME,
    Obj,
    Rows,
    alma_id,
    awkward,
    coded,
    grouped,
    object_text,
    one_list,
    ordered,
    pages,
    present,
    text,
    timestamp,
)
from simulator.synth.sample_tables import INSTITUTION

# Snapshot code table -> Alma's name (docs/alma-api.md); the sample's other code tables
# (letter_types, call_number_types) have no Alma name there and are not written.
CODE_TABLES = {
    "user_groups": "UserGroups", "user_identifier_types": "UserIdentifierTypes",
    "user_statistics_categories": "UserStatCategories",
    "block_definitions": "UserBlockDescription", "item_policies": "ItemPolicy",
    "fund_types": "FundType", "reporting_codes": "HFundsTransactionItem.reportingCode",
    "academic_departments": "AcademicDepartments", "fiscal_periods": "FiscalPeriods",
}
CONTENTS = {"BIB_MMS": "All Titles", "ITEM": "Physical items", "USER": "Users",
            "PO_LINE": "Order lines", "VENDOR": "Vendors", "IEP": "Physical titles",
            "PORTFOLIO": "Portfolios"}


def code_row(row: Mapping[str, object], alma: str) -> Obj:
    """One `row[]`: `enabled` as a boolean, as the string "true" in ItemPolicy, and left out
    (true by default) in AcademicDepartments."""
    enabled: object = text(row, "enabled").lower() != "false"
    out: Obj = {"code": text(row, "code"), "description": text(row, "description"),
                "default": False, "enabled": enabled}
    if alma == "ItemPolicy":
        out["enabled"] = "true" if enabled else "false"
    elif alma == "AcademicDepartments" and enabled:
        del out["enabled"]
    return out


def code_tables(freeze: Mapping[str, Rows]) -> dict[str, str]:
    out = {}
    by_table = grouped(ordered(freeze, "code_tables"), "table_name")
    for table, alma in CODE_TABLES.items():
        if table not in by_table:
            continue
        out[f"code-tables/{alma}.json"] = object_text({
            "name": alma, "description": table.replace("_", " ").capitalize(),
            "patron_facing": False, "language": {"value": "en", "desc": "English"},
            "scope": {"institution_id": coded(INSTITUTION, INSTITUTION_NAME),
                      "library_id": coded("")},
            "row": [code_row(row, alma) for row in by_table[table]]})
    return out


def sets(freeze: Mapping[str, Rows]) -> dict[str, str]:
    records = [present({
        "id": text(row, "set_id"), "name": text(row, "name"), "description": "",
        "type": coded(text(row, "set_type")),
        "content": coded(text(row, "content_type"), CONTENTS.get(text(row, "content_type"))),
        "private": {"value": "false"}, "status": {"value": "ACTIVE", "desc": "Active"},
        "origin": {"value": "UI", "desc": "Institution only"},
        "created_by": {"value": "Haddad, Sam"},
        "created_date": timestamp(text(row, "created_at")),
        "last_modified_date": timestamp(text(row, "updated_at")),
    }) for row in ordered(freeze, "sets")]
    return pages("sets", "set", records)


def integration_profiles(freeze: Mapping[str, Rows]) -> dict[str, str]:
    """Webhook profiles: whether one is active is not in the API, so webhooks.status is not
    written."""
    records = [{
        "id": text(row, "profile_id"), "code": f"WEBHOOK_{n}", "name": text(row, "name"),
        "type": coded("WEBHOOKS", "Webhooks"), "description": "",
        "parameter": [
            {"name": coded("LISTENER_URL", "Listener URL"), "value": text(row, "url")},
            {"name": coded("MESSAGE_TYPE", "Message type"), "value": "JSON"},
        ],
    } for n, row in enumerate(ordered(freeze, "webhooks"), 1)]
    return pages("integration-profiles", "integration_profile", records)


def job(row: Mapping[str, object]) -> Obj:
    """A scheduled job's schedule says whether it runs; a manual job has none."""
    status = text(row, "status")
    schedule = (coded("NOT_SCHEDULED", "Not scheduled") if status == "DISABLED"
                else coded("DAILY", "Every day at 03:00") if status == "ENABLED" else None)
    return present({"id": text(row, "job_id"), "name": text(row, "name"), "description": "",
                    "type": coded(text(row, "job_type")),
                    "category": coded("MISCELLANEOUS", "Miscellaneous"),
                    "content": coded("BIB_MMS", "All Titles"), "schedule": schedule,
                    "creator": "System"})


def jobs(freeze: Mapping[str, Rows]) -> dict[str, str]:
    return pages("jobs", "job", [job(row) for row in ordered(freeze, "jobs")])


def libraries(freeze: Mapping[str, Rows]) -> dict[str, str]:
    """The libraries (an unpaged list) and one locations file for each library."""
    libs = ordered(freeze, "libraries")
    out = one_list("libraries/libraries.json", "library", [
        {"code": text(row, "code"), "id": alma_id(11, n), "path": text(row, "code"),
         "name": text(row, "name"), "description": "", "resource_sharing": False}
        for n, row in enumerate(libs, 1)])
    locations = grouped(ordered(freeze, "locations"), "library_code")
    for lib in libs:
        code = text(lib, "code")
        out.update(one_list(f"locations/{code}.json", "location", [
            {"code": text(row, "code"), "name": text(row, "name"),
             "external_name": text(row, "name"), "type": coded("OPEN", "Open"),
             "remote_storage": "", "suppress_from_publishing": "false",
             "fulfillment_unit": coded(f"{code}_FU", f"{text(lib, 'name')} unit"),
             "call_number_type": coded("0", "Library of Congress classification")}
            for row in locations.get(code, [])]))
    return out


def vendors(freeze: Mapping[str, Rows]) -> dict[str, str]:
    records = []
    for n, row in enumerate(ordered(freeze, "vendors")):
        address = text(row, "email")
        email = [{"email_address": address, "description": "", "preferred": True,
                  "email_type": [{"value": "order", "desc": "Order"}]}] if address else []
        records.append({"code": text(row, "code"), "name": text(row, "name"),
                        "status": awkward(coded(text(row, "status")), n),
                        "language": coded("en", "English"),
                        "contact_info": {"address": [], "phone": [], "email": email,
                                         "web_address": []}})
    return pages("vendors", "vendor", records)


def funds(freeze: Mapping[str, Rows]) -> dict[str, str]:
    """Funds (`mode=ALL`) and one transactions file for each fund."""
    rows = ordered(freeze, "funds")
    out = pages("funds", "fund", [
        {"id": alma_id(51, n), "code": text(row, "fund_code"), "name": text(row, "name"),
         "type": coded(text(row, "fund_type")),
         "fiscal_period": coded(text(row, "fiscal_period"), "2025-2026"),
         "status": coded(text(row, "status")), "currency": coded("USD", "US Dollar")}
        for n, row in enumerate(rows, 1)])
    transactions = grouped(ordered(freeze, "fund_transactions"), "fund_code")
    for fund in rows:
        code = text(fund, "fund_code")
        out.update(one_list(f"fund-transactions/{code}.json", "fund_transaction", [
            {"id": text(row, "transaction_id"),
             "transaction_type": coded(text(row, "transaction_type")),
             "amount": {"sum": text(row, "amount"), "currency": coded("USD", "US Dollar")},
             "fiscal_period": coded(text(fund, "fiscal_period"), "2025-2026")}
            for row in transactions.get(code, [])]))
    return out


def licenses(freeze: Mapping[str, Rows]) -> dict[str, str]:
    """A license linked to electronic inventory lists its resources."""
    records = []
    for n, row in enumerate(ordered(freeze, "licenses"), 1):
        linked = text(row, "linked_to_einventory").lower() == "true"
        records.append({
            "code": text(row, "license_code"), "name": text(row, "name"),
            "status": coded("ACTIVE", "Active"), "type": coded("LICENSE", "License"),
            "licensor": coded(f"V{n:03d}", f"Vendor {n}"),
            "resource": [{"id": alma_id(61, n), "type": coded("ELECTRONIC_COLLECTION")}]
            if linked else []})
    return pages("licenses", "license", records)


def courses(freeze: Mapping[str, Rows]) -> dict[str, str]:
    """Courses with their instructors, and one reading-lists file for each course."""
    rows = ordered(freeze, "courses")
    teach = grouped(ordered(freeze, "course_instructors"), "course_code")
    departments = {text(r, "code"): text(r, "description")
                   for r in freeze.get("code_tables", [])
                   if text(r, "table_name") == "academic_departments"}
    out = pages("courses", "course", [
        {"id": alma_id(71, n), "code": text(row, "course_code"), "name": text(row, "name"),
         "section": "01",
         "academic_department": coded(text(row, "academic_department"),
                                      departments.get(text(row, "academic_department"))),
         "processing_department": coded("COURSE_UNIT", "Course Reserves"),
         "status": "ACTIVE", "start_date": "2026-01-12Z", "end_date": "2026-06-30Z",
         "instructor": [{"primary_id": text(t, "instructor_primary_id")}
                        for t in teach.get(text(row, "course_code"), [])],
         "campus": [], "created_by": "EX_LIBRIS"}
        for n, row in enumerate(rows, 1)])
    lists = grouped(ordered(freeze, "reading_lists"), "course_code")
    for course in rows:
        code = text(course, "course_code")
        out.update(one_list(f"reading-lists/{code}.json", "reading_list", [
            {"id": text(row, "list_id"), "code": text(row, "list_id"), "name": text(row, "name"),
             "status": coded("Complete", "Complete"),
             "visibility": coded("RESTRICTED", "Course students")}
            for row in lists.get(code, [])]))
    return out
