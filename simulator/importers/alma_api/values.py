"""Alma's values as snapshot values (docs/alma-api.md, "Values"): coded fields, text, dates and
timestamps, booleans and amounts. Each conversion takes a Node and the file it is in and gives
the snapshot's text (None: an empty column) or the problem, located by file and JSON path."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from simulator.errors import Loc, Problem
from simulator.importers.alma_api.shape import Node, kind


@dataclass(frozen=True)
class Converted:
    value: str | None
    path: str  # where the value is (a coded field's `.value`), for later problems too
    problem: Problem | None = None


def _bad(node: Node, file: str, message: str, path: str | None = None) -> Converted:
    where = path or node.path
    return Converted(None, where, Problem(Loc(file), f"{where}: {message}"))


def text(node: Node, file: str) -> Converted:
    """Text, or a coded field `{"value", "desc"}` read by its value (`desc` is never read): a
    null or missing value is empty; a whole number becomes its digits."""
    value, path = node.value, node.path
    if isinstance(value, dict):
        value, path = value.get("value"), f"{node.path}.value"
    if value is None or isinstance(value, str):
        # One kind of line end, as a snapshot's CSV file must have (docs/formats/snapshots.md).
        return Converted(value.replace("\r\n", "\n").replace("\r", "\n") if value else None,
                         path)
    if isinstance(value, int) and not isinstance(value, bool):
        return Converted(str(value), path)
    return _bad(node, file, f"expected text or a code, not {kind(value)}", path)


_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_DATE_ONLY = re.compile(rf"{_DATE}Z?", re.ASCII)
_TIMESTAMP = re.compile(
    rf"{_DATE}T(\d{{2}}):(\d{{2}}):(\d{{2}})(\.\d{{1,9}})?(Z|[+-]\d{{2}}:\d{{2}})", re.ASCII)
DATE_FORMS = "a date (2026-03-02Z) or a timestamp (2026-03-02T10:00:00.000Z)"


def date(node: Node, file: str) -> Converted:
    """`2026-03-02Z` -> `2026-03-02`; `2026-03-02T10:00:00.000Z` -> `2026-03-02T10:00:00`, a
    time zone offset converted to UTC and a fraction of a second dropped."""
    got = text(node, file)
    if got.problem is not None or got.value is None:
        return got
    value = got.value
    try:
        if (m := _DATE_ONLY.fullmatch(value)) is not None:
            return Converted(dt.date(*map(int, m.groups())).isoformat(), got.path)
        if (m := _TIMESTAMP.fullmatch(value)) is not None:
            return Converted(_utc(m), got.path)
    except (ValueError, OverflowError):
        pass  # a day or time that does not exist (2026-02-30), or one before the year 1
    raw = node.value.get("value") if isinstance(node.value, dict) else node.value
    return _bad(node, file, f"{raw!r} is not {DATE_FORMS}", got.path)


def _utc(m: re.Match[str]) -> str:
    year, month, day, hour, minute, second = map(int, m.groups()[:6])
    zone = m.group(8)
    offset = dt.timedelta(0)
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError(f"no time zone is {zone}")
        offset = (1 if zone[0] == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
    moment = dt.datetime(year, month, day, hour, minute, second) - offset
    return moment.isoformat(timespec="seconds")


_BOOLEANS = {"true": "true", "false": "false", "": "false"}


def boolean(node: Node, file: str, default: bool | None = None) -> Converted:
    """true/false, also as the strings "true", "false" and "" (false); null or missing is
    `default` (None: an empty column)."""
    value = node.value
    if value is None:
        return Converted(None if default is None else str(default).lower(), node.path)
    if isinstance(value, bool):
        return Converted(str(value).lower(), node.path)
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return Converted(_BOOLEANS[value.strip().lower()], node.path)
    shown = repr(value) if isinstance(value, str) else kind(value)
    return _bad(node, file, f"{shown} is not true or false")


def amount(node: Node, file: str) -> Converted:
    """An amount: `{"sum": ..., "currency": ...}` read by its sum, or a plain number; a
    number written as text (XML) is read too."""
    value, path = node.value, node.path
    if isinstance(value, dict):
        value, path = value.get("sum"), f"{node.path}.sum"
    if value is None or value == "":
        return Converted(None, path)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return _bad(node, file, f"expected a number, not {kind(value)}", path)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        return _bad(node, file, f"{value!r} is not a number", path)
    return Converted(format(number, "f"), path)
