"""`baosong forward`: a report of this registry, written into the upper registry's checkout as a
report of the forwarding office with its provenance (`forwarded_from`), and `verify --chain`.

The origin comes from git objects of this registry's main (never the work tree), with its signed
receipt from refs/baosong/receipts, verified with this registry's own keys before it is copied.
The upper registry's check then verifies the same receipt with the keys the upper units.yaml lists
for the forwarding unit (`provenance`). The file is written by `newreport.document_text`, the one
writer of report files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from baosong import newreport as nr
from baosong.check import check_bytes
from baosong.config import Config, load_config
from baosong.gitrepo import GitTree, read_objects, ref_value, resolve_commit
from baosong.problems import Problem, snippet
from baosong.provenance import FACT_ZH, FACTS, FIELD, Link, fact, verify_link
from baosong.receipts import RECEIPTS_REF, receipt_path, verify_record
from baosong.signatures import RECEIPT_NAMESPACE, Verifier
from baosong.sources import WorkTree, blob_id, object_format_of
from baosong.yamlload import load_yaml

FORWARDABLE = ("emergency", "info", "opinion")
# The forwarding office's own fields, never copied from the origin: who writes, signs and when, the
# lower registry's unit codes, phone and delay duties (the office has its own upstairs), the series
# numbers (the upper registry numbers its own series) and an earlier forward's block (kept in the origin).
OWN_FIELDS = ("id", "unit", "author", "reviewer", "signer", "created_at", "signoff_pending", "delay_reason",
              "incident", "sequence", "involved_units", "phoned_at", FIELD)


class ForwardError(ValueError):
    """Forwarding cannot go on: a Chinese message saying why and what to do."""


@dataclass
class Origin:
    path: str
    blob: str
    data: bytes
    doc: dict
    receipt: bytes  # the receipt file (canonical JSON line + newline)
    signature: bytes
    received_at: str
    registry: str  # this registry's registry.id


@dataclass
class Forward:
    path: str  # upstairs, relative to the upper checkout
    text: str
    doc: dict
    unit: str
    problems: list[Problem] = field(default_factory=list)  # the upper check's verdict on the written file


def registry_id(cfg: Config) -> str | None:
    rid = (cfg.units_doc.get("registry") or {}).get("id")
    return rid if isinstance(rid, str) else None


def _report_at(repo: Path, commit: str, report_id: str, where: str, advice: str) -> tuple[str, bytes]:
    """(path, bytes) of a report at a commit; ForwardError naming `where` (and what to do) when absent."""
    try:
        path = nr.report_path(report_id)
    except ValueError as exc:
        raise ForwardError(str(exc)) from None
    spec = f"{commit}:{path}"
    data = read_objects(repo, [spec])[spec]
    if data is None:
        raise ForwardError(f"{where}上没有报告 {report_id}（{path}）。{advice}")
    return path, data


def read_origin(repo: Path, report_id: str, rev: str = "main") -> Origin:
    """The origin report and its receipt from this registry's `rev` (git objects only)."""
    commit = resolve_commit(repo, rev)
    cfg = load_config(GitTree(repo, commit))
    if not cfg.ok:
        raise ForwardError("本登记库的配置有误，请先运行 baosong check 修正：\n" + "\n".join(p.render() for p in cfg.problems))
    rid = registry_id(cfg)
    if rid is None:
        raise ForwardError("本登记库的 config/units.yaml 没有填写 registry.id（登记库标识，如 nanshan），上级登记库据此"
                           "识别报告来自哪个登记库。请登记管理员填写后提交到主分支，并把同一标识告诉上级登记库。")
    path, data = _report_at(repo, commit, report_id, f"主分支（{rev}）",
                            "只能转报已合并进主分支的报告；请先 git pull 更新本地主分支。")
    blob = blob_id(data, object_format_of(commit))
    tip = ref_value(repo, RECEIPTS_REF)
    # The report's own receipt: the blob's first receipt file, or the one named by the path when the
    # same content was receipted at another path first (receipts.receipt_path).
    names = [receipt_path(blob, path=path), receipt_path(blob)]
    objs = read_objects(repo, [f"{tip}:{n}{ext}" for n in names for ext in ("", ".sig")]) if tip else {}
    name = next((n for n in names if _json(objs.get(f"{tip}:{n}") or b"{}").get("path") == path), names[1])
    raw, sig = objs.get(f"{tip}:{name}"), objs.get(f"{tip}:{name}.sig")
    if raw is None or sig is None:
        raise ForwardError(f"报告 {report_id} 还没有登记回执（{RECEIPTS_REF} 中没有 blob {blob[:10]} 的回执），无法证明它何时"
                           "送达本登记库，不能转报。请先取回回执：git fetch origin 'refs/baosong/*:refs/baosong/*'；"
                           "如仍没有，请登记系统运行 baosong receive 后再转报。")
    with Verifier(cfg, repo, use_cache=False) as verifier:
        status = verify_record(verifier, raw, sig, RECEIPT_NAMESPACE, name).status
    record = _json(raw)
    if status != "good" or record.get("blob") != blob or record.get("path") != path:
        raise ForwardError(f"报告 {report_id} 的登记回执未通过本登记库的核验（签名：{status}）：回执库可能被改动。"
                           "请运行 baosong verify 查明原因，不要转报。")
    loaded = load_yaml(data, path)
    if not isinstance(loaded.data, dict) or loaded.problems:
        raise ForwardError(f"报告 {report_id} 无法读取，请先运行 baosong check {path}。")
    return Origin(path, blob, data, loaded.data, raw, sig, str(record.get("received_at")), rid)


