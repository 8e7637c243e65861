"""Configuration endpoints (docs/alma-api.md, "Field mapping"): code tables, sets, integration
profiles (webhooks), jobs, libraries and locations; one function per endpoint, given a record."""

from __future__ import annotations

from simulator.importers.alma_api.record import Record

WEBHOOKS_ACTIVE = ("webhooks: Alma's API does not say whether a webhook profile is active; "
                   "{n} imported as ACTIVE, so the prediction lists them among the webhooks to "
                   "switch on by hand after go-live (docs/alma-api.md, \"What the API does not "
                   "say\")")
NOT_WEBHOOKS = "integration-profiles: {n} profile{s} of a type other than WEBHOOKS skipped"
# The parameter of a webhook profile that holds the listener's URL (not confirmed by a public
# source: docs/alma-api.md).
LISTENER_URL = "LISTENER_URL"


def code_row(rec: Record) -> None:
    """A `row[]` of `code-tables/<Name>.json`, into the snapshot table mapped from <Name>."""
    rec.emit("code_tables", table_name=rec.file_name(rec.sink.code_tables[rec.stem]),
             code=rec.text("code"), description=rec.text("description"),
             enabled=rec.boolean("enabled", True))


def a_set(rec: Record) -> None:
    rec.emit("sets", set_id=rec.text("id"), name=rec.text("name"), set_type=rec.text("type"),
             content_type=rec.text("content"), created_at=rec.date("created_date"),
             updated_at=rec.date("last_modified_date"))


def integration_profile(rec: Record) -> None:
    """A webhook profile (the others are skipped); its status is not in the API: ACTIVE."""
    if rec.text("type").value != "WEBHOOKS":
        rec.sink.tally(NOT_WEBHOOKS)
        return
    url = rec.fixed(None)
    for parameter in rec.items("parameter"):
        if parameter.text("name").value == LISTENER_URL:
            url = parameter.text("value")
            break
    rec.sink.tally(WEBHOOKS_ACTIVE)
    rec.emit("webhooks", profile_id=rec.text("id"), name=rec.text("name"),
             status=rec.fixed("ACTIVE"), url=url)


def job(rec: Record) -> None:
    """A job: DISABLED when not scheduled, ENABLED when it has another schedule, empty when the
    record has none."""
    schedule = rec.text("schedule")
    status = None if schedule.value is None else (
        "DISABLED" if schedule.value == "NOT_SCHEDULED" else "ENABLED")
    rec.emit("jobs", job_id=rec.text("id"), name=rec.text("name"), job_type=rec.text("type"),
             status=rec.fixed(status))


def library(rec: Record) -> None:
    rec.emit("libraries", code=rec.text("code"), name=rec.text("name"))


def location(rec: Record) -> None:
    """A location of `locations/<library code>.json`."""
    rec.emit("locations", library_code=rec.file_name(), code=rec.text("code"),
             name=rec.text("name"))


# Alma's code table names and the snapshot's (docs/alma-api.md, code_tables.table_name); the
# last two names are not confirmed by a public source. `--code-table` adds or changes one.
CODE_TABLES = {
    "UserGroups": "user_groups",
    "UserIdentifierTypes": "user_identifier_types",
    "UserStatCategories": "user_statistics_categories",
    "UserBlockDescription": "block_definitions",
    "ItemPolicy": "item_policies",
    "FundType": "fund_types",
    "HFundsTransactionItem.reportingCode": "reporting_codes",
    "AcademicDepartments": "academic_departments",
    "FiscalPeriods": "fiscal_periods",
}


def unmapped_code_table(stem: str, code_tables: dict[str, str]) -> str | None:
    """Why `code-tables/<stem>` is skipped (no snapshot table for it), or None."""
    if stem in code_tables:
        return None
    return (f"no snapshot table for Alma's code table '{stem}'; skipped (--code-table "
            f"{stem}=snapshot_table imports it)")
