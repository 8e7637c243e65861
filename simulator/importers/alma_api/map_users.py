"""`users/`: full user objects (docs/alma-api.md, "Field mapping") into users, user_roles and
user_identifiers."""

from __future__ import annotations

from simulator.importers.alma_api.record import Record
from simulator.importers.alma_api.values import Converted

# Alma's primary id of a contact that has none of its own: `no primary id (…)`.
PLACEHOLDER = "no primary id"


def preferred_email(rec: Record, *within: str) -> Converted:
    """The `email_address` of the preferred `email[]` under `within`, else of the first."""
    emails = rec.items(*within, "email")
    for email in emails:
        if email.boolean("preferred", False).value == "true":
            return email.text("email_address")
    return emails[0].text("email_address") if emails else rec.fixed(None)


def user(rec: Record) -> None:
    """One user; its roles (none when `user_role` is absent) and identifiers."""
    pid, record_type = rec.text("primary_id"), rec.text("record_type")
    rec.emit("users", primary_id=pid, record_type=record_type,
             account_type=rec.text("account_type"), user_group=rec.text("user_group"),
             status=rec.text("status"), email=preferred_email(rec, "contact_info"),
             created_at=rec.date("created_date", "creation_date"),
             updated_at=rec.date("last_modified_date", "modification_date"))
    for role in rec.items("user_role"):
        role.emit("user_roles", primary_id=pid, role_type=role.text("role_type"),
                  scope=role.text("scope"), status=role.text("status"))
    for ident in rec.items("user_identifier"):
        ident.emit("user_identifiers", primary_id=pid, id_type=ident.text("id_type"),
                   value=ident.text("value"))
    if pid.value is not None and pid.value.lower().startswith(PLACEHOLDER):
        rec.sink.warnings.append(
            f"{rec.file}: {pid.path}: {record_type.value or 'a'} user with Alma's placeholder "
            f"primary id {pid.value!r}: imported as it is")
