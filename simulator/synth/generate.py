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
cutover is benchmarked in DESIGN 6: institution codes show in Primary IDs, library codes and role
scopes. Every row comes from `range()` in SQL: no Python loop runs per record, and the values
are a deterministic function of the row number and the seed (an integer hash, `u(i, salt)`), so
the same arguments give the same data.

Shares (of N, the Alma users at the freeze), after DESIGN 6's consortium (5M users, 15M roles,
3.5M patrons, 10M items, 2M loans, 0.5M requests): see `Profile`.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.inputs.tables import MERGED_CODE_TABLES, TABLES
from simulator.synth.sample import scenario_text

INSTITUTION = "CNS"
MARKER = "generated.json"
SNAPSHOTS = ("testload", "freeze", "extract", "cutover")
FORMAT = "(format parquet, compression zstd)"

SCENARIO = scenario_text(INSTITUTION, "A synthetic consortium written by `cutover generate` "
                                      "(fictional data).", "ils-team@consortium.example")
TAKEN_AT = {"testload": "2025-09-20T06:00:00Z", "freeze": "2026-03-02T07:00:00Z",
            "extract": "2026-03-03T18:00:00Z", "cutover": "2026-03-10T22:00:00Z"}
FORMS = {
    "migration-form.xlsx.txt": "Migration form (synthetic): answers as of the cutover.\n"
                               "patron_primary_id_source: UNIV_ID\n",
    "field-mapping-form.csv": "legacy_field,alma_field\nPATRON_ID,primary_id\n"
                              "PATRON_TYPE,user_group\n",
}

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
STAFF_ROLES = ("Circulation Desk Operator", "Cataloger", "Purchase Operator",
               "Fulfillment Services Operator", "General System Administrator",
               "Requests Operator", "Repository Manager", "Analytics Designer")
LIBRARIES = ("MAIN", "LAW", "MED", "SCI", "ART", "MUS")
LOCATIONS = ("STACKS", "REF", "RESERVE", "PER", "MEDIA")
PUBLIC_GROUPS = ("UNDERGRAD", "UNDERGRAD", "UNDERGRAD", "GRAD", "GRAD", "FACULTY", "ALUMNI",
                 "COMMUNITY")
CONFIG_AREAS = (("letters", 40), ("templates", 20), ("normalization_rules", 15),
                ("indication_rules", 10), ("online_services_order", 3),
                ("cloud_app_configuration", 5), ("digitization_profile", 4),
                ("digital_import_profile", 4))
OTHER_CODE_TABLES = ("letter_types", "call_number_types", "material_types")


@dataclass(frozen=True)
class Profile:
    """Rows per Alma user (N) or per institution (K); DESIGN 6's consortium at N = 5M."""

    new_patrons: float = 0.046     # extract patrons with no Alma user (patrons = ~0.7 N)
    extract_items: float = 2.0     # the legacy inventory: 2 items per user
    extract_loans: float = 0.4     # 70 % active, 30 % returned
    extract_requests: float = 0.1
    alma_items: float = 0.2        # Alma's own inventory tables at the freeze (a sample)
    alma_loans: float = 0.02
    alma_requests: float = 0.005
    orders: float = 0.01
    invoices: float = 0.006
    sets: int = 150                # per institution
    collections: int = 12
    vendors: int = 40
    rs_partners: int = 10
    webhooks: int = 5
    jobs: int = 30
    funds: int = 30
    fund_transactions: int = 200
    licenses: int = 20
    courses: int = 100
    reading_lists: int = 150
    citations: int = 1000
    analytics_reports: int = 60
    authorities: int = 200


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
        g = _Gen(con, out, users, institutions, seed, profile)
        progress("generating users")
        g.setup()
        for stage in SNAPSHOTS:
            progress(f"writing the {stage} snapshot")
            getattr(g, stage)()
        progress("counting rows")
        rows = {stage: g.counts(stage) for stage in SNAPSHOTS}
        surprises = g.surprises()
    finally:
        con.close()
    (out / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    meta = {"generator": "cutover generate", "users": users, "institutions": institutions,
            "seed": seed, "institution": INSTITUTION, "profile": asdict(profile),
            "rows": rows, "surprises": surprises}
    (out / MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")
    return Generated(out, rows, surprises)


def _check(out: Path, users: int, institutions: int, seed: int) -> None:
    problems = []
    if users < 100:
        problems.append(Problem(Loc("--users"), f"at least 100 users, not {users}"))
    if not 1 <= institutions <= 99:
        problems.append(Problem(Loc("--institutions"),
                                f"between 1 and 99 institutions, not {institutions}"))
    if seed < 0:
        problems.append(Problem(Loc("--seed"), f"a seed is a whole number >= 0, not {seed}"))
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARKER).is_file())):
        problems.append(Problem(Loc(display_path(out)), "--out exists and is not a folder "
                                                        "written by `cutover generate`"))
    if problems:
        raise UserError(problems)


