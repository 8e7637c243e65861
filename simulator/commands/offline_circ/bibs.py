"""The temporary ILL bibs (docs/offline-circ.md, "Temporary ILL bibs"): bibliographic records
made in the legacy system after the technical freeze for items borrowed through ILL, loaded into
Alma with an inventory import profile before the ILL file. Each record needs a title (245) and,
for each of its items, the barcode and the location in the fields the scenario names
(`ill_bibs:`).

Read with pymarc, as MARC 21 binary (ISO 2709) or MARC XML. An XML file with a document type
declaration is refused before parsing, so no entity is expanded and nothing else is read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Loc, Problem, UserError, display_path
from simulator.inputs.scenario import MARC_SUBFIELD

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


@dataclass
class Item:
    barcode: str
    location: str


@dataclass
class Record:
    """One record of the file (1-based `number`) and what is wrong with it."""

    number: int
    title: str = ""
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Bibs:
    path: Path
    format: str  # MARC XML | MARC 21 binary
    records: list[Record]

    @property
    def shown(self) -> str:
        return display_path(self.path)

    def barcodes(self) -> dict[str, Record]:
        """Each item barcode and the first record that holds it."""
        out: dict[str, Record] = {}
        for record in self.records:
            for item in record.items:
                out.setdefault(item.barcode, record)
        return out


def read(path: Path, fields: dict[str, str]) -> Bibs:
    """Every record of the file, checked on its own (`check_against` adds what needs Alma's
    items); a file that cannot be read as MARC at all is bad input."""
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(Problem(Loc(shown), f"--ill-bibs: cannot read it: {e.strerror or e}")) \
            from None
    if data.lstrip()[:1] == b"<":
        kind, raw = "MARC XML", _xml_records(data, shown)
    else:
        kind, raw = "MARC 21 binary", _binary_records(data)
    barcode, location = (MARC_SUBFIELD.fullmatch(fields[k]) for k in ("barcode", "location"))
    assert barcode is not None and location is not None  # checked when the scenario was read
    records = [_record(n, rec, error, (barcode["tag"], barcode["code"]),
                       (location["tag"], location["code"]), fields)
               for n, (rec, error) in enumerate(raw, 1)]
    _repeated(records)
    return Bibs(path, kind, records)


def _xml_records(data: bytes, shown: str) -> list[tuple[Any, str | None]]:
    import xml.sax

    import pymarc

    if _DOCTYPE.search(data):
        raise UserError(Problem(Loc(shown), "--ill-bibs: a document type or entity declaration "
                                            "is not accepted in MARC XML"))
    try:
        records = pymarc.parse_xml_to_array(io.BytesIO(data))
    except xml.sax.SAXParseException as e:
        raise UserError(Problem(Loc(shown, e.getLineNumber() or 0, (e.getColumnNumber() or 0)
                                    + 1), f"--ill-bibs: not well-formed XML: {e.getMessage()}")
                        ) from None
    except Exception as e:  # pymarc's handler meets an element without its attributes
        raise UserError(Problem(Loc(shown), f"--ill-bibs: not MARC XML ({type(e).__name__}: "
                                            f"{e})")) from None
    return [(r, None) for r in records]


def _binary_records(data: bytes) -> list[tuple[Any, str | None]]:
    import pymarc

    reader = pymarc.MARCReader(data, to_unicode=True, permissive=True)
    out: list[tuple[Any, str | None]] = []
    for record in reader:
        if record is None:
            error = reader.current_exception
            out.append((None, f"not a readable MARC record ({type(error).__name__}: {error})"))
        else:
            out.append((record, None))
    return out


def _record(n: int, rec: Any, error: str | None, barcode: tuple[str, str],
            location: tuple[str, str], fields: dict[str, str]) -> Record:
    record = Record(n)
    if rec is None:
        record.problems.append(error or "not a readable MARC record")
        return record
    titles = [t.strip() for f in rec.get_fields("245") for t in f.get_subfields("a") if t.strip()]
    record.title = titles[0] if titles else ""
    if not titles:
        record.problems.append("no title: field 245 with a $a is missing")
    shelf = [v.strip() for f in rec.get_fields(location[0]) for v in f.get_subfields(location[1])]
    for f in rec.get_fields(barcode[0]):
        here = ([v.strip() for v in f.get_subfields(location[1])] if location[0] == barcode[0]
                else shelf)
        for value in f.get_subfields(barcode[1]):
            if value.strip():
                record.items.append(Item(value.strip(), next((x for x in here if x), "")))
    if not record.items:
        record.problems.append(f"no item barcode in {fields['barcode']}")
    for item in record.items:
        if not item.location:
            record.problems.append(f"item {item.barcode} has no location in "
                                   f"{fields['location']}")
    return record


def _repeated(records: list[Record]) -> None:
    """A barcode in two records: the import would make two items with one barcode."""
    first: dict[str, int] = {}
    for record in records:
        for item in record.items:
            if item.barcode in first and first[item.barcode] != record.number:
                record.problems.append(f"item {item.barcode} is also in record "
                                       f"{first[item.barcode]}")
            first.setdefault(item.barcode, record.number)


def check_against(bibs: Bibs, in_alma: set[str]) -> None:
    """Items whose barcode Alma already has: an import of new records only would add a second
    item with that barcode."""
    for record in bibs.records:
        for item in record.items:
            if item.barcode in in_alma:
                record.problems.append(f"item {item.barcode} is already an item in the "
                                       "snapshot: the import of new records would add it again")
