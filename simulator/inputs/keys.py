"""Record keys in SQL: a table's key columns joined by `|` in catalogue order, as the ledger
writes them (`user_roles`: `jsmith|Cataloger|NFU`), and the normal form two keys are matched
in (Primary IDs ignore letter case; role "200" is the Patron role). The one place that builds
them, for the compiler, verify, readiness and what-if."""

from __future__ import annotations

from collections.abc import Callable

from simulator import db
from simulator.inputs.tables import TABLES

# Parts of a key that are one value under several spellings: role "200" is the Patron role.
_CANONICAL = {
    ("user_roles", "role_type"): "case when is_patron_role({v}) then 'patron' else {v} end",
}


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "concat_ws('|', " + ", ".join(parts) + ")"


def column_text(alias: str, column: str) -> str:
    """A key column's value as text (empty for null)."""
    return f"coalesce(cast({alias}.{db.ident(column)} as varchar), '')"


def key_sql(table: str, alias: str, part: Callable[[str, str], str] | None = None) -> str:
    """The ledger key of a row of `table` named `alias`; `part(column, sql)` may rewrite each
    part (the compiler pseudonymises Primary IDs with it)."""
    parts = [column_text(alias, k) for k in TABLES[table].key]
    if part is not None:
        parts = [part(k, sql) for k, sql in zip(TABLES[table].key, parts, strict=True)]
    return _joined(parts)


def folded_key_sql(table: str, alias: str) -> str:
    """The key with Primary IDs lower-cased: how uniqueness is judged."""
    spec = TABLES[table]
    return key_sql(table, alias,
                   lambda column, sql: f"lower({sql})" if spec.column(column).ci else sql)


def _normal(table: str, column: str, value_sql: str) -> str:
    canonical = _CANONICAL.get((table, column))
    if canonical:
        value_sql = canonical.format(v=value_sql)
    return f"lower({value_sql})" if TABLES[table].column(column).ci else value_sql


def normal_key_sql(table: str, alias: str) -> str:
    """The key as matched: Primary IDs lower-cased, codes made canonical."""
    return key_sql(table, alias, lambda column, sql: _normal(table, column, sql))


def normal_ledger_key_sql(table: str, column: str = "record_key") -> str:
    """The same normal form computed from a ledger's key text."""
    spec = TABLES[table]
    if len(spec.key) == 1:
        return _normal(table, spec.key[0], column)
    parts = [_normal(table, k, f"split_part({column}, '|', {i})")
             for i, k in enumerate(spec.key, 1)]
    # As many parts as the key has (a key part holding `|` cannot be split): counting the parts
    # is cheaper than comparing character lengths.
    return (f"case when len(string_split({column}, '|')) = {len(spec.key)} "
            f"then {_joined(parts)} else {column} end")


def keys_equal_sql(table: str, a: str, b: str) -> str:
    """Rows `a` and `b` of `table` have the same key, column by column."""
    return " and ".join(f"{a}.{db.ident(k)} = {b}.{db.ident(k)}" for k in TABLES[table].key)
