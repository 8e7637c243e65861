"""Fulfillment endpoints (docs/alma-api.md, "Field mapping"): courses and their instructors,
reading lists, loans and requests; one function per endpoint, given a record."""

from __future__ import annotations

from simulator.importers.alma_api.record import Record


def course(rec: Record) -> None:
    code = rec.text("code")
    rec.emit("courses", course_code=code, name=rec.text("name"),
             academic_department=rec.text("academic_department"))
    for instructor in rec.items("instructor"):
        instructor.emit("course_instructors", course_code=code,
                        instructor_primary_id=instructor.text("primary_id"))


def reading_list(rec: Record) -> None:
    """A reading list of `reading-lists/<course code>.json`."""
    rec.emit("reading_lists", list_id=rec.text("id"), course_code=rec.file_name(),
             name=rec.text("name"))


def loan(rec: Record) -> None:
    """An active loan (the endpoint lists those): returned_at is empty."""
    rec.emit("loans", loan_id=rec.text("loan_id"), item_barcode=rec.text("item_barcode"),
             primary_id=rec.text("user_id"), loan_date=rec.date("loan_date"),
             due_date=rec.date("due_date"), returned_at=rec.fixed(None))


def request(rec: Record) -> None:
    rec.emit("requests", request_id=rec.text("request_id"),
             request_type=rec.text("request_type"), status=rec.text("request_status"),
             item_barcode=rec.text("barcode"), primary_id=rec.text("user_primary_id"))
