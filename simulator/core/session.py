"""A Session: one DuckDB connection over a run's inputs, and what every command computes on it,
each computed once and only when something asks for it (docs/architecture.md, "The Session").

predict, explain, verify, readiness and what-if all work through a Session, so `cutover demo`
validates and classifies the sample once for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import TracebackType

from simulator import db
from simulator.core import engine
from simulator.core.engine import Result
from simulator.errors import Collector, Problem, UserError
from simulator.inputs import bundle, reading, snapshot, validate
from simulator.inputs.bundle import Inputs
from simulator.inputs.scenario import Scenario
from simulator.inputs.snapshot import Snapshot, TableFile
from simulator.inputs.tables import SCHEMA_SIDE, tables_for, with_references
from simulator.output.sampling import ROWS_PER_ENTITY
from simulator.rules.model import Pack


def _quiet(step: str) -> None:
    """No progress display (the command line passes its own)."""


class Session:
    """The opened inputs of a run, the checked rule pack, one connection, each table attached
    and validated when first read, and the classification.

    Costs: opening reads the manifests and the scenario only; `pack` loads and lints the rule
    pack (about a second); `need()` reads and validates the tables asked for (the bulk of a
    run's time on large snapshots); `classification` validates everything, then runs one SQL
    pass per entity. Close the Session (or use it in a `with` block) to free the connection.
    """

    def __init__(self, inputs: Inputs, rules: list[Path] | None = None,
                 memory_limit: str | None = None, progress: Callable[[str], None] = _quiet,
                 trusted: frozenset[str] = frozenset(), pseudonymize: str | None = None,
                 pack: Pack | None = None) -> None:
        self.inputs = inputs
        self.rules = list(rules or [])
        self.memory_limit = memory_limit
        self.progress = progress
        # Input schemas whose files are byte-identical to ones an earlier run validated.
        self.trusted = trusted
        self.pseudonymize = pseudonymize
        self._snapshots: dict[str, tuple[Snapshot | None, str]] = {
            schema: (inputs.snapshots().get(schema), side)
            for schema, side in SCHEMA_SIDE.items()}
        self._ready: dict[str, set[str]] = {}  # schema -> tables attached and validated
        # schema -> the files attached so far (a Parquet file with its own header): what a
        # later part's references are checked against.
        self._attached: dict[str, dict[str, TableFile]] = {}
        self._verdicts: dict[tuple[frozenset[object], ...], list[Problem]] = {}
        if pack is not None:  # a pack checked already (engine.checked_pack)
            self.__dict__["pack"] = pack

    @classmethod
    def open(cls, pre: Path, extract: Path, scenario: Path, testload: Path | None = None,
             **options: object) -> Session:
        """Read the manifests and the scenario; every problem of every input together."""
        return cls(bundle.open_inputs(pre, extract, scenario, testload), **options)  # type: ignore[arg-type]

    @property
    def scenario(self) -> Scenario:
        return self.inputs.scenario

    @cached_property
    def pack(self) -> Pack:
        """The default pack with the session's layers, linted: its expressions stay parsed."""
        self.progress("checking rules")
        return engine.load_checked(self.rules)

    @cached_property
    def con(self) -> db.Connection:
        return db.connect(memory_limit=self.memory_limit)

    def add_snapshot(self, schema: str, snap: Snapshot, side: str) -> None:
        """Another snapshot to read under `schema` (verify's post and baseline snapshots);
        one added again under the same schema replaces the earlier one."""
        self._snapshots[schema] = (snap, side)
        self._ready.pop(schema, None)
        self._attached.pop(schema, None)

    def need(self, tables: dict[str, set[str] | None] | None = None) -> None:
        """Attach and validate the tables asked for (schema -> names, None: all of a schema;
        no argument: every table of the inputs) and those they refer to, unless done before.

        Every problem of every table read now is raised together (exit 2, nothing written).
        """
        wanted = tables if tables is not None else dict.fromkeys(SCHEMA_SIDE)
        problems = Collector()
        parts: dict[str, tuple[Snapshot, set[str]]] = {}
        for schema, names in wanted.items():
            snap, side = self._snapshots[schema]
            every = {t.name for t in tables_for(side)}
            new = with_references(set(every if names is None else names) & every)
            done = self._ready.get(schema)
            new -= done or set()
            if done is not None and not new:
                continue
            part = snapshot.only(snap, new) if snap is not None else None
            problems.extend(reading.attach(self.con, schema, part, side,
                                            None if done is None else new))
            if part is not None:
                attached = self._attached.setdefault(schema, {})
                attached.update(part.files)
                if schema not in self.trusted:  # references reach tables attached before
                    parts[schema] = (replace(part, files=dict(attached)), new)
            self._ready.setdefault(schema, set()).update(new)
        # Unreadable files are attached empty, so the other tables are still validated and
        # every problem comes out in one run.
        for schema, (part, new) in parts.items():
            problems.extend(self._validated(schema, part, new))
        problems.raise_if_any()

    def _validated(self, schema: str, part: Snapshot, tables: set[str]) -> list[Problem]:
        """`validate.validate`, once per set of files: the same snapshot read under another
        schema (verify's post and baseline snapshots) is not validated again. A file is known
        by its path, size and modification time."""
        stats = {name: tf.path.stat() for name, tf in part.files.items()}
        key = (frozenset((name, str(part.files[name].path), st.st_size, st.st_mtime_ns)
                         for name, st in stats.items()),
               frozenset(tables), frozenset(part.unreadable))
        if key not in self._verdicts:
            self._verdicts[key] = validate.validate(self.con, schema, part, tables)
        return self._verdicts[key]

    @cached_property
    def classification(self) -> Result:
        """Every input record classified by the pack: temp table `ledger_index`, view
        `ledger` (docs/architecture.md, "The ledger")."""
        self.checked()
        self.progress("classifying records")
        return engine.classify(self.con, self.pack, self.scenario, self.pseudonymize,
                               sample=ROWS_PER_ENTITY)  # predict's report shows this many

    def checked(self) -> None:
        """The pack linted and every table validated, the problems of both raised together
        (a broken rule layer does not hide a broken snapshot)."""
        problems = Collector()
        try:
            _ = self.pack  # linted once, kept
        except UserError as e:
            problems.extend(e.problems)
        self.progress("loading and validating snapshots")
        try:
            self.need()
        except UserError as e:
            problems.extend(e.problems)
        problems.raise_if_any()

    def classify(self, pack: Pack, scenario: Scenario, name: str) -> Result:
        """Another classification on the same validated inputs (a what-if variant), kept in
        `<name>_index` and view `<name>` beside the session's own."""
        self.need()
        return engine.classify(self.con, pack, scenario, name=name)

    def close(self) -> None:
        if "con" in self.__dict__:
            self.con.close()
            del self.__dict__["con"]

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
