"""Reading rule packs (DESIGN 4) and layering packs over the default, keeping every location."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from simulator import yamlsrc
from simulator.errors import Collector, Loc, UserError, display_path
from simulator.rules.model import Entity, Fact, FindingSpec, Pack, Rule
from simulator.tables import TABLES

PACK_FILE = "pack.yaml"
_ENTITY_KEYS = {"entity", "side", "key", "facts", "rules", "description"}
_RULE_KEYS = {
    "id", "when", "outcome", "reason", "cite", "confidence", "message", "finding", "disabled",
    "before", "after",
}
_FINDING_KEYS = {"severity", "title", "fix"}


def default_pack_dir() -> Path:
    """The default pack: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_packs" / "alma-cutover", here.parent / "rules" / "alma-cutover"):
        if candidate.is_dir():
            return candidate
    raise UserError("the default rule pack is missing from this installation")


def load_pack(layers: list[Path] | None = None, base: Path | None = None) -> Pack:
    """The default pack (or `base`) with each layer applied in order; all problems at once."""
    problems = Collector()
    base = base or default_pack_dir()
    entities: dict[tuple[str, str], Entity] = {}
    shared: dict[str, Fact] = {}
    files: list[Path] = []
    for i, folder in enumerate([base, *(layers or [])]):
        if not folder.is_dir():
            problems.add(Loc(display_path(folder)), "rule pack folder not found")
            continue
        pack_files = sorted(folder.glob("*.yaml"))
        if not pack_files:
            problems.add(Loc(display_path(folder)), "rule pack folder holds no .yaml files")
        for path in pack_files:
            files.append(path)
            data = yamlsrc.load(path)
            if path.name == PACK_FILE:
                _pack_file(data, path, shared, problems)
            else:
                _entity_file(data, path, entities, problems, layer=i > 0)
    problems.raise_if_any()
    return Pack(entities, shared, files, _digest(files))


def _digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.parent.name.encode() + b"/" + path.name.encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _mapping(data: Any, path: Path, problems: Collector, what: str) -> yamlsrc.YMap | None:
    if not isinstance(data, yamlsrc.YMap):
        loc = getattr(data, "loc", Loc(display_path(path), 1, 1))
        problems.add(loc, f"expected {what}")
        return None
    return data


def _unknown(data: yamlsrc.YMap, allowed: set[str], problems: Collector, what: str) -> None:
    for key in data:
        if key not in allowed:
            problems.add(data.key_loc(key), f"unknown {what} key '{key}' "
                                            f"(expected one of {', '.join(sorted(allowed))})")


def _facts(data: Any, problems: Collector) -> dict[str, Fact]:
    if data is None:
        return {}
    if not isinstance(data, yamlsrc.YMap):
        problems.add(getattr(data, "loc", Loc("?")), "facts must map a name to an SQL expression")
        return {}
    out = {}
    for name, sql in data.items():
        if not isinstance(sql, str) or not sql.strip():
            problems.add(data.value_loc(name), f"fact '{name}' must be an SQL expression")
            continue
        if not name.isidentifier():
            problems.add(data.key_loc(name), f"fact name '{name}' must be a plain identifier")
            continue
        out[name] = Fact(name, sql, data.value_loc(name))
    return out


def _pack_file(data: Any, path: Path, shared: dict[str, Fact], problems: Collector) -> None:
    data = _mapping(data, path, problems, "a mapping with name and facts")
    if data is None:
        return
    _unknown(data, {"name", "description", "facts"}, problems, "pack")
    shared.update(_facts(data.get("facts"), problems))


