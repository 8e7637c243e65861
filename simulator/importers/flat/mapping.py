"""The mapping file of `cutover snapshot import flat` (docs/legacy-files.md): which legacy file
fills which table of the extract side, and how each of its columns is read. It is loaded with
the location of every key and value, so that each mistake is reported where it was made."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from simulator import db
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.tables import TABLES, Table, tables_for

FORMAT_VERSION = 1
TOP_KEYS = ("format_version", "tables")
TABLE_KEYS = ("file", "delimiter", "quote", "encoding", "columns", "values", "dates", "empty",
              "records")
LOOKUP_KEYS = ("column", "lookup")
Files = tuple[tuple[str, ...], tuple[Loc, ...]]  # file names, and where each is named
TODO = "TODO"  # what `cutover snapshot mapping-template` writes where it could not guess
EXTRACT_TABLES = tuple(t.name for t in tables_for("extract"))


@dataclass(frozen=True)
class Lookup:
    """`{column: HEADER, lookup: table.column}`: the row of `table` whose `column` holds the
    source value gives its key."""

    table: str
    column: str
    loc: Loc


@dataclass(frozen=True)
class Column:
    """One snapshot column and the source header it is read from."""

    name: str
    header: str
    loc: Loc  # where the header is named
    lookup: Lookup | None = None
    values: tuple[tuple[str, str], ...] = ()  # source value, snapshot value
    formats: tuple[str, ...] = ()  # strptime formats, tried in order
    formats_loc: Loc | None = None  # where they are given (under dates:)

    @property
    def is_date(self) -> bool:
        return bool(self.formats)


@dataclass(frozen=True)
class TableMap:
    """One table of the mapping: its file (or files, read in order as one), how they are
    written, and its columns."""

    table: Table
    files: tuple[str, ...]
    file_locs: tuple[Loc, ...]  # where each is named
    columns: tuple[Column, ...]
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "utf-8"
    empty: tuple[str, ...] = ()
    records: int | None = None  # how many the files hold, as the export or delivery form says
    records_loc: Loc | None = None

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def file(self) -> str:
        """The file, or the files, as messages name them."""
        return ", ".join(self.files)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Mapping:
    """The tables that were mapped without a mistake, in an order where every table comes
    after the tables it looks up; `problems` holds the mistakes of the others."""

    path: Path
    tables: dict[str, TableMap]
    problems: list[Problem] = field(default_factory=list)

    @property
    def shown(self) -> str:
        return display_path(self.path)


def load(path: Path, con: db.Connection) -> Mapping:
    """Read and check a mapping file (strptime formats are checked by DuckDB on `con`)."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(Loc(shown, 1, 1), "expected a mapping with format_version: 1 "
                                                  "and tables: (see docs/legacy-files.md)"))
    problems = Collector()
    yamlsrc.check_keys(data, TOP_KEYS, problems)
    yamlsrc.required(data, TOP_KEYS, problems, at=Loc(shown, 1, 1))
    if "format_version" in data and data["format_version"] != FORMAT_VERSION:
        problems.add(data.value_loc("format_version"), f"format_version "
                     f"{yamlsrc.describe(data['format_version'])} is not supported (expected "
                     f"{FORMAT_VERSION})")
    tables = data.get("tables")
    found: dict[str, TableMap] = {}
    if "tables" in data and (not isinstance(tables, yamlsrc.YMap) or not tables):
        problems.add(data.value_loc("tables"), "tables must map a table of the extract side to "
                                               "its file, e.g. patrons: {file: patrons.txt, ...}")
    elif isinstance(tables, yamlsrc.YMap):
        found = _tables(tables, con, problems)
    return Mapping(path, _in_lookup_order(found, problems), problems.problems)


def _tables(tables: yamlsrc.YMap, con: db.Connection, problems: Collector) -> dict[str, TableMap]:
    out = {}
    for name, spec in tables.items():
        if name.startswith(TODO):
            problems.add(tables.key_loc(name), f"{name}: name the table of the extract side this "
                         f"file fills ({', '.join(EXTRACT_TABLES)}), or remove the table")
            continue
        if name not in EXTRACT_TABLES:
            side = (" (an Alma-side table; legacy files are the extract side)"
                    if name in TABLES else yamlsrc.suggest(name, EXTRACT_TABLES))
            problems.add(tables.key_loc(name), f"unknown table '{name}'{side}: expected one of "
                                               f"{', '.join(EXTRACT_TABLES)}")
            continue
        if not isinstance(spec, yamlsrc.YMap):
            problems.add(tables.value_loc(name), f"{name}: expected a mapping with file: and "
                                                 "columns:")
            continue
        mine = Collector()
        table = _table(TABLES[name], spec, con, mine)
        problems.extend(mine.problems)
        if table is not None and not mine.problems:
            out[name] = table
    _check_lookups(out, tables, problems)
    return out


