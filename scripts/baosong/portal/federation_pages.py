"""Linked registries on the portal (上下级登记库联动).

- 登记簿 › 下级转报 (`registers/forwards.md`), in a registry whose units.yaml lists lower registries
  (`units[].registry`): the lower units ranked by timeliness as this registry judges them (their reports
  arrive here as ordinary reports, forwarded or filed directly), then every forwarded report with its
  provenance verdict; a home-page block.
- On a forwarded report's page (`chain_html`, called by reports.py): its chain, one row per level —
  this registry's receipt of the forward, the origin in the lower registry (receipt verified here with
  the lower registry's keys, `provenance.verify_link`, the same check as `baosong check`), and deeper
  origins carried inside it (blob and receipt ids checked here; their signatures were checked one level
  down, by the registry that holds those keys: `baosong verify --chain ID --lower DIR` checks them all).
- On a report this registry forwarded upward (`upward_html`): where it went, when the upper registry
  received it (its receipt, imported by `baosong upstream fetch`) and the status of the duty.

Links between portals: `upstream[].portal` and `units[].registry.portal` in units.yaml (optional) give
the other portal's address; without them the ids are shown as text.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

from baosong.portal.common import report_page, status_badge, time_cell, time_key, unit_link
from baosong.portal.html import Cell, cell, esc, fmt_time, link, table
from baosong.portal.model import Context, HomeBlock, Item, Page
from baosong.problems import snippet
from baosong.provenance import FACT_ZH, FIELD, Link, verify_link
from baosong.records import ReportRecord
from baosong.sources import blob_id, object_format_of
from baosong.vocab import UPWARD_STATUS_ZH
from baosong.yamlload import load_yaml

PAGE = "registers/forwards.md"
_TIMELY = ("on_time", "late", "missed")


def _config_doc(ctx: Context) -> dict:
    return getattr(ctx.config, "units_doc", None) or {}


def lower_registries(ctx: Context) -> dict[str, dict]:
    """unit code -> its `registry` entry, for the units that are lower registries."""
    return {code: u["registry"] for code, u in ctx.units.items() if isinstance(u.get("registry"), dict)}


def _other_portal(base: object, report_id: str) -> str | None:
    """The address of a report page on another registry's portal (base from units.yaml, checked by the schema)."""
    if not isinstance(base, str) or not base.endswith("/") or base.startswith("//"):
        return None  # the schema allows https://… and a path on this site; never another host by "//"
    return base + report_page(report_id)[:-3] + ".html"


def _outside_link(base: object, report_id: str, text: str) -> str:
    href = _other_portal(base, report_id)
    return f'<a href="{esc(href)}">{esc(text)}</a>' if href else esc(text)


def _upstream(ctx: Context, upstream_id: object) -> dict:
    return next((u for u in _config_doc(ctx).get("upstream") or [] if u.get("id") == upstream_id), {})


def _link_verdict(ctx: Context, record: ReportRecord, doc: dict) -> Link | None:
    if not isinstance(doc.get(FIELD), dict) or ctx.config is None:
        return None
    cache = ctx.extra.setdefault("_forward_links", {})
    rid = record.id
    if rid not in cache:
        cache[rid] = verify_link(record.path or "", doc, lambda _where: (1, 1), ctx.config)
    return cache[rid]


def _verdict_text(link_: Link | None) -> tuple[bool, str]:
    if link_ is None:
        return False, "未核验"
    errors = [p for p in link_.problems if p.is_error]
    if errors:
        return False, "未通过：" + "；".join(f"{p.field or ''} {p.message}" for p in errors[:3])
    declared = [p for p in link_.problems if p.rule == "forward-change-declared"]
    return True, "回执签名有效，原文与回执登记的 blob 一致，" + ("事实改动已声明" if declared else "事实与来源一致")


def _badge(ok: bool, text: str) -> str:
    kind = "on_time" if ok else "missed"
    return f'<span class="bs-status bs-status-{kind}">{esc("通过" if ok else "未通过")}</span> {esc(text)}'


def _receipt_id(blob: str) -> str:
    return f"receipts/{blob[:2]}/{blob}.json" if blob else "—"


def _deeper(ff: dict) -> list[dict]:
    """The forwards carried inside an origin (a forward of a forward), outermost first."""
    out = []
    text = ff.get("origin")
    while isinstance(text, str):
        loaded = load_yaml(text.encode("utf-8"), "origin")
        inner = loaded.data.get(FIELD) if isinstance(loaded.data, dict) else None
        if not isinstance(inner, dict):
            break
        out.append({"doc": loaded.data, "ff": inner})
        text = inner.get("origin")
    return out


