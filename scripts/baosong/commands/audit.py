"""baosong audit: find history rewrites, deleted or changed reports and tampered receipts."""

from __future__ import annotations

import argparse

from baosong.audit import audit
from baosong.commands.common import add_repo_option, git_failed, print_problems
from baosong.gitrepo import GitError

NAME = "audit"
HELP = "审计：主分支被改写、已登记报告被删改、回执被篡改、提交时间倒退"
DESCRIPTION = """审计登记库：对照登记系统签名的检查点，发现绕过服务器检查的改动——
主分支被改写（强制推送，检查点记录的提交不再是主分支的祖先）、已登记的报告被删除或改动、
回执缺失或被篡改、检查点链断裂或签名不成立、主分支提交时间倒退。每条发现写明是什么、在哪里。

示例：
  baosong audit
  baosong audit --rev refs/remotes/origin/main --format json

退出状态：0 未发现问题；1 有发现；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="主分支（默认 HEAD）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")


def run(args: argparse.Namespace) -> int:
    try:
        result = audit(args.repo, args.rev)
    except GitError as exc:
        return git_failed(exc)
    summary = (f"审计 {result.checkpoints} 个检查点、{result.accepted} 份已登记报告、{result.main_commits} 个提交："
               f"{len(result.problems)} 项发现" + ("。" if result.problems else "，未发现问题。"))
    return print_problems(result.problems, args.format, summary)
