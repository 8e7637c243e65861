"""A parse error of a pack's SQL in plain words, and where it is.

sqlglot says what its parser was building ("Required keyword: 'expression' missing for And");
the author of a rule needs what is wrong with what they wrote ("the condition ends after 'and'").
The common errors are read from sqlglot's error details (`ParseError.errors`: description, line,
column) and the text's tokens; sqlglot's own words stay only for an error not recognised here.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot.errors
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

from simulator.rules.analysis import DIALECT

_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")  # sqlglot names its node classes
# The starts of sqlglot's descriptions of the errors worded here (its parser and expressions).
_MISSING = "Required keyword:"  # an operator or form without one of its parts
_UNEXPECTED = "Invalid expression / Unexpected token"
_EXPECTED = ("Expected ", "Expecting ")
_OPERANDS = {TokenType.VAR, TokenType.NUMBER, TokenType.STRING, TokenType.IDENTIFIER,
             TokenType.PLACEHOLDER, TokenType.PARAMETER, TokenType.TRUE, TokenType.FALSE,
             TokenType.NULL}
_JOINERS = {TokenType.AND, TokenType.OR}  # a text that starts with one lacks its left side
_OPENERS = {"'": "a text value is never closed (a ' opens it, another ' must close it)",
            '"': 'a quoted name is never closed (a " opens it, another " must close it)',
            "$$": "a text value is never closed ($$ opens it, another $$ must close it)",
            "/*": "a comment is never closed (/* opens it, */ must close it)"}

Explained = tuple[str, int | None]  # (the problem in plain words, its offset in the text)


def explain(error: sqlglot.errors.SqlglotError, text: str, noun: str) -> Explained:
    """Why `text` (a `noun`: condition, expression, query) does not parse, and the offset of
    the character the problem is at when it is known."""
    if isinstance(error, sqlglot.errors.TokenError):
        return _unreadable(text) or (f"cannot parse SQL: {_first_line(error)}", None)
    errors = error.errors if isinstance(error, sqlglot.errors.ParseError) else []
    detail: dict[str, Any] = errors[0] if errors else {}
    try:
        tokens = Dialect.get_or_raise(DIALECT).tokenize(text)
    except sqlglot.errors.SqlglotError:
        tokens = []
    desc = str(detail.get("description") or "")
    at = _token_at(tokens, detail)
    worded = _worded(desc, tokens, at, text, noun) if at is not None else None
    if worded is not None:
        return worded
    return _raw(desc or _first_line(error), detail), (None if at is None else tokens[at].start)


def _worded(desc: str, tokens: list[Token], at: int, text: str,
            noun: str) -> Explained | None:
    """The error at token `at` in plain words, or None when it is not one worded here."""
    token = tokens[at]
    stray = _stray_close(tokens)
    if stray is not None and stray <= at:
        return ("')' closes nothing: a '(' is missing before it, or it is one too many",
                tokens[stray].start)
    opened = _unclosed_open(tokens)
    if desc.startswith("Expecting )") and opened is not None:
        return "a '(' is never closed (a ')' must close it)", tokens[opened].start
    if desc.startswith(_MISSING):
        return _missing(desc, tokens, at, text, noun)
    if desc.startswith(_UNEXPECTED):
        return f"unexpected '{_shown(text, token)}' here", token.start
    if desc.startswith(_EXPECTED):
        wanted = desc.split(" ", 1)[1].split(" but got ")[0]
        if not wanted.replace(" ", "").isalnum():  # a symbol: ), ]
            wanted = f"'{wanted}'"
        return f"expected {wanted} near '{_shown(text, token)}'", token.start
    return None


def _missing(desc: str, tokens: list[Token], at: int, text: str, noun: str) -> Explained:
    """An operator or form without one of its parts. sqlglot reports the token it stopped at:
    the operator itself when the text ends there, else the token after the gap."""
    token, shown = tokens[at], _shown(text, tokens[at])
    if desc.startswith(f"{_MISSING} 'this'"):  # the left side, for an operator between two
        first = tokens[0]
        if first.token_type in _JOINERS:
            return (f"the {noun} starts with '{_shown(text, first)}': something must come "
                    "before it"), first.start
        if token.token_type in _OPERANDS and at > 1:  # `x = 1 && & y`: the gap is before `&`
            at, token = at - 1, tokens[at - 1]
            shown = _shown(text, token)
    if at == len(tokens) - 1 and token.token_type != TokenType.R_PAREN:
        return f"the {noun} ends after '{shown}': something must follow", token.start
    if at == 0:
        return f"something is missing before '{shown}'", token.start
    before = _shown(text, tokens[at - 1])
    return f"something is missing between '{before}' and '{shown}'", token.start


def _token_at(tokens: list[Token], detail: dict[str, Any]) -> int | None:
    """The index of the token sqlglot reports (by its line and its last column)."""
    line, col = detail.get("line"), detail.get("col")
    return next((i for i, t in enumerate(tokens) if t.line == line and t.col == col), None)


def _shown(text: str, token: Token) -> str:
    """The token as written (a string token's text has lost its quotes), cut when long."""
    written = text[token.start:token.end + 1]
    return written if len(written) <= 30 else written[:27] + "..."


def _stray_close(tokens: list[Token]) -> int | None:
    """The index of the first ')' that closes no '('."""
    depth = 0
    for i, t in enumerate(tokens):
        depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
        if depth < 0:
            return i
    return None


def _unclosed_open(tokens: list[Token]) -> int | None:
    """The index of the outermost '(' that no ')' closes."""
    opened: list[int] = []
    for i, t in enumerate(tokens):
        if t.token_type == TokenType.L_PAREN:
            opened.append(i)
        elif t.token_type == TokenType.R_PAREN and opened:
            opened.pop()
    return opened[0] if opened else None


def _unreadable(text: str) -> Explained | None:
    """What stops sqlglot's tokenizer: a quote or comment never closed, or a `$` without the
    name of a scenario value after it; with its offset."""
    i = 0
    while i < len(text):
        if text.startswith("--", i):  # a line comment: nothing in it opens anything
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
            continue
        opener = next((o for o in _OPENERS if text.startswith(o, i)), None)
        if opener is None:
            i += 1
            continue
        end = _closing(text, i + len(opener), opener)
        if end < 0:
            return _OPENERS[opener], i
        i = end
    if text.rstrip().endswith("$"):
        return ("'$' must be followed by the name of a scenario value ($freeze_start)",
                len(text.rstrip()) - 1)
    return None


def _closing(text: str, start: int, opener: str) -> int:
    """The offset just past the end of a quote or comment opened before `start`, or -1."""
    closer = "*/" if opener == "/*" else opener
    while (end := text.find(closer, start)) >= 0:
        if len(closer) == 1 and text[end + 1:end + 2] == closer:  # a doubled quote: one quote
            start = end + 2
            continue
        return end + len(closer)
    return -1


def _raw(desc: str, detail: dict[str, Any]) -> str:
    """sqlglot's own words, its class names shortened."""
    near = str(detail.get("highlight") or "")
    return "cannot parse SQL: " + _CLASS.sub(r"\1", desc) + (f" (at '{near}')" if near else "")


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0]
