"""Personal data in reports: e-mail addresses masked by default, Primary IDs pseudonymised."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_emails(text: str) -> str:
    """`jane.doe@uni.edu` -> `j•••@uni.edu`: enough to recognise a domain, not a person."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}•••@{m.group(2)}", text)


def shown_key(key: str, show_pii: bool) -> str:
    """A value as reports and CSV files show it: e-mail addresses masked unless asked not to."""
    return key if show_pii else mask_emails(key)


# SQL for a keyed pseudonym of a Primary ID: case-folded first, so JSmith and jsmith agree, and
# the same for the same key in every run, so shared reports can still be joined.
PSEUDONYM_SQL = "('ps-' || left(sha256($pseudonymize_key || chr(0) || lower({value})), 16))"


def pseudonym_sql(value_sql: str) -> str:
    return PSEUDONYM_SQL.format(value=value_sql)
