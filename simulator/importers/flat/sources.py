"""The legacy files a mapping names: found, converted to UTF-8 when written in another encoding
(streaming, into a temp file), their header read and checked against the mapping, the files of
a table delivered in several put together as one (each line still located in its own file),
and the messages about them worded for a mapping (`inputs/csverrors.py` finds the lines)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import Collector, Loc, Problem, display_path
from simulator.importers.flat.guess import first_windows_byte
from simulator.importers.flat.mapping import Mapping, TableMap
from simulator.inputs import csverrors
from simulator.inputs.csverrors import CsvFile, Words
from simulator.inputs.yamlsrc import suggest

CHUNK = 1 << 20
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Part:
    """One file of a table. Its line N is line N + `start` of the file DuckDB reads: a table in
    several files is read as one file, the first whole, each later one without its header."""

    path: Path
    start: int = 0


@dataclass(frozen=True)
class Source:
    """One table's legacy file or files: `read_path` is what DuckDB reads (the file itself, its
    UTF-8 copy, or the files as one); messages name the files as the user knows them."""

    table: TableMap
    parts: tuple[Part, ...]
    read_path: Path
    header: tuple[str, ...]

    @property
    def path(self) -> Path:
        return self.parts[0].path

    @property
    def shown(self) -> str:
        return ", ".join(display_path(p.path) for p in self.parts)

    def loc(self, line: int, col: int = 0) -> Loc:
        """Line `line` of the file DuckDB reads, in the file it comes from."""
        part = next(p for p in reversed(self.parts) if p is self.parts[0] or line > p.start + 1)
        return Loc(display_path(part.path), line - part.start, col)

    def line_words(self, line: int) -> str:
        """"line N" of the file DuckDB reads, with the file's name when there are several."""
        loc = self.loc(line)
        return f"line {loc.line}" if len(self.parts) == 1 else f"line {loc.line} of {loc.path}"

    def position(self, header: str) -> int:
        """The 1-based column of a header the mapping names."""
        return self.header.index(header) + 1

    @property
    def csv(self) -> CsvFile:
        """The file DuckDB reads, in its dialect, named as the user knows it."""
        return csv_file(self.read_path, self.path, self.table)


def csv_file(read_path: Path, path: Path, tm: TableMap) -> CsvFile:
    return CsvFile(read_path, display_path(path), tm.delimiter, tm.quote)


def words(tm: TableMap) -> Words:
    """The messages' words for a file of the table's delimiter and quote."""
    return Words(too_many=f"a value holding '{tm.delimiter}' must be quoted",
                 unclosed=f"a quoted field is never closed (a {tm.quote} opens it, another must "
                          "close it; quote: \"\" in the mapping reads quotes as text)",
                 not_utf8=": is the file Latin-1 or Windows text? (set encoding: in the mapping, "
                          "e.g. latin-1 or cp1252)",
                 not_utf8_file=" (set encoding: in the mapping)")


def is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def open_sources(files_dir: Path, mapping: Mapping, tmp: Path, problems: Collector,
                 warn: Warn) -> dict[str, Source]:
    """Every table's files, read up to their header; the problems of all of them together."""
    out = {}
    for name, tm in mapping.tables.items():
        paths = [files_dir / file for file in tm.files]
        missing = [(path, file, loc) for path, file, loc in zip(paths, tm.files, tm.file_locs,
                                                                strict=True)
                   if not path.is_file()]
        for path, file, loc in missing:
            problems.add(Loc(display_path(path)), f"file not found{_near(files_dir, file)} "
                                                  f"(named at {loc})")
        if missing:
            continue
        read = [_utf8(path, tm, tmp / f"{name}.{i}.utf8", problems, warn)
                for i, path in enumerate(paths)]
        headers = [_header(path, r, tm, problems) if r else None
                   for path, r in zip(paths, read, strict=True)]
        header = headers[0]
        if header is None or read[0] is None:
            continue
        found = _headers_found(paths[0], tm, header, problems)
        if not (_same_headers(paths, headers, problems) and found):
            continue
        parts: tuple[Part, ...] = (Part(paths[0]),)
        read_path = read[0]
        if len(paths) > 1:
            read_path = tmp / f"{name}.combined"
            parts = _combine(paths, [r for r in read if r], read_path)
        out[name] = Source(tm, parts, read_path, header)
    return out


def _utf8(path: Path, tm: TableMap, dest: Path, problems: Collector, warn: Warn) -> Path | None:
    """The file as UTF-8: itself, or its copy at `dest`; None after a problem."""
    if is_utf8(tm.encoding):
        return path
    problem = to_utf8(path, tm.encoding, dest)
    if problem is not None:
        problems.extend([problem])
        return None
    if codecs.lookup(tm.encoding).name == "iso8859-1":
        _warn_windows_bytes(path, warn)
    return dest


def _same_headers(paths: list[Path], headers: list[tuple[str, ...] | None],
                  problems: Collector) -> bool:
    """Every file of a table has the first one's header."""
    ok = True
    for path, header in zip(paths[1:], headers[1:], strict=True):
        if header is None:  # its problem is reported
            ok = False
        elif header != headers[0]:
            problems.add(Loc(display_path(path), 1, 1), f"the header differs from "
                         f"{display_path(paths[0])}'s: the files of one table are read as one, "
                         f"and each must have the same header (this one has: "
                         f"{_listed(header)})")
            ok = False
    return ok


