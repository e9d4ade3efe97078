"""The registry office's own upward duties (issue 13): policy rules, the verdicts at their boundaries,
and the loop closed downward with real repositories — a city registry, a province registry with its own
receipt key, forwards written by hand as FORWARD-FORMAT.md describes, `baosong upstream fetch`, and a
forged upper receipt that must not be believed."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import trust_helpers as th
import yaml
from baosong.receipts import RECEIPTS_REF, canonical, receipt_path
from baosong.records import Deadline
from baosong.signatures import RECEIPT_NAMESPACE, sign
from baosong.timeutil import parse_datetime
from baosong.upstream import Forward, UpstreamLinks
from baosong.upward import duty_deadlines, judge_duty, upward_duties

POLICY = yaml.safe_load((th.REPO / "config" / "policy.yaml").read_text(encoding="utf-8"))
OCC = "2026-11-25T10:00:00+08:00"
NOW = "2026-11-27T00:00:00+08:00"


def t(text: str) -> datetime:
    when = parse_datetime(text)
    assert when is not None
    return when


# ------------------------------------------------------------------------------------------------
# Pure: which duties apply, and the verdict at its boundaries


def duties(grade: str | None, sensitive: bool = False, category: str = "traffic", **clocks: str) -> dict[str, Deadline]:
    found = duty_deadlines(POLICY, category=category, grades=[grade], sensitive=sensitive,
                           clocks={"occurred_at": OCC, **clocks})
    return {d.rule: d for d in found}


def test_shipped_policy_sends_grade_iii_up_to_the_province_and_ii_to_the_centre():
    assert set(duties("IV")) == set()
    assert set(duties("III")) == {"to-province"}
    assert set(duties("II")) == {"to-province", "to-centre"}
    assert set(duties("I")) == {"to-province", "to-centre"}
    d = duties("II")
    assert d["to-province"].at == t("2026-11-25T14:00:00+08:00")   # 4 h
    assert d["to-centre"].at == t("2026-11-25T16:00:00+08:00")     # 6 h
    assert d["to-province"].missed_at == d["to-centre"].missed_at == t("2026-11-26T10:00:00+08:00")  # 24 h


def test_sensitive_events_go_up_whatever_their_grade():
    d = duties("IV", sensitive=True)
    assert set(d) == {"to-province-sensitive", "to-centre-sensitive"}
    # A grade under-declared does not escape the duty: the most severe grade of the series counts.
    found = duty_deadlines(POLICY, category="traffic", grades=["IV", "III", None], sensitive=False,
                           clocks={"occurred_at": OCC})
    assert [x.rule for x in found] == ["to-province"]


def _forward(received: str | None = None, own: str | None = None, reason: str | None = None) -> Forward:
    return Forward("province", "gaj-1", "jzs-1", "reports/2026/jzs/jzs-1.yaml", "0" * 40,
                   t(received) if received else None, t(own) if own else None, reason)


@pytest.mark.parametrize(("received", "status", "delay"), [
    ("2026-11-25T13:59:00+08:00", "on_time", 0),
    ("2026-11-25T14:00:00+08:00", "on_time", 0),    # exactly at the due time
    ("2026-11-25T14:01:00+08:00", "late", 1),       # one minute after
    ("2026-11-26T10:00:00+08:00", "late", 1200),    # exactly 24 h after the event: still late
    ("2026-11-26T10:01:00+08:00", "missed", 1201),  # beyond 24 h: 漏报
])
def test_verdict_by_upper_receipt_at_the_boundaries(received, status, delay):
    deadline = duties("III")["to-province"]
    duty = judge_duty("province", deadline, [_forward(received, reason="夜间值班人员未及时转报上级")],
                      t("2026-11-30T00:00:00+08:00"), True)
    assert (duty.status, duty.delay_minutes, duty.source) == (status, delay, "upper_receipt")
    assert duty.done_at == t(received)
    assert duty.delay_reason == (None if status == "on_time" else "夜间值班人员未及时转报上级")


@pytest.mark.parametrize(("now", "status"), [
    ("2026-11-25T14:00:00+08:00", "not_due"),
    ("2026-11-25T14:01:00+08:00", "overdue"),
    ("2026-11-26T10:00:00+08:00", "overdue"),
    ("2026-11-26T10:01:00+08:00", "missed"),
])
def test_verdict_without_any_forward(now, status):
    duty = judge_duty("province", duties("III")["to-province"], [], t(now), True)
    assert (duty.status, duty.done_at, duty.delay_minutes) == (status, None, None)


def test_pending_receipt_is_judged_by_the_office_own_time_and_a_receipt_wins():
    deadline = duties("III")["to-province"]
    now = t("2026-11-27T00:00:00+08:00")
    pending = judge_duty("province", deadline, [_forward(own="2026-11-25T14:30:00+08:00", reason="原因写在上级")], now, True)
    assert (pending.status, pending.delay_minutes, pending.source) == ("pending_receipt", 30, "own")
    assert pending.delay_reason == "原因写在上级"
    # Another forward of the same incident with a believed receipt decides it.
    both = judge_duty("province", deadline, [_forward(own="2026-11-25T13:00:00+08:00"),
                                             _forward(received="2026-11-25T15:00:00+08:00")], now, True)
    assert (both.status, both.delay_minutes) == ("late", 60)


def test_a_destination_without_an_upper_registry_is_untracked():
    links = UpstreamLinks(to={"province": "province"})
    found = upward_duties(POLICY, t("2026-11-27T00:00:00+08:00"), links, category="traffic", grades=["II"],
                          sensitive=False, clocks={"occurred_at": OCC}, report_ids=["x"])
    assert {(d.to, d.status) for d in found} == {("province", "missed"), ("national", "untracked")}


# ------------------------------------------------------------------------------------------------
# Real repositories: a city registry below, a province registry above


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("city")), th.World(tmp_path_factory.mktemp("province"))


def _upper_units(upper: th.World, lower: th.World) -> dict:
    doc = upper.units_doc()
    doc["registry"]["id"] = "province"
    # The city office is a unit of the province's registry; its officer signs with the key she uses below.
    doc["units"].append({"code": "jzs", "name": "江州市", "level": "city", "parent": None, "ca": None,
                         "staff": [{"id": "jzwangli", "name": "王丽", "roles": ["officer"],
                                    "principal": "jzwangli@jzs", "keys": [lower.pub("wangli")]}]})
    return doc


def _lower_units(lower: th.World, upper: th.World, upper_path: Path) -> dict:
    doc = lower.units_doc()
    doc["registry"]["id"] = "jiangzhou"
    doc["upstream"] = [{"id": "province", "name": "省委办公厅信息处", "to": "province", "unit": "jzs",
                        "url": str(upper_path), "keys": [upper.pub("registry")]}]
    return doc


CASES = {  # incident -> (grade, sensitive, upper receipt time or None, delay_reason upstairs)
    "a": ("III", False, "2026-11-25T14:00:00+08:00", None),                       # exactly at due
    "b": ("III", False, "2026-11-25T14:01:00+08:00", "转报时系统故障，延误一分钟"),  # one minute after
    "c": ("II", False, "2026-11-26T10:00:00+08:00", "夜间值守人员未及时核实上报"),   # exactly 24 h
    "d": ("III", False, "2026-11-26T10:01:00+08:00", "<b>值班记录遗漏</b>，次日才发现未报"),  # beyond 24 h; markup
    "e": ("III", False, None, None),                                               # never forwarded
    "f": ("IV", True, None, "敏感事件研判用时较长"),                                  # forwarded, no receipt yet
    "g": ("IV", False, None, None),                                                # no duty at all
}


def _forwarded(origin_path: str, origin_text: str, origin_id: str, blob: str, receipt: bytes, receipt_sig: bytes,
               n: int, reason: str | None) -> tuple[str, str]:
    """A forwarded report as FORWARD-FORMAT.md describes it: a report of the city office upstairs."""
    doc = yaml.safe_load(origin_text)
    rid = f"jzs-20261125-jzwangli-{n:02d}"
    doc.update({"id": rid, "unit": "jzs", "author": "jzwangli", "signer": "jzwangli"})
    if reason:
        doc["delay_reason"] = reason
    received = json.loads(receipt)["received_at"]
    doc["forwarded_from"] = {"registry": "jiangzhou", "id": origin_id, "path": origin_path, "blob": blob,
                             "received_at": received, "origin": origin_text, "receipt": receipt.decode().strip(),
                             "receipt_signature": receipt_sig.decode()}
    return f"reports/2026/jzs/{rid}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module")
def chain(worlds, tmp_path_factory):
    lower_w, upper_w = worlds
    root = tmp_path_factory.mktemp("chain")
    upper = upper_w.registry(root / "province", _upper_units(upper_w, lower_w))
    upper_w.keys["jzwangli"] = lower_w.keys["wangli"]  # the city officer's key, used upstairs
    lower = lower_w.registry(root / "city", _lower_units(lower_w, upper_w, upper.root))
    origins = {}
    for n, (name, (grade, sensitive, _, _)) in enumerate(CASES.items(), start=1):
        extra: dict = {"grade": grade}
        if sensitive:
            extra.update(sensitive=True, sensitive_reason="事发地点临近重要会议会场")
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=n, occurred=OCC,
                                  created="2026-11-25T10:20:00+08:00", **extra)
        lower.add_report(path, text, signer="wanghao", date="2026-11-25T10:30:00+08:00")
        origins[name] = (path, text, yaml.safe_load(text)["id"])
    proc = lower.baosong("receive", "--key", str(lower_w.keys["registry"]), "--now", "2026-11-25T10:31:00+08:00")
    assert proc.returncode == 0, proc.stderr
    store = lower.head(RECEIPTS_REF)
    for n, (name, (_, _, received, reason)) in enumerate(CASES.items(), start=1):
        if name in ("e", "g"):
            continue
        path, text, rid = origins[name]
        blob = lower.git("rev-parse", f"main:{path}")
        receipt = lower.git("show", f"{store}:{receipt_path(blob)}").encode() + b"\n"
        sig = lower.git("show", f"{store}:{receipt_path(blob, '.json.sig')}").encode() + b"\n"
        fpath, ftext = _forwarded(path, text, rid, blob, receipt, sig, n, reason)
        if received is None:  # pushed upstairs as a pull request branch; no receipt yet
            upper.branch(f"forward-{name}")
            upper.add_report(fpath, ftext, signer="jzwangli", date="2026-11-25T14:30:00+08:00")
            upper.checkout("main")
            continue
        when = t(received)
        upper.add_report(fpath, ftext, signer="jzwangli", date=(when - timedelta(minutes=1)).isoformat())
        proc = upper.baosong("receive", "--key", str(upper_w.keys["registry"]), "--now", received)
        assert proc.returncode == 0, proc.stderr
    return lower, upper, origins


def _upward(lower: th.Registry, now: str) -> dict[str, list[dict]]:
    proc = lower.baosong("registry", "--format", "json", "--now", now)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return {i["id"]: i["upward"] for i in data["incidents"]}


def test_upstream_fetch_imports_receipts_into_their_own_refs(chain):
    lower, upper, _ = chain
    own_store = lower.head(RECEIPTS_REF)
    proc = lower.baosong("upstream", "fetch")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "本登记库转报 5 份，已获上级回执 4 份" in proc.stdout
    refs = lower.git("for-each-ref", "--format=%(refname)", "refs/baosong/").split()
    assert "refs/baosong/upstream/province/receipts" in refs
    assert "refs/baosong/upstream/province/heads/main" in refs
    assert "refs/baosong/upstream/province/heads/forward-f" in refs
    assert lower.head(RECEIPTS_REF) == own_store  # the lower's own store is untouched
    assert lower.head("refs/baosong/upstream/province/receipts") == upper.head(RECEIPTS_REF)


def test_upward_duty_follows_the_upper_receipts_in_every_state(chain):
    lower, _, origins = chain
    assert lower.baosong("upstream", "fetch").returncode == 0
    ids = {name: origins[name][2] for name in CASES}
    before = _upward(lower, "2026-11-25T13:00:00+08:00")
    after = _upward(lower, "2026-11-27T00:00:00+08:00")
    province = {name: next(d for d in after[ids[name]] if d["to"] == "province") for name in "abcdef"}
    got = {name: (d["status"], d["delay_minutes"], d["done_at"]) for name, d in province.items()}
    assert got == {
        "a": ("on_time", 0, "2026-11-25T14:00:00+08:00"),
        "b": ("late", 1, "2026-11-25T14:01:00+08:00"),
        "c": ("late", 1200, "2026-11-26T10:00:00+08:00"),
        "d": ("missed", 1201, "2026-11-26T10:01:00+08:00"),
        "e": ("missed", None, None),
        "f": ("pending_receipt", 30, "2026-11-25T14:30:00+08:00"),
    }
    assert province["b"]["delay_reason"] == "转报时系统故障，延误一分钟"  # from the forwarded report upstairs
    assert province["a"]["delay_reason"] is None and province["a"]["source"] == "upper_receipt"
    assert province["f"]["source"] == "own" and province["f"]["delay_reason"] == "敏感事件研判用时较长"
    assert province["a"]["report"] == "jzs-20261125-jzwangli-01" and province["a"]["upstream"] == "province"
    # Grade II also goes to the centre; no registry for the centre is configured: untracked, not "missed".
    assert [d["status"] for d in after[ids["c"]] if d["to"] == "national"] == ["untracked"]
    assert after[ids["g"]] == []
    # Before the due time, the one never forwarded is not due yet; then overdue, then missed.
    assert next(d for d in before[ids["e"]] if d["to"] == "province")["status"] == "not_due"
    mid = _upward(lower, "2026-11-25T16:00:00+08:00")
    assert next(d for d in mid[ids["e"]] if d["to"] == "province")["status"] == "overdue"


def test_a_forged_upper_receipt_is_refused_and_shown(chain, worlds, tmp_path):
    lower, upper, origins = chain
    lower_w, _ = worlds
    # Someone between the registries serves a copy of the province registry whose receipts store
    # says the pending forward arrived on time — signed with a key the city never registered.
    forger = tmp_path / "forger"
    th.run(["git", "clone", "-q", str(upper.root), str(forger)], env=lower_w.env)
    env = {**lower_w.env, "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
           "GIT_COMMITTER_EMAIL": "x@x"}
    th.run(["git", "fetch", "-q", "--update-head-ok", "origin", "+refs/heads/*:refs/heads/*",
            f"+{RECEIPTS_REF}:{RECEIPTS_REF}"], cwd=forger, env=env)
    th.run(["git", "checkout", "-q", "forward-f"], cwd=forger, env=env)
    fpath = next(p for p in th.run(["git", "ls-tree", "-r", "--name-only", "HEAD", "reports/2026/jzs"], cwd=forger,
                                   env=env).stdout.decode().split())
    blob = th.run(["git", "rev-parse", f"HEAD:{fpath}"], cwd=forger, env=env).stdout.decode().strip()
    record = {"format": 1, "kind": "receipt", "path": fpath, "blob": blob, "received_at": "2026-11-25T11:00:00+08:00",
              "registry": "registry@xxk", "via": "push"}
    data = canonical(record)
    th.run(["git", "checkout", "-q", "--orphan", "forged"], cwd=forger, env=env)
    th.run(["git", "rm", "-q", "-rf", "."], cwd=forger, env=env)
    target = forger / receipt_path(blob)
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    Path(f"{target}.sig").write_bytes(sign(data, worlds[0].keys["outsider"], RECEIPT_NAMESPACE))
    th.run(["git", "add", "-A"], cwd=forger, env=env)
    th.run(["git", "commit", "-q", "-m", "forged"], cwd=forger, env=env)
    th.run(["git", "update-ref", RECEIPTS_REF, "HEAD"], cwd=forger, env=env)
    th.run(["git", "checkout", "-q", "main"], cwd=forger, env=env)
    th.run(["git", "branch", "-q", "-D", "forged"], cwd=forger, env=env)

    clone = tmp_path / "city"
    shutil.copytree(lower.root, clone)
    city = th.Registry(clone, lower.world)
    assert city.baosong("upstream", "fetch").returncode == 0  # the genuine store first
    genuine = city.head("refs/baosong/upstream/province/receipts")
    # The forged store does not descend from the signed copy fetched before: not taken at all.
    proc = city.baosong("upstream", "fetch", "--id", "province", "--from", str(forger))
    assert proc.returncode == 1 and "upstream-store-rewritten" in proc.stdout, proc.stdout + proc.stderr
    assert city.head("refs/baosong/upstream/province/receipts") == genuine
    fid, aid = origins["f"][2], origins["a"][2]
    assert next(d for d in _upward(city, NOW)[aid] if d["to"] == "province")["status"] == "on_time"
    # With no copy before it, the forged store is fetched, but its receipt is not believed.
    city.git("update-ref", "-d", "refs/baosong/upstream/province/receipts")
    proc = city.baosong("upstream", "fetch", "--id", "province", "--from", str(forger))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "upstream-receipt-refused" in proc.stdout and fpath in proc.stdout and "已忽略" in proc.stdout
    duty = next(d for d in _upward(city, NOW)[fid] if d["to"] == "province")
    assert (duty["status"], duty["done_at"]) == ("pending_receipt", "2026-11-25T14:30:00+08:00")  # not on time
    # The register says so too (stderr); the genuine store replaces a copy no upper key signed.
    reg = city.baosong("registry", "--now", NOW)
    assert "upstream-receipt-refused" in reg.stderr
    assert city.baosong("upstream", "fetch").returncode == 0
    assert city.head("refs/baosong/upstream/province/receipts") == genuine


def test_a_forward_not_signed_by_the_office_is_not_taken_as_done(chain, tmp_path):
    lower, upper, origins = chain
    clone = tmp_path / "province2"
    th.run(["git", "clone", "-q", str(upper.root), str(clone)], env=upper.world.env)
    other = th.Registry(clone, upper.world)
    _, text, rid = origins["e"]
    fpath, ftext = "reports/2026/jzs/jzs-20261125-jzwangli-09.yaml", text.replace("gaj", "jzs")
    doc = yaml.safe_load(ftext)
    doc["forwarded_from"] = {"registry": "jiangzhou", "id": rid}
    other.branch("sneaky")
    # Signed by a province officer, not by the city office: it is no proof that the city reported.
    other.add_report(fpath, yaml.safe_dump(doc, allow_unicode=True), signer="wangli", date="2026-11-25T11:00:00+08:00")
    copy = tmp_path / "city"
    shutil.copytree(lower.root, copy)
    city = th.Registry(copy, lower.world)
    proc = city.baosong("upstream", "fetch", "--id", "province", "--from", str(clone))
    assert "upstream-own-unsigned" in proc.stdout
    duty = next(d for d in _upward(city, "2026-11-27T00:00:00+08:00")[rid] if d["to"] == "province")
    assert duty["status"] == "missed"


def test_an_upstream_configured_twice_is_an_error(worlds, tmp_path):
    lower_w, upper_w = worlds
    units = _lower_units(lower_w, upper_w, tmp_path / "nowhere")
    units["upstream"].append(dict(units["upstream"][0], to="national", keys=list(units["upstream"][0]["keys"])))
    reg = lower_w.registry(tmp_path / "city", units)
    proc = reg.baosong("upstream", "status")
    assert proc.returncode == 1 and "upstream-duplicate" in proc.stdout


def test_no_upstream_fetched_yet_is_said(worlds, tmp_path):
    lower_w, upper_w = worlds
    reg = lower_w.registry(tmp_path / "city", _lower_units(lower_w, upper_w, tmp_path / "nowhere"))
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", grade="III")
    reg.add_report(path, text, signer="wanghao", date="2026-11-25T10:30:00+08:00")
    proc = reg.baosong("upstream", "fetch")
    assert proc.returncode == 2 and "无法从上级登记库“province”" in proc.stderr
    status = reg.baosong("upstream", "status")
    assert "未获取" in status.stdout and "upstream-not-fetched" in status.stdout


def test_portal_shows_the_upward_duties(chain, tmp_path):
    lower, _, origins = chain
    assert lower.baosong("upstream", "fetch").returncode == 0
    out = tmp_path / "site"
    proc = lower.baosong("build", "--out", str(out), "--now", "2026-11-27T00:00:00+08:00")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    incident = (out / "incidents" / f"{origins['b'][2]}.html").read_text(encoding="utf-8")
    section = incident[incident.index("本机关上报义务"):]
    assert "向省报送：Ⅰ、Ⅱ、Ⅲ级事件事发后4小时内" in section and "2026-11-25 14:01" in section
    assert "迟报" in section and "转报时系统故障，延误一分钟" in section and "上级回执" in section
    pending = (out / "incidents" / f"{origins['f'][2]}.html").read_text(encoding="utf-8")
    assert "已报送，待回执" in pending and "未接入上级登记库" in pending
    # An incident with no upward duty has no such table.
    assert "本机关上报义务" not in (out / "incidents" / f"{origins['g'][2]}.html").read_text(encoding="utf-8")
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "本机关上报义务" in home and "漏报 2 项" in home and "registers/upward.html" in home
    page = (out / "registers" / "upward.html").read_text(encoding="utf-8")
    # Duties to a level with no upper registry configured (the centre) say how to link one.
    assert "未接入上级登记库" in page and "config/units.yaml 的 upstream" in page
    # Text read from the upper registry is text: escaped on every page that shows it.
    assert "&lt;b&gt;值班记录遗漏&lt;/b&gt;" in page and "<b>值班" not in page + home
    assert "<b>值班" not in (out / "incidents" / f"{origins['d'][2]}.html").read_text(encoding="utf-8")
    assert page.count('class="bs-status bs-status-') == 8  # one badge per duty (6 to the province, 2 to the centre)


def test_guide_explains_the_upward_duties_from_the_policy():
    from baosong.config import load_config
    from baosong.guide import pages
    from baosong.sources import WorkTree

    text = pages(load_config(WorkTree(th.REPO)))["guide/deadlines.md"]
    section = text[text.index("## 登记机关自身的上报义务"):text.index("## 事件分级标准")]
    assert "国务院令第493号第十条" in section and "敏感事件" in section and "`delay_reason`" in section
    assert section.count("| `to-") == 4 and "6小时" in section and "| 1天 |" in section
