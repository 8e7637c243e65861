"""A consortium-sized synthetic institution set, written as Parquet snapshots by DuckDB SQL.

`cutover generate --users N --institutions K --seed S --out DIR` writes

    DIR/scenario.yaml    the scenario (institution CNS, the sample's dates)
    DIR/testload/        Alma after the test load (stage testload): the migrated users
    DIR/freeze/          Alma at the freeze (stage freeze): every Alma-side table
    DIR/extract/         the final legacy extract (stage extract) and its two forms
    DIR/cutover/         Alma right after the cutover load (stage cutover), as the default
                         rule pack predicts it, except for a few deliberate surprises
    DIR/generated.json   parameters, row counts and the surprises (with sample keys)

The K member institutions share one snapshot set (one Alma, one extract), as a consortium
cutover is benchmarked (docs/benchmarks.md): institution codes show in Primary IDs, library
codes and role scopes. Every row comes from `range()` in SQL: no Python loop runs per record,
and the values are a deterministic function of the row number and the seed (an integer hash,
`u(i, salt)`), so the same arguments give the same data.

Shares (of N, the Alma users at the freeze), after the benchmark's consortium (5M users, 15M
roles, 3.5M patrons, 10M items, 2M loans, 0.5M requests): see `Profile`.

This module holds the population (users by case, their patrons, the staff) every snapshot is
read from; consortium_snapshots, consortium_config and consortium_cutover write the tables.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.synth import consortium_snapshots as snapshots
from simulator.synth.consortium import INSTITUTION, PUBLIC_GROUPS, Consortium, Profile, names
from simulator.synth.consortium_cutover import LOST_PATRON, cutover, surprises
from simulator.synth.texts import scenario_text

MARKER = "generated.json"
SNAPSHOTS = ("testload", "freeze", "extract", "cutover")
WRITERS: dict[str, Callable[[Consortium], None]] = {
    "testload": snapshots.testload, "freeze": snapshots.freeze, "extract": snapshots.extract,
    "cutover": cutover}

SCENARIO = scenario_text(INSTITUTION, "A synthetic consortium written by `cutover generate` "
                                      "(fictional data).", "ils-team@consortium.example")

# Users by case: (kind, share of N). The cases of the users, user_roles and patrons rules.
KINDS = (
    ("staff_created", 0.012),      # STAFF made in Alma (some during the freeze, some collide)
    ("staff_converted", 0.0035),   # public at the test load, staff since: their patrons bounce
    ("contact", 0.004),
    ("public_staff", 0.010),       # public with a staff role, patron in the extract: refreshed
    ("public_staff_lost", 0.001),  # public with a staff role, no patron: removed with roles
    ("public_staff_created", 0.0005),  # made in Alma, staff role, patron in the extract
    ("public_freeze", 0.0005),     # public user made during the freeze
    ("public_matched", 0.64),      # migrated public user whose patron comes again
    ("public_gone", 1.0),          # the rest: migrated public users not in the extract
)


@dataclass
class Generated:
    out: Path
    rows: dict[str, dict[str, int]]
    surprises: list[dict[str, Any]]


def generate(
    out: Path,
    users: int,
    institutions: int = 12,
    seed: int = 7,
    memory_limit: str | None = None,
    progress: Callable[[str], None] = lambda step: None,
    profile: Profile | None = None,
) -> Generated:
    """Write the snapshot set to `out` (replacing an earlier generated set there)."""
    _check(out, users, institutions, seed)
    profile = profile or Profile()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    con = db.connect(memory_limit=memory_limit)
    try:
        c = Consortium(con, out, users, institutions, seed, profile)
        progress("generating users")
        c.define_macros()
        populate(c)
        for stage in SNAPSHOTS:
            progress(f"writing the {stage} snapshot")
            WRITERS[stage](c)
        progress("counting rows")
        rows = {stage: c.counts(stage) for stage in SNAPSHOTS}
        found = surprises(c)
    finally:
        con.close()
    (out / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    meta = {"generator": "cutover generate", "users": users, "institutions": institutions,
            "seed": seed, "institution": INSTITUTION, "profile": asdict(profile),
            "rows": rows, "surprises": found}
    (out / MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")
    return Generated(out, rows, found)


def _generated(out: Path) -> bool:
    """Whether `out` holds a set this command wrote: its MARKER says so (any file of that name
    is not enough: replacing `out` deletes everything in it)."""
    try:
        meta = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("generator") == "cutover generate"


def _check(out: Path, users: int, institutions: int, seed: int) -> None:
    problems = []
    if users < 100:
        problems.append(Problem(Loc("--users"), f"at least 100 users, not {users}"))
    if not 1 <= institutions <= 99:
        problems.append(Problem(Loc("--institutions"),
                                f"between 1 and 99 institutions, not {institutions}"))
    if seed < 0:
        problems.append(Problem(Loc("--seed"), f"a seed is a whole number >= 0, not {seed}"))
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _generated(out))):
        problems.append(Problem(Loc(display_path(out)), "--out exists and is not a folder "
                                                        "written by `cutover generate`"))
    if problems:
        raise UserError(problems)


# -- the population: temp tables every snapshot reads --------------------------------------------
def populate(c: Consortium) -> None:
    """g_users (every Alma user, by case), g_patrons (the extract's) and g_staff."""
    _users(c)
    _patrons(c)
    c.run("create or replace temp table g_staff as select row_number() over (order by i) - 1 "
          "as s, pid, internal_id, inst from g_users where kind = 'staff_created' and not "
          "freeze_created")
    c.n_patrons = int(c.con.one("select count(*) from g_patrons"))
    c.n_staff = int(c.con.one("select count(*) from g_staff"))


def _kind() -> str:
    """The case of user i: by KINDS' shares of u1, but the first rows take every kind in turn,
    so tiny sets still hold every case."""
    bounds, total = [], 0.0
    for kind, share in KINDS:
        total = min(1.0, total + share)
        bounds.append(f"when u1 < {total!r} then {db.literal(kind)}")
    kinds = ", ".join(db.literal(k) for k, _ in KINDS)
    return (f"case when i < 2 * {len(KINDS)} then [{kinds}][i % {len(KINDS)} + 1] "
            f"{' '.join(bounds)} end")


def _users(c: Consortium) -> None:
    c.run(f"""
        create or replace temp table g_users as
        with base as (
          select range as i, range % $k + 1 as inst, u(range, 1) as u1, u(range, 2) as u2,
                 u(range, 3) as u3, u(range, 4) as u4
          from range($n)
        ), kinded as (
          select *, {_kind()} as kind
          from base
        )
        select i, inst, kind, u2, u3, u4,
          inst(inst) || '-' || lpad(cast(i as varchar), 9, '0') as pid,
          cast(1000000000 + i as varchar) as internal_id,
          case when kind in ('staff_created', 'staff_converted') then 'STAFF'
               when kind = 'contact' then 'CONTACT' else 'PUBLIC' end as record_type,
          case when kind in ('staff_created', 'contact', 'public_staff_created',
                             'public_freeze') then 'CREATED' else 'MIGRATED' end as origin,
          case when kind in ('staff_created', 'staff_converted') then 'STAFF'
               when kind = 'contact' then 'CONTACT'
               else {names(PUBLIC_GROUPS)}[cast(floor(u3 * {len(PUBLIC_GROUPS)}) as int) + 1]
               end as user_group,
          (kind = 'staff_created' and u2 < 0.03 or kind = 'public_freeze') as freeze_created,
          (kind = 'staff_created' and u2 >= 0.03 and u2 < 0.08
           or kind = 'contact' and u2 < 0.05) as freeze_changed,
          (kind in ('public_staff', 'public_staff_created', 'public_matched')
           or kind = 'staff_converted' and u2 < 0.85
           or kind = 'staff_created' and u2 >= 0.08 and u2 < 0.09) as in_extract,
          case when kind in ('staff_created', 'staff_converted') then 1
               when kind = 'contact' then 0
               else 1 + cast(floor(u4 * 5) as int) end as n_patron_roles,
          case when kind in ('staff_created', 'staff_converted')
               then 2 + cast(floor(u4 * 4) as int)
               when kind like 'public_staff%' then 1 + cast(floor(u4 * 2) as int)
               else 0 end as n_staff_roles
        from kinded
    """)


def _patrons(c: Consortium) -> None:
    """The Alma users who come again (1 % of them spelled in lower case), then patrons new to
    Alma; p is the patron's row number, used to pick loan borrowers."""
    c.run(f"""
        create or replace temp table g_patrons as
        select row_number() over (order by src, i) - 1 as p, *
        from (
          select 0 as src, i, inst, kind,
                 case when kind = 'public_matched' and u2 < 0.01 then lower(pid) else pid
                 end as primary_id,
                 case when kind like 'public%' then user_group
                      else 'FACULTY' end as user_group,
                 {LOST_PATRON.format(a="")} as lost
          from g_users where in_extract
          union all
          select 1, range, range % $k + 1, 'new',
                 inst(range % $k + 1) || '-N' || lpad(cast(range as varchar), 9, '0'),
                 {names(PUBLIC_GROUPS)}[cast(floor(u(range, 5) * {len(PUBLIC_GROUPS)})
                                              as int) + 1], false
          from range($new)
        )
    """, new=c.count(c.p.new_patrons))


def write_rule_layer(folder: Path, extra: int, entity: str = "users",
                     shape: str = "mixed") -> Path:
    """A layered pack adding `extra` rules to the users entity, before its catch-all.

    The rules are the kind an institution adds and match no generated user, so every record is
    tested against all of them. `mixed` (local user groups, departments, account names, some
    guarded only by a common value such as `status = 'INACTIVE'`) is the worst case for
    rule-count scaling (bench, one-pass test); `groups` is the usual layer, one rule per local
    user group.
    """
    if entity != "users":
        raise ValueError("only the users entity has a generated layer")
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Generated by simulator.synth.generate.write_rule_layer: local rules that match no",
             "# generated user.", "entity: users", "side: alma", "rules:"]
    conditions = {
        "mixed": (
            "record_type = 'PUBLIC' and user_group = 'LOCAL{i:03d}' and has_staff_role",
            "status = 'INACTIVE' and email like '%@dept{i:03d}.example' and in_extract",
            "origin = 'CREATED' and username = 'local.account.{i:03d}' and not public_at_testload",
            "account_type = 'INTERNAL' and user_group = 'SPECIAL{i:03d}' and not in_extract",
        ),
        "groups": ("user_group = 'LOCAL{i:03d}' and has_staff_role",
                   "user_group = 'GUEST{i:03d}' and not in_extract"),
    }[shape]
    for i in range(extra):
        when = conditions[i % len(conditions)].format(i=i)
        lines += [
            f"  - id: users.local-{i:03d}",
            "    before: users.public",
            f"    when: \"{when}\"",
            "    outcome: removed",
            f"    reason: Local rule {i} of a generated layer (matches no generated user).",
            "    cite: Users at cutover",
        ]
    path = folder / "users.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
