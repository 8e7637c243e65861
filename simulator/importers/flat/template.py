"""`cutover snapshot mapping-template`: a starting mapping written from the legacy files alone
(docs/legacy-files.md, "A starting mapping"). For each file: its headers, the table its name
suggests, the column each header is most like, and the format of its dates. What could not be
guessed is a TODO, which the import refuses until it is replaced."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator import db
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.importers.flat import guess
from simulator.importers.flat.mapping import TODO
from simulator.importers.flat.sources import header_name, unmapped
from simulator.inputs.tables import TABLES

SKIPPED = (".yaml", ".yml", ".md")  # mappings and notes beside the files


@dataclass
class TableGuess:
    """One file's table of the template."""

    file: guess.FileGuess
    table: str | None
    columns: dict[str, str] = field(default_factory=dict)
    more: list[guess.FileGuess] = field(default_factory=list)  # later files of the table
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)
    dates: dict[str, guess.DateGuess] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    text: str
    notes: list[str]  # what the user should know at once (files read as Latin-1, TODOs)


def mapping_template(files_dir: Path) -> Template:
    """The template's YAML text for every file of `files_dir`."""
    if not files_dir.is_dir():
        raise UserError(Problem(Loc(display_path(files_dir)), "folder of legacy files not found"))
    files = sorted((p for p in files_dir.iterdir() if p.is_file() and not p.name.startswith(".")
                    and p.suffix.lower() not in SKIPPED), key=_natural)
    if not files:
        raise UserError(Problem(Loc(display_path(files_dir)), "no files in this folder"))
    con = db.connect()
    try:
        guesses = _guess_all(con, files)
    finally:
        con.close()
    read_as = [_encoding([g.file, *g.more]) or g.file for g in guesses]
    notes = [f"{display_path(f.path)}: {f.encoding_note}" for f in read_as if f.encoding_note]
    text = _render(files_dir, guesses)
    todos = text.count(f'"{TODO}')
    if todos:
        notes.append(f"{todos} {TODO}{'s' if todos != 1 else ''} to replace before the import")
    return Template(text, notes)


def _natural(path: Path) -> list[tuple[int, str]]:
    """Files in the order of their names, numbers by value: loans-2 before loans-10."""
    return [(int(part), "") if part.isdigit() else (-1, part.lower())
            for part in re.split(r"(\d+)", path.name)]


def _guess_all(con: db.Connection, files: list[Path]) -> list[TableGuess]:
    out: list[TableGuess] = []
    taken: dict[str, TableGuess] = {}
    for path in files:
        read = guess.read_file(path)
        first = taken.get(guess.guess_table(path, set()) or "") if not read.problem else None
        if first is not None and _same_kind(first, read):
            first.more.append(read)  # the table delivered in several files
            continue
        table = guess.guess_table(path, set(taken)) if not read.problem else None
        out.append(TableGuess(read, table, guess.guess_columns(TABLES[table], read.header)
                              if table else {}))
        if table is not None:
            taken[table] = out[-1]
    mapped = {g.table: g.columns for g in out if g.table}
    for g in out:
        if g.table is None:
            continue
        spec = TABLES[g.table]
        for col in spec.columns:
            found = (guess.guess_lookup(spec, col.name, g.file.header, mapped)
                     if col.name not in g.columns else None)
            if found is not None:
                g.lookups[col.name] = found
            elif col.type == "timestamp" and col.name in g.columns:
                g.dates[col.name] = _date(con, g.file, g.columns[col.name])
    return out


def _same_kind(first: TableGuess, later: guess.FileGuess) -> bool:
    """A later file of a table named like an earlier one's, written the same way."""
    return (first.file.header, first.file.delimiter) == (later.header, later.delimiter) \
        and _encoding([first.file, *first.more, later]) is not None


def _encoding(files: list[guess.FileGuess]) -> guess.FileGuess | None:
    """The file whose encoding reads every file of a table (ASCII text is UTF-8, Latin-1 and
    Windows-1252 alike; Windows-1252 reads Latin-1 text too); None when none does."""
    if len({f.encoding for f in files}) == 1:
        return files[0]
    kinds = [f for f in files if not (f.encoding == "utf-8" and guess.is_ascii(f.path))]
    names = {f.encoding for f in kinds}
    if not kinds or len(names) == 1:
        return (kinds or files)[0]
    if names == {"latin-1", "cp1252"}:
        return next(f for f in kinds if f.encoding == "cp1252")
    return None


