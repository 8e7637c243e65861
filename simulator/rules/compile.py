"""Compiling an entity's rules into one SQL pass.

Facts become columns of one `base` projection (each evaluated once per record); the ordered
rules become one CASE that yields the index of the first rule that matches. Scenario values stay
`$name` parameters; names reach the SQL only through `db.ident`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from simulator import db
from simulator.inputs import keys
from simulator.inputs.tables import SCHEMA_SIDE, TABLES
from simulator.privacy import path_pseudonyms_sql, pseudonym_sql
from simulator.rules.analysis import DIALECT, columns_used, params_used, render
from simulator.rules.model import Entity, Fact, Pack, Rule, linted


@dataclass
class Compiled:
    entity: Entity
    facts: list[Fact]
    sql: str  # one pass: record_key, rule_index
    params: set[str]

    def bind(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: values[k] for k in sorted(self.params)}


def facts_for(entity: Entity, pack: Pack, rules: list[Rule] | None = None) -> list[Fact]:
    """The entity's facts plus the shared facts its rules (or `rules`) mention, sorted."""
    named = dict(entity.facts)
    wanted = set(named)
    for rule in entity.rules if rules is None else rules:
        wanted |= columns_used(linted(rule.tree))
    for name, fact in sorted(pack.shared_facts.items()):
        if name in wanted and name not in named:
            named[name] = fact
    return [named[n] for n in sorted(named)]


def key_sql(entity: Entity, alias: str, pseudonymize: bool = False) -> str:
    """The ledger key: parts joined by `|`; Primary IDs as keyed pseudonyms when asked, also
    inside a path that holds one (`Col.path_of`)."""
    table = TABLES[entity.name]

    def part(column: str, sql: str) -> str:
        col = table.column(column)
        if pseudonymize and col.ci:
            return pseudonym_sql(sql)
        if pseudonymize and col.path_of:
            return path_pseudonyms_sql(sql, keys.column_text(alias, col.path_of))
        return sql

    return keys.key_sql(entity.name, alias, part)


def base_sql(entity: Entity, facts: list[Fact]) -> str:
    """The entity's rows with one column per fact (one line per fact).

    A fact's subquery tied to the record by one equality (an `exists`, or a scalar subquery
    of one value) is read from a left join instead: DuckDB would plan each as a
    duplicate-eliminating join over every record, at twice the cost. Subqueries over the same
    tables by the same key share one join, grouped by that key (`_Probe`): the facts a role
    reads about its user from the users table are one join, not one per fact. A record's key
    that several joins match on (`lower(primary_id)`) is computed once per record, as column
    `_key<n>` of the record, not once per join.
    """
    alias = db.ident(entity.name)
    probes: dict[tuple[str, str], _Probe] = {}
    facts_sql = [
        f"({render(_joined(linted(f.tree), entity.name, probes))}) as {db.ident(f.name)}"
        for f in facts]
    source = f"{db.qualified(entity.schema, TABLES[entity.name].name)} as {alias}"
    outers = [p.outer for p in probes.values()]
    key = {o: f"_key{i}" for i, o in enumerate(dict.fromkeys(
        o for o in outers if outers.count(o) > 1))}
    record = f"{alias}.*"
    if key:
        source = (f"(select *, {', '.join(f'{o} as {k}' for o, k in key.items())} "
                  f"from {source}) as {alias}")
        record += f" exclude ({', '.join(key.values())})"
    return ("select " + ",\n    ".join([record, *facts_sql]) + f"\n  from {source}"
            + "".join(f"\n  left join ({p.sql()}) as {p.name} on {p.name}.k = "
                      + (f"{alias}.{key[p.outer]}" if p.outer in key else p.outer)
                      for p in probes.values()))


# DuckDB's own words when a scalar subquery finds more than one row: a fact read from a probe
# fails the same way, and the engine names the fact when it sees them.
MANY_ROWS = ("More than one row returned by a subquery used as an expression - scalar "
             "subqueries can only return a single row.")


_AGGREGATE = {"exists": "bool_or(true)", "count": "count(*)", "value": "any_value({})"}


