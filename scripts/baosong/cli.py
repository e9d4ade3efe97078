"""The `baosong` command line. The only place that prints; every command lives in baosong.commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from baosong import __version__

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> exit status.
COMMAND_MODULES = ["check", "new", "demo", "registry"]

DESCRIPTION = """报送（baosong）：基于 git 的信息报送登记系统。

常用示例：
  baosong check                      检查整个登记库（reports/ 与 config/）
  baosong check reports/2026/gaj/gaj-20261125-wangli-01.yaml
  baosong check --format json        以 JSON 输出问题清单（供机器读取）
"""


class _ChineseParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep that, in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 用法错误：{message}\n请运行 {self.prog} --help 查看用法。\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _ChineseParser(prog="baosong", description=DESCRIPTION,
                            formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    parser.add_argument("-h", "--help", action="help", help="显示帮助并退出")
    parser.add_argument("--version", action="version", version=f"baosong {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_ChineseParser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"baosong.commands.{name}")
        p = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
        p.add_argument("-h", "--help", action="help", help="显示帮助并退出")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a GBK Windows console must not crash on 🙂
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return args._run(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
