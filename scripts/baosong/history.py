"""For every report on main: the commit that added it, the main-line commit that brought it in, its
signer, and the trusted arrival time: the earliest trusted registry time for its blob (`trusted_arrival`).

One parsed `git log` pass over the whole history gives every commit's parents and changes; the
main line is followed by first parents, and every other commit is attributed to the main-line merge
that brought it in (`gitrepo.owners`). Signatures are verified once per commit (cached).
Receipts are per blob, so content swapped at an existing path after the deadline gets the later time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from baosong.config import Config, load_config
from baosong.gitrepo import (
    REPORTS_PREFIX,
    Commit,
    GitError,
    GitTree,
    first_parent_chain,
    log,
    ls_tree,
    owners,
    rev_parse,
)
from baosong.receipts import Receipt, load_receipts, lookup_receipts
from baosong.rules import PATH_RE
from baosong.signatures import SigResult, Verifier
from baosong.timeutil import iso

TIME_SOURCES = ("push", "receipt", "tsa", "commit")
_REGULAR = ("100644", "100755")
# A receipt written more than this after the merge that brought its blob in is a catch-up receipt:
# the receipt job was not running then, so the receipt does not vouch for the merge time.
CATCH_UP_AFTER = timedelta(minutes=30)


class Trusted(NamedTuple):
    """A blob's arrival under the one arrival rule (see `trusted_arrival`)."""

    at: datetime
    source: str  # push | receipt | tsa | commit (TIME_SOURCES)
    catch_up: bool  # its receipt was written long after the merge (CATCH_UP_AFTER)
    attested: bool  # False: the time is the main-line commit's alone, no timely receipt vouches for it


def trusted_arrival(receipt: Receipt | None, main_time: datetime) -> Trusted:
    """The arrival of a blob: the earliest trusted registry time for it — its receipt (a push receipt
    written by the server hook when the blob was pushed, or the post-merge receipt; the RFC 3161 time
    instead of the registry clock where the receipt is stamped) or the main-line commit that merged it.

    So an outage of the receipt job never makes a report later than the merge that accepted it, and
    a report pushed on time stays on time however long the office takes to merge it. The one rule
    for the register, `check --base` (with now as the main-line time of a change not merged yet),
    `verify` and the time signatures are verified at.
    """
    if receipt is None:
        return Trusted(main_time, "commit", False, False)
    registry_time = receipt.tsa_time or receipt.received_at
    if registry_time <= main_time:
        source = "tsa" if receipt.tsa_time else "push" if receipt.via == "push" else "receipt"
        return Trusted(registry_time, source, False, True)
    catch_up = registry_time - main_time > CATCH_UP_AFTER
    return Trusted(main_time, "commit", catch_up, not catch_up)


@dataclass(slots=True)
class Arrival:
    """One report path reachable from main (see FORMAT.md, `Arrival`)."""

    path: str
    blob: str
    commit: str  # the commit that added this blob at this path (a branch commit, or main_commit)
    main_commit: str  # the first-parent commit of main that brought it in
    main_time: datetime  # main_commit's committer time: the fallback arrival time
    signer: str | None  # staff id, when the signing key is identified
    key: str | None  # SHA256 fingerprint of the signing key
    signature: str  # good unsigned unknown_key bad expired revoked wrong_unit
    receipt_time: datetime | None
    tsa_time: datetime | None
    time_source: str  # push | receipt | tsa | commit
    received_at: datetime  # the trusted arrival time
    receipt_via: str | None = None  # push | receive, None without a receipt
    catch_up: bool = False  # the receipt was written long after the merge
    attested: bool = True  # False: the arrival is the main-line time with no timely receipt

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("main_time", "receipt_time", "tsa_time", "received_at"):
            d[k] = iso(d[k])
        return d


@dataclass(slots=True)
class Introduced:
    """How a blob at a path got onto main (before signatures and receipts are looked at)."""

    path: str
    blob: str
    mode: str
    commit: str
    main_commit: str
    main_time: datetime
    claimed_time: datetime  # the adding commit's own committer date (client-set)


