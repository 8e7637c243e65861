"""The offline circulation file (docs/offline-circ.md, "The file"): one transaction a line, in
fixed columns: the date and time `YYYYMMDDhhmm` (columns 1-12, local time), `L` or `R` (column
13), the item barcode (from column 14; on a loan padded with spaces to 80 characters), then on a
loan the patron (from column 94).

The vendor's own printed example carries a 13-digit date, so a date is never guessed from a run
of digits of another length: such a line is reported with its columns, as is every other line
that does not fit. `parse` reads any bytes without raising; `line_text` writes one transaction,
and the two are inverses (tests/test_offline_circ_format.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

DATE_WIDTH = 12
TYPE_COLUMN = 13
BARCODE_WIDTH = 80
PATRON_COLUMN = DATE_WIDTH + 1 + BARCODE_WIDTH + 1  # 94
KINDS = {"L": "loan", "R": "return"}
_DIGITS = re.compile(r"[0-9]*")
# What a line holds besides text: control characters (a tab, a carriage return inside a line,
# NUL), line and paragraph separators, and the byte order mark (zero-width no-break space).
_NOT_TEXT_CATEGORIES = ("Cc", "Zl", "Zp")
_BOM = "\ufeff"
SHOWN = 30  # characters of a wrong value quoted in a message


@dataclass(frozen=True)
class Transaction:
    """One well-formed line: `patron` is empty on a return that names none."""

    line: int
    at: dt.datetime
    kind: str  # L | R
    barcode: str
    patron: str


@dataclass(frozen=True)
class LineError:
    """A malformed line: the 1-based columns `start`-`end` it concerns and what was expected."""

    line: int
    start: int
    end: int
    message: str

    @property
    def columns(self) -> str:
        return f"column {self.start}" if self.start == self.end else \
            f"columns {self.start}-{self.end}"

    def __str__(self) -> str:
        return f"{self.columns}: {self.message}"


@dataclass
class Parsed:
    """Every line of a file, in order: a Transaction or a LineError each."""

    lines: list[Transaction | LineError]

    @property
    def transactions(self) -> list[Transaction]:
        return [x for x in self.lines if isinstance(x, Transaction)]

    @property
    def errors(self) -> list[LineError]:
        return [x for x in self.lines if isinstance(x, LineError)]


def parse(data: bytes) -> Parsed:
    """Every line of the file's bytes; LF or CRLF line ends, a last line without one too."""
    if not data:
        return Parsed([])
    chunks = data.split(b"\n")
    if chunks[-1] == b"":
        chunks.pop()
    return Parsed([_chunk(chunk, n) for n, chunk in enumerate(chunks, 1)])


def _chunk(raw: bytes, n: int) -> Transaction | LineError:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        column = len(raw[:e.start].decode("utf-8", errors="replace")) + 1
        return LineError(n, column, column, f"byte 0x{raw[e.start]:02X} is not UTF-8 text (the "
                                            "file is read as UTF-8, of which ASCII is a part)")
    return parse_line(text, n)


def parse_line(s: str, n: int = 1) -> Transaction | LineError:
    """One line, without its line end."""
    if not s:
        return LineError(n, 1, 1, "an empty line; expected a transaction (YYYYMMDDhhmm, L or R, "
                                  "the item barcode)")
    bad = _non_text(s, n)
    if bad is not None:
        return bad
    digits = len(_DIGITS.match(s).group())  # type: ignore[union-attr]
    if digits != DATE_WIDTH:
        return _bad_date(s, n, digits)
    at = _when(s[:DATE_WIDTH], n)
    if isinstance(at, LineError):
        return at
    if len(s) == DATE_WIDTH:
        return LineError(n, TYPE_COLUMN, TYPE_COLUMN, "the line ends after the date; expected L "
                                                      "(loan) or R (return), then the barcode")
    kind = s[DATE_WIDTH]
    if kind not in KINDS:
        return LineError(n, TYPE_COLUMN, TYPE_COLUMN,
                         f"unknown transaction type {_shown(kind)}; expected L (loan) or R "
                         "(return)")
    return _loan(s, n, at) if kind == "L" else _return(s, n, at)


def not_text(ch: str) -> bool:
    """A character no field of the file may hold (the writer refuses the same ones)."""
    return ch == _BOM or unicodedata.category(ch) in _NOT_TEXT_CATEGORIES


def _non_text(s: str, n: int) -> LineError | None:
    if s.isprintable() and s.isascii():
        return None  # the common case, at a glance
    for i, ch in enumerate(s, 1):
        if ch == "\t":
            return LineError(n, i, i, "a tab: the file has fixed columns padded with spaces")
        if not_text(ch):
            what = "a byte order mark" if ch == _BOM else f"the control character U+{ord(ch):04X}"
            return LineError(n, i, i, f"{what}: a line holds text only")
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def _bad_date(s: str, n: int, digits: int) -> LineError:
    if digits > DATE_WIDTH:
        return LineError(n, 1, digits, f"a date and time of {digits} digits; expected exactly "
                                       f"{DATE_WIDTH} (YYYYMMDDhhmm), then L or R")
    end = min(max(len(s), 1), DATE_WIDTH)
    return LineError(n, 1, end, f"expected the date and time as {DATE_WIDTH} digits "
                                f"(YYYYMMDDhhmm), found {_shown(s[:DATE_WIDTH])}")


