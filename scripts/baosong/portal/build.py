"""Run the page providers and hand their output to the site generator adapter.

Generator-neutral: this module knows pages, files and navigation sections; only
`mkdocs_adapter` knows MkDocs. Swapping the generator means another adapter with the same `render`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from baosong.portal import mkdocs_adapter
from baosong.portal.home import home_page
from baosong.portal.html import esc
from baosong.portal.model import (
    SECTIONS,
    Context,
    DataFile,
    HomeBlock,
    Page,
    Provider,
    SiteContent,
    StaticPage,
)
from baosong.portal.providers import PROVIDERS

ASSET_DIR = "assets/baosong"
STYLESHEETS = ("baosong.css",)
SCRIPTS = ("baosong.js",)
PLACEHOLDER_TEXT = {"bulletins": "通报功能即将推出：届时这里按月、双月、季度、年度发布表扬和批评通报。",
                    "scores": "考核积分功能即将推出：届时这里列出各单位的积分、排名和扣分明细。"}

Progress = Callable[[Iterable, str], Iterable]
Note = Callable[[str], None]  # a phase has started (the command prints it)


class PortalBuildError(Exception):
    """A provider produced something inconsistent (e.g. two pages with one path); message in Chinese."""


def load_provider(spec: str) -> Provider:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "provide")


def _assets() -> list[DataFile]:
    base = resources.files("baosong") / "assets" / "portal"
    return [DataFile(f"{ASSET_DIR}/{name}", (base / name).read_bytes()) for name in STYLESHEETS + SCRIPTS]


def collect(ctx: Context, providers: list[str] | None = None, progress: Progress | None = None) -> SiteContent:
    """Run every provider; add the home page, placeholders for empty sections, and the site assets."""
    content = SiteContent(site_name=f"{ctx.city}信息报送门户",
                          stylesheets=[f"{ASSET_DIR}/{n}" for n in STYLESHEETS],
                          scripts=[f"{ASSET_DIR}/{n}" for n in SCRIPTS],
                          build_epoch=int(ctx.now.timestamp()))
    blocks: list[HomeBlock] = []
    specs = PROVIDERS if providers is None else providers
    for spec in progress(specs, "生成页面") if progress else specs:
        for item in load_provider(spec)(ctx):
            if isinstance(item, Page):
                content.pages.append(item)
            elif isinstance(item, StaticPage):
                content.static_pages.append(item)
            elif isinstance(item, DataFile):
                content.files.append(item)
            elif isinstance(item, HomeBlock):
                blocks.append(item)
    filled = {p.section for p in content.pages}
    for key, label, index in SECTIONS:
        if key not in filled and key != "home":
            text = PLACEHOLDER_TEXT.get(key, f"{label}功能即将推出。")
            content.pages.append(Page(index, label, f"<h1>{esc(label)}</h1>\n\n"
                                      f'<p class="bs-placeholder">{esc(text)}</p>', key, nav_title=label))
    content.pages.append(home_page(ctx, blocks))
    content.files.extend(_assets())
    seen: set[str] = set()
    for path in [p.path for p in content.pages] + [p.path for p in content.static_pages] + \
            [f.path for f in content.files]:
        if path in seen:
            raise PortalBuildError(f"两个页面或文件使用了同一路径：{path}")
        seen.add(path)
    return content


@dataclass
class BuildResult:
    out: Path
    pages: int
    static_pages: int
    files: int
    warnings: list[str]


def build_portal(ctx: Context, out: Path, *, template: Path | None = None, providers: list[str] | None = None,
                 strict: bool = True, progress: Progress | None = None, note: Note | None = None) -> BuildResult:
    if note:
        note("生成页面与下载文件")
    content = collect(ctx, providers, progress)
    warnings = mkdocs_adapter.render(content, Path(out), template=template, strict=strict, progress=progress,
                                     note=note)
    return BuildResult(Path(out), len(content.pages), len(content.static_pages), len(content.files), warnings)