@dataclass
class _Probe:
    """One left join: the rows of `source` grouped by their key `k`, one aggregate column per
    subquery read from it (`_m0`, `_m1`, ...), each over the rows its own conditions keep.

    A `unique` probe reads one table by its own key, which validation keeps unique (and
    what-if's patches too): it has at most one row per key, so it is joined as it is, each
    member that row's value, without a hash aggregate of every row of the table.
    """
    name: str
    source: exp.Select  # select <inner key> as k from <tables> (no where)
    outer: str  # the record's side of the equality
    unique: bool = False
    members: list[tuple[str, str, exp.Expression | None]] = field(default_factory=list)

    def column(self, kind: str, value: str, condition: exp.Expression | None) -> exp.Column:
        """The column of one member: `exists` (true when a row is kept), `count` (the rows
        kept) or `value` (the value of `value` in a row kept)."""
        member = (kind, value, condition)
        if member not in self.members:
            self.members.append(member)
        return exp.column(f"_m{self.members.index(member)}", table=self.name)

    def sql(self) -> str:
        select = self.source.copy()
        conditions = [c for _, _, c in self.members]
        filtered = len(set(map(str, conditions))) > 1  # else the WHERE below is every filter
        for i, (kind, value, condition) in enumerate(self.members):
            if self.unique:
                one = "true" if kind == "exists" else value
                if filtered and condition:
                    one = f"case when {render(condition)} then {one} end"
            else:
                one = _AGGREGATE[kind].format(value)
                if filtered and condition:
                    one += f" filter (where {render(condition)})"
            select = select.select(f"{one} as _m{i}", dialect=DIALECT)
        if all(c is not None for c in conditions):  # only the rows some member reads
            select = select.where(exp.or_(*(c.copy() for c in conditions if c is not None)))
        return render(select if self.unique else select.group_by("k"))


def _joined(tree: exp.Expression, outer: str,
            probes: dict[tuple[str, str], _Probe]) -> exp.Expression:
    """`tree` with each top-level simply correlated subquery read from a probe in `probes`."""
    def rewrite(node: exp.Expression) -> Any:
        scalar = _scalar(node)
        if not (isinstance(node, exp.Exists) or scalar) \
                or node.find_ancestor(exp.Select) is not None:
            return node
        found = _correlation(node.this, outer)
        if found is None:
            return node
        outer_key, source, rest = found
        probe = probes.setdefault((render(source), render(outer_key)), _Probe(
            f"_j{len(probes)}", source, render(outer_key), _by_own_key(source)))
        if not scalar:
            return exp.func("coalesce", probe.column("exists", "", rest), exp.false())
        value = render(node.this.expressions[0])
        if probe.unique:
            return probe.column("value", value, rest)
        many = exp.GT(this=probe.column("count", "", rest), expression=exp.Literal.number(1))
        return exp.Case().when(many, exp.func("error", exp.Literal.string(MANY_ROWS))).else_(
            probe.column("value", value, rest))

    return tree.copy().transform(rewrite)


def _by_own_key(source: exp.Select) -> bool:
    """Whether `source` reads one input table by the whole of its key (as it is, or lowered
    when the key ignores letter case, as validation compares it): at most one row a key."""
    tables = list(source.find_all(exp.Table))
    if len(tables) != 1 or source.args.get("joins") or tables[0].db not in SCHEMA_SIDE:
        return False
    spec = TABLES.get(tables[0].name)
    if spec is None or len(spec.key) != 1:
        return False
    key, col = source.expressions[0].unalias(), spec.column(spec.key[0])
    if col.ci and isinstance(key, exp.Lower):  # unique lowered, so unique as it is too
        key = key.this
    return (isinstance(key, exp.Column) and key.name == col.name
            and key.table == tables[0].alias_or_name)


def _scalar(node: exp.Expression) -> bool:
    """A subquery used as a value, of one column, neither aggregated nor ordered: at most one
    row per record, or DuckDB stops the query."""
    select = node.this if isinstance(node, exp.Subquery) else None
    return (isinstance(select, exp.Select) and len(select.expressions) == 1
            and not isinstance(node.parent, exp.In | exp.Any | exp.All | exp.Exists)
            and not select.args.get("distinct") and not select.args.get("order")
            and not select.args.get("offset")
            and select.expressions[0].find(exp.AggFunc, exp.Window) is None)


