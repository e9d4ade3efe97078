"""Provenance of forwarded reports (上报): a report of the forwarding office that carries a
`forwarded_from` block is checked against the lower registry's receipt keys from the TRUSTED
configuration (the units.yaml entry of the forwarding unit: `registry: {id, keys}`).

What is checked, each failure its own rule (see FORMAT.md "Forwarding"):
the forwarding unit is a lower registry and its id is the block's `registry`; the receipt is
signed by one of that registry's keys (namespace baosong-receipt, judged by sshsig as
`signatures.Verifier` judges it); the receipt's blob is the block's blob and the git blob id of the verbatim
`origin`; the receipt's path and time are the block's; the origin's id and path agree; the
forwarded facts equal the origin's unless a change is declared with a real reason; a figure (or
the grade, or the sensitive flag) lowered without a declared change is concealment (瞒报).

The verdict depends only on the file's bytes and the trust roots, so `check` caches it with the
rest of the per-file verdict (by blob id under the configuration's fingerprint).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from baosong.config import Config
from baosong.grading import severity
from baosong.problems import Problem, snippet
from baosong.rules import PATH_RE, REPORT_ID_RE, is_real_reason, reason_min_chars
from baosong.sources import blob_id, object_format_of
from baosong.timeutil import parse_datetime
from baosong.yamlload import load_yaml

FIELD = "forwarded_from"
# The facts a forward must carry unchanged (or declare): what the upper office ranks and grades by.
FACTS = ("category", "occurred_at", "discovered_at", "place", "casualties.deaths", "casualties.serious_injuries",
         "casualties.injuries", "casualties.missing", "economic_loss", "grade", "sensitive")
FIGURES = frozenset({"casualties.deaths", "casualties.serious_injuries", "casualties.injuries",
                     "casualties.missing", "economic_loss"})
TIMES = frozenset({"occurred_at", "discovered_at"})
FIXED = ("kind", "stage")  # never changed on the way up (a follow-up forwarded stays a follow-up)
FACT_ZH = {"category": "事件类别", "occurred_at": "事发时间", "discovered_at": "获知时间", "place": "事发地点",
           "casualties.deaths": "死亡人数", "casualties.serious_injuries": "重伤人数",
           "casualties.injuries": "受伤人数", "casualties.missing": "失踪人数",
           "economic_loss": "直接经济损失（万元）", "grade": "事件等级", "sensitive": "敏感事件",
           "kind": "报告类别", "stage": "报送阶段"}
PRINCIPAL = "lower-registry"  # the one principal of the allowed-signers text built from a unit's keys


@dataclass(frozen=True, slots=True)
class Link:
    """One verified (or refused) provenance link, for `verify --chain` and the register."""

    registry: str
    id: str
    path: str
    blob: str
    received_at: str
    origin: dict | None  # the origin document (None when it does not load)
    problems: tuple[Problem, ...]


def fact(doc: dict, name: str) -> Any:
    """The value of a fact field (dotted for casualties), None when absent."""
    if "." in name:
        outer, inner = name.split(".", 1)
        sub = doc.get(outer)
        return sub.get(inner) if isinstance(sub, dict) else None
    return doc.get(name)


def _same(name: str, a: Any, b: Any) -> bool:
    if name in TIMES and isinstance(a, str) and isinstance(b, str):
        ta, tb = parse_datetime(a), parse_datetime(b)
        if ta is not None and tb is not None:
            return ta == tb
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def lowered(name: str, origin: Any, forwarded: Any) -> bool:
    """True when the forward shows less than the origin: a smaller or dropped figure, a less severe
    grade, a sensitive event no longer marked sensitive."""
    if name in FIGURES:
        return isinstance(origin, int | float) and not isinstance(origin, bool) and (
            forwarded is None or (isinstance(forwarded, int | float) and forwarded < origin))
    if name == "grade":
        return isinstance(origin, str) and (forwarded is None or severity(str(forwarded)) > severity(origin))
    if name == "sensitive":
        return origin is True and forwarded is not True
    return False


def _show(value: Any) -> str:
    return "（无）" if value is None else snippet(json.dumps(value, ensure_ascii=False) if isinstance(value, str)
                                               else str(value).lower() if isinstance(value, bool) else value)


def lower_config(cfg: Config, unit: str) -> Config | None:
    """A configuration whose only signer is the lower registry behind `unit` (its receipt keys), with
    the upper registry's revoked keys; None when the unit is not a lower registry."""
    entry = (cfg.units.get(unit) or {}).get("registry")
    if not isinstance(entry, dict):
        return None
    return Config(units_doc={"registry": {"principal": PRINCIPAL, "keys": list(entry.get("keys") or [])},
                             "revoked_keys": list(cfg.units_doc.get("revoked_keys") or []), "units": []})


