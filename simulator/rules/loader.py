"""Reading rule packs (docs/formats/rule-packs.md) and layering packs over the default, keeping
every location."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Collector, Loc, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.tables import TABLES
from simulator.rules import metadata
from simulator.rules.model import Entity, Fact, Pack, Rule

PACK_FILE = "pack.yaml"
_ENTITY_KEYS = {"entity", "side", "key", "facts", "rules", "description"}
_RULE_KEYS = {
    "id", "when", "outcome", "reason", "cite", "confidence", "message", "finding", "disabled",
    "before", "after", "expect_after", "golive_check", "golive_action",
}


def default_pack_dir() -> Path:
    """The default pack: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_packs" / "alma-cutover", here.parent / "rules" / "alma-cutover"):
        if candidate.is_dir():
            return candidate
    raise UserError("the default rule pack is missing from this installation")


def load_pack(layers: list[Path] | None = None, base: Path | None = None) -> Pack:
    """The default pack (or `base`) with each layer applied in order.

    Every problem is reported at once: when a file cannot be read or a rule cannot be built,
    what did load is linted too, and all problems are raised together.
    """
    problems = Collector()
    base = base or default_pack_dir()
    entities: dict[tuple[str, str], Entity] = {}
    shared: dict[str, Fact] = {}
    broken_facts: set[str] = set()
    files: list[Path] = []
    for i, folder in enumerate([base, *(layers or [])]):
        if not folder.is_dir():
            problems.add(Loc(display_path(folder)), _not_a_folder(folder))
            continue
        pack_files = sorted(folder.glob("*.yaml"))
        if not pack_files:
            problems.add(Loc(display_path(folder)), "rule pack folder holds no .yaml files")
        layer = _Layer(i > 0)
        for path in pack_files:
            files.append(path)
            try:
                data, lines = _parsed(path)
            except UserError as e:
                problems.extend(e.problems)
                continue
            src = Source(display_path(path), lines)
            if path.name == PACK_FILE:
                _pack_file(data, path, shared, problems, src, broken_facts)
            else:
                _entity_file(data, path, entities, problems, layer, src)
    pack = Pack(entities, shared, files, _digest(files), broken_facts)
    if problems.problems:
        from simulator.rules.lint import lint  # only a broken pack needs it (it loads DuckDB)

        problems.extend(lint(pack))
    problems.raise_if_any()
    return pack


def _not_a_folder(path: Path) -> str:
    if path.is_file():  # a pack file given for its folder
        return (f"is a file, expected a rule pack folder (the folder holding it: "
                f"{display_path(path.parent)})")
    return "rule pack folder not found"


# Parsed pack files by path and content: a what-if variant's layer loads the default pack again,
# and a demo, a notebook or a test suite loads it many times. What is built from a file is built
# anew each time; the parsed document is only read.
_PARSED: dict[tuple[str, bytes], tuple[Any, list[str]]] = {}


def _parsed(path: Path) -> tuple[Any, list[str]]:
    """The file's YAML document and its lines."""
    try:
        if path.stat().st_size > yamlsrc.MAX_BYTES:
            return yamlsrc.load(path), []  # raises the located problem
        key = (str(path.resolve()), path.read_bytes())
    except OSError:
        return yamlsrc.load(path), []  # raises the located problem
    if key not in _PARSED:
        _PARSED[key] = (yamlsrc.load(path), key[1].decode("utf-8-sig").splitlines())
    return _PARSED[key]


@dataclass
class _Layer:
    """What one pack folder has done so far: entities it created, rule ids it defined."""

    is_layer: bool
    created: set[tuple[str, str]] = field(default_factory=set)
    rule_locs: dict[tuple[str, str], Loc] = field(default_factory=dict)


@dataclass
class Source:
    shown: str
    lines: list[str]

    def text_loc(self, loc: Loc, text: str) -> Loc | None:
        """Where `text` starts in the file when it is written on one line (plain or quoted)."""
        if "\n" in text or not 0 < loc.line <= len(self.lines):
            return None
        rest = self.lines[loc.line - 1][loc.col - 1:]
        if rest.startswith(text):
            return loc
        if rest[:1] in ("'", '"') and rest[1:].startswith(text):
            return loc.at(0, 1)
        return None


