"""baosong build: the intranet portal (static site) from the registry's git history."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from baosong.commands.common import add_repo_option, parse_now, progress
from baosong.problems import terminal_safe

NAME = "build"
HELP = "生成内网门户（静态网站）：登记簿、事件、单位、图表、下载"
DESCRIPTION = """根据登记库的 git 历史生成内网门户（静态网站，中文，可离线访问）。

内容：首页（处置中的事件、今日收到、本月统计）、登记簿（每月一页及年度概览）、每起事件一页、
每个单位一页、每份报告一页、图表、CSV/XLSX 下载。报告从 git 对象读取，不读工作区。
“当前时间”默认取所选版本的提交时间，因此同一提交两次生成的网站完全相同。

示例：
  baosong build                        生成到 site/
  baosong build --repo demo --out /tmp/portal
  baosong build --now 2026-11-20T12:00:00+08:00
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--out", "--output", dest="out", type=Path, default=None, metavar="目录",
                        help="网站输出目录（默认：登记库下的 site/）；整个目录会被替换")
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="登记库版本（默认：HEAD）")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="首页“当前时间”（默认：所选版本的提交时间），如 2026-11-20T12:00:00+08:00")
    parser.add_argument("--config", type=Path, default=None, metavar="文件",
                        help="MkDocs 配置模板（默认：登记库根目录的 mkdocs.yml，没有时用本工具自带的模板）")


def build_site(args: argparse.Namespace) -> tuple[int, Path | None]:
    """Shared by build and serve: (exit status, output directory)."""
    from baosong.portal.build import PortalBuildError, build_portal
    from baosong.portal.data import PortalDataError, load_context
    from baosong.portal.mkdocs_adapter import AdapterError

    repo: Path = args.repo
    out: Path = args.out or repo / "site"
    template = args.config or (repo / "mkdocs.yml" if (repo / "mkdocs.yml").is_file() else None)
    started = time.monotonic()
    try:
        print(f"» 读取登记库 {repo.resolve()}（{args.rev}）", file=sys.stderr)
        ctx = load_context(repo, args.rev, now=args.now, progress=lambda items, desc: progress(items, desc))
        reports = len(ctx.register.reports)
        print(f"» 生成门户：{reports} 份报告，{len(ctx.register.incidents)} 起事件", file=sys.stderr)
        result = build_portal(ctx, out, template=template,
                              progress=lambda items, desc: progress(list(items), desc),
                              note=lambda message: print(f"» {terminal_safe(message)}", file=sys.stderr, flush=True))
    except (PortalDataError, PortalBuildError, AdapterError) as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 1, None
    elapsed = time.monotonic() - started
    for message in result.warnings:
        print(f"提示：{terminal_safe(message)}", file=sys.stderr)
    print(f"已生成门户：{result.out}（{result.pages} 个页面，{result.static_pages} 个报告页与事件页，"
          f"用时 {elapsed:.1f} 秒；数据截至 {ctx.now.isoformat(timespec='minutes')}）")
    return 0, result.out


def run(args: argparse.Namespace) -> int:
    status, _ = build_site(args)
    return status