def main_reports(repo: Path, tip: str, *, commits: list[Commit] | None = None,
                 paths: Iterable[str] | None = None) -> dict[str, Introduced]:
    """Report files present on the main line at tip, each with the commits that brought its blob in.

    With `paths`, only those files, from a path-limited first-parent log (cheap on a large registry).
    """
    if paths is not None:
        return _main_reports_limited(repo, tip, list(paths))
    # Merges are not diffed: that would double the pass. Each report is attributed to the commit
    # whose own diff set its blob, and to the main-line commit that brought that commit in.
    listing = commits if commits is not None else log(repo, tip, merges=False)
    by_id = {c.id: c for c in listing}
    chain = first_parent_chain(by_id, tip)
    position = {cid: i for i, cid in enumerate(reversed(chain))}  # 0 = the oldest main-line commit
    owner = owners(by_id, chain)
    tree = {e.path: e for e in ls_tree(repo, tip, "reports") if e.kind == "blob"}
    best: dict[tuple[str, str], tuple[int, int, str]] = {}  # (path, blob) -> (main position, -log index, commit)
    for idx, c in enumerate(listing):  # newest first: a larger index is earlier
        main = owner.get(c.id)
        if main is None:
            continue
        for ch in c.changes:
            entry = tree.get(ch.path)
            if ch.status in "AMT" and entry is not None and entry.oid == ch.new_blob:
                key = (position[main], -idx, c.id)
                if key < best.get((ch.path, ch.new_blob), (len(chain), 0, "")):
                    best[(ch.path, ch.new_blob)] = key
    state: dict[str, Introduced] = {}
    unexplained = []
    for path, entry in tree.items():
        hit = best.get((path, entry.oid))
        if hit is None:
            unexplained.append(path)  # brought in by a merge's own change (an "evil merge")
            continue
        cid = hit[2]
        merged = by_id[owner[cid]]
        state[path] = Introduced(path, entry.oid, entry.mode, cid, merged.id, merged.committed,
                                 by_id[cid].committed)
    state.update(_main_reports_limited(repo, tip, unexplained))
    return state


def _main_reports_limited(repo: Path, tip: str, paths: list[str]) -> dict[str, Introduced]:
    if not paths:
        return {}
    wanted = set(paths)
    if len(paths) <= 8:
        # The newest main-line change of each path is what put its current blob there; a log that
        # stops at the first hit is far cheaper than walking the whole history.
        main = [c for p in paths for c in log(repo, tip, "--first-parent", "--full-history", "-1", paths=[p])]
    else:
        # Many paths would overflow the command line: then walk all of reports/ and filter.
        spec = paths if len(paths) <= 200 else [REPORTS_PREFIX]
        main = log(repo, tip, "--first-parent", "--full-history", paths=spec)
    state: dict[str, Introduced] = {}
    for c in reversed(main):
        for ch in c.changes:
            if ch.path not in wanted:
                continue
            if ch.status == "D":
                state.pop(ch.path, None)
                continue
            adding, claimed = c.id, c.committed
            if len(c.parents) > 1:
                # The branch commit that set this blob, among those the merge brought in.
                side = log(repo, f"{c.parents[0]}..{c.id}", "--no-merges", paths=[ch.path])
                found = [b for b in side if any(x.path == ch.path and x.new_blob == ch.new_blob for x in b.changes)]
                if found:
                    adding, claimed = found[-1].id, found[-1].committed
            state[ch.path] = Introduced(ch.path, ch.new_blob, ch.new_mode, adding, c.id, c.committed, claimed)
    return state


def is_report(intro: Introduced) -> bool:
    """A regular `.yaml` file under reports/ (symlinks and stray files are refused by PR mode, not registered)."""
    return intro.mode in _REGULAR and intro.path.endswith(".yaml")


def report_unit(path: str) -> str | None:
    m = PATH_RE.match(path)
    return m.group(2) if m else None