def fingerprint(layers: list[Path] | None = None, base: Path | None = None) -> str:
    """What a pack's content depends on: its folders and the bytes of their files, digested
    the way `load_pack` reads them (the same fingerprint, the same pack)."""
    h = hashlib.sha256()
    for folder in [base or default_pack_dir(), *(layers or [])]:
        h.update(str(folder.resolve()).encode() + b"\0")
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        h.update(_digest(files).encode())
    return h.hexdigest()


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


def _facts(data: Any, problems: Collector, src: Source, broken: set[str]) -> dict[str, Fact]:
    if data is None:
        return {}
    if not isinstance(data, yamlsrc.YMap):
        problems.add(getattr(data, "loc", Loc(src.shown, 1, 1)),
                     "facts must map a name to an SQL expression")
        return {}
    out = {}
    for name, sql in data.items():
        if not isinstance(sql, str) or not sql.strip():
            problems.add(data.value_loc(name), f"fact '{name}' must be an SQL expression")
            broken.add(name)
            continue
        if not name.isidentifier():
            problems.add(data.key_loc(name), f"fact name '{name}' must be a plain identifier")
            broken.add(name)
            continue
        loc = data.value_loc(name)
        out[name] = Fact(name, sql, loc, text_loc=src.text_loc(loc, sql))
    return out


def _pack_file(data: Any, path: Path, shared: dict[str, Fact], problems: Collector,
               src: Source, broken: set[str]) -> None:
    data = _mapping(data, path, problems, "a mapping with name and facts")
    if data is None:
        return
    metadata.unknown_keys(data, {"name", "description", "facts"}, problems, "pack")
    shared.update(_facts(data.get("facts"), problems, src, broken))


def _entity_file(
    data: Any,
    path: Path,
    entities: dict[tuple[str, str], Entity],
    problems: Collector,
    layer: _Layer,
    src: Source,
) -> None:
    data = _mapping(data, path, problems, "a mapping with entity, side and rules")
    if data is None:
        return
    metadata.unknown_keys(data, _ENTITY_KEYS, problems, "entity")
    rules = data.get("rules", yamlsrc.YList())
    if not isinstance(rules, yamlsrc.YList):
        problems.add(data.value_loc("rules"), "rules must be a list")
        rules = yamlsrc.YList()
    items = list(zip(rules, getattr(rules, "item_locs", []), strict=True))
    found = _table(data, problems)
    if found is None:
        _rules_alone(items, problems, src)  # their own problems still show
        return
    side, name = found
    entity = entities.get((side, name))
    if entity is None:
        entity = Entity(name, side, TABLES[name].key, data.loc)
        entities[(side, name)] = entity
        layer.created.add((side, name))
    elif (side, name) in layer.created:
        problems.add(data.loc, f"{side}.{name} is already defined in this pack "
                               f"({entity.loc}); one file per entity")
        _rules_alone(items, problems, src)
        return
    entity.facts.update(_facts(data.get("facts"), problems, src, entity.broken))
    for item, loc in items:
        _rule(item, loc, entity, problems, layer, src)


def _table(data: yamlsrc.YMap, problems: Collector) -> tuple[str, str] | None:
    """The (side, table) the file's rules classify, or None after reporting why there is none
    (the key is checked too: a pack cannot change it)."""
    name, side = data.get("entity"), data.get("side", "alma")
    if "entity" not in data:
        problems.add(data.loc, "an entity's file needs entity: the table its rules classify")
        return None
    if not isinstance(name, str) or name not in TABLES:
        close = yamlsrc.suggest(str(name), TABLES)
        problems.add(data.value_loc("entity"),
                     f"unknown entity {yamlsrc.describe(name)}{close}: expected a table name "
                     f"({', '.join(sorted(TABLES))})")
        return None
    table = TABLES[name]
    if side not in table.sides:
        problems.add(data.value_loc("side"), f"side must be one of {', '.join(table.sides)} "
                                             f"for {name}, not {yamlsrc.describe(side)}"
                                             f"{yamlsrc.suggest(str(side), table.sides)}")
        return None
    key = data.get("key", list(table.key))
    if not isinstance(key, list) or tuple(key) != table.key:
        problems.add(data.value_loc("key"),
                     f"key of {name} is {'|'.join(table.key)}; a pack cannot change it")
    return side, name


