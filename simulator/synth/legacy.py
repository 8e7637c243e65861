"""The sample institution's extract as its legacy ILS exports it: `sample_data/legacy/`, delimited
files with the legacy system's own headers, encodings, date formats and codes, and the mapping
file (docs/legacy-files.md) through which `cutover snapshot import flat` turns them back into the
extract snapshot; `make demo` predicts from the imported folder.

Written from the same rows as `sample_data/extract/` (`sample.files` calls `files`), in the same
order (key order, as `csv_text` writes them), so that the import yields the extract's tables:
- `patrons.txt`: pipe-delimited Latin-1 with a Sierra patron record number per patron, coded
  patron types (the mapping's `values:` recodes them to the extract's user groups) and the
  patron's name, accents included (not imported: the snapshot has no name column);
- `checkouts.csv`: a quoted Sierra-style loans export (`"RECORD #(ITEM)","OUT DATE","RECORD
  #(PATRON)","DUE DATE",...`) with US dates (`04-04-2016 16:29`) and `  -  -  ` for no date,
  naming its patrons by their record numbers (the mapping's `lookup:` finds their Primary IDs);
- every other table of the extract as a plain CSV file with legacy-looking headers, some codes
  recoded through `values:`.

What the legacy files cannot carry, so the import does not give it back:
- the extract's original_id: its values are not unique (N00003 and P00003 are both L00003), so
  they cannot be the record numbers a lookup must find once; the patron record number
  (`RECORD #(PATRON)`) is imported as original_id instead;
- the loan of a patron the extract does not hold (LN009002, patron L-GONE-01): a patron record
  number that names no patron is refused by the import (`matches no original_id of patrons`),
  so that loan is left out of the export;
The loans' times are written without seconds (`%H:%M`): the sample's seconds are all zero, so
the times come back exactly; a time with seconds is refused here rather than written wrongly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.inputs.tables import TABLES
from simulator.inputs.writing import key_order

FOLDER = "legacy"
MAPPING = "mapping.yaml"
US_DATE = "%m-%d-%Y %H:%M"
NO_DATE = "  -  -  "  # what a Sierra export writes for an empty date
Row = Mapping[str, object]
Rows = list[dict[str, object]]


@dataclass(frozen=True)
class Export:
    """One legacy file: the table it fills, how it is written, and its columns in the file's
    order as (source header, snapshot column), the column None for a header not imported."""

    table: str
    file: str
    columns: tuple[tuple[str, str | None], ...]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # code -> value
    lookups: Mapping[str, str] = field(default_factory=dict)  # column -> table.column
    dates: tuple[str, ...] = ()
    delimiter: str = ","
    encoding: str = "utf-8"
    quote_all: bool = False
    newline: str = "\n"
    comment: str = ""

    @property
    def mapped(self) -> dict[str, str]:
        """Snapshot column -> source header, in the snapshot format's order."""
        headers = {column: header for header, column in self.columns if column}
        return {c: headers[c] for c in TABLES[self.table].column_names if c in headers}


# Sierra's patron types are numbers; the extract's user groups are Alma's codes.
P_TYPES = {"0": "UNDERGRAD", "1": "GRAD", "2": "FACULTY", "5": "ALUMNI", "10": "STAFF"}
# Spellings of the sample's names as the legacy system holds them (all Latin-1 characters).
ACCENTED = {"Fatima": "Fátima", "Goran": "Göran", "Ines": "Inês", "Jonas": "Jónas",
            "Garcia": "García"}

PATRONS = Export(
    "patrons", "patrons.txt",
    (("RECORD #(PATRON)", "original_id"), ("P TYPE", "user_group"), ("P BARCODE", "primary_id"),
     ("PATRN NAME", None), ("EMAIL ADDR", "email"), ("LOGIN", "username")),
    values={"user_group": P_TYPES}, delimiter="|", encoding="latin-1", newline="\r\n",
    comment="Pipe-delimited Latin-1; the record number is the patron's original_id.")
LOANS = Export(
    "loans", "checkouts.csv",
    (("RECORD #(ITEM)", None), ("OUT DATE", "loan_date"), ("RECORD #(PATRON)", "primary_id"),
     ("DUE DATE", "due_date"), ("ITEM BARCODE", "item_barcode"), ("LOAN ID", "loan_id"),
     ("RETURN DATE", "returned_at")),
    lookups={"primary_id": "patrons.original_id"},
    dates=("loan_date", "due_date", "returned_at"), quote_all=True, newline="\r\n",
    comment="A Sierra checkouts export: each loan's patron by record number.")
