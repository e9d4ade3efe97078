"""baosong serve: build the portal, then serve it on 127.0.0.1 (only this machine can reach it)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from baosong.commands import build

NAME = "serve"
HELP = "生成门户并在本机 127.0.0.1 上提供访问（默认端口 8000）"
DESCRIPTION = """生成门户，然后在本机 127.0.0.1 上提供访问，并打印地址。按 Ctrl+C 停止。

端口：--port，或环境变量 BAOSONG_PORT，默认 8000。
只监听 127.0.0.1，局域网内其他机器无法访问；正式部署请把 site/ 目录交给内网的 Web 服务器。

示例：
  baosong serve
  baosong serve --repo demo --port 8080
  baosong serve --no-build             直接提供已生成的 site/
"""

DEFAULT_PORT = 8000


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript; charset=utf-8",
                      ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
                      ".csv": "text/csv; charset=utf-8", ".json": "application/json; charset=utf-8",
                      ".svg": "image/svg+xml",
                      ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith(("4", "5")):  # quiet: only failed requests are worth a line
            super().log_request(code, size)


def _port(text: str | None) -> int:
    try:
        value = int(text) if text is not None else DEFAULT_PORT
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"端口“{text}”无效，须为 1–65535 的整数") from exc
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"端口“{text}”无效，须为 1–65535 的整数")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    build.add_arguments(parser)
    parser.add_argument("--port", type=_port, default=None, metavar="端口",
                        help=f"端口（默认：环境变量 BAOSONG_PORT，或 {DEFAULT_PORT}；0 表示任选空闲端口）")
    parser.add_argument("--no-build", action="store_true", help="不重新生成，直接提供已有的网站目录")


def make_server(site: Path, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(_Handler, directory=str(site))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def run(args: argparse.Namespace) -> int:
    try:
        port = args.port if args.port is not None else _port(os.environ.get("BAOSONG_PORT"))
    except argparse.ArgumentTypeError as exc:
        print(f"错误：环境变量 BAOSONG_PORT：{exc}", file=sys.stderr)
        return 2
    if args.no_build:
        site = args.out or args.repo / "site"
        if not (site / "index.html").is_file():
            print(f"错误：{site} 中没有已生成的门户，请去掉 --no-build 或先运行 baosong build。", file=sys.stderr)
            return 1
    else:
        status, site = build.build_site(args)
        if status != 0 or site is None:
            return status
    try:
        server = make_server(site, port)
    except OSError as exc:
        print(f"错误：无法在 127.0.0.1:{port} 上监听（{exc.strerror or exc}）。端口可能已被占用，"
              "请用 --port 或 BAOSONG_PORT 换一个端口。", file=sys.stderr)
        return 1
    address = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"门户地址：{address}", flush=True)
    print("按 Ctrl+C 停止。", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("已停止。", file=sys.stderr)
    finally:
        server.server_close()
    return 0
