"""The rules' own date formatting stays what strftime gives (it replaced strftime on the hot path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from baosong.rules import _ymd


@pytest.mark.parametrize("year", [1, 9, 99, 999, 1000, 1999, 2026, 9999])
def test_ymd_is_strftime(year):
    for month, day in ((1, 1), (2, 28), (9, 9), (12, 31)):
        for tz in (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))):
            when = datetime(year, month, day, 23, 59, 59, tzinfo=tz)
            assert _ymd(when) == when.strftime("%Y%m%d")
