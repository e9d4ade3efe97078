"""Exports: CSV (UTF-8 with BOM), XLSX (opened with openpyxl, cells checked) and JSON, through the
pure functions on the hand-built registry and through `baosong export` on a real signed repository,
whose files must equal the portal's downloads byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import scoring_helpers as h
from baosong.exports import ExportError, Sheet, csv_bytes, export_bytes, xlsx_bytes
from baosong.scoring import parse_period
from trust_helpers import BAOSONG, World

# ---- pure functions on the hand-built registry --------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel and WPS read UTF-8
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


def test_scores_xlsx_cells():
    ctx = h.context()
    wb = openpyxl.load_workbook(io.BytesIO(export_bytes(ctx, "scores", parse_period("2026-Q1"), "xlsx")))
    assert wb.sheetnames == ["积分排名", "计分明细"]
    ws = wb["积分排名"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["排名", "单位代码", "单位"] and header[-1] == "合计" and "采用加分·国家级" in header
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    col = header.index
    assert [(r[0], r[2], r[-1]) for r in rows] == [(1, "江州市东城区", 89), (2, "江州市公安局", 17), (3, "江州市西湖区", 3)]
    dcq = rows[0]
    assert (dcq[col("采用加分·国家级")], dcq[col("少报（条）")], dcq[col("漏报扣分")], dcq[col("任务（条）")]) == (50, 2, -2, 4)
    # Column widths follow the (double-width) Chinese text.
    assert ws.column_dimensions["C"].width >= 14 and ws.column_dimensions["B"].width < ws.column_dimensions["C"].width
    detail = wb["计分明细"]
    dh = [c.value for c in detail[1]]
    entries = {r[dh.index("登记机关记录")].value: r for r in detail.iter_rows(min_row=2) if r[dh.index("登记机关记录")].value}
    national = entries["xxk-20260305-wangli-01"]
    when = national[dh.index("日期")]
    assert when.value == datetime(2026, 3, 5, 15, 0) and when.number_format == "yyyy-mm-dd hh:mm"
    assert national[dh.index("分值")].value == 50 and national[dh.index("报告编号")].value == "dcq-20260203-lijing-01"
    assert "国家级" in national[dh.index("说明")].value
    assert sum(r[dh.index("分值")].value for r in detail.iter_rows(min_row=2) if r[0].value == "dcq") == 89


def test_scores_csv_and_json():
    ctx = h.context(h.second_scheme())
    rows = read_csv(export_bytes(ctx, "scores", parse_period("2026-Q1"), "csv"))
    assert rows[0][:3] == ["排名", "单位代码", "单位"]
    assert [(r[0], r[2], r[-1]) for r in rows[1:]] == [("1", "江州市西湖区", "-2"), ("2", "江州市东城区", "-4"),
                                                      ("3", "江州市公安局", "-16")]
    data = json.loads(export_bytes(ctx, "scores", parse_period("2026"), "json"))
    assert data["scheme"] == "another-2026" and data["period"] == "2026"
    assert [(r["unit"], r["rank"], r["total"]) for r in data["rows"]] == [("dcq", 1, -4), ("xhq", 2, -9),
                                                                          ("gaj", 3, -16)]
    late = next(e for r in data["rows"] for e in r["entries"] if e["id"] == "late:gaj-20260315-wanghao-01")
    assert (late["points"], late["multiplier"], late["date"]) == (-15, 3, "2026-03-15T12:45:00+08:00")
    assert "扣分乘以 3" in late["text"]


def test_bulletin_exports():
    ctx = h.context()
    q1 = parse_period("2026-Q1")
    rows = read_csv(export_bytes(ctx, "bulletin", q1, "csv"))
    assert rows[0] == ["栏目", "序号", "单位代码", "单位", "报告编号", "标题", "说明", "分值"]
    sections = [r[0] for r in rows[1:]]
    assert sections.count("积分排名") == 3 and sections.count("通报批评·迟报") == 2
    missed = next(r for r in rows if r[0] == "通报批评·漏报")
    assert missed[4] == "dcq-20260312-lijing-01" and "超过时限1天1小时" in missed[6] and missed[7] == "-2"
    wb = openpyxl.load_workbook(io.BytesIO(export_bytes(ctx, "bulletin", q1, "xlsx")))
    assert wb.sheetnames == ["正文", "排名", "通报事项"]
    text = [r[0].value for r in wb["正文"].iter_rows(min_row=2)]
    assert text[0] == "关于2026年第一季度信息采用情况的通报" and text[-2:] == ["江州市委办公室信息科", "2026年4月3日"]
    data = json.loads(export_bytes(ctx, "bulletin", q1, "json"))
    assert (data["number"], data["date"], data["category_label"]) == ("2026年第4期", "2026-04-03", "采用情况通报")
    assert [s["heading"] for s in data["sections"] if s["heading"]][:2] == ["一、基本情况", "二、积分排名"]
    assert [x["unit"] for x in data["praised"]["top"]] == ["dcq", "gaj", "xhq"]
    with pytest.raises(ExportError, match="尚未结束"):
        export_bytes(ctx, "bulletin", parse_period("2026-Q2"), "csv")


def test_writers_mask_and_never_write_formulas():
    sheet = Sheet("测试", ["标题", "时间", "数"], [["=HYPERLINK(\"http://x\")联系13812345678", datetime(2026, 2, 1, 8, 5), 2.5],
                                              ["+1", None, 3.0]])
    rows = read_csv(csv_bytes(sheet))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")联系138****5678", "2026-02-01 08:05", "2.5"]
    assert rows[2] == ["'+1", "", "3"]
    stamp = datetime(2026, 3, 1, 9, 0, tzinfo=h.TZ)
    data = xlsx_bytes([sheet], stamp)
    assert data == xlsx_bytes([sheet], stamp)  # reproducible bytes
    ws = openpyxl.load_workbook(io.BytesIO(data))["测试"]
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK") and "138****5678" in ws["A2"].value
    assert ws["B2"].value == datetime(2026, 2, 1, 8, 5) and ws["B2"].is_date


# ---- baosong export on a real repository ---------------------------------------------------------

NOW = "2026-03-10T12:00:00+08:00"


def _doc(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False) + "\n"  # JSON is YAML


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Feb 2026: gaj two info items (one with a formula-like title) and a late first report never
    followed up; dcq one info item adopted at national level and instructed by 市委书记; xhq nothing.
    By hand (shipped policy): dcq +50 +5 −1 = 54, gaj −1 (late) −2 (follow-up 1, due an hour after the
    first report, never filed: missed 24 h later) = −3, xhq −2 (0 of 2 items)."""
    root = tmp_path_factory.mktemp("export")
    reg = World(root / "world").registry(root / "repo")
    common = {"created_at": "2026-02-05T09:30:00+08:00"}
    files = [
        ("gaj-20260205-wanghao-01", "wanghao", "2026-02-05T10:00:00+08:00",
         dict(kind="info", unit="gaj", title="公安局推进平安建设", author="wanghao", signer="liuzhenhua",
              info_type="dynamic", body="公安局推进平安建设，取得阶段性成效。", **common)),
        ("gaj-20260206-wanghao-01", "wanghao", "2026-02-06T10:00:00+08:00",
         dict(kind="info", unit="gaj", title="=HYPERLINK(\"http://x\")联系13812345678", author="wanghao",
              signer="liuzhenhua", info_type="dynamic", body="某项工作动态。", created_at="2026-02-06T09:30:00+08:00")),
        ("gaj-20260210-wanghao-01", "wanghao", "2026-02-10T11:30:00+08:00",
         dict(kind="emergency", unit="gaj", title="某路段发生一起道路交通事故", author="wanghao", signer="liuzhenhua",
              created_at="2026-02-10T11:00:00+08:00", stage="first", category="traffic",
              occurred_at="2026-02-10T09:00:00+08:00", place="江州市某路段", description="两车相撞，造成人员受伤。",
              casualties={"deaths": 0, "serious_injuries": 1, "injuries": 2, "missing": 0}, grade="IV",
              trend="事态已得到控制。", measures="交警、急救已到场处置。", delay_reason="现场伤亡情况核实耗时较长。")),
        ("dcq-20260203-lijing-01", "lijing", "2026-02-03T10:00:00+08:00",
         dict(kind="info", unit="dcq", title="东城区基层治理调研", author="lijing", signer="sunweidong",
              info_type="research", body="东城区基层治理调研报告。", created_at="2026-02-03T09:00:00+08:00")),
        ("xxk-20260215-wangli-01", "wangli", "2026-02-15T18:00:00+08:00",
         dict(kind="adoption", unit="xxk", title="国家级采用东城区调研", author="wangli", signer="zhoujianhua",
              created_at="2026-02-15T16:00:00+08:00", report="dcq-20260203-lijing-01", outlet="《国务院办公厅信息》",
              level="national", adopted_at="2026-02-15T15:00:00+08:00")),
        ("xxk-20260222-wangli-01", "wangli", "2026-02-22T18:00:00+08:00",
         dict(kind="instruction", unit="xxk", title="市委书记批示东城区调研", author="wangli", signer="zhoujianhua",
              created_at="2026-02-22T16:00:00+08:00", report="dcq-20260203-lijing-01", leader="市委书记",
              level="city", instructed_at="2026-02-22T15:00:00+08:00", content="请认真研究。")),
    ]
    for rid, signer, date, fields in files:
        unit = rid.split("-")[0]
        reg.add_report(f"reports/2026/{unit}/{rid}.yaml", _doc(id=rid, **fields), signer=signer, date=date)
    return reg


