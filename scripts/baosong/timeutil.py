"""Explicit parsing of the registry's times: ISO 8601 with a mandatory offset, never naive."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import overload

# Seconds are optional because officers type "14:30"; an offset is mandatory. [0-9] and \Z, not \d and $:
# no other script's digits, no trailing newline.
_DATETIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})\Z"
)


def parse_datetime(value: object) -> datetime | None:
    """Return an aware datetime, or None when the value is not a valid offset timestamp."""
    if not isinstance(value, str) or not _DATETIME_RE.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_datetime(value: object) -> bool:
    return parse_datetime(value) is not None


@lru_cache(maxsize=64)  # a registry has one or two offsets and reads one per time field of every report
def parse_offset(text: str) -> timezone:
    """'+08:00' -> timezone(+8h)."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


@overload
def iso(dt: datetime) -> str: ...
@overload
def iso(dt: None) -> None: ...
@overload
def iso(dt: datetime | None) -> str | None: ...
def iso(dt: datetime | None) -> str | None:
    """Stable ISO form used in every output (seconds precision, offset kept)."""
    return None if dt is None else dt.isoformat(timespec="seconds")


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, rounded towards the later side (a 30 s delay is 1 min late)."""
    seconds = (end - start).total_seconds()
    whole = int(seconds // 60)
    return whole + (1 if seconds - whole * 60 > 0 else 0)
