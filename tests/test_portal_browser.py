"""The portal in real headless Chromium (Debian's `chromium`, driven by Playwright's Python package).

Every request is recorded: any to a host other than the local server, any failed request or HTTP error
and any console error or JavaScript dialog (an `alert` from injected markup) fails the test. Screenshots
of each page go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from baosong.commands.serve import make_server
from portal_helpers import FIRST_ID, HOSTILE_TITLE, built_site

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
PAGES = {"home": "index.html", "register": "registers/2026-11.html", "incident": f"incidents/{FIRST_ID}.html",
         "unit": "units/gaj.html", "report": f"reports/{FIRST_ID}.html", "charts": "charts.html"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _repo, site = built_site(tmp_path_factory)
    httpd = make_server(site, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Recorder:
    def __init__(self, base: str) -> None:
        self.origin = urlsplit(base).netloc
        self.requests: list[str] = []
        self.problems: list[str] = []

    def attach(self, context) -> None:
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        context.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))

    def check(self) -> None:
        outside = [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob")
                   and urlsplit(u).netloc != self.origin]
        assert outside == [], f"requests to other hosts: {outside}"
        assert self.problems == []


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("没有安装 chromium（以 root 运行 scripts/test.sh 会自动安装）")
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    recorder = Recorder(server)
    recorder.attach(context)
    ARTIFACTS.mkdir(exist_ok=True)
    yield context, recorder
    context.close()
    playwright.stop()


def open_page(browser, server, path: str):
    context, recorder = browser
    page = context.new_page()
    recorder.watch(page)
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    return page


def test_pages_load_offline_without_errors(browser, server):
    _context, recorder = browser
    for name, path in PAGES.items():
        page = open_page(browser, server, path)
        assert page.locator("h1").first.inner_text().strip()
        page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=False)
        page.close()
    assert any(u.endswith("baosong.js") for u in recorder.requests)
    recorder.check()


def test_hostile_title_is_visible_text(browser, server):
    page = open_page(browser, server, f"reports/{FIRST_ID}.html")
    assert page.locator("article h1").inner_text() == HOSTILE_TITLE
    assert page.locator("article img[src='x']").count() == 0
    page.close()
    browser[1].check()


def first_column(page, table: str, column: int) -> list[str]:
    return page.eval_on_selector_all(
        f"{table} tbody tr", f"rows => rows.map(r => r.cells[{column}].textContent.trim())")


def test_register_sorts_and_filters(browser, server):
    page = open_page(browser, server, PAGES["register"])
    table = "table#register"
    headers = page.locator(f"{table} thead th")
    serial = 0  # 序号: rows arrive in register order; the first click sorts ascending, the second descending
    assert headers.nth(serial).inner_text().startswith("序号")
    before = first_column(page, table, serial)
    headers.nth(serial).click()
    assert first_column(page, table, serial) == sorted(before)
    headers.nth(serial).click()
    assert first_column(page, table, serial) == sorted(before, reverse=True) != before
    assert headers.nth(serial).get_attribute("aria-sort") == "descending"
    page.fill(".bs-filter input", "迟报")
    visible = page.eval_on_selector_all(f"{table} tbody tr:not([hidden])", "rows => rows.map(r => r.textContent)")
    assert visible and all("迟报" in text for text in visible)
    assert "显示" in page.inner_text(".bs-filter-count")
    page.close()
    browser[1].check()


@pytest.mark.parametrize("word", ["滑坡", "事故"])
def test_chinese_search_finds_a_word_from_a_report(browser, server, word):
    # jieba segments the title into 山体 / 滑坡 / 引发 / 交通事故; 事故 is found through the sub-words.
    page = open_page(browser, server, "index.html")
    box = page.locator("input.md-search__input")
    box.focus()
    box.fill(word)
    box.press("End")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and page.locator(".md-search-result__item").count() == 0:
        page.wait_for_timeout(200)
    results = page.locator(".md-search-result__item").all_inner_texts()
    assert any(word in r.replace("\u200b", "") for r in results), results
    links = page.eval_on_selector_all(".md-search-result__link", "as => as.map(a => a.getAttribute('href'))")
    assert any(f"incidents/{FIRST_ID}.html" in (href or "") for href in links)
    assert not page.locator(".md-search-result .md-tags").first.is_visible()  # sub-words are not shown
    page.screenshot(path=str(ARTIFACTS / f"portal-search-{word}.png"))
    page.close()
    browser[1].check()
