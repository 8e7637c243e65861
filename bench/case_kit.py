"""What every case shares: the generated data's inputs opened and attached as predict reads
them, and a clock of each step's wall and CPU seconds."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

from simulator import db
from simulator.inputs import bundle, reading
from simulator.rules import compile as rc
from simulator.rules.analysis import tables_read
from simulator.rules.model import linted


def open_data(data: Path) -> bundle.Inputs:
    """The generated data's inputs: its freeze, extract, scenario and test load."""
    return bundle.open_inputs(data / "freeze", data / "extract", data / "scenario.yaml",
                              data / "testload")


def attach_views(con: db.Connection, inputs: bundle.Inputs,
                 tables: dict[str, set[str]] | None = None) -> None:
    """The typed views predict reads (no validation: the contenders do not validate); with
    `tables` (schema -> names), only those, as a contender reads only the files it needs."""
    snaps = inputs.snapshots()
    for schema, side in (("pre", "alma"), ("extract", "extract"), ("testload", "alma")):
        wanted = None if tables is None else tables.get(schema, set())
        reading.attach(con, schema, snaps.get(schema), side, wanted)


def read_by(entity: Any, compiled: rc.Compiled) -> dict[str, set[str]]:
    """The snapshot tables an entity's compiled query reads: its own and its facts'."""
    read = tables_read([linted(f.tree) for f in compiled.facts]
                       + [linted(r.tree) for r in entity.rules])
    read.setdefault(entity.schema, set()).add(entity.name)
    return read


def cpu_seconds() -> float:
    """User and system seconds of this process and its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Each step's wall and CPU seconds: on a shared machine wall time moves with the
    neighbours' load, CPU time much less."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.cpu = cpu_seconds()
        self.steps: list[tuple[str, float, float]] = []
        self._name: str | None = None

    def __call__(self, name: str) -> None:
        now, cpu = time.perf_counter(), cpu_seconds()
        if self._name is not None:
            self.steps.append((self._name, now - self.last, cpu - self.cpu))
        self._name, self.last, self.cpu = name, now, cpu

    def done(self) -> dict[str, Any]:
        self("")
        return {"seconds": time.perf_counter() - self.start,
                "steps": [[n, round(s, 3)] for n, s, _ in self.steps],
                "cpu_steps": [[n, round(c, 3)] for n, _, c in self.steps]}