def _date(con: db.Connection, file: guess.FileGuess, header: str) -> guess.DateGuess:
    """The date format of a column, from the sample or, when no sampled value has a digit,
    from the values further on that do (the placeholders of the sample kept)."""
    sampled = guess.guess_date(con, file.values(header))
    if sampled.example:
        return sampled
    found = guess.guess_date(con, file.with_digits(header))
    return guess.DateGuess(found.format, found.example, sampled.empty)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _render(files_dir: Path, guesses: list[TableGuess]) -> str:
    lines = [
        "# A starting mapping for `cutover snapshot import flat` (docs/legacy-files.md),",
        f"# written by `cutover snapshot mapping-template` from {display_path(files_dir)}.",
        "# Every table, column and date format is a guess: check each, and replace every",
        f"# {TODO} (the import refuses them). Headers left out of columns are not imported.",
        "format_version: 1",
        "tables:",
    ]
    for g in guesses:
        lines.extend(_render_table(g))
    return "\n".join(lines) + "\n"


def _render_table(g: TableGuess) -> list[str]:
    f = g.file
    name = f.path.name
    if g.table is None:
        why = f.problem or "no table guessed from the file name"
        return [f"  {_q(f'{TODO} {name}')}:  # {why}: name the table it fills, or remove it",
                f"    file: {_q(name)}",
                "    columns:",
                *(f"      # {h}" for h in _headers(f.header, set()))]
    files = f"[{', '.join(_q(m.path.name) for m in [f, *g.more])}]  # read in order as one" \
        if g.more else _q(name)
    lines = [f"  {g.table}:  # guessed from the file name", f"    file: {files}"]
    if f.delimiter != ",":
        lines.append(f"    delimiter: {_q(f.delimiter)}")
    read_as = _encoding([f, *g.more]) or f
    if read_as.encoding_note:
        lines.append(f"    encoding: {_q(read_as.encoding)}  # {read_as.encoding_note}")
    lines.extend(_render_columns(g))
    lines.extend(_render_dates(g))
    return lines


def _no_loan_id(g: TableGuess, column: str) -> str:
    """Checkout exports often have no loan id; an item is on one loan at a time, so its
    barcode names the loan."""
    item = g.columns.get("item_barcode")
    if g.table != "loans" or column != "loan_id" or item is None:
        return ""
    return f"; none in the file? an item is on one loan at a time: {_q(item)} names it"


def _headers(header: tuple[str, ...], used: set[str]) -> list[str]:
    """The headers not in `used`, quoted as the mapping would name them; an empty one (which
    cannot be mapped) by its column."""
    return [_q(h) if h else header_name(i, h) for i, h in unmapped(header, used)]


def _render_columns(g: TableGuess) -> list[str]:
    spec = TABLES[g.table or ""]
    lines = ["    columns:"]
    for col in spec.columns:
        if col.name in g.columns:
            lines.append(f"      {col.name}: {_q(g.columns[col.name])}")
        elif col.name in g.lookups:
            header, target = g.lookups[col.name]
            lines.append(f"      {col.name}: {{column: {_q(header)}, lookup: {target}}}"
                         f"  # that {target.split('.')[0]} row's {col.name}")
        elif col.required:
            lines.append(f"      {col.name}: {_q(f'{TODO}: the header of {col.name}')}"
                         f"  # required{_no_loan_id(g, col.name)}")
    used = set(g.columns.values()) | {h for h, _ in g.lookups.values()}
    rest = _headers(g.file.header, used)
    if rest:
        lines.append(f"      # not mapped: {', '.join(rest)}")
    other = [c.name for c in spec.columns if c.name not in g.columns and c.name not in g.lookups
             and not c.required]
    if other:
        lines.append(f"      # other columns of {spec.name}: {', '.join(other)}")
    return lines


def _render_dates(g: TableGuess) -> list[str]:
    dates = []
    empty: set[str] = set()
    for name, d in g.dates.items():
        empty |= set(d.empty)
        if d.format is None:
            dates.append(f"      {name}: {_q(f'{TODO}: a format for values like {d.example!r}')}")
        elif d.format:
            dates.append(f"      {name}: {_q(d.format)}  # values like {_q(d.example)}")
    lines = ["    dates:", *dates] if dates else []
    if empty:
        lines.append(f"    empty: [{', '.join(_q(v) for v in sorted(empty))}]"
                     "  # date values without a digit")
    return lines
