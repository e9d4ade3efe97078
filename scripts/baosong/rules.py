"""Semantic rules beyond the schema. Each rule has an id; problems carry the field's position.

`check_document` judges one file on its own and returns a small summary; `check_collection`
judges what only the whole registry can tell (references, numbering, finals) from summaries, so
per-file results can be cached by content.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from baosong.config import Config, staff_roles
from baosong.grading import computed_grade, figures_of, severity
from baosong.problems import Problem, field_name
from baosong.timeutil import iso, parse_datetime, parse_offset
from baosong.vocab import GRADE_ZH, INFO_TYPE_ZH, KIND_ZH, ROLE_ZH

# \Z, not $: `$` also matches before a final newline, and a path "x.yaml\n" must not pass as x.yaml.
REPORT_ID_RE = re.compile(r"^([a-z][a-z0-9]{1,11})-([0-9]{8})-([a-z][a-z0-9]{1,15})-([0-9]{2})\Z")
PATH_RE = re.compile(r"^reports/([0-9]{4})/([a-z][a-z0-9]{1,11})/([^/]+)\.yaml\Z")
TIME_FIELDS = ("created_at", "occurred_at", "discovered_at", "phoned_at", "first_seen_at",
               "adopted_at", "instructed_at", "decided_at", "due_at")
FUTURE_FIELDS = ("due_at",)
REF_FIELDS = ("incident", "report", "request", "duty_period")
OFFICE_KINDS = ("adoption", "instruction", "notice", "request", "duty_period")
# What a reference field must point at (kind of the referenced record), beyond existing.
REF_KINDS = {"request": "request", "duty_period": "duty_period"}
# A classification marking: a star, or a level word used as a marking (秘密★1年, 机密级, a line "绝密").
SECRECY_RE = re.compile(r"★|(?:绝密|机密|秘密)\s*(?:★|级|[0-9]+\s*年)|(?:^|\n)\s*(?:绝密|机密|秘密)\s*(?:$|\n)")
MAX_DUTY_DAYS = 366  # a duty period is days or weeks; the register lays out one cell per unit and day
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between an officer's laptop and CI

Emit = Callable[[tuple, str, str], None]

DEFAULT_TIMEZONE = "+08:00"
DEFAULT_REASON_MIN_CHARS = 8  # policy `reasons.min_chars`: "值班人员交接延误" is the shortest useful reason
# Characters that render as nothing although some are letters (category Lo): the Hangul fillers and
# U+2800 BRAILLE PATTERN BLANK by name, and every Default_Ignorable_Code_Point (DerivedCoreProperties.txt,
# Unicode 14; `unicodedata` does not expose the property, so the ranges are listed here).
_INVISIBLE = ((0x115F, 0x1160), (0x3164, 0x3164), (0xFFA0, 0xFFA0), (0x2800, 0x2800),
              (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x17B4, 0x17B5), (0x180B, 0x180F),
              (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
              (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


def _strings(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    stack = [(path, node)]
    while stack:
        p, n = stack.pop()
        if isinstance(n, str):
            yield p, n
        elif isinstance(n, dict):
            stack.extend(((*p, k), v) for k, v in n.items())
        elif isinstance(n, list):
            stack.extend(((*p, i), v) for i, v in enumerate(n))


def _invisible(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _INVISIBLE)


def written_chars(text: str) -> int:
    """Letters and CJK ideographs in text (Unicode category L* after NFKC), not counting invisible ones.

    Punctuation (。。。。), spaces, digits, symbols, fillers (U+3164) and format characters count nothing.
    """
    return sum(1 for ch in unicodedata.normalize("NFKC", text)
               if unicodedata.category(ch)[0] == "L" and not _invisible(ch))


def reason_min_chars(policy: dict) -> int:
    """The policy's minimum of written characters in a reason (`reasons.min_chars`, default 8)."""
    value = (policy.get("reasons") or {}).get("min_chars")
    return value if isinstance(value, int) and value > 0 else DEFAULT_REASON_MIN_CHARS


