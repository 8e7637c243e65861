"""The cases of the users part: the compiled users entity to a file, the same rules in pandas,
the check that both give each user the same rule, and the users query with two rule layers in
turn in one process."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.case_kit import Clock, attach_views, open_data, read_by
from simulator import db
from simulator.core import engine
from simulator.rules import compile as rc
from simulator.rules.loader import load_pack

USERS_COLUMNS = ("primary_id", "record_type", "origin", "created_at", "updated_at")


def case_users_sql(a: argparse.Namespace) -> dict[str, Any]:
    """The compiled users entity (default pack, plus a layer if given) to a Parquet file."""
    clock = Clock()
    clock("opening inputs")
    inputs = open_data(a.data)
    pack = engine.checked_pack(load_pack(a.rules or None))
    entity = pack.entities[("alma", "users")]
    compiled = rc.compile_entity(entity, pack)
    con = db.connect(memory_limit=a.memory_limit)
    try:
        clock("attaching")
        attach_views(con, inputs, read_by(entity, compiled))
        clock("classifying")
        con.execute("create or replace temp table rule_ids (rule_index int, rule_id varchar)")
        con.raw.executemany("insert into rule_ids values (?, ?)",
                            [[i, r.id] for i, r in enumerate(entity.rules)])
        con.execute(
            f"copy (select c.record_key, r.rule_id from ({compiled.sql}) c join rule_ids r "
            f"using (rule_index)) to {db.literal(str(a.out))} (format parquet)",
            compiled.bind(inputs.scenario.params()))
    finally:
        con.close()
    return {**clock.done(), "rules": len(entity.rules)}


def case_rules_interleaved(a: argparse.Namespace) -> dict[str, Any]:
    """The users query with each layer (--rules, repeatable), run in turn in one process.

    One attach, then A B A B ...: both packs see the same machine at nearly the same moments,
    so the ratio is steadier than between processes on a shared machine."""
    inputs = open_data(a.data)
    params = inputs.scenario.params()
    queries = []
    for layer in a.rules:
        pack = engine.checked_pack(load_pack([layer]))
        entity = pack.entities[("alma", "users")]
        compiled = rc.compile_entity(entity, pack)
        queries.append((len(entity.rules), compiled))
    times: dict[int, list[float]] = {n: [] for n, _ in queries}
    read: dict[str, set[str]] = {}
    for _, compiled in queries:
        for schema, names in read_by(compiled.entity, compiled).items():
            read.setdefault(schema, set()).update(names)
    con = db.connect(memory_limit=a.memory_limit)
    try:
        attach_views(con, inputs, read)
        for i in range(a.repeat):
            for n, compiled in queries if i % 2 == 0 else queries[::-1]:
                start = time.perf_counter()
                con.rows(f"select count(*), sum(hash(record_key, rule_index)) from "
                         f"({compiled.sql})", compiled.bind(params))
                times[n].append(time.perf_counter() - start)
    finally:
        con.close()
    return {"times": {str(n): t for n, t in times.items()}}


def case_users_pandas(a: argparse.Namespace) -> dict[str, Any]:
    """The users rules of the default pack in pandas, from the same Parquet files."""
    import pandas as pd

    clock = Clock()
    clock("opening inputs")
    inputs = open_data(a.data)
    params = inputs.scenario.params()
    start, end = pd.Timestamp(params["freeze_start"]), pd.Timestamp(params["clean_data_delivered"])
    clock("reading")
    users = pd.read_parquet(a.data / "freeze" / "users.parquet", columns=list(USERS_COLUMNS))
    roles = pd.read_parquet(a.data / "freeze" / "user_roles.parquet",
                            columns=["primary_id", "role_type"])
    patrons = pd.read_parquet(a.data / "extract" / "patrons.parquet", columns=["primary_id"])
    testload = pd.read_parquet(a.data / "testload" / "users.parquet",
                               columns=["primary_id", "record_type"])
    clock("classifying")
    role = roles["role_type"].astype("string").str.strip().str.lower()
    staff_ids = set(roles.loc[role.notna() & ~role.isin(["patron", "200"]),
                              "primary_id"].str.lower())
    patron_ids = set(patrons["primary_id"].str.lower())
    testload_public = set(testload.loc[testload["record_type"] == "PUBLIC",
                                       "primary_id"].str.lower())
    key = users["primary_id"].str.lower()
    has_staff = key.isin(staff_ids)
    in_extract = key.isin(patron_ids)
    at_testload = key.isin(testload_public)
    created = pd.to_datetime(users["created_at"])
    updated = pd.to_datetime(users["updated_at"])
    created_in = (created >= start) & (created < end)
    changed_in = (updated >= start) & (updated < end)
    staff = users["record_type"].isin(["STAFF", "CONTACT"])
    made = users["origin"] == "CREATED"
    conditions = [
        ("users.created-during-freeze", created_in),
        ("users.changed-during-freeze", staff & changed_in),
        ("users.staff-created-collides", staff & made & in_extract & ~at_testload),
        ("users.non-public", staff),
        ("users.public-staff-created-matched", has_staff & in_extract & made),
        ("users.public-staff-matched", has_staff & in_extract),
        ("users.public-staff-unmatched", has_staff),
    ]
    rule = pd.Series("users.public", index=users.index, dtype="object")
    decided = pd.Series(False, index=users.index)
    for rule_id, cond in conditions:
        hit = cond.fillna(False).astype(bool) & ~decided
        rule[hit] = rule_id
        decided |= hit
    clock("writing")
    out = pd.DataFrame({"record_key": users["primary_id"].fillna(""), "rule_id": rule})
    out.to_parquet(a.out, index=False)
    return clock.done()


def case_same_users(a: argparse.Namespace) -> dict[str, Any]:
    con = db.connect()
    try:
        left, right = (f"read_parquet({db.literal(str(p))})" for p in (a.left, a.right))
        diff = int(con.one(f"select count(*) from (select record_key, rule_id from {left} "
                           f"except all select record_key, rule_id from {right})"))
        rows = [int(con.one(f"select count(*) from {t}")) for t in (left, right)]
    finally:
        con.close()
    return {"same": diff == 0 and rows[0] == rows[1], "rows": rows, "differ": diff}
