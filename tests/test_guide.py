"""The 报送指南 pages are generated from the schema and the policy: change either and the guide changes;
the examples it shows pass the real check."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from baosong import guide
from baosong import newreport as nr
from baosong.check import check_registry
from baosong.config import load_config
from baosong.sources import WorkTree
from workflow_helpers import REPO


@pytest.fixture()
def reg(tmp_path: Path) -> Path:
    root = tmp_path / "registry"
    (root / "reports").mkdir(parents=True)
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "config", root / "config")
    return root


def pages(root: Path) -> dict[str, str]:
    cfg = load_config(WorkTree(root))
    assert cfg.ok, cfg.problems
    return guide.pages(cfg)


def section(markdown: str, heading: str) -> str:
    """The text of one `## heading` section."""
    start = markdown.index(f"## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end > 0 else None]


def row(markdown: str, first_cell: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_pages_of_the_bundled_registry(reg: Path) -> None:
    out = pages(reg)
    assert set(out) == {f"guide/{name}.md" for name in ("index", "fields", "deadlines", "scoring", "examples",
                                                         "signing")}
    assert all(text.startswith("# ") for text in out.values())
    first = section(out["guide/fields.md"], "紧急信息·首报（emergency / first）")
    assert row(first, "`place`")[1:3] == ["事发地点", "**必填**"]
    assert row(first, "`signer`")[2] == "必填（先报后审时不填）"
    assert row(first, "`sensitive_reason`")[2] == "敏感事件必填"
    assert "`body`" not in first and "`sequence`" not in first  # forbidden for this kind are not listed
    followup = section(out["guide/fields.md"], "紧急信息·续报（emergency / followup）")
    assert row(followup, "`sequence`")[2] == "**必填**" and row(followup, "`place`")[2] == "可选"
    assert "`traffic` 道路交通事故" in row(first, "`category`")[3]
    deadlines = out["guide/deadlines.md"]
    assert row(deadlines, "`city-written`")[8] == "2小时"
    assert row(deadlines, "`decree493-written`")[7].startswith("获知时间")
    assert "| Ⅲ级（较大） | ≥ 3 | ≥ 10 | ≥ 1000 |" in deadlines
    assert row(out["guide/scoring.md"], "国家级（`national`）")[1:] == ["50", "20"]
    assert "ssh-keygen -t ed25519" in out["guide/signing.md"] and "gpg.format ssh" in out["guide/signing.md"]


def test_schema_change_shows_in_the_field_reference(reg: Path) -> None:
    path = reg / "schema/report.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["weather"] = {"title": "天气情况", "description": "事发时的天气。", "type": "string",
                                       "enum": ["sunny", "rain"]}
    schema["$defs"]["emergency_first"]["required"].append("weather")
    schema["properties"]["place"]["title"] = "事发具体地点"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    fields = pages(reg)["guide/fields.md"]
    first = section(fields, "紧急信息·首报（emergency / first）")
    assert row(first, "`weather`")[1:3] == ["天气情况", "**必填**"]
    assert row(first, "`place`")[1] == "事发具体地点"
    assert row(section(fields, "紧急信息·续报（emergency / followup）"), "`weather`")[2] == "可选"


def test_policy_change_shows_in_the_deadline_and_scoring_tables(reg: Path) -> None:
    path = reg / "config/policy.yaml"
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    before = pages(reg)
    rule = next(r for r in policy["deadline_rules"] if r["id"] == "city-written")
    rule["minutes"] = 90
    policy["deadline_rules"].append({"id": "town-written", "title": "镇级规定：<b>半小时</b>内书面报告 | 加急",
                                     "source": "测试", "report": "written", "stages": ["first"],
                                     "categories": ["fire"], "clock": "occurred", "minutes": 30})
    policy["followup"]["first_within_minutes"] = 45
    policy["scoring"]["adoption_points"]["national"] = 80
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), encoding="utf-8")
    after = pages(reg)
    assert after["guide/deadlines.md"] != before["guide/deadlines.md"]
    assert row(after["guide/deadlines.md"], "`city-written`")[8] == "1小时30分钟"
    town = row(after["guide/deadlines.md"], "`town-written`")
    assert town[1] == "镇级规定：&lt;b&gt;半小时&lt;/b&gt;内书面报告 \\| 加急"  # escaped, one cell
    assert town[4] == "火灾" and town[8] == "30分钟"
    assert "| 首报送达后第一次续报 | 45分钟内 |" in after["guide/deadlines.md"]
    assert row(after["guide/scoring.md"], "国家级（`national`）")[1] == "80"
    # The example's deadline sentence follows the policy too (first report at 14:10, now 90 min).
    assert "2026-11-25 15:40" in after["guide/examples.md"]


def test_the_missed_window_names_the_policys_clock(reg: Path) -> None:
    """The guide says where the 24-hour 漏报 window counts from: the event (the seeds: 超过24小时即视为漏报),
    or whatever clock the policy names; and that a never-filed follow-up is missed too."""
    text = pages(reg)["guide/deadlines.md"]
    assert "书面报告晚于事发时间 1天 仍未送达，按漏报处理" in text and "漏报界限都自事发时间起算" in text
    assert "即使一直没有报送，也按漏报登记和扣分" in text and "终报同时视为当时应报的那一次续报" in text
    path = reg / "config/policy.yaml"
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy["missed_clock"] = "discovered"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), encoding="utf-8")
    text = pages(reg)["guide/deadlines.md"]
    assert "书面报告晚于获知时间（未填时按事发时间） 1天 仍未送达" in text and "无论时限" not in text


def test_examples_pass_the_check(reg: Path) -> None:
    cfg = load_config(WorkTree(reg))
    docs = guide.example_documents(cfg)
    assert [d.get("stage") for d in docs.values()] == ["first", "followup", "final", None]
    schema = cfg.report_schema.schema
    for doc in docs.values():
        path = reg / nr.report_path(doc["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nr.document_text(doc, schema), encoding="utf-8")
    result = check_registry(reg, now=datetime.fromisoformat("2026-11-26T09:00:00+08:00"), use_cache=False)
    assert result.files == 4 and result.problems == []
    examples = pages(reg)["guide/examples.md"]
    assert len(re.findall(r"```yaml\n# yaml-language-server", examples)) == 4
    assert f"incident: {docs['first']['id']}" in examples
