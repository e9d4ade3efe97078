"""baosong verify: check every receipt offline (signature, time stamp, blob still present)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

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
    parser.add_argument("--chain", metavar="报告编号",
                        help="只核验一份转报报告的来源链：来源回执签名、blob、来源编号和事实，逐环列出")
    parser.add_argument("--lower", type=Path, action="append", default=[], metavar="目录",
                        help="与 --chain 同用：下级登记库的检出目录（可重复，如县、市各一个），"
                             "来源本身也是转报时，在该登记库中继续核验下一环")


def run(args: argparse.Namespace) -> int:
    if args.chain:
        return _chain(args)
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


def _chain(args: argparse.Namespace) -> int:
    """verify --chain: each link of a forwarded report, from the report given down to its origin."""
    from baosong.chain import walk_chain
    from baosong.forward import ForwardError, describe_change
    from baosong.problems import terminal_safe

    try:
        walk = walk_chain(args.repo, args.chain, args.rev, args.lower)
        chain = walk.links
    except GitError as exc:
        return git_failed(exc)
    except ForwardError as exc:
        print(f"错误：{terminal_safe(str(exc))}", file=sys.stderr)
        return 1
    if args.format == "json":
        return _chain_json(chain, walk)
    failed = 0
    for link in chain:
        where = f"{link.registry} 登记库" if link.registry else "本登记库"
        print(f"第 {link.level + 1} 环：{terminal_safe(where)} {terminal_safe(link.path)}（{terminal_safe(link.id)}，单位 "
              f"{terminal_safe(link.unit)}）")
        if link.level in walk.held:
            print(f"  仍在 {terminal_safe(link.registry)} 登记库的主分支上，与上一环核验的 blob 一致。")
        if link.link is None:
            if link.level == 0:
                print("  不是转报报告（没有 forwarded_from），链到此为止。")
            elif link.origin_forwarded:
                print(f"  该报告本身也是转报：请在 {terminal_safe(link.registry)} 登记库运行 "
                      f"baosong verify --chain {terminal_safe(link.id)} 核验下一环，"
                      f"或在此加 --lower <{terminal_safe(link.registry)} 登记库目录>。")
            else:
                print("  来源报告（链的起点）。")
            continue
        ln = link.link
        errors = [p for p in ln.problems if p.is_error]
        failed += len(errors)
        print(f"  转报来源：{terminal_safe(ln.registry)} 登记库 {terminal_safe(ln.id)}（blob {ln.blob[:12]}，"
              f"回执时间 {terminal_safe(ln.received_at)}）")
        rules = {p.rule for p in errors}
        print("  " + ("回执签名无效" if "forward-receipt-signature" in rules else "回执签名有效")
              + f"（按单位 {terminal_safe(link.unit)} 登记的 {terminal_safe(ln.registry)} 回执公钥核验）；"
              + ("原文与回执不一致" if rules & {"forward-origin-blob", "forward-receipt-blob"} else "原文与回执登记的 blob 一致")
              + "；" + ("事实与来源不符" if rules & {"forward-figure-lowered", "forward-fact-changed", "forward-kind"}
                       else "事实与来源一致"))
        for line in describe_change(link.forwarded_from or {}):
            print(f"  声明的改动：{terminal_safe(line)}")
        for p in errors:
            print("  " + p.render())
    for p in walk.problems:
        print(p.render())
    failed += len(walk.problems)
    print("来源链核验通过。" if not failed else f"来源链核验未通过：{failed} 个问题。")
    return 1 if failed else 0


def _chain_json(chain: list, walk: Any) -> int:
    """verify --chain --format json: one object per level (the federation demo and scripts read it)."""
    import json

    from baosong.problems import json_safe

    out = []
    for link in chain:
        ln = link.link
        out.append({"level": link.level + 1, "registry": link.registry, "path": link.path, "id": link.id,
                    "unit": link.unit,
                    "forwarded_from": None if ln is None else {"registry": ln.registry, "id": ln.id, "blob": ln.blob,
                                                               "received_at": ln.received_at},
                    "verified": None if ln is None else not any(p.is_error for p in ln.problems),
                    "verify_in": link.registry if link.origin_forwarded else None,
                    "held": link.level in walk.held,
                    "problems": [] if ln is None else [p.to_dict() for p in ln.problems]})
    if walk.problems:  # a lower registry given with --lower no longer holds the origin verified above
        out.append({"level": None, "problems": [p.to_dict() for p in walk.problems]})
    print(json_safe(json.dumps(out, ensure_ascii=False, indent=2)))
    return 1 if walk.problems or any(level.get("verified") is False for level in out) else 0
