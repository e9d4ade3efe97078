"""A registry server for the tests: a bare repository set up by `baosong init --bare`, served over
smart HTTP by `git http-backend` behind a local HTTP server process on 127.0.0.1, and officers'
clones that push to it over that transport."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import trust_helpers as th

CHINA = timezone(timedelta(hours=8))

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def http_server(root: Path, env: dict) -> Iterator[str]:
    """Serve every repository under root; yields the base URL (http://127.0.0.1:PORT)."""
    proc = subprocess.Popen([sys.executable, str(HERE / "git_http_server.py"), str(root)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{line.split()[1]}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def now() -> datetime:
    """Now at the policy's offset (+08:00): a report id carries the local date in China, which differs
    from the machine's (a CI runner's UTC) from 16:00 to 24:00 UTC."""
    return datetime.now(CHINA).replace(microsecond=0)


def stamp(minutes: float = 0) -> str:
    return (now() + timedelta(minutes=minutes)).isoformat()


def today_info(unit: str, author: str, head: str, n: int) -> tuple[str, str]:
    """An info report created a few minutes ago (no deadline, nothing in the future)."""
    return th.info(unit, author, head, day=now().strftime("%Y%m%d"), n=n, created=stamp(-5))


def init_server(world: th.World, root: Path, *extra: str) -> Path:
    """`baosong init --bare` with the registry key of the world; returns the bare repository."""
    server = root / "registry.git"
    proc = th.run([th.BAOSONG, "init", "--bare", str(server), "--key", str(world.keys["registry"]), *extra],
                  env=world.env, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return server


def clone(world: th.World, url: str, root: Path, signer: str) -> th.Registry:
    th.run(["git", "clone", "-q", url, str(root)], env=world.env)
    reg = th.Registry(root, world)
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(world.keys[signer])), ("commit.gpgsign", "true")):
        reg.git("config", k, v)
    return reg


def push(reg: th.Registry, *args: str) -> subprocess.CompletedProcess:
    proc = th.run(["git", "push", "origin", *args], cwd=reg.root, env=reg.world.env, check=False)
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    return proc


def store_receipts(server: Path, env: dict) -> dict[str, dict]:
    """Receipt records in the server's store, by blob."""
    ref = "refs/baosong/receipts"
    listing = th.run(["git", "ls-tree", "-r", "--name-only", ref], cwd=server, env=env, check=False).stdout.decode()
    out = {}
    for name in listing.split():
        if name.startswith("receipts/") and name.endswith(".json"):
            raw = th.run(["git", "show", f"{ref}:{name}"], cwd=server, env=env).stdout
            record = json.loads(raw)
            out[record["blob"]] = record
    return out
