"""Forwarding with provenance (issue 13): `baosong forward` from a lower registry into an upper one, and
the upper registry's check (file mode, PR mode, register) verifying the origin's signed receipt.

Real repositories with SSH-signed commits and real receipts (`baosong receive`): the lower registry
"nanshan" is unit dcq of the upper registry "province", whose units.yaml lists nanshan's receipt key.
"""

from __future__ import annotations

import json
import shutil

import pytest
import trust_helpers as th
import yaml

FIRST_AT = "2026-11-25T10:30:00+08:00"
RECEIVED = "2026-11-25T10:50:00+08:00"
FORWARD_AT = "2026-11-25T11:10:00+08:00"
CHECK_AT = "2026-11-25T11:20:00+08:00"


def followup(incident: str) -> tuple[str, str]:
    rid = "gaj-20261125-wanghao-02"
    doc = {"id": rid, "kind": "emergency", "unit": "gaj", "title": "某路段交通事故（第1次续报）",
           "created_at": "2026-11-25T12:00:00+08:00", "author": "wanghao", "signer": "liuzhenhua",
           "stage": "followup", "incident": incident, "sequence": 1, "description": "一名伤者经抢救无效死亡。",
           "casualties": {"deaths": 1, "serious_injuries": 0, "injuries": 2, "missing": 0}, "grade": "IV",
           "trend": "善后处置中。", "measures": "家属已安抚。"}
    return f"reports/2026/gaj/{rid}.yaml", th._dump(doc)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def lower(world, tmp_path_factory):
    """nanshan: a first report and its follow-up merged and receipted; an info item merged, no receipt."""
    units = world.units_doc()
    units["registry"]["id"] = "nanshan"
    reg = world.registry(tmp_path_factory.mktemp("lower") / "nanshan", units)
    first_path, first_text = th.emergency("gaj", "wanghao", "liuzhenhua", created=FIRST_AT)
    for n, (path, text) in enumerate([(first_path, first_text), followup("gaj-20261125-wanghao-01")]):
        reg.branch(f"pr{n}")
        reg.add_report(path, text, signer="wanghao", date=FIRST_AT)
        reg.merge(f"pr{n}", date=RECEIVED)
    proc = reg.baosong("receive", "--key", str(world.keys["registry"]), "--now", RECEIVED)
    assert proc.returncode == 0, proc.stderr
    reg.branch("pr-info")
    path, text = th.info("gaj", "wanghao", "liuzhenhua", n=3)
    reg.add_report(path, text, signer="wanghao", date=FIRST_AT)
    reg.merge("pr-info", date=RECEIVED)
    reg.checkout("main")
    return reg


def upper_units(world, **lower_registry) -> dict:
    units = world.units_doc()
    units["registry"] = {"id": "province", "principal": "registry@xxk", "keys": [world.pub("newkey")]}
    entry = {"id": "nanshan", "keys": [world.pub("registry")]}
    entry.update(lower_registry)
    for u in units["units"]:
        if u["code"] == "dcq":
            u["registry"] = entry
    return units


@pytest.fixture
def upper(world, tmp_path):
    return world.registry(tmp_path / "province", upper_units(world))


def forward(lower, upper, report_id, *extra):
    return lower.baosong("forward", report_id, "--to", str(upper.root), "--now", FORWARD_AT, *extra)


def written(upper, proc) -> str:
    """The path (relative to the upper checkout) `forward` wrote."""
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.relative_to(upper.root).as_posix() for p in (upper.root / "reports").rglob("*.yaml"))
    assert files, proc.stdout
    return files[-1]


