"""baosong demo: generate a complete demo registry repository for the fictional city."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from baosong.commands.common import parse_now, progress
from baosong.demo import DEFAULT_NOW, DEFAULT_REPORTS, KEY_DIR, DemoError, generate_demo
from baosong.timeutil import iso

NAME = "demo"
HELP = "生成演示登记库（虚构城市一年的报送活动，含签名提交与合并）"
DESCRIPTION = f"""生成一个完整的演示登记库：江州市一年的报送活动。

各单位信息员在分支上用自己的 SSH 密钥签名提交报告，登记管理员签名合并到 main；
包含各类突发事件的首报、续报、终报，各类政务信息、网络舆情、采用、批示、通报和更正，
以及若干迟报（附迟报原因说明）、一起漏报、一起续报超期和一个“涉及但未报告”的单位。
临时密钥写入 <目录>/{KEY_DIR}/（不纳入版本库）。同一 --seed 生成相同的报告和目录树。

示例：
  baosong demo --out demo
  baosong demo --out /tmp/big --reports 50000 --seed 7
  baosong demo --federation /tmp/lian      # 省、市、县三个联动登记库（转报、回执双向）
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("demo"), metavar="目录",
                        help="生成到此目录（须不存在或为空；默认：demo）")
    parser.add_argument("--reports", type=int, default=DEFAULT_REPORTS, metavar="数量",
                        help=f"报告文件数量（默认：{DEFAULT_REPORTS}）")
    parser.add_argument("--seed", type=int, default=1, metavar="种子", help="随机种子（默认：1）")
    parser.add_argument("--now", type=parse_now, default=DEFAULT_NOW, metavar="时间",
                        help=f"模拟的“当前时间”，活动截至此时（默认：{iso(DEFAULT_NOW)}）")
    parser.add_argument("--federation", type=Path, default=None, metavar="目录",
                        help="改为生成三个联动的登记库：目录/province（江东省）、目录/city（江州市）、目录/county（南山县），"
                             "报告经 baosong forward 逐级转报，上下级互有回执（忽略 --out、--reports、--seed）")


def run(args: argparse.Namespace) -> int:
    if args.federation is not None:
        return _federation(args)
    if args.reports < 1:
        print("错误：--reports 须为正整数。", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        result = generate_demo(args.out, args.reports, args.seed, args.now,
                               progress=lambda items, desc: progress(items, desc))
    except DemoError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    kinds = "，".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"已生成演示登记库：{result.out}")
    print(f"  报告 {result.reports} 份（{kinds}）")
    print(f"  提交 {result.commits} 个（均已签名），main = {result.head[:12]}，用时 {elapsed:.1f} 秒")
    print(f"  临时密钥：{result.out / KEY_DIR}/（allowed_signers 可供 git 验证签名）")
    print(f"下一步：cd {result.out} && baosong check && baosong registry")
    return 0


def _federation(args: argparse.Namespace) -> int:
    from baosong.demo.federation import generate_federation

    started = time.monotonic()
    try:
        result = generate_federation(args.federation, args.now, progress=lambda msg: print(f"  {msg}……", file=sys.stderr))
    except DemoError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    names = {"province": "江东省", "city": "江州市", "county": "南山县"}
    print(f"已生成联动演示登记库：{result.out}（用时 {elapsed:.1f} 秒）")
    for level in ("province", "city", "county"):
        print(f"  {names[level]}：{result.out / level}（报告 {result.reports[level]} 份）")
    print(f"  转报 {len(result.forwards)} 份；其中 {len(result.refused)} 份先因调低数字被上级检查退回，写明改动理由后通过")
    print("下一步：生成三个门户，放在同一站点下（门户之间按 /county/、/city/、/province/ 互相链接）：")
    print(f"  cd {result.out}")
    print("  for l in county city province; do (cd $l && baosong build --out ../portals/$l); done")
    print("  python3 -m http.server -d portals 8000 -b 127.0.0.1     # 打开 http://127.0.0.1:8000/county/")
    county_ids = {up for level, _, up in result.forwards if level == "county"}
    twice = next((up for level, origin, up in result.forwards if level == "city" and origin in county_ids), None)
    if twice:  # a county report forwarded by the city: three levels to verify
        print("核验一份县 → 市 → 省的转报来源链：")
        print(f"  cd province && baosong verify --chain {twice} --lower ../city --lower ../county")
    return 0
