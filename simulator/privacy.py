"""Personal data in reports: e-mail addresses masked by default, Primary IDs pseudonymised."""

from __future__ import annotations

import re

from simulator.errors import Loc, Problem, UserError

# Anything shaped like an address, not only the common ones: a local part of letters and digits
# of any script with the punctuation RFC 5322 allows (or a quoted one), then a domain of one or
# more labels (`localhost`, `uni.e`, `uni-münchen.de`) or an address literal (`[192.168.0.1]`).
# An unquoted local part starts where one could (never inside another), so a long word costs
# one pass, not one per letter.
_ATOM = r"[\w.!#$%&'*+/=?^`{}~-]"
_LOCAL = rf"""(?P<quoted>"[^"\r\n]{{1,64}}")|(?<!{_ATOM})(?P<atom>\w{_ATOM}*)"""
_DOMAIN = r"(?P<domain>\[[^\]\s]{1,64}\]|[\w-]+(?:\.[\w-]+)*)"
_EMAIL = re.compile(f"(?:{_LOCAL})@{_DOMAIN}")


def _masked(m: re.Match[str]) -> str:
    first = m["atom"][0] if m["atom"] else m["quoted"][:2]
    return f"{first}•••@{m['domain']}"


def mask_emails(text: str) -> str:
    """`jane.doe@uni.edu` -> `j•••@uni.edu`: enough to recognise a domain, not a person. A quoted
    local part keeps its opening quote (`"john doe"@x.org` -> `"j•••@x.org`)."""
    return _EMAIL.sub(_masked, text)


def shown_emails(emails: list[str], show_pii: bool) -> list[str]:
    """A list of addresses (the scenario's `allowed_emails`) as run folders record them."""
    return list(emails) if show_pii else [mask_emails(e) for e in emails]


def shown_key(key: str, show_pii: bool) -> str:
    """A value as reports and CSV files show it: e-mail addresses masked unless asked not to."""
    return key if show_pii else mask_emails(key)


# SQL for a keyed pseudonym of a Primary ID: case-folded first, so JSmith and jsmith agree, and
# the same for the same key in every run, so shared reports can still be joined.
PSEUDONYM_SQL = "('ps-' || left(sha256($pseudonymize_key || chr(0) || lower({value})), 16))"


# A key shorter than this can be found by trying keys against a few known Primary IDs.
MIN_KEY_LENGTH = 16


def check_pseudonym_key(key: str | None) -> None:
    """Refuse a `--pseudonymize` key too short to keep the pseudonyms secret (UserError)."""
    if key is not None and len(key) < MIN_KEY_LENGTH:
        raise UserError(Problem(Loc("--pseudonymize"), f"the key must be at least "
                                f"{MIN_KEY_LENGTH} characters long, this one has {len(key)} (a "
                                "short key can be found by trying keys against known Primary "
                                "IDs)"))


def pseudonym_sql(value_sql: str) -> str:
    return PSEUDONYM_SQL.format(value=value_sql)


def path_pseudonyms_sql(path_sql: str, id_sql: str) -> str:
    """SQL for the path `path_sql` (`/shared/NFU/JSmith/Report 9`) with each `/`-separated
    segment equal to the Primary ID `id_sql` (ignoring letter case) replaced by its pseudonym."""
    segment = (f"case when seg <> '' and lower(seg) = lower({id_sql}) "
               f"then {pseudonym_sql('seg')} else seg end")
    return (f"array_to_string(list_transform(string_split({path_sql}, '/'), "
            f"lambda seg: {segment}), '/')")
