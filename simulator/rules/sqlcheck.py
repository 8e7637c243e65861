"""Checking one SQL text of a rule pack: its shape (one expression, no statements, only the
allowed deterministic functions and operators of `rules.functions`, known scenario values), the
names it uses, and DuckDB's binding of it. Rules, facts, metadata and what-if patches all go
through here."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import sqlglot
import sqlglot.errors
import sqlglot.expressions as exp

from simulator import db
from simulator.errors import Collector, Loc
from simulator.inputs import reading, scenario
from simulator.inputs.tables import SCHEMA_SIDE, TABLES, tables_for
from simulator.inputs.yamlsrc import suggest
from simulator.rules import functions
from simulator.rules.analysis import DIALECT
from simulator.rules.model import Entity
from simulator.rules.sqlerrors import explain

# Statements: never a rule's `when` nor anything inside it (only SELECT subqueries may nest).
_STATEMENTS: tuple[type[exp.Expression], ...] = tuple(
    c for c in (getattr(exp, n, None) for n in (
        "DDL", "DML", "Command", "Drop", "Alter", "Attach", "Detach", "Install", "Summarize",
        "TruncateTable", "Grant", "Revoke", "Show", "Pragma", "Set", "Use", "Copy",
        "Transaction", "Commit", "Rollback", "Describe", "Analyze", "Kill", "Cache", "Uncache",
        "Refresh", "LoadData", "Export", "Comment", "Declare", "Execute",
    )) if isinstance(c, type)
)
_CALLED = re.compile(r"([A-Za-z_]\w*)\s*(?:\(|$)")  # a function's name as DuckDB SQL shows it


def _parsed(text: str, loc: Loc, text_loc: Loc | None, problems: Collector,
            what: str, noun: str) -> Any:
    """The one statement or expression `text` holds, or None after reporting why not (in
    plain words, at the token when `text_loc` places the text on one line)."""
    try:
        trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as e:
        why, offset = explain(e, text, noun)
        where = text_loc.at(0, offset) if text_loc is not None and offset is not None else loc
        problems.add(where, f"{what}: {why}")
        return None
    if len(trees) != 1:
        problems.add(loc, f"{what}: must be exactly one SQL expression, found {len(trees)} "
                          "statements")
        return None
    return trees[0]


def _forbidden(tree: exp.Expression, what: str, known: set[str]) -> str | None:
    """Why `tree` may not run (a statement inside, a function or form not allowed, an unknown
    `$name`)."""
    for node in tree.walk():
        if isinstance(node, _STATEMENTS):
            return f"{what}: only SELECT subqueries are allowed, found {node.key.upper()}"
    for node in tree.walk():
        if not functions.allowed(node):
            return _not_allowed(node, what)
        if isinstance(node, exp.Placeholder) and not known:
            return (f"{what}: scenario values (${node.name or '?'}) cannot be used here; write "
                    "the value itself")
        if isinstance(node, exp.Placeholder) and node.name not in known:
            close = suggest(f"${node.name}", {f"${p}" for p in known})
            return (f"{what}: unknown scenario value ${node.name or '?'}{close} "
                    f"(known: {', '.join('$' + p for p in sorted(known))})")
    return None


def _not_allowed(node: exp.Expr, what: str) -> str:
    """The refusal of a function or SQL form that is not on the allow-list."""
    shown = node.sql(dialect=DIALECT)
    if isinstance(node, exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else (
            m.group(1) if (m := _CALLED.match(shown)) else node.sql_name())
        return (f"{what}: function {name.lower()}() is not allowed in rules (rules may call only "
                "the deterministic functions listed in docs/rules.md)")
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return (f"{what}: '{shown}' is not allowed in rules (rules may use only the operators "
            "listed in docs/rules.md)")


def parse_expression(text: str, loc: Loc, text_loc: Loc | None, problems: Collector,
                     what: str, boolean: bool | None = None,
                     params: set[str] | None = None) -> exp.Expression | None:
    """One expression, or None after reporting why not.

    `loc` is where the value starts in the pack file; `text_loc`, when known, is where the SQL
    text starts on a single source line, so a parse error can point at its token. `boolean`
    (default: whether `what` names a rule) words the messages; `params` are the `$names` the
    text may use (default: every scenario value; empty: none).
    """
    if boolean is None:
        boolean = what.startswith("rule")
    tree = _parsed(text, loc, text_loc, problems, what, "condition" if boolean else "expression")
    if tree is None:
        return None
    shape = "boolean expression" if boolean else "SQL expression"
    if isinstance(tree, (*_STATEMENTS, exp.Query)) and not isinstance(tree, exp.Subquery):
        kind = str(getattr(tree, "key", "")).upper()
        problems.add(loc, f"{what}: must be one {shape}, not a {kind} statement")
        return None
    if not isinstance(tree, exp.Expression):
        problems.add(loc, f"{what}: must be one {shape}")
        return None
    why = _forbidden(tree, what, scenario.param_names() if params is None else params)
    if why:
        problems.add(loc, why)
        return None
    return tree


def parse_query(text: str, loc: Loc, problems: Collector,
                what: str) -> exp.Expression | None:
    """One SELECT over snapshot tables (no scenario values), or None after reporting why not."""
    tree = _parsed(text, loc, None, problems, what, "query")
    if tree is None:
        return None
    if not isinstance(tree, exp.Query) or not isinstance(tree, exp.Expression):
        problems.add(loc, f"{what}: must be one SELECT query")
        return None
    why = _forbidden(tree, what, set())
    if why:
        problems.add(loc, why)
        return None
    return tree


def parse_condition(text: str, loc: Loc, problems: Collector, what: str,
                    text_loc: Loc | None = None,
                    params: set[str] | None = None) -> exp.Expression | None:
    """One boolean SQL condition with the checks every rule's `when` gets (one expression, no
    statements, no file-reading or non-deterministic functions, known `$names`), or None after
    reporting why not. Shared with what-if patches (`where:`)."""
    return parse_expression(text, loc, text_loc, problems, what, boolean=True, params=params)


def check_names(tree: exp.Expression, table: str, side: str, loc: Loc, problems: Collector,
                what: str) -> bool:
    """Whether every table, alias and column `tree` names exists, read as a condition over a
    row of `table` (of `side`) that may also read snapshot tables; problems are reported."""
    before = len(problems.problems)
    entity = Entity(table, side, TABLES[table].key, loc)
    check_entity_names(tree, entity, set(), loc, problems, what)
    return len(problems.problems) == before


def check_entity_names(tree: exp.Expression, entity: Entity, facts: set[str], loc: Loc,
           problems: Collector, what: str, table_name: str | None = None) -> None:
    """Every table, alias and column `tree` names must exist.

    `table_name` is the row's own table when it is not the entity's (expect_after reads the
    post snapshot's row, which may be another table, and may also read post.<table>).
    """
    schemas = {**SCHEMA_SIDE, **({"post": "alma"} if table_name else {})}
    table_name = table_name or entity.name
    own = set(TABLES[table_name].column_names) | {"_row"}
    for table in tree.find_all(exp.Table):
        schema, name = table.db, table.name
        side = schemas.get(schema)
        if not isinstance(table.this, exp.Identifier) or side is None or \
                name not in {t.name for t in tables_for(side)}:
            names = [f"{s}.<table>" for s in schemas]
            problems.add(loc, f"{what}: unknown table '{table.sql(dialect=DIALECT)}' (read "
                              f"snapshot tables as {', '.join(names[:-1])} or {names[-1]})")
    for col in tree.find_all(exp.Column):
        if not col.name:
            continue
        scopes = enclosing_sources(col)
        if col.table:
            if col.table == table_name:
                known = own
            elif col.table in scopes:
                known = scopes[col.table]
            else:
                problems.add(loc, f"{what}: unknown table or alias '{col.table}' in "
                                  f"'{col.sql(dialect=DIALECT)}'")
                continue
            if col.name not in known:
                problems.add(loc, f"{what}: unknown column '{col.table}.{col.name}'"
                                  f"{suggest(col.name, known)}")
            continue
        visible = own | facts
        for cols in scopes.values():
            visible |= cols
        if col.name not in visible:
            problems.add(loc, f"{what}: unknown column or fact '{col.name}'"
                              f"{suggest(col.name, visible)}{_text_hint(col)}")


def _text_hint(col: exp.Column) -> str:
    """A text value written in double quotes is a column's name in SQL: say so."""
    if not (isinstance(col.this, exp.Identifier) and col.this.quoted):
        return ""
    return " (text values take single quotes: '" + col.name.replace("'", "''") + "')"


def enclosing_sources(node: exp.Expression) -> dict[str, set[str]]:
    """Alias -> columns of the snapshot tables in the SELECTs around `node`."""
    out: dict[str, set[str]] = {}
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            for table in parent.find_all(exp.Table):
                if table.parent_select is not parent:
                    continue
                spec = TABLES.get(table.name)
                if spec is not None:
                    out[table.alias_or_name] = set(spec.column_names) | {"_row"}
        parent = parent.parent
    return out


def bind_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in params.items() if f"${k}" in sql}


