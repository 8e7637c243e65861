"""The snapshot tables (docs/formats/snapshots.md): columns, types, value domains, keys and
references.

One source of truth: validation, typed views, the rule linter and the docs all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column types and the DuckDB type a valid value is cast to.
SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}
TYPE_WORDS = {
    "text": "text",
    "int": "a whole number",
    "decimal": "a number",
    "bool": "true or false",
    "timestamp": "an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS])",
}


@dataclass(frozen=True)
class Col:
    name: str
    type: str = "text"
    required: bool = False
    domain: tuple[str, ...] | None = None
    ci: bool = False  # compared case-insensitively (Primary IDs)
    # A path whose `/`-separated segments may be the Primary ID in this other column (a user
    # folder's report path holds its owner's): pseudonymised with it (docs/formats/reports.md).
    path_of: str | None = None


@dataclass(frozen=True)
class Ref:
    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Table:
    """One table of the snapshot format: adding an entity starts with one of these."""

    name: str
    sides: tuple[str, ...]
    # The readiness area its findings are filed under (one of AREAS).
    area: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    refs: tuple[Ref, ...] = ()
    # Extract-only tables: the Alma table their records land in (None: none to check). A
    # table of both sides lands in itself.
    lands_in: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(spec: str, type: str = "text", domain: tuple[str, ...] | None = None,
       path_of: str | None = None) -> Col:
    required = spec.endswith("*")
    name = spec.rstrip("*")
    return Col(name, type, required, domain, ci=name.endswith("primary_id"), path_of=path_of)


ALMA, EXTRACT, BOTH = ("alma",), ("extract",), ("alma", "extract")
# The areas of a readiness review, in the order the report shows them.
AREAS = ("users", "configuration", "acquisitions", "fulfillment", "communications")
ACTIVE = ("ACTIVE", "INACTIVE")
TS = "timestamp"

_TABLES = (
    Table("users", ALMA, "users", (
        _c("primary_id*"), _c("record_type*", domain=("PUBLIC", "STAFF", "CONTACT")),
        _c("internal_id"), _c("account_type", domain=("INTERNAL", "EXTERNAL")), _c("user_group"),
        _c("status", domain=ACTIVE), _c("origin", domain=("MIGRATED", "CREATED")), _c("username"),
        _c("email"), _c("created_at", TS), _c("updated_at", TS),
    ), ("primary_id",)),
    Table("user_roles", ALMA, "users", (
        _c("primary_id*"), _c("role_type*"), _c("scope"),
        _c("status", domain=("ACTIVE", "INACTIVE", "NEW")),
    ), ("primary_id", "role_type", "scope"), (Ref("primary_id", "users", "primary_id"),)),
    Table("user_identifiers", ALMA, "users", (_c("primary_id*"), _c("id_type*"), _c("value*")),
          ("primary_id", "id_type", "value"), (Ref("primary_id", "users", "primary_id"),)),
    Table("sets", ALMA, "configuration", (
        _c("set_id*"), _c("name"), _c("set_type*", domain=("ITEMIZED", "LOGICAL")),
        _c("content_type"), _c("created_at", TS), _c("updated_at", TS),
    ), ("set_id",)),
    Table("collections", ALMA, "configuration",
          (_c("collection_id*"), _c("name"), _c("parent_id")), ("collection_id",)),
    Table("configuration", ALMA, "configuration", (
        _c("area*"), _c("item_id*"), _c("name"), _c("collection_id"), _c("created_at", TS),
        _c("updated_at", TS),
    ), ("area", "item_id")),
    Table("code_tables", BOTH, "configuration", (
        _c("table_name*"), _c("code*"), _c("description"), _c("enabled", "bool"),
    ), ("table_name", "code")),
    Table("libraries", BOTH, "configuration", (_c("code*"), _c("name")), ("code",)),
    Table("locations", BOTH, "configuration", (_c("library_code*"), _c("code*"), _c("name")),
          ("library_code", "code")),
    Table("vendors", BOTH, "acquisitions",
          (_c("code*"), _c("name"), _c("status", domain=ACTIVE), _c("email")), ("code",)),
    Table("rs_partners", BOTH, "fulfillment",
          (_c("code*"), _c("name"), _c("status", domain=ACTIVE), _c("email")), ("code",)),
    Table("webhooks", ALMA, "communications", (
        _c("profile_id*"), _c("name"), _c("status*", domain=ACTIVE), _c("url"),
    ), ("profile_id",)),
    Table("jobs", ALMA, "configuration", (
        _c("job_id*"), _c("name"), _c("job_type*", domain=("SCHEDULED", "MANUAL", "OTHER")),
        _c("status", domain=("ENABLED", "DISABLED")),
    ), ("job_id",)),
    Table("funds", BOTH, "acquisitions", (
        _c("fund_code*"), _c("name"), _c("fund_type"), _c("fiscal_period"),
        _c("status", domain=ACTIVE),
    ), ("fund_code",)),
    Table("fund_transactions", BOTH, "acquisitions", (
        _c("transaction_id*"), _c("fund_code*"),
        _c("transaction_type", domain=(
            "ALLOCATION", "EXPENDITURE", "ENCUMBRANCE", "DISENCUMBRANCE", "TRANSFER")),
        _c("amount", "decimal"),
    ), ("transaction_id",), (Ref("fund_code", "funds", "fund_code"),)),
    Table("licenses", ALMA, "acquisitions", (
        _c("license_code*"), _c("name"), _c("linked_to_einventory", "bool"),
    ), ("license_code",)),
    Table("courses", BOTH, "fulfillment",
          (_c("course_code*"), _c("name"), _c("academic_department")), ("course_code",)),
    Table("reading_lists", ALMA, "fulfillment", (_c("list_id*"), _c("course_code*"), _c("name")),
          ("list_id",), (Ref("course_code", "courses", "course_code"),)),
    Table("citations", ALMA, "fulfillment", (_c("citation_id*"), _c("list_id*"), _c("bib_id")),
          ("citation_id",), (Ref("list_id", "reading_lists", "list_id"),)),
    Table("course_instructors", BOTH, "fulfillment",
          (_c("course_code*"), _c("instructor_primary_id*")),
          ("course_code", "instructor_primary_id")),
    Table("analytics_reports", ALMA, "users", (
        _c("report_path*", path_of="owner_primary_id"),
        _c("folder*", domain=("USER", "INSTITUTION")),
        _c("owner_internal_id"), _c("owner_primary_id"),
    ), ("report_path",)),
    Table("authorities", ALMA, "configuration",
          (_c("authority_id*"), _c("origin", domain=("CREATED", "MIGRATED"))), ("authority_id",)),
    Table("items", BOTH, "fulfillment", (
        _c("barcode*"), _c("library_code"), _c("location_code"), _c("status"),
        _c("loan_count", "int"),
    ), ("barcode",)),
    Table("loans", BOTH, "fulfillment", (
        _c("loan_id*"), _c("item_barcode*"), _c("primary_id*"), _c("loan_date", TS),
        _c("due_date", TS), _c("returned_at", TS),
    ), ("loan_id",)),
    Table("requests", BOTH, "fulfillment", (
        _c("request_id*"), _c("request_type*"), _c("status*"), _c("item_barcode"),
        _c("primary_id"),
    ), ("request_id",)),
    Table("parameters", ALMA, "configuration", (_c("name*"), _c("value")), ("name",)),
    Table("patrons", EXTRACT, "users", (
        _c("primary_id*"), _c("user_group"), _c("email"), _c("username"), _c("original_id"),
    ), ("primary_id",), lands_in="users"),
    Table("orders", EXTRACT, "acquisitions",
          (_c("order_id*"), _c("vendor_code*"), _c("fund_code")), ("order_id",)),
    Table("invoices", EXTRACT, "acquisitions", (_c("invoice_id*"), _c("vendor_code*")),
          ("invoice_id",)),
)

TABLES: dict[str, Table] = {t.name: t for t in _TABLES}

# The schemas a run's input snapshots are read under, with the side of the snapshot each holds;
# a ledger entity's records are read from its side's schema. verify adds `post` (and `base`).
SCHEMA_SIDE = {"pre": "alma", "extract": "extract", "testload": "alma"}
SIDE_SCHEMA = {"alma": "pre", "extract": "extract"}

# Snapshot stages (snapshot.yaml) and the side whose tables they hold.
STAGE_SIDE = {
    "testload": "alma",
    "freeze": "alma",
    "cutover": "alma",
    "fulfillment": "alma",
    "golive": "alma",
    "extract": "extract",
    "fulfillment_extract": "extract",
}

# The nine code tables whose codes Alma merges with the legacy system's (docs/formats/snapshots.md).
MERGED_CODE_TABLES = (
    "reporting_codes", "fund_types", "fiscal_periods", "item_policies", "user_groups",
    "user_identifier_types", "block_definitions", "user_statistics_categories",
    "academic_departments",
)




def with_references(names: set[str]) -> set[str]:
    """`names` and every table they refer to, directly or not (validation checks references)."""
    need, todo = set(names), list(names)
    while todo:
        for ref in TABLES[todo.pop()].refs:
            if ref.table not in need:
                need.add(ref.table)
                todo.append(ref.table)
    return need


def post_table(side: str, entity: str) -> str | None:
    """The Alma-side table that holds a ledger record after the load (None: not checkable:
    orders and invoices have no Alma-side table in the snapshot format)."""
    table = TABLES.get(entity)
    if side == "alma" or (table is not None and "alma" in table.sides):
        return entity
    return table.lands_in if table is not None else None


def tables_for(side: str) -> list[Table]:
    return [t for t in _TABLES if side in t.sides]
