"""Bulletins (通报): one official notice per finished period, built from the score tables.

A month gets its summary (月度通报), a bimonth its ranking (排名通报), a quarter its adoption bulletin
(采用情况通报), a year its annual summary (年度通报) — for the period kinds the policy lists. Each
bulletin states the period and the totals, carries the ranking table, praises the top scorers and the
units whose items drew a leader's instruction (表扬), and criticises every late and missed report,
every concealed or fabricated report a notice found, and every unit that fell short of its quota
(通报批评), in numbered paragraphs ending with the issuing office and the date.

Plain data only: the texts are plain strings (names and titles unescaped); whoever shows a bulletin
escapes them. Numbers follow the issue date: 2026年第N期 counts the bulletins issued in that year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from baosong.scoring import DEFAULT_PRAISE_TOP, LEVELS, Period, Scores, fmt_points, period_table
from baosong.vocab import fmt_minutes

CATEGORIES = {"month": "月度通报", "bimonth": "排名通报", "quarter": "采用情况通报", "year": "年度通报"}
NUMERALS = "一二三四五六七八九十"
# Official notices go out on a working day a few days after the period closes.
ISSUE_AFTER_DAYS = 3
ADDRESSEES = {"district": "各县（市、区）", "department": "市直各部门", "agency": "各局属单位", "city": "市级各单位"}
HIGH_LEVELS = ("national", "province")


def issue_date(period: Period, scores: Scores) -> date:
    """The first working day (Mon–Fri) at least ISSUE_AFTER_DAYS after the period's last day; never after `now`."""
    day = period.end(scores.tz).date() + timedelta(days=ISSUE_AFTER_DAYS - 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return min(day, scores.now.date())


def title_of(period: Period) -> str:
    if period.kind == "month":
        return f"关于{period.label}份信息报送情况的通报"
    if period.kind == "bimonth":
        return f"关于{period.label}信息报送工作排名情况的通报"
    if period.kind == "quarter":
        return f"关于{period.label}信息采用情况的通报"
    return f"关于{period.year}年度信息报送工作情况的通报"


def zh_date(day: date | datetime) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def zh_time(when: datetime | None, scores: Scores) -> str:
    if when is None:
        return "—"
    local = when.astimezone(scores.tz)
    return f"{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def duration(minutes: int | None) -> str:
    return fmt_minutes(minutes) if minutes else "—"


def all_bulletins(scores: Scores, *, issuer: str, city: str = "", level_zh: Mapping[str, str] | None = None) -> list[dict]:
    """Every bulletin of every finished period the policy asks for, newest first, numbered per year."""
    finished = [p for p in scores.periods() if scores.complete(p)]
    made = [bulletin(scores, p, issuer=issuer, city=city, level_zh=level_zh) for p in finished]
    made.sort(key=lambda b: (b["date"], b["period"].sort_key()))
    per_year: dict[int, int] = defaultdict(int)
    for b in made:
        per_year[b["date"].year] += 1
        b["number"] = f"{b['date'].year}年第{per_year[b['date'].year]}期"
    return list(reversed(made))


def bulletin(scores: Scores, period: Period, *, issuer: str, city: str = "",
             level_zh: Mapping[str, str] | None = None) -> dict:
    """One bulletin as data: facts, lists and the numbered sections of its text."""
    levels = dict(level_zh or {})
    table = period_table(scores, period)
    rows = table["rows"]
    entries = [e for r in rows for e in r["entries"]]
    top_n = int(scores.rules.get("praise_top", DEFAULT_PRAISE_TOP))
    top = [{"unit": r["unit"], "name": r["name"], "rank": r["rank"], "total": r["total"]}
           for r in rows if r["rank"] <= top_n and r["total"] > 0]
    instructed = [_item(scores, e) for e in entries if e["type"] == "instruction"]
    adopted_high = [_item(scores, e) for e in entries if e["type"] == "adoption" and e.get("level") in HIGH_LEVELS
                    and not e.get("superseded_by")]
    criticised = [_item(scores, e) for e in entries if e["type"] in ("late", "missed", "concealed", "fabricated")]
    shortfall_by_unit: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        if e["type"] == "shortfall":
            shortfall_by_unit[e["unit"]].append(e)
    shortfall = [{"unit": u, "name": scores.name(u), "missing": sum(e["missing"] for e in es),
                  "points": sum(e["points"] for e in es),
                  "months": [{"month": e["month"], "counted": e["counted"], "quota": e["quota"],
                              "missing": e["missing"]} for e in es]}
                 for u, es in sorted(shortfall_by_unit.items(), key=lambda kv: scores.units.index(kv[0])
                                     if kv[0] in scores.units else 999)]
    for group in (instructed, adopted_high, criticised):
        group.sort(key=lambda i: (i["date"], i["unit"], i["id"]))
    day = issue_date(period, scores)
    b = {"key": period.key, "period": period, "label": period.label, "category": period.kind,
         "category_label": CATEGORIES[period.kind], "title": title_of(period), "date": day, "number": "",
         "issuer": issuer, "city": city, "scheme_title": scores.rules.get("title", ""),
         "addressee": _addressee(scores), "totals": table["totals"], "ranking": rows, "table": table,
         "praised": {"top": top, "instructed": instructed, "adopted": adopted_high},
         "criticised": {"reports": criticised, "shortfall": shortfall}}
    b["sections"] = _sections(scores, b, levels)
    return b


def _item(scores: Scores, e: dict) -> dict:
    report = e.get("report")
    return {"id": e["id"], "type": e["type"], "unit": e["unit"], "name": scores.name(e["unit"]), "report": report,
            "title": scores.titles.get(report or "", report or ""), "records": list(e.get("records", [])),
            "date": e["date"], "points": e["points"], "level": e.get("level"), "leader": e.get("leader"),
            "outlet": e.get("outlet"), "delay_minutes": e.get("delay_minutes"), "deadline_at": e.get("deadline_at"),
            "received_at": e.get("received_at"), "source": e.get("source"), "occurrence": e.get("occurrence"),
            "multiplier": e.get("multiplier", 1), "incident": e.get("incident"), "followup": e.get("followup")}


def _addressee(scores: Scores) -> str:
    present = []
    for level in scores.rules.get("quota_levels", []):
        if level in ADDRESSEES and ADDRESSEES[level] not in present:
            present.append(ADDRESSEES[level])
    return "，".join(present or ["各单位"]) + "："


def _sections(scores: Scores, b: dict, levels: dict[str, str]) -> list[dict]:
    """The numbered paragraphs; `table` names a list of the bulletin that goes under the section."""
    t = b["totals"]
    c = t["counts"]
    label = b["label"]
    by_level = "、".join(f"{levels.get(k, k)}{t['adopted_by_level'][k]}条次"
                         for k in reversed(LEVELS) if t["adopted_by_level"].get(k))
    scheme = f"《{b['scheme_title']}》" if b["scheme_title"] else "考核计分办法"
    intro = {"month": f"现将{label}份全市信息报送情况通报如下。",
             "bimonth": f"根据{scheme}，现将{label}各单位信息报送工作积分及排名情况通报如下。",
             "quarter": f"根据{scheme}，现将{label}各单位信息报送和采用情况通报如下。",
             "year": f"根据{scheme}，现将{b['period'].year}年度各单位信息报送工作考核情况通报如下。"}[b["category"]]
    overview = (f"{label}，各单位共报送紧急信息{c.get('emergency', 0)}份（涉及事件{c.get('incidents', 0)}起）、"
                f"政务信息{c.get('info', 0)}条、网络舆情{c.get('opinion', 0)}条。"
                f"各单位信息被各级采用{t['adopted']}条次" + (f"（其中{by_level}）" if by_level else "") +
                f"，获领导批示{t['instructed']}次。"
                f"紧急信息迟报{t['offences'].get('late', 0)}份、漏报{t['offences'].get('missed', 0)}份；"
                f"经核查认定瞒报{t['offences'].get('concealed', 0)}次、谎报{t['offences'].get('fabricated', 0)}次。")
    overview += duty_overview(entries_of_table(b["table"]))
    if b["category"] == "quarter":
        overview += "采用情况是衡量信息工作质量的主要指标，各单位采用加分详见下表。"
    sections: list[dict[str, Any]] = [{"heading": "", "paragraphs": [intro], "table": None},
                {"heading": "基本情况", "paragraphs": [overview], "table": None},
                {"heading": "积分排名", "paragraphs": [
                    f"按照{scheme}，积分由采用加分、领导批示加分和迟报、漏报、瞒报、谎报及报送任务缺额扣分构成。"
                    f"{label}各单位积分及排名如下：" if b["category"] != "quarter" else
                    f"按照{scheme}，{label}各单位信息采用加分、批示加分及积分排名如下："], "table": "ranking"}]
    praise_groups = []
    top = b["praised"]["top"]
    if top:
        names = "、".join(x["name"] for x in top)
        praise_groups.append(("积分排名靠前的单位", [f"{names}{label}积分位列前{_numeral(len(top))}名，予以通报表扬。"]))
    if b["praised"]["instructed"]:
        praise_groups.append(("获领导批示的信息", [
            f"{x['name']}报送的《{x['title']}》获{x['leader'] or '领导'}批示。" for x in b["praised"]["instructed"]]))
    if b["category"] in ("quarter", "year") and b["praised"]["adopted"]:
        praise_groups.append(("被省级以上采用的信息", [
            f"{x['name']}报送的《{x['title']}》被{x['outlet'] or '刊物'}（{levels.get(x['level'] or '', x['level'])}）采用。"
            for x in b["praised"]["adopted"]]))
    sections.append({"heading": "通报表扬", "paragraphs": _grouped(praise_groups) or ["本期无。"], "table": None})
    blame_groups = []
    if b["criticised"]["reports"]:
        blame_groups.append(("迟报、漏报、瞒报、谎报", [criticism_text(scores, x) for x in b["criticised"]["reports"]]))
    if b["criticised"]["shortfall"]:
        lines = []
        for x in b["criticised"]["shortfall"]:
            months = "、".join(f"{int(m['month'][5:])}月报送{m['counted']}条（少报{m['missing']}条）" for m in x["months"])
            lines.append(f"{x['name']}：{months}，扣{fmt_points(-x['points'])}分。")
        blame_groups.append(("未完成每月报送任务", lines))
    duty_blame = [duty_criticism_text(scores, e) for e in sorted(entries_of_table(b["table"]),
                                                                  key=lambda e: (e["date"], e["id"]))
                  if e["type"] in ("request_missing", "request_zeroed", "daily_missing")]
    if duty_blame:
        blame_groups.append(("约稿未报送、重要时段日报未报", duty_blame))
    blame = _grouped(blame_groups)
    if blame:
        blame.insert(0, "下列单位存在以下问题，予以通报批评：")
    sections.append({"heading": "通报批评", "paragraphs": blame or ["本期未发现迟报、漏报、瞒报问题，各单位均完成报送任务。"],
                     "table": None})
    sections.append({"heading": "有关要求", "paragraphs": [
        "各单位要对照本通报，认真查找差距，进一步提高信息报送的时效性和质量。受到通报批评的单位要认真分析原因，"
        "切实加以整改，严格执行紧急信息报送时限规定，坚决杜绝迟报、漏报、瞒报、谎报现象。"
        "受到通报表扬的单位要再接再厉，多报送有价值、可采用的信息。"], "table": None})
    n = 0
    for s in sections:
        if s["heading"]:
            s["number"] = _numeral(n + 1)
            s["heading_text"] = f"{s['number']}、{s['heading']}"
            n += 1
        else:
            s["number"] = ""
            s["heading_text"] = ""
    return sections


def entries_of_table(table: dict) -> list[dict]:
    return [e for r in table["rows"] for e in r["entries"]]


def duty_overview(entries: list[dict]) -> str:
    """The summary sentence on 约稿 and 重要时段 of a period; "" when the period had none."""
    answered = [e for e in entries if e["type"] == "request"]
    late = sum(1 for e in answered if e.get("status") == "late")
    missing = sum(1 for e in entries if e["type"] == "request_missing")
    daily_late = sum(1 for e in entries if e["type"] == "daily_late")
    daily_missing = sum(1 for e in entries if e["type"] == "daily_missing")
    text = ""
    if answered or missing:
        text += (f"办公室约稿各单位完成{len(answered)}份次" + (f"（其中逾期{late}份次）" if late else "") +
                 f"，逾期未报送{missing}份次。")
    if daily_late or daily_missing:
        text += f"重要时段每日报告迟报{daily_late}次、未报{daily_missing}次。"
    return text


def duty_criticism_text(scores: Scores, e: dict) -> str:
    """One criticised 约稿 or 重要时段 item."""
    name = scores.name(e["unit"])
    if e["type"] == "request_zeroed":
        return f"{name}本年度已有{e.get('missing_count')}次约稿未报送，按规定全年积分清零。"
    if e["type"] == "request_missing":
        rid = e.get("request") or ""
        return (f"{name}对办公室约稿《{scores.titles.get(rid, rid)}》（{rid}）逾期未报送"
                + ("，所述不能落实的理由未被认可" if e.get("records", [])[1:] else "") + f"，扣{fmt_points(-e['points'])}分。")
    pid = e.get("duty_period") or ""
    return (f"{name}在重要时段《{scores.titles.get(pid, pid)}》期间{e.get('day')}未按时报送每日报告（含零报告），"
            f"扣{fmt_points(-e['points'])}分。")


def _numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99)."""
    tens, ones = divmod(n, 10)
    if n <= 0 or n >= 100:
        return str(n)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def _grouped(groups: list[tuple[str, list[str]]]) -> list[str]:
    """（一）heading, then 1．item … — the numbering of an official notice below 一、二、三."""
    out = []
    for g, (heading, items) in enumerate(groups):
        out.append(f"（{_numeral(g + 1)}）{heading}")
        out += [f"{i}．{text}" for i, text in enumerate(items, start=1)]
    return out


def criticism_text(scores: Scores, x: dict) -> str:
    """One criticised item: unit, report and delay, in the notice's words."""
    kind = x["type"]
    title = f"《{x['title']}》（{x['report']}）" if x.get("report") else ""
    if kind == "missed" and x.get("followup"):
        what = "漏报"
        text = (f"{x['name']}对事件（{x['incident']}）的第{x['followup']}次续报应于{zh_time(x.get('deadline_at'), scores)}"
                f"前报送，超过漏报界限仍未报送，属于漏报")
    elif kind in ("late", "missed") and x.get("source") == "register":
        what = "迟报" if kind == "late" else "漏报"
        text = (f"{x['name']}报送的{title}应于{zh_time(x.get('deadline_at'), scores)}前报送，"
                f"实际于{zh_time(x.get('received_at'), scores)}送达，超过时限{duration(x.get('delay_minutes'))}，"
                f"属于{what}")
    else:
        what = {"late": "迟报", "missed": "漏报", "concealed": "瞒报", "fabricated": "谎报"}[kind]
        subject = title or (f"事件（{x['incident']}）" if x.get("incident") else "有关情况")
        text = f"{x['name']}对{subject}存在{what}问题，经登记机关核查认定（{'、'.join(x['records'])}）"
    text += f"，扣{fmt_points(-x['points'])}分"
    if (x.get("occurrence") or 0) >= 2:
        text += f"（本年度第{x['occurrence']}次{what}" + \
            (f"，按{fmt_points(x['multiplier'])}倍扣分）" if x.get("multiplier", 1) != 1 else "）")
    return text + "。"


__all__ = ["CATEGORIES", "all_bulletins", "bulletin", "criticism_text", "duration", "issue_date", "title_of",
           "zh_date", "zh_time"]
