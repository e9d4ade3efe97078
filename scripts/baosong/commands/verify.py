"""baosong verify: check every receipt offline (signature, time stamp, blob still present)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baosong.commands.common import add_repo_option, git_failed, print_problems
from baosong.config import load_config
from baosong.gitrepo import GitError, GitTree
from baosong.receipts import RECEIPTS_REF, WITNESS_ENV, WITNESS_FILE
from baosong.verify import verify_store

NAME = "verify"
HELP = "离线验证全部登记回执和检查点：签名、时间戳、报告内容是否仍在、回执库是否完整，并列出补登回执"
DESCRIPTION = f"""离线验证 {RECEIPTS_REF} 中的每一份回执和每一个检查点：登记系统签名（每个检查点都验证）、
检查点的摘要链接、时间戳服务（RFC 3161）的时间戳、回执对应的报告内容是否仍在仓库中、回执是否与已签名的检查点一致；
对照见证文件，发现回执库被删除、回退或改写。信任根（登记系统公钥、时间戳服务证书）取自 --rev 指定版本的
config/units.yaml。

另列出补登回执（警告，不影响退出状态）：回执时间晚于报告合并进主分支的时间 30 分钟以上，说明回执作业当时
没有运行；这些报告的送达时间按合并时间计算，登记簿中标为“补登回执”。

见证文件：--witness 指定，否则取环境变量 {WITNESS_ENV}，否则为 git 目录下的 {WITNESS_FILE}。

示例：
  baosong verify
  baosong verify --format json
  baosong verify --witness 下载的见证文件.json

退出状态：0 全部通过；1 有回执未通过（逐一列出）；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="读取配置的版本（默认 HEAD）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
    parser.add_argument("--witness", type=Path, default=None, metavar="文件",
                        help=f"回执库见证文件（默认：环境变量 {WITNESS_ENV}，否则 git 目录下的 {WITNESS_FILE}）")


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(GitTree(args.repo, args.rev))
        if not cfg.ok:
            print("\n".join(p.render() for p in cfg.problems), file=sys.stderr)
            return 1
        result = verify_store(args.repo, cfg, rev=args.rev, witness=args.witness)
    except GitError as exc:
        return git_failed(exc)
    errors = sum(1 for p in result.problems if p.is_error)
    summary = (f"共验证 {result.receipts} 份回执、{result.checkpoints} 个检查点：{errors} 个问题"
               + ("。" if errors else "，全部通过。")
               + (f"补登回执 {result.catch_up} 份（送达时间按合并时间计算）。" if result.catch_up else ""))
    return print_problems(result.problems, args.format, summary)
