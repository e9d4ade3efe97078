"""baosong export: the register, score tables or a bulletin of a period as CSV, XLSX or JSON; the
register and score tables also as Parquet for analysis across registries (baosong.analysis)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from baosong.commands.common import add_repo_option, parse_now, progress
from baosong.problems import terminal_safe

NAME = "export"
HELP = "导出某一周期的登记簿、考核积分表或通报（CSV、XLSX、JSON；汇总分析用 Parquet）"
DESCRIPTION = """导出某一统计周期的登记簿、考核积分表或通报，供办公室存档、排版或报送使用。

导出内容（--what）：
  register   登记簿：该周期内收到的每份报告（收到时间、适用时限、按时/迟报/漏报等）
  scores     考核积分表：各单位的报送数量、任务完成、采用和批示加分、迟报漏报瞒报扣分、合计与排名；
             XLSX 另有“计分明细”工作表，逐条列出每一分来自哪份报告或哪条登记机关记录
  bulletin   通报：月度通报、双月排名通报、季度采用情况通报或年度通报（周期须已结束）

统计周期（--period）：
  2026       全年
  2026-Q3    第三季度（Q1—Q4）
  2026-09    9月
  2026-B5    第5个双月，即9—10月（B1 为1—2月 …… B6 为11—12月）

格式（--format）：csv（UTF-8 带 BOM，Excel、WPS 可直接打开）、xlsx（首行冻结，时间为日期格式）、json，
以及供省级汇总分析的 parquet（须安装分析组件：pip install 'baosong[analysis]'）。
身份证号、手机号一律脱敏。csv、xlsx、json 与门户“下载”中的同名文件内容相同。

Parquet：--out 为目录（默认 <内容>-<周期>），登记簿写出 reports.parquet（每份报告一行）和
incidents.parquet（每起事件一行），考核积分表写出 scores.parquet（每个单位一行）；每行带 registry 列
（登记库标识：units.yaml 的 registry.id，未设置时为城市名，可用 --registry 指定），多个登记库的导出
可直接合并查询（baosong analyze）。

示例：
  baosong export --what scores --period 2026-Q3 --format xlsx
  baosong export --what bulletin --period 2026-09 --format json --out -
  baosong export --what register --period 2026-B5 --format csv --out 登记簿.csv
  baosong export --what register --period 2026 --format parquet --out 省汇总/jiangzhou
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--what", required=True, choices=["register", "scores", "bulletin"],
                        help="导出内容：register 登记簿 / scores 考核积分表 / bulletin 通报")
    parser.add_argument("--period", required=True, metavar="周期",
                        help="统计周期：2026、2026-Q3、2026-09、2026-B5（双月）")
    parser.add_argument("--format", choices=["csv", "xlsx", "json", "parquet"], default=None,
                        help="文件格式：csv / xlsx / json / parquet（默认：按 --out 的扩展名，否则 csv）")
    parser.add_argument("--out", default=None, metavar="文件",
                        help="输出文件；“-”表示标准输出（默认：当前目录下的 <内容>-<周期>.<格式>）；"
                             "parquet 为输出目录（默认：<内容>-<周期>）")
    parser.add_argument("--registry", default=None, metavar="标识",
                        help="parquet 的 registry 列（默认：units.yaml 的 registry.id，未设置时为城市名）")
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="登记库版本（默认：HEAD）")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="数据截至时间（默认：所选版本的提交时间，与门户一致）")


def run(args: argparse.Namespace) -> int:
    from baosong.exports import ExportError, export_bytes, file_name
    from baosong.portal.data import PortalDataError, load_context
    from baosong.scoring import parse_period

    try:
        period = parse_period(args.period)
    except ValueError as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 2
    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower().lstrip(".") if args.out and args.out != "-" else ""
        fmt = suffix if suffix in ("csv", "xlsx", "json") else "csv"
    if fmt == "parquet":
        return _run_parquet(args, period)
    if args.out == "-" and fmt == "xlsx" and sys.stdout.isatty():
        print("错误：XLSX 是二进制文件，不能输出到终端。请用 --out 指定文件。", file=sys.stderr)
        return 2
    try:
        ctx = load_context(args.repo, args.rev, now=args.now, progress=lambda items, desc: progress(items, desc))
        data = export_bytes(ctx, args.what, period, fmt)
    except (PortalDataError, ExportError) as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    out = Path(args.out) if args.out else Path(file_name(args.what, period, fmt))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        print(f"错误：无法写入 {out}（{exc.strerror or exc}）。", file=sys.stderr)
        return 1
    print(f"已导出{period.label}的{_what_zh(args.what)}：{out}（{len(data):,} 字节，数据截至 "
          f"{ctx.now:%Y-%m-%d %H:%M}）")
    return 0


def _run_parquet(args: argparse.Namespace, period) -> int:
    from baosong.analysis import export_parquet
    from baosong.exports import ExportError
    from baosong.portal.data import PortalDataError, load_context

    if args.out == "-":
        print("错误：Parquet 导出写到目录（每张表一个文件），不能输出到标准输出。请用 --out 指定目录。",
              file=sys.stderr)
        return 2
    if args.registry is not None and not _REGISTRY_ID.fullmatch(args.registry):
        print(f"错误：--registry “{terminal_safe(args.registry)}” 不是有效的登记库标识：须以小写字母开头，"
              "只含小写字母、数字和连字符，如 jiangzhou。", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(f"{args.what}-{period.key}")
    try:
        # Fail before the register is computed when DuckDB is missing (it says how to install it).
        from baosong.analysis import duckdb_module

        duckdb_module()
        ctx = load_context(args.repo, args.rev, now=args.now, progress=lambda items, desc: progress(items, desc))
        written = export_parquet(ctx, args.what, period, out, registry=args.registry)
    except (PortalDataError, ExportError) as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"错误：无法写入 {out}（{exc.strerror or exc}）。", file=sys.stderr)
        return 1
    files = "、".join(f"{w.path.name}（{w.rows:,} 行）" for w in written)
    print(f"已导出{period.label}的{_what_zh(args.what)}（Parquet）到 {out}：{files}，数据截至 "
          f"{ctx.now:%Y-%m-%d %H:%M}")
    return 0


_REGISTRY_ID = re.compile(r"[a-z][a-z0-9-]*")


def _what_zh(what: str) -> str:
    from baosong.exports import WHAT_ZH

    return WHAT_ZH[what]
