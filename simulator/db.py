"""The one module that talks to DuckDB: connections, quoting, execution."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

DuckDBError = duckdb.Error
VERSION = duckdb.__version__

# Role names and codes that mean "patron"; every other role is staff-oriented (DESIGN 3.1).
_MACROS = (
    "create or replace macro is_patron_role(r) as "
    "lower(trim(cast(r as varchar))) in ('patron', '200')",
)


def ident(name: str) -> str:
    """Quote an identifier: the only way names reach SQL text."""
    return '"' + name.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    return ".".join(ident(p) for p in parts)


def literal(text: str) -> str:
    """Quote a string literal for DDL that cannot take parameters (file paths in views)."""
    return "'" + text.replace("'", "''") + "'"


def connect(memory_limit: str | None = None, temp_directory: str | None = None) -> Connection:
    con = duckdb.connect(":memory:")
    if memory_limit:
        con.execute(f"set memory_limit = {literal(memory_limit)}")
    if temp_directory:
        con.execute(f"set temp_directory = {literal(temp_directory)}")
    threads = os.environ.get("CUTOVER_THREADS")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    for macro in _MACROS:
        con.execute(macro)
    return Connection(con)


class Connection:
    """A thin wrapper so that callers never import duckdb themselves."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.raw = con

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any:
        return self.raw.execute(sql, params) if params else self.raw.execute(sql)

    def rows(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any:
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def columns(self, relation: str) -> list[str]:
        return [r[0] for r in self.rows(f"describe select * from {relation}")]

    def schema_exists(self, schema: str) -> bool:
        return bool(
            self.one(
                "select count(*) from information_schema.schemata where schema_name = $s",
                {"s": schema},
            )
        )

    def close(self) -> None:
        self.raw.close()
