"""Every iCalendar file the tool writes (RFC 5545): all-day events, one calendar a file.

A UID is the event's id at a domain made of the calendar's owner (an institution, a
consortium), the same in every run, so importing a changed calendar again moves its events
instead of adding new ones. Every event says who does it and the section of the cutover process
it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Event:
    id: str  # unique in its calendar: the UID's local part
    start: dt.date
    end: dt.date  # inclusive; equal to start for a one-day event
    title: str
    detail: str
    who: str
    cite: str


def text(value: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # never split a character
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
        data = data[cut:]
        limit = 74  # the leading space of a continuation line counts
    return "\r\n ".join(parts)


def domain(owner: str) -> str:
    """The UIDs' domain: the owner's letters, digits, `-` and `.`, in lower case."""
    return "".join(ch for ch in owner.lower() if ch.isalnum() or ch in "-.") or "site"


def calendar(events: Iterable[Event], owner: str, stamp: dt.datetime, *, name: str,
             product: str) -> str:
    """The calendar `name` of all-day `events`, written by `product` (the PRODID) at `stamp`."""
    when = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    at = domain(owner)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//cutover-simulator//{product}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text(name)}",
    ]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e.id}@{at}.cutover-simulator",
            f"DTSTAMP:{when}",
            f"DTSTART;VALUE=DATE:{e.start.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(e.end + DAY).strftime('%Y%m%d')}",  # exclusive end
            f"SUMMARY:{text(e.title)}",
            f"DESCRIPTION:{text(f'{e.detail} Who: {e.who}. Source: {e.cite}.')}",
            f"CATEGORIES:{text(e.who)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