def _names(values: tuple[str, ...]) -> str:
    """A SQL list literal of fixed names (module constants, quoted as literals)."""
    return "[" + ", ".join(db.literal(v) for v in values) + "]"


class _Gen:
    def __init__(self, con: db.Connection, out: Path, users: int, institutions: int,
                 seed: int, profile: Profile) -> None:
        self.con, self.out, self.n, self.k, self.p = con, out, users, institutions, profile
        self.params: dict[str, Any] = {"n": users, "k": institutions}
        self.seed = seed % 2_147_483_647

    # -- helpers ---------------------------------------------------------------------------
    def count(self, per_user: float) -> int:
        return max(1, round(self.n * per_user))

    def per_inst(self, count: int) -> int:
        return count * self.k

    def run(self, sql: str, **params: Any) -> None:
        used = {k: v for k, v in {**self.params, **params}.items()
                if re.search(rf"\${k}\b", sql)}
        self.con.execute(sql, used)

    def write(self, stage: str, table: str, select: str, **params: Any) -> None:
        cols = ", ".join(db.ident(c) for c in TABLES[table].column_names)
        path = self.out / stage / f"{table}.parquet"
        self.run(f"copy (select {cols} from ({select})) to {db.literal(str(path))} {FORMAT}",
                 **params)

    def copy(self, stage: str, table: str, source_stage: str) -> None:
        src = self.out / source_stage / f"{table}.parquet"
        self.write(stage, table, f"select * from read_parquet({db.literal(str(src))})")

    def manifest(self, stage: str, forms: bool = False) -> None:
        folder = self.out / stage
        folder.mkdir(parents=True, exist_ok=True)
        text = (f"format_version: 1\ninstitution: {INSTITUTION}\nstage: {stage}\n"
                f"taken_at: {TAKEN_AT[stage]}\n")
        if forms:
            text += ("forms:\n  migration_form: migration-form.xlsx.txt\n"
                     "  field_mapping_form: field-mapping-form.csv\n")
            for name, body in FORMS.items():
                (folder / name).write_text(body, encoding="utf-8")
        (folder / "snapshot.yaml").write_text(text, encoding="utf-8")

    def counts(self, stage: str) -> dict[str, int]:
        out = {}
        for path in sorted((self.out / stage).glob("*.parquet")):
            out[path.stem] = int(self.con.one(
                f"select count(*) from read_parquet({db.literal(str(path))})"))
        return out

    # -- the shared temp tables ------------------------------------------------------------
    def setup(self) -> None:
        run = self.run
        # u(i, salt): a uniform number in [0, 1) from the row number, a salt and the seed
        # (an integer hash, bit-mixed so that different salts are independent).
        run("create or replace temp macro mix32(x) as "
            "(xor(x >> 16, x) * 73244475) % 4294967296")
        run("create or replace temp macro u(i, salt) as "
            f"mix32(mix32(mix32((i * 2654435761 + salt * 40503 + {self.seed}) % 4294967296)))"
            " / 4294967296.0")
        run("create or replace temp macro inst(j) as 'I' || lpad(cast(j as varchar), 2, '0')")
        run("create or replace temp macro lib(j, l) as inst(j) || '-' || "
            f"{_names(LIBRARIES)}[l + 1]")
        run("create or replace temp macro day(base, frac, days) as "
            "cast(base as timestamp) + to_seconds(cast(frac * days * 86400 as bigint))")
        bounds, total = [], 0.0
        for kind, share in KINDS:
            total = min(1.0, total + share)
            bounds.append(f"when u1 < {total!r} then {db.literal(kind)}")
        kinds = ", ".join(db.literal(k) for k, _ in KINDS)
        # The first rows take every kind in turn, so tiny sets still hold every case.
        run(f"""
            create or replace temp table g_users as
            with base as (
              select range as i, range % $k + 1 as inst, u(range, 1) as u1, u(range, 2) as u2,
                     u(range, 3) as u3, u(range, 4) as u4
              from range($n)
            ), kinded as (
              select *, case when i < 2 * {len(KINDS)} then [{kinds}][i % {len(KINDS)} + 1]
                             {' '.join(bounds)} end as kind
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
                   else {_names(PUBLIC_GROUPS)}[cast(floor(u3 * {len(PUBLIC_GROUPS)}) as int) + 1]
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
        # Extract patrons: the Alma users who come again (1 % of them spelled in lower case),
        # then patrons new to Alma; p is the patron's row number, used to pick loan borrowers.
        run(f"""
            create or replace temp table g_patrons as
            select row_number() over (order by src, i) - 1 as p, *
            from (
              select 0 as src, i, inst, kind,
                     case when kind = 'public_matched' and u2 < 0.01 then lower(pid) else pid
                     end as primary_id,
                     case when kind like 'public%' then user_group
                          else 'FACULTY' end as user_group,
                     {self.LOST_PATRON.format(a="")} as lost
              from g_users where in_extract
              union all
              select 1, range, range % $k + 1, 'new',
                     inst(range % $k + 1) || '-N' || lpad(cast(range as varchar), 9, '0'),
                     {_names(PUBLIC_GROUPS)}[cast(floor(u(range, 5) * {len(PUBLIC_GROUPS)})
                                                  as int) + 1], false
              from range($new)
            )
        """, new=self.count(self.p.new_patrons))
        run("create or replace temp table g_staff as select row_number() over (order by i) - 1 "
            "as s, pid, internal_id, inst from g_users where kind = 'staff_created' and not "
            "freeze_created")
        self.n_patrons = int(self.con.one("select count(*) from g_patrons"))
        self.n_staff = int(self.con.one("select count(*) from g_staff"))

    # -- snapshots -------------------------------------------------------------------------
    def users_select(self, testload: bool = False) -> str:
        if testload:
            where = "origin = 'MIGRATED'"
            record_type = "case when kind = 'staff_converted' then 'PUBLIC' else record_type end"
            group = ("case when kind = 'staff_converted' then 'FACULTY' else user_group end")
        else:
            where, record_type, group = "true", "record_type", "user_group"
        return f"""
            select pid as primary_id, {record_type} as record_type, internal_id,
              case when origin = 'MIGRATED' then 'EXTERNAL' else 'INTERNAL' end as account_type,
              {group} as user_group,
              case when u2 > 0.97 then 'INACTIVE' else 'ACTIVE' end as status, origin,
              lower(pid) as username, lower(pid) || '@scrubbed.invalid' as email,
              case when freeze_created then day('2026-03-02', u3, 8)
                   when origin = 'MIGRATED' then day('2025-09-15', u3, 0.25)
                   else day('2025-09-20', u3, 150) end as created_at,
              case when freeze_created or freeze_changed then day('2026-03-02', u4, 8)
                   when origin = 'MIGRATED' and {'false' if testload else 'true'}
                   then day('2025-09-16', u4, 160)
                   when origin = 'MIGRATED' then day('2025-09-15', u3, 0.25)
                   else day('2025-09-20', u3, 150) end as updated_at
            from g_users where {where}
        """

    def roles_select(self) -> str:
        return f"""
            select pid as primary_id,
              case when r.range < n_patron_roles then
                     case when u(i * 16 + r.range, 6) < 0.5 then 'Patron' else '200' end
                   else {_names(STAFF_ROLES)}[(r.range - n_patron_roles + i) % {len(STAFF_ROLES)}
                                              + 1] end as role_type,
              case when r.range < n_patron_roles then lib(inst, r.range) else inst(inst)
                   end as scope,
              case when u(i * 16 + r.range, 7) < 0.01 then 'INACTIVE' else 'ACTIVE'
                   end as status
            from g_users join range(10) r on r.range < n_patron_roles + n_staff_roles
        """

    def testload(self) -> None:
        self.manifest("testload")
        self.write("testload", "users", self.users_select(testload=True))

    def freeze(self) -> None:
        p, w = self.p, self.write
        self.manifest("freeze")
        w("freeze", "users", self.users_select())
        w("freeze", "user_roles", self.roles_select())
        self.config("freeze")
        w("freeze", "items", self.items_select("A", self.count(p.alma_items)))
        w("freeze", "loans", """
            select 'AL' || lpad(cast(range as varchar), 9, '0') as loan_id,
              'A' || lpad(cast((range * 7919) % $items as varchar), 10, '0') as item_barcode,
              g.pid as primary_id, day('2026-01-10', u(range, 30), 45) as loan_date,
              day('2026-03-20', u(range, 31), 60) as due_date,
              cast(null as timestamp) as returned_at
            from range($loans) join g_users g on g.i = (range * 104729) % $n
        """, items=self.count(p.alma_items), loans=self.count(p.alma_loans))
        w("freeze", "requests", """
            select 'AR' || lpad(cast(range as varchar), 9, '0') as request_id, 'HOLD'
              as request_type, 'NOT_STARTED' as status,
              'A' || lpad(cast((range * 613) % $items as varchar), 10, '0') as item_barcode,
              g.pid as primary_id
            from range($requests) join g_users g on g.i = (range * 15485863) % $n
        """, items=self.count(p.alma_items), requests=self.count(p.alma_requests))

    def items_select(self, prefix: str, count: int) -> str:
        # Every 50,000th extract item sits in a location the extract has and Alma lacks.
        maker = "range % 50000 = 7" if prefix == "B" else "false"
        return f"""
            select {db.literal(prefix)} || lpad(cast(range as varchar), 10, '0') as barcode,
              case when {maker} then 'I01-SCI' else lib(range % $k + 1, (range // $k) % 6)
                   end as library_code,
              case when {maker} then 'MAKER'
                   else {_names(LOCATIONS)}[cast(floor(u(range, 11) * 5) as int) + 1]
                   end as location_code,
              case when u(range, 12) < 0.15 then 'ON_LOAN' else 'IN_PLACE' end as status,
              cast(floor(u(range, 13) * u(range, 13) * 60) as bigint) as loan_count
            from range({int(count)})
        """

    def extract(self) -> None:
        p, w = self.p, self.write
        self.manifest("extract", forms=True)
        w("extract", "patrons", """
            select primary_id, user_group,
              lower(replace(primary_id, '-', '.')) || '@mail.consortium.example' as email,
              lower(primary_id) as username, 'L' || upper(primary_id) as original_id
            from g_patrons
        """)
        items = self.count(p.extract_items)
        w("extract", "items", self.items_select("B", items))
        w("extract", "loans", """
            select 'LN' || lpad(cast(range as varchar), 9, '0') as loan_id,
              'B' || lpad(cast((range * 7919) % $items as varchar), 10, '0') as item_barcode,
              g.primary_id, day('2025-11-01', u(range, 20), 120) as loan_date,
              day('2026-03-15', u(range, 21), 90) as due_date,
              case when u(range, 22) < 0.3 then day('2026-01-15', u(range, 23), 45) end
                as returned_at
            from range($loans) join g_patrons g on g.p = (range * 104729) % $patrons
        """, items=items, loans=self.count(p.extract_loans), patrons=self.n_patrons)
        w("extract", "requests", """
            select 'RQ' || lpad(cast(range as varchar), 9, '0') as request_id,
              case when u(range, 24) < 0.85 then 'HOLD' else 'BOOKING' end as request_type,
              case when u(range, 24) < 0.3 then 'ON_HOLD_SHELF'
                   when u(range, 24) < 0.85 then 'NOT_STARTED' else 'ACTIVE' end as status,
              'B' || lpad(cast((range * 613) % $items as varchar), 10, '0') as item_barcode,
              g.primary_id
            from range($requests) join g_patrons g on g.p = (range * 15485863) % $patrons
        """, items=items, requests=self.count(p.extract_requests), patrons=self.n_patrons)
        self.config("extract")
        w("extract", "orders", f"""
            select 'PO' || lpad(cast(range as varchar), 9, '0') as order_id,
              case when range % 997 = 5 then 'I01-V999'
                   else inst(range % $k + 1) || '-V' ||
                        lpad(cast(cast(floor(u(range, 40) * {p.vendors - 1}) as int)
                                  as varchar), 3, '0') end as vendor_code,
              inst(range % $k + 1) || '-F' ||
                lpad(cast(cast(floor(u(range, 41) * {p.funds}) as int) as varchar), 3, '0')
                as fund_code
            from range($orders)
        """, orders=self.count(p.orders))
        w("extract", "invoices", f"""
            select 'INV' || lpad(cast(range as varchar), 9, '0') as invoice_id,
              inst(range % $k + 1) || '-V' ||
                lpad(cast(cast(floor(u(range, 42) * {p.vendors - 1}) as int) as varchar), 3, '0')
                as vendor_code
            from range($invoices)
        """, invoices=self.count(p.invoices))

    def config(self, stage: str) -> None:
        """Configuration and the small tables, K institutions of each."""
        p, w, alma = self.p, self.write, stage != "extract"
        per = self.per_inst
        if alma:
            w(stage, "sets", f"""
                select 'SET-' || inst(range % $k + 1) || '-' || lpad(cast(range as varchar), 6,
                  '0') as set_id, 'Set ' || range as name,
                  case when u(range, 50) < 0.6 then 'ITEMIZED' else 'LOGICAL' end as set_type,
                  ['BIB_MMS', 'ITEM', 'USER', 'PO_LINE', 'VENDOR', 'PORTFOLIO']
                    [range % 6 + 1] as content_type,
                  case when u(range, 51) < 0.02 then day('2026-03-02', u(range, 52), 8)
                       else day('2025-09-20', u(range, 52), 150) end as created_at,
                  case when u(range, 51) < 0.02 then day('2026-03-02', u(range, 52), 8)
                       when u(range, 51) < 0.05 then day('2026-03-02', u(range, 53), 8)
                       else day('2026-01-20', u(range, 53), 30) end as updated_at
                from range({per(p.sets)})
            """)
            w(stage, "collections", f"""
                select 'COL-' || inst(range % $k + 1) || '-' || lpad(cast(range // $k as
                  varchar), 3, '0') as collection_id, 'Digital collection ' || range as name,
                  case when range // $k >= 3 then 'COL-' || inst(range % $k + 1) || '-' ||
                    lpad(cast((range // $k) % 3 as varchar), 3, '0') end as parent_id
                from range({per(p.collections)})
            """)
            areas = " union all ".join(
                f"select {db.literal(a)} as area, {i} as a, range as j from range({n})"
                for i, (a, n) in enumerate(CONFIG_AREAS))
            w(stage, "configuration", f"""
                select area, inst(g.range + 1) || '-' || upper(left(area, 3)) ||
                  lpad(cast(j as varchar), 3, '0') as item_id, area || ' ' || j as name,
                  case when area in ('digitization_profile', 'digital_import_profile')
                       and j < 2 then 'COL-' || inst(g.range + 1) || '-' ||
                       lpad(cast(j as varchar), 3, '0') end as collection_id,
                  case when u(g.range * 1000 + a * 100 + j, 54) < 0.01
                       then day('2026-03-02', u(j, 55), 8)
                       else day('2025-09-20', u(j, 55), 150) end as created_at,
                  case when u(g.range * 1000 + a * 100 + j, 54) < 0.01
                       then day('2026-03-02', u(j, 55), 8)
                       when u(g.range * 1000 + a * 100 + j, 54) < 0.05
                       then day('2026-03-02', u(j, 56), 8)
                       else day('2026-01-20', u(j, 56), 30) end as updated_at
                from ({areas}) join range($k) g on true
            """)
        # Code tables: the nine merged tables and three others; some codes only on one side.
        tables = MERGED_CODE_TABLES + OTHER_CODE_TABLES
        names = " union all ".join(f"select {db.literal(t)} as table_name, {i} as t_i"
                                   for i, t in enumerate(tables, 1))
        side = 0 if alma else 1
        w(stage, "code_tables", f"""
            select t.table_name, upper(left(t.table_name, 4)) || '_' ||
              lpad(cast(c.range as varchar), 3, '0') as code,
              'Code ' || c.range || ' of ' || t.table_name as description, true as enabled
            from ({names}) t
            join range(10 + 5 * $k) c on true
            where not (c.range % 17 = 3 + {side} * 5)
              and not (c.range % 23 = 1 and t.t_i > {len(MERGED_CODE_TABLES)} and {side} = 1)
              and not (c.range % 19 = 2 and t.t_i <= 2 and {side} = 1)
            union all
            select 'user_groups', g, g, true from (select unnest({_names(
                PUBLIC_GROUPS + ('STAFF', 'CONTACT', 'VISITOR'))}) as g)
            where {side} = 1 or g <> 'VISITOR'
            group by g
        """)
        libs = "select inst(j.range + 1) as i_code, j.range + 1 as i_n, l.range as l_n " \
               "from range($k) j join range(6) l on true"
        w(stage, "libraries", f"select lib(i_n, l_n) as code, 'Library ' || lib(i_n, l_n) "
                              f"as name from ({libs})")
        maker = "union all select 'I01-SCI', 'MAKER', 'SCI makerspace'" if not alma else ""
        w(stage, "locations", f"""
            select lib(i_n, l_n) as library_code, loc as code, lib(i_n, l_n) || ' ' ||
              lower(loc) as name
            from ({libs}) join (select unnest({_names(LOCATIONS)}) as loc) on true {maker}
        """)
        # Vendor v = vendors - 1 of each institution is Alma's only; I01-V999 the extract's.
        if alma:
            w(stage, "vendors", f"""
                select inst(range % $k + 1) || '-V' || lpad(cast(range // $k as varchar), 3,
                  '0') as code, 'Vendor ' || range as name,
                  case when (range // $k) % 13 = 4 then 'INACTIVE' else 'ACTIVE' end as status,
                  'orders' || range || '@scrubbed.invalid' as email
                from range({per(p.vendors)})
            """)
        else:
            w(stage, "vendors", f"""
                select inst(range % $k + 1) || '-V' || lpad(cast(range // $k as varchar), 3,
                  '0') as code, 'Vendor ' || range as name, 'ACTIVE' as status,
                  cast(null as varchar) as email
                from range({per(p.vendors)}) where range // $k < {p.vendors - 1}
                union all select 'I01-V999', 'Vendor new in the legacy system', 'ACTIVE', null
            """)
        w(stage, "rs_partners", f"""
            select inst(range % $k + 1) || '-RS' || lpad(cast(range // $k as varchar), 2, '0')
              as code, 'Partner library ' || range as name, 'ACTIVE' as status,
              {"'ill' || range || '@scrubbed.invalid'" if alma else 'null'} as email
            from range({per(p.rs_partners)})
        """)
        w(stage, "funds", f"""
            select inst(range % $k + 1) || '-F' || lpad(cast(range // $k as varchar), 3, '0')
              as fund_code, 'Fund ' || range as name, 'ALLOCATED' as fund_type,
              case when {0 if alma else 1} = 1 and range // $k = 7 then 'FY2025' else 'FY2026'
              end as fiscal_period, 'ACTIVE' as status
            from range({per(p.funds)})
        """)
        w(stage, "fund_transactions", f"""
            select {"'T'" if alma else "'LT'"} || lpad(cast(range as varchar), 8, '0')
              as transaction_id,
              inst(range % $k + 1) || '-F' || lpad(cast(cast(floor(u(range, 60) * {p.funds})
                as int) as varchar), 3, '0') as fund_code,
              ['ALLOCATION', 'EXPENDITURE', 'ENCUMBRANCE', 'DISENCUMBRANCE', 'TRANSFER']
                [range % 5 + 1] as transaction_type,
              cast(round(10 + u(range, 61) * 5000, 2) as decimal(18, 4)) as amount
            from range({per(p.fund_transactions) * (1 if alma else 2)})
        """)
        w(stage, "courses", f"""
            select inst(range % $k + 1) || '-CRS' || lpad(cast(range // $k as varchar), 4, '0')
              as course_code, 'Course ' || range as name,
              {_names(('HIST', 'CHEM', 'LAW', 'MED'))}[range % 4 + 1] as academic_department
            from range({per(p.courses) + (0 if alma else per(10))})
        """)
        instructors = f"""
            select distinct inst(range % $k + 1) || '-CRS' ||
              lpad(cast((range // $k) % {p.courses} as varchar), 4, '0') as course_code,
              s.pid as instructor_primary_id
            from range({per(p.courses)}) join g_staff s
              on s.s = (range * 31 + {0 if alma else 7}) % {max(self.n_staff, 1)}
        """
        w(stage, "course_instructors", instructors)
        if not alma:
            return
        w(stage, "webhooks", f"""
            select 'WH-' || lpad(cast(range as varchar), 4, '0') as profile_id,
              'Webhook ' || range as name,
              case when range % {p.webhooks} = 4 then 'INACTIVE' else 'ACTIVE' end as status,
              'https://hooks.consortium.example/' || range as url
            from range({per(p.webhooks)})
        """)
        w(stage, "jobs", f"""
            select 'J-' || lpad(cast(range as varchar), 5, '0') as job_id, 'Job ' || range
              as name,
              case when range % 10 < 7 then 'SCHEDULED' when range % 10 < 9 then 'MANUAL'
                   else 'OTHER' end as job_type,
              case when range % 10 = 6 then 'DISABLED' else 'ENABLED' end as status
            from range({per(p.jobs)})
        """)
        w(stage, "licenses", f"""
            select 'LIC-' || lpad(cast(range as varchar), 5, '0') as license_code,
              'License ' || range as name, range % {p.licenses} < 6 as linked_to_einventory
            from range({per(p.licenses)})
        """)
        w(stage, "reading_lists", f"""
            select 'RL-' || lpad(cast(range as varchar), 6, '0') as list_id,
              inst(range % $k + 1) || '-CRS' || lpad(cast((range // $k) % {p.courses} as
                varchar), 4, '0') as course_code, 'Reading list ' || range as name
            from range({per(p.reading_lists)})
        """)
        w(stage, "citations", f"""
            select 'CIT-' || lpad(cast(range as varchar), 8, '0') as citation_id,
              'RL-' || lpad(cast((range * 7) % {per(p.reading_lists) - per(20)} as varchar), 6,
                '0') as list_id, '99' || lpad(cast(range as varchar), 10, '0') as bib_id
            from range({per(p.citations)})
        """)
        # Analytics reports: a third in the institution folder; of the rest, every 15th owner
        # was deleted (a new internal id) and every 17th changed Primary ID since saving.
        w(stage, "analytics_reports", f"""
            select '/shared/' || inst(range % $k + 1) || '/' ||
                case when range % 3 = 0 then 'Reports' else s.pid end || '/Report ' ||
                lpad(cast(range as varchar), 5, '0') as report_path,
              case when range % 3 = 0 then 'INSTITUTION' else 'USER' end as folder,
              case when range % 3 <> 0 and range % 15 = 1 then 'X' || s.internal_id
                   else s.internal_id end as owner_internal_id,
              case when range % 3 <> 0 and range % 17 = 2 then s.pid || '-OLD' else s.pid
                   end as owner_primary_id
            from range({per(p.analytics_reports)}) join g_staff s
              on s.s = (range * 13) % {max(self.n_staff, 1)}
        """)
        w(stage, "authorities", f"""
            select 'AUTH-' || lpad(cast(range as varchar), 7, '0') as authority_id,
              case when range % 4 = 0 then 'MIGRATED' else 'CREATED' end as origin
            from range({per(p.authorities)})
        """)
        w(stage, "parameters", """
            select * from (values ('acquisition_solr_indexing_enabled', 'false'),
              ('acquisition_solr_save_enabled', 'false'), ('patron_loan_limit', '50'),
              ('default_currency', 'USD'), ('fine_cap', '25'), ('ill_enabled', 'true'))
              v(name, value)
        """)

    # -- after the cutover load ------------------------------------------------------------
    # Surprises (what the rule pack does not predict), each a fixed small share with at least
    # one record: see `surprises`.
    # (The first 2 x 9 users take the kinds in turn: user 16 is public_matched, 4
    # public_staff_lost, 3 and 12 public_staff; they make each surprise happen at any size.)
    # Each a condition on a g_users row, its columns prefixed by `{a}`.
    LOST_PATRON = "{a}kind = 'public_matched' and (u({a}i, 70) < 0.0001 or {a}i = 16)"
    KEPT_STAFF = "{a}kind = 'public_staff_lost' and (u({a}i, 71) < 0.02 or {a}i = 4)"
    WRONG_GROUP = "{a}kind = 'public_staff' and (u({a}i, 72) < 0.005 or {a}i = 3)"
    LOST_ROLES = "{a}kind = 'public_staff' and (u({a}i, 73) < 0.005 or {a}i = 12)"

    def cutover(self) -> None:
        w = self.write
        self.manifest("cutover")
        freeze = self.out / "freeze"
        extract = self.out / "extract"

        def src(folder: Path, table: str) -> str:
            return f"read_parquet({db.literal(str(folder / (table + '.parquet')))})"

        # Users: staff and contact users not made during the freeze (edits during the freeze
        # undone), public users with staff roles refreshed from their patron, and the loaded
        # patrons; rejected patrons (their Alma user is staff) are not there.
        self.run(f"""
            create or replace temp table g_post_users as
            select u.*, g.kind, g.i, g.inst, p.user_group as patron_group,
              ({self.WRONG_GROUP.format(a="g.")}) as wrong_group,
              ({self.LOST_ROLES.format(a="g.")}) as lost_roles
            from {src(freeze, 'users')} u join g_users g on g.pid = u.primary_id
              left join g_patrons p on p.src = 0 and p.i = g.i
            where (g.record_type <> 'PUBLIC' and not g.freeze_created)
              or g.kind in ('public_staff', 'public_staff_created')
              or ({self.KEPT_STAFF.format(a="g.")})
        """)
        self.run("""
            create or replace temp table g_loaded as
            select * from g_patrons where src = 1 or (kind = 'public_matched' and not lost)
        """)
        w("cutover", "users", """
            select primary_id, record_type, internal_id, account_type,
              case when wrong_group then 'VISITOR'
                   when kind in ('public_staff', 'public_staff_created') then patron_group
                   else user_group end as user_group, status, origin, username, email,
              created_at,
              case when kind in ('staff_created', 'contact') and updated_at >= '2026-03-02'
                   then created_at else updated_at end as updated_at
            from g_post_users
            union all
            select primary_id, 'PUBLIC', cast(2000000000 + p as varchar), 'EXTERNAL',
              user_group, 'ACTIVE', 'MIGRATED', lower(primary_id),
              lower(replace(primary_id, '-', '.')) || '@mail.consortium.example',
              timestamp '2026-03-09 02:00:00', timestamp '2026-03-09 02:00:00'
            from g_loaded
        """)
        # Kept users keep their roles (refreshed ones lose their staff roles in the surprise);
        # loaded patrons get one patron role.
        w("cutover", "user_roles", f"""
            select r.* from {src(freeze, 'user_roles')} r join g_post_users u
              on u.primary_id = r.primary_id
            where not (u.lost_roles and not is_patron_role(r.role_type))
            union all
            select primary_id, 'Patron', lib(inst, 0), 'ACTIVE' from g_loaded
        """)
        reverted = ("case when updated_at >= '2026-03-02' then created_at else updated_at end "
                    "as updated_at")
        w("cutover", "sets", f"""
            select * replace ({reverted}) from {src(freeze, 'sets')}
            where not (created_at >= '2026-03-02' and created_at < '2026-03-11')
              and (set_type = 'LOGICAL' or set_id in (select set_id from {src(freeze, 'sets')}
                   where set_type = 'ITEMIZED' order by set_id limit 2))
        """)
        w("cutover", "configuration", f"""
            select area, item_id, name, cast(null as varchar) as collection_id, created_at,
              {reverted}
            from {src(freeze, 'configuration')}
            where not (created_at >= '2026-03-02' and created_at < '2026-03-11')
              and area not in ('online_services_order', 'cloud_app_configuration')
        """)
        merged = _names(MERGED_CODE_TABLES)
        w("cutover", "code_tables", f"""
            select * from {src(freeze, 'code_tables')}
            union all
            select x.* from {src(extract, 'code_tables')} x
            where list_contains({merged}, x.table_name) and not exists (
              select 1 from {src(freeze, 'code_tables')} a
              where a.table_name = x.table_name and a.code = x.code)
        """)
        for table in ("libraries", "locations", "vendors", "rs_partners", "parameters"):
            self.copy("cutover", table, "freeze")
        w("cutover", "webhooks", f"""
            select profile_id, name, case when profile_id = 'WH-0000' then status
              else 'INACTIVE' end as status, url from {src(freeze, 'webhooks')}
        """)
        w("cutover", "jobs", f"""
            select job_id, name, job_type, case when job_type = 'SCHEDULED' and job_id <>
              'J-00000' then 'DISABLED' else status end as status from {src(freeze, 'jobs')}
        """)
        for table in ("funds", "fund_transactions", "courses", "course_instructors", "items"):
            self.copy("cutover", table, "extract")
        w("cutover", "licenses", f"""
            select license_code, name, false as linked_to_einventory
            from {src(freeze, 'licenses')}
        """)
        w("cutover", "analytics_reports", f"""
            select a.* from {src(freeze, 'analytics_reports')} a
            where folder = 'INSTITUTION' or exists (
              select 1 from {src(freeze, 'users')} u where u.internal_id = a.owner_internal_id
              and lower(u.primary_id) = lower(a.owner_primary_id))
        """)
        w("cutover", "loans", f"select * from {src(extract, 'loans')} where returned_at is null")
        w("cutover", "requests", f"""
            select * from {src(extract, 'requests')}
            where not (upper(request_type) = 'HOLD' and upper(status) <> 'ON_HOLD_SHELF')
        """)

    def surprises(self) -> list[dict[str, Any]]:
        """What the cutover snapshot holds against the prediction, with up to 10 keys each."""
        def found(where: str, table: str = "g_users", key: str = "pid") -> dict[str, Any]:
            n = int(self.con.one(f"select count(*) from {table} where {where}"))
            keys = [r[0] for r in self.con.rows(
                f"select {key} from {table} where {where} order by {key} limit 10")]
            return {"count": n, "sample_keys": keys}

        post = self.out / "cutover"
        sets = found("set_type = 'ITEMIZED'",
                     f"read_parquet({db.literal(str(post / 'sets.parquet'))})", "set_id")
        return [
            {"entity": "users", "what": "patron predicted added is missing after the load",
             **found("lost", "g_patrons", "primary_id")},
            {"entity": "users", "what": "public user with a staff role and no patron, "
                                        "predicted removed, is still there",
             **found(self.KEPT_STAFF.format(a=""))},
            {"entity": "users", "what": "refreshed user has user group VISITOR instead of "
                                        "its patron's",
             **found(self.WRONG_GROUP.format(a=""))},
            {"entity": "user_roles", "what": "refreshed user lost its staff roles (predicted "
                                             "retained)",
             **found(self.LOST_ROLES.format(a=""))},
            {"entity": "sets", "what": "itemized sets still there (predicted removed)",
             **sets},
            {"entity": "webhooks", "what": "webhook still active (predicted deactivated)",
             "count": 1, "sample_keys": ["WH-0000"]},
            {"entity": "jobs", "what": "scheduled job still enabled (predicted deactivated)",
             "count": 1, "sample_keys": ["J-00000"]},
        ]


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
