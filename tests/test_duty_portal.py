"""The portal's 约稿 and 重要时段 pages show what the register says: in the HTML, and in headless Chromium.

One registry (tests/duty_helpers.py) built once with `baosong build --now NOW`: on 26 November at noon
the duty period of 24–26 November is running and 江州市公安局 (gaj) has not reported today.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from baosong.commands.serve import make_server
from baosong.portal.duty_pages import masked_phone, period_page, request_page

from tests.duty_helpers import NOW, make_duty_registry
from tests.scoring_helpers import table_rows
from tests.trust_helpers import World

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
SPAN = re.compile(r'<span class="bs-status bs-status-[a-z_]+"((?: data-[a-z]+="[^"]*")+)>')


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("duty-portal")
    world = World(root / "keys")
    reg, ids = make_duty_registry(world, root)
    proc = reg.baosong("registry", "--format", "json", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    site = root / "site"
    proc = reg.baosong("build", "--out", str(site), "--now", NOW)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return site, ids, data


def page(site: Path, docs_path: str) -> str:
    return (site / (docs_path[:-3] + ".html")).read_text(encoding="utf-8")


def spans(markup: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1))) for m in SPAN.finditer(markup)]


def register_cells(data: dict, pid: str) -> list[dict[str, str]]:
    period = next(p for p in data["duty_periods"] if p["id"] == pid)
    return sorted(({"unit": d["unit"], "date": d["date"], "status": d["status"]} for d in period["days"]),
                  key=lambda c: (c["unit"], c["date"]))


def test_grid_and_request_pages_carry_the_register_statuses(built):
    site, ids, data = built
    grid = page(site, period_page(ids["p1"]))
    table = grid[grid.index('id="duty-grid"'):]
    assert sorted(spans(table), key=lambda c: (c["unit"], c["date"])) == register_cells(data, ids["p1"])
    # Today's missing units lead the page, before the grid.
    assert grid.index('id="today-missing"') < grid.index('id="duty-grid"')
    for rid in (ids["r1"], ids["r2"], ids["r3"]):
        markup = page(site, request_page(rid))
        expected = [{"unit": u["unit"], "status": u["status"]} for u in
                    next(r for r in data["requests"] if r["id"] == rid)["units"]]
        assert spans(markup[markup.index('id="request-units"'):]) == expected
    # Answers are linked to their report pages.
    r1 = page(site, request_page(ids["r1"]))
    assert f'href="../../reports/{ids["dcq_answer"]}.html"' in r1


def test_contact_phone_is_masked_everywhere(built):
    site, ids, _ = built
    assert "138****5678" in page(site, request_page(ids["r1"]))
    for f in site.rglob("*"):
        if f.is_file() and f.suffix in (".html", ".json", ".csv", ".js", ".xml"):
            assert "13812345678" not in f.read_text(encoding="utf-8", errors="replace"), f
    assert masked_phone("0571-87001234") == "0571-****1234"
    assert masked_phone("110") == "*10"


def test_home_and_unit_pages(built):
    site, ids, _ = built
    home = (site / "index.html").read_text(encoding="utf-8")
    missing = home[home.index('id="home-missing-'):]
    missing = missing[:missing.index("</ul>")]
    assert re.findall(r'<li data-unit="([a-z]+)" data-status="([a-z_]+)"', missing) == [("gaj", "not_due")]
    assert 'id="home-requests"' in home and "还有" in home  # the open request with its time left
    unit = (site / "units" / "gaj.html").read_text(encoding="utf-8")
    assert {(c["status"]) for c in spans(unit[unit.index('id="unit-requests"'):unit.index('id="unit-dailies"')])} \
        == {"late", "missing"}
    assert {(c.get("date"), c["status"]) for c in spans(unit[unit.index('id="unit-dailies"'):])} == \
        {("2026-11-24", "zero"), ("2026-11-25", "missing")}


def test_register_summary_counts_request_answers_and_daily_reports(built):
    site, _ids, data = built
    index = (site / "registers" / "index.html").read_text(encoding="utf-8")
    requests = [u["status"] for r in data["requests"] for u in r["units"]]
    days = [d["status"] for p in data["duty_periods"] for d in p["days"]]
    # 约稿 3 件 (6 target units), 重要时段 2 个 (7 unit-days): every status of the register, in its column.
    assert table_rows(index, "summary-requests") == [
        ["3 件", str(len(requests))] + [str(requests.count(s)) for s in ("on_time", "late", "declined", "missing", "open")]]
    assert table_rows(index, "summary-dailies") == [
        ["2 个", str(len(days))] + [str(days.count(s)) for s in ("on_time", "late", "zero", "missing", "not_due")]]
    assert requests.count("missing") == 2 and days.count("missing") == 1 and days.count("zero") == 3
    assert 'href="../duties/requests.html">3 件</a>' in index and 'href="../duties/periods.html">2 个</a>' in index
    # The register's own summary line says the same.
    assert "约稿 3 件：按时报送 1，逾期报送 1，说明不能落实 1，未报送 2，待报送 1（按目标单位计）。" in built_text(site)


def built_text(site: Path) -> str:
    """`baosong registry` as a person reads it, for the registry the site was built from."""
    proc = subprocess.run([sys.executable, "-m", "baosong", "registry", "--repo", str(site.parent / "registry"),
                           "--now", NOW], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def built_december(built):
    """The same registry built a week after November (the month bulletin of November is out)."""
    site = built[0].parent / "site-december"
    proc = subprocess.run([sys.executable, "-m", "baosong", "build", "--repo", str(built[0].parent / "registry"),
                           "--out", str(site), "--now", "2026-12-02T09:00:00+08:00"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return site


def test_bulletin_ranking_has_the_duty_column_in_print_and_download(built_december):
    site = built_december
    shown = table_rows((site / "bulletins" / "2026-11.html").read_text(encoding="utf-8"), "bulletin-ranking")
    printed = (site / "bulletins" / "print" / "2026-11.html").read_text(encoding="utf-8")
    head = re.findall(r"<th>([^<]*)</th>", printed)
    assert head[-2:] == ["约稿与重要时段", "合计"]
    rows = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", printed.split("<tbody>", 1)[1])]
    # The printed notice and the site's bulletin page rank and count alike: unit, duty points, total.
    assert [(r[1], r[-2], r[-1]) for r in rows] == [(r[1], r[-2], r[-1]) for r in shown]
    duty = {r[1]: float(r[-2]) for r in rows}
    assert duty["江州市公安局"] == -3 and duty["江州市东城区"] == -1.5  # R2 unanswered, daily reports late/missing
    # The columns add up to the total (points columns: from 采用加分 on).
    for r in rows:
        assert sum(float(v) for v in r[4:-1]) == pytest.approx(float(r[-1])), r
    # The ranking download has the column before 合计 too.
    with open(site / "downloads" / "scores" / "scores-2026-11.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0][-2:] == ["约稿与重要时段加减分", "合计"]
    assert {r[2]: float(r[-2].lstrip("'")) for r in table[1:]} == duty


@pytest.fixture(scope="module")
def browser_page(built):
    if CHROMIUM is None:
        pytest.skip("没有安装 chromium（以 root 运行 scripts/test.sh 会自动安装）")
    sync_api = pytest.importorskip("playwright.sync_api")
    site, _, _ = built
    httpd = make_server(site, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    outside: list[str] = []
    context.on("request", lambda r: urlsplit(r.url).scheme not in ("data", "blob")
               and urlsplit(r.url).netloc != urlsplit(base).netloc and outside.append(r.url))
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab, base
    assert outside == [] and errors == []
    context.close()
    browser.close()
    playwright.stop()
    httpd.shutdown()
    httpd.server_close()


def _visible_cells(tab, selector: str) -> list[dict[str, str]]:
    return tab.eval_on_selector_all(selector, """els => els.filter(e => e.offsetParent !== null)
        .map(e => Object.assign({text: e.innerText.trim()}, e.dataset))""")


@pytest.mark.browser
def test_browser_grid_request_and_home_show_the_register(built, browser_page):
    from baosong.vocab import DAILY_STATUS_ZH, REQUEST_STATUS_ZH

    site, ids, data = built
    tab, base = browser_page
    tab.goto(base + period_page(ids["p1"])[:-3] + ".html")
    shown = _visible_cells(tab, "#duty-grid span.bs-status")
    assert sorted(({"unit": c["unit"], "date": c["date"], "status": c["status"]} for c in shown),
                  key=lambda c: (c["unit"], c["date"])) == register_cells(data, ids["p1"])
    assert all(c["text"] == DAILY_STATUS_ZH[c["status"]] for c in shown)
    tab.goto(base + request_page(ids["r1"])[:-3] + ".html")
    shown = _visible_cells(tab, "#request-units span.bs-status")
    r1 = next(r for r in data["requests"] if r["id"] == ids["r1"])
    assert [(c["unit"], c["status"], c["text"]) for c in shown] == \
        [(u["unit"], u["status"], REQUEST_STATUS_ZH[u["status"]]) for u in r1["units"]]
    tab.goto(base + "index.html")
    missing = tab.locator("ul.bs-missing li[data-unit='gaj']")
    assert missing.count() == 1 and missing.is_visible()
    assert "江州市公安局" in missing.inner_text()


def test_report_pages_link_answers_declines_and_dailies_to_their_duty(built):
    site, ids, _ = built
    answer = (site / "reports" / f"{ids['dcq_answer']}.html").read_text(encoding="utf-8")
    assert f'href="../duties/requests/{ids["r1"]}.html"' in answer and "所答约稿" in answer
    decline = (site / "reports" / f"{ids['nsx_decline']}.html").read_text(encoding="utf-8")
    assert "本单位近期未开展相关工作，无素材可报。" in decline
    daily = (site / "reports" / f"{ids['d24_gaj']}.html").read_text(encoding="utf-8")
    assert f'href="../duties/periods/{ids["p1"]}.html"' in daily and "当日无须报告事项" in daily
