"""Cutover simulator: what survives an Ex Libris Alma cutover, record by record, and why.

The Python API (`simulator.api`, docs/python-api.md) is importable from here, loaded when first
used: `import simulator` alone stays cheap (no DuckDB), as the command line's start needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from simulator.api import (
        Explanation,
        Loc,
        Prediction,
        Problem,
        Readiness,
        Relation,
        Session,
        UserError,
        Verification,
        WhatIf,
        open_session,
        sample_folder,
    )

__all__ = [
    "Explanation", "Loc", "Prediction", "Problem", "Readiness", "Relation", "Session",
    "UserError", "Verification", "WhatIf", "open_session", "sample_folder",
]


def __getattr__(name: str) -> Any:
    """The API's public names, imported on first use (PEP 562)."""
    if name in __all__:
        from simulator import api

        return getattr(api, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
