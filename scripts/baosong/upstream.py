"""The upper registry, seen from below (闭环): fetch its receipts and branches, find this registry's
forwards there, and believe an upper receipt only when the upper registry's key signed it.

Configuration: `upstream` in config/units.yaml (id, `to`, the unit code this office has upstairs, URL
or path, the upper registry's receipt keys). `fetch_upstream` copies the upper registry's receipts ref
and branches to `refs/baosong/upstream/<id>/receipts` and `refs/baosong/upstream/<id>/heads/*` —
never into this registry's own `refs/baosong/receipts`. `read_upstream` then reads only those refs:

- a forward is a report file under `reports/<year>/<unit>/` on any fetched upper branch whose
  `forwarded_from.registry` is this registry's `registry.id` (FORMAT.md, "Forwarding");
- its upper receipt is looked up by blob in the fetched store and verified with the configured keys
  through the same path as PR mode's receipt look-up (`receipts.lookup_receipts`); a receipt that
  does not verify is ignored and named in a problem;
- without a believed receipt, the office's own time is the committer time of the upstairs commit that
  added the file, believed only when one of this registry's own staff signed that commit.

Nothing here trusts fetched content otherwise: a blob is authenticated by its id, which the receipt
names; the file's claims are only read for this registry's own forwards.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import GitError, git, git_text, is_ancestor, log, ls_tree, read_objects, ref_value
from baosong.problems import Problem
from baosong.receipts import RECEIPTS_REF, latest_checkpoint, lookup_receipts, verify_record
from baosong.rules import PATH_RE
from baosong.signatures import CHECKPOINT_NAMESPACE, Verifier
from baosong.yamlload import load_yaml

UPSTREAM_PREFIX = "refs/baosong/upstream/"
UPPER_PRINCIPAL = "upper-registry"  # the name the configured upper keys get in the throwaway verifier
_ID_RE = re.compile(r"^[a-z][a-z0-9-]*\Z")


@dataclass(frozen=True, slots=True)
class Upstream:
    """One entry of units.yaml `upstream`."""

    id: str
    to: str       # the upward duty level it receives (policy upward_rules[].to)
    unit: str     # this office's unit code in the upper registry
    url: str
    keys: tuple[str, ...]
    name: str = ""

    @property
    def receipts_ref(self) -> str:
        return f"{UPSTREAM_PREFIX}{self.id}/receipts"

    @property
    def heads_prefix(self) -> str:
        return f"{UPSTREAM_PREFIX}{self.id}/heads/"


@dataclass(frozen=True, slots=True)
class Forward:
    """One of this registry's reports, forwarded upstairs (found in a fetched upper branch)."""

    upstream: str                 # the upper registry's id
    origin: str                   # the origin report id here (forwarded_from.id)
    report: str | None            # the forwarded report's id upstairs
    path: str                     # its path upstairs
    blob: str
    received_at: datetime | None  # the upper receipt's time; None when no believed receipt
    own_at: datetime | None       # committer time of the upstairs commit that added it (office's claim)
    delay_reason: str | None      # the forwarded report's delay_reason (the office's reason upstairs)

    @property
    def done_at(self) -> datetime | None:
        return self.received_at or self.own_at


@dataclass
class UpstreamLinks:
    """What the register needs from the upper registries: forwards by origin report id."""

    forwards: dict[str, list[Forward]] = field(default_factory=dict)
    to: dict[str, str] = field(default_factory=dict)   # upstream id -> duty level
    fetched: set[str] = field(default_factory=set)     # upstream ids with fetched refs
    problems: list[Problem] = field(default_factory=list)

    def levels(self) -> set[str]:
        return set(self.to.values())


def registry_id(cfg: Config) -> str | None:
    rid = (cfg.units_doc.get("registry") or {}).get("id")
    return rid if isinstance(rid, str) and _ID_RE.match(rid) else None


def upstreams(cfg: Config) -> list[Upstream]:
    """The configured upper registries (units.yaml has been schema-checked)."""
    out = []
    for e in cfg.units_doc.get("upstream") or []:
        out.append(Upstream(e["id"], e["to"], e["unit"], e["url"], tuple(e.get("keys") or ()), e.get("name", "")))
    return out


def _problem(rule: str, message: str, severity: str = "warning", field_name: str = "upstream") -> Problem:
    return Problem(UNITS_PATH, 1, 1, field_name, rule, message, severity)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Fetch


def _verifier(repo: Path, up: Upstream) -> Verifier:
    """A verifier whose only registry key is the upper registry's configured receipt keys."""
    upper_cfg = Config(units_doc={"registry": {"principal": UPPER_PRINCIPAL, "keys": list(up.keys)}})
    return Verifier(upper_cfg, repo, use_cache=False)  # a few records: not worth loading the cache


