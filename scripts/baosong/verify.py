"""`baosong verify`: the receipts store against main — the signed chain, the receipt files, the witness,
and receipts written long after the merge that brought their blob (catch-up receipts)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import (
    ls_tree,
    read_objects,
    ref_value,
    rev_parse,
)
from baosong.problems import Problem
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    Receipt,
    ReceiptKey,
    chain_problems,
    named_vias,
    path_key,
    read_checkpoints,
    receipt_file_key,
    receipt_via,
    unsigned_checkpoints,
    verify_record,
    witness_path,
)
from baosong.signatures import RECEIPT_NAMESPACE, SigResult, Verifier
from baosong.storecheck import (
    first_listings,
    receipt_file_problems,
    receipt_files,
    store_finding,
    store_problems,
)
from baosong.timeutil import iso, parse_datetime
from baosong.tsa import tsa_verify


@dataclass
class VerifyResult:
    receipts: int = 0
    checkpoints: int = 0
    catch_up: int = 0  # receipts written later than the merge that brought their blob in (see history.CATCH_UP_AFTER)
    problems: list[Problem] = field(default_factory=list)




def catch_up_problems(repo: Path, rev: str, listed: dict[ReceiptKey, list], vias: dict[ReceiptKey, str],
                      ) -> list[Problem]:
    """Receipts written long after the merge that brought their blob in (warnings: the arrival then
    counts from the merge, unattested). The rule is history.trusted_arrival."""
    from baosong.history import is_report, main_reports, trusted_arrival

    tip = rev_parse(repo, rev)
    if tip is None or not listed:
        return []
    out = []
    files = receipt_files(listed)
    for path, intro in sorted(main_reports(repo, tip).items()):
        key = (intro.blob, path)
        entry = listed.get(key)
        if entry is None or not is_report(intro):
            continue
        when = parse_datetime(entry[3])
        if when is None:
            continue
        rec = Receipt(path, intro.blob, entry[2], when, parse_datetime(entry[4]), 0, vias.get(key, "receive"))
        trusted = trusted_arrival(rec, intro.main_time)
        if trusted.catch_up:
            registry_time = rec.tsa_time or rec.received_at
            hours = (registry_time - intro.main_time).total_seconds() / 3600
            out.append(store_finding(files[key], "receipt-catch-up",
                                f"补登回执：{path} 的回执时间 {iso(registry_time)} 晚于合并进主分支的时间 "
                                f"{iso(intro.main_time)}（{hours:.1f} 小时）。回执作业当时未运行，送达时间按合并时间计算，"
                                "合并时间未经回执证实。", "warning"))
    return out


def _name_problems(path: str, record: dict, blob: str, pkey: str | None) -> list[Problem]:
    """A receipt file's name against its record: the blob, and for a path-named file the path."""
    out = []
    if record.get("blob") != blob:
        out.append(store_finding(path, "receipt-blob-mismatch", f"回执记录的 blob {record.get('blob')} 与文件名 {blob} 不一致。"))
    record_path = record.get("path")
    if pkey is not None and (not isinstance(record_path, str) or path_key(record_path) != pkey):
        out.append(store_finding(path, "receipt-path-mismatch",
                                 f"回执记录的路径 {record_path} 与文件名中的路径摘要不一致，回执可能被移动或篡改。"))
    return out


def _tsa_problems(tsr_path: str, receipt: bytes, reply: bytes, tsa_cfg: dict) -> list[Problem]:
    """A receipt's RFC 3161 stamp, checked against the configured TSA certificate."""
    if not tsa_cfg.get("cert"):
        return [store_finding(tsr_path, "receipt-tsa-unverifiable",
                         f"回执带有时间戳，但 {UNITS_PATH} 未配置 registry.tsa.cert，无法验证。")]
    ok, text = tsa_verify(receipt, reply, tsa_cfg["cert"])
    if ok:
        return []
    return [store_finding(tsr_path, "receipt-tsa", f"时间戳验证失败：{text.splitlines()[-1] if text else ''}")]


def _checkpoint_problems(verifier: Verifier, checkpoints: list) -> list[Problem]:
    """Every checkpoint's own signature, and the hash links between them."""
    out = [Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-signature",
                   f"检查点 {cp.sequence} 的登记系统签名不成立（{status}）：检查点是伪造或被篡改的，"
                   "即使其后有已签名的检查点链接到它，它登记的回执也不可信。")
           for cp, status in unsigned_checkpoints(verifier, checkpoints)]
    out += [Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-chain", text)
            for cp, text in chain_problems(checkpoints)]
    return out


