"""The shapes of Alma API response bodies (../shared/domain/alma-formats.md, section 1): coded
fields, dates, list pages and single objects, written as the sample's raw folder holds them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.inputs.tables import TABLES

Obj = dict[str, Any]
Rows = list[dict[str, object]]
# Alma's list endpoints return at most 100 records a page.
PAGE = 100
INSTITUTION_NAME = "Northfield University"


def text(row: Mapping[str, object], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value)


def ordered(tables: Mapping[str, Rows], table: str) -> Rows:
    """A table's rows in key order (as the sample's CSV files have them); none when absent."""
    key = TABLES[table].key
    return sorted(tables.get(table, []), key=lambda row: tuple(text(row, k) for k in key))


def grouped(rows: Iterable[Mapping[str, object]], column: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for row in rows:
        out.setdefault(text(row, column), []).append(row)
    return out


def words(code: str) -> str:
    """A description made from a code: `NOT_STARTED` -> `Not started`."""
    return code.replace("_", " ").capitalize()


def coded(value: str, desc: str | None = None) -> Obj:
    """A coded field; an empty value is null, as Alma writes an unset code."""
    if not value:
        return {"value": None, "desc": None}
    return {"value": value, "desc": words(value) if desc is None else desc}


def awkward(field: Obj, n: int) -> Obj:
    """The same coded field with its `desc` missing, null, empty or padded for some `n`
    (alma-formats.md section 6): the importer reads only `value`."""
    variant = n % 9
    out = dict(field)
    if variant == 1:
        out.pop("desc", None)
    elif variant == 3:
        out["desc"] = None
    elif variant == 5:
        out["desc"] = ""
    elif variant == 7 and out.get("desc"):
        out["desc"] = f" {out['desc']} "
    return out


def timestamp(value: str) -> str | None:
    """`2026-02-10T10:00:00` -> `2026-02-10T10:00:00.000Z` (UTC, milliseconds, as Alma writes
    a time); a date alone -> `2026-02-10Z`; empty -> None (the field is left out)."""
    if not value:
        return None
    if "T" not in value:
        return f"{value}Z"
    return f"{value}.000Z"


def day(value: str) -> str | None:
    """The date of a timestamp as Alma writes a date: `2026-02-10Z`."""
    return f"{value[:10]}Z" if value else None


def present(obj: Obj) -> Obj:
    """`obj` without the keys whose value is None (optional dates that are not set)."""
    return {k: v for k, v in obj.items() if v is not None}


def alma_id(kind: int, n: int) -> str:
    """An Alma-like internal id: digits ending in the institution's four-digit suffix."""
    return f"{kind}{n:09d}4561"


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def object_text(obj: Obj) -> str:
    """A single object (`GET /users/{id}`, a code table), indented."""
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def page_text(key: str, records: list[Obj], total: int) -> str:
    """One list page, one record a line; the list key is absent when the page is empty."""
    if not records:
        return dumps({"total_record_count": total}) + "\n"
    lines = ",\n".join("  " + dumps(record) for record in records)
    return f'{{"{key}": [\n{lines}\n], "total_record_count": {total}}}\n'


def pages(folder: str, key: str, records: list[Obj], empty_last: bool = False) -> dict[str, str]:
    """`folder/page-0001.json`...: pages of at most PAGE records, each with the whole count; one
    empty page when there are none, and one more after the last when `empty_last` (a pull that
    asked once more past the end)."""
    chunks = [records[i:i + PAGE] for i in range(0, len(records), PAGE)] or [[]]
    if empty_last:
        chunks.append([])
    return {f"{folder}/page-{n:04d}.json": page_text(key, chunk, len(records))
            for n, chunk in enumerate(chunks, 1)}


def one_list(path: str, key: str, records: list[Obj]) -> dict[str, str]:
    """An unpaged list (libraries, one library's locations, one fund's transactions...)."""
    return {path: page_text(key, records, len(records))}
