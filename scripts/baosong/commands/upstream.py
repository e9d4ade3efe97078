"""baosong upstream: fetch the upper registry's receipts and branches, and show what they say about
this registry's forwards (the loop closed downward)."""

from __future__ import annotations

import argparse
import sys

from baosong.commands.common import add_repo_option, git_failed, print_problems
from baosong.problems import terminal_safe

NAME = "upstream"
HELP = "获取上级登记库的回执和分支，验证上级回执，查看本登记库转报的报告是否已被上级签收"
DESCRIPTION = """闭环：本登记机关向上级（省、中央）转报紧急信息后，从上级登记库获取其回执库和分支，
用 config/units.yaml upstream 中登记的上级回执公钥验证上级回执，找出上级登记库中由本登记库转报的报告
（forwarded_from.registry 为本登记库的 registry.id），登记簿据此判断本机关的上报义务是否按时。

获取的内容只写入 refs/baosong/upstream/<上级标识>/receipts 和 refs/baosong/upstream/<上级标识>/heads/*，
从不写入本登记库自己的回执库。上级回执只有用登记的公钥验证通过才被采信；验证不通过的回执被忽略并列为问题。

操作：
  fetch   获取（需要能访问上级登记库），然后显示结果
  status  只读本地已获取的内容，显示结果

示例：
  baosong upstream fetch
  baosong upstream fetch --id province --from /srv/git/province.git
  baosong upstream status

退出状态：0 正常；1 有上级回执未通过验证等错误；2 用法错误或无法获取。
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("action", choices=["fetch", "status"], metavar="操作", help="fetch（获取并验证）或 status（只看本地）")
    parser.add_argument("--id", default=None, metavar="上级标识", help="只处理此上级登记库（upstream 中的 id）")
    parser.add_argument("--from", dest="source", default=None, metavar="地址",
                        help="从此地址或路径获取（默认：upstream 中的 url）；配置了多个上级时须同时给出 --id")
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="读取配置的版本（默认 HEAD）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")


def run(args: argparse.Namespace) -> int:
    from baosong.config import UNITS_PATH, load_config
    from baosong.gitrepo import GitError, GitTree
    from baosong.newreport import local_tz
    from baosong.upstream import fetch_upstream, read_upstream, upstreams
    from baosong.vocab import UPWARD_TO_ZH, fmt_time

    try:
        cfg = load_config(GitTree(args.repo, args.rev))
    except GitError as exc:
        return git_failed(exc)
    if not cfg.ok:
        print("\n".join(p.render() for p in cfg.problems), file=sys.stderr)
        return 1
    ups = upstreams(cfg)
    if args.id is not None:
        ups = [u for u in ups if u.id == args.id]
    if not ups:
        which = f"标识为“{terminal_safe(args.id)}”的" if args.id else ""
        print(f"错误：{UNITS_PATH} 的 upstream 中没有{which}上级登记库。请先按 README“上下级登记库联动”一节配置。",
              file=sys.stderr)
        return 2
    if args.source and len(ups) > 1:
        print("错误：配置了多个上级登记库，使用 --from 时请用 --id 指明是哪一个。", file=sys.stderr)
        return 2
    fetched: list = []
    if args.action == "fetch":
        for up in ups:
            try:
                refs, refused = fetch_upstream(args.repo, up, args.source)
                fetched += refused
            except GitError as exc:
                print(f"错误：无法从上级登记库“{up.id}”（{terminal_safe(args.source or up.url)}）获取："
                      f"{terminal_safe(exc.stderr or exc)}", file=sys.stderr)
                return 2
            if args.format == "text":
                print(f"已获取上级登记库“{up.id}”：{len(refs)} 个引用（refs/baosong/upstream/{up.id}/）。")
    try:
        links = read_upstream(args.repo, cfg)
    except GitError as exc:
        return git_failed(exc)
    tz = local_tz(cfg)
    selected = {u.id for u in ups}
    found = [f for fs in links.forwards.values() for f in fs if f.upstream in selected]
    if args.format == "text":
        for up in ups:
            mine = [f for f in found if f.upstream == up.id]
            state = "未获取（请运行 baosong upstream fetch）" if up.id not in links.fetched else \
                f"本登记库转报 {len(mine)} 份，已获上级回执 {sum(1 for f in mine if f.received_at)} 份"
            print(f"上级登记库“{up.id}”（{UPWARD_TO_ZH.get(up.to, up.to)}，本机关在上级的单位代码 {up.unit}）：{state}。")
            for f in sorted(mine, key=lambda f: f.path):
                when = f"上级回执 {fmt_time(f.received_at, tz)}" if f.received_at else \
                    f"已报送，待回执（本机关提交时间 {fmt_time(f.own_at, tz)}）" if f.own_at else "未经本机关签名，不予认定"
                print(terminal_safe(f"  {f.origin} → {f.report or f.path}：{when}"))
    problems = fetched + links.problems
    errors = sum(1 for p in problems if p.is_error)
    summary = f"共 {len(found)} 份转报；{errors} 个错误。" if errors else f"共 {len(found)} 份转报。"
    return print_problems(problems, args.format, summary)
