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
from portal_helpers import FIRST_ID, HOSTILE_TITLE, INFO_TITLE, built_site

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
    _PLAYWRIGHT.append(playwright)
    yield context, recorder
    _PLAYWRIGHT.clear()
    context.close()
    playwright.stop()


_PLAYWRIGHT: list = []  # the module's one Playwright driver (a second one cannot start in the same thread)


@pytest.fixture(scope="module")
def phone_without_script(browser, server):
    """A second browser context: a 390 × 844 phone with JavaScript switched off."""
    chromium = _PLAYWRIGHT[0].chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                   locale="zh-CN")
    recorder = Recorder(server)
    recorder.attach(context)
    yield context, recorder
    context.close()
    chromium.close()


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


def register_data(site_path: str) -> dict:
    """The data file beside a register or unit page, as the site serves it."""
    import json

    from portal_helpers import _CACHE

    return json.loads((_CACHE["site"] / site_path).read_text(encoding="utf-8"))


def body_rows(page, table: str) -> list[str]:
    return page.eval_on_selector_all(f"{table} tbody tr", "rows => rows.map(r => r.textContent)")


def test_filter_finds_a_row_far_beyond_the_first_page_and_the_url_keeps_it(browser, server):
    # gaj's page, two rows a page: the last report to arrive is pages away and not in the document.
    data = register_data("units/gaj.rows.json")
    total = len(data["rows"])
    assert total >= 6
    page = open_page(browser, server, "units/gaj.html?n=2")
    table = "table#unit-register"
    page.wait_for_selector(f"{table}[data-bs-ready]")
    assert len(body_rows(page, table)) == 2  # only what is on screen
    assert not any("加强" in r for r in body_rows(page, table))
    assert page.inner_text(".bs-filter-count") == f"共 {total} 行"
    page.fill(".bs-filter input", "加强")
    rows = page.eval_on_selector_all(f"{table} tbody tr td.bs-c-title", "cells => cells.map(c => c.textContent)")
    assert rows == [INFO_TITLE]  # markup in the title is text, not an element
    assert page.locator(f"{table} tbody b").count() == 0
    assert page.inner_text(".bs-filter-count") == f"显示 1 / {total} 行"
    assert "q=%E5%8A%A0%E5%BC%BA" in page.url
    # The link shows the same view.
    again = open_page(browser, server, page.url.split("/", 3)[3])
    again.wait_for_selector(f"{table}[data-bs-ready]")
    assert again.input_value(".bs-filter input") == "加强"
    assert again.eval_on_selector_all(f"{table} tbody td.bs-c-title", "cs => cs.map(c => c.textContent)") == [INFO_TITLE]
    again.close()
    page.close()
    browser[1].check()


def test_select_filters_and_sorting_work_over_all_rows(browser, server):
    data = register_data("units/gaj.rows.json")
    statuses = [s[0] for s in data["statuses"]]
    late = sum(1 for r in data["rows"] if statuses[r[11]] == "late")
    assert late >= 1
    page = open_page(browser, server, "units/gaj.html?n=2")
    table = "table#unit-register"
    page.wait_for_selector(f"{table}[data-bs-ready]")
    page.select_option("select[aria-label='按状态筛选']", "late")
    assert page.inner_text(".bs-filter-count") == f"显示 {late} / {len(data['rows'])} 行"
    assert all("迟报" in r for r in body_rows(page, table))
    assert "status=late" in page.url
    page.select_option("select[aria-label='按状态筛选']", "")
    # Sorting by arrival time, newest first, over every row: the first row is the last to arrive.
    received = page.locator(f"{table} thead th").nth(4)
    assert received.inner_text().startswith("收到时间")
    received.click()
    received.click()
    assert received.get_attribute("aria-sort") == "descending"
    newest = max(r[7] for r in data["rows"])
    assert page.eval_on_selector(f"{table} tbody tr", "r => r.cells[4].textContent") == newest
    page.click(".bs-pager button:has-text('下一页')")
    assert "page=2" in page.url
    page.close()
    browser[1].check()


def test_incident_list_pages_filters_and_sorts_over_every_incident(browser, server):
    data = register_data("incidents/index.rows.json")
    rows, total = data["rows"], len(data["rows"])
    assert total >= 2
    page = open_page(browser, server, "incidents/index.html?n=1")
    table = "table#incidents"
    page.wait_for_selector(f"{table}[data-bs-ready]")
    assert len(body_rows(page, table)) == 1  # one incident a page: the others are only in the data file
    bar = f".bs-filter:has(+ .bs-table-wrap {table})"
    count = f"{bar} .bs-filter-count"
    assert page.inner_text(count) == f"共 {total} 行"
    # The oldest incident (the last row of the file) is found by its title from the first page.
    oldest = rows[-1][0]
    assert oldest not in "".join(body_rows(page, table))
    page.fill(f"{bar} input", oldest)
    titles = page.eval_on_selector_all(f"{table} tbody td.bs-c-title", "cs => cs.map(c => c.textContent)")
    assert oldest in titles
    href = page.get_attribute(f"{table} tbody td.bs-c-title a", "href")
    assert href == rows[[r[0] for r in rows].index(titles[0])][1] + ".html"
    page.fill(f"{bar} input", "")
    # The state filter over all incidents, kept in the URL; drawn cells are labelled like the page's own.
    closed = sum(1 for r in rows if r[7] == 1)
    page.select_option("select[aria-label='按状态筛选']", "closed")
    assert page.inner_text(count) == f"显示 {closed} / {total} 行"
    assert "status=closed" in page.url
    if closed:
        assert "已终报" in body_rows(page, table)[0]
        assert page.get_attribute(f"{table} tbody td:nth-child(2)", "data-label") == "报告单位"
    page.select_option("select[aria-label='按状态筛选']", "")
    # Sorting by 报告数 (a number), largest first, over every incident.
    reports = page.locator(f"{table} thead th").nth(5)
    assert reports.inner_text().startswith("报告数")
    reports.click()
    reports.click()
    assert page.eval_on_selector(f"{table} tbody tr", "r => r.cells[5].textContent") == str(max(r[6] for r in rows))
    page.close()
    browser[1].check()