def bound_type(con: db.Connection, sql: str, params: dict[str, object] | None = None
               ) -> tuple[str | None, str | None]:
    """(the type of the first column, None), or (None, DuckDB's complaint) when `sql` does not
    bind: how lint, metadata and what-if patches check SQL without running it."""
    try:
        return str(con.rows(f"describe {sql}", bind_params(sql, params or {}))[0][1]), None
    except db.DuckDBError as e:
        return None, first_line(e)


def bound_types(con: db.Connection, items: list[str], source: str,
                params: dict[str, object] | None = None) -> list[tuple[str | None, str | None]]:
    """`bound_type` of `select (item) as v from source` for each item: one DESCRIBE of them all
    when they all bind (a valid pack: lint binds hundreds of rules), item by item to name each
    one that does not."""
    if not items:
        return []
    sql = ("select " + ", ".join(f"({item}) as v{i}" for i, item in enumerate(items))
           + f" from {source}")
    try:
        return [(str(row[1]), None)
                for row in con.rows(f"describe {sql}", bind_params(sql, params or {}))]
    except db.DuckDBError:
        return [bound_type(con, f"select ({item}) as v from {source}", params) for item in items]


Bound = tuple[str | None, str | None]  # (the type, None) or (None, DuckDB's complaint)


class Binder:
    """DuckDB's verdict on SQL over every snapshot attached empty (the post one included),
    kept by SQL text for the process: binding depends on nothing else, and a what-if variant's
    pack is the base pack with a few rules changed, so its lint binds only those. The
    connection is made at first need and kept for the process (attaching every schema empty
    is a few hundred statements)."""

    _memo: ClassVar[dict[tuple[object, ...], list[Bound]]] = {}
    _con: ClassVar[db.Connection | None] = None

    def types(self, items: list[str], source: str | Callable[[], str],
              key: object = None) -> list[Bound]:
        """`bound_types` of `items` over `source` (or a function making it, when `key` stands
        for it), with the example scenario's values."""
        memo_key = (tuple(items), key if key is not None else source)
        if memo_key not in self._memo:
            text = source() if callable(source) else source
            self._memo[memo_key] = bound_types(self._connection(), items, text,
                                               scenario.example_params())
        return self._memo[memo_key]

    def type(self, sql: str) -> Bound:
        """`bound_type` of `sql`, without parameters."""
        if (sql,) not in self._memo:
            self._memo[(sql,)] = [bound_type(self._connection(), sql)]
        return self._memo[(sql,)][0]

    @classmethod
    def _connection(cls) -> db.Connection:
        if cls._con is None:
            con = db.connect(cited=False)
            reading.attach_empty(con, post=True)
            cls._con = con
        return cls._con


def first_line(e: Exception) -> str:
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    return " ".join(lines[:2])
