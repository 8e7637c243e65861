"""The rule compiler: golden SQL that is also executed, bound parameters, quoting, rule order.

Golden files: `tests/golden/<side>.<entity>.sql` hold the exact SQL `compile_entity` produces for
the default pack. After an intended change to the compiler or to those rules, regenerate them
with

    UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_compile.py

and review the diff. Each golden test also runs the golden SQL on DuckDB over a small fixture
and compares the rows (record key -> deciding rule) with the expected ones and with the ledger.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BEFORE, DURING, World, default_pack, role, user
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import db
from simulator.core import engine
from simulator.errors import Loc
from simulator.inputs.tables import TABLES, Col, Table
from simulator.rules import analysis
from simulator.rules import compile as rc
from simulator.rules.loader import load_pack
from simulator.rules.model import Entity, Fact, Pack, Rule

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def removing(rule_id: str, when: str, loc: Loc) -> Rule:
    """A parsed rule (as lint leaves it) that removes what `when` matches."""
    return Rule(rule_id, when, "removed", "r", "c", loc, loc, tree=analysis.parse(when))


def golden(name: str, text: str) -> str:
    """Compare `text` with tests/golden/<name>.sql (or rewrite it under UPDATE_GOLDEN=1)."""
    path = GOLDEN / f"{name}.sql"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/test_compile.py"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (f"compiled SQL differs from {path}; if intended, regenerate with "
                              "UPDATE_GOLDEN=1 pytest tests/test_compile.py and review the diff")
    return expected


def run_golden(world: World, side: str, name: str) -> dict[str, str]:
    """Compile the entity, check it against its golden file, run the golden SQL: key -> rule id."""
    pack = default_pack()
    entity = pack.entities[(side, name)]
    compiled = rc.compile_entity(entity, pack)
    sql = golden(f"{side}.{name}", compiled.sql)
    with world.session() as session:
        session.need()
        rows = session.con.rows(sql, compiled.bind(session.scenario.params()))
    assert len(rows) == len({k for k, _ in rows}), "one row per record"
    got = {key: entity.rules[index].id for key, index in rows}
    ledger = world.ledger()
    assert got == {k: r.rule_id for (s, e, k), r in ledger.items() if (s, e) == (side, name)}
    return got


def test_golden_users(world: World) -> None:
    world.pre = {
        "users": [
            user("S1", "STAFF", created_at=DURING),
            user("S2", "STAFF", updated_at=DURING),
            user("S3", "STAFF", origin="CREATED"),
            user("C4", "CONTACT"),
            user("P1"), user("P2"), user("P3"), user("P4", origin="CREATED"),
        ],
        "user_roles": [role("P1"), role("P1", "Cataloger"), role("p2", "200"),
                       role("P2", "Cataloger"), role("P3", "200"), role("P4", "Cataloger")],
    }
    world.extract = {"patrons": [{"primary_id": p} for p in ("s3", "p1", "P4")]}
    assert run_golden(world, "alma", "users") == {
        "S1": "users.created-during-freeze",
        "S2": "users.changed-during-freeze",
        "S3": "users.staff-created-collides",
        "C4": "users.non-public",
        "P1": "users.public-staff-matched",
        "P2": "users.public-staff-unmatched",
        "P3": "users.public",
        "P4": "users.public-staff-created-matched",
    }


def test_golden_patrons(world: World) -> None:
    world.pre = {
        "users": [user("S1", "STAFF"), user("S2", "STAFF", origin="CREATED"),
                  user("T1", "STAFF", origin="CREATED"), user("P1"),
                  user("F1", "STAFF", created_at=DURING)],
        "user_roles": [role("P1", "Cataloger")],
    }
    world.testload = {"users": [user("T1")]}
    world.extract = {"patrons": [{"primary_id": p}
                                 for p in ("s1", "S2", "t1", "P1", "N1", "f1")]}
    assert run_golden(world, "extract", "patrons") == {
        "s1": "patrons.staff-conversion",
        "t1": "patrons.staff-conversion",
        "S2": "patrons.staff-created-collision",
        "P1": "patrons.refreshes-public-staff",
        "N1": "patrons.load",
        "f1": "patrons.load",  # its staff user was created during the freeze: gone by then
    }


def config(area: str, item: str, **kw: Any) -> dict[str, Any]:
    return {"area": area, "item_id": item, "name": item, "created_at": BEFORE,
            "updated_at": BEFORE, **kw}


def test_golden_configuration(world: World) -> None:
    world.pre = {"configuration": [
        config("letters", "L1", created_at=DURING),
        config("online_services_order", "O1"),
        config("cloud_app_configuration", "A1", updated_at=DURING),
        config("templates", "T1", updated_at=DURING),
        config("digitization_profile", "D1", collection_id="C1"),
        config("digital_import_profile", "D2", collection_id="C2", updated_at=DURING),
        config("letters", "L2"),
    ]}
    assert run_golden(world, "alma", "configuration") == {
        "letters|L1": "configuration.created-during-freeze",
        "online_services_order|O1": "configuration.not-retained",
        "cloud_app_configuration|A1": "configuration.not-retained",
        "templates|T1": "configuration.changed-during-freeze",
        "digitization_profile|D1": "configuration.collection-link",
        "digital_import_profile|D2": "configuration.changed-during-freeze-linked",
        "letters|L2": "configuration.retained",
    }


FUNDS = [{"fund_code": "F1", "fiscal_period": "2026"}, {"fund_code": "F2", "fiscal_period": "2026"}]


@pytest.mark.parametrize(("options", "expected"), [
    ({}, {"F1": "funds.removed", "F2": "funds.removed"}),
    ({"retain_funds": True, "reload_acquisitions": False},
     {"F1": "funds.retained-fiscal-period-differs", "F2": "funds.retained"}),
    ({"retain_funds": True, "reload_acquisitions": True},
     {"F1": "funds.retain-with-reload", "F2": "funds.retain-with-reload"}),
])
def test_golden_funds(world: World, options: dict[str, bool], expected: dict[str, str]) -> None:
    world.pre = {"funds": FUNDS}
    world.extract = {"funds": [{"fund_code": "F1", "fiscal_period": "2025"},
                               {"fund_code": "F2", "fiscal_period": "2026"}]}
    world.options = options
    assert run_golden(world, "alma", "funds") == expected


# --- values are parameters, names are quoted ---------------------------------------------------


def test_scenario_values_are_bound_parameters() -> None:
    pack = default_pack()
    funds = rc.compile_entity(pack.entities[("alma", "funds")], pack)
    assert "$retain_funds" in funds.sql and "$reload_acquisitions" in funds.sql
    assert funds.params == {"retain_funds", "reload_acquisitions"}
    assert funds.bind({"retain_funds": True, "reload_acquisitions": False, "summon": True}) == {
        "reload_acquisitions": False, "retain_funds": True}
    users = rc.compile_entity(pack.entities[("alma", "users")], pack)
    assert users.params == {"freeze_start", "clean_data_delivered"}
    assert "2026" not in users.sql  # the dates stay in the scenario


def test_an_entity_with_the_same_texts_in_another_pack_is_not_compiled_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A what-if variant's pack: its unchanged entities reuse the SQL compiled for the base
    pack, with its own entity and facts; a changed rule compiles anew."""
    def pack_with(when: str) -> Pack:
        folder = tmp_path / f"pack{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "parameters.yaml").write_text(
            "entity: parameters\nrules:\n"
            f"  - {{id: p.mine, when: \"{when}\", outcome: retained, reason: r, cite: c}}\n"
            "  - {id: p.all, when: true, outcome: removed, reason: r, cite: c}\n",
            encoding="utf-8")
        return engine.checked_pack(load_pack(base=folder))

    compiles: list[str] = []
    real = rc.compile_entity
    monkeypatch.setattr(rc, "compile_entity",
                        lambda entity, pack, pseudonymize=False: compiles.append(entity.id)
                        or real(entity, pack, pseudonymize))
    monkeypatch.setattr(rc, "_SQL", {})
    first, second, changed = (pack_with("value = 'x1'"), pack_with("value = 'x1'"),
                              pack_with("value = 'x2'"))
    entity = ("alma", "parameters")
    a = rc.compiled(first.entities[entity], first)
    b = rc.compiled(second.entities[entity], second)
    assert compiles == ["alma.parameters"]
    assert b.sql == a.sql and b.params == a.params
    assert b.entity is second.entities[entity]  # locations stay the variant's own
    c = rc.compiled(changed.entities[entity], changed)
    assert compiles == ["alma.parameters", "alma.parameters"]
    assert "'x2'" in c.sql and "'x2'" not in a.sql


