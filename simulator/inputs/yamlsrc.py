"""YAML loading that remembers where every key and value came from."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import Collector, Loc, Problem, UserError, display_path, read_head


class YMap(dict[str, Any]):
    """A mapping with the location of itself, each key and each value."""

    loc: Loc
    key_locs: dict[str, Loc]
    value_locs: dict[str, Loc]

    def __init__(self, loc: Loc | None = None) -> None:
        super().__init__()
        self.loc = loc or Loc("")
        self.key_locs = {}
        self.value_locs = {}

    def key_loc(self, key: str) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Loc:
        return self.value_locs.get(key, self.loc)


class YList(list[Any]):
    """A sequence with the location of itself and of each item."""

    loc: Loc
    item_locs: list[Loc]

    def __init__(self, items: Iterable[Any] = (), loc: Loc | None = None,
                 item_locs: list[Loc] | None = None) -> None:
        super().__init__(items)
        self.loc = loc or Loc("")
        self.item_locs = item_locs if item_locs is not None else [self.loc] * len(self)


def _loc(path: str, mark: yaml.Mark) -> Loc:
    # The one place where 0-based parser positions become 1-based user positions.
    return Loc(path, mark.line + 1, mark.column + 1)


# Limits on every YAML file the tool reads (docs/formats/bad-input.md). The largest shipped file (a
# rule pack's) is 5 KB with no alias; a waiver listing 100,000 record keys is about 1 MB.
MAX_BYTES = 8 << 20  # the file's size: 8 MiB
MAX_NODES = 1_000_000  # values (mappings, lists, scalars) once aliases are expanded
MAX_ALIASES = 1_000  # alias uses (*name) in one file
MAX_DEPTH = 64  # mappings and lists nested in each other


class _Refused(Exception):
    """A file over a limit, at the node that crosses it."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Builder(yaml.SafeLoader):
    """The safe loader, composing within the limits: alias uses counted, nesting bounded, and
    an alias inside the value it names (a loop) refused where it stands."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0
        self.open_anchors: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(event.start_mark, f"more than {MAX_ALIASES:,} aliases (*name) "
                                                 "in one file")
            if event.anchor in self.open_anchors:
                raise _Refused(event.start_mark, f"the alias *{event.anchor} refers to a value "
                                                 "that holds it (a loop)")
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        anchor = getattr(event, "anchor", None)
        self.open_anchors.append(anchor or "")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.pop()


def _expanded_size(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it beyond MAX_NODES values (an alias bomb: a few
    hundred bytes that expand to a billion values), counted without expanding: each node's
    size is computed once. Raised at the innermost node that crosses the limit."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise _Refused(node.start_mark, f"aliases expand this value to more than "
                                                f"{MAX_NODES:,} values (an alias bomb?)")
        sizes[id(node)] = total
        return total

    size(root)


_PLAIN_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


def _build(loader: _Builder, node: yaml.Node, path: str, problems: Collector) -> Any:
    plain = _PLAIN_TAGS.get(type(node))
    if plain and node.tag != plain:
        problems.add(_loc(path, node.start_mark), f"unsupported tag '{node.tag}'")
        return None
    if isinstance(node, yaml.MappingNode):
        out = YMap(_loc(path, node.start_mark))
        for key_node, value_node in node.value:
            raw_key = _scalar(loader, key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(raw_key, str | int | bool):
                problems.add(_loc(path, key_node.start_mark), "keys must be plain text")
                continue
            key = str(raw_key)
            if key in out:
                problems.add(_loc(path, key_node.start_mark),
                             f"duplicate key '{key}' (first given at line "
                             f"{out.key_locs[key].line})")
                continue
            out[key] = _build(loader, value_node, path, problems)
            out.key_locs[key] = _loc(path, key_node.start_mark)
            out.value_locs[key] = _loc(path, value_node.start_mark)
        return out
    if isinstance(node, yaml.SequenceNode):
        return YList((_build(loader, n, path, problems) for n in node.value),
                     _loc(path, node.start_mark), [_loc(path, n.start_mark) for n in node.value])
    return _scalar(loader, node)


def _scalar(loader: _Builder, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node)
    except (ValueError, TypeError, OverflowError):
        # Looks like a date or number but is none (2026-02-30): keep the text; the reader of
        # the value reports it with its location and what was expected.
        return node.value


def _where(path: str, mark: yaml.Mark | None) -> Loc:
    return _loc(path, mark) if mark else Loc(path)


def _yaml_message(path: str, e: yaml.MarkedYAMLError) -> str:
    problem = (e.problem or e.context or "unreadable").strip()
    if problem.startswith("but "):
        problem = problem[4:]
    message = f"malformed YAML: {problem}"
    if e.context and e.problem:
        context = e.context.strip()
        if e.context_mark and e.context_mark != e.problem_mark:
            start = _loc(path, e.context_mark)
            context += f", which starts at line {start.line}, column {start.col}"
        message += f" ({context})"
    if "'\\t'" in problem:
        message += "; indent with spaces, not tabs"
    return message


def _decode(shown: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise UserError(Problem(
            Loc(shown, line, col),
            f"not valid UTF-8 (byte 0x{data[e.start]:02X}; Latin-1 or Windows bytes?): "
            "save the file as UTF-8",
        )) from None


def _read(path: Path, shown: str) -> str:
    """The file's text, read only up to the size limit."""
    data = read_head(path, shown, "a YAML file", MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UserError(Problem(Loc(shown), _too_large()))
    return _decode(shown, data)


def _too_large() -> str:
    return (f"larger than {MAX_BYTES >> 20} MiB: not a file this tool reads "
            "(docs/formats/bad-input.md)")


def load(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document within the limits (MAX_BYTES, MAX_NODES, MAX_ALIASES,
    MAX_DEPTH); syntax errors and files over a limit become located user errors."""
    shown = display_path(path)
    if text is None:
        text = _read(path, shown)
    elif len(text) > MAX_BYTES:
        raise UserError(Problem(Loc(shown), _too_large()))
    loader = _Builder(text)
    problems = Collector()
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        out = _build(loader, node, shown, problems)
    except _Refused as e:
        raise UserError(Problem(_where(shown, e.mark), e.message)) from None
    except yaml.MarkedYAMLError as e:
        loc = _where(shown, e.problem_mark or e.context_mark)
        raise UserError(Problem(loc, _yaml_message(shown, e))) from None
    except yaml.YAMLError as e:
        raise UserError(Problem(Loc(shown), f"malformed YAML: {e}")) from None
    finally:
        loader.dispose()
    problems.raise_if_any()
    return out


def describe(value: Any) -> str:
    """A YAML value as its writer thinks of it (not as a Python repr), for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    return repr(value)


# --- checking mappings: unknown and missing keys, "did you mean" -----------------------------


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like `word` (difflib, similarity at least `cutoff`), or None.

    The order of `choices` does not matter: equally close choices are decided by the text.
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the choice closest to `word`, or "" when none is close."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close is not None else ""


# Wordings of an unknown key, for `check_keys`. Fields: {what} (e.g. "key", "option"), {key},
# {expected} (the allowed keys, comma-separated, or the caller's text), and the suggestion as
# {hint} (" (did you mean 'x'?)") or as {ask} ("did you mean 'x'? "); each is "" without one.
HINTED = "unknown {what} '{key}'{hint}: expected {expected}"
ASKED = "unknown {what} '{key}': {ask}expected {expected}"
LISTED = "unknown {what} '{key}' (expected {expected})"
IGNORED = "unknown {what} '{key}' ignored"


def check_keys(data: YMap, allowed: Iterable[str], problems: Collector, *, what: str = "key",
               template: str = HINTED, expected: str | None = None) -> list[str]:
    """Report every key of `data` not in `allowed` at the key's location; return those keys.

    The message is `template` filled in (see HINTED); `expected` defaults to `allowed` joined
    in the order given.
    """
    choices = list(allowed)
    listing = ", ".join(choices) if expected is None else expected
    unknown = [key for key in data if key not in choices]
    for key in unknown:
        close = closest(key, choices)
        problems.add(data.key_loc(key), template.format(
            what=what, key=key, expected=listing,
            hint=f" (did you mean '{close}'?)" if close is not None else "",
            ask=f"did you mean '{close}'? " if close is not None else ""))
    return unknown


def required(data: YMap, keys: Iterable[str], problems: Collector, *,
             template: str = "missing required key '{key}'", at: Loc | None = None) -> list[str]:
    """Report each of `keys` that `data` lacks, at `at` (default: the mapping); return them.

    `template` may use {key}.
    """
    missing = [key for key in keys if key not in data]
    for key in missing:
        problems.add(at if at is not None else data.loc, template.format(key=key))
    return missing
