"""How `cutover generate` writes its tables: SQL over `range()`, one Parquet file per table.

Every value is a function of a row number and the seed (the `u(i, salt)` macro), never of a
Python loop or a random stream, so any table can be written alone and the same arguments give
the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.inputs.tables import TABLES
from simulator.synth import texts

INSTITUTION = "CNS"
FORMAT = "(format parquet, compression zstd)"
TAKEN_AT = {**texts.TAKEN_AT, "cutover": "2026-03-10T22:00:00Z"}
FORMS = texts.forms("synthetic")

LIBRARIES = ("MAIN", "LAW", "MED", "SCI", "ART", "MUS")
LOCATIONS = ("STACKS", "REF", "RESERVE", "PER", "MEDIA")
PUBLIC_GROUPS = ("UNDERGRAD", "UNDERGRAD", "UNDERGRAD", "GRAD", "GRAD", "FACULTY", "ALUMNI",
                 "COMMUNITY")


@dataclass(frozen=True)
class Profile:
    """Rows per Alma user (N) or per institution (K); the benchmark's consortium at N = 5M
    (docs/benchmarks.md)."""

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


def names(values: tuple[str, ...]) -> str:
    """A SQL list literal of fixed names (module constants, quoted as literals)."""
    return "[" + ", ".join(db.literal(v) for v in values) + "]"


class Consortium:
    """The connection, the sizes and the output folder every table writer shares."""

    def __init__(self, con: db.Connection, out: Path, users: int, institutions: int,
                 seed: int, profile: Profile) -> None:
        self.con, self.out, self.n, self.k, self.p = con, out, users, institutions, profile
        self.params: dict[str, Any] = {"n": users, "k": institutions}
        self.seed = seed % 2_147_483_647
        # Set once the population is in place (generate.populate).
        self.n_patrons = 0
        self.n_staff = 0

    def count(self, per_user: float) -> int:
        return max(1, round(self.n * per_user))

    def per_inst(self, count: int) -> int:
        return count * self.k

    def define_macros(self) -> None:
        """The SQL functions every table is written with."""
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
            f"{names(LIBRARIES)}[l + 1]")
        run("create or replace temp macro day(base, frac, days) as "
            "cast(base as timestamp) + to_seconds(cast(frac * days * 86400 as bigint))")

    def run(self, sql: str, **params: Any) -> None:
        """Execute with the named parameters the SQL uses (DuckDB refuses unused ones)."""
        used = {k: v for k, v in {**self.params, **params}.items()
                if re.search(rf"\${k}\b", sql)}
        self.con.execute(sql, used)

    def parquet(self, stage: str, table: str) -> str:
        """A table already written, to select from."""
        return f"read_parquet({db.literal(str(self.out / stage / f'{table}.parquet'))})"

    def write(self, stage: str, table: str, select: str, **params: Any) -> None:
        cols = ", ".join(db.ident(c) for c in TABLES[table].column_names)
        path = self.out / stage / f"{table}.parquet"
        self.run(f"copy (select {cols} from ({select})) to {db.literal(str(path))} {FORMAT}",
                 **params)

    def copy(self, stage: str, table: str, source_stage: str) -> None:
        self.write(stage, table, f"select * from {self.parquet(source_stage, table)}")

    def manifest(self, stage: str, forms: bool = False) -> None:
        folder = self.out / stage
        folder.mkdir(parents=True, exist_ok=True)
        if forms:
            for name, body in FORMS.items():
                (folder / name).write_text(body, encoding="utf-8")
        text = texts.manifest_text(INSTITUTION, stage, TAKEN_AT[stage], forms)
        (folder / "snapshot.yaml").write_text(text, encoding="utf-8")

    def counts(self, stage: str) -> dict[str, int]:
        out = {}
        for path in sorted((self.out / stage).glob("*.parquet")):
            out[path.stem] = int(self.con.one(
                f"select count(*) from read_parquet({db.literal(str(path))})"))
        return out
