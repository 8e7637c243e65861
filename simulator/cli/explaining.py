"""How `cutover explain` prints one record: its facts, its rule chain, the deciding rule.

The chain is a table when the terminal leaves the condition column room to be read; on a
narrow terminal a table would squeeze each condition into fragments of a few letters, so each
rule is printed on its own line with its condition under it, wrapped between SQL tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

from simulator.cli.common import term

if TYPE_CHECKING:
    from simulator.commands.explain import Explanation

# The narrowest condition column the table keeps (unless every condition is shorter).
MIN_WHEN = 40
COLUMNS = ("#", "rule", "when", "value", "outcome")
Row = tuple[str, str, str, str, str]  # a rule of the chain, one text per column
WHEN = "when "  # before a condition under its rule
MIN_WRAP = 20  # conditions are not wrapped narrower, however narrow the terminal


def print_explanation(ex: Explanation) -> None:
    """One record's facts, its rule chain, and the deciding rule."""
    term.out.print(f"[bold]{escape(f'{ex.entity.id} {ex.record_key}')}[/bold]")
    for name, value in ex.facts.items():
        term.out.print(f"  fact {name} = {value}", markup=False)
    rows: list[Row] = [(str(i), s.rule.id, s.rule.when, str(s.value),
             f"{s.rule.outcome} {'◀ decides' if s.decided else ''}".strip())
            for i, s in enumerate(ex.steps, 1)]
    longest = max(len(when) for _, _, when, _, _ in rows)
    if _when_room(rows) >= min(MIN_WHEN, longest):
        term.out.print(_table(rows, with_when=True))
    else:
        for line in stacked(rows, term.out.width):
            term.out.print(line, markup=False)
    rule = ex.decision
    term.out.print(f"→ {rule.outcome} by {rule.id}: {rule.reason} "
                   f"[{rule.cite}]" + (f" (confidence: {rule.confidence})"
                                       if rule.confidence != "documented" else ""),
                   markup=False)


def _table(rows: list[Row], with_when: bool) -> RichTable:
    table = RichTable()
    shown = [i for i, col in enumerate(COLUMNS) if with_when or col != "when"]
    for i in shown:
        table.add_column(COLUMNS[i], no_wrap=COLUMNS[i] in ("rule", "outcome"))
    for row in rows:  # Text: a condition's brackets are not console markup
        table.add_row(*(Text(row[i]) for i in shown))
    return table


def _when_room(rows: list[Row]) -> int:
    """The width the table would leave its condition column on this terminal: what the
    other columns take at their widest, less a column's padding and border."""
    console = term.out
    others = Measurement.get(console, console.options, _table(rows, with_when=False))
    return console.width - others.maximum - 3


def stacked(rows: list[Row], width: int) -> list[str]:
    """The rule chain for a narrow terminal: a line per rule (number, id, value and outcome in
    columns) and its condition under the rule id, after `when`, wrapped to `width`."""
    number = max(len(r[0]) for r in rows)
    rule = max(len("rule"), *(len(r[1]) for r in rows))
    value = max(len("value"), *(len(r[3]) for r in rows))
    lines = [f"{'#':>{number}}  {'rule':<{rule}}  {'value':<{value}}  outcome"]
    indent = " " * (number + 2)
    for n, rule_id, when, val, outcome in rows:
        lines.append(f"{n:>{number}}  {rule_id:<{rule}}  {val:<{value}}  {outcome}")
        first, *rest = wrap_sql(when, max(width - len(indent) - len(WHEN), MIN_WRAP))
        lines.append(f"{indent}{WHEN}{first}")
        lines += [f"{indent}{' ' * len(WHEN)}{part}" for part in rest]
    return lines


def wrap_sql(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken only between SQL tokens: never
    inside a word or a quoted string or name. A token longer than `width` has a line of its
    own. Spaces between tokens become one."""
    lines: list[str] = []
    line = ""
    for token in sql_words(text):
        if line and len(line) + 1 + len(token) > width:
            lines.append(line)
            line = token
        else:
            line = f"{line} {token}" if line else token
    return [*lines, line]


def sql_words(text: str) -> list[str]:
    """`text` split at the white space outside quotes ('text' and "names", whose doubled
    quotes stay inside them)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char.isspace():
            if word:
                words.append("".join(word))
                word = []
            continue
        word.append(char)
    if word:
        words.append("".join(word))
    return words