def _correlation(select: Any, outer: str) -> tuple[Any, exp.Select, Any] | None:
    """(the record's key, `select <inner key> as k from <its tables>`, the other conditions)
    when the subquery is tied to the record by exactly one equality, and every other column it
    names is qualified by one of its own tables; otherwise None (it stays as written)."""
    if not isinstance(select, exp.Select) or select.args.get("where") is None \
            or select.args.get("group") or select.args.get("having") \
            or select.args.get("limit") or select.args.get("with"):
        return None
    own = {t.alias_or_name for t in select.find_all(exp.Table)}
    terms = _conjuncts(select.args["where"].this)
    for term in terms:
        if not isinstance(term, exp.EQ):
            continue
        sides = (term.left, term.right)
        tables = [{c.table for c in side.find_all(exp.Column)} for side in sides]
        for mine, theirs in ((0, 1), (1, 0)):
            if tables[mine] != {outer} or not tables[theirs] <= own or not tables[theirs] \
                    or any(side.find(exp.Select) for side in sides):
                continue
            rest = [t for t in terms if t is not term]
            inner = select.copy()
            inner.set("where", exp.Where(this=exp.and_(*rest)) if rest else None)
            if not all(c.table in own for c in inner.find_all(exp.Column)):
                return None
            inner.set("where", None)
            inner.set("expressions", [exp.alias_(sides[theirs].copy(), "k")])
            return sides[mine].copy(), inner, exp.and_(*rest).copy() if rest else None
    return None


def _conjuncts(tree: Any) -> list[Any]:
    """The terms of a top-level AND (the tree itself when it is not one)."""
    return list(tree.flatten()) if isinstance(tree, exp.And) else [tree]


def case_sql(rules: list[tuple[int, Rule]],
             runs: dict[int, tuple[int, str]] | None = None) -> str:
    """One CASE over the ordered rules (each with its index): the index of the first whose
    `when` holds.

    `runs` maps the list position of the first rule of a guarded run to (its length, the column
    holding the run's deciding rule): one WHEN stands for the whole run.
    """
    runs = runs or {}
    whens, i = [], 0
    while i < len(rules):
        if i in runs:
            length, column = runs[i]
            whens.append(f"\n    when {column} is not null then {column}")
            i += length
        else:
            index, rule = rules[i]
            whens.append(f"\n    when ({_when(rule)}) then {index}")
            i += 1
    return f"case{''.join(whens)}\n  end"


def _when(rule: Rule) -> str:
    return render(linted(rule.tree))


# -- rules guarded by constants: one hash probe instead of one test per rule ------------------

LOOKUP_MIN = 8  # consecutive guarded rules; fewer cost less as plain WHENs
FEW = 4  # constants of a guard column compared directly; more are joined (one hash probe)


def _guards(entity: Entity) -> list[tuple[str, list[str]] | None]:
    """Per rule, a conjunct `column = 'x'` or `column in ('x', ...)` that must hold for the rule
    to match (a text column of the entity's table), or None. Of several, the column with the
    most distinct constants across the entity's rules: it splits the records most finely."""
    columns = _text_columns(entity)
    options = [[found for term in _terms(rule) for found in _constants(term, columns)]
               for rule in entity.rules]
    distinct: dict[str, set[str]] = {}
    for found in options:
        for name, constants in found:
            distinct.setdefault(name, set()).update(constants)
    return [max(found, key=lambda g: len(distinct[g[0]])) if found else None
            for found in options]


def _text_columns(entity: Entity) -> set[str]:
    return {c.name for c in TABLES[entity.name].columns if c.type == "text"}


def _terms(rule: Rule) -> list[exp.Expression]:
    """The conjuncts of the rule's `when`, without their parentheses."""
    return [t.unnest() for t in _conjuncts(linted(rule.tree).unnest())]


