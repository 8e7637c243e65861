"""Acquisitions endpoints (docs/alma-api.md, "Field mapping"): vendors, funds, fund
transactions and licenses; one function per endpoint, given a record."""

from __future__ import annotations

from simulator.importers.alma_api.map_users import preferred_email
from simulator.importers.alma_api.record import Record

NO_RESOURCES = ("licenses: {n} license{s} without a `resource` list; linked_to_einventory "
                "left empty (read as not linked)")


def vendor(rec: Record) -> None:
    rec.emit("vendors", code=rec.text("code"), name=rec.text("name"),
             status=rec.text("status"), email=preferred_email(rec, "contact_info"))


def fund(rec: Record) -> None:
    rec.emit("funds", fund_code=rec.text("code"), name=rec.text("name"),
             fund_type=rec.text("type"), fiscal_period=rec.text("fiscal_period"),
             status=rec.text("status"))


def fund_transaction(rec: Record) -> None:
    """A transaction of `fund-transactions/<fund code>.json`."""
    rec.emit("fund_transactions", transaction_id=rec.text("id"), fund_code=rec.file_name(),
             transaction_type=rec.text("transaction_type"), amount=rec.amount("amount"))


def license_(rec: Record) -> None:
    """A license, linked to e-inventory when its `resource` list is not empty (an empty XML
    wrapper `<resources/>` is an empty list)."""
    linked = rec.fixed(None)
    if rec.has("resource") or rec.has("resources"):
        linked = rec.fixed("true" if rec.items("resource") else "false")
    else:
        rec.sink.tally(NO_RESOURCES)
    rec.emit("licenses", license_code=rec.text("code"), name=rec.text("name"),
             linked_to_einventory=linked)
