"""baosong analyze: province-wide queries (DuckDB) over many registries' Parquet exports."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from baosong.problems import terminal_safe

NAME = "analyze"
HELP = "省级汇总分析：对多个登记库导出的 Parquet 文件运行 DuckDB 查询（各市及时率排名等）"
DESCRIPTION = """省级汇总分析：把各市（各登记库）用 baosong export --format parquet 导出的文件放在一个目录下
（每个登记库一个子目录），对其中所有 reports.parquet、incidents.parquet、scores.parquet 运行查询。

默认运行随本程序提供的查询（province.sql）：
  city_ranking          各市报送及时率排名（有报送时限的报告，按时率从高到低）
  category_late_missed  全省各类突发事件报告的迟报、漏报
  city_incidents        各市突发事件与续报情况
  city_month            各市各月报告数与迟报、漏报
  upward_duties         各市向上报送义务的完成情况（登记簿有上报义务时）
也可用 --sql 指定自己的查询文件（格式同 province.sql：每个查询以“-- name: 名称”一行开始，以分号结束；
可查询的视图为 reports、incidents、scores，列见 FORMAT.md）。须安装分析组件：pip install 'baosong[analysis]'。

示例：
  baosong analyze 省汇总
  baosong analyze 省汇总 --query city_ranking --format csv --out 各市排名.csv
  baosong analyze 省汇总/jiangzhou 省汇总/nanshan --format json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", metavar="目录",
                        help="存放 Parquet 导出文件的目录（含子目录），或单个 .parquet 文件")
    parser.add_argument("--sql", default=None, metavar="文件", help="查询文件（默认：随程序提供的 province.sql）")
    parser.add_argument("--query", action="append", default=None, metavar="名称",
                        help="只运行这个查询（可重复）；--format csv 时须且只能指定一个")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table",
                        help="输出格式：table 表格（默认）/ csv / json")
    parser.add_argument("--out", default=None, metavar="文件", help="输出文件（默认：标准输出）")
    parser.add_argument("--timezone", default="Asia/Shanghai", metavar="时区",
                        help="显示时间所用的时区（默认：Asia/Shanghai）")


def run(args: argparse.Namespace) -> int:
    from baosong.analysis import connect, duckdb_module, find_exports, parse_queries, run_queries, shipped_sql
    from baosong.exports import ExportError

    try:
        duckdb_module()  # first: without DuckDB nothing below can run, and the message says how to install it
        if args.sql:
            try:
                text = Path(args.sql).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ExportError(f"无法读取查询文件 {args.sql}（{getattr(exc, 'strerror', None) or exc}）。") from exc
            queries = parse_queries(text, args.sql)
        else:
            queries = parse_queries(shipped_sql())
        if args.query:
            known = {q.name for q in queries}
            unknown = [n for n in args.query if n not in known]
            if unknown:
                raise ExportError(f"没有名为 {'、'.join(unknown)} 的查询；可选：{'、'.join(q.name for q in queries)}。")
            queries = [q for q in queries if q.name in args.query]
        if args.format == "csv" and len(queries) != 1:
            raise ExportError("CSV 一次只能输出一个查询的结果：请用 --query 指定一个查询。")
        con = connect(find_exports(Path(d) for d in args.dirs))
        results = run_queries(con, queries, args.timezone)
    except ExportError as exc:
        print(f"错误：{terminal_safe(exc)}", file=sys.stderr)
        return 1
    if args.format == "json":
        text = json.dumps({r.query.name: {"title": r.query.title, "columns": r.columns,
                                          "rows": [[_plain(v) for v in row] for row in r.rows]} for r in results},
                          ensure_ascii=False, indent=1) + "\n"
    elif args.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(results[0].columns)
        writer.writerows([_cell(v) for v in row] for row in results[0].rows)
        text = "\ufeff" + buf.getvalue()  # the BOM: Excel and WPS read the UTF-8 as Chinese
    else:
        text = "\n".join(_table(r.query.title, r.columns, r.rows) for r in results)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"错误：无法写入 {args.out}（{exc.strerror or exc}）。", file=sys.stderr)
            return 1
        print(f"已写出 {len(results)} 个查询的结果：{args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    value = _plain(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


def _table(title: str, columns: list[str], rows: list[tuple]) -> str:
    from baosong.exports import display_width

    cells = [[terminal_safe(_cell(v)) for v in row] for row in rows]
    heads = [terminal_safe(c) for c in columns]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [f"【{terminal_safe(title)}】", line(heads), line(["-" * w for w in widths])]
    out += [line(r) for r in cells] if cells else ["（无数据）"]
    return "\n".join(out) + "\n"
