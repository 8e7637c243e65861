"""The Python API's session: the inputs of one institution opened once, and each command run on
them as a method returning a result (docs/python-api.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from simulator import db
from simulator.api import results
from simulator.api.tables import Given, Store
from simulator.commands import explain as explain_cmd
from simulator.commands.readiness import run as readiness_cmd
from simulator.commands.verify import command as verify_cmd
from simulator.commands.whatif import command as whatif_cmd
from simulator.core import session as core
from simulator.errors import Loc, Problem, UserError

PathLike = str | Path
C = TypeVar("C", bound=results.Current)


def open_session(pre: PathLike, extract: PathLike, scenario: PathLike, *,
                 testload: PathLike | None = None, rules: Sequence[PathLike] = (),
                 memory_limit: str | None = None,
                 progress: Callable[[str], None] | None = None) -> Session:
    """Open an institution's snapshot folders and scenario, as `cutover predict` does.

    `pre`: Alma at the freeze; `extract`: the final legacy extract; `testload`: Alma after the
    test load; `rules`: rule pack folders layered over the default, in order; `memory_limit`:
    DuckDB's (e.g. "4GB"; default CUTOVER_MEMORY_LIMIT, or 1GB; docs/commands/index.md);
    `progress`: called with each step's name (e.g. `print`).

    Costs: reads the snapshot manifests and the scenario only, no table; every problem of
    every input is raised together as one UserError. Close the session (or use it in a `with`
    block) to free its DuckDB connection.
    """
    if memory_limit and (bad := db.check_memory_limit(memory_limit)):
        raise UserError(Problem(Loc("memory_limit"), bad))
    given = Given(Path(pre), Path(extract), Path(scenario),
                  Path(testload) if testload is not None else None,
                  tuple(Path(r) for r in rules), memory_limit)
    options: dict[str, object] = {"rules": list(given.rules), "memory_limit": memory_limit}
    if progress is not None:
        options["progress"] = progress
    return Session(core.Session.open(given.pre, given.extract, given.scenario, given.testload,
                                     **options), given)


def sample_folder() -> Path:
    """The bundled sample institution (sample_data/ in a checkout): `freeze/`, `extract/`,
    `testload/`, `scenario.yaml`, `post-*/`, `waivers.yaml`, `variants/`."""
    from simulator.synth.sample import sample_dir

    return sample_dir()


class Session:
    """An institution's inputs, opened once, and the commands run on them.

    Every table is read and validated once, when a call first needs it, and every record is
    classified once, by the first call that needs the classification (`predict`, `verify`,
    `readiness`, `whatif`); later calls reuse both. Results hold DuckDB relations on the
    session's connection: read them before closing the session.
    """

    def __init__(self, session: core.Session, given: Given) -> None:
        self._core = session
        self._given = given
        self._store = Store(session.con)
        self._latest: dict[str, object] = {}  # kind -> the result whose tables are current
        self._closed = False

    @property
    def institution(self) -> str:
        return self._core.scenario.institution

    @property
    def warnings(self) -> list[str]:
        """What the command line prints as warnings on opening (e.g. a snapshot's stage)."""
        return self._core.inputs.warnings()

    def predict(self) -> results.Prediction:
        """Classify every record: what the cutover will do to it, and why.

        Costs: the first call loads and lints the rule pack, reads and validates every table
        and classifies every record (the bulk of a run); later calls cost nothing.
        """
        self._check_open()
        return results.Prediction(self, self._core.classification)

    def explain(self, entity: str, key: str) -> list[results.Explanation]:
        """Every rule of `entity` (`users`, `extract.vendors`, ...) for the record with `key`
        (composite keys joined by `|`), with its facts and the rule that decides; one
        explanation per matching record (Primary IDs match ignoring letter case).

        Costs: reads and validates only the tables the entity's rules read (unless read
        before); classifies nothing.
        """
        self._check_open()
        found = explain_cmd.explain(self._core, entity, key)
        return [results.Explanation.of(self, e) for e in found]

    def verify(self, post: PathLike, *, stage: str | None = None,
               budgets: PathLike | None = None,
               baseline: PathLike | None = None, cutover_extract: PathLike | None = None,
               entities: Sequence[str] | None = None) -> results.Verification:
        """Reconcile Alma after a load (`post`, a snapshot folder) with this session's
        prediction, record by record, as `cutover verify --pre ... --post` does.

        `stage`: cutover, fulfillment or golive (None: the post snapshot's own stage);
        `budgets`: loss budgets YAML; `baseline` and `cutover_extract`: the fulfillment
        stage's; `entities`: check only these (`--entity`).
        Costs: the classification (once per session), then reads and validates the post
        snapshot's tables and reconciles. A later `verify` on this session replaces the
        tables this result writes from: write it first.
        """
        self._check_open()
        checked = verify_cmd.check(
            self._core, Path(post), stage=stage, budgets_path=_path(budgets),
            baseline=_path(baseline), cutover_extract=_path(cutover_extract),
            entities=list(entities) if entities is not None else None)
        return self._current(results.Verification(self, checked))

    def readiness(self, *, waivers: PathLike | None = None, as_of: dt.date | str | None = None,
                  holds_threshold: int = readiness_cmd.HOLDS_THRESHOLD) -> results.Readiness:
        """The pre-cutover review: blockers, risks, waivers, scores and a dated runbook, as
        `cutover readiness` does.

        `waivers`: accepted risks (YAML); `as_of`: the day they are judged on (a date or
        YYYY-MM-DD; default today); `holds_threshold`: unfulfilled holds above it are a
        warning. Costs: the classification (once per session), then the readiness checks' few
        queries. A later `readiness` on this session replaces the tables this result writes
        from: write it first.
        """
        self._check_open()
        day = as_of if isinstance(as_of, dt.date) else readiness_cmd.parse_as_of(as_of)
        reviewed = readiness_cmd.review(self._core, _path(waivers), day, holds_threshold)
        return self._current(results.Readiness(self, reviewed))

    def whatif(self, variants: Sequence[PathLike]) -> results.WhatIf:
        """The base (this session's classification) and each variant file (options, dates,
        patches, rule layers), compared record by record, as `cutover whatif` does.

        Costs: the classification (once per session), then one classification per variant
        with its patches applied as views, and a comparison with the base. Each result keeps
        its variants' ledgers on the session's connection until the session is closed.
        """
        self._check_open()
        paths = [Path(v) for v in variants]
        if not paths:
            raise UserError(Problem(Loc("variants"), "give at least one variant file"))
        cases = whatif_cmd.prepare(self._core, paths)
        schema = f"{whatif_cmd.SCHEMA}_{self._store.number()}"
        return results.WhatIf(self, whatif_cmd.compare_variants(self._core, paths, cases, schema))

    def sql(self, query: str) -> db.Relation:
        """A relation over `query` on the session's connection, where the snapshot tables are
        views (`pre.users`, `extract.patrons`, `testload.*`, after a call read them) and the
        prediction's ledger is view `ledger` (after `predict`)."""
        self._check_open()
        return self._core.con.relation(query)

    def close(self) -> None:
        """Free the DuckDB connection; the results' relations cannot be read after this."""
        self._core.close()
        self._closed = True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise UserError("the session is closed: open a new one")

    def _current(self, result: C) -> C:
        """`result`, now the one whose command tables the session holds."""
        self._latest[result.kind] = result
        return result


def _path(value: PathLike | None) -> Path | None:
    return Path(value) if value is not None else None