def receipt_bytes(text: str) -> bytes:
    """The signed receipt file: the canonical JSON line and its newline (the block keeps the line)."""
    data = text.encode("utf-8")
    return data if data.endswith(b"\n") else data + b"\n"


def receipt_status(cfg: Config, unit: str, receipt: str, signature: str) -> str:
    """The receipt signature's status against the unit's lower-registry keys (`good` when it holds).

    The allowed signers are `signatures.allowed_signers` of a configuration holding only those keys;
    a good signature is recognised by `sshverify.Check` in-process (no temporary files: this runs for
    every forward the register or a check judges, in forked workers too). Anything else, and keys
    sshsig cannot judge, go through `signatures.Verifier` for its exact status (and ssh-keygen)."""
    lower = lower_config(cfg, unit)
    if lower is None:
        return "unknown_key"
    # Imported here: only forwarded reports need them (check's per-file path stays light).
    from baosong import sshsig, sshverify
    from baosong.receipts import verify_record
    from baosong.signatures import RECEIPT_NAMESPACE, Verifier, allowed_signers

    payload, sig = receipt_bytes(receipt), signature.encode("utf-8")
    allowed, revoked, _, _ = allowed_signers(lower)
    try:
        ok, _ = sshverify.Check(_signers(allowed, revoked), sig, payload).verify(PRINCIPAL, RECEIPT_NAMESPACE, None)
        if ok:
            return "good"
    except sshsig.Unsupported:
        pass
    with Verifier(lower, None, use_cache=False) as verifier:
        return verify_record(verifier, payload, sig, RECEIPT_NAMESPACE, FIELD).status


@lru_cache(maxsize=64)
def _signers(allowed: str, revoked: str) -> Any:
    from baosong import sshverify

    return sshverify.Signers(allowed, revoked)


SIGNATURE_ZH = {"unsigned": "没有签名", "unknown_key": "不是该登记库登记的回执公钥签的", "bad": "签名无效（回执或签名被改动）",
                "expired": "签名不在公钥有效期内", "revoked": "所用公钥已被吊销"}