def _constants(term: exp.Expression, columns: set[str]) -> list[tuple[str, list[str]]]:
    """(column, constants) when `term` is `column = 'x'` or `column in ('x', ...)` over one
    of `columns`, else nothing."""
    pairs: list[tuple[Any, list[Any]]] = []
    if isinstance(term, exp.EQ):
        pairs = [(term.left, [term.right]), (term.right, [term.left])]
    elif isinstance(term, exp.In) and not (term.args.get("query") or term.args.get("unnest")):
        pairs = [(term.this, term.expressions)]
    return [(col.name, [str(v.this) for v in values]) for col, values in pairs
            if isinstance(col, exp.Column) and not col.table and col.name in columns
            and values and all(isinstance(v, exp.Literal) and v.is_string for v in values)]


def _lookups(entity: Entity, alias: str) -> tuple[dict[int, tuple[int, str]], str]:
    """The runs of at least LOOKUP_MIN guarded rules, and the SQL that decides each run.

    A rule of a run can only match a record whose value of its guard column is one of its
    constants. Per guard column, a hash join with the constants of the run's rules guarded by
    it (a plain comparison when they are few) finds the records that may match one of them,
    and only those records try those rules, in order; the run's deciding rule is the first
    such rule over all guard columns (`least`, which skips NULLs). A record whose values name
    none of the constants skips the whole run, and one that names a common value (`status =
    'INACTIVE'`) tries only the rules that value guards, without the conjuncts they all share
    (`_guarded_case`). Each run's deciding rule (or NULL) becomes a column `_runN`.
    """
    guards, columns = _guards(entity), _text_columns(entity)
    runs: dict[int, tuple[int, str]] = {}
    cols, joins = [f"{alias}.*"], list[str]()
    i = 0
    while i < len(guards):
        j = i
        while j < len(guards) and guards[j] is not None:
            j += 1
        if j - i < LOOKUP_MIN:
            i = max(j, i + 1)
            continue
        by_column: dict[str, tuple[set[str], list[tuple[int, Rule]]]] = {}
        for k in range(i, j):
            column, values = guards[k] or ("", [])
            named, members = by_column.setdefault(column, (set(), []))
            named.update(values)
            members.append((k, entity.rules[k]))
        decided = [_guarded_case(_guard_test(alias, column, named, joins), column, named,
                                 members, columns)
                   for column, (named, members) in sorted(by_column.items())]
        column = f"_run{len(runs)}"
        first = decided[0] if len(decided) == 1 else f"least({', '.join(decided)})"
        cols.append(f"{first} as {column}")
        runs[i] = (j - i, column)
        i = j
    if not runs:
        return {}, ""
    return runs, ("select " + ",\n    ".join(cols) + f"\n  from base as {alias}"
                  + "".join(f"\n  {join}" for join in joins))


def _guarded_case(test: str, column: str, named: set[str], members: list[tuple[int, Rule]],
                  columns: set[str]) -> str:
    """The members' CASE, tried only where `test` (the record's `column` is one of `named`)
    holds. A member's own test of `column` that `test` implies is left out, and a conjunct
    every member has is tested once, with `test`. DuckDB pays each WHEN once per vector that
    has a record behind the guard, and a common value (`status = 'INACTIVE'`) puts a few in
    every vector: fewer and simpler WHENs there save about half of what such a run costs."""
    def needed(term: exp.Expression) -> bool:
        return not any(name == column and named <= set(values)
                       for name, values in _constants(term, columns))

    rests = [[t for t in _terms(rule) if needed(t)] for _, rule in members]
    shared = [t for t in rests[0] if all(t in rest for rest in rests[1:])]
    whens = ""
    for (index, _), rest in zip(members, rests, strict=True):
        own = [render(exp.paren(t) if isinstance(t, exp.Connector) else t)
               for t in rest if t not in shared]
        whens += f"\n    when ({' AND '.join(own) or 'TRUE'}) then {index}"
    guard = " and ".join([test, *(f"({render(t)})" for t in shared)])
    return f"case when {guard} then case{whens}\n  end end"


