"""The only module that knows MkDocs' API: writes a docs directory and a configuration, runs the build
through MkDocs' Python API in strict mode, then adds what MkDocs does not render itself. What the
theme (mkdocs-material) needs comes from `portal.material`, the only module that knows the theme.

- Configuration: the registry's own `mkdocs.yml` (or this project's template) supplies looks
  (palette, features, copyright); everything that keeps the portal correct is enforced here and
  wins: Chinese UI, `font: false` (no Google Fonts), only the search plugin (with jieba, which
  material uses for Chinese when it is installed), no Markdown extensions that fetch (emoji CDNs),
  `use_directory_urls: false` (pages are `a/b.html`, as the providers' links assume), the
  generator's footer link removed.
- Static pages (the report pages) are not Markdown pages: MkDocs renders one "shell" page per
  directory with marker title and body, and each static page is that shell with the markers
  replaced — the full site chrome at a fraction of a millisecond per page. The shells are removed
  afterwards, from the site and from the sitemap.
- Reproducible: `SOURCE_DATE_EPOCH` is set to the build epoch for the build (the sitemap's dates),
  the gzip sitemap is rewritten with a fixed mtime.
- The site is built next to the output directory and swapped in at the end, so a failed build
  leaves the previous site in place.
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from baosong.portal import material
from baosong.portal.html import plain_title
from baosong.portal.model import SECTIONS, Page, SiteContent

Progress = Callable[[Iterable, str], Iterable]

SHELL_NAME = "bs-shell"
SHELL_TITLE = "BSSHELLTITLE"
SHELL_BODY = '<div id="bs-shell-body"><h1>BSSHELLBODY</h1></div>'  # with an h1, so the theme adds none
TEMPLATE_NAME = "mkdocs.yml"
# What a registry's mkdocs.yml may set besides the theme's looks (`material.TEMPLATE_THEME_KEYS`).
TEMPLATE_KEYS = ("site_description", "site_author", "copyright", "site_url")
# Raw HTML blocks the search index does not read skip Markdown and the search plugin's HTML parser
# (Python-Markdown's raw-HTML parser costs about a second per megabyte; a month of the register at
# 50,000 reports a year is several megabytes); tiny ones are not worth a placeholder.
SLOT_MIN_CHARS = 1000


class AdapterError(Exception):
    """The generator failed or refused the site; message in Chinese."""


def _default_template() -> Path | None:
    """This project's own mkdocs.yml (the template), when running from a checkout."""
    candidate = Path(__file__).resolve().parents[3] / TEMPLATE_NAME
    return candidate if candidate.is_file() else None