def _integrity(ff: dict) -> tuple[bool, str]:
    """What needs no key: the origin text is the blob the receipt names."""
    origin = ff.get("origin")
    blob = ff.get("blob")
    if not isinstance(origin, str) or not isinstance(blob, str) or blob_id(origin.encode("utf-8"), object_format_of(blob)) != blob:
        return False, "原文与 blob 不一致"
    try:
        receipt = json.loads(ff.get("receipt") or "")
    except ValueError:
        receipt = None
    if not isinstance(receipt, dict) or receipt.get("blob") != blob:
        return False, "回执登记的不是这份原文"
    return True, "原文与回执登记的 blob 一致"


def chain_html(ctx: Context, page: str, record: ReportRecord, doc: dict) -> str:
    """The chain of a forwarded report, from this registry's receipt down to the first origin."""
    ff = doc.get(FIELD)
    if not isinstance(ff, dict):
        return ""
    here = _config_doc(ctx).get("registry") or {}
    lower = (ctx.units.get(record.unit or "") or {}).get("registry") or {}
    rows: list[list[Cell]] = []
    blob = record.blob or ""
    rows.append([cell(f"本登记库（{here.get('id') or ctx.city}）"), Cell(esc(record.id)),
                 Cell(f"<code>{esc(blob[:12])}</code>"), Cell(f"<code>{esc(_receipt_id(blob))}</code>"),
                 time_cell(ctx, record.received_at),
                 Cell(status_badge(record.status) + esc(" 本库收文（登记回执）"))])
    ok, text = _verdict_text(_link_verdict(ctx, record, doc))
    origin_id = str(ff.get("id") or "")
    rows.append([cell(f"{ctx.unit_name(record.unit)}（{ff.get('registry')}）"),
                 Cell(_outside_link(lower.get("portal"), origin_id, origin_id)),
                 Cell(f"<code>{esc(str(ff.get('blob') or '')[:12])}</code>"),
                 Cell(f"<code>{esc(_receipt_id(str(ff.get('blob') or '')))}</code>"),
                 time_cell(ctx, ff.get("received_at")),
                 Cell(_badge(ok, text + f"（按本库为“{ctx.unit_name(record.unit)}”登记的回执公钥核验）"))])
    above = str(ff.get("registry") or "")
    for item in _deeper(ff):
        inner = item["ff"]
        good, what = _integrity(inner)
        rows.append([cell(f"{inner.get('registry')}（{above} 的下级）"), cell(inner.get("id") or "—"),
                     Cell(f"<code>{esc(str(inner.get('blob') or '')[:12])}</code>"),
                     Cell(f"<code>{esc(_receipt_id(str(inner.get('blob') or '')))}</code>"),
                     time_cell(ctx, inner.get("received_at")),
                     Cell(_badge(good, f"{what}；回执签名由 {above} 登记库凭其登记的 {inner.get('registry')} "
                                       "回执公钥核验（本库未登记该公钥）"))])
        above = str(inner.get("registry") or "")
    headers = ["环节", "报告编号", "blob", "回执", "收文时间", "核验"]
    changes = [f"{FACT_ZH.get(str(c.get('field')), str(c.get('field')))}：{snippet(c.get('from'))} → "
               f"{snippet(c.get('to'))}（理由：{snippet(c.get('reason'), 120)}）"
               for c in ff.get("changes") or [] if isinstance(c, dict)]
    parts = ['<h2 id="chain">转报来源链</h2>',
             '<p class="bs-note">自上而下：本库收到转报的回执，来源登记库的原报告及其回执（签名用本库登记的下级回执公钥核验），'
             "再往下的来源由下一级登记库核验。全部环节可用 <code>baosong verify --chain "
             f"{esc(record.id)} --lower 下级登记库目录</code> 逐级核验。</p>",
             table(headers, rows, table_id="chain", sortable=False, search=False)]
    if changes:
        parts.append("<h3>转报时声明的改动</h3><ul>" + "".join(f"<li>{esc(c)}</li>" for c in changes) + "</ul>")
    return "\n".join(parts)


def upward_html(ctx: Context, page: str, record: ReportRecord) -> str:
    """Where this registry forwarded the report (its first report's upward duties), for the report page."""
    incident = ctx.incidents_by_id.get(record.incident or "")
    rows = []
    for d in incident.upward if incident else ():
        if d.get("origin") != record.id or not d.get("report"):
            continue
        up = _upstream(ctx, d.get("upstream"))
        name = up.get("name") or d.get("upstream") or "上级登记库"
        when = fmt_time(d.get("done_at"), ctx.tz) or "—"
        # Only a believed upper receipt says when the upper registry received it; else it is our own claim.
        seen = f"上级收到 {when}" if d.get("source") == "upper_receipt" else f"本机关提交 {when}，尚无上级回执"
        rows.append((f"{name}：", _outside_link(up.get("portal"), d["report"], d["report"]),
                     f"（{seen}，{UPWARD_STATUS_ZH.get(d.get('status') or '', d.get('status') or '')}）"))
    if not rows:
        return ""
    items = "".join(f"<li>{esc(a)}{b}{esc(c)}</li>" for a, b, c in rows)
    return f'<h2 id="forwarded-up">已转报上级</h2><ul class="bs-forwarded-up">{items}</ul>'


