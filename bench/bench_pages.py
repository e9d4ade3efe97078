"""Benchmark the register and unit pages (issue 16) and the list of all incidents: load time in headless
Chromium against the home page, a filter over all rows, and what the change costs the build (time, site
size).

    python bench/bench_pages.py --repo /tmp/demo-50000                  # build with this checkout, measure
    python bench/bench_pages.py --repo /tmp/demo-50000 --before-rev 370af29   # also build and measure REV

Every build runs `python -m baosong build` in its own process on a warm register cache (a `baosong
registry` run first), with the same `--now` (default: none, i.e. the commit time); `--before-rev` builds the same registry with the project's
code at REV (`git archive` into a temporary directory, first on PYTHONPATH) so build time and site
size are compared in one run. `--site DIR` / `--before-site DIR` measure sites built earlier instead.

Load time of a page = from navigation start until the page is usable: its `load` event, and for a
register table drawn from its data file the moment the script has drawn it (the `bs-table-ready`
performance mark) — whichever is later. Best of three loads, each in a fresh tab, served by `baosong
serve`'s server on 127.0.0.1. Filter time = from setting the filter box until the next frame after the
table was redrawn, over every row of the largest register page (the first keyword filter, which also
builds the rows' search texts; then a status filter and a sort by title).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
LOAD_RATIO_TARGET = 2.0
FILTER_MS_TARGET = 300
GROWTH_TARGET = 0.10
INCIDENTS = "incidents/index.html"  # the list of all incidents: a data-file table too since the third session

READY_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const mark = performance.getEntriesByName("bs-table-ready")[0];
  return Math.max(nav ? nav.loadEventEnd : 0, mark ? mark.startTime : 0);
}"""
FILTER_JS = """async ([selector, value, event]) => {
  const el = document.querySelector(selector);
  const t0 = performance.now();
  el.value = value;
  el.dispatchEvent(new Event(event));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}"""
SORT_JS = """async (index) => {
  const th = document.querySelectorAll("table[data-rows] thead th")[index];
  const t0 = performance.now();
  th.click();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(repo: Path, out: Path, scripts: Path, now: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one `baosong build` with the code under `scripts` (CPU: the machine is shared)."""
    env = dict(os.environ, PYTHONPATH=str(scripts))
    start, cpu = time.monotonic(), _cpu()
    proc = subprocess.run([PYTHON, "-m", "baosong", "build", "--repo", str(repo), "--out", str(out), *now],
                          env=env, capture_output=True, text=True)
    seconds, cpu = time.monotonic() - start, _cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"build failed with {scripts}:\n{proc.stderr[-3000:]}")
    return seconds, cpu


def site_size(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def register_pages(site: Path) -> list[str]:
    months = sorted(p.name for p in (site / "registers").glob("*.html") if re.fullmatch(r"\d{4}-\d{2}\.html", p.name))
    units = sorted(p.name for p in (site / "units").glob("*.html") if p.name != "index.html")
    incidents = [INCIDENTS] if (site / INCIDENTS).is_file() else []
    return [f"registers/{m}" for m in months] + [f"units/{u}" for u in units] + incidents


def rows_of(site: Path, page: str) -> int:
    data = site / (page[:-5] + ".rows.json")
    if data.is_file():
        return len(json.loads(data.read_text(encoding="utf-8"))["rows"])
    return (site / page).read_text(encoding="utf-8").count("<tr>")


class Browser:
    def __init__(self, site: Path) -> None:
        from baosong.commands.serve import make_server
        from playwright.sync_api import sync_playwright

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            raise SystemExit("没有安装 chromium")
        self.httpd = make_server(site, 0)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.profile = tempfile.mkdtemp(prefix="bench-pages-")
        self.playwright = sync_playwright().start()
        self.context = self.playwright.chromium.launch_persistent_context(
            self.profile, executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: r.url.startswith(("data:", "blob:", self.base)) or self.outside.append(r.url))

    def open(self, path: str):
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"{path}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"{path}: {e}"))
        page.goto(self.base + path, wait_until="load", timeout=120_000)
        if page.locator("table[data-rows]").count():
            page.wait_for_selector("table[data-rows][data-bs-ready]", timeout=120_000)
        return page

    def load_ms(self, path: str, runs: int = 3) -> float:
        best = float("inf")
        for _ in range(runs):
            page = self.open(path)
            best = min(best, page.evaluate(READY_JS))
            page.close()
        return best

    def filters(self, path: str, keyword: str) -> dict[str, float]:
        page = self.open(path)
        out = {"keyword": page.evaluate(FILTER_JS, [".bs-filter input", keyword, "input"])}
        out["keyword_rows"] = page.locator("table[data-rows] tbody tr").count()
        out["keyword_count"] = page.inner_text(".bs-filter-count")
        page.evaluate(FILTER_JS, [".bs-filter input", "", "input"])
        out["status"] = page.evaluate(FILTER_JS, ["select[aria-label='按状态筛选']", "late", "change"])
        page.evaluate(FILTER_JS, ["select[aria-label='按状态筛选']", "", "change"])
        out["sort_title"] = page.evaluate(SORT_JS, 3)
        page.close()
        return out

    def close(self) -> None:
        self.context.close()
        self.playwright.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.profile, ignore_errors=True)