def _read_template(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    from mkdocs.utils.yaml import yaml_load

    with open(path, encoding="utf-8") as fh:
        data = yaml_load(fh)
    return data if isinstance(data, dict) else {}


def _nav(pages: list[Page]) -> list[dict]:
    """The navigation: sections in their fixed order, optional groups (e.g. years) inside."""
    by_section: dict[str, list[Page]] = defaultdict(list)
    for p in pages:
        if p.nav:
            by_section[p.section].append(p)
    nav: list[dict] = []
    for key, label, _index in SECTIONS:
        items = sorted(by_section.get(key, []), key=lambda p: (p.nav_group != "", p.nav_group, p.order, p.path))
        if not items:
            continue
        if len(items) == 1 and not items[0].nav_group:
            nav.append({plain_title(label): items[0].path})
            continue
        children: list[Any] = []
        groups: dict[str, list] = {}
        for p in items:
            entry = {plain_title(p.nav_title or p.title): p.path}
            if p.nav_group:
                if p.nav_group not in groups:
                    groups[p.nav_group] = []
                    children.append({plain_title(p.nav_group): groups[p.nav_group]})
                groups[p.nav_group].append(entry)
            elif p.path.endswith("index.md"):
                children.append(p.path)  # the section's index page (navigation.indexes)
            else:
                children.append(entry)
        nav.append({plain_title(label): children})
    return nav


def _front_matter(title: str, *, search: bool, wide: bool, template: str | None = None) -> str:
    meta: dict[str, Any] = {"title": plain_title(title)}
    if template:
        meta["template"] = template
    meta.update(material.page_meta(search=search, wide=wide))
    return "---\n" + json.dumps(meta, ensure_ascii=False) + "\n---\n\n"


def _config(content: SiteContent, docs: Path, site: Path, template: dict) -> dict:
    theme_in = template["theme"] if isinstance(template.get("theme"), dict) else {}
    theme = material.theme_config(theme_in, str(docs.parent / "overrides"))
    extra_in = template["extra"] if isinstance(template.get("extra"), dict) else {}
    extra = material.extra_config(extra_in)
    not_in_nav = sorted({"/" + (posixpath.dirname(p.path) + "/" if "/" in p.path else p.path)
                         for p in content.pages if not p.nav}
                        | {"/" + posixpath.dirname(p.path) + "/" for p in content.static_pages})
    config: dict[str, Any] = {k: template[k] for k in TEMPLATE_KEYS if k in template}
    config.update({
        "site_name": plain_title(content.site_name),
        "docs_dir": str(docs), "site_dir": str(site),
        "use_directory_urls": False,
        "theme": theme,
        "plugins": [material.search_plugin()],
        # No extension that fetches anything (e.g. emoji CDNs); these render the guide's tables and code.
        "markdown_extensions": ["toc", "attr_list", "tables", "admonition",
                                {"pymdownx.highlight": {"use_pygments": True}}, "pymdownx.superfences"],
        "extra": extra,
        "extra_css": list(content.stylesheets),
        "extra_javascript": list(content.scripts),
        "nav": _nav(content.pages),
        "not_in_nav": "\n".join(not_in_nav),
        "validation": {"nav": {"omitted_files": "warn", "not_found": "warn", "absolute_links": "warn"},
                       "links": {"not_found": "warn", "absolute_links": "warn", "unrecognized_links": "warn"}},
    })
    return config


def _slot_big_blocks(page: Page, slots: dict[str, str]) -> str:
    """The page body with HTML blocks replaced by empty placeholders (restored after the build).

    Only blocks the search index would not read anyway: on a page excluded from search, or a block
    marked `data-search-exclude` at its start. Blocks are separated by blank lines, as providers write.
    """
    parts = page.body.split("\n\n")
    for i, part in enumerate(parts):
        if len(part) >= SLOT_MIN_CHARS and part.startswith("<") and \
                (not page.search or "data-search-exclude" in part[:400]):
            key = f"bs-slot-{len(slots)}"
            slots[key] = part
            parts[i] = f'<div data-bs-slot="{key}"></div>'
    return "\n\n".join(parts)


def _fill_slots(site: Path, slotted: dict[str, dict[str, str]]) -> None:
    for path, slots in slotted.items():
        out = site / (path[:-3] + ".html")
        text = out.read_text(encoding="utf-8")
        for key, block in slots.items():
            marker = f'<div data-bs-slot="{key}"></div>'
            if text.count(marker) != 1:
                raise AdapterError(f"页面 {path} 的占位块 {key} 在生成结果中没有找到。")
            text = text.replace(marker, block)
        out.write_text(text, encoding="utf-8")


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


@contextmanager
def _capture_mkdocs_logs(messages: list[str]):
    """Collect MkDocs warnings (strict mode turns them into a failed build) instead of printing them."""

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Collect(level=logging.WARNING)
    logger = logging.getLogger("mkdocs")
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # "Building prefix dict…" on stderr otherwise
    except ImportError:
        pass
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


@contextmanager
def _source_date_epoch(epoch: int):
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _run_mkdocs(config_file: Path, strict: bool, epoch: int) -> list[str]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    messages: list[str] = []
    with _capture_mkdocs_logs(messages), _source_date_epoch(epoch):
        try:
            cfg = load_config(config_file=str(config_file), strict=strict)
            build(cfg)
        except (Abort, ConfigurationError) as exc:
            detail = "；".join(messages[:10]) or str(exc)
            raise AdapterError(f"MkDocs 构建失败（严格模式不允许任何警告）：{detail}") from exc
    return messages


def _fill_static_pages(content: SiteContent, site: Path, progress: Progress | None) -> None:
    shells: dict[str, str] = {}
    pages = content.static_pages
    for page in progress(pages, "写入报告页") if progress and len(pages) > 500 else pages:
        directory = posixpath.dirname(page.path)
        if directory not in shells:
            raw = (site / directory / f"{SHELL_NAME}.html").read_text(encoding="utf-8")
            # The theme's template indentation is a third of the page; tens of thousands of copies add up.
            shells[directory] = re.sub(r"\n\s+", "\n", raw)
        shell = shells[directory]
        title = html.escape(plain_title(page.title), quote=True)
        text = shell.replace(SHELL_TITLE, title).replace(SHELL_BODY, page.body_html)
        out = site / (page.path[:-3] + ".html" if page.path.endswith(".md") else page.path)
        out.write_text(text, encoding="utf-8")
    for directory in shells:
        (site / directory / f"{SHELL_NAME}.html").unlink()


def _clean_sitemap(site: Path, epoch: int) -> None:
    """Drop the shell pages from the sitemap and rewrite the gzip copy reproducibly."""
    sitemap = site / "sitemap.xml"
    if not sitemap.is_file():
        return
    text = sitemap.read_text(encoding="utf-8")
    text = re.sub(r"\s*<url>\s*<loc>[^<]*" + SHELL_NAME + r"\.html</loc>.*?</url>", "", text, flags=re.S)
    sitemap.write_text(text, encoding="utf-8")
    with open(site / "sitemap.xml.gz", "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as gz:
        gz.write(text.encode("utf-8"))


def _looks_like_site(path: Path) -> bool:
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir()}
    return not (names - {"README.md"}) or "sitemap.xml" in names or "search" in names


def _write_docs(content: SiteContent, work: Path, site: Path, template: dict) -> tuple[Path, dict[str, dict[str, str]]]:
    """The docs directory, theme override and configuration; returns (config file, slotted blocks by page)."""
    docs = work / "docs"
    slotted: dict[str, dict[str, str]] = {}
    for page in content.pages:
        slots: dict[str, str] = {}
        body = _slot_big_blocks(page, slots)
        if slots:
            slotted[page.path] = slots
        _write(docs / page.path, _front_matter(page.title, search=page.search, wide=page.wide) + body + "\n")
    for directory in sorted({posixpath.dirname(p.path) for p in content.static_pages}):
        shell = Path(directory) / f"{SHELL_NAME}.md"
        _write(docs / shell, _front_matter(SHELL_TITLE, search=False, wide=True, template=f"{SHELL_NAME}.html")
               + SHELL_BODY + "\n")
    _write(work / "overrides" / f"{SHELL_NAME}.html", material.SHELL_TEMPLATE)
    config_file = work / "mkdocs.yml"
    config_file.write_text(json.dumps(_config(content, docs, site, template), ensure_ascii=False, indent=1),
                           encoding="utf-8")
    return config_file, slotted


def render(content: SiteContent, out: Path, *, template: Path | None = None, strict: bool = True,
           progress: Progress | None = None, note: Callable[[str], None] | None = None) -> list[str]:
    """Build the site into `out` (replaced as a whole). Returns MkDocs' non-fatal messages."""
    out = Path(out).resolve()
    if not _looks_like_site(out):
        raise AdapterError(f"输出目录 {out} 已存在且不像是门户站点，为避免误删，请另选目录或先清空。")
    template_data = _read_template(template if template is not None else _default_template())
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix="baosong-docs-") as work:
            config_file, slotted = _write_docs(content, Path(work), staging, template_data)
            if note:
                note(f"MkDocs 生成站点（{len(content.pages)} 个页面，严格模式）")
            messages = _run_mkdocs(config_file, strict, content.build_epoch)
        _fill_slots(staging, slotted)
        if note:
            note(f"写入 {len(content.static_pages)} 个报告页和事件页")
        _fill_static_pages(content, staging, progress)
        for f in content.files:
            _write(staging / f.path, f.data)
        _clean_sitemap(staging, content.build_epoch)
        material.finish_search_index(staging, content.static_pages)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # the previous site stays as it was
        raise
    if out.exists():
        readme = out / "README.md"
        if readme.is_file():
            shutil.copy2(readme, staging / "README.md")
        old = out.parent / f".{out.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
    return messages