def is_real_reason(value: object, policy: dict) -> bool:
    """The one test of "this is a written reason": a string with at least the policy's minimum of
    letters or CJK ideographs. Used by the file rules, PR mode's lateness and `baosong new`."""
    return isinstance(value, str) and written_chars(value) >= reason_min_chars(policy)


def reason_problem(value: object, policy: dict) -> str | None:
    """Why value is not a real delay_reason (a Chinese sentence), or None when it is one."""
    if is_real_reason(value, policy):
        return None
    count = written_chars(value) if isinstance(value, str) else 0
    return (f"迟报原因说明（delay_reason）须用文字写明迟报原因，至少 {reason_min_chars(policy)} 个汉字或字母，"
            f"这里只有 {count} 个（空白、标点、数字和不可见的填充字符不计）。请写明为何迟报、责任在哪个环节、"
            "已采取的整改措施。")


def local_offset(policy: dict) -> str:
    """The policy's timezone offset text, e.g. "+08:00"."""
    tz = policy.get("timezone")
    return tz if isinstance(tz, str) else DEFAULT_TIMEZONE


def offset_problem(value: str, when: datetime, policy: dict) -> str | None:
    """None when `when` carries the policy's offset, UTC or an offset in `allowed_offsets`; else the
    Chinese message with the same instant written in the local offset."""
    local_text = local_offset(policy)
    if value.endswith((local_text, "Z", "+00:00")):
        return None  # the usual case, without building the allowed set for every time of every file
    offset = when.utcoffset()
    local = parse_offset(local_text)
    allowed = {timedelta(0), local.utcoffset(None)}
    allowed.update(parse_offset(o).utcoffset(None) for o in policy.get("allowed_offsets") or [])
    if offset in allowed:
        return None
    here = when.astimezone(local)
    zone = "北京时间" if local_text == "+08:00" else f"本地时间（UTC{local_text}）"
    return (f"时间 {value} 带的时区偏移不是本地时区 {local_text}，读者会把它看成另一个钟点甚至另一天："
            f"{value} 即{zone} {here:%Y-%m-%d %H:%M}，请写成 {iso(here)}（或写 UTC 时间，以 Z 结尾）。")