def test_a_hostile_scenario_value_is_only_data(tmp_path: Path) -> None:
    pack_dir = tmp_path / "pack"
    pack_dir.mkdir()
    (pack_dir / "parameters.yaml").write_text(
        "entity: parameters\nrules:\n"
        "  - {id: p.mine, when: \"value = $institution\", outcome: retained, reason: r, cite: c}\n"
        "  - {id: p.all, when: true, outcome: removed, reason: r, cite: c}\n", encoding="utf-8")
    pack = engine.checked_pack(load_pack(base=pack_dir))
    compiled = rc.compile_entity(pack.entities[("alma", "parameters")], pack)
    hostile = "x'); drop table pre.parameters; --"
    con = db.connect()
    try:
        con.execute("create schema pre")
        con.execute("create table pre.parameters as select * from (values "
                    "('a', $v), ('b', 'NFU')) t(name, value)", {"v": hostile})
        rows = con.rows(compiled.sql + "order by record_key",
                        compiled.bind({"institution": hostile}))
        assert rows == [("a", 0), ("b", 1)]
        assert con.one("select count(*) from pre.parameters") == 2
    finally:
        con.close()


@pytest.fixture
def weird_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pack]:
    """A table, key, column, fact and rule id with double quotes in their names."""
    name = 'we"ird'
    monkeypatch.setitem(TABLES, name, Table(name, ("alma",), "configuration",
                                            (Col('ke"y'), Col('va"l')), ('ke"y',)))
    loc = Loc("x.yaml", 1, 1)
    fact = Fact('fa"ct', "1 = 1", loc, analysis.parse("1 = 1"))
    when = '"va""l" = \'a"b\''
    rules = [Rule('r"1', when, "removed", "r", "c", loc, loc, tree=analysis.parse(when)),
             Rule("r2", "true", "retained", "r", "c", loc, loc, tree=analysis.parse("true"))]
    entity = Entity(name, "alma", ('ke"y',), loc, {fact.name: fact}, rules)
    yield Pack({("alma", name): entity}, {}, [], "")


