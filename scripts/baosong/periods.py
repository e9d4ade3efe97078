"""Scoring periods: a month, a bimonth, a quarter or a year (the `--period` syntax), and month keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from baosong.vocab import QUARTER_ZH

PERIOD_KINDS = ("month", "bimonth", "quarter", "year")
PERIOD_MONTHS = {"month": 1, "bimonth": 2, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """A scoring period: a month, a bimonth (1 = Jan–Feb … 6 = Nov–Dec), a quarter or a year."""

    kind: str
    year: int
    index: int = 1

    @property
    def key(self) -> str:
        """`2026-09`, `2026-B5`, `2026-Q3`, `2026` (the `--period` syntax)."""
        return {"month": f"{self.year}-{self.index:02d}", "bimonth": f"{self.year}-B{self.index}",
                "quarter": f"{self.year}-Q{self.index}", "year": f"{self.year}"}[self.kind]

    @property
    def months(self) -> tuple[str, ...]:
        """The `YYYY-MM` keys of the months in the period."""
        size = PERIOD_MONTHS[self.kind]
        first = (self.index - 1) * size + 1
        return tuple(f"{self.year}-{m:02d}" for m in range(first, first + size))

    @property
    def label(self) -> str:
        """2026年9月 / 2026年9—10月 / 2026年第三季度 / 2026年."""
        first, last = int(self.months[0][5:]), int(self.months[-1][5:])
        if self.kind == "quarter":
            return f"{self.year}年{QUARTER_ZH[self.index - 1]}"
        if self.kind == "year":
            return f"{self.year}年"
        return f"{self.year}年{first}月" if first == last else f"{self.year}年{first}—{last}月"

    def start(self, tz: timezone) -> datetime:
        return datetime(self.year, int(self.months[0][5:]), 1, tzinfo=tz)

    def end(self, tz: timezone) -> datetime:
        """The first instant after the period."""
        return month_start(next_month(self.months[-1]), tz)

    def sort_key(self) -> tuple:
        """Chronological by end, the longer period last among those ending together."""
        return (self.months[-1], PERIOD_KINDS.index(self.kind))


def parse_period(text: str) -> Period:
    """`2026`, `2026-Q3`, `2026-09`, `2026-B5` → Period; ValueError with a Chinese message otherwise."""
    raw = (text or "").strip().upper()
    try:
        if raw.isdigit() and len(raw) == 4:
            return Period("year", int(raw))
        year_text, _, rest = raw.partition("-")
        if len(year_text) == 4 and year_text.isdigit() and rest:
            year = int(year_text)
            if rest[0] == "Q" and rest[1:].isdigit() and 1 <= int(rest[1:]) <= 4:
                return Period("quarter", year, int(rest[1:]))
            if rest[0] == "B" and rest[1:].isdigit() and 1 <= int(rest[1:]) <= 6:
                return Period("bimonth", year, int(rest[1:]))
            if rest.isdigit() and 1 <= int(rest) <= 12:
                return Period("month", year, int(rest))
    except ValueError:
        pass
    raise ValueError(f"统计周期“{text}”无效。可写 2026（全年）、2026-Q3（第三季度）、2026-09（9月）、"
                     "2026-B5（第5个双月，即9—10月）。")


def period_of(kind: str, month: str) -> Period:
    """The period of the given kind that contains month `YYYY-MM`."""
    year, mon = int(month[:4]), int(month[5:])
    return Period(kind, year, 1 if kind == "year" else (mon - 1) // PERIOD_MONTHS[kind] + 1)


def month_start(month: str, tz: timezone) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=tz)


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    out = []
    month = first
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


__all__ = ["PERIOD_KINDS", "PERIOD_MONTHS", "Period", "month_range", "month_start", "next_month", "parse_period",
           "period_of"]
