"""What page providers produce (generator-neutral) and what they are given.

A provider is a function `provide(ctx: Context) -> Iterable[Page | StaticPage | DataFile | HomeBlock]`.
`Page` bodies are Markdown that may contain raw HTML (the site generator renders them with its
theme and search); `StaticPage` bodies are finished HTML fragments that the generator adapter wraps
in the site's chrome without running them through Markdown (used for the tens of thousands of
report pages: cheap, not in the navigation, not in the search index); `DataFile`s are copied as
they are; `HomeBlock`s are sections of the home page contributed by other providers.

Paths are docs paths (`registers/2026-03.md`); the site URL is the same path ending in `.html`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from baosong.records import IncidentRecord, ReportRecord
from baosong.register import Register

# Navigation sections, in order: (key, label, index page path).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("home", "首页", "index.md"),
    ("registers", "登记簿", "registers/index.md"),
    ("incidents", "事件", "incidents/index.md"),
    ("units", "单位", "units/index.md"),
    ("bulletins", "通报", "bulletins/index.md"),
    ("scores", "考核", "scores/index.md"),
    ("charts", "图表", "charts.md"),
    ("downloads", "下载", "downloads.md"),
    ("guide", "报送指南", "guide/index.md"),
)
SECTION_KEYS = tuple(key for key, _, _ in SECTIONS)


@dataclass(slots=True)
class Page:
    path: str                    # docs path, e.g. "registers/2026-03.md"
    title: str                   # plain text; made template-safe by the adapter via html.plain_title
    body: str                    # Markdown with raw HTML; every report string already escaped
    section: str                 # one of SECTION_KEYS
    nav: bool = True             # listed in the navigation (else reached through links only)
    nav_title: str = ""          # label in the navigation (default: title)
    nav_group: str = ""          # optional sub-group inside the section, e.g. "2026年"
    order: tuple = ()            # sort key inside the section / group
    search: bool = True          # include in the site search index
    wide: bool = False           # needs the full width (side navigation and table of contents hidden)


@dataclass(slots=True)
class StaticPage:
    path: str                    # docs path, e.g. "reports/gaj-20260314-wanghao-01.md"
    title: str
    body_html: str               # finished, escaped HTML fragment
    search_text: str | None = None  # plain (masked) text to index with the title; None: not searchable


@dataclass(slots=True)
class DataFile:
    path: str                    # site path, e.g. "downloads/register.csv"
    data: bytes


@dataclass
class SiteContent:
    """Everything the generator adapter renders (what `build.collect` gathers from the providers)."""

    site_name: str
    pages: list[Page] = field(default_factory=list)
    static_pages: list[StaticPage] = field(default_factory=list)
    files: list[DataFile] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    build_epoch: int = 0          # seconds since the epoch for any timestamp the generator writes


@dataclass(slots=True)
class HomeBlock:
    key: str                     # e.g. "bulletins": replaces the home page's placeholder for that key
    title: str
    html: str
    order: int = 50


Item = Page | StaticPage | DataFile | HomeBlock


@dataclass
class Context:
    """Everything a provider may read. Plain data; providers must not print or touch the disk."""

    register: Register                              # typed records: .reports, .incidents, .invalid
    units: dict[str, dict]                          # unit code -> units.yaml entry
    staff: dict[str, dict]                          # staff id -> entry (with "unit")
    policy: dict
    city: str
    now: datetime                                   # the portal's "now" (see FORMAT.md)
    tz: timezone
    document: Callable[[str], dict | None]          # report id -> full document (lazy)
    commit: str | None = None                       # the registry commit the portal shows
    config: Any = None                              # the registry's config.Config (trust roots of that commit)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reports_by_id: dict[str, ReportRecord] = {r.id: r for r in self.register.reports if r.id}
        self.incidents_by_id: dict[str, IncidentRecord] = {i.id: i for i in self.register.incidents if i.id}

    def unit_name(self, code: str | None) -> str:
        unit = self.units.get(code or "")
        name = unit.get("name", code) if unit else None
        return name if isinstance(name, str) else (code or "")

    def staff_name(self, staff_id: str | None) -> str:
        person = self.staff.get(staff_id or "")
        name = person.get("name", staff_id) if person else None
        return name if isinstance(name, str) else (staff_id or "")


Provider = Callable[[Context], Iterable[Item]]
