"""Parquet exports and the province-wide DuckDB queries (省级汇总分析): typed columns read back from
the files, masking, the `registry` column, and `baosong analyze` over three real demo registries
checked against each registry's own `baosong registry --format json`.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import scoring_helpers as h
import yaml
from baosong.privacy import mask
from baosong.records import IncidentRecord
from test_exports import NOW, export, registry  # noqa: F401  (the module's signed registry fixture)
from trust_helpers import BAOSONG


def parquet_types(path: Path) -> dict[str, tuple]:
    """Column -> (physical type, logical type, converted type) as stored in the file's metadata."""
    con = duckdb.connect()
    rows = con.execute("SELECT name, type, logical_type, converted_type FROM parquet_schema(?)", [str(path)]).fetchall()
    return {name: (kind, logical, converted) for name, kind, logical, converted in rows}


def read(path: Path, sql: str = "SELECT * FROM t") -> list[dict]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
    rel = con.execute(sql)
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def expected_registry_id(repo: Path) -> str:
    units = yaml.safe_load((repo / "config" / "units.yaml").read_text(encoding="utf-8"))
    reg = units.get("registry") or {}
    return reg.get("id") or units["city"]


def test_register_parquet_is_typed_masked_and_labelled(registry, tmp_path):  # noqa: F811
    out = tmp_path / "jz"
    proc = export(registry, "--what", "register", "--period", "2026", "--format", "parquet", out=out)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "reports.parquet（6 行）" in proc.stdout.decode() and "incidents.parquet（1 行）" in proc.stdout.decode()
    types = parquet_types(out / "reports.parquet")
    assert types["received_at"][0] == "INT64" and "isAdjustedToUTC=1" in types["received_at"][1]
    assert "MICROS" in types["received_at"][1]
    assert types["delay_minutes"][0] == "INT32" and types["sequence"][0] == "INT32"
    assert types["attested"][0] == "BOOLEAN" and types["title"][2] == "UTF8"
    rows = {r["id"]: r for r in read(out / "reports.parquet")}
    assert len(rows) == 6
    assert {r["registry"] for r in rows.values()} == {expected_registry_id(registry.root)}
    assert {r["registry_name"] for r in rows.values()} == {"江州市"}
    late = rows["gaj-20260210-wanghao-01"]
    assert late["received_at"] == datetime(2026, 2, 10, 3, 30, tzinfo=UTC)  # 11:30 +08:00, stored as an instant
    assert late["deadline_at"] == datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
    assert (late["status"], late["delay_minutes"], late["category"], late["category_name"]) == (
        "late", 30, "traffic", "道路交通")
    assert late["unit_name"] == "江州市公安局" and late["delay_reason"] == "现场伤亡情况核实耗时较长。"
    assert late["forwarded_from_registry"] is None
    # Masked as in every other export: the mobile number never reaches the file.
    assert rows["gaj-20260206-wanghao-01"]["title"] == "=HYPERLINK(\"http://x\")联系138****5678"
    itypes = parquet_types(out / "incidents.parquet")
    assert "isAdjustedToUTC=1" in itypes["occurred_at"][1] and itypes["serious_injuries"][0] == "INT32"
    assert itypes["reports"][2] == "LIST" and itypes["upward"][2] == "LIST"
    (incident,) = read(out / "incidents.parquet")
    assert incident["id"] == "gaj-20260210-wanghao-01" and incident["occurred_at"] == datetime(2026, 2, 10, 1, 0,
                                                                                                tzinfo=UTC)
    assert (incident["serious_injuries"], incident["injuries"], incident["deaths"]) == (1, 2, 0)
    assert incident["reports"] == ["gaj-20260210-wanghao-01"] and incident["first_status"] == "late"
    assert incident["missed_followup"] == 1 and incident["closed_at"] is None and incident["upward"] == []


def test_scores_parquet_and_registry_override(registry, tmp_path):  # noqa: F811
    out = tmp_path / "s"
    proc = export(registry, "--what", "scores", "--period", "2026-02", "--format", "parquet", "--registry",
                  "jiangzhou", out=out)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = read(out / "scores.parquet", "SELECT * FROM t ORDER BY rank")
    # The hand computation of test_exports (February): dcq 54, xhq −2, gaj −3.
    assert [(r["unit"], r["rank"], r["total"]) for r in rows] == [("dcq", 1, 54.0), ("xhq", 2, -2.0),
                                                                  ("gaj", 3, -3.0)]
    assert {r["registry"] for r in rows} == {"jiangzhou"} and {r["period"] for r in rows} == {"2026-02"}
    gaj = rows[2]
    assert (gaj["late_count"], gaj["late_points"], gaj["missed_count"]) == (1, -1.0, 1)
    assert parquet_types(out / "scores.parquet")["rank"][0] == "INT32"


