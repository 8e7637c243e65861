"""What the SQL of a rule pack may use: an allow-list of deterministic functions and of SQL
operators and forms (docs/rules.md, "SQL in rules"). Anything else is refused by the linter
(`sqlcheck`): functions that read files, settings or the clock, give random values, or build
values of any size (`repeat`, `lpad`), and forms such as window functions, lists and structs.

Functions are named as a rule writes them (DuckDB's names); each is recognised by the node sqlglot
parses its example call into, so an alias sqlglot reads as the same function (`lcase`, `substr`)
is the same function. Rules are compiled from those parsed trees, so what is checked is what runs.
"""

from __future__ import annotations

import functools

import sqlglot
import sqlglot.expressions as exp

# Group -> function -> an example call (parsed once to learn the function's node).
FUNCTIONS: dict[str, dict[str, str]] = {
    "text": {
        "lower": "lower(x)", "upper": "upper(x)", "lcase": "lcase(x)", "ucase": "ucase(x)",
        "trim": "trim(x)", "ltrim": "ltrim(x)", "rtrim": "rtrim(x)", "length": "length(x)",
        "len": "len(x)", "char_length": "char_length(x)", "strlen": "strlen(x)",
        "substring": "substring(x, 1, 2)", "substr": "substr(x, 1, 2)", "left": "left(x, 2)",
        "right": "right(x, 2)", "replace": "replace(x, 'a', 'b')", "concat": "concat(x, y)",
        "concat_ws": "concat_ws(',', x, y)", "contains": "contains(x, 'a')",
        "starts_with": "starts_with(x, 'a')", "ends_with": "ends_with(x, 'a')",
        "prefix": "prefix(x, 'a')", "suffix": "suffix(x, 'a')", "strpos": "strpos(x, 'a')",
        "instr": "instr(x, 'a')", "position": "position('a' in x)",
        "split_part": "split_part(x, ',', 1)", "regexp_matches": "regexp_matches(x, 'a')",
        "regexp_full_match": "regexp_full_match(x, 'a')",
        "regexp_extract": "regexp_extract(x, 'a')",
        "regexp_replace": "regexp_replace(x, 'a', 'b')", "reverse": "reverse(x)",
    },
    "choice": {
        "coalesce": "coalesce(x, y)", "ifnull": "ifnull(x, y)", "nullif": "nullif(x, y)",
        "greatest": "greatest(x, y)", "least": "least(x, y)", "if": "if(x, y, z)",
    },
    "number": {
        "abs": "abs(x)", "round": "round(x, 2)", "floor": "floor(x)", "ceil": "ceil(x)",
        "ceiling": "ceiling(x)", "sign": "sign(x)",
    },
    "date": {
        "date_trunc": "date_trunc('day', x)", "date_part": "date_part('year', x)",
        "datepart": "datepart('year', x)", "date_diff": "date_diff('day', x, y)",
        "datediff": "datediff('day', x, y)", "date_add": "date_add(x, interval 1 day)",
        "year": "year(x)", "month": "month(x)", "day": "day(x)",
        "dayofweek": "dayofweek(x)", "make_date": "make_date(2026, 1, 2)",
        "last_day": "last_day(x)", "strftime": "strftime(x, '%Y')",
        "strptime": "strptime(x, '%Y')", "try_strptime": "try_strptime(x, '%Y')",
    },
    "cutover's own": {"is_patron_role": "is_patron_role(x)"},
    "aggregate (inside a subquery)": {
        "count": "count(x)", "sum": "sum(x)", "min": "min(x)", "max": "max(x)", "avg": "avg(x)",
        "bool_and": "bool_and(x)", "bool_or": "bool_or(x)", "string_agg": "string_agg(x, ',')",
    },
}

# Label (as docs/rules.md lists it) -> the sqlglot nodes it stands for.
OPERATORS: dict[str, tuple[type[exp.Expression], ...]] = {
    "`and`, `or`, `not`": (exp.And, exp.Or, exp.Not),
    "`=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`": (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE),
    "`is [not] null`, `is [not] distinct from`": (exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ),
    "`[not] in (...)`, `[not] between ... and ...`": (exp.In, exp.Between, exp.Tuple),
    "`[not] like`, `[not] ilike` (with `escape`), `~` (regular expression)":
        (exp.Like, exp.ILike, exp.Escape, exp.RegexpLike),
    "`+`, `-`, `*`, `/`, `//`, `%`, `||`": (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv,
                                          exp.Mod, exp.Neg, exp.DPipe),
    "`case when ... then ... else ... end`": (exp.Case, exp.If),
    "`cast(x as type)`, `try_cast(x as type)`, `x::type`": (exp.Cast, exp.TryCast,
                                                          exp.DataType, exp.DataTypeParam),
    "`extract(part from x)`, `interval '1' day`": (exp.Extract, exp.Interval, exp.Var),
    "`exists (select ...)`, `x = any (select ...)`, `x > all (select ...)`":
        (exp.Exists, exp.Any, exp.All),
    "subqueries: `select [distinct] ... from ... join ... where ... group by ... having ... "
    "order by ... limit ...`, `with`, `union`, `intersect`, `except`":
        (exp.Subquery, exp.Select, exp.From, exp.Join, exp.Where, exp.Group, exp.Having,
         exp.Order, exp.Ordered, exp.Distinct, exp.Limit, exp.Offset, exp.With, exp.CTE,
         exp.Union, exp.Intersect, exp.Except),
    "names, values and `$scenario` values": (exp.Column, exp.Identifier, exp.Table,
                                             exp.TableAlias, exp.Alias, exp.Star, exp.Literal,
                                             exp.Boolean, exp.Null, exp.Placeholder, exp.Paren),
}
SYNTAX: frozenset[type[exp.Expression]] = frozenset(
    node for nodes in OPERATORS.values() for node in nodes)


@functools.cache
def _allowed() -> tuple[frozenset[type[exp.Expr]], frozenset[str]]:
    """The function nodes the examples parse into, and the names of those sqlglot does not
    know (kept as `Anonymous` nodes)."""
    classes: set[type[exp.Expr]] = set()
    names: set[str] = set()
    for group in FUNCTIONS.values():
        for name, example in group.items():
            node = sqlglot.parse_one(example, read="duckdb")
            if isinstance(node, exp.Anonymous):
                names.add(name)
            else:
                classes.add(type(node))
    return frozenset(classes), frozenset(names)


def allowed(node: exp.Expr) -> bool:
    """Whether a rule may use `node`: an allowed function, operator or form."""
    if type(node) in SYNTAX:
        return True
    classes, names = _allowed()
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower() in names
    return type(node) in classes