def _table(table: Table, spec: yamlsrc.YMap, con: db.Connection,
           problems: Collector) -> TableMap | None:
    yamlsrc.check_keys(spec, TABLE_KEYS, problems)
    yamlsrc.required(spec, ("file", "columns"), problems,
                     template=f"{table.name}: missing required key '{{key}}'")
    file = _file(spec, problems)
    delimiter = _char(spec, "delimiter", ",", problems, empty_ok=False)
    quote = _char(spec, "quote", '"', problems, empty_ok=True)
    if delimiter is not None and delimiter == quote:
        problems.add(spec.value_loc("quote"), "the quote must differ from the delimiter")
    encoding = _encoding(spec, problems)
    empty = _empty(spec, problems)
    columns = _columns(table, spec, problems)
    if columns is None:
        return None
    columns = _with_values(table, spec, columns, problems)
    columns = _with_dates(table, spec, columns, con, problems)
    records = _records(spec, problems)
    if file is None or delimiter is None or quote is None or encoding is None or empty is None \
            or ("records" in spec and records is None):
        return None
    return TableMap(table, *file, tuple(columns.values()), delimiter, quote, encoding, empty,
                    records, spec.value_loc("records") if records is not None else None)


def _todo(value: Any, loc: Loc, what: str, problems: Collector) -> bool:
    """A TODO left by the template: reported, with what is to be written instead."""
    if isinstance(value, str) and value.startswith(TODO):
        note = value[len(TODO):].strip(" :-")
        problems.add(loc, f"{what}: {TODO} left from the template{f' ({note})' if note else ''}")
        return True
    return False


