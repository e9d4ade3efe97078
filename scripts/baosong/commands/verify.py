"""baosong verify: check every receipt offline (signature, time stamp, blob still present)."""

from __future__ import annotations

import argparse
import sys

from baosong.commands.common import add_repo_option, git_failed, print_problems
from baosong.config import load_config
from baosong.gitrepo import GitError, GitTree
from baosong.receipts import RECEIPTS_REF, verify_store

NAME = "verify"
HELP = "离线验证全部登记回执：签名、时间戳、报告内容是否仍在"
DESCRIPTION = f"""离线验证 {RECEIPTS_REF} 中的每一份回执和检查点：登记系统签名、时间戳服务（RFC 3161）的时间戳、
回执对应的报告内容是否仍在仓库中、回执是否与已签名的检查点一致。信任根（登记系统公钥、时间戳服务证书）
取自 --rev 指定版本的 config/units.yaml。

示例：
  baosong verify
  baosong verify --format json

退出状态：0 全部通过；1 有回执未通过（逐一列出）；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="读取配置的版本（默认 HEAD）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(GitTree(args.repo, args.rev))
        if not cfg.ok:
            print("\n".join(p.render() for p in cfg.problems), file=sys.stderr)
            return 1
        result = verify_store(args.repo, cfg)
    except GitError as exc:
        return git_failed(exc)
    summary = (f"共验证 {result.receipts} 份回执、{result.checkpoints} 个检查点：{len(result.problems)} 个问题"
               + ("。" if result.problems else "，全部通过。"))
    return print_problems(result.problems, args.format, summary)
