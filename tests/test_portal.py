"""`baosong build`: the portal built from a registry seeded with hostile text and personal data.

Every output file (HTML, JSON, XML, CSV, XLSX) is scanned for markup that came from a report and for
unmasked ID and mobile numbers; the pages a duty officer needs are checked for their content; two
builds of one commit must be byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from baosong.portal.build import collect
from baosong.portal.mkdocs_adapter import AdapterError, render
from baosong.portal.model import Context, HomeBlock, Page
from baosong.privacy import find_personal_data
from baosong.register import Register
from portal_helpers import (
    BAD_ID18,
    BAOSONG,
    FIRST_ID,
    FOLLOWUP_ID,
    HOSTILE_TITLE,
    INFO_ID,
    INFO_TITLE,
    NOW,
    PERSONAL,
    SCRIPT,
    built_site,
    run,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    return built_site(tmp_path_factory)


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built[1]


class _Scan(HTMLParser):
    """Start tags with attributes, inline script bodies and the text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def scan(markup: str) -> _Scan:
    parser = _Scan()
    parser.feed(markup)
    parser.close()
    return parser


def assert_no_injected_markup(markup: str, where: str) -> _Scan:
    parsed = scan(markup)
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=…>"
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not (value or "").strip().lower().startswith("javascript:"), f"{where}: {name}={value}"
        assert not (tag == "img" and attrs.get("src") == "x"), f"{where}: injected <img>"
        assert tag != "b", f"{where}: injected <b>"
    for body in parsed.scripts:
        assert "alert(" not in body, f"{where}: injected script"
    return parsed


def output_texts(site: Path) -> list[tuple[str, str]]:
    """(name, text) of every HTML, JSON, XML and CSV file and every part of every XLSX file."""
    out = []
    for path in sorted(site.rglob("*")):
        if path.suffix in (".html", ".json", ".xml", ".csv"):
            out.append((str(path.relative_to(site)), path.read_text(encoding="utf-8-sig")))
        elif path.suffix == ".xlsx":
            # The text of the workbook (shared and inline strings); numeric cell values are not text.
            with zipfile.ZipFile(path) as z:
                out += [(f"{path.name}:{n}", " ".join(re.findall(r"<t[^>]*>([^<]*)</t>", z.read(n).decode("utf-8"))))
                        for n in z.namelist() if n.endswith(".xml")]
    return out


def test_main_pages_exist(site):
    for page in ("index.html", "registers/index.html", "registers/2026.html", "registers/2026-11.html",
                 f"incidents/{FIRST_ID}.html", "incidents/index.html", "units/index.html", "units/gaj.html",
                 f"reports/{FIRST_ID}.html", f"reports/{INFO_ID}.html", "charts.html", "downloads.html",
                 "downloads/register.csv", "downloads/register.xlsx", "search/search_index.json",
                 "guide/index.html", "assets/baosong/baosong.js"):
        assert (site / page).is_file(), page
    assert not list(site.rglob("bs-shell*")), "the report page shell must not be published"
    home = (site / "index.html").read_text(encoding="utf-8")
    for label in ("登记簿", "事件", "单位", "通报", "考核", "图表", "下载"):
        assert f">{label}<" in home.replace("\n", "").replace(" ", ""), label


def test_no_markup_from_reports_anywhere(site):
    for name, text in output_texts(site):
        if name.endswith(".html"):
            assert_no_injected_markup(text, name)
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        assert_no_injected_markup(doc["title"], "search title")
        assert_no_injected_markup(doc["text"], f"search text {doc['location']}")