def _text(value: Any) -> str | None:
    """A YAML scalar that stands for text: a string, or a whole number written without quotes."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _file(spec: yamlsrc.YMap, problems: Collector) -> Files | None:
    """`file:` one file name, or a list of them (a table delivered in several files)."""
    value = spec.get("file")
    if "file" not in spec:
        return None
    loc = spec.value_loc("file")
    items, locs = (value, value.item_locs) if isinstance(value, yamlsrc.YList) else ([value], [loc])
    if not items:
        problems.add(loc, "file: expected a file name inside FILES_DIR, or a list of them")
        return None
    names = [_file_name(item, at, problems) for item, at in zip(items, locs, strict=True)]
    for i, name in enumerate(names):
        if name is not None and name in names[:i]:
            problems.add(locs[i], f"file: '{name}' is named twice")
            names[i] = None
    if None in names:
        return None
    return tuple(n for n in names if n is not None), tuple(locs)


def _file_name(value: Any, loc: Loc, problems: Collector) -> str | None:
    if _todo(value, loc, "file", problems):
        return None
    text = _text(value)
    parts = PurePosixPath(text or "").parts
    if not text or not text.strip() or text.startswith(("/", "\\")) or ".." in parts \
            or ":" in text:
        problems.add(loc, f"file: {yamlsrc.describe(value)} is not a file name inside FILES_DIR")
        return None
    return text


def _char(spec: yamlsrc.YMap, key: str, default: str, problems: Collector,
          empty_ok: bool) -> str | None:
    if key not in spec:
        return default
    value = spec[key]
    if isinstance(value, str) and (len(value) == 1 or (empty_ok and value == "")):
        return value
    allowed = "one character, or \"\" for none" if empty_ok else "one character"
    problems.add(spec.value_loc(key), f"{key}: {yamlsrc.describe(value)} is not {allowed} "
                                      "(write a tab as \"\\t\")")
    return None


def _encoding(spec: yamlsrc.YMap, problems: Collector) -> str | None:
    value = spec.get("encoding", "utf-8")
    if isinstance(value, str) and value.strip():
        try:
            codecs.lookup(value)
            return value
        except LookupError:
            pass
    problems.add(spec.value_loc("encoding"), f"encoding: {yamlsrc.describe(value)} is not an "
                                             "encoding Python knows (e.g. utf-8, latin-1, "
                                             "cp1252)")
    return None


def _empty(spec: yamlsrc.YMap, problems: Collector) -> tuple[str, ...] | None:
    value = spec.get("empty", [])
    texts = [_text(v) for v in value] if isinstance(value, list) else [None]
    if any(t is None for t in texts):
        problems.add(spec.value_loc("empty"), "empty: expected a list of source values that "
                                              "mean \"no value\", e.g. [\"  -  -  \"]")
        return None
    return tuple(t for t in texts if t is not None)


def _records(spec: yamlsrc.YMap, problems: Collector) -> int | None:
    """`records:` the number of records the files hold (None: not given, or a problem)."""
    value = spec.get("records")
    if "records" not in spec:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    problems.add(spec.value_loc("records"), f"records: expected the number of records the files "
                                            f"hold (a whole number), not {yamlsrc.describe(value)}")
    return None


def _columns(table: Table, spec: yamlsrc.YMap,
             problems: Collector) -> dict[str, Column] | None:
    cols = spec.get("columns")
    if not isinstance(cols, yamlsrc.YMap) or not cols:
        if "columns" in spec:
            problems.add(spec.value_loc("columns"), f"{table.name}: columns must map each "
                         "snapshot column to its source header, e.g. primary_id: P BARCODE")
        return None
    yamlsrc.check_keys(cols, table.column_names, problems, what=f"{table.name} column")
    out = {}
    for name, value in cols.items():
        if name not in table.column_names:
            continue
        column = _column(table.name, name, value, cols.value_loc(name), problems)
        if column is not None:
            out[name] = column
    missing = [c.name for c in table.columns if c.required and c.name not in cols]
    for name in missing:
        problems.add(spec.key_loc("columns"), f"{table.name}: required column {name} is not "
                                              "mapped (name its source header)")
    return out


def _column(table: str, name: str, value: Any, loc: Loc, problems: Collector) -> Column | None:
    what = f"{table}.{name}"
    if _todo(value, loc, what, problems):
        return None
    header = _text(value)
    if header is not None and header.strip():
        return Column(name, header.strip(), loc)
    if not isinstance(value, yamlsrc.YMap):
        problems.add(loc, f"{what}: expected the source header as text, or "
                          "{column: HEADER, lookup: table.column}")
        return None
    yamlsrc.check_keys(value, LOOKUP_KEYS, problems)
    yamlsrc.required(value, LOOKUP_KEYS, problems, template=f"{what}: missing required key "
                                                            "'{key}'")
    header = _text(value.get("column"))
    target = value.get("lookup")
    table_name, dot, column = target.partition(".") if isinstance(target, str) else ("", "", "")
    if "column" in value and not (header and header.strip()):
        problems.add(value.value_loc("column"), f"{what}: column must be the source header")
    if "lookup" in value and not (table_name and dot and column):
        problems.add(value.value_loc("lookup"), f"{what}: lookup must be table.column, e.g. "
                                                "patrons.original_id")
    if not (header and header.strip() and table_name and dot and column):
        return None
    return Column(name, header.strip(), value.value_loc("column"),
                  Lookup(table_name, column, value.value_loc("lookup")))


def _section(table: Table, spec: yamlsrc.YMap, key: str, columns: dict[str, Column],
             problems: Collector) -> list[tuple[str, Any, Loc]]:
    """The entries of `values:` or `dates:` that name a column mapped from a header."""
    section = spec.get(key)
    if key not in spec:
        return []
    if not isinstance(section, yamlsrc.YMap):
        problems.add(spec.value_loc(key), f"{key}: expected a mapping of snapshot columns")
        return []
    yamlsrc.check_keys(section, table.column_names, problems, what=f"{table.name} column")
    cols = spec.get("columns")
    named = set(cols) if isinstance(cols, yamlsrc.YMap) else set()
    out = []
    for name, value in section.items():
        if name not in table.column_names:
            continue
        if name not in named:
            problems.add(section.key_loc(name), f"{key}.{name}: {name} is not mapped under "
                                                "columns")
        elif name in columns and (lookup := columns[name].lookup) is not None:
            problems.add(section.key_loc(name), f"{key}.{name}: {name} is looked up in "
                         f"{lookup.table}; a looked-up column takes no {key}")
        elif name in columns:
            out.append((name, value, section.value_loc(name)))
    return out


def _with_values(table: Table, spec: yamlsrc.YMap, columns: dict[str, Column],
                 problems: Collector) -> dict[str, Column]:
    out = dict(columns)
    for name, value, loc in _section(table, spec, "values", columns, problems):
        pairs = [(_text(k), _text(v)) for k, v in value.items()] \
            if isinstance(value, yamlsrc.YMap) and value else [(None, None)]
        if any(k is None or v is None for k, v in pairs):
            problems.add(loc, f"values.{name}: expected a mapping of source values to snapshot "
                              "values, e.g. {\"0\": UG, \"1\": GRAD}")
            continue
        out[name] = replace(out[name], values=tuple((str(k), str(v)) for k, v in pairs))
    return out


def _with_dates(table: Table, spec: yamlsrc.YMap, columns: dict[str, Column],
                con: db.Connection, problems: Collector) -> dict[str, Column]:
    out = dict(columns)
    for name, value, loc in _section(table, spec, "dates", columns, problems):
        what = f"dates.{name}"
        if _todo(value, loc, what, problems):
            continue
        if table.column(name).type != "timestamp":
            problems.add(loc, f"{what}: {table.name}.{name} is not a date column (the date "
                              f"columns of {table.name}: {_date_columns(table)})")
            continue
        formats = value if isinstance(value, list) else [value]
        if not formats or not all(isinstance(f, str) for f in formats):
            problems.add(loc, f"{what}: expected a strptime format, e.g. \"%m-%d-%Y %H:%M\", "
                              "or a list of them")
            continue
        bad = [problem for f in formats if (problem := format_problem(con, f))]
        for problem in bad:
            problems.add(loc, f"{what}: {problem}")
        if not bad:
            out[name] = replace(out[name], formats=tuple(formats), formats_loc=loc)
    return out


def _date_columns(table: Table) -> str:
    return ", ".join(c.name for c in table.columns if c.type == "timestamp") or "none"


def format_problem(con: db.Connection, fmt: str) -> str | None:
    """Why `fmt` is no strptime format DuckDB takes, or None when it is one."""
    if "%" not in fmt:
        return f"'{fmt}' is not a strptime format (no % directive, e.g. %m-%d-%Y)"
    try:
        con.execute("select try_strptime('', $f)", {"f": fmt})
    except db.DuckDBError as e:
        reason = str(e).splitlines()[0].split(": ", 1)[-1]
        return f"'{fmt}' is not a strptime format ({reason})"
    return None


# --- lookups: the tables they name, and the order of the tables ------------------------------


def _check_lookups(found: dict[str, TableMap], tables: yamlsrc.YMap,
                   problems: Collector) -> None:
    """Each lookup names a mapped column of another table of the mapping whose key is one
    column; tables with a bad lookup are dropped from `found` (their mistake is reported)."""
    for name in list(found):
        for col in found[name].columns:
            problem = _lookup_problem(found[name], col, found, tables) if col.lookup else None
            if problem is not None and col.lookup is not None:
                problems.add(col.lookup.loc, f"{name}.{col.name}: lookup "
                                             f"'{col.lookup.table}.{col.lookup.column}': {problem}")
                found.pop(name, None)


def _lookup_problem(me: TableMap, col: Column, found: dict[str, TableMap],
                    tables: yamlsrc.YMap) -> str | None:
    assert col.lookup is not None
    target, column = col.lookup.table, col.lookup.column
    if target == me.name:
        return "a table cannot look up itself"
    if target not in tables:
        return f"no table {target} in this mapping{yamlsrc.suggest(target, tables)}"
    spec = TABLES.get(target)
    if spec is None or len(spec.key) != 1:
        key = "|".join(spec.key) if spec else "?"
        return f"{target} has a key of several columns ({key}): it cannot be looked up"
    if target not in found:
        return None  # its own mistakes are reported; nothing more to say here
    mapped = [c.name for c in found[target].columns]
    if column not in mapped:
        return f"{target} maps no column {column}{yamlsrc.suggest(column, mapped)}"
    if any(c.formats for c in found[target].columns if c.name == column):
        return f"{target}.{column} is read as a date: look up an identifier"
    return None


def _in_lookup_order(found: dict[str, TableMap], problems: Collector) -> dict[str, TableMap]:
    """Every table after the tables it looks up; tables in a cycle of lookups are refused, and
    a table whose looked-up table has a mistake is left out (nothing more is reported)."""
    order: dict[str, TableMap] = {}
    pending = dict(found)
    while pending:
        ready = [n for n, t in pending.items()
                 if all(c.lookup.table in order for c in t.columns if c.lookup)]
        if not ready:
            break
        for name in ready:
            order[name] = pending.pop(name)
    for name, t in pending.items():
        for col in t.columns:
            if col.lookup and _reaches(pending, col.lookup.table, name):
                problems.add(col.lookup.loc, f"{name}.{col.name}: lookup "
                             f"'{col.lookup.table}.{col.lookup.column}': the lookups of "
                             f"{', '.join(sorted(pending))} go round in a circle")
    return order


def _reaches(tables: dict[str, TableMap], start: str, goal: str) -> bool:
    """Whether following lookups from `start` comes to `goal`."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name in seen or name not in tables:
            continue
        seen.add(name)
        todo.extend(c.lookup.table for c in tables[name].columns if c.lookup)
    return False
