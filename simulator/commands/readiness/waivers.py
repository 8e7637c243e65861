"""Waivers (`cutover readiness --waivers FILE`): accepted risks, each with an owner and an expiry.

```yaml
waivers:
  - finding: vendors.missing-in-alma   # the finding's id, as in the report
    records: [V021]                    # optional: without it the whole finding is waived
    owner: Dana Okafor (acquisitions)
    reason: A one-off supplier; its orders are keyed by hand after go-live.
    expires: 2026-03-31                # the last day the waiver holds
```

Every problem of the file is reported at once, each with `path:line:col`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.yamlsrc import suggest

KEYS = ("finding", "records", "owner", "reason", "expires")
REQUIRED = ("finding", "owner", "reason", "expires")
SHAPE = ("a waiver is a mapping with finding, owner, reason and expires (records is optional); "
         "see docs/formats/waivers.md")


@dataclass(frozen=True)
class Waiver:
    number: int  # its place in the file, from 1
    finding: str
    records: tuple[str, ...]  # empty: every record of the finding
    owner: str
    reason: str
    expires: dt.date
    loc: Loc

    def expired(self, as_of: dt.date) -> bool:
        """A waiver holds through its expiry day."""
        return as_of > self.expires

    @property
    def scope(self) -> str:
        n = len(self.records)
        return "all records" if not n else f"{n} record{'s' if n != 1 else ''}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(item: yamlsrc.YMap, key: str, problems: Collector) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(item.value_loc(key), f"{key} must be a non-empty text, not {value!r}")
        return ""
    return " ".join(value.split())


def _records(item: yamlsrc.YMap, problems: Collector) -> tuple[str, ...]:
    value = item.get("records")
    if not isinstance(value, list):
        problems.add(item.value_loc("records"),
                     f"records must be a list of record keys, e.g. records: [V021], not {value!r}")
        return ()
    if not value:
        problems.add(item.value_loc("records"),
                     "records is an empty list: leave it out to waive every record of the finding")
        return ()
    out = []
    for i, key in enumerate(value):
        where = (value.item_locs[i] if isinstance(value, yamlsrc.YList)
                 else item.value_loc("records"))
        if isinstance(key, bool) or not isinstance(key, str | int) or not str(key).strip():
            problems.add(where, f"a record key must be text (composite keys joined by |), "
                                f"not {key!r}")
            continue
        out.append(str(key).strip())
    return tuple(out)


def _waiver(number: int, item: Any, loc: Loc, known: Collection[str],
            problems: Collector) -> Waiver | None:
    if not isinstance(item, yamlsrc.YMap):
        problems.add(loc, SHAPE)
        return None
    before = len(problems.problems)
    yamlsrc.check_keys(item, KEYS, problems)
    yamlsrc.required(item, REQUIRED, problems, template=f"waiver {number}: missing '{{key}}'")
    finding = ""
    if "finding" in item:
        finding = _text(item, "finding", problems)
        if finding and finding not in known:
            problems.add(item.value_loc("finding"),
                         f"unknown finding '{finding}'{suggest(finding, known)}: use the id a "
                         "readiness report shows for a finding (a rule id or a ready.* check)")
    records = _records(item, problems) if "records" in item else ()
    owner = _text(item, "owner", problems) if "owner" in item else ""
    reason = _text(item, "reason", problems) if "reason" in item else ""
    expires = None
    if "expires" in item:
        expires = _date(item["expires"])
        if expires is None:
            problems.add(item.value_loc("expires"),
                         f"expires: {item['expires']!r} is not an ISO date (YYYY-MM-DD)")
    if len(problems.problems) > before or expires is None:
        return None
    return Waiver(number, finding, records, owner, reason, expires, item.loc)


def load(path: Path, known: Collection[str]) -> list[Waiver]:
    """Read a waivers file; `known` holds every finding id a readiness run can raise."""
    data = yamlsrc.load(path)
    shown = display_path(path)
    problems = Collector()
    if not isinstance(data, yamlsrc.YMap) or "waivers" not in data:
        where = data.loc if isinstance(data, yamlsrc.YMap | yamlsrc.YList) else Loc(shown, 1, 1)
        raise UserError(Problem(where, "expected a mapping with the key 'waivers' holding a list "
                                       "of waivers (see docs/formats/waivers.md)"))
    yamlsrc.check_keys(data, ("waivers",), problems,
                       template="unknown {what} '{key}': expected only 'waivers'")
    items = data["waivers"]
    if items is None:
        items = yamlsrc.YList(loc=data.value_loc("waivers"))
    if not isinstance(items, yamlsrc.YList):
        problems.add(data.value_loc("waivers"), "waivers must be a list (each item starts with -)")
        problems.raise_if_any()
        return []
    out = []
    for i, item in enumerate(items):
        waiver = _waiver(i + 1, item, items.item_locs[i], known, problems)
        if waiver is not None:
            out.append(waiver)
    problems.raise_if_any()
    return out