def test_hostile_text_is_shown_as_text(site):
    page = scan((site / "reports" / f"{FIRST_ID}.html").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert HOSTILE_TITLE in text
    assert "javascript:alert(2)" in text  # visible, never a link
    register = scan((site / "registers" / "2026-11.html").read_text(encoding="utf-8"))
    assert INFO_TITLE in "".join(register.text)


def test_pipe_in_a_title_keeps_the_register_row_shape(site):
    page = (site / "registers" / "2026-11.html").read_text(encoding="utf-8")
    head = page[page.index("<thead>"):page.index("</thead>")]
    columns = len(re.findall(r"<th[ >]", head))
    rows = [r for r in page.split("<tr>") if FIRST_ID in r and "</td>" in r]
    assert rows, "hostile report missing from the register"
    for row in rows:
        row = row[:row.index("</tr>")]
        assert len(re.findall(r"<td[ >]", row)) == columns


def data_strings(value) -> list[str]:
    """Every string in a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in data_strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *data_strings(v)]]
    return []


def test_register_data_files_are_masked_and_hold_no_markup(site):
    files = (sorted(site.glob("registers/*.rows.json")) + sorted(site.glob("units/*.rows.json"))
             + [site / "incidents" / "index.rows.json"])
    assert len(files) >= 11
    titles = []
    for path in files:
        raw = path.read_text(encoding="utf-8")
        # Markup characters are JSON escapes: the file is inert whatever a browser takes it for.
        assert not {"<", ">", "&"} & set(raw), path.name
        assert_no_injected_markup(raw, path.name)
        data = json.loads(raw)
        for text in data_strings(data):
            assert find_personal_data(text) == [], (path.name, text)
            assert not any(number in text for number in PERSONAL), (path.name, text)
        titles += [row[0 if data.get("layout") == "incidents" else 4] for row in data["rows"]]
    # Not vacuous: the hostile titles are in the data, as text (the site script escapes them).
    assert HOSTILE_TITLE in titles and INFO_TITLE in titles


def test_register_page_lists_the_first_rows_and_its_data_file_every_row(site):
    from baosong.portal.common import FIRST_PAGE_ROWS

    data = json.loads((site / "registers" / "2026-11.rows.json").read_text(encoding="utf-8"))
    page = (site / "registers" / "2026-11.html").read_text(encoding="utf-8")
    register = page[page.index('<table class="bs-table bs-cards" id="register"'):]
    register = register[:register.index("</table>")]
    assert 'data-rows="2026-11.rows.json"' in register
    rows_in_page = register.count("<tr>") - 1  # the header row
    assert rows_in_page == min(len(data["rows"]), FIRST_PAGE_ROWS)
    assert f"本月收到报告 {len(data['rows'])} 份" in page
    ids = [row[5] for row in data["rows"]]
    assert FIRST_ID in ids and INFO_ID in ids
    # Without JavaScript the page says where the rest is: the downloads.
    assert 'href="../downloads/register.csv"' in page and 'href="../downloads/register.xlsx"' in page
    unit = json.loads((site / "units" / "gaj.rows.json").read_text(encoding="utf-8"))
    assert unit["unit_column"] is False and "单位" not in unit["columns"]
    assert {r[5] for r in unit["rows"]} >= {FIRST_ID, FOLLOWUP_ID, INFO_ID}


def test_incident_list_lists_the_first_rows_and_its_data_file_every_incident(built):
    repo, site = built
    from baosong.portal.common import FIRST_PAGE_ROWS
    from baosong.register import build_register

    data = json.loads((site / "incidents" / "index.rows.json").read_text(encoding="utf-8"))
    page = (site / "incidents" / "index.html").read_text(encoding="utf-8")
    listing = page[page.index('<table class="bs-table bs-cards" id="incidents"'):]
    listing = listing[:listing.index("</table>")]
    assert 'data-rows="index.rows.json"' in listing
    assert listing.count("<tr>") - 1 == min(len(data["rows"]), FIRST_PAGE_ROWS)
    # Without JavaScript the page says how many there are; the cards carry their labels.
    assert f"共 {len(data['rows'])} 起事件，此处按事发时间从近到远列出前" in page
    assert '<td data-label="报告单位">' in listing
    # Every incident of the register, newest first, each row as the page shows it.
    reg = build_register(repo, "HEAD", now=datetime.fromisoformat(NOW))
    assert len(data["rows"]) == len(reg.incidents) >= 2
    assert data["layout"] == "incidents" and data["columns"][0] == "事件" and data["pages"] == ""
    by_slug = {row[1]: row for row in data["rows"]}
    for inc in reg.incidents:
        row = by_slug[inc.id]
        assert (site / "incidents" / f"{row[1]}.html").is_file()
        assert row[6] == len(inc.reports)
        assert data["states"][row[7]][0] == ("open" if inc.closed_at is None else "closed")
        assert data["units"][row[2]][0] == inc.unit
    occurred = [row[5] for row in data["rows"]]
    assert occurred == sorted(occurred, reverse=True)


def test_personal_data_is_masked_everywhere(site):
    seen_masked = False
    for name, text in output_texts(site):
        assert find_personal_data(text) == [], name
        for number in PERSONAL:
            assert number not in text, f"{name}: {number}"
        seen_masked = seen_masked or "138****5678" in text
    assert seen_masked
    # A number that only looks like an ID (wrong check digit) is left alone.
    assert BAD_ID18 in (site / "reports" / f"{FIRST_ID}.html").read_text(encoding="utf-8")


def test_csv_is_utf8_with_bom_and_formulas_are_defused(site):
    raw = (site / "downloads" / "register.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["登记序号", "报告编号", "单位代码"]
    by_id = {r[1]: r for r in rows[1:]}
    assert by_id[FIRST_ID][header.index("标题")] == HOSTILE_TITLE
    assert by_id[INFO_ID][header.index("标题")] == "'" + INFO_TITLE  # a formula in Excel otherwise
    assert by_id[FIRST_ID][header.index("状态")] == "迟报"
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_xlsx_has_the_register_as_text_cells(site):
    from openpyxl import load_workbook

    wb = load_workbook(site / "downloads" / "register.xlsx")
    ws = wb["登记簿"]
    values = list(ws.iter_rows(values_only=True))
    assert values[0][1] == "报告编号"
    ids = [v[1] for v in values[1:]]
    assert FIRST_ID in ids and INFO_ID in ids
    assert values[ids.index(INFO_ID) + 1][8] == INFO_TITLE
    with zipfile.ZipFile(site / "downloads" / "register.xlsx") as z:
        assert all("<f>" not in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_sitemap_is_valid_xml_without_the_shell(site):
    text = (site / "sitemap.xml").read_text(encoding="utf-8")
    ElementTree.fromstring(text)
    assert "bs-shell" not in text


def test_report_pages_are_outside_navigation_and_search(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    assert not any(loc.startswith("reports/") for loc in locations)
    assert not any(loc.startswith("registers/2026-") for loc in locations)  # month tables: use the filter
    assert f"incidents/{FIRST_ID}.html" in locations
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index('md-nav--primary'):]
    assert "reports/" not in nav[:nav.index("</nav>")]


def test_search_index_is_segmented_for_chinese(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    entries = [d for d in index["docs"] if d["location"].startswith(f"incidents/{FIRST_ID}")]
    assert entries and "\u200b滑坡" in entries[0]["title"]  # jieba split 山体滑坡 into words
    assert "交通事故" in entries[0]["title"].split("\u200b")
    assert {"交通", "事故"} <= set(entries[0]["tags"])  # so a search for 事故 finds 交通事故


def test_incident_page_tells_the_story(site):
    html = (site / "incidents" / f"{FIRST_ID}.html").read_text(encoding="utf-8")
    text = "".join(scan(html).text)
    assert text.index("紧急信息·首报") < text.index("紧急信息·续报（1）")
    assert "涉及但未报告的单位" in text and "江州市交通运输局" in text
    assert "迟报" in text and "40分钟" in text
    assert "迟报原因" in text
    figures = html[html.index('id="figures"'):]
    assert '<span class="bs-changed">1</span>' in figures[:figures.index("</table>")]  # deaths 0 → 1


def article_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return "".join(scan(html[html.index("<article"):html.index("</article>")]).text)


def test_unit_page_lists_late_reports_with_explanations(site):
    text = article_text(site / "units" / "gaj.html")
    late = text[text.index("迟报与漏报"):text.index("全部报告")]
    assert HOSTILE_TITLE in late and "迟报原因<b>说明</b>" in late


def test_home_page_uses_the_given_now(site):
    text = article_text(site / "index.html")
    assert "数据截至 2026-11-20 14:00" in text
    assert "今日收到（11月20日）" in text
    open_part = text[text.index("处置中的事件"):text.index("今日收到")]
    assert HOSTILE_TITLE in open_part and "还有 23小时40分钟" in open_part  # follow-up 2 due 11-21 13:40


def test_home_page_publishes_the_receipts_witness(built, site):
    repo, _ = built
    published = site / "downloads" / "receipts-witness.json"
    assert published.read_bytes() == (repo / ".git" / "baosong-witness.json").read_bytes()
    home = article_text(site / "index.html")
    sequence = json.loads(published.read_text(encoding="utf-8"))["sequence"]
    assert "回执库见证" in home and f"第 {sequence} 号检查点" in home and "baosong audit --witness" in home


def test_no_reference_to_outside_hosts(site):
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css"):
            text = path.read_text(encoding="utf-8")
            for tag, attrs in scan(text).tags if path.suffix == ".html" else []:
                for name in ("href", "src"):
                    value = (attrs.get(name) or "").lower()
                    assert not value.startswith(("http:", "https:", "//")), f"{path}: <{tag} {name}={value}>"
            if path.suffix == ".css":
                assert "url(http" not in text and "url(//" not in text and "@import" not in text, path


def test_two_builds_of_one_commit_are_identical(built, tmp_path):
    repo, site = built
    again = tmp_path / "again"
    proc = run("build", "--repo", str(repo), "--out", str(again), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    differing = [str(k) for k in first if first[k] != second[k]]
    assert differing == []


def test_followup_page_links_back_to_its_incident(site):
    html = (site / "reports" / f"{FOLLOWUP_ID}.html").read_text(encoding="utf-8")
    assert f'href="../incidents/{FIRST_ID}.html"' in html


# ---- the provider hook, without a registry ---------------------------------------------------------

def _empty_context() -> Context:
    tz = timezone(timedelta(hours=8))
    return Context(register=Register("HEAD", "0" * 40, datetime(2026, 11, 20, 12, 0, tzinfo=tz)), units={},
                   staff={}, policy={}, city="测试市",
                   now=datetime(2026, 11, 20, 12, 0, tzinfo=tz), tz=tz, document=lambda _id: None)


def fake_bulletins(ctx: Context):
    yield Page("bulletins/index.md", "通报", "<h1>通报</h1>", "bulletins")
    yield HomeBlock("bulletins", "最新通报", "<p>第1期通报</p>", 10)


def test_sections_without_provider_get_placeholders():
    content = collect(_empty_context(), providers=[])
    pages = {p.path: p for p in content.pages}
    assert "即将推出" in pages["bulletins/index.md"].body and "即将推出" in pages["scores/index.md"].body
    assert "通报功能即将推出" in pages["index.md"].body


def test_a_provider_replaces_the_placeholder_and_adds_its_home_block():
    content = collect(_empty_context(), providers=[f"{__name__}:fake_bulletins"])
    pages = {p.path: p for p in content.pages}
    assert pages["bulletins/index.md"].body == "<h1>通报</h1>"
    assert "即将推出" in pages["scores/index.md"].body
    home = pages["index.md"].body
    assert "第1期通报" in home and "通报功能即将推出" not in home


def test_serve_prints_the_address_and_serves_the_site(built):
    repo, site = built
    proc = subprocess.Popen([BAOSONG, "serve", "--no-build", "--repo", str(repo), "--out", str(site), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        line = proc.stdout.readline()
        assert line.startswith("门户地址：http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split("：", 1)[1].strip()
        with urllib.request.urlopen(url + "registers/2026-11.html", timeout=10) as response:
            assert response.status == 200
            assert "text/html" in response.headers["Content-Type"]
            assert FIRST_ID in response.read().decode("utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rejects_a_bad_port_from_the_environment(built):
    repo, site = built
    proc = subprocess.run([BAOSONG, "serve", "--no-build", "--repo", str(repo), "--out", str(site)],
                          capture_output=True, text=True, env={**os.environ, "BAOSONG_PORT": "八千"}, timeout=60)
    assert proc.returncode == 2 and "BAOSONG_PORT" in proc.stderr


def test_serve_refuses_a_missing_site(tmp_path):
    proc = run("serve", "--no-build", "--repo", str(tmp_path), "--port", "0")
    assert proc.returncode == 1 and "没有已生成的门户" in proc.stderr


def test_build_outside_a_registry_fails_in_chinese(tmp_path):
    proc = run("build", "--repo", str(tmp_path), "--out", str(tmp_path / "site"))
    assert proc.returncode == 1 and "错误" in proc.stderr
    assert SCRIPT not in proc.stderr


def broken_link(ctx: Context):
    yield Page("charts.md", "图表", "<h1>图表</h1>\n\n[坏链接](missing.md)", "charts")


def test_strict_mode_refuses_a_broken_link_and_keeps_the_old_site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitemap.xml").write_text("old")
    content = collect(_empty_context(), providers=[f"{__name__}:broken_link"])
    with pytest.raises(AdapterError) as raised:
        render(content, site)
    assert "missing.md" in str(raised.value)
    assert (site / "sitemap.xml").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no half-built staging directory left


def test_output_directory_that_is_not_a_site_is_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(AdapterError):
        render(collect(_empty_context(), providers=[]), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