def check_document(relpath: str, doc: dict, position: Callable[[tuple], tuple[int, int]], cfg: Config,
                   raw: bytes | None = None) -> tuple[list[Problem], dict]:
    """Rules that need only this file and the configuration. Returns (problems, summary)."""
    problems: list[Problem] = []

    def emit(path: tuple, rule: str, message: str, severity_: str = "error") -> None:
        line, col = position(path)
        problems.append(Problem(relpath, line, col, field_name(path), rule, message, severity_))  # type: ignore[arg-type]

    rid, kind, unit = doc.get("id"), doc.get("kind"), doc.get("unit")
    # Every time field parsed once: _check_path reads created_at's date, _check_times all of them.
    parsed = {f: parse_datetime(doc[f]) for f in TIME_FIELDS if f in doc}
    _check_path(relpath, doc, cfg, emit, parsed.get("created_at"))
    _check_people(doc, cfg, emit)
    times = _check_times(doc, parsed, cfg, emit)
    # A request's due time lies ahead by nature: only times that claim the past count for time-future.
    past = {f: t for f, t in times.items() if f not in FUTURE_FIELDS}
    latest_field = max(past, key=past.__getitem__) if past else None
    _check_secrecy(doc, emit, raw)
    if "delay_reason" in doc and (why := reason_problem(doc["delay_reason"], cfg.policy)):
        emit(("delay_reason",), "reason-text", why)
    if kind == "info":
        _check_info_length(doc, cfg, emit)
    if kind == "emergency":
        _check_grade(doc, cfg, emit)
    if kind in ("request", "decline", "duty_period", "daily"):
        _check_duty(doc, cfg, emit)
    if kind in OFFICE_KINDS and unit != cfg.registry_office:
        emit(("unit",), "office-record-unit",
             f"“{kind}”类记录只能由登记机关（{cfg.registry_office}）填报，本单位不能提交此类记录。")
    for i, code in enumerate(doc.get("involved_units") or []):
        if code not in cfg.units:
            emit(("involved_units", i), "unit-unknown", f"涉及单位“{code}”不在 config/units.yaml 中，请核对单位代码。")
    if isinstance(doc.get("target_unit"), str) and doc["target_unit"] not in cfg.units:
        emit(("target_unit",), "unit-unknown", f"单位“{doc['target_unit']}”不在 config/units.yaml 中。")

    summary = {
        "path": relpath, "id": rid, "kind": kind, "unit": unit, "stage": doc.get("stage"),
        "sequence": doc.get("sequence"), "created_at": doc.get("created_at"),
        "latest_time": times[latest_field].isoformat() if latest_field else None,
        "latest_ts": times[latest_field].timestamp() if latest_field else None,
        "latest_field": latest_field,
        "refs": {f: doc[f] for f in REF_FIELDS if isinstance(doc.get(f), str)},
        # Who may file follow-ups to this report's incident besides its own unit.
        "involved_units": [u for u in doc.get("involved_units") or [] if isinstance(u, str)],
        # Only what cross-file rules may point at: the summary is cached for every file.
        "pos": {f: position((f,)) for f in ("id", "sequence", "stage", "created_at", "date", *REF_FIELDS, latest_field)
                if f in doc},
    }
    if kind in ("request", "duty_period", "daily"):
        # What the cross-file duty rules compare: a daily report's date, a record's targets and days.
        summary["duty"] = {k: doc[k] for k in ("target_units", "target_levels", "start_date", "end_date", "date")
                           if k in doc}
    return problems, summary


def _ymd(when: datetime) -> str:
    """`when.strftime("%Y%m%d")` without strftime's cost (it formats through a time tuple)."""
    return f"{when.year}{when.month:02d}{when.day:02d}" if when.year >= 1000 else when.strftime("%Y%m%d")


def _check_path(relpath: str, doc: dict, cfg: Config, emit: Emit, created: datetime | None) -> None:
    m = PATH_RE.match(relpath)
    rid, unit = doc.get("id"), doc.get("unit")
    if not m:
        emit(("id",), "path-layout", "报告文件须放在 reports/<年份>/<单位代码>/<报告编号>.yaml，请移动文件。")
        return
    year, path_unit, stem = m.groups()
    if rid != stem:
        emit(("id",), "id-filename", f"报告编号“{rid}”与文件名“{stem}.yaml”不一致，请让两者相同。")
    if unit != path_unit:
        emit(("unit",), "unit-path", f"单位“{unit}”与所在目录“{path_unit}”不一致：报告须放在本单位目录下。")
    idm = REPORT_ID_RE.match(rid) if isinstance(rid, str) else None
    if not idm:
        return  # the schema already names the malformed id
    id_unit, id_date, _, _ = idm.groups()
    if id_unit != unit:
        emit(("id",), "id-unit", f"报告编号的单位部分“{id_unit}”与单位“{unit}”不一致。")
    if id_date[:4] != year:
        emit(("id",), "id-year", f"报告编号中的年份 {id_date[:4]} 与所在目录年份 {year} 不一致。")
    if created:
        created = created.astimezone(parse_offset(local_offset(cfg.policy)))  # the local date, also for a UTC time
    if created and (ymd := _ymd(created)) != id_date:
        emit(("created_at",), "id-date", f"报告编号中的日期 {id_date} 与起草时间 created_at 的日期 "
             f"{ymd} 不一致。")
    if doc.get("author") != idm.group(3):
        emit(("author",), "id-author", f"报告编号中的人员“{idm.group(3)}”与起草人 author“{doc.get('author')}”不一致。")