def _rules_alone(items: list[tuple[Any, Loc]], problems: Collector, src: Source) -> None:
    """The problems of rules whose entity could not be made: each rule's keys and fields and
    the syntax of its `when` (names and order need the entity)."""
    from simulator.rules.sqlcheck import parse_condition  # a broken pack: lint loads it anyway

    for item, loc in items:
        rid = _rule_id(item, loc, problems)
        if rid is None:
            continue
        rule, _ = _build_rule(item, loc, rid, problems, src)
        if rule.when:
            parse_condition(rule.when, rule.when_loc, problems, f"rule '{rid}'",
                            text_loc=rule.when_text_loc)


def _rule_id(item: Any, loc: Loc, problems: Collector) -> str | None:
    """The id of a rule item, after reporting unknown keys; None after reporting why not."""
    if not isinstance(item, yamlsrc.YMap):
        problems.add(loc, "a rule is a mapping with id, when, outcome, reason and cite")
        return None
    metadata.unknown_keys(item, _RULE_KEYS, problems, "rule")
    rid = item.get("id")
    if not isinstance(rid, str) or not rid:
        problems.add(item.value_loc("id") if "id" in item else loc, "rule without an id")
        return None
    return rid


def _rule(item: Any, loc: Loc, entity: Entity, problems: Collector, layer: _Layer,
          src: Source) -> None:
    rid = _rule_id(item, loc, problems)
    if rid is None:
        return
    id_loc = item.value_loc("id")
    first = layer.rule_locs.get((entity.id, rid))
    if first is not None and layer.is_layer:
        problems.add(id_loc, f"duplicate rule id '{rid}' (first at {first})")
        return
    layer.rule_locs.setdefault((entity.id, rid), id_loc)
    existing = next((i for i, r in enumerate(entity.rules) if r.id == rid), None)
    # A layer replaces the rule of the same id; in the base pack a repeated id is a new rule
    # (the linter reports the duplicate).
    index = existing if layer.is_layer else None
    disabled = item.get("disabled", False)
    if not isinstance(disabled, bool):
        problems.add(item.value_loc("disabled"), "disabled must be true or false")
        entity.broken.add(rid)
        return
    if disabled:
        if existing is None:
            problems.add(id_loc, f"cannot disable unknown rule '{rid}' in {entity.id}")
        else:
            del entity.rules[existing]
        return
    # A rule missing a field is still placed and linted, so all its problems show at once;
    # the pack does not load (the missing field is reported), and what its absence implies
    # (no catch-all, an unknown anchor) is not.
    rule, complete = _build_rule(item, loc, rid, problems, src)
    if not complete:
        entity.broken.add(rid)
    if "before" in item and "after" in item:
        problems.add(item.key_loc("after"), f"rule '{rid}': use before: or after:, not both")
        entity.broken.add(rid)
    _place(rule, item, entity, index, problems, layer)


def _place(rule: Rule, item: yamlsrc.YMap, entity: Entity, index: int | None,
           problems: Collector, layer: _Layer) -> None:
    """Put the rule in its entity's order: in place of the rule it replaces (`index`), at the
    end, or before/after an anchor rule. A rule that cannot be placed goes in place or at the
    end all the same, marked broken, so lint still checks the rest of it."""
    at = _position(rule, item, entity, problems, layer)
    if at is None:
        if index is not None:
            entity.rules[index] = rule  # a layer replaces the rule of the same id in place
        else:
            entity.rules.append(rule)
        return
    if index is not None:  # a replaced rule that also moves
        anchor = entity.rules[at].id
        del entity.rules[index]
        at = next(i for i, r in enumerate(entity.rules) if r.id == anchor)
    entity.rules.insert(at if "before" in item else at + 1, rule)


def _position(rule: Rule, item: yamlsrc.YMap, entity: Entity, problems: Collector,
              layer: _Layer) -> int | None:
    """The index of the rule's anchor (before: or after:), or None: no anchor, or one that is
    not there (reported, and the rule marked broken)."""
    rid, id_loc = rule.id, item.value_loc("id")
    anchor_key = "before" if "before" in item else "after" if "after" in item else None
    if anchor_key is None:
        new = not any(r.id == rid for r in entity.rules)
        if new and layer.is_layer and (entity.side, entity.name) not in layer.created:
            problems.add(id_loc, f"new rule '{rid}' in a layer needs before: or after: an "
                                 f"existing rule id of {entity.id}")
            entity.broken.add(rid)
        return None
    anchor = item[anchor_key]
    if anchor == rid:
        problems.add(item.value_loc(anchor_key), f"rule '{rid}' cannot go {anchor_key} itself")
        entity.broken.add(rid)
        return None
    at = next((i for i, r in enumerate(entity.rules) if r.id == anchor), None)
    if at is None:
        if anchor not in entity.broken:  # else the anchor's own problem is already reported
            problems.add(item.value_loc(anchor_key), f"{anchor_key}: unknown rule id {anchor!r} "
                                                     f"in {entity.id}")
        entity.broken.add(rid)
    return at