def _entity_file(
    data: Any,
    path: Path,
    entities: dict[tuple[str, str], Entity],
    problems: Collector,
    layer: bool,
) -> None:
    data = _mapping(data, path, problems, "a mapping with entity, side and rules")
    if data is None:
        return
    _unknown(data, _ENTITY_KEYS, problems, "entity")
    name, side = data.get("entity"), data.get("side", "alma")
    if not isinstance(name, str) or name not in TABLES:
        problems.add(data.value_loc("entity") if "entity" in data else data.loc,
                     f"unknown entity {name!r}: expected a table name ({', '.join(sorted(TABLES))})")
        return
    table = TABLES[name]
    if side not in table.sides:
        problems.add(data.value_loc("side"), f"side must be one of {', '.join(table.sides)} "
                                             f"for {name}, not {side!r}")
        return
    key = data.get("key", list(table.key))
    if not isinstance(key, list) or tuple(key) != table.key:
        problems.add(data.value_loc("key"),
                     f"key of {name} is {'|'.join(table.key)}; a pack cannot change it")
    entity = entities.get((side, name))
    if entity is None:
        entity = Entity(name, side, table.key, data.loc)
        entities[(side, name)] = entity
    elif not layer:
        problems.add(data.loc, f"{side}.{name} is already defined in this pack "
                               f"({entity.loc}); one file per entity")
        return
    entity.facts.update(_facts(data.get("facts"), problems))
    rules = data.get("rules", [])
    if not isinstance(rules, yamlsrc.YList):
        problems.add(data.value_loc("rules"), "rules must be a list")
        return
    for item, loc in zip(rules, rules.item_locs, strict=True):
        _rule(item, loc, entity, problems, layer, display_path(path))


def _rule(item: Any, loc: Loc, entity: Entity, problems: Collector, layer: bool,
          origin: str) -> None:
    if not isinstance(item, yamlsrc.YMap):
        problems.add(loc, "a rule is a mapping with id, when, outcome, reason and cite")
        return
    _unknown(item, _RULE_KEYS, problems, "rule")
    rid = item.get("id")
    if not isinstance(rid, str) or not rid:
        problems.add(loc, "rule without an id")
        return
    index = next((i for i, r in enumerate(entity.rules) if r.id == rid), None)
    if item.get("disabled") is True:
        if index is None:
            problems.add(item.value_loc("id"), f"cannot disable unknown rule '{rid}'")
        else:
            del entity.rules[index]
        return
    rule = _build_rule(item, loc, rid, problems, origin)
    if rule is None:
        return
    anchor_key = "before" if "before" in item else "after" if "after" in item else None
    if index is not None:
        if not layer:
            problems.add(item.value_loc("id"), f"duplicate rule id '{rid}'")
            return
        entity.rules[index] = rule  # a layer replaces the rule of the same id in place
        return
    if anchor_key is None:
        if layer:
            problems.add(item.value_loc("id"), f"new rule '{rid}' in a layer needs before: or "
                                               "after: an existing rule id")
            return
        entity.rules.append(rule)
        return
    anchor = item[anchor_key]
    at = next((i for i, r in enumerate(entity.rules) if r.id == anchor), None)
    if at is None:
        problems.add(item.value_loc(anchor_key), f"{anchor_key}: unknown rule id {anchor!r} "
                                                 f"in {entity.id}")
        return
    entity.rules.insert(at if anchor_key == "before" else at + 1, rule)


def _build_rule(item: yamlsrc.YMap, loc: Loc, rid: str, problems: Collector,
                origin: str) -> Rule | None:
    ok = True
    for key in ("when", "outcome", "reason", "cite"):
        value = item.get(key)
        if isinstance(value, bool) and key == "when":
            item[key] = "true" if value else "false"
        elif not isinstance(value, str) or not value.strip():
            problems.add(item.value_loc(key) if key in item else loc,
                         f"rule '{rid}' needs {key} (text)")
            ok = False
    finding = None
    raw = item.get("finding")
    if raw is not None:
        if not isinstance(raw, yamlsrc.YMap):
            problems.add(item.value_loc("finding"), "finding must be a mapping with "
                                                    "severity, title, fix")
        else:
            _unknown(raw, _FINDING_KEYS, problems, "finding")
            if not all(isinstance(raw.get(k), str) for k in _FINDING_KEYS):
                problems.add(raw.loc, "finding needs severity, title and fix (text)")
            else:
                finding = FindingSpec(raw["severity"], raw["title"], raw["fix"],
                                      raw.value_loc("severity"))
    message = item.get("message")
    if message is not None and not isinstance(message, str):
        problems.add(item.value_loc("message"), "message must be text")
    if not ok:
        return None
    return Rule(
        id=rid,
        when=str(item["when"]),
        outcome=str(item["outcome"]),
        reason=" ".join(str(item["reason"]).split()),
        cite=str(item["cite"]),
        loc=item.value_loc("id"),
        when_loc=item.value_loc("when"),
        confidence=str(item.get("confidence", "documented")),
        message=message if isinstance(message, str) else None,
        finding=finding,
        origin=origin,
    )