def _check_people(doc: dict, cfg: Config, emit: Emit) -> None:
    unit = doc.get("unit")
    if not isinstance(unit, str):
        return
    if unit not in cfg.units:
        emit(("unit",), "unit-unknown", f"单位代码“{unit}”不在 config/units.yaml 中，请核对。")
        return
    for fieldname, role in (("author", "officer"), ("reviewer", "reviewer"), ("signer", "head")):
        who = doc.get(fieldname)
        if who is None:
            continue
        staff_unit, roles = staff_roles(cfg, who)
        if staff_unit is None:
            emit((fieldname,), "staff-unknown", f"人员“{who}”不在 config/units.yaml 中，请核对人员标识。")
        elif staff_unit != unit:
            emit((fieldname,), "staff-wrong-unit", f"人员“{who}”属于单位“{staff_unit}”，不是本单位“{unit}”的人员。")
        elif role not in roles:
            emit((fieldname,), "staff-role", f"人员“{who}”不具有“{ROLE_ZH[role]}”角色，不能担任此项。")
    # A daily report (重要时段日报, often a 零报告) is the duty officer's; the schema makes signer optional.
    if doc.get("signer") is None and not doc.get("signoff_pending") and doc.get("kind") != "daily":
        emit(("signer",), "signoff-missing", "缺少签发人 signer。紧急情况下可先报后审：首报填写 signoff_pending: true，并在续报中补签发。")


def _check_times(doc: dict, parsed: dict[str, datetime | None], cfg: Config, emit: Emit) -> dict[str, datetime]:
    for f, t in parsed.items():
        if t is not None and (why := offset_problem(doc[f], t, cfg.policy)):
            emit((f,), "time-offset", why)
    occurred, discovered, phoned = (parsed.get(f) for f in ("occurred_at", "discovered_at", "phoned_at"))
    if occurred and discovered and discovered < occurred:
        emit(("discovered_at",), "time-order", "获知时间早于事发时间，请核对 occurred_at 与 discovered_at。")
    since = discovered or occurred
    if phoned and since and phoned < since:
        emit(("phoned_at",), "time-order", "电话报告时间早于获知/事发时间，请核对。")
    created = parsed.get("created_at")
    if created and occurred and created < occurred:
        emit(("created_at",), "time-order", "起草时间早于事发时间，请核对 created_at 与 occurred_at。")
    return {f: t for f, t in parsed.items() if t is not None}


def _check_duty(doc: dict, cfg: Config, emit: Emit) -> None:
    """约稿, its decline, 重要时段 and their daily reports: what the schema cannot say."""
    kind = doc.get("kind")
    if kind in ("request", "duty_period"):
        if not doc.get("target_units") and not doc.get("target_levels"):
            emit(("kind",), "targets-missing", "请填写受理单位 target_units（单位代码列表）或受理层级 target_levels"
                 "（如 [district]），至少一项。")
        for i, code in enumerate(doc.get("target_units") or []):
            if code not in cfg.units:
                emit(("target_units", i), "unit-unknown", f"受理单位“{code}”不在 config/units.yaml 中，请核对单位代码。")
    if kind == "duty_period":
        start, end = doc.get("start_date"), doc.get("end_date")
        if isinstance(start, str) and isinstance(end, str):
            try:
                first, last = date.fromisoformat(start), date.fromisoformat(end)
            except ValueError:
                emit(("start_date",), "date-invalid", f"日期 {start} 或 {end} 不存在，请核对。")
                return
            if last < first:
                emit(("end_date",), "period-dates", f"结束日期 {end} 早于开始日期 {start}，请核对。")
            elif (last - first).days > MAX_DUTY_DAYS:
                emit(("end_date",), "period-dates", f"重要时段不能超过 {MAX_DUTY_DAYS} 天，请分段发布。")
    if kind == "decline" and "decline_reason" in doc and not is_real_reason(doc["decline_reason"], cfg.policy):
        value = doc["decline_reason"]
        count = written_chars(value) if isinstance(value, str) else 0
        emit(("decline_reason",), "reason-text", f"不能落实的理由（decline_reason）须用完整的话写明，至少 "
             f"{reason_min_chars(cfg.policy)} 个汉字或字母，这里只有 {count} 个（空白、标点、数字和不可见的填充字符"
             "不计）。请写明为何不能按约稿要求报送。")
    if kind == "daily":
        if isinstance(doc.get("date"), str):
            try:
                date.fromisoformat(doc["date"])
            except ValueError:
                emit(("date",), "date-invalid", f"日期 {doc['date']} 不存在，请核对。")
        zero = doc.get("nothing_to_report") is True
        if zero and "body" in doc:
            emit(("body",), "daily-content", "零报告（nothing_to_report: true）不填正文 body；有事项要报请删去 "
                 "nothing_to_report，在 body 中写当日要情。")
        elif not zero and "body" not in doc:
            emit(("nothing_to_report",), "daily-content", "日报须写正文 body（当日要情摘要）；当日无事项时写 "
                 "nothing_to_report: true（零报告）。")