def unit_check(sig: SigResult, unit: str | None) -> SigResult:
    """A good signature by someone outside the report's unit becomes wrong_unit."""
    if sig.good and (sig.unit is None or sig.unit != unit):
        return SigResult(sig.commit, "wrong_unit", sig.principal, sig.staff, sig.unit, sig.key, sig.verify_time)
    return sig


def read_arrivals(repo: Path, rev: str = "HEAD", cfg: Config | None = None, *,
                  paths: Iterable[str] | None = None, use_cache: bool = True,
                  commits: list[Commit] | None = None) -> dict[str, Arrival]:
    """Arrival records for every report on main at rev (or only `paths`), keyed by path.

    cfg: the trust roots to verify with (default: the configuration in rev's own tree).
    commits: `log(repo, rev, merges=False)` when the caller already has it (see `main_reports`).
    Commits are verified at their trusted time (the earliest arrival of a report they added, see
    `trusted_arrival`), never at their committer date.
    """
    repo = Path(repo)
    tip = rev_parse(repo, rev)
    if tip is None:
        raise GitError(["rev-parse", rev], 128, f"unknown revision {rev}")
    if cfg is None:
        cfg = load_config(GitTree(repo, tip))
    state = {p: i for p, i in main_reports(repo, tip, commits=commits, paths=paths).items() if is_report(i)}
    with Verifier(cfg, repo, use_cache=use_cache) as verifier:
        if paths is None:
            receipts = load_receipts(repo, verifier, use_cache=use_cache)
        else:  # a few paths (PR mode): each receipt checked on its own, no replay of the chain
            receipts = lookup_receipts(repo, verifier, ((i.blob, p) for p, i in state.items()))
        times: dict[str, tuple[Receipt | None, Trusted]] = {}
        commit_time: dict[str, tuple[datetime, datetime]] = {}
        for path, intro in state.items():
            rec = receipts.get((intro.blob, path))  # a receipt vouches for a blob at one path only
            trusted = trusted_arrival(rec, intro.main_time)
            times[path] = (rec, trusted)
            prev = commit_time.get(intro.commit)
            if prev is None or trusted.at < prev[0]:
                commit_time[intro.commit] = (trusted.at, intro.claimed_time)
        sigs = verifier.verify_commits(repo, [(c, t, claimed) for c, (t, claimed) in commit_time.items()])
    out: dict[str, Arrival] = {}
    for path in sorted(state):
        intro = state[path]
        rec, trusted = times[path]
        sig = unit_check(sigs[intro.commit], report_unit(path))
        out[path] = Arrival(path, intro.blob, intro.commit, intro.main_commit, intro.main_time,
                            sig.staff, sig.key, sig.status, rec.received_at if rec else None,
                            rec.tsa_time if rec else None, trusted.source, trusted.at,
                            rec.via if rec else None, trusted.catch_up, trusted.attested)
    return out


def arrival_times(repo: Path, rev: str, paths: Iterable[str], cfg: Config, *, use_cache: bool = True,
                  ) -> dict[str, Arrival]:
    """Arrivals of a few reports on rev (PR mode's look-up: receipts found by blob id, main-line
    times from a path-limited log), under the same rule as the register.
    use_cache=False (`--no-cache`) neither reads nor writes the signature cache."""
    wanted = sorted(set(paths))
    return read_arrivals(repo, rev, cfg, paths=wanted, use_cache=use_cache) if wanted else {}


def pending_arrivals(repo: Path, blobs: dict[str, str], cfg: Config, now: datetime, *, use_cache: bool = True,
                     ) -> dict[str, Trusted]:
    """Arrivals of report blobs a change adds (path -> blob), not merged yet: the same rule, with now
    as the earliest possible merge. A blob the server hook already receipted when it was pushed
    arrived then, whenever the check runs and whenever the office merges it."""
    with Verifier(cfg, Path(repo), use_cache=use_cache) as verifier:
        found = lookup_receipts(Path(repo), verifier, ((blob, path) for path, blob in blobs.items()))
    out: dict[str, Trusted] = {}
    for path, blob in blobs.items():
        out[path] = trusted_arrival(found.get((blob, path)), now)
    return out