def test_empty_period_still_has_typed_columns(registry, tmp_path):  # noqa: F811
    out = tmp_path / "empty"
    assert export(registry, "--what", "register", "--period", "2025", "--format", "parquet",
                  out=out).returncode == 0
    assert read(out / "reports.parquet") == []
    assert "isAdjustedToUTC=1" in parquet_types(out / "reports.parquet")["received_at"][1]


def test_parquet_refusals_in_chinese(registry, tmp_path):  # noqa: F811
    bulletin = export(registry, "--what", "bulletin", "--period", "2026-02", "--format", "parquet", out=tmp_path / "b")
    assert bulletin.returncode == 1 and "通报请导出为" in bulletin.stderr.decode()
    stdout = export(registry, "--what", "register", "--period", "2026", "--format", "parquet")
    assert stdout.returncode == 2 and "不能输出到标准输出" in stdout.stderr.decode()
    bad = export(registry, "--what", "register", "--period", "2026", "--format", "parquet", "--registry", "江州",
                 out=tmp_path / "x")
    assert bad.returncode == 2 and "registry" in bad.stderr.decode() and "小写字母" in bad.stderr.decode()


def test_missing_duckdb_says_how_to_install(registry, tmp_path):  # noqa: F811
    # An interpreter where `import duckdb` fails, as on an install without the analysis extra.
    code = ("import sys; sys.modules['duckdb'] = None; from baosong.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    for args in (["export", "--what", "register", "--period", "2026", "--format", "parquet", "--now", NOW,
                  "--out", str(tmp_path / "n")], ["analyze", str(tmp_path)]):
        proc = subprocess.run([sys.executable, "-c", code, *args], cwd=registry.root, env=registry.world.env,
                              capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert "未安装 DuckDB" in proc.stderr and "pip install 'baosong[analysis]'" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "n").exists()