def _check_secrecy(doc: dict, emit: Emit, raw: bytes | None = None) -> None:
    if raw is not None and "★".encode() not in raw and "密".encode() not in raw:
        return  # every marking contains one of these; most files have neither
    for path, text in _strings(doc):
        if SECRECY_RE.search(text):
            emit(path, "secrecy-marker", "内容含密级标志（秘密/机密/绝密/★）。涉密信息严禁通过本系统报送，"
                 "请删除该文件并按保密规定另行报送。")
            return


def _check_info_length(doc: dict, cfg: Config, emit: Emit) -> None:
    info_type, body = doc.get("info_type"), doc.get("body")
    limit = cfg.policy.get("info_limits", {}).get(info_type)
    if not isinstance(body, str) or not limit:
        return
    count = len(re.sub(r"\s", "", body))
    if count > limit:
        emit(("body",), "info-length", f"{INFO_TYPE_ZH.get(str(info_type), str(info_type))}信息正文 {count} 字，"
             f"超过 {limit} 字的上限，请精简。")


def _check_grade(doc: dict, cfg: Config, emit: Emit) -> None:
    declared = doc.get("grade")
    if not isinstance(declared, str):
        return
    grade, reason = computed_grade(doc.get("category"), figures_of(doc), cfg.policy)
    if grade and severity(declared) > severity(grade):
        emit(("grade",), "grade-too-low", f"申报等级 {GRADE_ZH.get(declared, declared)} 低于数据对应的等级 "
             f"{GRADE_ZH[grade]}（{reason}），请按规定定级。")