def measure(site: Path, pages: list[str], *, filter_page: str | None = None, keyword: str = "") -> dict:
    browser = Browser(site)
    try:
        home = browser.load_ms("index.html")
        loads = {p: browser.load_ms(p) for p in pages}
        filters = browser.filters(filter_page, keyword) if filter_page else {}
        return {"home_ms": home, "pages_ms": loads, "filters": filters, "outside": browser.outside,
                "errors": browser.errors}
    finally:
        browser.close()


def far_keyword(site: Path, page: str) -> str:
    """The title of the last row to arrive on a page: far beyond the first screen."""
    data = json.loads((site / (page[:-5] + ".rows.json")).read_text(encoding="utf-8"))
    return data["rows"][-1][4]


def identical(before: Path, after: Path) -> list[str]:
    """Files whose numbers must not change: downloads, year overviews, the register and unit lists."""
    names = ["downloads/register.csv", "downloads/register.xlsx", "registers/index.html", "units/index.html"]
    names += sorted(str(p.relative_to(after)) for p in (after / "registers").glob("[0-9][0-9][0-9][0-9].html"))
    return [n for n in names if (before / n).read_bytes() != (after / n).read_bytes()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, help="registry to build (e.g. a clone of a 50,000-report demo)")
    parser.add_argument("--before-rev", help="also build with the project's code at this revision")
    parser.add_argument("--site", type=Path, help="measure this site instead of building one")
    parser.add_argument("--before-site", type=Path, help="the site built before the change, to compare")
    parser.add_argument("--work", type=Path, help="where sites are built (kept); default: a temporary directory")
    parser.add_argument("--now", help="the builds' --now (default: the commit time, as `baosong build`)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    now = ["--now", args.now] if args.now else []
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-pages-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    site, before = args.site, args.before_site
    if site is None or (args.before_rev and before is None):
        if args.repo is None:
            raise SystemExit("--repo is needed to build")
        repo = args.repo.resolve()
        subprocess.run([PYTHON, "-m", "baosong", "registry", "--repo", str(repo), "--format", "json", *now],
                       env=dict(os.environ, PYTHONPATH=str(ROOT / "scripts")), capture_output=True, check=True)
        if args.before_rev and before is None:
            old = work / f"code-{args.before_rev}"
            if not old.is_dir():
                old.mkdir(parents=True)
                archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before_rev, "scripts"],
                                         capture_output=True, check=True).stdout
                subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            before = work / "site-before"
            print(f"» building with {args.before_rev}", file=sys.stderr)
            result["before_build_s"] = build(repo, before, old / "scripts", now)
        if site is None:
            site = work / "site-after"
            print("» building with this checkout", file=sys.stderr)
            result["after_build_s"] = build(repo, site, ROOT / "scripts", now)
    pages = register_pages(site)
    largest = max((p for p in pages if p.startswith("registers/")), key=lambda p: rows_of(site, p))
    largest_unit = max((p for p in pages if p.startswith("units/")), key=lambda p: rows_of(site, p))
    print(f"» measuring {len(pages)} register, unit and incident-list pages", file=sys.stderr)
    after = measure(site, pages, filter_page=largest, keyword=far_keyword(site, largest))
    result.update(after=after, largest=largest, largest_rows=rows_of(site, largest), largest_unit=largest_unit,
                  largest_unit_rows=rows_of(site, largest_unit))
    result["after_size"] = site_size(site)
    if before is not None:
        print("» measuring the largest pages of the site before", file=sys.stderr)
        result["before"] = measure(before, [largest, largest_unit] + [p for p in (INCIDENTS,) if p in pages])
        result["before_size"] = site_size(before)
        result["changed_numbers"] = identical(before, site)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    report(result)
    return 0