def test_identifiers_with_double_quotes_are_quoted_safely(weird_table: Pack) -> None:
    entity = weird_table.entities[("alma", 'we"ird')]
    compiled = rc.compile_entity(entity, weird_table)
    assert '"pre"."we""ird" as "we""ird"' in compiled.sql
    assert 'cast("we""ird"."ke""y" as varchar)' in compiled.sql
    assert 'as "fa""ct"' in compiled.sql
    explained = rc.explain_sql(entity, weird_table, 1)
    con = db.connect()
    try:
        con.execute("create schema pre")
        con.execute('create table pre."we""ird" ("ke""y" varchar, "va""l" varchar)')
        con.execute("""insert into pre."we""ird" values ('k1', 'a"b'), ('k"2', 'z')""")
        assert con.rows(compiled.sql + "order by record_key") == [("k\"2", 1), ("k1", 0)]
        cursor = con.execute(explained.sql, explained.bind({"k0": 'k"2'}))
        assert [d[0] for d in cursor.description] == ["record_key", 'fa"ct', 'rule:r"1',
                                                      "rule:r2"]
        assert cursor.fetchall() == [('k"2', True, False, True)]
    finally:
        con.close()


def test_every_name_reaches_the_sql_through_db_ident(weird_table: Pack,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    quoted: list[str] = []
    real = db.ident

    def spy(name: str) -> str:
        quoted.append(name)
        return real(name)

    monkeypatch.setattr(db, "ident", spy)
    entity = weird_table.entities[("alma", 'we"ird')]
    rc.compile_entity(entity, weird_table)
    rc.explain_sql(entity, weird_table, 1)
    assert {'we"ird', "pre", 'ke"y', 'fa"ct', 'rule:r"1', "rule:r2"} <= set(quoted)


# --- rule order: the CASE picks the first rule that holds, as in Python ------------------------

Truth = bool | None  # SQL's three-valued logic
Cond = tuple[str, Callable[[int | None], Truth]]
SMALL = st.integers(-2, 2)


def _cmp(op: str, k: int) -> Cond:
    fns: dict[str, Callable[[int, int], bool]] = {
        "=": lambda x, y: x == y, "<>": lambda x, y: x != y, "<": lambda x, y: x < y,
        ">=": lambda x, y: x >= y}
    return f"loan_count {op} {k}", lambda x: None if x is None else fns[op](x, k)


def _and(a: Truth, b: Truth) -> Truth:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Truth, b: Truth) -> Truth:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


