"""YAML loading that remembers where every key and value came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import Loc, Problem, UserError, display_path


class YMap(dict[str, Any]):
    """A mapping with the location of itself, each key and each value."""

    loc: Loc
    key_locs: dict[str, Loc]
    value_locs: dict[str, Loc]

    def key_loc(self, key: str) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Loc:
        return self.value_locs.get(key, self.loc)


class YList(list[Any]):
    loc: Loc
    item_locs: list[Loc]


def _loc(path: str, mark: yaml.Mark) -> Loc:
    # The one place where 0-based parser positions become 1-based user positions.
    return Loc(path, mark.line + 1, mark.column + 1)


class _Builder(yaml.SafeLoader):
    pass


def _build(loader: _Builder, node: yaml.Node, path: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.loc, out.key_locs, out.value_locs = _loc(path, node.start_mark), {}, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int | bool) or isinstance(key, list | dict):
                raise UserError(Problem(_loc(path, key_node.start_mark), "keys must be plain text"))
            key = str(key)
            if key in out:
                raise UserError(Problem(_loc(path, key_node.start_mark), f"duplicate key '{key}'"))
            out[key] = _build(loader, value_node, path)
            out.key_locs[key] = _loc(path, key_node.start_mark)
            out.value_locs[key] = _loc(path, value_node.start_mark)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = YList(_build(loader, n, path) for n in node.value)
        items.loc = _loc(path, node.start_mark)
        items.item_locs = [_loc(path, n.start_mark) for n in node.value]
        return items
    return loader.construct_object(node)


def load(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document; syntax errors become located user errors."""
    shown = display_path(path)
    try:
        if text is None:
            text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UserError(Problem(Loc(shown), "file not found")) from None
    except IsADirectoryError:
        raise UserError(Problem(Loc(shown), "is a folder, expected a YAML file")) from None
    except UnicodeDecodeError as e:
        raise UserError(Problem(Loc(shown), f"not valid UTF-8 (byte {e.start})")) from None
    loader = _Builder(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node, shown)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = _loc(shown, mark) if mark else Loc(shown)
        raise UserError(Problem(loc, f"malformed YAML: {e.problem or e.context}")) from None
    except yaml.YAMLError as e:
        raise UserError(Problem(Loc(shown), f"malformed YAML: {e}")) from None
    finally:
        loader.dispose()