def _ranking(ctx: Context, lowers: dict[str, dict]) -> list[list[Cell]]:
    levels = {ctx.units[c].get("level") for c in lowers}
    units = sorted(c for c, u in ctx.units.items() if c in lowers or u.get("level") in levels)
    by_unit: dict[str, list[ReportRecord]] = {}
    for r in ctx.register.reports:  # one pass: a province register holds a few hundred thousand
        if r.kind == "emergency" and r.stage == "first":
            by_unit.setdefault(r.unit or "", []).append(r)
    rows = []
    for code in units:
        firsts = by_unit.get(code, [])
        counts = Counter(r.status for r in firsts)
        judged = sum(counts[s] for s in _TIMELY)
        rate = counts["on_time"] / judged if judged else None
        forwarded = sum(1 for r in firsts if r.forwarded_from)
        reg = lowers.get(code) or {}
        rows.append((rate if rate is not None else -1, -counts["missed"], code, [
            Cell(unit_link(ctx, PAGE, code)), cell(reg.get("id") or "未接入（直接报送）"),
            cell(len(firsts), len(firsts), "bs-num"), cell(forwarded, forwarded, "bs-num"),
            cell(counts["on_time"], counts["on_time"], "bs-num"), cell(counts["late"], counts["late"], "bs-num"),
            cell(counts["missed"], counts["missed"], "bs-num"),
            cell(f"{rate:.0%}" if rate is not None else "—", f"{rate:.4f}" if rate is not None else "-1", "bs-num")]))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [[cell(n, n, "bs-num"), *r[3]] for n, r in enumerate(rows, start=1)]


def provide(ctx: Context) -> Iterator[Item]:
    lowers = lower_registries(ctx)
    forwarded = [r for r in ctx.register.reports if r.forwarded_from]
    if not lowers and not forwarded:
        return
    rows = []
    verdicts: Counter[bool] = Counter()
    for r in sorted(forwarded, key=lambda x: time_key(x.received_at, last=False), reverse=True):
        ff = r.forwarded_from or {}
        rid = r.id or ""
        ok, text = _verdict_text(_link_verdict(ctx, r, ctx.document(rid) or {}))
        verdicts[ok] += 1
        base = (lowers.get(r.unit or "") or {}).get("portal")
        rows.append([Cell(link(PAGE, report_page(rid), r.title or rid), rid),
                     Cell(unit_link(ctx, PAGE, r.unit)),
                     Cell(_outside_link(base, str(ff.get("id")), f"{ff.get('registry')} {ff.get('id')}")),
                     time_cell(ctx, ff.get("received_at")), time_cell(ctx, r.received_at),
                     Cell(status_badge(r.status), r.status or ""),
                     Cell(link(PAGE, report_page(rid), "通过" if ok else "未通过"), text)])
    ranking = _ranking(ctx, lowers) if lowers else []
    body = ["<h1>下级转报</h1>",
            f'<p class="bs-lead">下级登记库转报到本登记库的报告 {len(forwarded)} 份，来源核验通过 {verdicts[True]} 份'
            + (f"，未通过 {verdicts[False]} 份" if verdicts[False] else "") + "。</p>"]
    if ranking:
        body += ["<h2>下级报送时效排名</h2>",
                 '<p class="bs-note">按本登记库的报送时限判断各下级的首报（转报或直接报送）：按时率 = 按时 ÷（按时 + 迟报 + 漏报）。'
                 "漏报只计已收到但超过漏报界限的报告；下级从未转报的事件本库无从知道，见下级门户的“本机关上报义务”。</p>",
                 table(["名次", "单位", "登记库", "首报", "其中转报", "按时", "迟报", "漏报", "按时率"], ranking,
                       table_id="forward-ranking", search=False)]
    if rows:
        body += ["<h2>转报报告与来源核验</h2>",
                 table(["报告", "转报单位", "来源报告", "来源回执时间", "本库收到", "时效", "来源核验"], rows,
                       table_id="forwards", search=False)]
    yield Page(PAGE, "下级转报", "\n\n".join(body), "registers", nav_title="下级转报", order=("~forwards",),
               wide=True, search=False)
    if ranking:
        summary = f"下级转报 {len(forwarded)} 份，来源核验通过 {verdicts[True]} 份。"
        yield HomeBlock("forwards", "下级转报", f"<p>{esc(summary)}{link('index.md', PAGE, '查看下级报送时效排名')}</p>",
                        order=41)


__all__ = ["PAGE", "chain_html", "provide", "upward_html"]