def file_check(upper, path) -> tuple[int, list[dict]]:
    proc = upper.baosong("check", path, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def pr_check(upper, path) -> tuple[int, list[dict]]:
    upper.branch("fw")
    upper.commit("转报", signer="lijing", date=FORWARD_AT, paths=[path])
    proc = upper.baosong("check", "--base", "main", "--now", CHECK_AT, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def errors(problems: list[dict]) -> set[str]:
    return {p["rule"] for p in problems if p["severity"] == "error"}


def test_forwarded_report_verifies_upstairs_in_every_mode(lower, upper):
    proc = forward(lower, upper, "gaj-20261125-wanghao-01")
    path = written(upper, proc)
    assert path == "reports/2026/dcq/dcq-20261125-lijing-01.yaml"
    assert "git push origin report/dcq-20261125-lijing-01" in proc.stdout and "合并请求" in proc.stdout
    doc = yaml.safe_load((upper.root / path).read_text())
    origin_text = lower.git("show", "main:reports/2026/gaj/gaj-20261125-wanghao-01.yaml") + "\n"
    ff = doc["forwarded_from"]
    assert (doc["unit"], doc["author"], doc["signer"]) == ("dcq", "lijing", "sunweidong")
    assert (ff["registry"], ff["id"], ff["origin"]) == ("nanshan", "gaj-20261125-wanghao-01", origin_text)
    assert ff["blob"] == lower.git("rev-parse", "main:reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert ff["received_at"] == RECEIVED and json.loads(ff["receipt"])["blob"] == ff["blob"]
    raw = (upper.root / path).read_text()
    assert "\\" not in raw and "  receipt: '{" in raw  # no escapes: `check --base` need not parse it for every PR
    assert doc["casualties"] == {"deaths": 0, "serious_injuries": 1, "injuries": 2, "missing": 0}
    assert file_check(upper, path) == (0, [])
    assert pr_check(upper, path) == (0, [])
    upper.merge("fw", date=CHECK_AT)
    reg = json.loads(upper.baosong("registry", "--format", "json", "--now", CHECK_AT).stdout)
    assert reg["invalid"] == []
    record = next(r for r in reg["reports"] if r["path"] == path)
    assert record["forwarded_from"] == {"registry": "nanshan", "id": "gaj-20261125-wanghao-01",
                                        "blob": ff["blob"], "received_at": RECEIVED}
    chain = upper.baosong("verify", "--chain", "dcq-20261125-lijing-01")
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert "回执签名有效" in chain.stdout and "nanshan" in chain.stdout and "gaj-20261125-wanghao-01" in chain.stdout


def test_report_without_receipt_is_not_forwarded(lower, upper):
    proc = forward(lower, upper, "gaj-20261125-wanghao-03")
    assert proc.returncode == 1
    assert "还没有登记回执" in proc.stderr and "git fetch origin" in proc.stderr
    assert not list((upper.root / "reports").rglob("*.yaml"))


def _swap_receipt(lower, text: str) -> str:
    """The forward with the receipt (and its valid signature) of the follow-up instead of the first report."""
    other = lower.git("rev-parse", "main:reports/2026/gaj/gaj-20261125-wanghao-02.yaml")
    raw = lower.git("show", f"refs/baosong/receipts:receipts/{other[:2]}/{other}.json")
    sig = lower.git("show", f"refs/baosong/receipts:receipts/{other[:2]}/{other}.json.sig")
    doc = yaml.safe_load(text)
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("  receipt: "):
            out.append("  receipt: " + json.dumps(raw, ensure_ascii=False))
        elif line.startswith("  receipt_signature: |"):
            out.append(line)
            out.extend("    " + s for s in sig.split("\n"))
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                i += 1
            continue
        else:
            out.append(line)
        i += 1
    assert doc["forwarded_from"]["receipt"] != raw
    return "\n".join(out)


FORGERIES = {
    # the receipt signed by a key the upper registry does not list for nanshan
    "wrong_key": ("units", "forward-receipt-signature"),
    # the origin text edited (a figure lowered inside the quoted original)
    "edited_origin": (lambda lower, t: t.replace("    casualties:\n      deaths: 0", "    casualties:\n      deaths: 5"),
                      "forward-origin-blob"),
    # a genuine, validly signed receipt, but for another blob (the follow-up)
    "receipt_of_another_blob": (_swap_receipt, "forward-receipt-blob"),
    # the receipt's signature edited
    "bad_signature": (lambda lower, t: t.replace("  receipt: '{", "  receipt: '{\"x\":1,", 1),
                      "forward-receipt-signature"),
    # nanshan's report filed upstairs by another lower registry's unit (xhq = beilin)
    "another_registry": (lambda lower, t: t.replace("unit: dcq", "unit: xhq"), "forward-registry"),
}


@pytest.mark.parametrize("case", sorted(FORGERIES))
def test_forged_provenance_is_refused_in_file_and_pr_mode(world, lower, upper, case):
    edit, rule = FORGERIES[case]
    units = upper_units(world)
    if case == "wrong_key":
        units = upper_units(world, keys=[world.pub("outsider")])
    if case == "another_registry":
        for u in units["units"]:
            if u["code"] == "xhq":
                u["registry"] = {"id": "beilin", "keys": [world.pub("outsider")]}
    upper.write_units(units)
    upper.commit("units", signer="wangli", date=th.T0)
    path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01")) if case != "wrong_key" else None
    if path is None:  # forward itself refuses to write what the upper check refuses: write it as a forger would
        proc = forward(lower, upper, "gaj-20261125-wanghao-01")
        assert proc.returncode == 1 and "forward-receipt-signature" in proc.stderr
        upper.write_units(upper_units(world))
        path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
        upper.write_units(units)
    else:
        text = (upper.root / path).read_text()
        new = edit(lower, text)
        assert new != text
        if case == "another_registry":
            target = path.replace("/dcq/", "/xhq/").replace("dcq-", "xhq-").replace("lijing", "chenxue")
            new = new.replace("dcq-20261125-lijing-01", target.rsplit("/", 1)[1][:-5]).replace(
                "author: lijing", "author: chenxue").replace("signer: sunweidong", "signer: xuguoqiang")
            (upper.root / path).unlink()
            path = target
        upper.write(path, new)
    code, problems = file_check(upper, path)
    assert code == 1 and rule in errors(problems), problems
    hit = next(p for p in problems if p["rule"] == rule)
    assert hit["field"].startswith("forwarded_from") and hit["line"] > 1 and "forwarded_from" not in hit["message"][:0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in hit["message"])
    if case == "receipt_of_another_blob":
        assert "forward-receipt-signature" not in errors(problems)  # the receipt is genuine, just not this one's
    code, problems = pr_check(upper, path) if case != "another_registry" else _pr_check_as(upper, path, "chenxue-cert")
    assert code == 1 and rule in errors(problems), problems


def _pr_check_as(upper, path, signer):
    upper.branch("fw")
    upper.commit("转报", signer=signer, date=FORWARD_AT, paths=[path])
    proc = upper.baosong("check", "--base", "main", "--now", CHECK_AT, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_lowered_figure_is_refused_unless_declared(lower, upper):
    path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    text = (upper.root / path).read_text()
    lowered = text.replace("  serious_injuries: 1", "  serious_injuries: 0", 1)
    assert lowered != text
    upper.write(path, lowered)
    code, problems = file_check(upper, path)
    assert code == 1 and "forward-figure-lowered" in errors(problems)
    hit = next(p for p in problems if p["rule"] == "forward-figure-lowered")
    assert hit["field"] == "casualties.serious_injuries" and "瞒报" in hit["message"]
    assert lowered.split("\n")[hit["line"] - 1].strip().startswith("serious_injuries: 0")
    # Another fact changed silently (not a figure): refused too, under its own rule.
    upper.write(path, text.replace('place: "江州市某路段"', 'place: "江州市另一路段"', 1))
    assert "forward-fact-changed" in errors(file_check(upper, path)[1])
    (upper.root / path).unlink()

    # Declared with a real reason: accepted, and the change is shown.
    reason = "经医院复核，该伤者伤情鉴定为轻伤，不属重伤"
    proc = forward(lower, upper, "gaj-20261125-wanghao-01", "--change", "casualties.serious_injuries=0",
                   "--reason", reason)
    path = written(upper, proc)
    assert "forward-change-declared" in proc.stderr
    doc = yaml.safe_load((upper.root / path).read_text())
    assert doc["casualties"]["serious_injuries"] == 0
    assert doc["forwarded_from"]["changes"] == [{"field": "casualties.serious_injuries", "from": 1, "to": 0,
                                                 "reason": reason}]
    code, problems = file_check(upper, path)
    assert code == 0 and [p["rule"] for p in problems] == ["forward-change-declared"]
    assert reason in problems[0]["message"]
    assert pr_check(upper, path)[0] == 0

    # A reason that is no text, or a declaration that does not match the file: refused.
    text = (upper.root / path).read_text()
    upper.write(path, text.replace(reason, "。。。。。。"))
    assert "forward-change-reason" in errors(file_check(upper, path)[1])
    upper.write(path, text.replace("from: 1, to: 0", "from: 1, to: 1"))
    assert "forward-change-mismatch" in errors(file_check(upper, path)[1])


def test_followup_forwards_into_the_upstairs_incident(lower, upper):
    proc = forward(lower, upper, "gaj-20261125-wanghao-02")
    assert proc.returncode == 1 and "请先转报首报" in proc.stderr
    first = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    upper.commit("首报转报", signer="lijing", date=FORWARD_AT, paths=[first])
    proc = lower.baosong("forward", "gaj-20261125-wanghao-02", "--to", str(upper.root), "--now",
                         "2026-11-25T12:30:00+08:00")
    path = written(upper, proc)
    doc = yaml.safe_load((upper.root / path).read_text())
    assert (doc["stage"], doc["incident"], doc["sequence"]) == ("followup", "dcq-20261125-lijing-01", 1)
    assert doc["forwarded_from"]["id"] == "gaj-20261125-wanghao-02"
    assert file_check(upper, path) == (0, [])
    # Attached upstairs to an incident that is not the forward of its origin's incident: refused.
    own_path, own_text = th.emergency("dcq", "lijing", "sunweidong", n=5)
    upper.add_report(own_path, own_text, signer="lijing", date=FORWARD_AT)
    text = (upper.root / path).read_text()
    upper.write(path, text.replace("incident: dcq-20261125-lijing-01", "incident: dcq-20261125-lijing-05"))
    code, problems = file_check(upper, path)
    assert code == 1 and "forward-incident" in errors(problems), problems


def test_forged_forward_on_main_is_invalid_in_the_register(lower, upper):
    path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    text = (upper.root / path).read_text()
    upper.write(path, text.replace("  serious_injuries: 1", "  serious_injuries: 0", 1))
    upper.commit("转报", signer="lijing", date=FORWARD_AT, paths=[path])
    reg = json.loads(upper.baosong("registry", "--format", "json", "--now", CHECK_AT).stdout)
    assert [r["path"] for r in reg["reports"]] == []
    bad = reg["invalid"][0]
    assert bad["path"] == path and "forward-figure-lowered" in {p["rule"] for p in bad["problems"]}
    chain = upper.baosong("verify", "--chain", "dcq-20261125-lijing-01")
    assert chain.returncode == 1 and "forward-figure-lowered" in chain.stdout


def test_registry_ids_are_checked_in_units_yaml(world, tmp_path):
    units = upper_units(world)
    for u in units["units"]:
        if u["code"] == "xhq":
            u["registry"] = {"id": "nanshan", "keys": [world.pub("outsider")]}
    reg = world.registry(tmp_path / "p", units)
    proc = reg.baosong("check", "--format", "json")
    assert "config-registry-id" in {p["rule"] for p in json.loads(proc.stdout)}
    shutil.rmtree(tmp_path / "p")


def test_a_forward_forwards_again_one_level_up(world, lower, upper, tmp_path):
    """county (nanshan) → city (the `upper` fixture, registry id "province" here) → top: the city forwards its
    own forward; the top registry verifies the city's receipt, and the chain names the level below."""
    path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    upper.branch("fw")
    upper.commit("转报", signer="lijing", date=FORWARD_AT, paths=[path])
    upper.merge("fw", date=CHECK_AT)
    proc = upper.baosong("receive", "--key", str(world.keys["newkey"]), "--now", CHECK_AT)
    assert proc.returncode == 0, proc.stderr
    units = world.units_doc()
    units["registry"] = {"id": "top", "principal": "registry@xxk", "keys": [world.pub("outsider")]}
    for u in units["units"]:
        if u["code"] == "xhq":
            u["registry"] = {"id": "province", "keys": [world.pub("newkey")]}
    top = world.registry(tmp_path / "top", units)
    proc = upper.baosong("forward", "dcq-20261125-lijing-01", "--to", str(top.root), "--now", "2026-11-25T11:40:00+08:00")
    up = written(top, proc)
    assert up == "reports/2026/xhq/xhq-20261125-chenxue-01.yaml"
    doc = yaml.safe_load((top.root / up).read_text())
    assert doc["forwarded_from"]["registry"] == "province" and doc["forwarded_from"]["id"] == "dcq-20261125-lijing-01"
    inner = yaml.safe_load(doc["forwarded_from"]["origin"])
    assert inner["forwarded_from"]["id"] == "gaj-20261125-wanghao-01"  # the city's provenance travels inside
    assert file_check(top, up) == (0, [])
    top.commit("转报", signer="chenxue-cert", date="2026-11-25T11:40:00+08:00", paths=[up])
    chain = top.baosong("verify", "--chain", "xhq-20261125-chenxue-01")
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert "该报告本身也是转报" in chain.stdout and "baosong verify --chain dcq-20261125-lijing-01" in chain.stdout
    levels = json.loads(top.baosong("verify", "--chain", "xhq-20261125-chenxue-01", "--format", "json").stdout)
    assert [(lv["level"], lv["registry"], lv["id"], lv["verified"], lv["verify_in"]) for lv in levels] == [
        (1, "top", "xhq-20261125-chenxue-01", True, None), (2, "province", "dcq-20261125-lijing-01", None, "province")]
    assert levels[0]["forwarded_from"]["registry"] == "province"


def test_a_report_is_forwarded_only_once(lower, upper):
    path = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    proc = forward(lower, upper, "gaj-20261125-wanghao-01")
    assert proc.returncode == 1 and "已经转报过" in proc.stderr and path in proc.stderr
    upper.branch("first")
    upper.commit("转报", signer="lijing", date=FORWARD_AT, paths=[path])
    upper.merge("first", date=FORWARD_AT)
    # A second forward of the same origin written by hand (a copy under a new id): refused by the check.
    second = path.replace("-01.yaml", "-02.yaml")
    upper.write(second, (upper.root / path).read_text().replace("lijing-01", "lijing-02"))
    code, problems = pr_check(upper, second)
    assert code == 1 and "forward-duplicate" in errors(problems), problems
    hit = next(p for p in problems if p["rule"] == "forward-duplicate")
    assert hit["path"] == second and path in hit["message"] and hit["line"] > 1


def test_cross_file_forward_rules_hold_in_the_register_when_main_was_pushed_past_the_check(lower, upper):
    """A duplicate forward and a forwarded follow-up joined to the wrong incident, committed straight to main
    (an administrator's push, no pull request): the register sets them aside with the check's verdicts."""
    first = written(upper, forward(lower, upper, "gaj-20261125-wanghao-01"))
    upper.commit("转报首报", signer="lijing", date=FORWARD_AT, paths=[first])
    proc = lower.baosong("forward", "gaj-20261125-wanghao-02", "--to", str(upper.root), "--now",
                         "2026-11-25T12:30:00+08:00")
    follow = written(upper, proc)
    own_path, own_text = th.emergency("dcq", "lijing", "sunweidong", n=5)
    upper.write(own_path, own_text)
    text = (upper.root / follow).read_text()
    assert "incident: dcq-20261125-lijing-01" in text
    upper.write(follow, text.replace("incident: dcq-20261125-lijing-01", "incident: dcq-20261125-lijing-05"))
    second = first.replace("-01.yaml", "-03.yaml")
    upper.write(second, (upper.root / first).read_text().replace("lijing-01", "lijing-03"))
    # A third copy, forged besides (a figure lowered): invalid on its own, and still a duplicate for both rules.
    forged = first.replace("-01.yaml", "-04.yaml")
    upper.write(forged, (upper.root / first).read_text().replace("lijing-01", "lijing-04").replace(
        "  serious_injuries: 1", "  serious_injuries: 0", 1))
    upper.commit("直接推送", signer="lijing", date="2026-11-25T12:40:00+08:00")
    assert upper.git("rev-parse", "--abbrev-ref", "HEAD") == "main"

    proc = upper.baosong("check", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    checked = [p for p in json.loads(proc.stdout) if p["severity"] == "error"]
    assert {(p["path"], p["rule"]) for p in checked} == {
        (first, "forward-duplicate"), (second, "forward-duplicate"), (follow, "forward-incident"),
        (forged, "forward-duplicate"), (forged, "forward-figure-lowered")}

    proc = upper.baosong("registry", "--format", "json", "--now", CHECK_AT)
    assert proc.returncode == 0, proc.stderr
    reg = json.loads(proc.stdout)
    # The same verdicts, lines and messages as the check; none of the three counts as a report.
    keys = ("line", "column", "field", "rule", "message")
    assert {(bad["path"], *(p[k] for k in keys)) for bad in reg["invalid"] for p in bad["problems"]} == {
        (p["path"], *(p[k] for k in keys)) for p in checked}
    assert {r["path"] for r in reg["reports"]} == {own_path}
    assert reg["summary"]["invalid"] == 4 and reg["summary"]["reports"] == 1
    assert all(bad["blob"] and bad["received_at"] for bad in reg["invalid"])
    # From the register cache (kept fields, shadows of the invalid ones): the same register.
    warm = upper.baosong("registry", "--format", "json", "--now", CHECK_AT)
    assert json.loads(warm.stdout) == reg and (upper.root / ".git" / "baosong-cache" / "register.json").is_file()
    # The table names the rule of each set-aside file, as it does for the per-file verdicts.
    table = upper.baosong("registry", "--now", CHECK_AT).stdout
    assert f"{second}:" in table and "[forward-duplicate]" in table and f"{follow}:" in table and \
        "[forward-incident]" in table
    # The portal lists them where it lists every file that failed the check.
    site = upper.root.parent / "site"
    proc = upper.baosong("build", "--out", str(site), "--now", CHECK_AT)
    assert proc.returncode == 0, proc.stderr
    page = (site / "registers" / "index.html").read_text(encoding="utf-8")
    failed = page[page.index("未通过检查的文件"):]
    assert all(p in failed for p in (first, second, forged, follow)) and own_path not in failed
    assert "同一份报告只能转报一次" in failed and "不是该事件首报的转报" in failed
