"""baosong check: validate report files and the configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baosong.check import check_registry
from baosong.commands.common import (
    add_repo_option,
    git_failed,
    not_a_registry,
    parse_now,
    print_problems,
    progress,
)

NAME = "check"
HELP = "检查报告文件与配置是否符合格式和报送规则"
DESCRIPTION = """检查报告文件与配置是否符合格式和报送规则。

不带路径时检查整个登记库（reports/ 下所有报告以及 config/）。
每个问题占一行：文件:行:列: 错误|警告 [规则编号] 字段: 说明

示例：
  baosong check
  baosong check reports/2026/gaj/gaj-20261125-wangli-01.yaml
  baosong check --format json > problems.json
  baosong check --base refs/remotes/origin/main   拉取请求模式（CI）：判断把 HEAD 合并进 main 的结果

拉取请求模式（--base）：判断把 HEAD 合并进基准后的文件树（git merge-tree）：reports/ 下只能新增普通文件，
已有报告不能删改；其余文件（配置、模式、工具等信任根）须与基准相同，除非合并后的内容正是某个登记管理员
签名的提交产生的；配置与模式取自基准分支；共同祖先到 HEAD 的每个提交须由登记的 SSH 密钥签名（按当前时间
验证），新增报告由引入它的提交的签名人所在单位负责；迟报须附 delay_reason（迟报原因说明）；
不能提交 .baosong-cache/。报告内容从 git 对象读取。
基准写完整的引用名（refs/remotes/origin/main）或提交编号；同名标签与分支并存等有歧义的简称会被拒绝。

退出状态：0 没有错误；1 有错误；2 用法错误。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="文件", help="要检查的报告文件（默认：整个登记库）")
    add_repo_option(parser)
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式：text（默认）或 json")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="以此时间作为“当前时间”判断（默认：系统时钟），如 2026-11-25T14:30:00+08:00")
    parser.add_argument("--no-cache", action="store_true", help="不读也不写检查缓存（.git/baosong-cache/）")
    parser.add_argument("--base", metavar="版本", default=None,
                        help="拉取请求模式：判断把 HEAD 合并进该版本的结果；写完整引用名（如 refs/remotes/origin/main）"
                             "或提交编号")


def run(args: argparse.Namespace) -> int:
    root: Path = args.repo
    if args.base is not None:
        return _run_pr(args)
    if not_a_registry(root):
        return 2
    now = args.now or parse_now(None)
    result = check_registry(root, args.paths or None, now=now, use_cache=not args.no_cache,
                            progress=lambda items: progress(items, "检查"))
    summary = f"共检查 {result.files} 个文件：{result.errors} 个错误，{result.warnings} 个警告"
    if result.errors:
        summary += f"，涉及 {result.failed_files} 个文件。请按提示修改后重新检查。"
    else:
        summary += "。检查通过。"
    return print_problems(result.problems, args.format, summary)


def _run_pr(args: argparse.Namespace) -> int:
    from baosong.gitrepo import GitError
    from baosong.prcheck import check_pr

    if args.paths:
        print("错误：拉取请求模式（--base）检查整个变更，不能再指定文件。", file=sys.stderr)
        return 2
    now = args.now or parse_now(None)
    try:
        result = check_pr(args.repo, args.base, now, use_cache=not args.no_cache)
    except GitError as exc:
        return git_failed(exc)
    summary = (f"拉取请求检查（{result.merge_base[:10] or '?'}..{result.head[:10] or '?'}）：{result.commits} 个提交，"
               f"新增 {len(result.added)} 个报告：{result.errors} 个错误，{result.warnings} 个警告"
               + ("。请按提示修改后重新推送。" if result.errors else "。检查通过。"))
    return print_problems(result.problems, args.format, summary)