def _store_signed(repo: Path, up: Upstream, tip: str) -> bool:
    """Whether a fetched store's latest checkpoint is signed by the upper registry's key: only such a
    copy is worth protecting from being replaced by a store that does not descend from it."""
    last = latest_checkpoint(repo, tip)
    if last is None:
        return False
    with _verifier(repo, up) as verifier:
        return verify_record(verifier, last.raw, last.sig, CHECKPOINT_NAMESPACE, "checkpoint").good


def fetch_upstream(repo: Path, up: Upstream, source: str | None = None) -> tuple[list[str], list[Problem]]:
    """Fetch the upper registry's receipts ref and branches under refs/baosong/upstream/<id>/.

    Only refs the upper registry has are asked for (ls-remote first: a store not yet written is not
    an error). Branches deleted upstairs are pruned here. The upper store is append-only: a store that
    is not a descendant of the copy fetched before (rewound, rewritten, or another repository's) does
    not replace it, and a problem says so. Returns (the local refs now present, problems).
    Raises GitError when the upper registry cannot be reached."""
    url = source or up.url
    listed = git_text(repo, "ls-remote", "--end-of-options", url, "refs/heads/*", RECEIPTS_REF)
    names = {line.split("\t", 1)[1] for line in listed.splitlines() if "\t" in line}
    staging = f"{UPSTREAM_PREFIX}{up.id}/incoming-receipts"
    specs = []
    if any(n.startswith("refs/heads/") for n in names):
        specs.append(f"+refs/heads/*:{up.heads_prefix}*")
    if RECEIPTS_REF in names:
        specs.append(f"+{RECEIPTS_REF}:{staging}")
    problems: list[Problem] = []
    if specs:
        git(repo, "fetch", "--quiet", "--no-tags", "--prune", "--no-write-fetch-head", "--end-of-options", url, *specs)
    new = ref_value(repo, staging)
    if new is not None:
        old = ref_value(repo, up.receipts_ref)
        if old is None or old == new or is_ancestor(repo, old, new) or not _store_signed(repo, up, old):
            git(repo, "update-ref", up.receipts_ref, new)
        else:
            problems.append(_problem("upstream-store-rewritten",
                                     f"从 {url} 获取的上级登记库“{up.id}”回执库（{new[:10]}）不是此前获取的版本（{old[:10]}）的后续："
                                     "回执库只增不改，它被回退、改写或来自另一个仓库，未予采用，仍使用此前获取的、"
                                     "经上级公钥验证的版本。"
                                     "请向上级登记机关核实。", "error"))
        git(repo, "update-ref", "-d", staging)
    out = git_text(repo, "for-each-ref", "--format=%(refname)", f"{UPSTREAM_PREFIX}{up.id}/")
    return out.splitlines(), problems


# ------------------------------------------------------------------------------------------------
# Read


def _heads(repo: Path, up: Upstream) -> list[tuple[str, str]]:
    out = git_text(repo, "for-each-ref", "--format=%(refname) %(objectname) %(objecttype)", up.heads_prefix)
    return [(ref, oid) for ref, oid, kind in (line.split(" ") for line in out.splitlines()) if kind == "commit"]


def _unit_files(repo: Path, tip: str, unit: str) -> dict[str, str]:
    """path -> blob of the regular report files under reports/<year>/<unit>/ at tip (not the whole tree)."""
    years = [n for n in git_text(repo, "ls-tree", "-z", "--name-only", "--end-of-options", tip, "reports/")
             .split("\0") if re.fullmatch(r"reports/[0-9]{4}", n)]
    if not years:
        return {}
    entries = ls_tree(repo, tip, *[f"{y}/{unit}" for y in years])
    return {e.path: e.oid for e in entries if e.kind == "blob" and e.mode in ("100644", "100755")
            and (m := PATH_RE.match(e.path)) is not None and m.group(2) == unit}


def _forwarded_from(raw: bytes | None, path: str) -> tuple[dict | None, dict | None]:
    """(document, forwarded_from block) of a fetched file, (None, None) when it is not readable."""
    if raw is None:
        return None, None
    doc = load_yaml(raw, path).data
    if not isinstance(doc, dict):
        return None, None
    block = doc.get("forwarded_from")
    return doc, (block if isinstance(block, dict) else None)