atoms = st.one_of(
    st.builds(_cmp, st.sampled_from(["=", "<>", "<", ">="]), SMALL),
    st.just(("loan_count is null", lambda x: x is None)),
    st.just(("loan_count is not null", lambda x: x is not None)),
    st.just(("true", lambda x: True)),
    st.just(("false", lambda x: False)),
    st.builds(lambda a, b: (f"loan_count between {a} and {b}",
                            lambda x: None if x is None else a <= x <= b), SMALL, SMALL),
    st.builds(lambda a, b: (f"loan_count in ({a}, {b})",
                            lambda x: None if x is None else x in (a, b)), SMALL, SMALL),
)


def _extend(inner: st.SearchStrategy[Cond]) -> st.SearchStrategy[Cond]:
    return st.one_of(
        st.builds(lambda c: (f"not ({c[0]})", lambda x: None if c[1](x) is None else not c[1](x)),
                  inner),
        st.builds(lambda a, b: (f"({a[0]}) and ({b[0]})", lambda x: _and(a[1](x), b[1](x))),
                  inner, inner),
        st.builds(lambda a, b: (f"({a[0]}) or ({b[0]})", lambda x: _or(a[1](x), b[1](x))),
                  inner, inner),
    )


conditions = st.recursive(atoms, _extend, max_leaves=4)


@pytest.fixture(scope="module")
def items_con() -> Iterator[db.Connection]:
    con = db.connect()
    con.execute("create schema pre")
    con.execute("create table pre.items (barcode varchar, library_code varchar, "
                "location_code varchar, status varchar, loan_count bigint, _row bigint)")
    yield con
    con.close()


@settings(max_examples=150, deadline=None, database=None)  # no .hypothesis folder
@given(rules=st.lists(conditions, min_size=1, max_size=6),
       values=st.lists(st.one_of(st.none(), SMALL), min_size=1, max_size=8))
def test_the_case_picks_the_first_matching_rule(items_con: db.Connection, rules: list[Cond],
                                                values: list[int | None]) -> None:
    loc = Loc("p.yaml", 1, 1)
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", sql, loc) for i, (sql, _) in enumerate(rules)])
    compiled = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], ""))
    items_con.execute("delete from pre.items")
    items_con.raw.executemany("insert into pre.items (barcode, loan_count) values (?, ?)",
                              [[f"B{i}", v] for i, v in enumerate(values)])
    got = dict(items_con.rows(compiled.sql))
    expected = {f"B{i}": next((j for j, (_, fn) in enumerate(rules) if fn(v) is True), None)
                for i, v in enumerate(values)}
    assert got == expected


# -- correlated subqueries become joins on grouped keys ---------------------------------------

def _base(*fact_sql: str, entity: str = "users") -> str:
    record = Entity(entity, "alma", TABLES[entity].key, Loc("x"))
    return rc.base_sql(record, [Fact(f"f{i}", sql, Loc("x"), analysis.parse(sql))
                                for i, sql in enumerate(fact_sql)])


def test_a_simply_correlated_exists_becomes_a_left_join_on_grouped_keys() -> None:
    sql = _base("exists (select 1 from pre.user_roles r where lower(r.primary_id) = "
                "lower(users.primary_id) and r.role_type = 'X')")
    assert "EXISTS" not in sql
    assert ("left join (SELECT LOWER(r.primary_id) AS k, BOOL_OR(TRUE) AS _m0 FROM "
            "pre.user_roles AS r WHERE r.role_type = 'X' GROUP BY k) as _j0 on _j0.k = "
            "LOWER(users.primary_id)") in sql.replace("CAST(TRUE AS BOOLEAN)", "TRUE")
    assert "(COALESCE(_j0._m0, FALSE)) as \"f0\"" in sql


