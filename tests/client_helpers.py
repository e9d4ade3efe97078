"""The programs officers and CI tools run, driven for real: the Red Hat YAML extension's language server
(`yaml-language-server`, over its Language Server Protocol on stdio) and ajv (a second JSON Schema
validator). Both come from npm into tests/clients/node_modules (`npm ci --prefix tests/clients`, which
scripts/test.sh runs when node is installed)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLIENTS = REPO / "tests" / "clients"
NODE_MODULES = CLIENTS / "node_modules"
LANGUAGE_SERVER = NODE_MODULES / "yaml-language-server" / "bin" / "yaml-language-server"


def node() -> str | None:
    return shutil.which("node")


def missing() -> str | None:
    """Why the client tests cannot run here, or None."""
    if node() is None:
        return "node is not installed (apt-get install nodejs npm)"
    if not LANGUAGE_SERVER.exists() or not (NODE_MODULES / "ajv").exists():
        return "npm packages missing: run `npm ci --prefix tests/clients` (scripts/test.sh does)"
    return None


def settings(schemas: dict[str, Any] | None = None) -> dict:
    """What VS Code sends for the Red Hat YAML extension with the README's settings."""
    return {
        "yaml": {
            "validate": True, "hover": True, "completion": True, "format": {"enable": False},
            "schemaStore": {"enable": False}, "yamlVersion": "1.2", "schemas": schemas or {},
            "disableAdditionalProperties": False, "maxItemsComputed": 5000,
        },
        "[yaml]": {}, "editor": {"tabSize": 2},
    }


class LanguageServer:
    """yaml-language-server over stdio: requests, notifications, and the diagnostics it publishes."""

    def __init__(self, root: Path = REPO, schemas: dict[str, Any] | None = None) -> None:
        self.root = root
        self.settings = settings(schemas)
        self.proc = subprocess.Popen(
            [node() or "node", str(LANGUAGE_SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=root, env={**os.environ, "NODE_OPTIONS": "--max-old-space-size=2048"})
        self._next = 0
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self._waiting: dict[int, queue.Queue] = {}
        self.diagnostics: dict[str, list[dict]] = {}
        self._diag_events: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                "textDocument": {
                    "completion": {"completionItem": {"snippetSupport": True, "documentationFormat": ["markdown", "plaintext"]}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "publishDiagnostics": {"relatedInformation": True},
                },
            },
            "initializationOptions": {},
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    # --- JSON-RPC over stdio --------------------------------------------------------------------

    def _send(self, message: dict) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(out.read(length).decode("utf-8"))
            self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        if "id" in message and "method" in message:  # a request from the server
            method = message["method"]
            if method == "workspace/configuration":
                result: Any = [self._section(item.get("section")) for item in message["params"]["items"]]
            else:  # client/registerCapability, window/workDoneProgress/create, ...
                result = None
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
        elif "id" in message:
            q = self._waiting.pop(message["id"], None)
            if q is not None:
                q.put(message)
        elif message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            self.diagnostics[params["uri"]] = params["diagnostics"]
            self._diag_events.put(params["uri"])

    def _section(self, section: str | None) -> Any:
        if not section:
            return self.settings
        node: Any = self.settings
        for part in section.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def request(self, method: str, params: dict, timeout: float = 60) -> Any:
        with self._lock:
            self._next += 1
            rid = self._next
            q: queue.Queue = queue.Queue()
            self._waiting[rid] = q
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        reply = q.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: dict) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    # --- documents --------------------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri() if path.is_absolute() else (self.root / path).as_uri()
        self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def change(self, uri: str, text: str) -> None:
        """Replace the whole text of an open document (its diagnostics are published anew)."""
        self._versions[uri] = self._versions.get(uri, 1) + 1
        self.diagnostics.pop(uri, None)
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self._versions[uri]},
                                               "contentChanges": [{"text": text}]})

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def wait_diagnostics(self, uris: list[str], timeout: float = 120) -> dict[str, list[dict]]:
        """The diagnostics of every uri (the server publishes them after validating each document)."""
        pending = set(uris) - set(self.diagnostics)
        while pending:
            pending.discard(self._diag_events.get(timeout=timeout))
        return {u: self.diagnostics[u] for u in uris}

    def hover(self, uri: str, line: int, character: int) -> Any:
        return self.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": {"line": line, "character": character}})

    def completion(self, uri: str, line: int, character: int) -> list[dict]:
        result = self.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                          "position": {"line": line, "character": character}})
        return result["items"] if isinstance(result, dict) else (result or [])

    def shutdown(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> LanguageServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