def _guard_test(alias: str, column: str, named: set[str], joins: list[str]) -> str:
    """Whether the record's `column` is one of `named`: compared directly when they are few,
    else through a left join with them (added to `joins`)."""
    listed = [db.literal(v) for v in sorted(named)]
    if len(listed) <= FEW:
        return f"{alias}.{db.ident(column)} in ({', '.join(listed)})"
    name = f"_l{len(joins)}"
    joins.append(f"left join (values {', '.join(f'({v})' for v in listed)}) as "
                 f"{name}(_value) on {name}._value = {alias}.{db.ident(column)}")
    return f"{name}._value is not null"


def _trees(facts: list[Fact], rules: list[Rule]) -> list[exp.Expression]:
    return [linted(f.tree) for f in facts] + [linted(r.tree) for r in rules]


def compiled(entity: Entity, pack: Pack, pseudonymize: bool = False) -> Compiled:
    """`compile_entity`, once per pack (the pack keeps it: packs are not changed after lint),
    and its SQL once per process for the same texts: a what-if variant's pack is the base pack
    with a few rules changed, and its other entities compile to the SQL they had."""
    key = (entity.id, pseudonymize)
    if key not in pack.compiled:
        facts = facts_for(entity, pack)
        text = (entity.side, entity.name, entity.key, pseudonymize,
                tuple(r.when for r in entity.rules), tuple((f.name, f.sql) for f in facts))
        if text not in _SQL:
            done = compile_entity(entity, pack, pseudonymize)
            _SQL[text] = (done.sql, frozenset(done.params))
        sql, params = _SQL[text]
        pack.compiled[key] = Compiled(entity, facts, sql, set(params))
    return pack.compiled[key]


# The SQL (and parameters) compiled from an entity's texts, for the process (`compiled`).
_SQL: dict[tuple[object, ...], tuple[str, frozenset[str]]] = {}


def compile_entity(entity: Entity, pack: Pack, pseudonymize: bool = False) -> Compiled:
    """One pass over the entity's table: `record_key` and the index of the deciding rule."""
    facts = facts_for(entity, pack)
    alias = db.ident(entity.name)
    key = key_sql(entity, alias, pseudonymize)
    runs, looked = _lookups(entity, alias)
    ctes = f"base as (\n  {base_sql(entity, facts)}\n)"
    if looked:
        ctes += f", looked as (\n  {looked}\n)"
    sql = (
        f"with {ctes}\n"
        f"select {key} as record_key,\n"
        f"  {case_sql(list(enumerate(entity.rules)), runs)} as rule_index\n"
        f"from {'looked' if looked else 'base'} as {alias}\n"
    )
    params = params_used(_trees(facts, entity.rules))
    if "$pseudonymize_key" in key:
        params.add("pseudonymize_key")
    return Compiled(entity, facts, sql, params)


def explain_sql(entity: Entity, pack: Pack, key_parts: int) -> Compiled:
    """Every fact and every rule's `when` for the records whose key matches `$k0..$kN`."""
    facts = facts_for(entity, pack)
    alias = db.ident(entity.name)
    table = TABLES[entity.name]
    conds = []
    for i, k in enumerate(entity.key[:key_parts]):
        col = f"coalesce(cast({alias}.{db.ident(k)} as varchar), '')"
        if table.column(k).ci:
            conds.append(f"lower({col}) = lower($k{i})")
        else:
            conds.append(f"{col} = $k{i}")
    values = [f"({render(linted(r.tree))}) as {db.ident('rule:' + r.id)}"
              for r in entity.rules]
    fact_cols = [f"{alias}.{db.ident(f.name)}" for f in facts]
    sql = (
        f"with base as (\n  {base_sql(entity, facts)}\n)\n"
        f"select {key_sql(entity, alias)} as record_key,\n  "
        + ",\n  ".join(fact_cols + values)
        + f"\nfrom base as {alias}\nwhere {' and '.join(conds)}\norder by record_key\n"
    )
    params = params_used(_trees(facts, entity.rules)) | {f"k{i}" for i in range(key_parts)}
    return Compiled(entity, facts, sql, params)