def export(reg, *args: str, out: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [BAOSONG, "export", "--now", NOW, *args] + (["--out", str(out)] if out else ["--out", "-"])
    return subprocess.run(cmd, cwd=reg.root, env=reg.world.env, capture_output=True)


def test_cli_exports_match_the_hand_computation_and_the_portal(registry, tmp_path):
    check = registry.baosong("registry", "--format", "json", "--now", NOW)
    assert json.loads(check.stdout)["summary"]["invalid"] == 0
    out = tmp_path / "scores.xlsx"
    proc = export(registry, "--what", "scores", "--period", "2026-Q1", "--format", "xlsx", out=out)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "已导出2026年第一季度的考核积分" in proc.stdout.decode()  # March not over: February's figures
    ws = openpyxl.load_workbook(out)["积分排名"]
    assert [(r[0].value, r[2].value, r[-1].value) for r in ws.iter_rows(min_row=2)] == [
        (1, "江州市东城区", 54), (2, "江州市西湖区", -2), (3, "江州市公安局", -3)]
    # The portal serves the very same file.
    from baosong.portal import score_pages
    from baosong.portal.data import load_context
    from baosong.portal.model import DataFile
    from baosong.timeutil import parse_datetime

    ctx = load_context(registry.root, now=parse_datetime(NOW))
    files = {i.path: i.data for i in score_pages.provide(ctx) if isinstance(i, DataFile)}
    assert files["downloads/scores/scores-2026-Q1.xlsx"] == out.read_bytes()


def test_cli_register_export_dates_and_csv(registry, tmp_path):
    out = tmp_path / "register.xlsx"
    assert export(registry, "--what", "register", "--period", "2026-B1", out=out).returncode == 0
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and header[:2] == ["登记序号", "报告编号"]
    rows = {r[header.index("报告编号")].value: r for r in ws.iter_rows(min_row=2)}
    assert len(rows) == 6
    late = rows["gaj-20260210-wanghao-01"]
    received = late[header.index("收到时间")]
    assert received.value == datetime(2026, 2, 10, 11, 30) and received.is_date
    assert late[header.index("报送时限")].value == datetime(2026, 2, 10, 11, 0)
    assert (late[header.index("状态")].value, late[header.index("超时（分钟）")].value) == ("迟报", 30)
    title = rows["gaj-20260206-wanghao-01"][header.index("标题")]
    assert title.data_type == "s" and "138****5678" in title.value
    proc = export(registry, "--what", "register", "--period", "2026-02", "--format", "csv")
    rows = read_csv(proc.stdout)
    assert rows[0][1] == "报告编号" and len(rows) == 7
    assert any(r[8] == "'=HYPERLINK(\"http://x\")联系138****5678" for r in rows)


def test_cli_bulletin_json_and_errors(registry):
    proc = export(registry, "--what", "bulletin", "--period", "2026-02", "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["title"] == "关于2026年2月份信息报送情况的通报" and data["date"] == "2026-03-03"
    assert [(r["unit"], r["total"]) for r in data["ranking"]] == [("dcq", 54), ("xhq", -2), ("gaj", -3)]
    criticised = data["criticised"]["reports"]
    assert [(x["type"], x.get("report"), x.get("followup")) for x in criticised] == [
        ("late", "gaj-20260210-wanghao-01", None), ("missed", None, 1)]
    assert criticised[1]["incident"] == "gaj-20260210-wanghao-01" and "第1次续报" in criticised[1]["text"]
    assert data["praised"]["instructed"][0]["leader"] == "市委书记"
    unfinished = export(registry, "--what", "bulletin", "--period", "2026-03", "--format", "json")
    assert unfinished.returncode == 1 and "尚未结束" in unfinished.stderr.decode()
    bad = export(registry, "--what", "scores", "--period", "2026-B9")
    assert bad.returncode == 2 and "统计周期" in bad.stderr.decode()
