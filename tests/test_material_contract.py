"""The contract with the installed mkdocs-material: what `portal/material.py` copies or relies on must
still be there, so a theme upgrade that drifts fails here and not in a user's browser."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata, resources
from pathlib import Path

import material
import pytest
from baosong.portal import material as theme
from material.plugins.search.config import SearchConfig, SearchFieldConfig
from material.plugins.search.plugin import SearchIndex

THEME = Path(material.__file__).parent
ROOT = Path(__file__).resolve().parents[1]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def test_version_floor_is_what_the_tests_run():
    """A new minor release fails here until it has passed this file and the floor is raised to it."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    floor = _version(next(re.search(r">=([\d.]+)", d).group(1) for d in deps if d.startswith("mkdocs-material")))
    installed = _version(metadata.version("mkdocs-material"))
    assert floor <= installed and floor[:2] == installed[:2], (floor, installed)


def test_shell_copies_the_themes_site_nav_markup():
    base = (THEME / "templates" / "base.html").read_text(encoding="utf-8")
    nav = (THEME / "templates" / "partials" / "nav.html").read_text(encoding="utf-8")
    item = (THEME / "templates" / "partials" / "nav-item.html").read_text(encoding="utf-8")
    assert (THEME / "templates" / "main.html").is_file()  # the shell extends it
    assert "{% block site_nav %}" in base
    # The sidebar element the shell replaces, attribute for attribute.
    assert ('<div class="md-sidebar md-sidebar--primary" data-md-component="sidebar" '
            'data-md-type="navigation"') in base
    assert 'class="md-sidebar__scrollwrap"' in base and 'class="md-sidebar__inner"' in base
    assert '"md-nav md-nav--primary"' in nav and 'class="md-nav__title" for="__drawer"' in nav
    assert 'class="md-nav__list"' in nav and '"md-nav__item"' in item and 'class="md-nav__link"' in item
    for cls in set(re.findall(r'class="([^"{]+)"', theme.SHELL_TEMPLATE)):
        for name in cls.split():
            assert name in base + nav + item, name
    # The per-page switches `page_meta` writes.
    assert '"navigation" in page.meta.hide' in base and '"toc" in page.meta.hide' in base


def test_css_names_we_build_on_exist_in_the_theme():
    css = "".join(p.read_text(encoding="utf-8") for p in (THEME / "templates" / "assets" / "stylesheets").glob("*.css"))
    ours = (resources.files("baosong") / "assets" / "portal" / "baosong.css").read_text(encoding="utf-8")
    used = set(re.findall(r"(?<![\w-])(--md-[\w-]+|md-[\w-]+)", ours))
    assert used <= set(theme.CSS_NAMES), f"baosong.css uses theme names not listed in CSS_NAMES: {used - set(theme.CSS_NAMES)}"
    for name in theme.CSS_NAMES:
        assert re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", css), name


def test_search_plugin_options_we_set_exist():
    assert {"separator", "fields"} <= {key for key, _ in SearchConfig._schema}
    assert "boost" in {key for key, _ in SearchFieldConfig._schema}
    config = SearchConfig()
    config.load_dict(theme.search_plugin()["search"])
    failed, warnings = config.validate()
    assert (failed, warnings) == ([], [])


@pytest.mark.parametrize("text", ["交通事故", "𠀀𠀁交通事故，𪚥三人受伤 G15 高速", "县应急管理局 2026 年 〇 号"])
def test_segment_equals_the_themes(text):
    pytest.importorskip("jieba")
    assert theme.segment(text) == SearchIndex._segment_chinese(None, text)
