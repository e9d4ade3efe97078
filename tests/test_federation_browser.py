"""The federation demo's three portals in real headless Chromium: one incident walked from the county's
report page, through the city's forward, to the province's page with its chain — by clicking the links
the portals render. Served side by side on one local server (`/county/`, `/city/`, `/province/`, the
portal addresses the demo writes into units.yaml). No console errors, no request to another host.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from baosong.commands.serve import make_server
from test_portal_browser import ARTIFACTS, CHROMIUM, FLAGS, Recorder

pytestmark = pytest.mark.browser

BAOSONG = str(Path(sys.executable).parent / "baosong")
NOW = "2026-11-20T12:00:00+08:00"
COUNTY_REPORT = "qsz-20261111-zouping-01"
CITY_REPORT = "nsx-20261111-tanglin-01"
PROVINCE_REPORT = "jzs-20261111-liuyang-01"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from baosong.demo.federation import generate_federation

    out = tmp_path_factory.mktemp("federation") / "lian"
    generate_federation(out)
    portals = out / "portals"
    env = {**os.environ, "NO_COLOR": "1"}
    for level in ("county", "city", "province"):
        proc = subprocess.run([BAOSONG, "build", "--out", str(portals / level), "--now", NOW], cwd=out / level,
                              env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
    httpd = make_server(portals, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("没有安装 chromium（以 root 运行 scripts/test.sh 会自动安装）")
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    recorder = Recorder(server)
    recorder.attach(context)
    ARTIFACTS.mkdir(exist_ok=True)
    yield context, recorder
    context.close()
    playwright.stop()


def test_walk_one_incident_from_county_to_province(browser, server):
    context, recorder = browser
    page = context.new_page()
    recorder.watch(page)
    page.goto(server + f"county/reports/{COUNTY_REPORT}.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("article h1").inner_text() == "青石镇一采石场发生塌方事故"
    # County: the report was forwarded to the city, received on time by the city's receipt.
    up = page.locator("#forwarded-up + ul")
    assert "江州市委办公室信息科" in up.inner_text() and "按时" in up.inner_text()
    page.screenshot(path=str(ARTIFACTS / "federation-county.png"))
    up.locator(f"a:text('{CITY_REPORT}')").click()
    page.wait_for_load_state("networkidle")
    assert page.url == server + f"city/reports/{CITY_REPORT}.html"
    # City: the forward, its chain down to the county (verified with the county's key listed by the city) ...
    chain = page.locator("table#chain tbody tr")
    assert chain.count() == 2
    assert "通过" in chain.nth(1).inner_text() and COUNTY_REPORT in chain.nth(1).inner_text()
    # ... and the city's own forward upward, to the province.
    up = page.locator("#forwarded-up + ul")
    assert "江东省委办公厅信息处" in up.inner_text()
    page.screenshot(path=str(ARTIFACTS / "federation-city.png"))
    up.locator(f"a:text('{PROVINCE_REPORT}')").click()
    page.wait_for_load_state("networkidle")
    assert page.url == server + f"province/reports/{PROVINCE_REPORT}.html"
    # Province: county report → city forward → province receipt, each link with its verdict and ids.
    rows = page.locator("table#chain tbody tr")
    assert rows.count() == 3
    texts = [rows.nth(i).inner_text() for i in range(3)]
    assert PROVINCE_REPORT in texts[0] and "按时" in texts[0]
    assert CITY_REPORT in texts[1] and "通过" in texts[1] and "回执签名有效" in texts[1]
    assert COUNTY_REPORT in texts[2] and "通过" in texts[2]
    assert all("receipts/" in t for t in texts)
    page.screenshot(path=str(ARTIFACTS / "federation-province.png"), full_page=True)
    # And back down: the origin link leads to the city's page.
    rows.nth(1).locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.url == server + f"city/reports/{CITY_REPORT}.html"
    page.close()
    recorder.check()


def test_province_ranks_its_cities(browser, server):
    context, recorder = browser
    page = context.new_page()
    recorder.watch(page)
    page.goto(server + "province/registers/forwards.html")
    page.wait_for_load_state("networkidle")
    names = page.eval_on_selector_all("table#forward-ranking tbody tr",
                                      "rows => rows.map(r => r.cells[1].textContent.trim())")
    assert names == ["江州市", "清河市"]
    assert page.locator("table#forwards tbody tr").count() == 5
    page.screenshot(path=str(ARTIFACTS / "federation-ranking.png"), full_page=True)
    page.close()
    recorder.check()
