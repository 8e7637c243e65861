"""One shape for every response body (docs/alma-api.md, "The raw folder"): JSON as parsed, XML
turned into the same dicts and lists (xmlbody.py), each value reached as a `Node` that knows its
JSON path (`$.user[3].record_type.value`), so a problem names where it is in the file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import Loc, Problem
from simulator.importers.alma_api import xmlbody

KINDS = {dict: "an object", list: "a list", str: "text", bool: "true or false",
         int: "a number", float: "a number", type(None): "null"}


def kind(value: Any) -> str:
    """A JSON value's kind in words ("an object", "a list", "text", ...)."""
    return KINDS.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Node:
    """A value of a response body and its JSON path."""

    value: Any
    path: str = "$"

    def get(self, key: str) -> Node:
        """The member `key` of an object (a null Node when absent or when this is no object)."""
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(value, f"{self.path}.{key}")

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def elements(self) -> list[Node] | None:
        """A list's elements, each with its index; one object alone is a list of one (XML writes
        a list of one like that); null and "" are an empty list; None for anything else."""
        if self.value is None or self.value == "":
            return []
        if isinstance(self.value, list):
            return [Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]
        if isinstance(self.value, dict):
            return [self]
        return None


def read_body(path: Path, shown: str) -> tuple[Node | None, list[Problem]]:
    """A response body, JSON (`.json`) or XML (`.xml`), as a Node; a file that cannot be read
    or parsed is a problem located at its line and column."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, [Problem(Loc(shown), f"cannot read: {e.strerror or e}")]
    if path.suffix.lower() == ".xml":
        value, problem = xmlbody.parse(data, shown)
    else:
        value, problem = _json(data, shown)
    if problem is not None:
        return None, [problem]
    return Node(value), []


def _json(data: bytes, shown: str) -> tuple[Any, Problem | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, Problem(Loc(shown), f"not UTF-8 text (byte {e.start + 1}): Alma's API "
                                         "answers in UTF-8; save the response as it came")
    try:
        return json.loads(text, parse_constant=_no_constant), None
    except json.JSONDecodeError as e:
        return None, Problem(Loc(shown, e.lineno, e.colno), f"not valid JSON: {e.msg}")
    except ValueError as e:
        return None, Problem(Loc(shown), f"not valid JSON: {e}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON value")
