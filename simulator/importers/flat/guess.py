"""Guesses for a starting mapping (`cutover snapshot mapping-template`): what a legacy file holds
is read from its name, its headers and a sample of its values. Every guess is only a start; the
analyst checks it."""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator import db
from simulator.inputs.tables import TABLES, Table

SAMPLE_ROWS = 1000
SAMPLE_BYTES = 1 << 16
SIMILAR = 0.8  # the least similarity of a header to a column name that counts as a guess

# Words legacy systems use in file names, for each extract-side table.
TABLE_WORDS = {
    "patrons": ("patron", "patrons", "user", "users", "borrower", "borrowers"),
    "loans": ("loan", "loans", "checkout", "checkouts", "charge", "charges", "circ"),
    "requests": ("request", "requests", "hold", "holds"),
    "items": ("item", "items"),
    "vendors": ("vendor", "vendors"),
    "funds": ("fund", "funds"),
    "fund_transactions": ("fund transactions", "transactions"),
    "orders": ("order", "orders"),
    "invoices": ("invoice", "invoices"),
    "courses": ("course", "courses"),
    "course_instructors": ("course instructors", "instructors"),
    "libraries": ("library", "libraries", "branches"),
    "locations": ("location", "locations"),
    "code_tables": ("code tables", "codes"),
    "rs_partners": ("rs partners", "partners"),
}
# Headers of legacy exports (Sierra, Symphony, Aleph) for some columns, beside their own names.
COLUMN_WORDS = {
    "primary_id": ("p barcode", "patron barcode", "user id", "univ id", "patron id"),
    "original_id": ("record patron", "patron record", "record number"),
    "user_group": ("p type", "ptype", "patron type", "user profile", "profile"),
    "email": ("email addr", "email address", "e mail"),
    "username": ("login", "user name"),
    "loan_id": ("record item", "item record"),
    "item_barcode": ("barcode", "item barcode", "item id"),
    "barcode": ("item barcode", "item id"),
    "loan_date": ("out date", "checkout date", "charge date", "date charged"),
    "due_date": ("due date", "date due"),
    "returned_at": ("return date", "checkin date", "chkin date", "date returned",
                    "date discharged"),
    "library_code": ("library", "branch"),
    "location_code": ("location",),
    "loan_count": ("tot chkout", "total checkouts"),
    "table_name": ("code table",),
    "academic_department": ("department", "dept"),
    "fiscal_period": ("fiscal year",),
    "instructor_primary_id": ("instructor id",),
    "transaction_id": ("trans id",),
    "transaction_type": ("trans type",),
}
# Words of headers that mean "identifier" ("ORDER NO" is the order's id).
ID_WORDS = {"no": "id", "nr": "id", "num": "id", "number": "id"}
# How much a guess counts: a header that is the column's own name, one of COLUMN_WORDS, or only
# like one of them (times how like), the words naming the table left out of both ("HOLD STATUS"
# in a holds file is a request's status; "PATRON NOTE" is not a "PATRON TYPE").
OWN, ALIAS, LIKE = 1.0, 0.99, 0.95

