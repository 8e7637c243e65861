"""User-facing problems with their source location, collected and raised once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Loc:
    """A 1-based position in a user's file (or the option or argument a problem is about);
    converted from 0-based in `yamlsrc` only. An empty path: a problem with no subject."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.col or 1}"

    def at(self, line_offset: int = 0, col_offset: int = 0) -> Loc:
        return Loc(self.path, self.line + line_offset, self.col + col_offset)


def display_path(path: Path | str) -> str:
    """Paths in messages are relative to the working folder when they can be."""
    p = Path(path)
    try:
        full = p.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the path as written
        full = Path(os.path.abspath(p))
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


@dataclass(frozen=True, order=True)
class Problem:
    loc: Loc
    message: str
    # A line about the problems rather than one of them ("only the first 20 ... are listed"):
    # shown as a note and not counted.
    note: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        where = str(self.loc)
        return f"{where}: {self.message}" if where else self.message


class UserError(Exception):
    """Bad input or usage: reported without a traceback, exit code 2. Each problem is located
    at what it is about (a file, an option, an argument); a bare string is a problem with no
    subject, shown without a location."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(Loc(""), problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def read_head(path: Path, shown: str, kind: str, size: int, line: bool = False) -> bytes:
    """The first `size` bytes of a user's file (or its first line, at most `size` bytes): a
    missing file, a folder or an unreadable file is a located problem naming the `kind` of
    file expected ("a YAML file")."""
    try:
        with path.open("rb") as f:
            return f.readline(size) if line else f.read(size)
    except FileNotFoundError:
        raise UserError(Problem(Loc(shown), "file not found")) from None
    except IsADirectoryError:
        raise UserError(Problem(Loc(shown), f"is a folder, expected {kind}")) from None
    except OSError as e:
        raise UserError(Problem(Loc(shown), f"cannot read: {e.strerror or e}")) from None


@dataclass
class Collector:
    """Gathers every problem of a pass so the user sees them all at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(loc, message))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise UserError(self.problems)