def _json(raw: bytes) -> dict:
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def upper_unit(upper: Config, rid: str, unit: str | None = None) -> str:
    """This registry's unit code upstairs: the unit whose `registry.id` is ours."""
    found = [code for code, u in upper.units.items() if (u.get("registry") or {}).get("id") == rid]
    if unit is not None:
        if unit not in found:
            raise ForwardError(f"上级登记库的 config/units.yaml 中，单位“{unit}”没有登记为下级登记库“{rid}”"
                               f"（应有 registry: {{id: {rid}, keys: [本登记库的回执公钥]}}）。")
        return unit
    if not found:
        raise ForwardError(f"上级登记库的 config/units.yaml 中没有哪个单位登记为下级登记库“{rid}”。请上级登记管理员在"
                           f"本单位条目下填写 registry: {{id: {rid}, keys: [本登记库 registry.keys 中的公钥]}}，合并后再转报。")
    if len(found) > 1:
        raise ForwardError(f"上级登记库中有多个单位登记为“{rid}”（{'、'.join(found)}），请用 --unit 指定。")
    return found[0]


def upstairs_forward_of(upper_root: Path, registry: str, origin_id: str) -> tuple[str, dict] | None:
    """(path, document) of the upstairs report that forwarded `origin_id` of `registry`: the working tree
    and every branch of the upper checkout (a forward waiting in a pull request counts)."""
    docs = dict(nr._branch_documents(upper_root, origin_id))
    needle = origin_id.encode()
    for path in sorted((upper_root / "reports").glob("*/*/*.yaml")):
        try:
            if needle not in path.read_bytes():
                continue
        except OSError:
            continue
        doc = nr._load_file(path)
        if doc:
            docs[path.relative_to(upper_root).as_posix()] = doc
    for rel, doc in sorted(docs.items()):
        ff = doc.get(FIELD)
        if isinstance(ff, dict) and ff.get("id") == origin_id and ff.get("registry") == registry:
            return rel, doc
    return None


def parse_changes(pairs: list[tuple[str, str]], reasons: list[str], schema: dict, now: datetime,
                  ) -> list[tuple[str, Any, str]]:
    """(field, value, reason) from `--change FIELD=VALUE --reason TEXT`, values typed by the schema."""
    if len(pairs) != len(reasons):
        raise ForwardError(f"每个 --change 都要跟一个 --reason（现有 {len(pairs)} 个改动、{len(reasons)} 个理由）。")
    out = []
    for (name, text), reason in zip(pairs, reasons, strict=True):
        if name not in FACTS:
            raise ForwardError(f"--change 只能改动这些事实字段：{'、'.join(FACTS)}；“{name}”不在其中。")
        outer, _, inner = name.partition(".")
        prop = nr.prop_schema(schema, outer)
        if inner:
            prop = prop.get("properties", {}).get(inner, {})
        value: Any = None if text.strip() in ("", "null") else nr.parse_answer(prop, text, now)
        out.append((name, value, reason))
    return out


def _set_fact(doc: dict, name: str, value: Any) -> None:
    outer, _, inner = name.partition(".")
    if not inner:
        if value is None:
            doc.pop(outer, None)
        else:
            doc[outer] = value
        return
    sub = dict(doc.get(outer) or {})
    if value is None:
        sub.pop(inner, None)
    else:
        sub[inner] = value
    doc[outer] = sub