def test_equal_subqueries_share_one_join() -> None:
    text = "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id)"
    sql = _base(text, f"not {text}")
    assert sql.count("left join") == 1 and sql.count("COALESCE(_j0._m0, FALSE)") == 2
    assert "_m1" not in sql


def test_subqueries_over_the_same_tables_by_the_same_key_share_one_join() -> None:
    """The facts of a role about its user (changed, created, its type) are one join with the
    users table, each over the rows its own conditions keep."""
    sql = _base(
        "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id "
        "and r.role_type = 'X')",
        "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id "
        "and r.scope = 'S')",
        "(select r.status from pre.user_roles r where r.primary_id = users.primary_id)",
        "exists (select 1 from pre.user_roles r where lower(r.primary_id) = "
        "lower(users.primary_id))",  # another key: another join
    )
    assert sql.count("left join") == 2
    assert "FILTER(WHERE r.role_type = 'X') AS _m0" in sql
    assert "FILTER(WHERE r.scope = 'S') AS _m1" in sql
    assert "COUNT(*) AS _m2, ANY_VALUE(r.status) AS _m3" in sql
    assert "GROUP BY k) as _j0 on _j0.k = users.primary_id" in sql
    assert "WHERE" not in sql.split("as _j0")[0].split("FROM pre.user_roles AS r")[1]


@pytest.mark.parametrize("fact", [
    # correlated by two equalities
    "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id "
    "and r.role_type = users.record_type)",
    # an unqualified column could be the record's
    "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id "
    "and role_type = 'X')",
    # not correlated by an equality
    "exists (select 1 from pre.user_roles r where r.primary_id > users.primary_id)",
    # inside another subquery
    "(select count(*) from pre.users u where exists (select 1 from pre.user_roles r "
    "where r.primary_id = users.primary_id)) > 0",
    # grouped
    "exists (select 1 from pre.user_roles r where r.primary_id = users.primary_id "
    "group by r.primary_id having count(*) > 1)",
    # scalar subqueries that may see several rows or none: aggregated, distinct, ordered
    "(select count(*) from pre.user_roles r where r.primary_id = users.primary_id) > 1",
    "(select distinct r.scope from pre.user_roles r where r.primary_id = users.primary_id) "
    "= 'S'",
    "(select r.scope from pre.user_roles r where r.primary_id = users.primary_id "
    "order by r.scope limit 1) = 'S'",
    # a set, not a value
    "users.record_type in (select r.role_type from pre.user_roles r "
    "where r.primary_id = users.primary_id)",
])
def test_other_subqueries_stay_as_written(fact: str) -> None:
    assert "left join" not in _base(fact)


@pytest.fixture(scope="module")
def keys_con() -> Iterator[db.Connection]:
    con = db.connect()
    con.execute("create schema pre")
    con.execute("create table pre.users (primary_id varchar, record_type varchar)")
    con.execute("create table pre.user_roles (primary_id varchar, role_type varchar)")
    try:
        yield con
    finally:
        con.close()


_IDS = st.sampled_from(["a", "A", "b", "B ", "c", None])
_USERS = st.lists(st.tuples(_IDS, st.sampled_from(["PUBLIC", "STAFF", None])), max_size=8)
_ROLES = st.lists(st.tuples(_IDS, st.sampled_from(["X", "Y", None])), max_size=8)
Pair = tuple[str | None, str | None]


