"""`baosong webhook`: push receipts where server hooks cannot be installed.

A small HTTP service (stdlib http.server) that accepts push events from GitLab (header
X-Gitlab-Token, compared in constant time with the shared secret) and Gitea/Forgejo (X-Gitea-Signature
/ X-Forgejo-Signature: HMAC-SHA256 of the body with the secret, hex). For a push it fetches the pushed
ref (and main) from the forge into the registry's own mirror — a bare repository whose
`refs/baosong/receipts` only this service writes — and writes push receipts there
(`receipts.receive_push`), stamped with this machine's clock within seconds of the push.

The payload only says which ref moved; the commits come from the forge itself, through the configured
remote (never a URL from the payload). A request whose token or signature does not match gets 403 and
nothing is fetched or written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from baosong.gitrepo import ZERO_ID, GitError, RefUpdate, git, ref_value
from baosong.receipts import ReceiveError
from baosong.receive import receive_push

MAX_BODY = 25 * 1024 * 1024  # GitLab caps push payloads at 20 commits' details; generous
REF_RE = re.compile(r"^refs/(heads|tags)/[^\s\\~^:?*\[]+$")


@dataclass
class WebhookSettings:
    repo: Path  # the registry's mirror (bare repository)
    remote: str  # remote name or URL the pushed refs are fetched from
    secret: bytes
    key: Path
    main: str = "main"
    witness: Path | None = None

    @property
    def main_ref(self) -> str:
        return self.main if self.main.startswith("refs/") else f"refs/heads/{self.main}"


def authenticate(headers, body: bytes, secret: bytes) -> str | None:
    """'gitlab' or 'gitea' when the request carries the right token / signature, else None."""
    token = headers.get("X-Gitlab-Token")
    if token is not None:
        return "gitlab" if hmac.compare_digest(token.encode("utf-8", "replace"), secret) else None
    signature = headers.get("X-Forgejo-Signature") or headers.get("X-Gitea-Signature")
    if signature is not None:
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return "gitea" if hmac.compare_digest(signature.strip().lower().encode(), expected.encode()) else None
    return None


def push_event(kind: str, headers, payload: object) -> str | None:
    """The pushed ref name of a push event, None for other events and for a deleted ref."""
    if kind == "gitlab":
        event = headers.get("X-Gitlab-Event", "")
        if event not in ("Push Hook", "Tag Push Hook"):
            return None
    else:
        event = headers.get("X-Forgejo-Event") or headers.get("X-Gitea-Event") or ""
        if event != "push":
            return None
    if not isinstance(payload, dict) or set(str(payload.get("after", ""))) == {"0"}:
        return None  # a deleted branch brings no report
    ref = payload.get("ref")
    return ref if isinstance(ref, str) else None


class WebhookError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def receipt_push(settings: WebhookSettings, ref: str, now: datetime | None = None) -> dict:
    """Fetch ref (and main) from the forge into the mirror and write push receipts for what arrived."""
    if not REF_RE.match(ref) or ".." in ref or ref.endswith((".lock", "/", ".")):
        raise WebhookError(400, f"推送事件中的引用名“{ref}”无效。")
    refs = sorted({ref, settings.main_ref})
    before = {r: ref_value(settings.repo, r) for r in refs}
    try:
        # Forced: branches may be rewritten on the forge; the mirror's main is watched by the audit.
        git(settings.repo, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--end-of-options",
            settings.remote, *(f"+{r}:{r}" for r in refs))
    except GitError as exc:
        raise WebhookError(502, f"无法从 {settings.remote} 获取 {'、'.join(refs)}：{exc.stderr}") from exc
    after = {r: ref_value(settings.repo, r) for r in refs}
    updates = [RefUpdate(before[r] or ZERO_ID, a, r) for r in refs if (a := after[r]) and a != before[r]]
    if not updates:
        return {"ref": ref, "receipts": 0}
    now = now or datetime.now().astimezone()
    result = receive_push(settings.repo, settings.key, now, updates, main=settings.main, witness=settings.witness)
    if result.problems:
        raise WebhookError(500, "主分支上的配置有误：" + "；".join(p.render() for p in result.problems[:3]))
    return {"ref": ref, "receipts": len(result.receipts), "checkpoint": result.checkpoint,
            "blobs": [r["blob"] for r in result.receipts]}


class _Handler(BaseHTTPRequestHandler):
    server: WebhookServer
    server_version = "baosong-webhook"

    def log_message(self, fmt: str, *args: object) -> None:
        sys.stderr.write(f"{self.log_date_time_string()} {self.address_string()} {fmt % args}\n")

    def _reply(self, status: int, doc: dict) -> None:
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._reply(200, {"service": "baosong webhook", "ok": True})

    def do_POST(self) -> None:  # noqa: N802
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._reply(413, {"error": "请求体过大或长度无效。"})
            return
        body = self.rfile.read(length)
        kind = authenticate(self.headers, body, self.server.settings.secret)
        if kind is None:
            self._reply(403, {"error": "令牌或签名不符（X-Gitlab-Token / X-Gitea-Signature / X-Forgejo-Signature）。"})
            return
        try:
            payload = json.loads(body)
        except ValueError:
            self._reply(400, {"error": "请求体不是有效的 JSON。"})
            return
        ref = push_event(kind, self.headers, payload)
        if ref is None:
            self._reply(202, {"ignored": "不是推送事件，或是删除分支的推送"})
            return
        try:
            with self.server.lock:  # one push at a time: fetch and receipt see a consistent mirror
                done = receipt_push(self.server.settings, ref)
        except WebhookError as exc:
            self._reply(exc.status, {"error": str(exc)})
            return
        except ReceiveError as exc:
            self._reply(500, {"error": str(exc)})
            return
        except GitError as exc:
            self._reply(500, {"error": f"git 命令失败：{exc.stderr or exc}"})
            return
        self._reply(200, done)


class WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], settings: WebhookSettings) -> None:
        super().__init__(address, _Handler)
        self.settings = settings
        self.lock = threading.Lock()
