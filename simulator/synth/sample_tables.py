"""The sample institution's tables while they are built, and the one random stream behind them.

Every random draw of the sample comes from `Sample.r` in a fixed order: the builders (sample_users,
sample_config, sample_fulfillment) must run in the order `sample.files` calls them, and a case
added later must draw nothing, or every record after it changes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

INSTITUTION = "NFU"
# The freeze runs from FREEZE_START to CLEAN_DATA (the scenario's dates); BEFORE and DURING are
# the times of records made or changed before it and during it.
FREEZE_START, CLEAN_DATA = "2026-03-02", "2026-03-11"
BEFORE, DURING = "2026-02-10T10:00:00", "2026-03-05T14:30:00"

FIRST = ["Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ines", "Jonas", "Kemal",
         "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera"]
LAST = ["Abbott", "Baker", "Costa", "Dvorak", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi"]
LIBRARIES = ["MAIN", "LAW", "MED", "SCI"]
LOCATIONS = {"MAIN": ["STACKS", "REF", "RESERVE", "PER"], "LAW": ["STACKS", "REF"],
             "MED": ["STACKS", "JOURNALS"], "SCI": ["STACKS", "MAPS", "REF"]}

Row = dict[str, object]


class Sample:
    """Rows by snapshot (freeze, extract, testload) and table."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.tables: dict[str, dict[str, list[Row]]] = {"freeze": {}, "extract": {},
                                                        "testload": {}}

    def add(self, snap: str, table: str, row: Mapping[str, object]) -> None:
        self.tables[snap].setdefault(table, []).append(dict(row))

    def add_both(self, table: str, row: Mapping[str, object]) -> None:
        """A row Alma (the freeze) and the legacy system (the extract) hold alike."""
        self.add("freeze", table, row)
        self.add("extract", table, row)

    def name(self) -> tuple[str, str]:
        return self.r.choice(FIRST), self.r.choice(LAST)