# What the snapshot format reads as a date without a format (DuckDB alone takes 04-04-16 too).
ISO = re.compile(r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?")
# Date formats tried in order: US month first, as Sierra writes it (04-04-2016 16:29); a
# two-digit year before a four-digit one, since strptime's %Y reads "16" as the year 16. A
# year first has four digits (16/12/28 could be any order).
DAYS = ("%m-%d-{y}", "%m/%d/{y}", "%d-%m-{y}", "%d/%m/{y}", "%d.%m.{y}", "%Y/%m/%d", "%Y%m%d",
        "%d-%b-{y}", "%d %b {y}")
DATE_FORMATS = tuple(dict.fromkeys(
    f"{day.format(y=year)}{time}" for day in DAYS for year in ("%y", "%Y")
    for time in ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S", " %I:%M %p", " %I:%M:%S %p")))


@dataclass
class FileGuess:
    """What a file looks like: how it is written, its header and a sample of its rows."""

    path: Path
    delimiter: str = ","
    encoding: str = "utf-8"
    encoding_note: str = ""
    header: tuple[str, ...] = ()
    sample: list[list[str]] = field(default_factory=list)
    problem: str = ""

    def values(self, header: str) -> list[str]:
        i = self.header.index(header)
        return [row[i] for row in self.sample if i < len(row)]

    def with_digits(self, header: str, most: int = SAMPLE_ROWS) -> list[str]:
        """Values of `header` holding a digit, read from the whole file until `most` are
        found: a column empty in the sample (returns, in a loans export) may hold dates
        further on."""
        i, found = self.header.index(header), []
        with self.path.open(encoding=self.encoding, errors="replace", newline="") as f:
            rows = csv.reader(f, delimiter=self.delimiter)
            next(rows, None)
            try:
                for row in rows:
                    if i < len(row) and re.search(r"\d", row[i]):
                        found.append(row[i])
                        if len(found) >= most:
                            break
            except csv.Error:
                pass  # the import reports the file's problems, located
        return found


def read_file(path: Path) -> FileGuess:
    """The file's encoding (UTF-8, else Latin-1), delimiter (sniffed), header and sample."""
    guess = FileGuess(path)
    bad = first_non_utf8(path)
    if bad is not None:
        line, byte = bad
        windows = first_windows_byte(path)
        guess.encoding = "latin-1" if windows is None else "cp1252"
        why = f"byte 0x{byte:02X} on line {line}"
        if windows is not None:
            why += (", a Windows-1252 character" if windows == bad else f"; byte "
                    f"0x{windows[1]:02X} on line {windows[0]} is a Windows-1252 character")
        how = "Latin-1" if windows is None else "Windows-1252"
        guess.encoding_note = f"not UTF-8 ({why}): read as {how}; check"
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    text = head.decode("utf-8-sig" if bad is None else guess.encoding, errors="replace")
    if not text.strip():
        guess.problem = "empty file"
        return guess
    try:
        guess.delimiter = csv.Sniffer().sniff(text, delimiters=",|\t;").delimiter
    except csv.Error:
        guess.delimiter = ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=guess.delimiter)
    try:
        guess.header = tuple(h.strip() for h in next(rows))
        for row in rows:
            if len(guess.sample) >= SAMPLE_ROWS:
                break
            guess.sample.append(row)
    except csv.Error as e:
        guess.problem = f"cannot read as CSV: {e}"
    if len(head) == SAMPLE_BYTES and guess.sample:
        guess.sample.pop()  # may be cut in the middle
    return guess


def first_windows_byte(path: Path) -> tuple[int, int] | None:
    """The line and value of the first byte 0x80-0x9F of a file that is not UTF-8, when
    Windows-1252 reads it as a character (Latin-1 as a control character)."""
    line = 1
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            if (m := _C1_BYTE.search(chunk)) is not None:
                byte = chunk[m.start()]
                return (line + chunk.count(b"\n", 0, m.start()), byte) \
                    if byte not in _NOT_CP1252 else None
            line += chunk.count(b"\n")
    return None


_C1_BYTE = re.compile(b"[\x80-\x9f]")
_NOT_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def is_ascii(path: Path) -> bool:
    with path.open("rb") as f:
        return not any(_NOT_ASCII.search(chunk) for chunk in iter(lambda: f.read(1 << 20), b""))


_NOT_ASCII = re.compile(b"[\x80-\xff]")


def first_non_utf8(path: Path) -> tuple[int, int] | None:
    """The line and value of the first byte that is not UTF-8, read a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                return line + chunk[:e.start].count(b"\n"), chunk[e.start]
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line, 0
    return None


def _words(text: str) -> str:
    return " ".join(ID_WORDS.get(w, w) for w in re.findall(r"[a-z0-9]+", text.lower()))


def guess_table(path: Path, taken: set[str]) -> str | None:
    """The extract-side table a file's name suggests (not one already taken)."""
    words = f" {_words(path.stem)} "
    for table, names in TABLE_WORDS.items():
        if table not in taken and any(f" {name} " in words for name in names):
            return table
    return None


def _table_words(table: str) -> set[str]:
    """The words naming `table` in headers, singular and plural ("hold", "holds")."""
    words = {w for name in TABLE_WORDS.get(table, ()) for w in name.split()}
    return words | {w[:-1] for w in words if w.endswith("s")} | {
        w[:-2] for w in words if w.endswith("es")}


def _without(words: str, table_words: set[str]) -> str:
    """`words` less those naming the table; what names nothing but the table is its code
    ("LOCATION" in a locations file)."""
    return " ".join(w for w in words.split() if w not in table_words) or "code"


def _similarity(header: str, column: str, table: str) -> float:
    mine = _words(header)
    names = [_words(column.replace("_", " ")), *(_words(a) for a in COLUMN_WORDS.get(column, ()))]
    if mine in names:
        return OWN if mine == names[0] else ALIAS
    table_words = _table_words(table)
    pairs = [(_without(mine, table_words), _without(name, table_words)) for name in names]
    if not table_words & set(mine.split()):  # as written, when no word of it names the table
        pairs += [(mine, name) for name in names]
    return LIKE * max(difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs)


def guess_columns(table: Table, header: tuple[str, ...]) -> dict[str, str]:
    """Snapshot column -> header, the most similar pairs first, each used once."""
    pairs = sorted(((_similarity(h, c.name, table.name), i, h, c.name)
                    for i, h in enumerate(header) for c in table.columns),
                   key=lambda p: (-p[0], p[1]))
    out: dict[str, str] = {}
    used: set[str] = set()
    for score, _, h, name in pairs:
        if score >= SIMILAR and name not in out and h not in used:
            out[name] = h
            used.add(h)
    return {c: out[c] for c in table.column_names if c in out}


def guess_lookup(table: Table, column: str, header: tuple[str, ...],
                 others: dict[str, dict[str, str]]) -> tuple[str, str] | None:
    """(header, table.column) when a header of this file is what another file's table maps to
    a column, and that table's key is what `column` holds (loans' RECORD #(PATRON) is patrons'
    original_id, and patrons' key is primary_id)."""
    for other, columns in others.items():
        key = TABLES[other].key
        if other == table.name or len(key) != 1 or not column.endswith(key[0]):
            continue
        for name, their_header in columns.items():
            if name != key[0] and their_header in header:
                return their_header, f"{other}.{name}"
    return None


@dataclass(frozen=True)
class DateGuess:
    """`format`: the strptime format every sampled date fits ("" when they are ISO already,
    None when no format fits); `empty`: values without a digit, placeholders of "no date"."""

    format: str | None
    example: str
    empty: tuple[str, ...]


def guess_date(con: db.Connection, values: list[str]) -> DateGuess:
    """The first of DATE_FORMATS that every sampled date fits, in one query."""
    empty = tuple(sorted({v for v in values if v and not re.search(r"\d", v)}))
    dates = [v for v in values if v and v not in empty]
    if not dates:
        return DateGuess("", "", empty)
    counts = ", ".join(f"count(try_strptime(v, $f{i}))" for i in range(len(DATE_FORMATS)))
    params: dict[str, object] = {f"f{i}": f for i, f in enumerate(DATE_FORMATS)}
    row = con.rows(f"select count(try_cast(v as timestamp)), {counts} from unnest($v) t(v)",
                   {**params, "v": dates})[0]
    if row[0] == len(dates) and all(ISO.fullmatch(v.strip()) for v in dates):
        return DateGuess("", dates[0], empty)
    fits = [fmt for fmt, n in zip(DATE_FORMATS, row[1:], strict=True) if n == len(dates)]
    return DateGuess(fits[0] if fits else None, dates[0], empty)
