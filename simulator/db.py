"""The one module that talks to DuckDB: connections, quoting, execution."""

from __future__ import annotations

import errno
import itertools
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

DuckDBError = duckdb.Error
# A lazy DuckDB query (`.df()`, `.to_arrow_table()`, `.pl()`): what the Python API returns.
Relation = duckdb.DuckDBPyRelation
VERSION = duckdb.__version__
# How DuckDB words a disk that refuses a write, and the errno each stands for.
DISK_PROBLEMS = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
                 "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES}
_in_use: dict[str, str] = {}  # the memory limit of the latest connection, for messages

# Role names and codes that mean "patron"; every other role is staff-oriented
# (docs/formats/snapshots.md).
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


# The default limit: 1 GB, or half the machine's memory (or the container's limit) when that is
# less. A 5M-user predict peaks at about 1.3 GB of RSS under it (docs/benchmarks.md); more
# memory buys little speed, and machines are shared.
DEFAULT_LIMIT_MB = 1024
MEMORY_SHARE = 0.5
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.I)
_connections = itertools.count()


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or a smaller cgroup limit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text.isdigit():
            total = min(total, int(text))
    except OSError:
        pass
    return total


def default_memory_limit() -> str:
    """DuckDB's memory limit when none is given: 1 GB, or half the machine when that is less
    (but never under 256 MB); work beyond it spills to disk."""
    env = os.environ.get("CUTOVER_MEMORY_LIMIT")
    if env:
        return env
    share = int(machine_memory() * MEMORY_SHARE) >> 20
    return f"{max(256, min(DEFAULT_LIMIT_MB, share))}MB"


def check_memory_limit(text: str) -> str | None:
    """None if `text` is a size DuckDB takes (`1GB`, `512MB`, `1.5GiB`), else the problem."""
    if _MEMORY_LIMIT.match(text):
        return None
    return f"'{text}' is not a memory size (write e.g. 1GB, 512MB or 1.5GiB)"


def memory_limit_in_use() -> str:
    """The memory limit of the latest connection (the default before any)."""
    return _in_use.get("memory_limit") or default_memory_limit()


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and the errors it was raised from or during."""
    out: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def out_of_memory(error: BaseException) -> bool:
    """Whether DuckDB ran out of memory behind `error` (also when a library that ran the query,
    such as pandera, wrapped DuckDB's error in its own text)."""
    return any(isinstance(e, duckdb.OutOfMemoryException) or "Out of Memory Error" in str(e)
               for e in _chain(error))


def disk_problem(error: BaseException) -> tuple[str, int] | None:
    """(reason, errno) when `error` is DuckDB failing to write to a disk that is full,
    read-only or not writable; None for any other error."""
    if not isinstance(error, duckdb.Error):
        return None
    text = str(error)
    return next(((reason, code) for reason, code in DISK_PROBLEMS.items() if reason in text),
                None)


def spill_directory() -> str:
    """A fresh folder name under the system's temp folder; DuckDB creates it when it first
    spills and removes it when the connection closes."""
    name = f"cutover-spill-{os.getpid()}-{next(_connections)}"
    return str(Path(tempfile.gettempdir()) / name)


def connect(memory_limit: str | None = None, temp_directory: str | None = None, *,
            cited: bool = True) -> Connection:
    """A new in-memory database, bounded by `memory_limit` (default: `default_memory_limit`);
    beyond it, work spills to `temp_directory` (default: a fresh folder under the temp folder,
    never the working folder). `cited`: an out-of-memory message names this connection's
    limit (not for a connection that only binds SQL over empty tables)."""
    con = duckdb.connect(":memory:")
    limit = memory_limit or default_memory_limit()
    if cited:
        _in_use["memory_limit"] = limit
    con.execute(f"set memory_limit = {literal(limit)}")
    con.execute(f"set temp_directory = {literal(temp_directory or spill_directory())}")
    # Progress is shown by the command line (simulator.progress), not by DuckDB. In Jupyter
    # without ipywidgets DuckDB starts with it off and refuses to change the setting at all.
    if con.execute("select current_setting('enable_progress_bar')").fetchone() != (False,):
        con.execute("set enable_progress_bar = false")
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

    def relation(self, sql: str) -> Relation:
        """A lazy relation over `sql`, run when read (each time it is read)."""
        return self.raw.sql(sql)

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