PHONE_PAGES = {"home": "index.html", "register": "registers/2026-11.html", "unit": "units/gaj.html",
               "incidents": "incidents/index.html", "incident": f"incidents/{FIRST_ID}.html"}


def test_phone_layout_shows_rows_as_cards_with_readable_titles(browser, server):
    context, _recorder = browser
    checked = 0
    for name, path in PHONE_PAGES.items():
        page = open_page(browser, server, path)
        page.set_viewport_size({"width": 390, "height": 844})
        if page.locator("table[data-rows]").count():
            page.wait_for_selector("table[data-rows][data-bs-ready]")
        # Every title in a table (a cell linking to a report or an incident): laid out at least eight
        # characters wide (a Chinese character is 1em).
        widths = page.eval_on_selector_all(
            "table.bs-table td:has(> a[href*='reports/']), table.bs-table td:has(> a[href*='incidents/'])",
            "cells => cells.filter(c => c.offsetParent).map(c => [c.textContent.slice(0, 20), c.getBoundingClientRect().width,"
            " parseFloat(getComputedStyle(c).fontSize)])")
        for text, width, font in widths:
            assert width >= 8 * font, f"{name}: {text!r} is {width:.0f}px wide at {font}px"
        checked += len(widths)
        # Cards: the title is the first thing in its row, and the page does not scroll sideways.
        firsts = page.eval_on_selector_all(
            "table.bs-cards tbody tr",
            "rows => rows.filter(r => r.querySelector('td.bs-c-title')).map(r => {"
            " const t = r.querySelector('td.bs-c-title').getBoundingClientRect();"
            " return Array.from(r.cells).every(c => c === r.querySelector('td.bs-c-title') || !c.offsetParent"
            " || c.getBoundingClientRect().top >= t.bottom - 1); })")
        assert all(firsts), name
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        page.screenshot(path=str(ARTIFACTS / f"portal-phone-{name}.png"), full_page=False)
        page.close()
    assert checked >= 10
    browser[1].check()


# Per card table: its headers, and for its first rows each cell's class, the label the stylesheet puts
# before it (`::before`, "" when none) and whether it is shown; then the widths of a card and its title.
CARD_LABELS_JS = """tables => tables.map(t => [
  Array.from(t.tHead.rows[0].cells).map(c => c.textContent.trim()),
  Array.from(t.tBodies[0].rows).slice(0, 3).map(r => Array.from(r.cells).map(c => {
    const before = getComputedStyle(c, "::before").content;
    return [c.className, before === "none" || before === "normal" ? "" : before, !!c.offsetParent];
  })),
  [t.tBodies[0].rows[0].getBoundingClientRect().width, t.tBodies[0].rows[0].cells[0].getBoundingClientRect().width]])"""


@pytest.mark.parametrize("name", ["register", "unit", "incidents", "incident"])
def test_phone_cards_are_labelled_without_javascript(phone_without_script, server, name):
    context, recorder = phone_without_script
    page = context.new_page()
    recorder.watch(page)
    page.goto(server + PHONE_PAGES[name])
    page.wait_for_load_state("networkidle")
    assert page.locator(".bs-filter").count() == 0  # the site script did not run
    tables = page.eval_on_selector_all("table.bs-cards:has(tbody tr)", CARD_LABELS_JS)
    assert tables, name
    for headers, cards, (card_width, first_width) in tables:
        for card in cards:
            # Every cell but the card's heading (the title, or a first cell that is not a serial number)
            # shows its column's name before its value.
            for i, ((cls, label, shown), header) in enumerate(zip(card, headers, strict=True)):
                heading = "bs-c-title" in cls or (i == 0 and "bs-c-serial" not in cls)
                if shown and not heading:
                    assert label == f'"{header}："', (name, headers, cls, header, label)
            assert any(label for _cls, label, _shown in card), (name, headers)
        # Laid out as a card, not as columns: the heading spans the card, the serial number does not.
        assert (first_width < card_width / 2) if headers[0] == "序号" else (first_width >= card_width * 0.9)
    if name == "register":
        assert page.locator("[data-bs-more]").is_visible()  # the row count and downloads, without the script
    page.screenshot(path=str(ARTIFACTS / f"portal-phone-nojs-{name}.png"), full_page=False)
    page.close()
    recorder.check()