def _own_times(repo: Path, cfg: Config, tips: dict[str, str], paths: list[str],
               problems: list[Problem], up: Upstream) -> dict[str, datetime]:
    """path -> committer time of the upstairs commit that added the file, when this office signed it."""
    found: dict[str, tuple[str, datetime]] = {}
    for path in paths:
        commits = log(repo, tips[path], "--no-merges", "--diff-filter=A", paths=[path])
        if commits:
            c = commits[-1]  # the oldest commit that added it
            found[path] = (c.id, c.committed)
    out: dict[str, datetime] = {}
    if not found:
        return out
    with Verifier(cfg, repo, use_cache=False) as verifier:  # a few commits: not worth loading the cache
        sigs = verifier.verify_commits(repo, [(cid, when, None) for cid, when in set(found.values())])
    for path, (cid, when) in found.items():
        sig = sigs.get(cid)
        if sig is not None and sig.good and sig.unit == cfg.registry_office:
            out[path] = when
        else:
            status = sig.status if sig is not None else "unsigned"
            problems.append(_problem("upstream-own-unsigned",
                                     f"上级登记库“{up.id}”中的转报文件 {path}（提交 {cid[:10]}）不是由本登记机关人员签名提交的"
                                     f"（签名状态：{status}），在取得上级回执之前不作为已报送的依据。"))
    return out


def read_upstream(repo: Path, cfg: Config) -> UpstreamLinks:
    """Forwards of this registry's reports in every configured upper registry's fetched refs."""
    repo = Path(repo)
    links = UpstreamLinks()
    ups = upstreams(cfg)
    if not ups:
        return links
    me = registry_id(cfg)
    if me is None:
        links.problems.append(_problem("upstream-no-id", "配置了上级登记库（upstream），但本登记库没有 registry.id："
                                       "无法识别哪些上级报告是本登记库转报的。请在 registry 下填写 id（如 jiangzhou）。",
                                       field_name="registry"))
        return links
    forwards: dict[str, list[Forward]] = defaultdict(list)
    for up in ups:
        if up.id in links.to or up.id == me:
            links.problems.append(_problem("upstream-duplicate", f"上级登记库标识“{up.id}”重复，或与本登记库的 registry.id "
                                           "相同：每个上级登记库只能配置一次，只采用第一项。", "error"))
            continue
        links.to[up.id] = up.to
        heads = _heads(repo, up)
        if not heads:
            links.problems.append(_problem("upstream-not-fetched",
                                           f"尚未获取上级登记库“{up.id}”（{up.url}）：上报义务无法按上级回执判断。"
                                           "请运行 baosong upstream fetch（在生成登记簿和门户的机器上定时运行）。"))
            continue
        links.fetched.add(up.id)
        files: dict[str, str] = {}   # blob -> path upstairs (first seen)
        tip_of: dict[str, str] = {}  # path -> a head holding it
        for _ref, tip in sorted(heads, key=lambda h: (not h[0].endswith("/main"), h[0])):
            for path, blob in _unit_files(repo, tip, up.unit).items():
                files.setdefault(blob, path)
                tip_of.setdefault(path, tip)
        raws = read_objects(repo, sorted(files))
        mine: dict[str, tuple[str, dict, dict]] = {}  # blob -> (path, document, forwarded_from)
        for blob, path in files.items():
            doc, block = _forwarded_from(raws.get(blob), path)
            if doc is not None and block is not None and block.get("registry") == me and isinstance(block.get("id"), str):
                mine[blob] = (path, doc, block)
        if not mine:
            continue
        refused: dict[str, str] = {}
        with _verifier(repo, up) as verifier:
            receipts = lookup_receipts(repo, verifier, ((b, m[0]) for b, m in mine.items()), ref=up.receipts_ref,
                                       refused=refused)
        for blob, why in sorted(refused.items()):
            links.problems.append(_problem("upstream-receipt-refused",
                                           f"上级登记库“{up.id}”回执库中 {mine[blob][0]}（blob {blob[:10]}）的回执未通过验证（{why}）："
                                           f"它不是用 {UNITS_PATH} upstream 中为“{up.id}”登记的公钥签署的，已忽略。"
                                           "请核对上级公布的回执公钥，或向上级登记机关核实。", "error"))
        pending = [path for b, (path, _, _) in mine.items() if (b, path) not in receipts]
        own = _own_times(repo, cfg, tip_of, pending, links.problems, up) if pending else {}
        for blob, (path, doc, block) in mine.items():
            rec = receipts.get((blob, path))
            reason = doc.get("delay_reason")
            forwards[block["id"]].append(Forward(
                up.id, block["id"], doc.get("id") if isinstance(doc.get("id"), str) else None, path, blob,
                rec.tsa_time or rec.received_at if rec is not None else None,
                own.get(path), reason if isinstance(reason, str) else None))
    links.forwards = {k: sorted(v, key=lambda f: (f.done_at is None, f.done_at.timestamp() if f.done_at else 0.0,
                                                  f.path)) for k, v in forwards.items()}
    return links


__all__ = ["UPSTREAM_PREFIX", "Forward", "GitError", "Upstream", "UpstreamLinks", "fetch_upstream", "read_upstream",
           "registry_id", "upstreams"]
