"""The tables a result of the Python API owns on its session's connection, and the command line
it records in a run folder's manifest.

A command leaves its work in tables of fixed names (verify's discrepancies, readiness's
records) that its next call on the same connection replaces; a result copies what it shows
into tables of its own (`api_<n>_<what>`, small: findings, discrepancies, records), so a
relation taken from it keeps showing that result.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.core.findings import Finding

Columns = Sequence[tuple[str, str]]  # (name, DuckDB type)

FINDING_COLUMNS: Columns = (
    ("id", "varchar"), ("severity", "varchar"), ("title", "varchar"), ("count", "bigint"),
    ("sample_keys", "varchar[]"), ("fix", "varchar"), ("rule_id", "varchar"),
    ("entity", "varchar"), ("cite", "varchar"), ("confidence", "varchar"))
COUNT_COLUMNS: Columns = (("side", "varchar"), ("entity", "varchar"), ("outcome", "varchar"),
                          ("count", "bigint"))


class Store:
    """Names apart for the tables of one session's results, and the tables themselves."""

    def __init__(self, con: db.Connection) -> None:
        self.con = con
        self._numbers = itertools.count(1)

    def number(self) -> int:
        """A number no other result of this session has (for table and schema names)."""
        return next(self._numbers)

    def rows(self, name: str, columns: Columns, rows: Iterable[Sequence[Any]]) -> db.Relation:
        """Temp table `name` of `columns` holding `rows` (bound values), as a relation."""
        table = db.ident(name)
        self.con.execute(f"create or replace temp table {table} ("
                         + ", ".join(f"{db.ident(c)} {t}" for c, t in columns) + ")")
        values = [list(r) for r in rows]
        if values:
            marks = ", ".join("?" for _ in columns)
            self.con.raw.executemany(f"insert into {table} values ({marks})", values)
        return self.con.relation(f"select * from {table}")

    def copy(self, name: str, sql: str) -> db.Relation:
        """Temp table `name` holding the rows of `sql` now, as a relation."""
        table = db.ident(name)
        self.con.execute(f"create or replace temp table {table} as {sql}")
        return self.con.relation(f"select * from {table}")


def finding_rows(findings: Iterable[Finding], more: Columns = (),
                 first: Sequence[Any] = ()) -> list[list[Any]]:
    """One row of FINDING_COLUMNS and then `more` per finding (a field, a property or an
    `extra` value of that name), after the values `first`."""
    rows = []
    for f in findings:
        values = [getattr(f, name) for name, _ in FINDING_COLUMNS]
        values += [f.extra[name] if name in f.extra else getattr(f, name) for name, _ in more]
        rows.append([*first, *values])
    return rows


def count_rows(counts: Iterable[dict[str, Any]], first: Sequence[Any] = ()) -> list[list[Any]]:
    """The rows of COUNT_COLUMNS from a result's counts, after the values `first`."""
    return [[*first, *(c[name] for name, _ in COUNT_COLUMNS)] for c in counts]


@dataclass(frozen=True)
class Given:
    """What a session was opened with: the `cutover` command line that writes the same run
    folder is recorded in its manifest (as the command line's own runs record theirs)."""

    pre: Path
    extract: Path
    scenario: Path
    testload: Path | None = None
    rules: tuple[Path, ...] = ()
    memory_limit: str | None = None

    def command(self, name: str, *options: tuple[str, Any]) -> list[str]:
        """`cutover NAME` with the session's inputs and `options` (option, value): a value of
        None or False is left out, True is the bare option, a list repeats the option."""
        given: list[tuple[str, Any]] = [
            ("--pre", self.pre), ("--extract", self.extract), ("--scenario", self.scenario),
            ("--testload", self.testload), ("--rules", list(self.rules)),
            ("--memory-limit", self.memory_limit), *options]
        args = ["cutover", name]
        for option, value in given:
            if value is True:
                args.append(option)
            elif isinstance(value, list):
                for one in value:
                    args += [option, str(one)]
            elif value is not None and value is not False:
                args += [option, str(value)]
        return args