PLAIN = (
    Export("items", "items.csv",
           (("BARCODE", "barcode"), ("BRANCH", "library_code"), ("LOCATION", "location_code"),
            ("STATUS", "status"), ("TOT CHKOUT", "loan_count")),
           values={"status": {"-": "IN_PLACE", "o": "ON_LOAN", "m": "MISSING"}}),
    Export("requests", "holds.csv",
           (("HOLD ID", "request_id"), ("HOLD TYPE", "request_type"), ("HOLD STATUS", "status"),
            ("ITEM BARCODE", "item_barcode"), ("P BARCODE", "primary_id")),
           values={"status": {"0": "NOT_STARTED", "i": "ON_HOLD_SHELF", "a": "ACTIVE"}}),
    Export("vendors", "vendors.csv", (("VENDOR CODE", "code"), ("VENDOR NAME", "name"),
                                      ("STATUS", "status"), ("EMAIL", "email"))),
    Export("funds", "funds.csv", (("FUND CODE", "fund_code"), ("FUND NAME", "name"),
                                  ("FUND TYPE", "fund_type"), ("FISCAL YEAR", "fiscal_period"),
                                  ("STATUS", "status"))),
    Export("fund_transactions", "transactions.csv",
           (("TRANS ID", "transaction_id"), ("FUND CODE", "fund_code"),
            ("TRANS TYPE", "transaction_type"), ("AMOUNT", "amount"))),
    Export("orders", "orders.csv", (("ORDER NO", "order_id"), ("VENDOR CODE", "vendor_code"),
                                    ("FUND CODE", "fund_code"))),
    Export("invoices", "invoices.csv", (("INVOICE NO", "invoice_id"),
                                        ("VENDOR CODE", "vendor_code"))),
    Export("courses", "courses.csv", (("COURSE CODE", "course_code"), ("COURSE NAME", "name"),
                                      ("DEPARTMENT", "academic_department"))),
    Export("course_instructors", "instructors.csv",
           (("COURSE CODE", "course_code"), ("INSTRUCTOR ID", "instructor_primary_id"))),
    Export("libraries", "branches.csv", (("BRANCH CODE", "code"), ("BRANCH NAME", "name"))),
    Export("locations", "locations.csv", (("BRANCH", "library_code"), ("LOCATION", "code"),
                                          ("LOCATION NAME", "name"))),
    Export("code_tables", "codes.csv", (("CODE TABLE", "table_name"), ("CODE", "code"),
                                        ("DESCRIPTION", "description"), ("ENABLED", "enabled")),
           values={"enabled": {"Y": "true", "N": "false"}}),
    Export("rs_partners", "partners.csv", (("PARTNER CODE", "code"), ("PARTNER NAME", "name"),
                                           ("STATUS", "status"), ("EMAIL", "email"))),
)
EXPORTS = (PATRONS, LOANS, *PLAIN)


def files(extract: Mapping[str, Rows]) -> dict[str, str | bytes]:
    """Relative path (under FOLDER) -> content of every legacy file and the mapping, from the
    sample's extract tables; a file in another encoding than UTF-8 is bytes."""
    patrons = ordered("patrons", extract.get("patrons", []))
    numbers = {str(p["primary_id"]): record_number("p", i) for i, p in enumerate(patrons, 1)}
    out = {PATRONS.file: write(PATRONS, [patron_line(p, numbers) for p in patrons]),
           LOANS.file: write(LOANS, loan_lines(extract, numbers))}
    for export in PLAIN:
        rows = ordered(export.table, extract.get(export.table, []))
        out[export.file] = write(export, [encoded(export, row) for row in rows])
    out[MAPPING] = mapping_text()
    return {f"{FOLDER}/{path}": content for path, content in sorted(out.items())}


def ordered(table: str, rows: Iterable[Row]) -> list[Row]:
    """The rows in the order the extract's CSV file holds them."""
    return sorted(rows, key=key_order(table))


def record_number(kind: str, n: int) -> str:
    """A Sierra record number: the record type's letter, seven digits and the check digit
    (the digits weighted 2, 3, 4... from the right, modulo 11; 10 is written x)."""
    digits = f"{1_000_000 + n:07d}"
    check = sum(int(d) * w for w, d in enumerate(reversed(digits), start=2)) % 11
    return f"{kind}{digits}{'x' if check == 10 else check}"


def text(value: object) -> str:
    return "" if value is None else str(value)


def code(export: Export, column: str, value: str) -> str:
    """The legacy code of a snapshot value of a recoded column."""
    codes = {v: c for c, v in export.values[column].items()}
    if value and value not in codes:
        raise ValueError(f"{export.table}.{column}: no legacy code for {value!r}")
    return codes.get(value, "")


