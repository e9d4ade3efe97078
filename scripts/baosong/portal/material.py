"""Everything that knows the mkdocs-material theme, in one place, so the coupling has a name and a test
(tests/test_material_contract.py fails when the installed theme drifts from what is copied here).

- the theme configuration (name, Chinese UI, no Google Fonts, which of a registry's theme and `extra`
  keys are honoured) and the per-page front matter the theme reads (`hide`, `search.exclude`);
- the shell template of the static pages: the theme's `site_nav` block with a compact drawer
  navigation, copying the theme's markup and CSS class names;
- the search plugin's options (separator, field boosts) and the post-processing of its index:
  Chinese segmentation as the theme does it (`segment` = the plugin's `_segment_chinese`), sub-words
  in the `tags` field, static pages added;
- the theme CSS names the site stylesheet (`assets/portal/baosong.css`) builds on.

`mkdocs_adapter` keeps only the MkDocs API (configuration, build, strict log capture, sitemap).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from baosong.portal.html import esc
from baosong.portal.model import StaticPage

THEME_NAME = "material"
# What a registry's mkdocs.yml may set in `theme:`; anything else is decided here.
TEMPLATE_THEME_KEYS = ("palette", "features", "logo", "favicon", "icon")
# Theme `extra:` keys that load third-party content (analytics, cookie consent, social cards, other sites).
DROPPED_EXTRA_KEYS = ("analytics", "consent", "social", "alternate")
SEARCH_SEPARATOR = r"[\s\u200b\u3000\-、。，．？！；：（）《》“”]+"
# Sub-words (see `subwords`) rank like a match in the text, not like the theme's tags (×10⁶ by default).
SEARCH_FIELDS = {"tags": {"boost": 10}}

# The static pages' shell: the theme's page with a compact drawer navigation (top-level sections only)
# instead of the full tree, which would otherwise be copied into every one of 50,000 pages. The markup
# inside `site_nav` copies the theme's base.html and partials/nav.html.
SHELL_TEMPLATE = """{% extends "main.html" %}
{% macro first_url(item) -%}
  {%- if item.children -%}{{ first_url(item.children | first) }}{%- else -%}{{ item.url | url }}{%- endif -%}
{%- endmacro %}
{% block site_nav %}
  {% if nav %}
    <div class="md-sidebar md-sidebar--primary" data-md-component="sidebar" data-md-type="navigation" hidden>
      <div class="md-sidebar__scrollwrap"><div class="md-sidebar__inner">
        <nav class="md-nav md-nav--primary" aria-label="导航" data-md-level="0">
          <label class="md-nav__title" for="__drawer">{{ config.site_name }}</label>
          <ul class="md-nav__list">
            {% for item in nav %}
              <li class="md-nav__item"><a href="{{ first_url(item) }}" class="md-nav__link">{{ item.title }}</a></li>
            {% endfor %}
          </ul>
        </nav>
      </div></div>
    </div>
  {% endif %}
{% endblock %}
"""
# The theme's names that baosong.css and the shell use: classes and CSS custom properties.
CSS_NAMES = ("md-typeset", "md-tags", "md-search-result", "md-sidebar", "md-nav", "md-nav__link",
             "--md-default-fg-color", "--md-default-fg-color--light", "--md-default-fg-color--lighter",
             "--md-default-fg-color--lightest", "--md-default-bg-color", "--md-typeset-table-color")


def theme_config(theme_in: dict, custom_dir: str) -> dict[str, Any]:
    """The `theme:` section: the registry's looks, our language, no web fonts, our template overrides."""
    theme: dict[str, Any] = {k: theme_in[k] for k in TEMPLATE_THEME_KEYS if k in theme_in}
    theme.update({"name": THEME_NAME, "language": "zh", "font": False, "custom_dir": custom_dir})
    return theme


def extra_config(extra_in: dict) -> dict[str, Any]:
    """The `extra:` section without anything that loads third-party content or names the generator."""
    extra = {k: v for k, v in extra_in.items() if k not in DROPPED_EXTRA_KEYS}
    extra["generator"] = False
    return extra


def search_plugin() -> dict[str, Any]:
    return {"search": {"separator": SEARCH_SEPARATOR, "fields": SEARCH_FIELDS}}


def page_meta(*, search: bool, wide: bool) -> dict[str, Any]:
    """Front matter the theme reads: excluded from search; navigation and table of contents hidden."""
    meta: dict[str, Any] = {}
    if not search:
        meta["search"] = {"exclude": True}
    if wide:
        meta["hide"] = ["navigation", "toc"]
    return meta


@functools.cache
def _han_expressions() -> tuple[Any, Any]:
    """The theme's own expression for Han text (Unicode script Han, all planes: Extension B and on),
    and its complement."""
    from backrefs import bre  # a dependency of mkdocs-material, which uses exactly this expression

    return bre.compile(r"(\p{script: Han}+)", bre.UNICODE), bre.compile(r"\P{script: Han}+", bre.UNICODE)


def segment(text: str) -> str:
    """As the theme's search plugin does: jieba's words of each Han run, separated by zero-width spaces."""
    try:
        import jieba
    except ImportError:
        return text
    han, _ = _han_expressions()
    return han.sub(lambda m: "\u200b" + "\u200b".join(jieba.cut(m.group(0))) + "\u200b", text).strip("\u200b")


def subwords(*texts: str) -> list[str]:
    """The shorter words inside the segmented words of texts (交通事故 → 交通, 事故 …).

    The browser matches whole words and word prefixes only, so without these a search for 事故 would
    miss 交通事故. They go into the entry's `tags` field, which the theme searches (boost:
    `SEARCH_FIELDS`) and which the site stylesheet hides in the result list.
    """
    try:
        import jieba
    except ImportError:
        return []
    _, not_han = _han_expressions()
    found: set[str] = set()
    for text in texts:
        for word in not_han.split(text):
            if len(word) > 2:
                found.update(w for w in jieba.cut_for_search(word) if 2 <= len(w) < len(word))
    return sorted(found)


def finish_search_index(site: Path, static_pages: list[StaticPage]) -> None:
    """Add the searchable static pages (title + search text, escaped and segmented like the theme's
    entries), the sub-words of every entry, and write the index as UTF-8 (the theme escapes every
    Chinese character as a 6-byte \\uXXXX)."""
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for page in static_pages:
        if page.search_text is not None:
            data["docs"].append({"location": page.path[:-3] + ".html", "title": segment(esc(page.title)),
                                 "text": segment(esc(page.search_text))})
    for doc in data["docs"]:
        words = subwords(doc.get("title", ""), doc.get("text", ""))
        if words:
            doc["tags"] = sorted(set(doc.get("tags") or []) | set(words))
    index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


__all__ = ["CSS_NAMES", "SEARCH_FIELDS", "SEARCH_SEPARATOR", "SHELL_TEMPLATE", "THEME_NAME", "extra_config",
           "finish_search_index", "page_meta", "search_plugin", "segment", "subwords", "theme_config"]