def verify_link(path: str, doc: dict, position: Callable[[tuple], tuple[int, int]], cfg: Config) -> Link:
    ff = doc.get(FIELD)
    assert isinstance(ff, dict)
    out: list[Problem] = []

    def problem(where: tuple, fieldname: str, rule: str, message: str, severity: str = "error") -> None:
        line, col = position(where)
        out.append(Problem(path, line, col, fieldname, rule, message, severity))  # type: ignore[arg-type]

    unit = doc.get("unit", "")
    registry = ff.get("registry", "")
    entry = (cfg.units.get(unit) or {}).get("registry")
    link = dict(registry=str(registry), id=str(ff.get("id", "")), path=str(ff.get("path", "")),
                blob=str(ff.get("blob", "")), received_at=str(ff.get("received_at", "")))
    if not isinstance(entry, dict):
        problem((FIELD,), FIELD, "forward-unit-not-registry",
                f"本报告带有转报来源（forwarded_from），但报送单位“{unit}”在 config/units.yaml 中没有登记为下级登记库"
                "（缺少 registry: {id, keys}），无法核验来源。只有下级登记库对应的单位才能转报；如该单位确是下级登记库，"
                "请登记管理员在 units.yaml 中为它填写 registry.id 和回执公钥。")
        return Link(**link, origin=None, problems=tuple(out))
    if registry != entry.get("id"):
        problem((FIELD, "registry"), f"{FIELD}.registry", "forward-registry",
                f"转报来源登记库写的是“{snippet(registry)}”，而报送单位“{unit}”在 config/units.yaml 中登记的下级登记库是"
                f"“{entry.get('id')}”：只能转报本单位自己登记库的报告。请用 baosong forward 从“{entry.get('id')}”登记库重新生成。")
    receipt_text, signature = ff.get("receipt", ""), ff.get("receipt_signature", "")
    status = receipt_status(cfg, unit, receipt_text, signature)
    if status != "good":
        problem((FIELD, "receipt_signature"), f"{FIELD}.receipt_signature", "forward-receipt-signature",
                f"来源回执的签名{SIGNATURE_ZH.get(status, status)}：按 config/units.yaml 中单位“{unit}”登记的下级登记库"
                f"“{entry.get('id')}”回执公钥核验不通过，无法证明该报告来自该登记库。请用 baosong forward 从来源登记库"
                "重新生成转报报告，不要手工改动回执和签名；如下级登记库更换了密钥，请登记管理员更新 units.yaml。")
    try:
        receipt = json.loads(receipt_text)
    except ValueError:
        receipt = None
    if not isinstance(receipt, dict) or receipt.get("kind") != "receipt":
        problem((FIELD, "receipt"), f"{FIELD}.receipt", "forward-receipt",
                "来源回执不是登记回执（应为回执库中 receipts/<blob前两位>/<blob>.json 的一行 JSON，kind 为 receipt）。"
                "请用 baosong forward 重新生成。")
        receipt = {}
    blob = ff.get("blob")
    if receipt and receipt.get("blob") != blob:
        problem((FIELD, "receipt"), f"{FIELD}.receipt", "forward-receipt-blob",
                f"来源回执登记的是另一份内容（blob {snippet(receipt.get('blob'))}），不是转报来源的 blob {blob}："
                "回执不能证明这份原文。请用 baosong forward 重新生成。")
    origin_text = ff.get("origin", "")
    origin_bytes = origin_text.encode("utf-8")
    origin_blob = blob_id(origin_bytes, object_format_of(str(blob)))  # the origin registry's object format
    if origin_blob != blob:
        problem((FIELD, "origin"), f"{FIELD}.origin", "forward-origin-blob",
                f"来源报告原文（origin）的 git blob 编号是 {origin_blob}，与回执登记的 {blob} 不符：原文被改动过。"
                "原文必须逐字照抄来源登记库中的报告；对事实的改动写在本报告的字段里，并在 changes 中说明理由。")
    if receipt and receipt.get("path") != ff.get("path"):
        problem((FIELD, "path"), f"{FIELD}.path", "forward-receipt-path",
                f"来源报告路径写的是 {snippet(ff.get('path'))}，回执登记的是 {snippet(receipt.get('path'))}。请用 baosong forward 重新生成。")
    if receipt and parse_datetime(receipt.get("received_at")) != parse_datetime(ff.get("received_at")):
        problem((FIELD, "received_at"), f"{FIELD}.received_at", "forward-received-at",
                f"来源回执时间写的是 {snippet(ff.get('received_at'))}，回执记载的是 {snippet(receipt.get('received_at'))}。"
                "请照抄回执时间（用 baosong forward 重新生成）。")
    loaded = load_yaml(origin_bytes, f"{FIELD}.origin")
    origin = loaded.data if isinstance(loaded.data, dict) and not loaded.problems else None
    if origin is None:
        first = loaded.problems[0].message if loaded.problems else "不是“字段名: 值”的映射"
        problem((FIELD, "origin"), f"{FIELD}.origin", "forward-origin-unreadable",
                f"来源报告原文无法读取：{first}。请用 baosong forward 重新生成。")
        return Link(**link, origin=None, problems=tuple(out))
    _origin_identity(ff, origin, problem)
    _facts(doc, ff, origin, cfg, position, problem)
    return Link(**link, origin=origin, problems=tuple(out))


def _origin_identity(ff: dict, origin: dict, problem: Callable[..., None]) -> None:
    oid, opath = origin.get("id"), str(ff.get("path", ""))
    m = PATH_RE.match(opath)
    if oid != ff.get("id"):
        problem((FIELD, "id"), f"{FIELD}.id", "forward-origin-id",
                f"来源报告编号写的是 {snippet(ff.get('id'))}，而原文中的 id 是 {snippet(oid)}。请用 baosong forward 重新生成。")
    elif m is None or m.group(3) != oid or m.group(2) != origin.get("unit") or not REPORT_ID_RE.match(str(oid)) \
            or str(oid).split("-")[0] != origin.get("unit"):
        problem((FIELD, "path"), f"{FIELD}.path", "forward-origin-path",
                f"来源报告路径 {snippet(opath)} 与原文的编号 {snippet(oid)}、单位 {snippet(origin.get('unit'))} 不一致"
                "（应为 reports/<年>/<单位代码>/<报告编号>.yaml）。请用 baosong forward 重新生成。")


