"""baosong audit: find history rewrites, deleted or changed reports and tampered receipts."""

from __future__ import annotations

import argparse
from pathlib import Path

from baosong.audit import audit
from baosong.commands.common import add_repo_option, git_failed, print_problems
from baosong.gitrepo import GitError
from baosong.receipts import RECEIPTS_REF, WITNESS_ENV, WITNESS_FILE

NAME = "audit"
HELP = "审计：主分支被改写、已登记报告被删改、回执库被删除/回退/伪造、提交时间倒退"
DESCRIPTION = f"""审计登记库：对照登记系统签名的检查点，发现绕过服务器检查的改动——
主分支被改写（强制推送，检查点记录的提交不再是主分支的祖先）、已登记的报告被删除或改动
（以首次登记为准，其后检查点的再登记不算数；主分支上任何改动或删除报告的提交）、
回执缺失、被篡改或被重复登记、检查点链断裂或任一检查点的签名不成立、
回执库 {RECEIPTS_REF} 被删除、回退或改写（对照见证文件）、主分支提交时间倒退。每条发现写明是什么、在哪里。

见证文件：--witness 指定，否则取环境变量 {WITNESS_ENV}，否则为 git 目录下的 {WITNESS_FILE}
（登记服务器上由登记系统维护，门户网站公开发布）。

示例：
  baosong audit
  baosong audit --rev refs/remotes/origin/main --format json
  baosong audit --witness 下载的见证文件.json

退出状态：0 未发现问题；1 有发现；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="主分支（默认 HEAD）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
    parser.add_argument("--witness", type=Path, default=None, metavar="文件",
                        help=f"回执库见证文件（默认：环境变量 {WITNESS_ENV}，否则 git 目录下的 {WITNESS_FILE}）")


def run(args: argparse.Namespace) -> int:
    try:
        result = audit(args.repo, args.rev, witness=args.witness)
    except GitError as exc:
        return git_failed(exc)
    summary = (f"审计 {result.checkpoints} 个检查点、{result.accepted} 份有回执的报告、{result.main_commits} 个提交："
               f"{len(result.problems)} 项发现" + ("。" if result.problems else "，未发现问题。"))
    return print_problems(result.problems, args.format, summary)
