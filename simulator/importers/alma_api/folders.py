"""The folders of a raw folder (docs/alma-api.md, "The raw folder") and how each is imported:
its list key, the snapshot tables it fills, the mapping of one record, and what its files'
names stand for. One `Folder` per endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.importers.alma_api import map_acq, map_config, map_fulfillment, map_users
from simulator.importers.alma_api.record import Record


@dataclass(frozen=True)
class Folder:
    name: str
    list_key: str
    tables: tuple[str, ...]
    read: Callable[[Record], None]
    # A file may hold one object instead of a list page (GET /users/{id}).
    single: bool = False
    # Whether its lists carry total_record_count (not code tables).
    counted: bool = True
    file_name: str = ""  # what a file's name stands for ("" : free)
    # Why a file is skipped, from its name and the code table names (None: it is read).
    skip: Callable[[str, dict[str, str]], str | None] | None = None


FOLDERS: tuple[Folder, ...] = (
    Folder("users", "user", ("users", "user_roles", "user_identifiers"), map_users.user,
           single=True),
    Folder("code-tables", "row", ("code_tables",), map_config.code_row, counted=False,
           file_name="the Alma code table name", skip=map_config.unmapped_code_table),
    Folder("sets", "set", ("sets",), map_config.a_set),
    Folder("integration-profiles", "integration_profile", ("webhooks",),
           map_config.integration_profile),
    Folder("jobs", "job", ("jobs",), map_config.job),
    Folder("libraries", "library", ("libraries",), map_config.library),
    Folder("locations", "location", ("locations",), map_config.location,
           file_name="the library code"),
    Folder("vendors", "vendor", ("vendors",), map_acq.vendor),
    Folder("funds", "fund", ("funds",), map_acq.fund),
    Folder("fund-transactions", "fund_transaction", ("fund_transactions",),
           map_acq.fund_transaction, file_name="the fund code"),
    Folder("licenses", "license", ("licenses",), map_acq.license_),
    Folder("courses", "course", ("courses", "course_instructors"), map_fulfillment.course),
    Folder("reading-lists", "reading_list", ("reading_lists",), map_fulfillment.reading_list,
           file_name="the course code"),
    Folder("loans", "item_loan", ("loans",), map_fulfillment.loan),
    Folder("requests", "user_request", ("requests",), map_fulfillment.request),
)
BY_NAME = {f.name: f for f in FOLDERS}
