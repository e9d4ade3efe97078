"""RFC 3161 time stamps through `openssl ts`: the query, the request to the TSA, verification and the
stamped time (receipts carry an optional `.tsr` over their JSON)."""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path


def _openssl(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True)


def tsa_query(data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(data)
        fh.flush()
        proc = _openssl(["ts", "-query", "-data", fh.name, "-sha256", "-cert"])
    if proc.returncode != 0:
        raise OSError(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def tsa_request(query: bytes, tsa: dict) -> bytes:
    """Send a time-stamp query to the configured authority: a command (stdin → stdout) or an HTTP URL."""
    if tsa.get("command"):
        proc = subprocess.run(shlex.split(tsa["command"]), input=query, capture_output=True, timeout=60)
        if proc.returncode != 0 or not proc.stdout:
            raise OSError(proc.stderr.decode("utf-8", "replace").strip() or "time-stamp command failed")
        return proc.stdout
    import urllib.request  # only with a TSA configured: not on every hook run

    req = urllib.request.Request(tsa["url"], data=query, headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (the URL is a trust root)
        return resp.read()


def tsa_verify(data: bytes, reply: bytes, cert_pem: str) -> tuple[bool, str]:
    """openssl ts -verify: the stamp is signed by a TSA certified by cert_pem and covers data."""
    with tempfile.TemporaryDirectory(prefix="baosong-tsa-") as tmp:
        d, r, c = Path(tmp) / "data", Path(tmp) / "reply.tsr", Path(tmp) / "ca.pem"
        d.write_bytes(data)
        r.write_bytes(reply)
        c.write_text(cert_pem)
        proc = _openssl(["ts", "-verify", "-data", str(d), "-in", str(r), "-CAfile", str(c)])
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    return proc.returncode == 0, text.strip()


_TS_RE = re.compile(r"^Time stamp: (\w{3}) +(\d+) (\d\d:\d\d:\d\d)(?:\.\d+)? (\d{4}) GMT$", re.M)


def tsa_time(reply: bytes) -> datetime | None:
    """The genTime of a time-stamp reply."""
    proc = _openssl(["ts", "-reply", "-in", "/dev/stdin", "-text"], reply)
    m = _TS_RE.search(proc.stdout.decode("utf-8", "replace"))
    if proc.returncode != 0 or not m:
        return None
    month, day, hms, year = m.groups()
    return datetime.strptime(f"{month} {day} {hms} {year}", "%b %d %H:%M:%S %Y").replace(tzinfo=UTC)


def stamp(data: bytes, tsa: dict) -> tuple[bytes, datetime]:
    """Obtain and check a stamp over data; the reply is kept only if it verifies against the configured CA."""
    reply = tsa_request(tsa_query(data), tsa)
    ok, text = tsa_verify(data, reply, tsa["cert"])
    when = tsa_time(reply)
    if not ok or when is None:
        raise OSError(f"时间戳服务的回复无法验证：{text}")
    return reply, when


