"""Loss budgets for `cutover verify`: how many surprises of a class an entity may have.

```yaml
budgets:
  - {entity: users, class: lost_unexpectedly, fail: 0}     # fail when more than 0
  - {entity: items, class: lost_unexpectedly, warn: 0.1%}  # warn above 0.1 % of the items
  - {entity: '*', class: '*', fail: 0}                     # everything else
```

The first budget that matches an (entity, class) pair applies. Without a file every surprise
fails: a verification should be strict until someone decides otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.tables import TABLES

KEYS = ("entity", "class", "warn", "fail")
# What a budget's `entity` may name: a table, alone or with its side ("post" for unexpected rows;
# "extract.forms" for the fulfillment load's form check).
ENTITIES = frozenset(
    set(TABLES) | {f"{s}.{t}" for s in ("alma", "extract", "post") for t in TABLES}
    | {"forms", "extract.forms"})
_THRESHOLD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Threshold:
    value: float
    percent: bool

    def crossed(self, count: int, total: int) -> bool:
        if self.percent:  # any share of nothing is too much: no record to measure it against
            return count > 0 and (total <= 0 or 100.0 * count / total > self.value)
        return count > self.value

    def __str__(self) -> str:
        return f"> {self.value:g}{'%' if self.percent else ''}"


@dataclass(frozen=True)
class Budget:
    entity: str
    klass: str
    warn: Threshold | None
    fail: Threshold | None
    loc: Loc

    def threshold(self, verdict: str) -> Threshold | None:
        """The threshold behind a verdict of `judge`: the one crossed, else the fail one."""
        if verdict == "warn":
            return self.warn
        return self.fail or self.warn

    def matches(self, entity: str, klass: str) -> bool:
        side_entity = entity.split(".", 1)[-1]
        return self.entity in ("*", entity, side_entity) and self.klass in ("*", klass)


DEFAULT = [Budget("*", "*", None, Threshold(0, False), Loc("default budget"))]


def _threshold(value: Any, loc: Loc, problems: Collector) -> Threshold | None:
    if value is None:
        return None
    m = _THRESHOLD.match(str(value))
    if not m or isinstance(value, bool):
        problems.add(loc, f"threshold {value!r} must be a count (0, 12) or a percentage (0.1%)")
        return None
    return Threshold(float(m.group(1)), m.group(2) == "%")


def load(path: Path, classes: tuple[str, ...] | None,
         entities: frozenset[str] | set[str] = ENTITIES) -> list[Budget]:
    """The budgets of the file at `path`; every problem together. `classes`: what a budget's
    class may name (the registry's, classes.Registry.budget_classes); None: any (the rule pack,
    which declares some, did not load)."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    problems = Collector()
    items = data.get("budgets") if isinstance(data, yamlsrc.YMap) else data
    if not isinstance(items, yamlsrc.YList):
        raise UserError(Problem(Loc(shown, 1, 1), "expected a list of budgets under 'budgets:'"))
    out = []
    for item, loc in zip(items, items.item_locs, strict=True):
        if not isinstance(item, yamlsrc.YMap):
            problems.add(loc, "a budget is a mapping with entity, class and warn and/or fail")
            continue
        yamlsrc.check_keys(item, KEYS, problems, template=yamlsrc.LISTED)
        entity, klass = str(item.get("entity", "*")), str(item.get("class", "*"))
        if entity != "*" and entity not in entities:
            problems.add(item.value_loc("entity"), f"unknown entity '{entity}'")
        if klass != "*" and classes is not None and klass not in classes:
            problems.add(item.value_loc("class"),
                         f"unknown class '{klass}' (expected one of {', '.join(classes)})")
        warn = _threshold(item.get("warn"), item.value_loc("warn"), problems)
        fail = _threshold(item.get("fail"), item.value_loc("fail"), problems)
        if "warn" not in item and "fail" not in item:
            problems.add(loc, "a budget needs warn, fail or both")
        out.append(Budget(entity, klass, warn, fail, loc))
    problems.raise_if_any()
    return out


def judge(budgets: list[Budget], entity: str, klass: str, count: int,
          total: int) -> tuple[str, Budget | None]:
    """'fail', 'warn' or 'ok' for `count` surprises among `total` records."""
    for budget in budgets:
        if budget.matches(entity, klass):
            if budget.fail and budget.fail.crossed(count, total):
                return "fail", budget
            if budget.warn and budget.warn.crossed(count, total):
                return "warn", budget
            return "ok", budget
    return "ok", None
