"""What an SQL text of a rule pack is and reads: parsing and rendering in the pack's dialect,
and the columns, scenario values and tables an expression uses. The one place that answers
these questions for the compiler, the linter, explain, verify and what-if."""

from __future__ import annotations

import sqlglot
import sqlglot.expressions as exp

DIALECT = "duckdb"


def parse(text: str) -> exp.Expression:
    """Parse one expression (the linter has already rejected anything else)."""
    trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    if len(trees) != 1 or not isinstance(trees[0], exp.Expression):
        raise ValueError(f"expected one expression, found {len(trees)}")
    return trees[0]


def render(tree: exp.Expression) -> str:
    return tree.sql(dialect=DIALECT)


def columns_used(tree: exp.Expression) -> set[str]:
    return {c.name for c in tree.find_all(exp.Column) if not c.table}


def params_used(trees: list[exp.Expression]) -> set[str]:
    return {p.name for t in trees for p in t.find_all(exp.Placeholder) if p.name}


def tables_read(trees: list[exp.Expression]) -> dict[str, set[str]]:
    """schema -> the snapshot tables the expressions read (`pre.users` -> {"pre": {"users"}})."""
    read: dict[str, set[str]] = {}
    for tree in trees:
        for table in tree.find_all(exp.Table):
            read.setdefault(table.db, set()).add(table.name)
    return read