def check_collection(summaries: list[dict], cfg: Config, now: datetime) -> list[Problem]:
    """Rules across files: unique ids, references, follow-up numbering, nothing after a final, future times."""
    problems: list[Problem] = []
    by_id: dict[str, dict] = {}

    def emit(s: dict, fieldname: str, rule: str, message: str) -> None:
        line, col = s["pos"].get(fieldname, (1, 1))
        problems.append(Problem(s["path"], line, col, fieldname, rule, message))

    horizon = (now + FUTURE_TOLERANCE).timestamp()
    for s in summaries:
        if s["id"] in by_id:
            emit(s, "id", "id-duplicate", f"报告编号“{s['id']}”与 {by_id[s['id']]['path']} 重复。")
        else:
            by_id[s["id"]] = s
        if s["latest_ts"] is not None and s["latest_ts"] > horizon:
            emit(s, s["latest_field"], "time-future", f"时间 {s['latest_time']} 晚于当前时间，请核对。")

    misjoined: set[int] = set()  # summaries refused by forward-incident: they take no place in the series
    for s, fieldname, rule, message in forward_problems(summaries, by_id):
        emit(s, fieldname, rule, message)
        if rule == "forward-incident":
            misjoined.add(id(s))

    series: dict[str, list[dict]] = defaultdict(list)
    for s in summaries:
        for fieldname, target_id in s["refs"].items():
            target = by_id.get(target_id)
            if target is None:
                emit(s, fieldname, "ref-missing", f"引用的报告“{target_id}”不存在，请核对编号。")
                continue
            if fieldname == "incident" and not (target["kind"] == "emergency" and target["stage"] == "first"):
                emit(s, fieldname, "ref-not-first", f"“{target_id}”不是紧急信息首报，续报/终报须指向事件的首报编号。")
                continue
            if fieldname == "incident" and id(s) in misjoined:
                continue
            if fieldname == "incident" and s["kind"] == "emergency":
                why = incident_unit_problem(s["unit"], s["stage"], target, cfg)
                if why:
                    # Left out of the series: it must not close the incident or take a sequence number.
                    emit(s, fieldname, "incident-unit", why)
                    continue
                series[target_id].append(s)
            if fieldname in REF_KINDS and target["kind"] != REF_KINDS[fieldname]:
                emit(s, fieldname, "ref-kind", f"“{target_id}”不是{KIND_ZH[REF_KINDS[fieldname]]}记录，请核对编号。")
                continue
            if fieldname in REF_KINDS and (duty_why := duty_target_problem(s, target, cfg)):
                emit(s, fieldname if duty_why[0] == "unit" else "date", duty_why[1], duty_why[2])
            if s["kind"] == "correction" and s["unit"] not in (target["unit"], cfg.registry_office):
                emit(s, fieldname, "correction-unit", f"只能更正本单位的报告；“{target_id}”属于单位“{target['unit']}”。")
    for first_id, items in series.items():
        _check_series(by_id[first_id], items, emit)
    return problems


def forward_problems(summaries: list[dict], by_id: dict[str, dict]) -> list[tuple[dict, str, str, str]]:
    """The rules across files of forwards (上报), as (summary, field, rule, message).

    `forward-duplicate`: two reports of one unit forwarding the same origin id (each is named).
    `forward-incident`: a forwarded follow-up/final whose `incident` is a first report that is not the
    forward of its origin's incident (a missing target or one that is no first report is `ref-missing` /
    `ref-not-first`, not this rule). Shared by `check_collection` and the register
    (`register.cross_file_problems`), so a forward that reached main past the check gets the same verdicts.
    Summaries need path, unit, stage, refs, forwarded and forwarded_incident; `by_id` maps each id to
    its first summary (kind, stage, forwarded).
    """
    out: list[tuple[dict, str, str, str]] = []
    forwards: dict[tuple, list[dict]] = defaultdict(list)
    for s in summaries:
        if s.get("forwarded"):
            forwards[(s["unit"], s["forwarded"])].append(s)
    for (_, origin_id), group in forwards.items():
        for s in group if len(group) > 1 else ():
            others = "、".join(o["path"] for o in group if o is not s)
            out.append((s, "forwarded_from", "forward-duplicate",
                        f"来源报告 {origin_id} 已由 {others} 转报，同一份报告只能转报一次（否则上级登记簿会重复计数）。"
                        "如需更正，请对已转报的报告提交更正记录或续报。"))
    for s in summaries:
        origin_incident, target_id = s.get("forwarded_incident"), s["refs"].get("incident")
        target = by_id.get(target_id) if origin_incident and target_id else None
        if target is None or not (target["kind"] == "emergency" and target["stage"] == "first") or \
                target.get("forwarded") == origin_incident:
            continue
        out.append((s, "incident", "forward-incident",
                    f"本报告转报的是来源登记库事件 {origin_incident} 的{'续报' if s['stage'] == 'followup' else '终报'}，"
                    f"但所属事件“{target_id}”不是该事件首报的转报。请指向上级登记库中转报 {origin_incident} 的报告编号"
                    "（baosong forward 会自动填写）。"))
    return out


