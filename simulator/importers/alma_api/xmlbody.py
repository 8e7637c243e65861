"""XML response bodies in the shape of JSON ones (docs/alma-api.md, "The raw folder").

Alma's XML wraps lists (`<user_roles><user_role>…</user_role></user_roles>`, the JSON key
`user_role` holding an array) and writes a coded value with a `desc` attribute
(`<user_group desc="Staff">08</user_group>`, in JSON `{"value": "08", "desc": "Staff"}`); other
attributes are members (`<email preferred="true">`, `<users total_record_count="0"/>`).

Parsed with the standard library's expat and ElementTree's tree builder; a document type
declaration (and with it any entity declaration) is refused before anything it declares could be
used: no entity is ever expanded and nothing outside the file is ever read.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from simulator.errors import Loc, Problem


class _Refused(Exception):
    pass


def _refuse_dtd(*_: object) -> None:
    raise _Refused("a document type declaration (DTD) is not accepted in a response body: "
                   "Alma's responses have none")


def _refuse_entity(*_: object) -> None:
    raise _Refused("an entity declaration is not accepted in a response body")


def _refuse_external(*_: object) -> int:
    raise _Refused("a reference to an external entity is not accepted in a response body")


def parse(data: bytes, shown: str) -> tuple[Any, Problem | None]:
    """The body as dicts, lists and text, or the problem that stopped reading it."""
    builder = TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
        root = builder.close()
        return value_of(root), None
    except _Refused as e:
        return None, Problem(_doctype_at(data, shown, parser), str(e))
    except expat.ExpatError as e:
        at = Loc(shown, e.lineno, (e.offset or 0) + 1)
        return None, Problem(at, f"not valid XML: {expat.ErrorString(e.code)}")
    except RecursionError:
        return None, Problem(Loc(shown), "not an Alma response: elements nested too deeply")


def _doctype_at(data: bytes, shown: str, parser: Any) -> Loc:
    """Where the document type declaration starts (expat is past its name when it calls)."""
    start = data.find(b"<!DOCTYPE")
    if start < 0:
        return Loc(shown, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
    before = data[:start]
    return Loc(shown, before.count(b"\n") + 1, start - before.rfind(b"\n"))


def _name(tag: str) -> str:
    """A tag or attribute name without a namespace prefix."""
    return tag.rpartition(":")[2]


def _plural(wrapper: str, item: str) -> bool:
    return wrapper in (item + "s", item + "es") or (
        item.endswith("y") and wrapper == item[:-1] + "ies")


def wrapped(el: Element) -> str | None:
    """The item name when `el` wraps a list (`<user_roles>` of `<user_role>`s), else None."""
    names = {_name(child.tag) for child in el}
    if len(names) != 1:
        return None
    item = names.pop()
    return item if _plural(_name(el.tag), item) else None


def _attributes(el: Element) -> dict[str, Any]:
    return {_name(k): v for k, v in el.attrib.items()
            if k != "xmlns" and not k.startswith("xmlns:")}


def value_of(el: Element) -> Any:
    """An element as the JSON value Alma would have written."""
    attrs = _attributes(el)
    if len(el) == 0:
        text = el.text if el.text is not None and el.text.strip() else None
        if not attrs:
            return text
        return {"value": text, **attrs} if text is not None or "desc" in attrs else attrs
    item = wrapped(el)
    if item is not None:
        return {item: [value_of(child) for child in el], **attrs}
    groups: dict[str, list[Element]] = {}
    for child in el:
        groups.setdefault(_name(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for key, children in groups.items():
        inner = wrapped(children[0]) if len(children) == 1 and len(children[0]) else None
        if inner is not None:  # a wrapped list: its items under their own name, as in JSON
            out.setdefault(inner, []).extend(value_of(c) for c in children[0])
        elif len(children) == 1:
            out[key] = value_of(children[0])
        else:
            out[key] = [value_of(c) for c in children]
    for key, value in attrs.items():
        out.setdefault(key, value)
    return out