def build_forward(origin: Origin, upper_root: Path, *, now: datetime, unit: str | None = None,
                  author: str | None = None, changes: list[tuple[str, Any, str]] | None = None) -> Forward:
    """The upstairs report (not written yet) and the upper check's verdict on it."""
    upper = load_config(WorkTree(upper_root))
    if not upper.ok or upper.report_schema is None:
        raise ForwardError("上级登记库的配置有误或不完整：\n" + "\n".join(p.render() for p in upper.problems))
    schema = upper.report_schema.schema
    doc0 = origin.doc
    if doc0.get("kind") not in FORWARDABLE:
        raise ForwardError(f"只能转报紧急信息、政务信息和网络舆情；{doc0.get('id')} 是 {doc0.get('kind')}。")
    code = upper_unit(upper, origin.registry, unit)
    again = upstairs_forward_of(upper_root, origin.registry, str(doc0.get("id")))
    if again is not None:
        raise ForwardError(f"{doc0.get('id')} 已经转报过：上级登记库中的 {again[0]}（{again[1].get('id')}）。同一份报告只转报一次；"
                           "事实有变化请转报续报，或对已转报的报告提交更正记录。")
    author = author or nr.default_staff(upper, code, "officer")
    if author is None or (upper.staff.get(author) or {}).get("unit") != code:
        raise ForwardError(f"请用 --author 指定本单位（上级登记库中的“{code}”）的信息员标识。")
    local = now.astimezone(nr.local_tz(upper))
    doc: dict = {k: v for k, v in doc0.items() if k not in OWN_FIELDS}
    doc["unit"] = code
    doc["author"] = author
    doc["created_at"] = local.isoformat(timespec="seconds")
    signer = nr.default_staff(upper, code, "head")
    if signer:
        doc["signer"] = signer
    if doc0.get("kind") == "emergency" and doc0.get("stage") in ("followup", "final"):
        found = upstairs_forward_of(upper_root, origin.registry, str(doc0.get("incident")))
        if found is None:
            raise ForwardError(f"{doc0.get('id')} 是事件 {doc0.get('incident')} 的{'续报' if doc0.get('stage') == 'followup' else '终报'}，"
                               "但上级登记库中还没有这一事件的首报转报。请先转报首报：baosong forward "
                               f"{doc0.get('incident')} --to {upper_root}")
        up_first = found[1]
        doc["incident"] = up_first.get("id")
        if doc0.get("stage") == "followup":
            incident = nr.find_incident(upper_root, str(up_first.get("id")))
            doc["sequence"] = incident.next_sequence if incident else 1
    declared = []
    for name, value, reason in changes or []:
        declared.append({"field": name, "from": fact(doc0, name), "to": value, "reason": reason})
        _set_fact(doc, name, value)
    block: dict = {"registry": origin.registry, "id": doc0.get("id"), "path": origin.path, "blob": origin.blob,
                   "received_at": origin.received_at, "origin": origin.data.decode("utf-8"),
                   "receipt": origin.receipt.decode("utf-8").rstrip("\n"),
                   "receipt_signature": origin.signature.decode("ascii").rstrip("\n") + "\n"}
    if declared:
        block["changes"] = declared
    rules = nr.field_rules(schema, doc)
    doc = {k: v for k, v in doc.items() if k not in rules.forbidden}
    doc[FIELD] = block
    doc["id"] = nr.next_id(upper_root, code, author, local.strftime("%Y%m%d"))
    path = nr.report_path(doc["id"])
    text = nr.document_text(doc, schema)
    problems, _ = check_bytes(path, text.encode("utf-8"), upper)
    return Forward(path, text, doc, code, problems)


# --- verify --chain ---------------------------------------------------------------------------


@dataclass
class ChainLink:
    level: int  # 0: the report given; 1: its origin; ...
    path: str
    id: str
    unit: str
    registry: str | None  # the registry the report lives in (None: this one)
    link: Link | None  # the provenance of this report, verified here (None: not a forward, or verified below)
    forwarded_from: dict | None = None  # the report's own block, as written
    origin_forwarded: bool = False  # a deeper link: the origin is itself a forward (verify it in its registry)


def verify_chain(repo: Path, report_id: str, rev: str = "HEAD") -> list[ChainLink]:
    """The report and its forwarding chain, each link verified as the upper check does: the receipt
    against the forwarding unit's keys of this registry's `rev`, blob, identity, facts. The origin's
    own provenance (a forward of a forward) is verified one level down only when that registry's keys
    are known here; this lists it as a further link to verify there."""
    commit = resolve_commit(repo, rev)
    cfg = load_config(GitTree(repo, commit))
    if not cfg.ok:
        raise ForwardError("登记库配置有误，请先运行 baosong check：\n" + "\n".join(p.render() for p in cfg.problems))
    path, data = _report_at(repo, commit, report_id, rev, "")
    loaded = load_yaml(data, path)
    if not isinstance(loaded.data, dict) or loaded.problems:
        raise ForwardError(f"报告 {report_id} 无法读取，请先运行 baosong check {path}。")
    doc = loaded.data
    chain = []
    level = 0
    here = registry_id(cfg)
    while True:
        ff = doc.get(FIELD)
        link = verify_link(path, doc, loaded.position, cfg) if isinstance(ff, dict) and level == 0 else None
        chain.append(ChainLink(level, path, str(doc.get("id")), str(doc.get("unit")), here, link,
                               ff if isinstance(ff, dict) else None, level > 0 and isinstance(ff, dict)))
        if not isinstance(ff, dict) or (link is not None and link.origin is None):
            return chain
        if link is None:  # a deeper link: its keys live in the registry below
            return chain
        origin_text = ff.get("origin", "")
        loaded = load_yaml(origin_text.encode("utf-8"), f"{path}#{FIELD}.origin")
        if not isinstance(loaded.data, dict):
            return chain
        doc, path, here, level = loaded.data, str(ff.get("path")), str(ff.get("registry")), level + 1


def describe_change(ff: dict) -> list[str]:
    """One Chinese line per declared change of a forward."""
    return [f"{FACT_ZH.get(str(c.get('field')), str(c.get('field')))}：{snippet(c.get('from'))} → {snippet(c.get('to'))}"
            f"（理由：{snippet(c.get('reason'), 80)}）" for c in ff.get("changes") or [] if isinstance(c, dict)]
