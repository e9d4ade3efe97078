"""The `baosong` command line. The only place that prints; every command lives in baosong.commands."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import unicodedata
from typing import NoReturn

from baosong import __version__
from baosong.commands.common import print_signature_note

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> exit status.
COMMAND_MODULES = ["check", "new", "forward", "demo", "registry", "receive", "verify", "audit", "build", "serve",
                   "export", "analyze", "init", "hook", "webhook", "upstream"]

DESCRIPTION = """报送（baosong）：基于 git 的信息报送登记系统。

信息员用 baosong new 起草报告、baosong check 检查，签名提交后发合并请求；CI 和登记机关用其余命令
检查合并请求、记录登记回执、审计历史、生成登记簿和门户。
"""

EPILOG_TAIL = "查看某个命令的详细说明和更多示例：baosong <命令> --help"

# argparse's own messages, in Chinese (its gettext catalogue has no zh_CN).
_ARGPARSE_ZH = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效，可选：\3"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): expected at least one argument", r"参数 \1 后面至少需要一个值"),
    (r"argument (\S+): invalid (\S+) value: (.*)", r"参数 \1 的值 \3 无效"),
    (r"argument (\S+): not allowed with argument (.*)", r"参数 \1 不能与 \2 同时使用"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 有歧义，可能是：\2"),
    (r"argument (\S+): ", r"参数 \1："),
]


def _examples(description: str) -> list[str]:
    """The example lines of a command's DESCRIPTION (after its 示例： line)."""
    lines = description.splitlines()
    if "示例：" not in lines:
        return []
    out = []
    for line in lines[lines.index("示例：") + 1:]:
        if not line.strip():
            break
        if line.startswith("  baosong"):
            out.append(line.strip().rstrip("\\").strip())
    return out


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Chinese usage prefix, columns aligned by display width (a Chinese metavar is two columns per
    character), and the command list without argparse's extra metavar line."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse's signature
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            parts = [action, *(action._get_subactions() if isinstance(action, argparse._SubParsersAction) else [])]
            widest = max(_display_width(self._format_action_invocation(a)) for a in parts)
            self._action_max_length = max(self._action_max_length, widest + self._current_indent)

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Wrap help by display width; Chinese may break between any two characters, ASCII at spaces."""
        tokens = re.findall(r"[\x21-\x7e]+|\s+|.", " ".join(text.split()))
        lines: list[str] = []
        line = ""
        for token in tokens:
            if _display_width(line + token) > width and line.strip():
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
            else:
                line += token
        if line.strip():
            lines.append(line.rstrip())
        return lines

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            return "".join(self._format_action(sub) for sub in action._get_subactions())
        text = super()._format_action(action)
        header = self._format_action_invocation(action)
        extra = _display_width(header) - len(header)
        prefix = " " * self._current_indent + header
        if not extra or not action.help or not text.startswith(prefix + "  "):
            return text
        head, sep, rest = text.partition("\n")
        helptext = head[len(prefix):].lstrip(" ")
        spaces = len(head) - len(prefix) - len(helptext) - extra
        return f"{prefix}{' ' * max(spaces, 2)}{helptext}{sep}{rest}"


class _ChineseParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"

    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors; keep that, in Chinese
        for pattern, zh in _ARGPARSE_ZH:
            message = re.sub(pattern, zh, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 用法错误：{message}\n请运行 {self.prog} --help 查看用法和示例。\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (only=NAME) just that command: the server's hooks run on every push
    and must not pay for importing every other command."""
    modules = [importlib.import_module(f"baosong.commands.{name}") for name in ([only] if only else COMMAND_MODULES)]
    examples = [line for m in modules for line in _examples(getattr(m, "DESCRIPTION", ""))[:1]]
    epilog = "常用示例：\n" + "".join(f"  {line}\n" for line in examples) + "\n" + EPILOG_TAIL
    parser = _ChineseParser(prog="baosong", description=DESCRIPTION, epilog=epilog, add_help=False)
    parser.add_argument("-h", "--help", action="help", help="显示帮助并退出")
    parser.add_argument("--version", action="version", version=f"baosong {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", title="命令", metavar="命令", parser_class=_ChineseParser)
    for module in modules:
        p = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                           add_help=False)
        p.add_argument("-h", "--help", action="help", help="显示帮助并退出")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a GBK Windows console must not crash on 🙂
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words and words[0] in COMMAND_MODULES else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        status = args._run(args)
        print_signature_note()
        return status
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `baosong registry | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0
    except Exception:
        if os.environ.get("BAOSONG_DEBUG"):
            raise
        kind, value, _ = sys.exc_info()
        from baosong.problems import terminal_safe

        print(f"内部错误：{kind.__name__ if kind else '?'}: {terminal_safe(value)}\n这是 baosong 的问题，不是您的操作错误。请设置环境变量 BAOSONG_DEBUG=1 "
              "重新运行以显示详细信息，并把输出转交登记系统管理员。", file=sys.stderr)
        return 70


if __name__ == "__main__":
    raise SystemExit(main())