@given(users=_USERS, roles=_ROLES, negate=st.booleans())
@settings(max_examples=60, deadline=None)
def test_the_join_gives_the_values_of_the_subqueries(
        keys_con: db.Connection, users: list[Pair], roles: list[Pair], negate: bool) -> None:
    """An `exists`, its negation and a scalar subquery read from one join give what DuckDB
    gives for them as written, including its error when a scalar subquery finds two rows."""
    con = keys_con
    con.execute("delete from pre.users")
    con.execute("delete from pre.user_roles")
    for table, rows in (("pre.users", users), ("pre.user_roles", roles)):
        for row in rows:
            con.execute(f"insert into {table} values ($a, $b)", {"a": row[0], "b": row[1]})
    tied = "from pre.user_roles r where lower(r.primary_id) = lower(users.primary_id)"
    exists = f"exists (select 1 {tied} and r.role_type = 'X')"
    facts = (f"not {exists}" if negate else exists, f"(select r.role_type {tied})")
    joined = _base(*facts)
    plain = ("select users.*, " + ", ".join(f"({f}) as f{i}" for i, f in enumerate(facts))
             + " from pre.users as users")
    assert joined.count("left join") == 1

    def run(sql: str) -> object:
        try:
            return con.rows(f"select * from ({sql}) order by all")
        except db.DuckDBError as e:
            return str(e).splitlines()[0]  # without DuckDB's hint of a setting

    assert run(joined) == run(plain)


@pytest.mark.parametrize(("source", "unique"), [
    ("pre.users u where lower(u.primary_id) = lower(user_roles.primary_id)", True),
    ("pre.users u where u.primary_id = user_roles.primary_id", True),  # unique as is too
    ("testload.users u where lower(u.primary_id) = lower(user_roles.primary_id) "
     "and u.record_type = 'PUBLIC'", True),
    ("extract.patrons p where lower(p.primary_id) = lower(user_roles.primary_id)", True),
    # not the table's key, a key of three columns, two tables, not an input schema
    ("pre.users u where lower(u.internal_id) = lower(user_roles.primary_id)", False),
    ("pre.user_roles r where lower(r.primary_id) = lower(user_roles.primary_id)", False),
    ("pre.users u join pre.user_roles r on r.primary_id = u.primary_id "
     "where lower(u.primary_id) = lower(user_roles.primary_id)", False),
    ("post.users u where lower(u.primary_id) = lower(user_roles.primary_id)", False),
])
def test_a_table_read_by_its_own_key_is_joined_without_grouping(source: str,
                                                                 unique: bool) -> None:
    """Validation keeps a table's key unique: read by it, the table has one row a key at most,
    so it is joined as it is; anything else is grouped by the key."""
    sql = _base(f"exists (select 1 from {source})",
                f"(select 'x' from {source})", entity="user_roles")
    assert sql.count("left join") == 1
    assert ("GROUP BY k" not in sql) == unique
    assert ("ERROR(" not in sql) == unique  # one row cannot be two


@given(users=_USERS, roles=_ROLES, negate=st.booleans())
@settings(max_examples=60, deadline=None)
def test_the_join_by_a_tables_own_key_gives_the_values_of_the_subqueries(
        keys_con: db.Connection, users: list[Pair], roles: list[Pair], negate: bool) -> None:
    """Over users as validation leaves them (a Primary ID on each, none twice ignoring letter
    case), an `exists`, its negation and a scalar subquery read from the ungrouped join give
    what DuckDB gives for them as written, for every role."""
    con = keys_con
    con.execute("delete from pre.users")
    con.execute("delete from pre.user_roles")
    seen: set[str] = set()
    for pid, kind in users:
        if pid is not None and pid.lower() not in seen:
            seen.add(pid.lower())
            con.execute("insert into pre.users values ($a, $b)", {"a": pid, "b": kind})
    for pid, role_type in roles:
        con.execute("insert into pre.user_roles values ($a, $b)", {"a": pid, "b": role_type})
    tied = "from pre.users u where lower(u.primary_id) = lower(user_roles.primary_id)"
    exists = f"exists (select 1 {tied} and u.record_type = 'STAFF')"
    facts = (f"not {exists}" if negate else exists, f"(select u.record_type {tied})",
             f"(select u.primary_id {tied} and u.record_type = 'PUBLIC')")
    joined = _base(*facts, entity="user_roles")
    plain = ("select user_roles.*, " + ", ".join(f"({f}) as f{i}" for i, f in enumerate(facts))
             + " from pre.user_roles as user_roles")
    assert joined.count("left join") == 1 and "GROUP BY" not in joined
    assert con.rows(f"select * from ({joined}) order by all") == \
        con.rows(f"select * from ({plain}) order by all")