def report(r: dict) -> None:
    a = r["after"]
    home = a["home_ms"]
    print(f"home page: {home:.0f} ms (best of 3)")
    worst = max(a["pages_ms"].items(), key=lambda kv: kv[1])
    print(f"{'page':<26} {'ms':>7} {'× home':>7}")
    for page, ms in a["pages_ms"].items():
        print(f"{page:<26} {ms:>7.0f} {ms / home:>7.2f}")
    ok_load = worst[1] / home <= LOAD_RATIO_TARGET
    print(f"slowest: {worst[0]} {worst[1]:.0f} ms = {worst[1] / home:.2f}× home "
          f"({'within' if ok_load else 'OVER'} ≤ {LOAD_RATIO_TARGET}×); largest register page {r['largest']} "
          f"({r['largest_rows']} rows), largest unit page {r['largest_unit']} ({r['largest_unit_rows']} rows)")
    f = a["filters"]
    ok_filter = max(f["keyword"], f["status"]) < FILTER_MS_TARGET
    print(f"filter over all {r['largest_rows']} rows: keyword {f['keyword']:.0f} ms ({f['keyword_count']}, "
          f"{f['keyword_rows']} drawn), status {f['status']:.0f} ms, sort by title {f['sort_title']:.0f} ms "
          f"({'within' if ok_filter else 'OVER'} < {FILTER_MS_TARGET} ms)")
    print(f"requests to other hosts: {len(a['outside'])}; console errors: {len(a['errors'])} {a['errors'][:3]}")
    if "before" in r:
        b = r["before"]
        for page in b["pages_ms"]:
            ratio, ratio_after = b["pages_ms"][page] / b["home_ms"], a["pages_ms"][page] / home
            print(f"before: {page} {b['pages_ms'][page]:.0f} ms = {ratio:.2f}× home ({b['home_ms']:.0f} ms); "
                  f"after {ratio_after:.2f}× home: load-time ratio after/before {ratio_after / ratio:.2f}")
        (sb, nb), (sa, na) = r["before_size"], r["after_size"]
        print(f"site size: before {sb / 2**20:.1f} MB ({nb} files), after {sa / 2**20:.1f} MB ({na} files): "
              f"{(sa - sb) / sb:+.1%} ({'within' if (sa - sb) / sb <= GROWTH_TARGET else 'OVER'} ≤ +10 %)")
        if "before_build_s" in r:
            (tb, cb), (ta, ca) = r["before_build_s"], r["after_build_s"]
            print(f"build wall: before {tb:.0f} s, after {ta:.0f} s: {(ta - tb) / tb:+.1%}; CPU: before {cb:.0f} s, "
                  f"after {ca:.0f} s: {(ca - cb) / cb:+.1%} ({'within' if (ca - cb) / cb <= GROWTH_TARGET else 'OVER'}"
                  " ≤ +10 %)")
        print("downloads and overview pages: " + ("identical" if not r["changed_numbers"]
                                                   else f"CHANGED: {r['changed_numbers']}"))


if __name__ == "__main__":
    raise SystemExit(main())
