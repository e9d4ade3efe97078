"""baosong check: validate report files and the configuration."""

from __future__ import annotations

import argparse
from pathlib import Path

from baosong.check import check_registry
from baosong.commands.common import add_repo_option, colour, not_a_registry, parse_now, progress
from baosong.problems import render_json

NAME = "check"
HELP = "检查报告文件与配置是否符合格式和报送规则"
DESCRIPTION = """检查报告文件与配置是否符合格式和报送规则。

不带路径时检查整个登记库（reports/ 下所有报告以及 config/）。
每个问题占一行：文件:行:列: 错误|警告 [规则编号] 字段: 说明

示例：
  baosong check
  baosong check reports/2026/gaj/gaj-20261125-wangli-01.yaml
  baosong check --format json > problems.json

退出状态：0 没有错误；1 有错误；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="文件", help="要检查的报告文件（默认：整个登记库）")
    add_repo_option(parser)
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式：text（默认）或 json")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="以此时间作为“当前时间”判断（默认：系统时钟），如 2026-11-25T14:30:00+08:00")
    parser.add_argument("--no-cache", action="store_true", help="不使用检查缓存（.baosong-cache/）")


def run(args: argparse.Namespace) -> int:
    root: Path = args.repo
    if not_a_registry(root):
        return 2
    now = args.now or parse_now(None)
    result = check_registry(root, args.paths or None, now=now, use_cache=not args.no_cache,
                            progress=lambda items: progress(items, "检查"))
    if args.format == "json":
        print(render_json(result.problems))
    else:
        for p in result.problems:
            line = p.render()
            print(colour(line, "31" if p.is_error else "33"))
        summary = f"共检查 {result.files} 个文件：{result.errors} 个错误，{result.warnings} 个警告"
        if result.errors:
            summary += f"，涉及 {result.failed_files} 个文件。请按提示修改后重新检查。"
        else:
            summary += "。检查通过。"
        print(colour(summary, "31" if result.errors else "32"))
    return 1 if result.errors else 0