# -- runs of rules guarded by constants are decided behind one hash join ----------------------

STATUSES = ("A", "B", "C", None)
GUARD_COLUMNS = ("status", "library_code")  # a run's rules may be guarded by either
guarded = st.tuples(st.sampled_from(GUARD_COLUMNS), st.sampled_from(["=", "in"]),
                    st.lists(st.sampled_from(STATUSES[:3]), min_size=1, max_size=2, unique=True),
                    conditions)
Record = tuple[str | None, str | None, int | None]  # status, library_code, loan_count


def _guarded_rule(g: tuple[str, str, list[str], Cond],
                  shared: Cond = ("true", lambda x: True)) -> tuple[str, Callable[[Record], Truth]]:
    """`column = 'x' and (condition)`, or `column in (...)`; with `shared`, that condition too."""
    column, op, values, (sql, fn) = g
    values = values[:1] if op == "=" else values
    test = (f"{column} = '{values[0]}'" if op == "=" else
            f"{column} in (" + ", ".join(f"'{s}'" for s in values) + ")")
    at = GUARD_COLUMNS.index(column)
    return (f"{test} and ({sql}) and ({shared[0]})",
            lambda v: _and(_and(None if v[at] is None else v[at] in values, fn(v[2])),
                           shared[1](v[2])))


@settings(max_examples=200, deadline=None, database=None)
@given(rules=st.lists(st.one_of(guarded.map(_guarded_rule),
                                conditions.map(lambda c: (c[0], lambda v: c[1](v[2])))),
                      min_size=1, max_size=10),
       values=st.lists(st.tuples(st.sampled_from(STATUSES), st.sampled_from(STATUSES),
                                 st.one_of(st.none(), SMALL)), min_size=1, max_size=8),
       few=st.sampled_from([0, rc.FEW]))
def test_guarded_runs_pick_the_first_matching_rule(
        items_con: db.Connection, few: int,
        rules: list[tuple[str, Callable[[Record], Truth]]], values: list[Record]) -> None:
    """Whatever mix of guard columns a run has, the first rule that matches decides: each
    column's rules are tried in order behind its own test, and the earliest of their answers
    wins."""
    loc = Loc("p.yaml", 1, 1)
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", sql, loc) for i, (sql, _) in enumerate(rules)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rc, "LOOKUP_MIN", 2)  # runs of two and more: most examples have one
        patch.setattr(rc, "FEW", few)  # the constants joined, or compared directly
        compiled = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], ""))
    items_con.execute("delete from pre.items")
    items_con.raw.executemany(
        "insert into pre.items (barcode, status, library_code, loan_count) values (?, ?, ?, ?)",
        [[f"B{i}", *v] for i, v in enumerate(values)])
    got = dict(items_con.rows(compiled.sql))
    expected = {f"B{i}": next((j for j, (_, fn) in enumerate(rules) if fn(v) is True), None)
                for i, v in enumerate(values)}
    assert got == expected


@settings(max_examples=150, deadline=None, database=None)
@given(rules=st.lists(guarded, min_size=1, max_size=8), shared=conditions,
       values=st.lists(st.tuples(st.sampled_from(STATUSES), st.sampled_from(STATUSES),
                                 st.one_of(st.none(), SMALL)), min_size=1, max_size=8),
       few=st.sampled_from([0, rc.FEW]))
def test_a_condition_every_rule_of_a_guard_has_is_tested_once_and_the_answer_stays(
        items_con: db.Connection, few: int, rules: list[tuple[str, str, list[str], Cond]],
        shared: Cond, values: list[Record]) -> None:
    """Rules that all share a condition (and often their guard's one constant) have it tested
    once, with the guard, and left out of their WHENs: the first rule that matches still
    decides, NULLs included."""
    made = [_guarded_rule(g, shared) for g in rules]
    loc = Loc("p.yaml", 1, 1)
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", sql, loc) for i, (sql, _) in enumerate(made)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rc, "LOOKUP_MIN", 1)  # every list is one run
        patch.setattr(rc, "FEW", few)
        compiled = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], ""))
    assert compiled.sql.count(f"({analysis.render(analysis.parse(shared[0]))})") \
        >= compiled.sql.count("then case")  # with each column's guard, not in every WHEN
    items_con.execute("delete from pre.items")
    items_con.raw.executemany(
        "insert into pre.items (barcode, status, library_code, loan_count) values (?, ?, ?, ?)",
        [[f"B{i}", *v] for i, v in enumerate(values)])
    expected = {f"B{i}": next((j for j, (_, fn) in enumerate(made) if fn(v) is True), None)
                for i, v in enumerate(values)}
    assert dict(items_con.rows(compiled.sql)) == expected


