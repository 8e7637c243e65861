"""MkDocs hook: a `|` inside code in a Markdown table is written `\\|`, as GitHub needs (or it
splits the cell there); Python-Markdown keeps such a pipe in the cell and would show the
backslash, so the site drops it. Only code spans on table lines change."""

from __future__ import annotations

import re
from typing import Any

CODE_SPAN = re.compile(r"`[^`\n]+`")


def unescape_table_code(markdown: str) -> str:
    """The page's Markdown with `\\|` inside code spans of table lines as a plain `|`."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("|"):
            lines[i] = CODE_SPAN.sub(lambda m: m.group(0).replace("\\|", "|"), line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:
    return unescape_table_code(markdown)
