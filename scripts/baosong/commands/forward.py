"""baosong forward: write a report of this registry into the upper registry's checkout, with provenance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baosong.commands.common import add_repo_option, git_failed, not_a_registry, parse_now
from baosong.forward import ForwardError, build_forward, parse_changes, read_origin
from baosong.gitrepo import GitError
from baosong.problems import terminal_safe

NAME = "forward"
HELP = "把本登记库的一份报告转报（上报）到上级登记库：写入上级登记库的检出目录，附来源回执"
DESCRIPTION = """把本登记库主分支上的一份报告转报到上级登记库（如县报市、市报省）：读取该报告和它的登记回执
（refs/baosong/receipts），在上级登记库的检出目录中写一份本单位（本登记库在上级 config/units.yaml 中对应的
单位）的报告，编号按上级登记库重新生成，并附 forwarded_from（来源登记库、来源报告编号、blob、原文、签名回执）。
上级登记库的检查凭 units.yaml 中为本单位登记的回执公钥核验来源，并核对事实与来源报告一致。

续报、终报同样转报：其 incident 指向上级登记库中该事件首报转报后的编号（须先转报首报）。
转报时如需改动事实（时间、地点、伤亡、损失、等级等），每项改动用 --change 字段=新值 加 --reason 理由写明；
未经说明调低数字按瞒报处理，上级检查不予通过。

示例：
  baosong forward gaj-20261125-wanghao-01 --to ../province
  baosong forward gaj-20261126-wanghao-01 --to ../province --author zhangwei
  baosong forward gaj-20261125-wanghao-01 --to ../province \\
      --change casualties.deaths=2 --reason "经医院核实，一名伤者系送医途中自行离开，不计入死亡"

没有登记回执的报告不能转报：先 git fetch origin 'refs/baosong/*:refs/baosong/*'。
退出状态：0 已写出且通过上级检查；1 无法转报，或写出的报告未通过上级检查；2 用法错误。
"""


def _change(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"“{text}”应写成 字段=新值，如 casualties.deaths=2")
    return name.strip(), value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", metavar="报告编号", help="本登记库中要转报的报告编号")
    parser.add_argument("--to", type=Path, required=True, metavar="目录", help="上级登记库的检出目录（git 工作副本）")
    add_repo_option(parser)
    parser.add_argument("--rev", default="main", metavar="版本", help="读取来源报告的本登记库版本（默认 main）")
    parser.add_argument("--unit", metavar="单位代码", help="本登记库在上级登记库中的单位代码（默认：按 registry.id 查找）")
    parser.add_argument("--author", metavar="人员标识", help="上级登记库中本单位的信息员（默认：唯一的信息员）")
    parser.add_argument("--change", type=_change, action="append", default=[], metavar="字段=新值",
                        help="转报时改动一项事实（可重复；每项须跟一个 --reason）")
    parser.add_argument("--reason", action="append", default=[], metavar="理由", help="对应 --change 的改动理由")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间", help="起草时间（默认：现在）")


def run(args: argparse.Namespace) -> int:
    if not_a_registry(args.repo) or not_a_registry(args.to):
        return 1
    now = args.now or parse_now(None)
    try:
        origin = read_origin(args.repo, args.report, args.rev)
        from baosong.config import load_config
        from baosong.sources import WorkTree

        upper = load_config(WorkTree(args.to))
        schema = upper.report_schema.schema if upper.report_schema is not None else {}
        changes = parse_changes(args.change, args.reason, schema, now)
        fw = build_forward(origin, args.to, now=now, unit=args.unit, author=args.author, changes=changes)
    except GitError as exc:
        return git_failed(exc)
    except ForwardError as exc:
        print(f"错误：{terminal_safe(str(exc))}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"错误：{terminal_safe(str(exc))}", file=sys.stderr)
        return 1
    target = args.to / fw.path
    if target.exists():
        print(f"错误：{terminal_safe(target)} 已存在，未覆盖。", file=sys.stderr)
        return 1
    errors = [p for p in fw.problems if p.is_error]
    for p in fw.problems:
        print(p.render(), file=sys.stderr)
    if errors:
        print(f"转报报告未通过上级登记库的检查（{len(errors)} 个问题，见上），没有写出文件。", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(fw.text, encoding="utf-8")
    rid = fw.doc["id"]
    print(f"已写出转报报告：{terminal_safe(target)}")
    print(f"  来源：{origin.registry} 登记库 {args.report}（回执时间 {origin.received_at}）")
    print(f"  上级登记库中的单位：{fw.unit}，报告编号：{rid}")
    print("下一步（在上级登记库的检出目录中）：")
    print(f"  cd {terminal_safe(args.to)}")
    print(f"  git checkout -b report/{rid}")
    print(f"  git add {fw.path}")
    print(f"  git commit -S -m \"转报 {args.report}\"        # 用您在上级登记库登记的密钥签名")
    print(f"  git push origin report/{rid}")
    print("  然后在上级登记库的代码托管平台上发起合并请求；CI 的 baosong check --base 会核验来源回执。")
    return 0