def test_a_guards_own_constant_and_shared_conditions_leave_the_whens() -> None:
    loc = Loc("p.yaml", 1, 1)
    n = rc.LOOKUP_MIN
    whens = [f"status = 'S' and loan_count is not null and loan_count > {i}" for i in range(n)]
    whens += [f"library_code = '{'AB'[i % 2]}' and loan_count < {i}" for i in range(n)]
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", w, loc) for i, w in enumerate(whens + ["true"])])
    sql = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], "")).sql
    # one constant, shared by every rule: tested by the guard alone, with the shared condition
    assert ('case when "items"."status" in (\'S\') and (NOT loan_count IS NULL) then case\n'
            "    when (loan_count > 0) then 0\n    when (loan_count > 1) then 1\n") in sql
    # two constants: each rule keeps its own; nothing every rule has, nothing moved
    assert ('case when "items"."library_code" in (\'A\', \'B\') then case\n'
            f"    when (library_code = 'A' AND loan_count < 0) then {n}\n"
            f"    when (library_code = 'B' AND loan_count < 1) then {n + 1}\n") in sql


def test_a_run_guarded_by_two_columns_tries_each_columns_rules_behind_its_own_test() -> None:
    loc = Loc("p.yaml", 1, 1)
    n = rc.LOOKUP_MIN
    whens = [f"{'status' if i % 2 else 'library_code'} = 'S{i}' and loan_count > {i}"
             for i in range(n)] + ["true"]
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", w, loc) for i, w in enumerate(whens)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rc, "FEW", n)  # compared directly
        sql = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], "")).sql
    libraries = ", ".join(f"'S{i}'" for i in range(0, n, 2))
    assert f'least(case when "items"."library_code" in ({libraries}) then case' in sql
    statuses = ", ".join(f"'S{i}'" for i in range(1, n, 2))
    assert f'case when "items"."status" in ({statuses}) then case' in sql
    # each column's rules keep their own indexes
    assert "when (library_code = 'S2' AND loan_count > 2) then 2" in sql
    assert "when (status = 'S3' AND loan_count > 3) then 3" in sql


def test_a_long_guarded_run_is_one_when_behind_a_join_with_its_constants() -> None:
    loc = Loc("p.yaml", 1, 1)
    whens = [f"status = 'S{i}' and loan_count > {i}" for i in range(rc.LOOKUP_MIN)]
    whens += ["loan_count > 5 or library_code = 'MAIN'", "true"]
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", w, loc) for i, w in enumerate(whens)])
    sql = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], "")).sql
    statuses = ", ".join(f"('S{i}')" for i in range(rc.LOOKUP_MIN))
    assert (f'left join (values {statuses}) as _l0(_value) on _l0._value = "items"."status"'
            in sql)
    assert "case when _l0._value is not null then case" in sql
    assert "when _run0 is not null then _run0" in sql
    n = rc.LOOKUP_MIN
    # the rules after the run are plain WHENs with their own indexes
    assert f"when (loan_count > 5 OR library_code = 'MAIN') then {n}" in sql
    assert f"when (TRUE) then {n + 1}" in sql


def test_a_short_run_stays_plain() -> None:
    loc = Loc("p.yaml", 1, 1)
    whens = [f"status = 'S{i}'" for i in range(rc.LOOKUP_MIN - 1)] + ["true"]
    entity = Entity("items", "alma", ("barcode",), loc, rules=[
        removing(f"r{i}", w, loc) for i, w in enumerate(whens)])
    sql = rc.compile_entity(entity, Pack({("alma", "items"): entity}, {}, [], "")).sql
    assert "_run" not in sql and "looked" not in sql
