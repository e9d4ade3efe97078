"""GitPython against baosong's own git plumbing (`gitrepo.py`) for the jobs GitPython could take over:
repository discovery, refs, and reading many blobs through one persistent `git cat-file --batch`.
Also the import cost GitPython would add to every `baosong` process (each pre-commit `check`, each
server hook). GitPython is not a dependency of baosong: `pip install gitpython` before running this.

    .venv/bin/python bench/bench_gitpython.py [--repo DIR | --reports 5000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baosong import gitrepo


def best(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process_ms(code: str, n: int = 7) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", code], check=True)
    return statistics.median(best(once, 1) for _ in range(n)) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=Path, help="an existing registry (default: a fresh demo)")
    ap.add_argument("--reports", type=int, default=5000)
    args = ap.parse_args()
    import git  # GitPython

    with tempfile.TemporaryDirectory() as tmp:
        repo = args.repo
        if repo is None:
            repo = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "baosong", "demo", "--out", str(repo),
                            "--reports", str(args.reports)], check=True, stdout=subprocess.DEVNULL)
        base = process_ms("import baosong.gitrepo, baosong.register")
        more = process_ms("import baosong.gitrepo, baosong.register, git")
        print(f"process start + import baosong.register: {base:.0f} ms; with `import git`: {more:.0f} ms "
              f"(+{more - base:.0f} ms per process)")
        sub = repo / "reports"
        rows = [
            ("discovery: `git rev-parse --show-toplevel` (gitrepo.git_text)",
             lambda: gitrepo.git_text(sub, "rev-parse", "--show-toplevel")),
            ("discovery: git.Repo(search_parent_directories=True)",
             lambda: git.Repo(sub, search_parent_directories=True).working_tree_dir),
            ("refs: gitrepo.rev_parse(main) + ref_value(receipts)",
             lambda: (gitrepo.rev_parse(repo, "main"), gitrepo.ref_value(repo, "refs/baosong/receipts"))),
            ("refs: git.Repo + commit(main) + rev_parse(receipts)",
             lambda: (git.Repo(repo).commit("main").hexsha, git.Repo(repo).rev_parse("refs/baosong/receipts"))),
        ]
        oids = [line.split()[2] for line in gitrepo.git_text(repo, "ls-tree", "-r", "main", "reports/").splitlines()]

        def catfile() -> None:
            with gitrepo.CatFile(repo) as c:
                for o in oids:
                    c.read(o)

        def gitpython() -> None:
            r = git.Repo(repo)  # default odb: GitCmdObjectDB, a persistent `git cat-file --batch`
            for o in oids:
                r.odb.stream(bytes.fromhex(o)).read()
            r.close()

        rows += [(f"{len(oids)} blobs: gitrepo.CatFile (persistent cat-file --batch)", catfile),
                 (f"{len(oids)} blobs: gitrepo.read_objects (pipelined)", lambda: gitrepo.read_objects(repo, oids)),
                 (f"{len(oids)} blobs: GitPython odb.stream (persistent cat-file --batch)", gitpython)]
        for label, fn in rows:
            print(f"{label:72s} {best(fn) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