def duty_target_problem(s: dict, target: dict, cfg: Config) -> tuple[str, str, str] | None:
    """(field, rule, message) when a decline or daily report does not fit the request or duty period it
    names: a unit the record does not ask, or a day outside the period. Answers (info, emergency) from
    other units are welcome and never refused."""
    if s["kind"] not in ("decline", "daily"):
        return None
    duty = target.get("duty") or {}
    unit = s["unit"]
    levels = duty.get("target_levels") or []
    if unit not in (duty.get("target_units") or []) and cfg.units.get(unit, {}).get("level") not in levels:
        what = "约稿" if target["kind"] == "request" else "重要时段"
        return ("unit", "duty-unit", f"{what}“{target['id']}”的受理单位不包括本单位“{unit}”，无须报送；如确属本单位，"
                f"请登记机关在该{what}的 target_units 中补上本单位。")
    day = (s.get("duty") or {}).get("date")
    start, end = duty.get("start_date"), duty.get("end_date")
    if s["kind"] == "daily" and isinstance(day, str) and isinstance(start, str) and isinstance(end, str) \
            and not start <= day <= end:
        return ("date", "daily-date", f"日期 {day} 不在重要时段“{target['id']}”（{start} 至 {end}）之内，请核对 date。")
    return None


def may_join_incident(unit: object, stage: object, first: dict) -> bool:
    """Whether a follow-up/final of `unit` belongs to the incident whose first report is `first`.

    `first` has the incident's "unit" and "involved_units" (a summary or a document). A follow-up may
    come from the incident's own unit (the unit of its first report) or from a unit the first report
    lists in involved_units; the final only from the incident's own unit.
    """
    owner = first.get("unit")
    return unit == owner or (stage == "followup" and unit in (first.get("involved_units") or []))


def incident_unit_problem(unit: object, stage: object, first: dict, cfg: Config) -> str | None:
    """Why a report of `unit` may not join the incident whose first report is `first`, or None."""
    if may_join_incident(unit, stage, first):
        return None
    owner = first.get("unit")
    name = cfg.units.get(owner, {}).get("name") if isinstance(owner, str) else None
    whose = f"事件“{first.get('id')}”由单位“{owner}”{f'（{name}）' if name else ''}报送"
    if stage == "final":
        return (f"{whose}，终报只能由该单位报送，本单位“{unit}”不能为它报终报。"
                f"如掌握处置结果，请告知 {owner} 由其在终报中报告；本单位负责的事件请另行报送首报。")
    return (f"{whose}，续报只能由该单位或其首报“涉及单位”（involved_units）中列出的单位报送，"
            f"本单位“{unit}”不在其中。请将情况告知 {owner} 由其续报；本单位负责的事件请另行报送首报。")


def _check_series(first: dict, items: list[dict], emit: Callable[..., None]) -> None:
    followups = sorted((s for s in items if s["stage"] == "followup" and isinstance(s["sequence"], int)),
                       key=lambda s: (s["sequence"], s["created_at"] or "", s["path"]))
    seen: set[int] = set()
    for s in followups:
        if s["sequence"] in seen:
            emit(s, "sequence", "sequence-duplicate", f"续报序号 {s['sequence']} 在事件“{first['id']}”中重复。")
        seen.add(s["sequence"])
    for expected, number in enumerate(sorted(seen), start=1):
        if number != expected:
            s = next(x for x in followups if x["sequence"] == number)
            emit(s, "sequence", "sequence-gap", f"续报序号不连续：缺少第 {expected} 次续报（事件“{first['id']}”）。")
            break
    finals = sorted((s for s in items if s["stage"] == "final"), key=lambda s: s["created_at"] or "")
    for extra in finals[1:]:
        emit(extra, "stage", "after-final", f"事件“{first['id']}”已有终报 {finals[0]['id']}，不能再报终报。")
    if finals:
        final_time = parse_datetime(finals[0]["created_at"])
        for s in followups:
            created = parse_datetime(s["created_at"])
            if final_time and created and created > final_time:
                emit(s, "incident", "after-final",
                     f"事件“{first['id']}”已于 {final_time.isoformat()} 终报，之后不能再有续报。")