def test_no_corpus_number_survives_in_the_parquet_files(tmp_path):
    """Every layout of the privacy corpus in the free texts (titles, delay reasons, unit names) of the
    hand-built register: the Parquet files, read back as text, hold none of their digits."""
    from baosong.analysis import export_parquet
    from baosong.scoring import parse_period
    from privacy_corpus import corpus, leaks, normalised

    layouts = corpus()
    ctx = h.context()
    reports = ctx.register.reports
    for k, r in enumerate(reports):
        mine = layouts[k::len(reports)]
        reports[k] = dataclasses.replace(
            r, title="联系人" + "、".join(x.text for x in mine[: len(mine) // 2]),
            delay_reason="值班电话" + "；".join(x.text for x in mine[len(mine) // 2:]))
    ctx.units[next(iter(ctx.units))]["name"] = "某单位" + layouts[0].text
    first = reports[0]
    ctx.register.incidents = [IncidentRecord.from_json({
        **{f.name: None for f in dataclasses.fields(IncidentRecord)},
        "id": first.id, "unit": first.unit, "title": first.title, "reports": [first.id], "figures": {},
        "overdue": False, "silent_units": [], "first_status": "late", "late_reports": 0, "missed_reports": 0,
        "upward": []})]
    written = export_parquet(ctx, "register", parse_period("2026"), tmp_path / "x")
    written += export_parquet(ctx, "scores", parse_period("2026"), tmp_path / "x")
    assert [w.rows > 0 for w in written] == [True, True, True]
    texts = []
    for w in written:
        rows = read(w.path)
        texts.append((w.path.name, json.dumps(rows, ensure_ascii=False, default=str)))
    assert leaks(texts, layouts) == []
    # Not vacuous: the titles are there, masked.
    flat = normalised(texts[0][1])
    assert all(normalised(mask(r.title)) in flat for r in reports) and "*" in flat


# ---- province: three real demo registries -------------------------------------------------------

SEEDS = (1, 2, 3)
DEMO_NOW = "2026-11-20T12:00:00+08:00"  # the demo's default "now": the exports and registers judge at the same time


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """Three demo registries (300 reports, seeds 1–3) exported as Parquet under one directory, each
    with its register JSON (the reference the queries are checked against)."""
    root = tmp_path_factory.mktemp("province")
    registers = {}
    for seed in SEEDS:
        repo = root / f"demo{seed}"
        subprocess.run([BAOSONG, "demo", "--out", str(repo), "--reports", "300", "--seed", str(seed)], check=True,
                       capture_output=True)
        city = f"city{seed}"
        proc = subprocess.run([BAOSONG, "export", "--what", "register", "--period", "2026", "--format", "parquet",
                               "--registry", city, "--now", DEMO_NOW, "--out", str(root / "exports" / city)], cwd=repo,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        reg = subprocess.run([BAOSONG, "registry", "--format", "json", "--now", DEMO_NOW], cwd=repo, capture_output=True, text=True)
        registers[city] = json.loads(reg.stdout)
    return root, registers


def analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BAOSONG, "analyze", *args], capture_output=True, text=True)


def test_province_queries_match_each_registry(province):
    root, registers = province
    proc = analyze(str(root / "exports"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert list(results) == ["city_ranking", "category_late_missed", "city_incidents", "city_month", "upward_duties"]
    ranking = results["city_ranking"]
    assert ranking["columns"] == ["排名", "登记库", "标识", "有时限报告", "按时", "迟报", "漏报", "按时率（%）"]
    by_city = {row[2]: row for row in ranking["rows"]}
    assert set(by_city) == {f"city{s}" for s in SEEDS}
    for city, reg in registers.items():
        s = reg["summary"]
        assert by_city[city][4:7] == [s["on_time"], s["late"], s["missed"]]
        judged = s["on_time"] + s["late"] + s["missed"]
        assert by_city[city][3] == judged and by_city[city][7] == round(100 * s["on_time"] / judged, 1)
    rates = [row[7] for row in ranking["rows"]]
    assert rates == sorted(rates, reverse=True) and ranking["rows"][0][0] == 1
    # Late and missed per category over the three registries, recomputed from their register JSON.
    want: Counter = Counter()
    for reg in registers.values():
        for r in reg["reports"]:
            if r["kind"] == "emergency" and r["status"] in ("late", "missed"):
                want[(r["category"], r["status"])] += 1
    from baosong.vocab import CATEGORY_ZH

    got = results["category_late_missed"]
    for name, _reports, late, missed, *_ in got["rows"]:
        code = next(k for k, v in CATEGORY_ZH.items() if v == name)
        assert (late, missed) == (want[(code, "late")], want[(code, "missed")])
    assert sum(row[2] + row[3] for row in got["rows"]) == sum(want.values()) > 0
    # Months in local time (the register's ISO times carry +08:00): a report received at 23:30 on the
    # last day of a month counts in that month, not the next.
    months: Counter = Counter()
    for city, reg in registers.items():
        for r in reg["reports"]:
            if r["received_at"]:
                assert r["received_at"].endswith("+08:00")
                months[(city, r["received_at"][:7])] += 1
    assert {(row[1], row[2]): row[3] for row in results["city_month"]["rows"]} == dict(months)
    incidents = {row[1]: row for row in results["city_incidents"]["rows"]}
    for city, reg in registers.items():
        assert incidents[city][2] == len(reg["incidents"])
        assert incidents[city][5] == sum(1 for i in reg["incidents"] if i["missed_followup"])


def test_analyze_table_csv_and_errors(province, tmp_path):
    root, _ = province
    table = analyze(str(root / "exports"), "--query", "city_ranking")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("【各市报送及时率排名") and "city1" in table.stdout
    out = tmp_path / "rank.csv"
    csv_run = analyze(str(root / "exports" / "city1"), str(root / "exports" / "city2"), "--query", "city_ranking",
                      "--format", "csv", "--out", str(out))
    assert csv_run.returncode == 0, csv_run.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("\ufeff排名,登记库") and len(lines) == 3  # two registries given
    # An own query file over the same views.
    sql = tmp_path / "mine.sql"
    sql.write_text("-- name: n\n-- title: 报告总数\nSELECT registry, count(*) AS n FROM reports GROUP BY 1 ORDER BY 1;\n",
                   encoding="utf-8")
    mine = analyze(str(root / "exports"), "--sql", str(sql), "--format", "json")
    assert json.loads(mine.stdout)["n"]["rows"] == [["city1", 300], ["city2", 300], ["city3", 300]]
    assert "CSV 一次只能" in analyze(str(root / "exports"), "--format", "csv").stderr
    empty = analyze(str(tmp_path))
    assert empty.returncode == 1 and "没有找到 reports.parquet" in empty.stderr
    broken = tmp_path / "broken.sql"
    broken.write_text("-- name: x\nSELECT nope FROM reports;\n", encoding="utf-8")
    failed = analyze(str(root / "exports"), "--sql", str(broken))
    assert failed.returncode == 1 and "执行失败" in failed.stderr and "Traceback" not in failed.stderr
    zone = analyze(str(root / "exports"), "--timezone", "Mars/Base")
    assert zone.returncode == 1 and "时区“Mars/Base”无效" in zone.stderr and "Traceback" not in zone.stderr