def us_date(value: str) -> str:
    """An ISO timestamp as the export writes it (`04-04-2016 16:29`), or NO_DATE."""
    if not value:
        return NO_DATE
    when = dt.datetime.fromisoformat(value)
    if when.second or when.microsecond:
        raise ValueError(f"{value}: the export's dates have no seconds")
    return when.strftime(US_DATE)


def encoded(export: Export, row: Row, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Source header -> the row's value as the file writes it; `given` holds the values of the
    headers that are not one snapshot value (record numbers, names)."""
    out = dict(given or {})
    for header, column in export.columns:
        if header in out or column is None:
            continue
        value = text(row.get(column))
        if column in export.values:
            value = code(export, column, value)
        elif column in export.dates:
            value = us_date(value)
        out[header] = value
    return out


def patron_line(row: Row, numbers: Mapping[str, str]) -> dict[str, str]:
    pid = str(row["primary_id"])
    return encoded(PATRONS, row, {"RECORD #(PATRON)": numbers[pid], "PATRN NAME": name(row)})


def name(row: Row) -> str:
    """`Last, First` from the patron's address (`ines.garcia5@...`), as the legacy system
    spells it."""
    local = text(row.get("email")).split("@")[0]
    first, _, last = local.partition(".")
    first, last = first.title(), last.rstrip("0123456789").title()
    return f"{ACCENTED.get(last, last)}, {ACCENTED.get(first, first)}"


def loan_lines(extract: Mapping[str, Rows], patrons: Mapping[str, str]) -> list[dict[str, str]]:
    """The loans of patrons the export holds, each naming its patron and item by record
    number (items the extract does not hold are numbered after the others)."""
    items = [str(i["barcode"]) for i in ordered("items", extract.get("items", []))]
    loans = ordered("loans", extract.get("loans", []))
    numbers = {b: record_number("i", n) for n, b in enumerate(dict.fromkeys(
        items + [str(loan["item_barcode"]) for loan in loans]), 1)}
    return [encoded(LOANS, loan, {"RECORD #(ITEM)": numbers[str(loan["item_barcode"])],
                                  "RECORD #(PATRON)": patrons[str(loan["primary_id"])]})
            for loan in loans if str(loan["primary_id"]) in patrons]


def write(export: Export, lines: list[dict[str, str]]) -> str | bytes:
    """The file: a header, then one line per row; bytes in the export's encoding."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=export.delimiter, lineterminator=export.newline,
                        quoting=csv.QUOTE_ALL if export.quote_all else csv.QUOTE_MINIMAL)
    headers = [header for header, _ in export.columns]
    writer.writerow(headers)
    writer.writerows([line[h] for h in headers] for line in lines)
    content = buf.getvalue()
    return content if export.encoding == "utf-8" else content.encode(export.encoding)


# --- the mapping file --------------------------------------------------------------------------

HEADER = """\
# Northfield University (fictional): how `cutover snapshot import flat` reads the legacy files
# of this folder into the extract snapshot (docs/legacy-files.md); `make demo` runs
#   cutover snapshot import flat sample_data/legacy --mapping sample_data/legacy/mapping.yaml \\
#                                --stage extract --institution NFU --out runs/demo-legacy/extract
format_version: 1
tables:
"""


def quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's, for these ASCII texts)."""
    return json.dumps(value)


def mapping_text() -> str:
    return HEADER + "".join(table_text(export) for export in EXPORTS)


def table_text(export: Export) -> str:
    lines = [f"  # {export.comment}"] if export.comment else []
    lines += [f"  {export.table}:", f"    file: {export.file}"]
    if export.delimiter != ",":
        lines.append(f"    delimiter: {quoted(export.delimiter)}")
    if export.encoding != "utf-8":
        lines.append(f"    encoding: {export.encoding}")
    lines.append("    columns:")
    for column, header in export.mapped.items():
        lookup = export.lookups.get(column)
        lines.append(f"      {column}: " + (f"{{column: {quoted(header)}, lookup: {lookup}}}"
                                             if lookup else quoted(header)))
    lines += section("values", export.values, lambda codes: "{" + ", ".join(
        f"{quoted(c)}: {quoted(v)}" for c, v in codes.items()) + "}")
    lines += section("dates", dict.fromkeys(export.dates, US_DATE), quoted)
    if export.dates:
        lines.append(f"    empty: [{quoted(NO_DATE)}]")
    return "\n".join(lines) + "\n"


def section(key: str, entries: Mapping[str, object],
            show: Callable[[Any], str]) -> list[str]:
    if not entries:
        return []
    return [f"    {key}:", *(f"      {column}: {show(v)}" for column, v in entries.items())]