def _build_rule(item: yamlsrc.YMap, loc: Loc, rid: str, problems: Collector,
                src: Source) -> tuple[Rule, bool]:
    """The rule, and whether it has every field it needs; a field that is missing (reported
    here) is empty text, so the rest of the rule can still be checked."""
    complete = True
    text: dict[str, str] = {}
    for key in ("when", "outcome", "reason", "cite"):
        value = item.get(key)
        if isinstance(value, bool) and key == "when":
            value = "true" if value else "false"
        if not isinstance(value, str) or not value.strip():
            problems.add(item.value_loc(key) if key in item else loc,
                         f"rule '{rid}' needs {key} (text)")
            complete, value = False, ""
        text[key] = value
    message = item.get("message")
    if message is not None and not isinstance(message, str):
        problems.add(item.value_loc("message"), "message must be text")
    expect = _expect_after(item, problems)
    when_loc = item.value_loc("when") if "when" in item else loc
    return Rule(
        id=rid,
        when=text["when"],
        outcome=text["outcome"],
        reason=" ".join(text["reason"].split()),
        cite=text["cite"],
        loc=item.value_loc("id"),
        when_loc=when_loc,
        confidence=str(item.get("confidence", "documented")),
        message=message if isinstance(message, str) else None,
        finding=metadata.finding(item, problems),
        origin=src.shown,
        when_text_loc=src.text_loc(when_loc, text["when"]) if text["when"] else None,
        outcome_loc=item.value_loc("outcome") if "outcome" in item else None,
        confidence_loc=item.value_loc("confidence") if "confidence" in item else None,
        expect_after=expect.sql,
        expect_loc=expect.loc,
        expect_describe=expect.describe,
        expect_describe_loc=expect.describe_loc,
        golive_check=metadata.golive_check(item, problems),
        golive_action=metadata.golive_action(item, problems),
    ), complete


EXPECT_AFTER_KEYS = ("describe", "sql")


@dataclass
class _Expectation:
    """A rule's expect_after as written: its SQL and its words, each with where it is."""

    sql: str | None = None
    loc: Loc | None = None
    describe: str | None = None
    describe_loc: Loc | None = None


def _expect_after(item: yamlsrc.YMap, problems: Collector) -> _Expectation:
    """`expect_after: {sql: CONDITION, describe: WORDS}`. The bare `expect_after: CONDITION`
    loads too, without words, so lint can say what it lacks."""
    if "expect_after" not in item:
        return _Expectation()
    raw, at = item["expect_after"], item.value_loc("expect_after")
    if isinstance(raw, str) and raw.strip():
        return _Expectation(" ".join(raw.split()), at, describe_loc=at)
    if not isinstance(raw, yamlsrc.YMap):
        problems.add(at, "expect_after must be a mapping with sql (an SQL condition) and "
                         "describe (the expectation in plain words)")
        return _Expectation()
    metadata.unknown_keys(raw, EXPECT_AFTER_KEYS, problems, "expect_after")
    out = _Expectation(describe_loc=raw.value_loc("describe") if "describe" in raw else at)
    sql, words = raw.get("sql"), raw.get("describe")
    if isinstance(sql, str) and sql.strip():
        out.sql, out.loc = " ".join(sql.split()), raw.value_loc("sql")
    else:
        problems.add(raw.value_loc("sql") if "sql" in raw else at,
                     "expect_after needs sql: an SQL condition")
    if isinstance(words, str) and words.strip():
        out.describe = " ".join(words.split())
    elif words is not None:
        problems.add(raw.value_loc("describe"),
                     "expect_after describe must be the expectation in plain words")
        out.describe = ""  # reported here: lint does not report it missing
    return out
