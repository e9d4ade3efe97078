"""Benchmark `baosong build`: build time and peak memory for the demo registry and for larger ones,
bytes transferred on the first load of the home page (without the search index), search index size.

    python bench/bench_build.py                      # demo (1,500 reports), 10,000 and 50,000
    python bench/bench_build.py --sizes 1500,10000   # a subset
    python bench/bench_build.py --keep /tmp/bench    # keep (and reuse) the generated registries

Each build runs cold (no `.git/baosong-cache/`) in its own process; its peak memory is that process tree's maximum resident set size
(`getrusage(RUSAGE_CHILDREN)` measured in a fresh wrapper process, so one run never sees another's).
The home page is loaded in headless Chromium when it is installed (every response counted, the search
index excepted); otherwise the files the page references are summed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BIN = Path(sys.executable).parent
BAOSONG = str(BIN / "baosong")
NOW = "2026-11-20T12:00:00+08:00"
TARGETS = {"demo": (60, 4096), "large": (600, 4096)}  # seconds, MB
MEASURE = """
import resource, subprocess, sys, time
start = time.monotonic()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of a command, in a wrapper process of its own."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    seconds, kb, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return float(seconds), int(kb) / 1024


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon"):
            self.refs.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.refs.append(a["src"])


def home_bytes_static(site: Path) -> tuple[int, int]:
    parser = _Refs()
    parser.feed((site / "index.html").read_text(encoding="utf-8"))
    files = {site / "index.html"} | {site / r.split("?")[0] for r in parser.refs if not urlsplit(r).scheme}
    return sum(f.stat().st_size for f in files if f.is_file()), len(files)


def home_bytes_browser(site: Path) -> tuple[int, int] | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    from baosong.commands.serve import make_server

    httpd = make_server(site, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    sizes: dict[str, int] = {}
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])
            page = ctx.new_page()

            def record(response):
                if "search_index.json" not in response.url and response.url.startswith(base):
                    try:
                        sizes[response.url] = len(response.body())
                    except Exception:
                        sizes[response.url] = 0

            page.on("response", record)
            page.goto(urljoin(base, "index.html"))
            page.wait_for_load_state("networkidle")
            ctx.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return sum(sizes.values()), len(sizes)


def site_size(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def bench(n: int, workdir: Path) -> dict:
    repo = workdir / f"registry-{n}"
    if not (repo / ".git").is_dir():
        shutil.rmtree(repo, ignore_errors=True)
        seconds, _ = measured([BAOSONG, "demo", "--out", str(repo), "--reports", str(n)])
        print(f"  generated {n} reports in {seconds:.1f} s", file=sys.stderr)
    site = workdir / f"site-{n}"
    shutil.rmtree(repo / ".git" / "baosong-cache", ignore_errors=True)  # cold: nothing judged yet
    seconds, peak = measured([BAOSONG, "build", "--repo", str(repo), "--out", str(site), "--now", NOW])
    register = json.loads(subprocess.run([BAOSONG, "registry", "--repo", str(repo), "--format", "json", "--now", NOW],
                                         capture_output=True, text=True, check=True).stdout)
    index = site / "search" / "search_index.json"
    total, files = site_size(site)
    browser = home_bytes_browser(site)
    home, home_files = browser if browser is not None else home_bytes_static(site)
    return {"reports": n, "incidents": len(register["incidents"]), "seconds": seconds, "peak_mb": peak,
            "home_bytes": home, "home_files": home_files, "home_measured_by": "chromium" if browser else "files",
            "search_index_bytes": index.stat().st_size,
            "search_index_gzip": len(gzip.compress(index.read_bytes())),
            "site_bytes": total, "site_files": files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,10000,50000", help="report counts (1500 = the demo registry)")
    parser.add_argument("--keep", type=Path, default=None, help="directory for registries and sites (reused)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = args.keep or Path(tempfile.mkdtemp(prefix="baosong-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in sizes:
            print(f"» {n} reports", file=sys.stderr)
            results.append(bench(n, work))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'reports':>8} {'incidents':>9} {'build s':>8} {'peak MB':>8} {'home KB':>8} {'index KB':>9} "
          f"{'index gz':>9} {'site MB':>8} {'files':>7}")
    for r in results:
        print(f"{r['reports']:>8} {r['incidents']:>9} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f} "
              f"{r['home_bytes'] / 1024:>8.0f} {r['search_index_bytes'] / 1024:>9.0f} "
              f"{r['search_index_gzip'] / 1024:>9.0f} {r['site_bytes'] / 2**20:>8.0f} {r['site_files']:>7}")
    limit = {1500: TARGETS["demo"]}
    for r in results:
        seconds, mb = limit.get(r["reports"], TARGETS["large"])
        ok = r["seconds"] <= seconds and r["peak_mb"] <= mb and r["home_bytes"] <= 1024 * 1024
        print(f"{r['reports']} reports: {'within' if ok else 'OVER'} targets "
              f"(≤ {seconds} s, ≤ {mb} MB, home page ≤ 1 MB; home measured by {r['home_measured_by']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