def _when(text: str, n: int) -> dt.datetime | LineError:
    """The 12 digits as a date and time, or the part that cannot be one."""
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    hour, minute = int(text[8:10]), int(text[10:12])
    if year == 0:
        return LineError(n, 1, 4, "impossible date: year 0000")
    if not 1 <= month <= 12:
        return LineError(n, 5, 6, f"impossible date: month {text[4:6]}")
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return LineError(n, 7, 8, f"impossible date: day {text[6:8]} of "
                                  f"{calendar.month_name[month]} {year}")
    if hour > 23:
        return LineError(n, 9, 10, f"impossible time: hour {text[8:10]}")
    if minute > 59:
        return LineError(n, 11, 12, f"impossible time: minute {text[10:12]}")
    return dt.datetime(year, month, day, hour, minute)


def _loan(s: str, n: int, at: dt.datetime) -> Transaction | LineError:
    start = TYPE_COLUMN  # index of column 14
    barcode = s[start:PATRON_COLUMN - 1].rstrip(" ")
    if not barcode:
        return LineError(n, start + 1, min(max(len(s), start + 1), PATRON_COLUMN - 1),
                         "missing item barcode: expected it from column 14")
    if barcode.startswith(" "):
        return LineError(n, start + 1, start + 1, "the item barcode must start at column 14, "
                                                  "found a space there")
    if " " in barcode:
        gap = start + barcode.index(" ") + 1
        if len(s) < PATRON_COLUMN:
            return LineError(n, gap, len(s), "the loan line ends at column "
                             f"{len(s)}: pad the barcode with spaces to 80 characters, so the "
                             "patron starts at column 94")
        return LineError(n, gap, gap, f"a space inside the item barcode {_shown(barcode)}: a "
                                      "barcode holds no spaces")
    patron = s[PATRON_COLUMN - 1:].rstrip(" ")
    if not patron:
        return LineError(n, min(len(s) + 1, PATRON_COLUMN), PATRON_COLUMN,
                         "missing patron on a loan: expected the patron's identifier (Primary "
                         "ID, user identifier or username) at column 94")
    if patron.startswith(" "):
        lead = len(patron) - len(patron.lstrip(" "))
        return LineError(n, PATRON_COLUMN, PATRON_COLUMN + lead - 1,
                         "the patron must start at column 94, found spaces there (the barcode "
                         "padded past 80 characters?)")
    return Transaction(n, at, "L", barcode, patron)


def _return(s: str, n: int, at: dt.datetime) -> Transaction | LineError:
    start = TYPE_COLUMN
    rest = s[start:]
    if not rest.strip(" "):
        return LineError(n, start + 1, max(len(s), start + 1),
                         "missing item barcode: expected it from column 14")
    if rest.startswith(" "):
        return LineError(n, start + 1, start + 1, "the item barcode must start at column 14, "
                                                  "found a space there")
    barcode = rest.split(" ", 1)[0]
    end = start + len(barcode)
    if len(barcode) > BARCODE_WIDTH:
        return LineError(n, start + 1, end, f"an item barcode of {len(barcode)} characters; "
                                            f"at most {BARCODE_WIDTH} fit (columns 14-93)")
    tail = s[end:].rstrip(" ")
    if not tail:
        return Transaction(n, at, "R", barcode, "")
    first = end + len(tail) - len(tail.lstrip(" "))
    if first == PATRON_COLUMN - 1:
        return Transaction(n, at, "R", barcode, s[first:].rstrip(" "))
    return LineError(n, first + 1, len(tail) + end,
                     f"unexpected text {_shown(tail.strip(' '))} after the return's barcode: a "
                     "return ends after the barcode (a patron, if any, starts at column 94)")


def stamp(at: dt.datetime) -> str:
    """The 12 characters of a date and time (any year of four digits)."""
    return f"{at.year:04d}{at.month:02d}{at.day:02d}{at.hour:02d}{at.minute:02d}"


def line_text(at: dt.datetime, kind: str, barcode: str, patron: str = "") -> str:
    """One line (without its line end) for a transaction `unwritable` finds nothing wrong in.
    A return is written without its patron: Alma returns the item from whoever holds it."""
    if kind == "L":
        return f"{stamp(at)}L{barcode.ljust(BARCODE_WIDTH)}{patron}"
    return f"{stamp(at)}R{barcode}"


def unwritable(at: dt.datetime, kind: str, barcode: str, patron: str) -> list[tuple[str, str]]:
    """What of a transaction the file cannot hold, as (field, reason) pairs."""
    found: list[tuple[str, str]] = []
    if at.second or at.microsecond:
        found.append(("timestamp", "the file holds minutes: seconds cannot be written"))
    if at.tzinfo is not None:
        found.append(("timestamp", "the file holds local time: give it without a time zone"))
    if kind not in KINDS:
        found.append(("type", f"{_shown(kind)} is not L (loan) or R (return)"))
    found += [("barcode", why) for why in _field_problems(barcode, "barcode")]
    if not barcode:
        found.append(("barcode", "an item barcode is required"))
    elif " " in barcode:
        found.append(("barcode", "a barcode holds no spaces"))
    elif len(barcode) > BARCODE_WIDTH:
        found.append(("barcode", f"{len(barcode)} characters; at most {BARCODE_WIDTH} fit"))
    if kind == "L":
        found += [("patron", why) for why in _field_problems(patron, "patron")]
        if not patron:
            found.append(("patron", "a loan needs the patron's identifier"))
        elif patron != patron.strip(" "):
            found.append(("patron", "leading or trailing spaces would be lost"))
    return found


def _field_problems(value: str, name: str) -> list[str]:
    bad = next((ch for ch in value if ch == "\t" or not_text(ch)), None)
    return [] if bad is None else [f"the {name} holds U+{ord(bad):04X}, which is not text"]
