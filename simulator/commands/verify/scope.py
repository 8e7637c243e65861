"""Which entities a verify run checks (`--entity`), and the Alma tables their checks read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator import db
from simulator.errors import Loc, Problem, UserError
from simulator.inputs.tables import post_table, tables_for, with_references
from simulator.inputs.yamlsrc import suggest
from simulator.rules.analysis import tables_read
from simulator.rules.model import Pack, linted

# Tables a fulfillment check of a table reads besides that table (items follow their loans,
# instructors must link to users).
STAGE_READS = {"items": ("loans",), "course_instructors": ("users",)}


@dataclass(frozen=True)
class Scope:
    """The records a run checks: all of them, or those of the entities named with --entity.

    `pairs` are (side, entity) as discrepancies name them: ledger entities (`alma`, `extract`),
    `post` for rows in no input record, `extract.forms`; None: every one.
    """

    names: tuple[str, ...] = ()
    pairs: frozenset[tuple[str, str]] | None = None

    @property
    def partial(self) -> bool:
        return self.pairs is not None

    def has(self, side: str, entity: str) -> bool:
        return self.pairs is None or (side, entity) in self.pairs

    def where(self) -> str:
        """SQL condition on columns `side` and `entity`: true for the records checked."""
        return "true" if self.pairs is None else one_of(self.pairs)

    @property
    def checked(self) -> list[str]:
        return [f"{s}.{e}" for s, e in sorted(self.pairs or ())]

    @property
    def note(self) -> str:
        """One line for reports; empty when every entity was checked."""
        if self.pairs is None:
            return ""
        return (f"Entities checked: {', '.join(self.names)} ({', '.join(self.checked)}; "
                "filtered with --entity)")

    def as_dict(self) -> dict[str, Any]:
        if self.pairs is None:
            return {"partial": False}
        return {"partial": True, "entities": list(self.names), "checked": self.checked,
                "note": self.note}


EVERY_ENTITY = Scope()


def one_of(pairs: frozenset[tuple[str, str]] | list[tuple[str, str]]) -> str:
    """SQL condition on columns `side` and `entity`: one of `pairs`."""
    if not pairs:
        return "false"
    return "(" + " or ".join(f"(side = {db.literal(s)} and entity = {db.literal(e)})"
                             for s, e in sorted(pairs)) + ")"


def entity_names(pack: Pack) -> dict[str, frozenset[tuple[str, str]]]:
    """What each name --entity accepts stands for.

    A bare name is an Alma table with every record that lands in it (`users`: Alma's users, the
    patrons loaded into it, its rows in no input record) or an entity of the ledger
    (`patrons`); `alma.NAME` and `extract.NAME` are one entity of the ledger, `post.NAME` the
    rows of an Alma table that are in no input record.
    """
    names: dict[str, set[tuple[str, str]]] = {}
    for side, entity in pack.entities:
        for name in {entity, post_table(side, entity)} - {None}:
            names.setdefault(str(name), set()).add((side, entity))
        names.setdefault(f"{side}.{entity}", set()).add((side, entity))
    for table in tables_for("alma"):  # its stage checks and its rows in no input record
        names.setdefault(table.name, set()).update({("alma", table.name), ("post", table.name)})
        names.setdefault(f"alma.{table.name}", set()).add(("alma", table.name))
        names.setdefault(f"post.{table.name}", set()).add(("post", table.name))
    for name in ("forms", "extract.forms"):
        names[name] = {("extract", "forms")}
    return {k: frozenset(v) for k, v in names.items()}


def resolve_scope(given: list[str] | None, pack: Pack) -> Scope:
    """The Scope of `--entity` names; every unknown name is reported together."""
    if not given:
        return EVERY_ENTITY
    known = entity_names(pack)
    wanted = list(dict.fromkeys(n.strip().lower() for n in given))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        bare = sorted(n for n in known if "." not in n)
        shown = [f"'{name}'{suggest(name, known)}" for name in unknown]
        raise UserError(Problem(Loc("--entity"),
            f"unknown entit{'y' if len(unknown) == 1 else 'ies'} {', '.join(shown)}; "
            f"valid names: {', '.join(bare)}; or one side of an entity: alma.NAME or "
            "extract.NAME as the ledger names it (extract.patrons), post.NAME for the rows in no "
            "input record"))
    pairs = frozenset(p for n in wanted for p in known[n])
    return Scope(tuple(wanted), pairs)


def tables_needed(scope: Scope, pack: Pack, stage: str) -> set[str] | None:
    """The Alma tables (post and baseline snapshots) the scope's checks read; None: all.

    Closed over references (user_roles → users), so validation finds what a table refers to.
    """
    if scope.pairs is None:
        return None
    alma = {t.name for t in tables_for("alma")}
    need = set()
    for side, name in scope.pairs:
        target = name if side == "post" else post_table(side, name)
        if target in alma:
            need.add(target)
    need |= rules_read(scope, pack, stage).get("post", set())  # a user's roles, say
    if stage == "fulfillment":
        need |= {t for name in list(need) for t in STAGE_READS.get(name, ())}
    return with_references(need) & alma


def rules_read(scope: Scope, pack: Pack, stage: str) -> dict[str, set[str]]:
    """schema -> the tables the SQL of the rules checked at `stage` reads, for the entities in
    scope: expect_after at the cutover, the go-live checks and actions at go-live."""
    trees = []
    for entity, rule in pack.rules():
        if not scope.has(entity.side, entity.name):
            continue
        if stage == "cutover" and rule.expect_after:
            trees.append(rule.expect_tree)
        if stage == "golive" and rule.golive_check is not None:
            trees += [rule.golive_check.observed_tree, rule.golive_check.expect_tree]
        if stage == "golive" and rule.golive_action is not None:
            trees.append(rule.golive_action.when_tree)
    return tables_read([linted(t) for t in trees])