def _facts(doc: dict, ff: dict, origin: dict, cfg: Config, position: Callable[[tuple], tuple[int, int]],
           problem: Callable[..., None]) -> None:
    for name in FIXED:
        if origin.get(name) != doc.get(name):
            problem((name,) if name in doc else (FIELD,), name, "forward-kind",
                    f"{FACT_ZH[name]}（{name}）与来源报告不同：来源是 {_show(origin.get(name))}，本报告是 {_show(doc.get(name))}。"
                    "转报不改变报告类别和报送阶段：首报按首报转报，续报、终报按续报、终报转报。")
    declared: dict[str, int] = {}
    for i, change in enumerate(ff.get("changes") or []):
        name = change.get("field")
        where = (FIELD, "changes", i)
        if name not in FACTS:
            problem((*where, "field"), f"{FIELD}.changes[{i}].field", "forward-change-field",
                    f"改动说明中的字段 {snippet(name)} 不是转报核对的事实字段（只能是 {'、'.join(FACTS)} 之一）。")
            continue
        if name in declared:
            problem((*where, "field"), f"{FIELD}.changes[{i}].field", "forward-change-duplicate",
                    f"字段 {name}（{FACT_ZH[name]}）的改动已在第 {declared[name] + 1} 项说明过，请合并为一项。")
            continue
        was, now = fact(origin, name), fact(doc, name)
        if not _same(name, change.get("from"), was) or not _same(name, change.get("to"), now) or _same(name, was, now):
            problem(where, f"{FIELD}.changes[{i}]", "forward-change-mismatch",
                    f"改动说明与实际不符：{FACT_ZH[name]}（{name}）来源报告中是 {_show(was)}，本报告中是 {_show(now)}，"
                    f"说明写的是 {_show(change.get('from'))} → {_show(change.get('to'))}。请按实际的原值和新值填写"
                    "（没有改动的字段不要写入 changes）。")
            continue
        if not is_real_reason(change.get("reason"), cfg.policy):
            problem((*where, "reason"), f"{FIELD}.changes[{i}].reason", "forward-change-reason",
                    f"{FACT_ZH[name]}（{name}）改动的理由须用文字写明，至少 {reason_min_chars(cfg.policy)} 个汉字或字母："
                    "为何改动、依据什么核实、经谁确认。")
            continue
        declared[name] = i
    for name in FACTS:
        was, now = fact(origin, name), fact(doc, name)
        if _same(name, was, now):
            continue
        at: tuple = tuple(name.split(".")) if now is not None else (FIELD,)
        if name in declared:
            i = declared[name]
            problem((FIELD, "changes", i), name, "forward-change-declared",
                    f"转报改动了{FACT_ZH[name]}（{name}）：来源报告 {_show(was)} → 本报告 {_show(now)}，"
                    f"理由：{snippet(ff['changes'][i].get('reason'), 80)}", "warning")
        elif lowered(name, was, now):
            problem(at, name, "forward-figure-lowered",
                    f"转报调低了{FACT_ZH[name]}（{name}）：来源报告是 {_show(was)}，本报告是 {_show(now)}，且未说明理由。"
                    "未经说明在上报中调低伤亡、损失、等级或敏感性按瞒报处理，不予通过。请改回来源报告的数字，"
                    f"或在 forwarded_from.changes 中写明 {{field: {name}, from: …, to: …, reason: 核实依据}}。")
        else:
            problem(at, name, "forward-fact-changed",
                    f"转报改动了{FACT_ZH[name]}（{name}）：来源报告是 {_show(was)}，本报告是 {_show(now)}，但没有说明。"
                    "请改回来源报告的内容，或在 forwarded_from.changes 中写明改动及理由。")


def forwarded_summary(doc: dict) -> dict | None:
    """The register's view of a forward: `{registry, id, blob, received_at}`, None for other reports."""
    ff = doc.get(FIELD)
    if not isinstance(ff, dict):
        return None
    if set(ff) == {"registry", "id", "blob", "received_at"}:
        return dict(ff)  # already the summary (a cached register entry)
    return {k: ff.get(k) for k in ("registry", "id", "blob", "received_at")}
