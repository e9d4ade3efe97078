"""The federation demo (issue 13): `baosong demo --federation DIR` builds a county, a city and a province
registry linked by config, with reports forwarded up by the real code paths. These tests run the real
commands on what it built: every registry checks and verifies, the lowered-figures forward is refused by
the province's pull-request check and accepted once the change is declared, the upward duties follow the
upper receipts, `verify --chain --lower` walks all three levels, and the portals show the chain.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

BAOSONG = str(Path(sys.executable).parent / "baosong")
NOW = "2026-11-20T12:00:00+08:00"
MINE_PROVINCE = "jzs-20261111-liuyang-01"  # 青石镇采石场塌方: county qsz → city nsx → province jzs
MINE_CITY = "nsx-20261111-tanglin-01"
MINE_COUNTY = "qsz-20261111-zouping-01"
LOWERED = "jzs-20261116-liuyang-01"        # 公交车相撞: deaths lowered 3 → 2 on the way up


def baosong(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "LANG": "C.UTF-8"}
    return subprocess.run([BAOSONG, *args], cwd=root, env=env, capture_output=True, text=True, check=False)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    from baosong.demo.federation import generate_federation

    out = tmp_path_factory.mktemp("federation") / "lian"
    result = generate_federation(out)
    return out, result


@pytest.fixture(scope="module")
def registers(fed):
    out, _ = fed
    data = {}
    for level in ("county", "city", "province"):
        proc = baosong(out / level, "registry", "--format", "json", "--now", NOW)
        assert proc.returncode == 0, proc.stderr
        data[level] = json.loads(proc.stdout)
    return data


def test_demo_writes_three_linked_registries(fed):
    out, result = fed
    ids = {}
    for level in ("county", "city", "province"):
        units = yaml.safe_load((out / level / "config" / "units.yaml").read_text(encoding="utf-8"))
        ids[level] = units["registry"]["id"]
        assert units["registry"]["keys"], level
    assert ids == {"county": "nanshan", "city": "jiangzhou", "province": "province"}
    city = yaml.safe_load((out / "city" / "config" / "units.yaml").read_text(encoding="utf-8"))
    province = yaml.safe_load((out / "province" / "config" / "units.yaml").read_text(encoding="utf-8"))
    county = yaml.safe_load((out / "county" / "config" / "units.yaml").read_text(encoding="utf-8"))
    key = {lvl: (out / lvl / ".demo-keys" / "registry.pub").read_text().strip() for lvl in ("county", "city", "province")}
    nsx = next(u for u in city["units"] if u["code"] == "nsx")
    jzs = next(u for u in province["units"] if u["code"] == "jzs")
    # Each upper registry trusts the lower registry's receipt key; each lower one the upper's.
    assert (nsx["registry"]["id"], nsx["registry"]["keys"]) == ("nanshan", [key["county"]])
    assert (jzs["registry"]["id"], jzs["registry"]["keys"]) == ("jiangzhou", [key["city"]])
    assert [(u["id"], u["unit"], u["keys"]) for u in county["upstream"]] == [("jiangzhou", "nsx", [key["city"]])]
    assert [(u["id"], u["unit"], u["keys"]) for u in city["upstream"]] == [("province", "jzs", [key["province"]])]
    assert all(n >= 9 for n in result.reports.values())
    assert len(result.forwards) >= 10


@pytest.mark.parametrize("level", ["county", "city", "province"])
def test_each_registry_checks_verifies_and_registers(fed, level):
    out, _ = fed
    root = out / level
    for args in (["check"], ["verify"], ["audit"], ["upstream", "status"] if level != "province" else ["check"]):
        proc = baosong(root, *args)
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    assert git(root, "status", "--porcelain") == ""  # nothing left uncommitted by the flow
    assert git(root, "branch", "--list") == "* main"
    # Every commit on main is signed by a key units.yaml lists (the register says "good" for every report).
    proc = baosong(root, "registry", "--format", "json", "--now", NOW)
    reports = json.loads(proc.stdout)["reports"]
    assert reports and {r["signature"] for r in reports} == {"good"}


def test_lowered_figures_refused_then_accepted_with_declared_change(fed, tmp_path):
    out, result = fed
    assert result.refused == [(LOWERED, "forward-figure-lowered")]
    province = out / "province"
    path = f"reports/2026/jzs/{LOWERED}.yaml"
    merge = git(province, "log", "--merges", "--format=%H", f"--grep=合并报送：{LOWERED}")
    base = git(province, "rev-parse", f"{merge}^1")
    lowered, declared = git(province, "rev-list", "--reverse", f"{base}..{merge}^2").split()
    clone = tmp_path / "province"
    git(tmp_path, "clone", "-q", str(province), str(clone))
    # The pull request as first pushed: deaths lowered without a word — refused upstairs (瞒报).
    git(clone, "checkout", "-q", lowered)
    pushed = git(clone, "log", "-1", "--format=%cI")  # judged when it was pushed, as CI did
    proc = baosong(clone, "check", "--base", base, "--now", pushed, "--format", "json")
    assert proc.returncode == 1, proc.stdout
    problems = json.loads(proc.stdout)
    assert [(p["rule"], p["field"]) for p in problems if p["severity"] == "error"] == \
        [("forward-figure-lowered", "casualties.deaths")]
    # After the office declared the change and its reason: accepted, the change shown as a warning.
    git(clone, "checkout", "-q", declared)
    pushed = git(clone, "log", "-1", "--format=%cI")
    proc = baosong(clone, "check", "--base", base, "--now", pushed, "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert "forward-change-declared" in {p["rule"] for p in json.loads(proc.stdout)}
    doc = yaml.safe_load((province / path).read_text(encoding="utf-8"))
    assert doc["casualties"]["deaths"] == 2 and doc["forwarded_from"]["changes"][0]["from"] == 3


def _duties(register: dict) -> dict[str, dict]:
    return {inc["id"]: d for inc in register["incidents"] for d in inc.get("upward") or [] if d["status"] != "untracked"}


def test_upward_duties_follow_the_upper_receipts(registers):
    # The units' own reports are on time (only forwards are planted late): each step ran at its own time.
    assert registers["county"]["summary"]["late"] == registers["county"]["summary"]["missed"] == 0
    county, city = _duties(registers["county"]), _duties(registers["city"])
    assert {d["status"] for d in county.values()} == {"on_time", "late", "missed"}
    assert {d["status"] for d in city.values()} == {"on_time", "late", "missed"}
    for duties in (county, city):
        for d in duties.values():
            if d["done_at"]:
                assert d["source"] == "upper_receipt", d
            if d["status"] == "late":
                assert d["delay_minutes"] > 0 and len(d["delay_reason"]) >= 8
    assert county[MINE_COUNTY]["report"] == MINE_CITY and county[MINE_COUNTY]["status"] == "on_time"
    assert city[MINE_CITY]["report"] == MINE_PROVINCE and city[MINE_CITY]["status"] == "on_time"
    # The county never forwarded its road accident: missed in its own register, unknown upstairs.
    never = [i for i, d in county.items() if d["status"] == "missed" and not d["done_at"]]
    assert len(never) == 1
    city_origins = {(r["forwarded_from"] or {}).get("id") for r in registers["city"]["reports"]}
    assert never[0] not in city_origins


def test_forwarded_followup_keeps_its_incident_link(registers):
    province = {r["id"]: r for r in registers["province"]["reports"]}
    city = {r["id"]: r for r in registers["city"]["reports"]}
    followup = province["jzs-20261111-liuyang-02"]
    assert (followup["stage"], followup["incident"]) == ("followup", MINE_PROVINCE)
    assert followup["forwarded_from"]["id"] == "nsx-20261111-tanglin-02"
    assert city["nsx-20261111-tanglin-02"]["incident"] == MINE_CITY
    assert city["nsx-20261111-tanglin-02"]["forwarded_from"]["registry"] == "nanshan"


def test_province_sees_on_time_late_and_missed_forwards(registers):
    forwarded = [r for r in registers["province"]["reports"] if r["forwarded_from"] and r["stage"] == "first"]
    assert {r["status"] for r in forwarded} == {"on_time", "late", "missed"}
    assert all(r["forwarded_from"]["registry"] == "jiangzhou" for r in forwarded)
    assert all(r["delay_reason"] for r in forwarded if r["status"] != "on_time")


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _parquet(path: Path) -> list[dict]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rel = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


@pytest.fixture(scope="module")
def parquet(fed, tmp_path_factory):
    """`baosong export --format parquet` of each level's 2026 register, at the registers' `now`, under one directory."""
    out, _ = fed
    exports = tmp_path_factory.mktemp("parquet")
    for level in ("county", "city", "province"):
        proc = baosong(out / level, "export", "--what", "register", "--period", "2026", "--format", "parquet",
                       "--now", NOW, "--out", str(exports / level))
        assert proc.returncode == 0, proc.stderr
    return exports


@pytest.mark.parametrize("level", ["county", "city", "province"])
def test_parquet_upward_columns_equal_the_register(parquet, registers, level):
    """The Parquet export's upward columns on registries that have upward duties and forwards: each
    incident's `upward` list and each report's `forwarded_from_*` equal the register's, judged at the same
    `now` (texts masked as the export masks them)."""
    from baosong.privacy import mask

    reg = registers[level]
    incidents = {i["id"]: i for i in reg["incidents"] if (i["opened_at"] or "").startswith("2026")}
    rows = {r["id"]: r for r in _parquet(parquet / level / "incidents.parquet")}
    assert set(rows) == {mask(i) for i in incidents} and incidents
    duties = 0
    for iid, incident in incidents.items():
        got = rows[mask(iid)]["upward"]
        want = [{"to": mask(d["to"]), "rule": mask(d["rule"]), "due_at": _instant(d["due_at"]),
                 "done_at": _instant(d["done_at"]), "status": d["status"], "delay_minutes": d["delay_minutes"],
                 "delay_reason": mask(d["delay_reason"]) if d["delay_reason"] is not None else None}
                for d in incident["upward"]]
        assert got == want, iid
        duties += len(want)
    statuses = {d["status"] for i in incidents.values() for d in i["upward"]}
    assert duties > 0 and (level == "province" or {"on_time", "late", "missed"} <= statuses)  # not vacuous
    reports = {r["id"]: r for r in _parquet(parquet / level / "reports.parquet")}
    in_period = [r for r in reg["reports"] if (r["received_at"] or "").startswith("2026")]
    assert set(reports) == {mask(r["id"]) for r in in_period}
    forwards = 0
    for r in in_period:
        row, fwd = reports[mask(r["id"])], r["forwarded_from"] or {}
        assert (row["forwarded_from_registry"], row["forwarded_from_id"], row["forwarded_from_received_at"]) == (
            fwd.get("registry"), mask(fwd["id"]) if fwd else None, _instant(fwd.get("received_at"))), r["id"]
        forwards += bool(fwd)
    assert (forwards > 0) == (level != "county")  # the city and the province hold forwards, the county none


def test_province_query_of_upward_duties_equals_the_registers(fed, parquet, registers):
    """`baosong analyze`'s shipped `upward_duties` query over the three exports: per registry, target and
    status, the count of incidents and the mean delay of the late ones, as the registers say."""
    from baosong.privacy import mask

    proc = subprocess.run([BAOSONG, "analyze", str(parquet), "--query", "upward_duties", "--format", "json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = {tuple(row[:3]): tuple(row[3:]) for row in json.loads(proc.stdout)["upward_duties"]["rows"]}
    out, _ = fed
    want: dict[tuple, list] = {}
    for level, reg in registers.items():
        name = mask(yaml.safe_load((out / level / "config" / "units.yaml").read_text(encoding="utf-8"))["city"])
        for i in reg["incidents"]:
            if (i["opened_at"] or "").startswith("2026"):
                for d in i["upward"]:
                    want.setdefault((name, mask(d["to"]), d["status"]), []).append(d["delay_minutes"])
    # DuckDB's round() goes half away from zero (the delays are positive): floor(x + 0.5), not Python's round.
    expected = {k: (len(v), math.floor(sum(v) / len(v) + 0.5) if k[2] == "late" else None) for k, v in want.items()}
    assert got == expected and any(k[2] == "late" for k in got)


def test_verify_chain_walks_every_level_given(fed):
    out, _ = fed
    province = out / "province"
    proc = baosong(province, "verify", "--chain", MINE_PROVINCE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--lower" in proc.stdout and "第 3 环" not in proc.stdout
    proc = baosong(province, "verify", "--chain", MINE_PROVINCE, "--lower", str(out / "city"),
                   "--lower", str(out / "county"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "第 2 环：jiangzhou 登记库" in proc.stdout and "按单位 nsx 登记的 nanshan 回执公钥核验" in proc.stdout
    assert f"第 3 环：nanshan 登记库 reports/2026/qsz/{MINE_COUNTY}.yaml" in proc.stdout
    assert proc.stdout.count("与上一环核验的 blob 一致") == 2
    proc = baosong(province, "verify", "--chain", MINE_PROVINCE, "--lower", str(out / "city"),
                   "--lower", str(out / "county"), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    levels = json.loads(proc.stdout)
    assert [(x["level"], x["registry"], x["id"], x["verified"], x["held"]) for x in levels] == [
        (1, "province", MINE_PROVINCE, True, False), (2, "jiangzhou", MINE_CITY, True, True),
        (3, "nanshan", MINE_COUNTY, None, True)]


def test_verify_chain_refuses_an_origin_changed_below(fed, tmp_path):
    out, _ = fed
    city = tmp_path / "city"
    git(tmp_path, "clone", "-q", str(out / "city"), str(city))
    path = city / f"reports/2026/nsx/{MINE_CITY}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("deaths: 3", "deaths: 1", 1), encoding="utf-8")
    git(city, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qam", "rewrite")
    proc = baosong(out / "province", "verify", "--chain", MINE_PROVINCE, "--lower", str(city))
    assert proc.returncode == 1, proc.stdout
    assert "chain-origin-not-held" in proc.stdout and MINE_CITY in proc.stdout


def test_province_portal_ranks_cities_and_shows_the_chain(fed, tmp_path):
    out, _ = fed
    site = tmp_path / "site"
    proc = baosong(out / "province", "build", "--out", str(site), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    page = (site / "registers" / "forwards.html").read_text(encoding="utf-8")
    ranking = page[page.index('id="forward-ranking"'):page.index("</table>", page.index('id="forward-ranking"'))]
    assert ranking.index("江州市") < ranking.index("清河市")  # 50 % on time before 33 %
    assert "jiangzhou" in ranking and "未接入（直接报送）" in ranking
    report = (site / "reports" / f"{MINE_PROVINCE}.html").read_text(encoding="utf-8")
    chain = report[report.index('id="chain"'):]
    assert f'href="/city/reports/{MINE_CITY}.html"' in chain and MINE_COUNTY in chain
    assert chain.count("bs-status-on_time\">通过") == 2 and "未通过" not in chain
    lowered = (site / "reports" / f"{LOWERED}.html").read_text(encoding="utf-8")
    assert "转报时声明的改动" in lowered and "死亡人数：3 → 2" in lowered


def test_demo_command_refuses_a_directory_in_use(tmp_path):
    (tmp_path / "lian").mkdir()
    (tmp_path / "lian" / "notes.txt").write_text("x")
    proc = baosong(tmp_path, "demo", "--federation", str(tmp_path / "lian"))
    assert proc.returncode == 1 and "已存在且不为空" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "lian").iterdir()) == ["notes.txt"]


def test_portal_addresses_are_web_addresses_or_paths_of_this_site():
    import re

    from baosong.portal.federation_pages import _other_portal

    schema = json.loads((Path(__file__).resolve().parents[1] / "schema" / "units.schema.json").read_text())
    upstream = schema["properties"]["upstream"]["items"]["properties"]["portal"]["pattern"]
    lower = schema["properties"]["units"]["items"]["properties"]["registry"]["properties"]["portal"]["pattern"]
    assert upstream == lower
    pattern = re.compile(upstream)
    for good in ("https://xxbs.province.example/", "http://10.1.2.3:8000/portal/", "/city/", "/"):
        assert pattern.search(good), good
    for bad in ("javascript:alert(1)/", "https://xxbs.example", "/a b/", '/a"onmouseover=x/', "data:text/html,x/",
                "//elsewhere.example/"):
        assert not pattern.search(bad), bad
    assert _other_portal("/city/", "nsx-20261111-tanglin-01") == "/city/reports/nsx-20261111-tanglin-01.html"
    assert _other_portal("//elsewhere.example/", "nsx-20261111-tanglin-01") is None
    assert _other_portal("/city/", "../../x\"y").startswith("/city/reports/x-")  # ids become safe slugs


def test_county_portal_links_up_and_says_when_the_upper_receipt_is_missing(fed, tmp_path):
    import shutil

    out, _ = fed
    county = tmp_path / "county"
    shutil.copytree(out / "county", county, symlinks=True)
    page = f"reports/{MINE_COUNTY}.html"
    site = tmp_path / "site"
    proc = baosong(county, "build", "--out", str(site), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    up = (site / page).read_text(encoding="utf-8")
    up = up[up.index('id="forwarded-up"'):]
    assert f'href="/city/reports/{MINE_CITY}.html"' in up and "上级收到 2026-11-11 10:15，按时" in up
    # Without the city's receipts (never fetched, or refused) the county only has its own claim.
    git(county, "update-ref", "-d", "refs/baosong/upstream/jiangzhou/receipts")
    proc = baosong(county, "build", "--out", str(tmp_path / "site2"), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    up = (tmp_path / "site2" / page).read_text(encoding="utf-8")
    up = up[up.index('id="forwarded-up"'):]
    assert "本机关提交 2026-11-11 10:09，尚无上级回执，已报送，待回执" in up, up[:600]