def verify_store(repo: Path, cfg: Config, *, rev: str = "HEAD", witness: Path | None = None) -> VerifyResult:
    """Check every receipt and checkpoint offline: registry signatures (every checkpoint, not only the
    latest), hash links, TSA stamps, the blobs still present, the store against the witness; and
    name the catch-up receipts of the reports on rev."""
    repo = Path(repo)
    result = VerifyResult()
    problems = result.problems
    tip = ref_value(repo, RECEIPTS_REF)
    checkpoints = read_checkpoints(repo, tip) if tip else []
    main = rev_parse(repo, rev)
    on_main = bool(main and any(e.path.endswith(".yaml") for e in ls_tree(repo, main, "reports")))
    problems.extend(store_problems(repo, tip, checkpoints, witness_path(repo, witness), on_main))
    if tip is None:
        return result
    entries = {e.path: e for e in ls_tree(repo, tip)}
    jsons = sorted(p for p in entries if p.startswith("receipts/") and p.endswith(".json"))
    objs = read_objects(repo, [entries[p].oid for p in entries if p.startswith("receipts/")])
    tsa_cfg = (cfg.units_doc.get("registry") or {}).get("tsa") or {}
    listed, relisted = first_listings(checkpoints)
    problems.extend(relisted)
    named = named_vias(checkpoints)  # what the register takes instead of reading the receipt JSONs
    keys = {name: key for key, name in receipt_files(listed).items()}  # receipt file -> the report it lists
    blobs_named = {p: receipt_file_key(p) or (p, None) for p in jsons}  # file -> (blob, path key)
    present = read_objects(repo, sorted({b for b, _ in blobs_named.values()}))
    vias: dict[ReceiptKey, str] = {}

    with Verifier(cfg, repo, use_cache=False) as verifier:
        def signature(path: str) -> SigResult:
            sig = objs.get(entries[path + ".sig"].oid) if path + ".sig" in entries else None
            return verify_record(verifier, objs[entries[path].oid] or b"", sig, RECEIPT_NAMESPACE, path)

        signed = dict(zip(jsons, verifier.map(signature, jsons), strict=True))  # on a free core too

        def check(path: str) -> list[Problem]:
            out: list[Problem] = []
            raw = objs[entries[path].oid] or b""
            blob, pkey = blobs_named[path]
            key = keys.get(path)
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                return [store_finding(path, "receipt-unreadable", "回执不是有效的 JSON，已被损坏或篡改。")]
            via = receipt_via(record)
            if key is not None:
                vias[key] = via[0]
            if key in named and via != named[key]:
                out.append(store_finding(path, "receipt-via-mismatch",
                                         f"回执记载的来源 via={via[0]}、ref={via[1]} 与登记它的检查点记载的 "
                                         f"via={named[key][0]}、ref={named[key][1]} 不一致；登记簿以检查点为准。"
                                         "两者都由登记系统签署，只有持有登记系统私钥者才能造成这种不一致，请核查。"))
            sig = objs.get(entries[path + ".sig"].oid) if path + ".sig" in entries else None
            r = signed[path]
            if not r.good:
                why = "缺少签名文件" if sig is None else f"签名状态：{r.status}（密钥 {r.key or '未知'}）"
                out.append(store_finding(path, "receipt-signature", f"回执的登记系统签名不成立（{why}），回执可能被篡改。"))
            out.extend(_name_problems(path, record, blob, pkey))
            if present.get(blob) is None:
                out.append(store_finding(path, "receipt-blob-missing",
                                    f"回执对应的报告内容（blob {blob[:10]}，{record.get('path')}）已不在仓库中。"))
            if key is None:
                out.append(store_finding(path, "receipt-unlisted", "回执未列入任何已签名的检查点，可能是事后添加或被替换。"))
            tsr_path = path[:-5] + ".tsr"
            if tsr_path in entries:
                out.extend(_tsa_problems(tsr_path, raw, objs[entries[tsr_path].oid] or b"", tsa_cfg))
            return out

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for found in pool.map(check, jsons):
                problems.extend(found)
        problems.extend(_checkpoint_problems(verifier, checkpoints))
    problems.extend(receipt_file_problems(entries, listed))
    catch_up = catch_up_problems(repo, rev, listed, vias)
    problems.extend(catch_up)
    result.receipts = len(jsons)
    result.checkpoints = len(checkpoints)
    result.catch_up = len(catch_up)
    return result