def _combine(paths: list[Path], utf8: list[Path], dest: Path) -> tuple[Part, ...]:
    """The files of one table as one UTF-8 file: the first whole, each later one without its
    header line; where each one's lines start."""
    parts, lines = [], 0
    with dest.open("wb") as out:
        for i, (path, src) in enumerate(zip(paths, utf8, strict=True)):
            parts.append(Part(path, lines - 1 if i else 0))
            with src.open("rb") as f:
                if i:
                    f.readline()
                last = b"\n"
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    out.write(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                if last != b"\n":
                    out.write(b"\n")
                    lines += 1
    return tuple(parts)


def unmapped(header: tuple[str, ...], used: set[str]) -> list[tuple[int, str]]:
    """(column, header) of each header the mapping leaves out, but for an empty last one: lines
    that end with the delimiter (as some systems write them) give the header an empty field."""
    return [(i, h) for i, h in enumerate(header, 1)
            if h not in used and (h or i < len(header))]


def header_name(column: int, header: str) -> str:
    """A header as messages name it; an empty one by its column."""
    return header or f"column {column} (no header)"


def _near(files_dir: Path, name: str) -> str:
    if not files_dir.is_dir():
        return ""
    return suggest(name, [p.name for p in files_dir.iterdir() if p.is_file()])


def to_utf8(path: Path, encoding: str, dest: Path) -> Problem | None:
    """Copy `path` as UTF-8, a chunk at a time; a byte the encoding has no character for is a
    problem located at its line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as src, dest.open("w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as e:
                # e.start counts bytes of the chunk; good enough to place the line.
                line += chunk[:e.start].count(b"\n")
                return Problem(Loc(display_path(path), line),
                               f"byte 0x{chunk[e.start]:02X} is not {encoding} text: is the "
                               "file in another encoding? (set encoding: in the mapping)")
            out.write(text)
            line += chunk.count(b"\n")
        out.write(decoder.decode(b"", final=True))
    return None


def _warn_windows_bytes(path: Path, warn: Warn) -> None:
    """A file read as Latin-1 whose bytes 0x80-0x9F are control characters there but letters
    or punctuation in Windows-1252 (which Windows programs write) is most likely the latter."""
    found = first_windows_byte(path)
    if found is not None:
        line, byte = found
        char = bytes([byte]).decode("cp1252")
        warn(f"{display_path(path)}:{line}: byte 0x{byte:02X} is a control character in Latin-1 "
             f"and {char!r} in Windows-1252: is the file Windows text? (then set encoding: "
             "cp1252 in the mapping)")


def _header(path: Path, read_path: Path, tm: TableMap,
            problems: Collector) -> tuple[str, ...] | None:
    shown = display_path(path)
    try:
        with read_path.open(encoding="utf-8-sig", newline="") as f:
            first = next(csv_file(read_path, path, tm).reader(f), None)
    except UnicodeDecodeError:
        problems.extend([bad_utf8(path, tm)])
        return None
    except csv.Error as e:
        problems.add(Loc(shown, 1, 1), f"the header row cannot be read ({e})")
        return None
    if not first or not any(h.strip() for h in first):
        problems.add(Loc(shown, 1, 1), "empty file: expected a header row naming the columns")
        return None
    return tuple(h.strip() for h in first)


def _headers_found(path: Path, tm: TableMap, header: tuple[str, ...],
                   problems: Collector) -> bool:
    """Each header the mapping names is in the file, once."""
    shown = display_path(path)
    ok = True
    other = [d for d in ",|\t;" if len(header) == 1 and d != tm.delimiter and d in header[0]]
    hint = f" (one column: is the delimiter {other[0]!r}?)" if other else ""
    for col in tm.columns:
        where = f"for {tm.name}.{col.name} ({col.loc})"
        count = header.count(col.header)
        if count == 0:
            problems.add(Loc(shown, 1, 1), f"no header '{col.header}'"
                                           f"{suggest(col.header, header)} {where}; the header "
                                           f"has: {_listed(header)}{hint}")
            ok = False
        elif count > 1:
            cols = [str(i) for i, h in enumerate(header, 1) if h == col.header]
            problems.add(Loc(shown, 1, int(cols[1])), f"header '{col.header}' appears "
                                                      f"{count} times (columns "
                                                      f"{', '.join(cols)}) {where}: rename one")
            ok = False
    return ok


def _listed(header: tuple[str, ...]) -> str:
    return ", ".join(header_name(i, h) for i, h in unmapped(header, set()))


def bad_utf8(path: Path, tm: TableMap) -> Problem:
    """Where the first byte that is not UTF-8 is: line and (roughly) field."""
    return csverrors.not_utf8(csv_file(path, path, tm), words(tm))


def read_problem(src: Source, error: Exception) -> Problem:
    """DuckDB's CSV reader error as one sentence at the file's line."""
    p = csverrors.read_problem(src.csv, error, words(src.table))
    return Problem(src.loc(p.loc.line, p.loc.col) if p.loc.line else Loc(src.shown), p.message)
