"""Benchmark: what the server's hooks add to a push of one report on a large registry.

    .venv/bin/python bench/bench_hook.py                  # demo registry cached in bench/results/
    .venv/bin/python bench/bench_hook.py --repo /tmp/big  # any registry made by `baosong demo`

Two bare server repositories are made from the demo (shared object store, receipts store included):
one plain, one set up with `baosong init --bare` (pre-receive guard, post-receive push receipts,
the demo's registry key). An officer's clone then pushes, per run, a new branch with one signed
report to both servers (the same commit, so git's own work is identical) over the local transport
(`git push /path`: receive-pack and the hooks run exactly as behind HTTP or SSH). Prints the median
push time without and with hooks, their ratio, and the time the hooks add, against the 200 ms target;
then the guard on main: an administrator's signed merge of one report pushed to main (the
pull-request check runs in pre-receive), twice after `init --bare` (which builds the guard's index).
Bytecode is compiled first and PYTHONDONTWRITEBYTECODE dropped, as for an installed package.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 200


def git(repo: Path, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env=env, input=input, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode().strip()


# An installed package has its bytecode compiled at install time; a source checkout run with
# PYTHONDONTWRITEBYTECODE would compile every module on every hook run instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_push(client: Path, server: Path, *refspec: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of git and everything it ran — the hooks included, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(["git", "push", "-q", str(server), *refspec], cwd=client, capture_output=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = proc.stderr.decode("utf-8", "replace") if proc.returncode == 0 else f"FAILED: {proc.stderr.decode()}"
    return wall, cpu, out


def commit_report(client: Path, demo: Path, parent: str, n: int, officer: tuple[str, str, str],
                  work: Path) -> str:
    """A signed commit on parent adding one info report by a demo officer (created minutes ago)."""
    unit, staff, head = officer
    now = datetime.now().astimezone().replace(microsecond=0)
    day = now.strftime("%Y%m%d")
    rid = f"{unit}-{day}-{staff}-{n + 1:02d}"
    path = f"reports/{day[:4]}/{unit}/{rid}.yaml"
    created = (now - timedelta(minutes=10)).isoformat()
    text = (f'id: {rid}\nkind: info\nunit: {unit}\ntitle: 某项工作动态\ncreated_at: "{created}"\nauthor: {staff}\n'
            f"signer: {head}\ninfo_type: dynamic\nbody: 本单位推进某项工作，取得阶段性成效（第 {n} 份）。\n")
    env = {**os.environ, "GIT_INDEX_FILE": str(work / "index"), "GIT_AUTHOR_NAME": staff,
           "GIT_AUTHOR_EMAIL": f"{staff}@demo.invalid", "GIT_COMMITTER_NAME": staff,
           "GIT_COMMITTER_EMAIL": f"{staff}@demo.invalid"}
    blob = git(client, "hash-object", "-w", "--stdin", input=text.encode())
    git(client, "read-tree", parent, env=env)
    git(client, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(client, "write-tree", env=env)
    return git(client, "-c", "gpg.format=ssh", "-c", f"user.signingkey={demo / '.demo-keys' / staff}", "commit-tree",
               "-S", tree, "-p", parent, "-m", f"报送：{rid}", env=env)


def server_copy(demo: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(demo), str(target)], check=True)
    git(target, "fetch", "-q", str(demo), "refs/baosong/*:refs/baosong/*")
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="a registry made by `baosong demo` (default: bench/results/demo-N)")
    ap.add_argument("--runs", type=int, default=7, help="pushes per server (the median is reported)")
    args = ap.parse_args()

    demo = (args.repo or RESULTS / f"demo-{args.reports}").absolute()
    if not demo.exists():
        demo.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(BIN / "baosong"), "demo", "--out", str(demo), "--reports", str(args.reports)], check=True)
    files = git(demo, "ls-tree", "-r", "--name-only", "main", "reports").count("\n") + 1
    store = git(demo, "rev-list", "--count", "refs/baosong/receipts")
    print(f"registry: {files} report files, {git(demo, 'rev-list', '--count', 'main')} commits on main, "
          f"receipts store of {store} commits")
    units = yaml.safe_load(git(demo, "show", "main:config/units.yaml"))
    office = units["registry_office"]
    unit = next(u for u in units["units"] if u["code"] != office and any("officer" in s["roles"] for s in u["staff"]))
    officer = (unit["code"], next(s["id"] for s in unit["staff"] if "officer" in s["roles"]),
               next((s["id"] for s in unit["staff"] if "head" in s["roles"]), unit["staff"][0]["id"]))
    admin = next(s["id"] for u in units["units"] if u["code"] == office for s in u["staff"] if "admin" in s["roles"])

    import baosong

    compileall.compile_dir(str(Path(baosong.__file__).parent), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="bench-hook-"))
    try:
        plain = server_copy(demo, work / "plain.git")
        hooked = server_copy(demo, work / "hooked.git")
        key = work / "registry_ed25519"
        shutil.copy(demo / ".demo-keys" / "registry", key)
        os.chmod(key, 0o600)
        start = time.perf_counter()
        subprocess.run([str(BIN / "baosong"), "init", "--bare", str(hooked), "--key", str(key)], check=True,
                       capture_output=True, env=ENV)
        print(f"baosong init --bare on the existing repository (hooks, config, the guard's report index): "
              f"{time.perf_counter() - start:.1f} s")
        client = work / "client"
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(demo), str(client)], check=True)
        main = git(client, "rev-parse", "main")

        # The first hooked push adopts the existing store (its latest checkpoint is verified, the
        # witness written) and fills the signature cache: reported apart from the steady state.
        first = commit_report(client, demo, main, 0, officer, work)
        git(client, "update-ref", "refs/heads/bench-0", first)
        p0, _, _ = timed_push(client, plain, "bench-0")
        h0, _, out = timed_push(client, hooked, "bench-0")
        if "已收文" not in out:
            raise SystemExit(f"the hook wrote no receipt: {out}")
        print(f"first push (store adopted, caches cold): without hooks {p0 * 1000:.0f} ms, with hooks {h0 * 1000:.0f} ms")
        plain_t, hooked_t, plain_c, hooked_c = [], [], [], []
        for n in range(1, args.runs + 1):
            commit = commit_report(client, demo, main, n, officer, work)
            git(client, "update-ref", f"refs/heads/bench-{n}", commit)
            p, pc, _ = timed_push(client, plain, f"bench-{n}")
            h, hc, out = timed_push(client, hooked, f"bench-{n}")
            if "已收文：1 份报告" not in out:
                raise SystemExit(f"the hook wrote no receipt: {out}")
            plain_t.append(p)
            hooked_t.append(h)
            plain_c.append(pc)
            hooked_c.append(hc)
        p, h = statistics.median(plain_t), statistics.median(hooked_t)
        added = (h - p) * 1000
        verdict = "meets" if added < TARGET_MS else "MISSES"
        print(f"push of one report on a branch, median of {args.runs}: without hooks {p * 1000:.0f} ms, "
              f"with hooks {h * 1000:.0f} ms — ratio {h / p:.2f}×, hooks add {added:.0f} ms ({verdict} the "
              f"{TARGET_MS} ms target)")
        print(f"  per-run added ms: {', '.join(f'{(b - a) * 1000:.0f}' for a, b in zip(plain_t, hooked_t, strict=True))}")
        pc, hc = statistics.median(plain_c), statistics.median(hooked_c)
        print(f"  CPU (git and the hooks, all processes), median: without hooks {pc * 1000:.0f} ms, with hooks "
              f"{hc * 1000:.0f} ms — hooks add {(hc - pc) * 1000:.0f} ms of CPU; load average now {os.getloadavg()[0]:.1f}")

        # The guard on main: an administrator's merge of one pushed report.
        for label in ("first", "second"):
            n = 90 if label == "first" else 91
            branch = commit_report(client, demo, main, n, officer, work)
            git(client, "update-ref", f"refs/heads/m-{n}", branch)
            timed_push(client, hooked, f"m-{n}")
            now = datetime.now().astimezone().isoformat()
            env = {**os.environ, "GIT_COMMITTER_DATE": now, "GIT_AUTHOR_DATE": now, "GIT_AUTHOR_NAME": admin,
                   "GIT_AUTHOR_EMAIL": f"{admin}@demo.invalid", "GIT_COMMITTER_NAME": admin,
                   "GIT_COMMITTER_EMAIL": f"{admin}@demo.invalid"}
            merge = git(client, "-c", "gpg.format=ssh", "-c", f"user.signingkey={demo / '.demo-keys' / admin}",
                        "commit-tree", "-S", f"{branch}^{{tree}}", "-p", main, "-p", branch, "-m", f"Merge m-{n}", env=env)
            git(plain, "update-ref", "refs/heads/main", main)
            p, _, _ = timed_push(client, plain, f"{merge}:refs/heads/main")
            h, hc, out = timed_push(client, hooked, f"{merge}:refs/heads/main")
            if out.startswith("FAILED"):
                raise SystemExit(f"the guard refused the merge: {out}")
            git(hooked, "update-ref", "refs/heads/main", main)  # back, for the next measurement
            print(f"merge of one report pushed to main ({label} merge after init): without hooks {p * 1000:.0f} ms, "
                  f"with hooks {h * 1000:.0f} ms (ratio {h / p:.1f}×; {hc:.1f} s CPU)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
