"""baosong receive: the registry's own job — signed receipts and a checkpoint for newly accepted reports."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from baosong.commands.common import add_repo_option, colour, git_failed, parse_now
from baosong.gitrepo import GitError
from baosong.problems import json_safe, render_text, terminal_safe
from baosong.receipts import KEY_ENV, RECEIPTS_REF, WITNESS_ENV, WITNESS_FILE, ReceiveError
from baosong.receive import receive

NAME = "receive"
HELP = "登记回执：为主分支上新收到的报告写入登记系统签名的回执和检查点"
DESCRIPTION = f"""登记回执（登记系统作业，在报告合并进主分支后运行，或由服务器钩子调用）。

为主分支上每份还没有回执的报告记录：路径、blob、提交、签名人和登记系统时钟给出的送达时间，
用登记系统的 SSH 私钥签名，并可由配置中的时间戳服务（RFC 3161）加盖时间戳；
回执与检查点追加写入 {RECEIPTS_REF}（提交者不能写入的专用引用）。可以并发运行。

回执库若被删除、回退，或最新检查点没有登记系统的有效签名，则拒绝写入（退出状态 2），以免把报告
重新记为“现在”送达。每次写入后更新见证文件（--witness，或环境变量 {WITNESS_ENV}，
默认 git 目录下的 {WITNESS_FILE}），记下最新检查点，用来发现回执库被删除或回退。

示例：
  baosong receive --key /etc/baosong/registry_ed25519
  {KEY_ENV}=/etc/baosong/registry_ed25519 baosong receive

退出状态：0 成功；1 配置有误；2 用法错误或无法写入。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="主分支（默认 HEAD）")
    parser.add_argument("--key", type=Path, default=None, metavar="私钥",
                        help=f"登记系统 SSH 私钥文件（默认取环境变量 {KEY_ENV}）")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="送达时间（默认：系统时钟；仅供测试和演示）")
    parser.add_argument("--witness", type=Path, default=None, metavar="文件",
                        help=f"见证文件（默认：环境变量 {WITNESS_ENV}，否则 git 目录下的 {WITNESS_FILE}）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
    parser.add_argument("--no-cache", action="store_true", help="不读也不写签名验证缓存（.git/baosong-cache/）")


def run(args: argparse.Namespace) -> int:
    key = args.key or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if key is None:
        print(f"错误：缺少登记系统私钥。请用 --key 指定，或设置环境变量 {KEY_ENV}。", file=sys.stderr)
        return 2
    now = args.now or parse_now(None)
    try:
        result = receive(args.repo, key, now, args.rev, use_cache=not args.no_cache, witness=args.witness)
    except ReceiveError as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 2
    except GitError as exc:
        return git_failed(exc)
    if result.problems:
        print(render_text(result.problems), file=sys.stderr)
        return 1
    if args.format == "json":
        print(json_safe(json.dumps({"receipts": result.receipts, "checkpoint": result.checkpoint,
                                    "main_commit": result.main_commit, "attempts": result.attempts},
                                   ensure_ascii=False, indent=2)))
        return 0
    for r in result.receipts:
        flag = "" if r["signature"] == "good" else f"（签名：{r['signature']}）"
        print(terminal_safe(f"{r['received_at']}  {r['path']}  {r['blob'][:10]}  {r['signer'] or '-'}{flag}"))
    if result.checkpoint is None:
        print(colour(f"主分支 {result.main_commit[:10]} 没有新内容，无需登记。", "32"))
    else:
        print(colour(f"新登记 {len(result.receipts)} 份回执，写入检查点 {result.checkpoint}"
                     f"（主分支 {result.main_commit[:10]}）。", "32"))
    return 0
