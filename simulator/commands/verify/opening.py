"""Verify's own inputs besides the session's: the post snapshot, the baseline and the cutover
extract of the fulfillment stage, the loss budgets, the rule pack's classes and the --entity
names, and the stage verified. Opened together, so every problem of every one is reported in one
pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from simulator.commands.verify import budgets as budget_mod
from simulator.commands.verify import classes
from simulator.commands.verify.classes import STAGES, Registry
from simulator.commands.verify.scope import Scope, resolve_scope
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import snapshot
from simulator.inputs.snapshot import Snapshot
from simulator.rules.model import Pack


@dataclass
class Opened:
    pack: Pack
    registry: Registry
    scope: Scope
    post: Snapshot
    baseline: Snapshot | None
    cutover_extract: Snapshot | None
    budgets: list[budget_mod.Budget]
    stage: str  # the stage verified: --stage, or else the post snapshot's own


def check_stage(stage: str | None) -> None:
    """A --stage given must be one verify checks (None: the post snapshot's, see post_stage)."""
    if stage is not None and stage not in STAGES:
        raise UserError(Problem(Loc("--stage"), f"must be one of {', '.join(STAGES)}, "
                                                f"not '{stage}'"))


def post_stage(post: Snapshot, stage: str | None) -> str:
    """The stage verified: the post snapshot's own, which must be a stage after a load (its
    side alone would let the freeze through) and, when --stage is given, the one given."""
    shown = display_path(post.path)
    if post.stage not in STAGES:
        accepted = f"{', '.join(STAGES[:-1])} or {STAGES[-1]}"
        raise UserError(Problem(Loc(shown), f"--post: a snapshot of stage '{post.stage}'; verify "
                                            f"needs one taken after a load, of stage {accepted}"))
    if stage is not None and stage != post.stage:
        raise UserError(Problem(Loc(shown), f"--post: a snapshot of stage '{post.stage}', but "
                                            f"--stage is '{stage}'; leave --stage out to verify "
                                            f"the {post.stage} stage"))
    return post.stage


def open_inputs(pack: Callable[[], Pack], post: Path, *, stage: str | None = None,
                budgets_path: Path | None = None, baseline: Path | None = None,
                cutover_extract: Path | None = None, entities: list[str] | None = None,
                earlier: Iterable[Problem] = ()) -> Opened:
    """Open the snapshots and the budgets, check the pack (`pack()`, which may raise), the
    --entity names and the stage (`stage`, --stage, or None: the post snapshot's); raise every
    problem together, with `earlier` ones (a prediction folder's)."""
    problems = Collector(list(earlier))
    snaps: dict[str, Snapshot] = {}
    # The post snapshot's side is not checked by opening it: post_stage names the stages
    # verify takes, where opening would name every Alma-side one.
    for name, path, side in (("post", post, None), ("baseline", baseline, "alma"),
                             ("cutover_extract", cutover_extract, "extract")):
        if path is not None:
            try:
                snaps[name] = snapshot.open_snapshot(path, side, f"--{name.replace('_', '-')}")
            except UserError as e:
                problems.extend(e.problems)
    verified = ""
    if "post" in snaps:
        try:
            verified = post_stage(snaps["post"], stage)
        except UserError as e:
            problems.extend(e.problems)
    if "baseline" in snaps and snaps["baseline"].stage != "cutover":
        base = snaps["baseline"]
        problems.add(Loc(display_path(base.path)),
                     f"--baseline: a snapshot of stage '{base.stage}'; the fulfillment load is "
                     "compared with Alma after the cutover load, a snapshot of stage cutover")
    checked: Pack | None = None
    registry: Registry | None = None
    scope = None
    try:
        checked = pack()
        registry = classes.registry(checked, problems)
        scope = resolve_scope(entities, checked)
    except UserError as e:
        problems.extend(e.problems)
    found = budget_mod.DEFAULT
    if budgets_path is not None:
        try:  # a pack that did not load declares no classes: any class is taken
            found = budget_mod.load(budgets_path,
                                    registry.budget_classes if registry is not None else None)
        except UserError as e:
            problems.extend(e.problems)
    problems.raise_if_any()
    assert checked is not None and registry is not None and scope is not None
    return Opened(checked, registry, scope, snaps["post"], snaps.get("baseline"),
                  snaps.get("cutover_extract"), found, verified)
