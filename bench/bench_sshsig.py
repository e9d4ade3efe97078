"""Benchmark: one SSH signature verified in-process (baosong.sshsig) against `ssh-keygen -Y verify`.

    .venv/bin/python bench/bench_sshsig.py                  # demo registry cached in bench/results/
    .venv/bin/python bench/bench_sshsig.py --repo /tmp/big  # any registry made by `baosong demo`

Prints, all measured in the same run on the same signatures (commit signatures of the demo's main
line, each over its real commit payload, verified at the commit's own time):
- `ssh-keygen -Y verify`: one process per signature, the command line the Verifier ran before;
- `Verifier.verify_data` through ssh-keygen (`in_process = False`): the old path, temp file included;
- `Verifier.verify_data` in-process: the new path, same verdicts (checked here too), with and without
  libsodium's fast path for good Ed25519 signatures (`sshkey.SODIUM`);
- the ratio old / new per signature (target ≥ 20×), wall and CPU;
- in-process over (up to 20,000) main-line commits: serial, 2 threads, 2 forked worker processes
  (median of 3 each) — whether both cores pay on the machine it runs on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from baosong import sshkey  # noqa: E402
from baosong.config import load_config  # noqa: E402
from baosong.gitrepo import GitTree, git_text, read_objects  # noqa: E402
from baosong.signatures import GIT_NAMESPACE, Verifier, split_signature, ssh_time  # noqa: E402


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Timer:
    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu() - self.cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--repo", type=Path, help="an existing demo registry (default: bench/results/demo-N)")
    ap.add_argument("--sample", type=int, default=300, help="signatures for the per-signature comparison")
    args = ap.parse_args()
    repo = args.repo or RESULTS / f"demo-{args.reports}"
    if not repo.exists():
        repo.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(BIN / "baosong"), "demo", "--out", str(repo), "--reports", str(args.reports)], check=True)
    cfg = load_config(GitTree(repo, "HEAD"))
    rows = git_text(repo, "log", "--first-parent", "--format=%H %cI", "HEAD").split("\n")
    when = {c: datetime.fromisoformat(t) for c, t in (r.split() for r in rows if r)}
    raws = read_objects(repo, list(when))
    items = []
    for c, raw in raws.items():
        sig, payload = split_signature(raw)
        if sig is not None:
            items.append((payload, sig, when[c]))
    sample = items[:: max(1, len(items) // args.sample)][: args.sample]
    n = len(sample)
    print(f"registry {repo}: {len(items)} signed main-line commits; {n} sampled")

    with Verifier(cfg) as v, tempfile.TemporaryDirectory() as tmp:
        v.in_process = False
        sigfile = Path(tmp) / "sig"
        with Timer() as raw_keygen:
            for payload, sig, w in sample:
                sigfile.write_bytes(sig)
                principal = v.keymap.get(_blob(sig)) or "?"
                subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(v.allowed_file), "-I", principal, "-n",
                                GIT_NAMESPACE, "-s", str(sigfile), f"-Overify-time={ssh_time(w)}"],
                               input=payload, capture_output=True, check=True)
        with Timer() as old:
            old_verdicts = [v.verify_data(p, s, w, namespace=GIT_NAMESPACE) for p, s, w in sample]
        v.in_process = True
        rounds = 20
        with Timer() as new:
            for _ in range(rounds):
                new_verdicts = [v.verify_data(p, s, w, namespace=GIT_NAMESPACE) for p, s, w in sample]
        sshkey.SODIUM = False  # the same, every Ed25519 check in OpenSSL (no libsodium fast path)
        with Timer() as openssl:
            for _ in range(rounds):
                openssl_verdicts = [v.verify_data(p, s, w, namespace=GIT_NAMESPACE) for p, s, w in sample]
        sshkey.SODIUM = True
        assert new_verdicts == old_verdicts == openssl_verdicts, "in-process verdicts differ from ssh-keygen's"
        assert not v.fallbacks, v.fallbacks
    per = {name: (t.wall / k * 1000, t.cpu / k * 1000) for name, t, k in
           (("ssh-keygen -Y verify", raw_keygen, n), ("verify_data via ssh-keygen", old, n),
            ("verify_data in-process, OpenSSL only", openssl, n * rounds),
            ("verify_data in-process", new, n * rounds))}
    for name, (wall, cpu_ms) in per.items():
        print(f"{name}: {wall:.3f} ms wall, {cpu_ms:.3f} ms CPU per signature")
    base, ours = per["verify_data via ssh-keygen"], per["verify_data in-process"]
    raw_ratio = per["ssh-keygen -Y verify"][0] / ours[0]
    print(f"ratio, old path / in-process: {base[0] / ours[0]:.0f}× wall, {base[1] / ours[1]:.0f}× CPU "
          f"(bare ssh-keygen process / in-process: {raw_ratio:.0f}× wall; target ≥ 20×)")
    only = per["verify_data in-process, OpenSSL only"]
    print(f"libsodium fast path: OpenSSL only / with libsodium {only[0] / ours[0]:.2f}× wall, {only[1] / ours[1]:.2f}× CPU")

    # Both cores? The whole main line in-process, three times each way: serial, 2 threads (the checks
    # hold the GIL), 2 forked worker processes that inherit the work and send back only the verdicts.
    global _JOB
    items = items[:20_000]
    with Verifier(cfg) as v:
        def status(item: tuple) -> str:
            return v.verify_data(item[0], item[1], item[2], namespace=GIT_NAMESPACE).status

        halves = [items[i::2] for i in range(2)]
        _JOB = (status, halves)
        runs: dict[str, list[Timer]] = {"serial": [], "2 threads": [], "2 processes": []}
        for _ in range(3):
            with Timer() as t:
                expect = [status(x) for x in items]
            runs["serial"].append(t)
            with Timer() as t, ThreadPoolExecutor(2) as pool:
                got = list(pool.map(status, items))
            runs["2 threads"].append(t)
            with Timer() as t, ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
                parts = list(pool.map(_half, range(2)))
            runs["2 processes"].append(t)
            assert got == expect and sorted(parts[0] + parts[1]) == sorted(expect)
    serial = statistics.median(t.wall for t in runs["serial"])
    print(f"{len(items)} main-line signatures in-process, median of 3 (load {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} CPUs): " + "; ".join(
              f"{name} {statistics.median(t.wall for t in ts):.2f} s wall / {statistics.median(t.cpu for t in ts):.2f} s "
              f"CPU ({serial / statistics.median(t.wall for t in ts):.2f}× serial)" for name, ts in runs.items()))
    return 0


_JOB: tuple | None = None  # (fn, halves), inherited by the forked workers


def _half(index: int) -> list[str]:
    fn, halves = _JOB
    return [fn(x) for x in halves[index]]


def _blob(sig: bytes) -> bytes | None:
    from baosong.signatures import signature_key

    return signature_key(sig)


if __name__ == "__main__":
    raise SystemExit(main())
