"""Reading one record of a response into snapshot rows: the values converted (values.py), each
row checked against the table catalogue (a required column without a value, a value outside its
column's domain), every problem located by file and JSON path and kept for the end of the run.

A row remembers where it came from (file, JSON path of the record and of each value), so the
problems the written snapshot's validation finds are named in the response files too."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.errors import Collector, Loc
from simulator.importers.alma_api import values
from simulator.importers.alma_api.shape import Node, kind
from simulator.importers.alma_api.values import Converted
from simulator.inputs.tables import TABLES
from simulator.inputs.yamlsrc import suggest


@dataclass(frozen=True)
class Row:
    table: str
    values: dict[str, str | None]
    file: str  # the response file, as messages show it
    path: str  # the JSON path of the record
    paths: dict[str, str]  # column -> the JSON path of its value


@dataclass
class Sink:
    """What reading a raw folder gives: the rows of each table, the problems, the warnings."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    problems: Collector = field(default_factory=Collector)
    warnings: list[str] = field(default_factory=list)
    # Warnings said once with a count: the text, with `{n}` for the number of records and
    # `{s}` for a plural's "s".
    tallies: dict[str, int] = field(default_factory=dict)
    # Alma code table name -> snapshot table name (docs/alma-api.md and --code-table).
    code_tables: dict[str, str] = field(default_factory=dict)

    def tally(self, text: str) -> None:
        self.tallies[text] = self.tallies.get(text, 0) + 1

    def all_warnings(self) -> list[str]:
        return self.warnings + [text.format(n=n, s="" if n == 1 else "s")
                                for text, n in self.tallies.items()]

    def keep(self, got: Converted) -> Converted:
        if got.problem is not None:
            self.problems.extend([got.problem])
        return got


class Record:
    """One record (or a part of one, like a user's role) of the file `file`."""

    def __init__(self, node: Node, file: str, stem: str, sink: Sink) -> None:
        self.node, self.file, self.stem, self.sink = node, file, stem, sink

    def _first(self, keys: tuple[str, ...]) -> Node:
        """The first of `keys` the record has (a null Node at the first key when none)."""
        return next((self.node.get(k) for k in keys if self.node.has(k)), self.node.get(keys[0]))

    def text(self, *keys: str) -> Converted:
        """Text or a coded field's value, from the first of `keys` present."""
        return self.sink.keep(values.text(self._first(keys), self.file))

    def date(self, *keys: str) -> Converted:
        return self.sink.keep(values.date(self._first(keys), self.file))

    def boolean(self, key: str, default: bool | None = None) -> Converted:
        return self.sink.keep(values.boolean(self.node.get(key), self.file, default))

    def amount(self, key: str) -> Converted:
        return self.sink.keep(values.amount(self.node.get(key), self.file))

    def file_name(self, value: str | None = None) -> Converted:
        """The value the file's name stands for (a library code for `locations/MAIN.json`), or
        `value` given for it (a code table's snapshot name)."""
        return Converted(self.stem if value is None else value,
                         f"{self.node.path} (the file name {self.stem!r})")

    def fixed(self, value: str | None) -> Converted:
        """A value the importer chooses (docs/alma-api.md, "What the API does not say")."""
        return Converted(value, self.node.path)

    def has(self, key: str) -> bool:
        return self.node.has(key)

    def items(self, *keys: str) -> list[Record]:
        """The elements of a list member (`user_role`), of the nested `keys`; none when absent."""
        node = self.node
        for key in keys:
            node = node.get(key)
        elements = node.elements()
        if elements is None:
            self.sink.problems.add(Loc(self.file), f"{node.path}: expected a list, not "
                                                   f"{kind(node.value)}")
            return []
        return [Record(e, self.file, self.stem, self.sink) for e in elements]

    def emit(self, table: str, **columns: Converted) -> None:
        """A row of `table`; its columns are checked as the snapshot's validation would."""
        spec = TABLES[table]
        for name, got in columns.items():
            col = spec.column(name)
            if got.problem is not None:
                continue
            if got.value is None and col.required:
                self.sink.problems.add(Loc(self.file),
                                       f"{got.path}: no value, but {name} is required")
            elif got.value is not None and col.domain and got.value not in col.domain:
                hint = suggest(got.value.strip().upper(), col.domain)
                self.sink.problems.add(Loc(self.file), f"{got.path}: {got.value!r} is not one of "
                                                       f"{', '.join(col.domain)}{hint}")
        row = Row(table, {n: c.value for n, c in columns.items()}, self.file, self.node.path,
                  {n: c.path for n, c in columns.items()})
        self.sink.rows.setdefault(table, []).append(row)
