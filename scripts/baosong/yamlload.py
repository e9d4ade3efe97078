"""Strict YAML loading for untrusted report files: bytes in, plain data + positions + problems out.

Why not `yaml.safe_load`: it applies YAML 1.1 resolution (`no` -> False, `012` -> 10, `12:30` -> 750,
dates -> `date`) where the editor and this loader use the YAML 1.2 core schema, keeps the last of duplicate keys, expands aliases (billion laughs) and loses positions.
Instead we drive libyaml's *event* parser (C, iterative) and build plain Python values ourselves,
iteratively, counting depth and nodes as we go. Everything that could go wrong becomes a `Problem`
with a line and column; nothing here raises or prints.

libyaml is not the YAML spec: it accepts some invalid YAML and reads a few valid forms differently
(comments glued to a closing quote or bracket, `?` in flow collections, continuation lines without
indentation, a block scalar's trailing spaces at the end of the file). `_spec_check` refuses those with
a position, and the official YAML test suite (tests/test_yamlload_suite.py) pins every verdict so that
a PyYAML/libyaml upgrade that changes one fails the tests.

Measured facts this relies on (PyYAML 6.0.x with its bundled libyaml 0.2.5/0.2.6):
- libyaml marks count characters, not bytes, and CRLF as one line break; the text is decoded and
  stripped of its BOM here, so mark.index is an index into our `text` and columns match editors.
- libyaml caps flow nesting itself at 1000 levels (ScannerError "exceeded maximum nesting depth"):
  250,000 "[" are refused in ~3 ms without memory growth, so no separate bracket prescan is needed.
  Below that cap our own depth limit stops the event loop; block nesting is bounded by file size.
- The loader costs ~0.65x `yaml.load(data, Loader=yaml.CSafeLoader)` on a 3.6 KB Chinese report.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.tokens import (
    BlockEndToken,
    BlockMappingStartToken,
    BlockSequenceStartToken,
    FlowMappingEndToken,
    FlowMappingStartToken,
    FlowSequenceEndToken,
    FlowSequenceStartToken,
    KeyToken,
    ScalarToken,
)

from baosong.problems import Problem, field_name

try:
    # libyaml's event parser, as used by yaml.CSafeLoader, without the constructor/resolver mixins
    # we do not use (saves their set-up on every file). Imported from where yaml.cyaml takes it (the
    # stubs of yaml.cyaml do not re-export it).
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the same events from the pure-Python parser, slower
    _CParser = yaml.SafeLoader  # type: ignore[assignment,misc]

__all__ = ["DEFAULT_LIMITS", "Limits", "Loaded", "load_yaml"]


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 256 * 1024
    max_depth: int = 32
    max_nodes: int = 20_000
    max_scalar_chars: int = 100_000


DEFAULT_LIMITS = Limits()

# Past this many problems a file is clearly hostile or garbage; more lines would only bury the first.
MAX_PROBLEMS = 20


@dataclass(slots=True)
class Loaded:
    data: Any | None
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: Any) -> tuple[int, int]:
        """(line, column) of `path`, or of its nearest ancestor that we know; (1, 1) as a last resort."""
        if path.__class__ is tuple:  # the usual call, a known field: one look-up
            try:
                hit = self.positions.get(path)
            except TypeError:  # unhashable path element from a caller: still answer
                return (1, 1)
            if hit is not None:
                return hit
        try:
            p = tuple(path)
            while p:
                hit = self.positions.get(p)
                if hit is not None:
                    return hit
                p = p[:-1]
            return self.positions.get((), (1, 1))
        except TypeError:  # unhashable path element from a caller: still answer
            return (1, 1)


# --- character classes ---------------------------------------------------------------------------

# Refused anywhere in the text. C0 except TAB/LF/CR, DEL, C1 (incl. NEL, a line break for libyaml),
# the non-characters libyaml rejects, bidi controls (Trojan Source) and invisible format characters
# that make two identical-looking keys differ. U+FEFF is only allowed as the leading BOM (stripped).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u00ad\u180e\u200b-\u200d\u2028\u2029\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb"
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"
_BAD_CHAR = re.compile(f"[{_CONTROL}{_BIDI}{_INVISIBLE}\U000e0000-\U000e007f]")
# The same without the astral tag characters: twice as fast on the usual (non-astral) text.
_BAD_CHAR_BMP = re.compile(f"[{_CONTROL}{_BIDI}{_INVISIBLE}]")
_BIDI_SET = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# A tab or a non-ASCII space in the leading whitespace of a line (after any ASCII spaces). `^` covers
# LF line starts, `\r` lone-CR ones (libyaml counts CR as a line break too).
_ODD_SPACE = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INDENT = re.compile(f"(?:^|\\r) *([{_ODD_SPACE}])", re.M)
# Fast path when there is no lone CR: a literal "\n" prefix lets the regex engine skip ahead.
_INDENT_LF = re.compile(f"\\n *([{_ODD_SPACE}])")
_INDENT_START = re.compile(f" *([{_ODD_SPACE}])")
_BLANK_REST = re.compile(f"[ {_ODD_SPACE}]*(?:\\r|\\n|\\Z)")

_SPACE_NAMES = {
    "\t": "制表符（Tab）",
    "\u3000": "全角空格（U+3000）",
    "\u00a0": "不间断空格（U+00A0，常见于从网页或 Word 复制的文字）",
}

# --- scalar resolution: the YAML 1.2 core schema ------------------------------------------------
#
# Plain scalars are typed exactly as the YAML 1.2 core schema types them, as the editor (the Red Hat YAML
# extension, YAML 1.2) and every 1.2 reader do, so that the editor never contradicts CI: `True` is a
# boolean, `012` the integer 12, `1e3` the number 1000.0, `0x1F` 31. None of YAML 1.1's coercions:
# `yes`/`no`/`on`/`off`, `12:30` (sexagesimal), `2026-11-25` (dates), `0b101`, `1_000` stay text.
# Numbers nothing downstream can hold (.inf, .nan, 1e400, ints past Python's 4300-digit limit) are
# refused with a position rather than turned into inf or kept as text.

_PLAIN_CONST: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
}
_NUM_START = frozenset("-+.0123456789")
_INT = re.compile(r"[-+]?[0-9]+\Z")  # [0-9], not \d: no Unicode digits
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_HEX_OCT = re.compile(r"0(?:x[0-9a-fA-F]+|o[0-7]+)\Z")
_INF_NAN = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z")
_BAD_NUMBER: Any = object()  # a core-schema number that is not a finite, representable value
# `deaths：3` typed with a Chinese IME: one string instead of a key/value pair.
_FW_KEY = re.compile(r"[ ]*[A-Za-z_][A-Za-z0-9_]*[ \u3000]*：")


def _resolve_plain(v: str) -> Any:
    if v in _PLAIN_CONST:
        return _PLAIN_CONST[v]
    if v[0] in _NUM_START:
        try:
            if _INT.match(v):
                return int(v)  # ValueError past 4300 digits
            if _FLOAT.match(v):
                f = float(v)
                return f if f - f == 0.0 else _BAD_NUMBER  # 1e400 would silently become inf
            if _HEX_OCT.match(v):
                return int(v[2:], 16 if v[1] == "x" else 8)
            if _INF_NAN.match(v):
                return _BAD_NUMBER
        except ValueError:
            return _BAD_NUMBER
    return v


# --- helpers -------------------------------------------------------------------------------------

_BREAKS = re.compile(r"\r\n|\r|\n")
_FLOW_SUSPECT = frozenset("?-:")
_GLUE_BEFORE = frozenset("\"']},:|>")


def _glued_hash(text: str) -> bool:
    """Is there a "#" where libyaml may have skipped a comment glued to what precedes it: after a
    closing quote or bracket, a comma or colon, a block scalar header (`|-#`), on a directive line?
    (A "#" inside plain text, `3#楼`, is content and needs no second look.)"""
    i = text.find("#", 1)
    while i > 0:
        prev = text[i - 1]
        if prev not in " \t\r\n":
            if prev in _GLUE_BEFORE:
                return True
            j = i - 1
            while j > 0 and text[j] in "+-0123456789":
                j -= 1
            if j < i - 1 and text[j] in "|>":
                return True
            if text.startswith("%", max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1):
                return True
        i = text.find("#", i + 1)
    return False


def _line_col(text: str, idx: int) -> tuple[int, int]:
    """1-based (line, column) of text[idx], counting CRLF, CR and LF as libyaml does."""
    breaks = text.count("\n", 0, idx) + text.count("\r", 0, idx) - text.count("\r\n", 0, idx)
    start = max(text.rfind("\n", 0, idx), text.rfind("\r", 0, idx)) + 1
    return breaks + 1, idx - start + 1


def _clamp(text: str, line: int, col: int) -> tuple[int, int]:
    """A (line, column) that exists in `text`. libyaml reports errors at the end of the stream one line
    below the last one (and past a file's end when it has no final line break); those go to the end of
    the last non-blank content instead, where the officer can see what is missing."""
    lines = _BREAKS.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # a final line break does not start a line an officer can see
    if line < 1:
        return 1, 1
    if line <= len(lines):
        return line, max(1, min(col, len(lines[line - 1]) + 1))
    return _line_col(text, len(text.rstrip()))


def _show(s: str, n: int = 40) -> str:
    """User text echoed in a message: short, and without anything a terminal would interpret."""
    s = _BAD_CHAR.sub("\ufffd", s.replace("\r", " ").replace("\n", " "))
    return s if len(s) <= n else s[: n - 1] + "…"


def _char_name(ch: str) -> str:
    return unicodedata.name(ch, "") or {
        "\x00": "NULL",
        "\x07": "BELL",
        "\x08": "BACKSPACE",
        "\x0b": "LINE TABULATION",
        "\x0c": "FORM FEED",
        "\x1b": "ESCAPE",
        "\x7f": "DELETE",
        "\x85": "NEXT LINE",
    }.get(ch, "控制字符")


# --- encoding ------------------------------------------------------------------------------------

_RESAVE = (
    "请把文件另存为 UTF-8 编码：Windows 记事本选“文件 → 另存为”，在“编码”中选择“UTF-8”后保存；"
    "WPS 选“另存为”并将编码选为 UTF-8；VS Code 点击右下角状态栏的编码名称，选“通过编码保存”→“UTF-8”。"
)


def _utf16_like(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = data[:256]
    # UTF-16 text without a BOM: every other byte of ASCII-range characters is NUL.
    return len(head) >= 4 and head.count(0) * 3 >= len(head)


_CJK_RE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _encoding_problem(data: bytes, path: str, err: UnicodeDecodeError) -> Problem:
    bad = err.start
    prefix = data[:bad].decode("utf-8", "replace")
    bom = 1 if prefix.startswith("\ufeff") else 0
    line, col = _line_col(prefix[bom:], len(prefix) - bom)
    where = f"第{line}行第{col}列的字节 0x{data[bad]:02X} 不是有效的 UTF-8"
    if _CJK_RE.search(prefix):
        # Real UTF-8 Chinese before the bad byte: a fragment in another encoding was pasted in, so
        # re-saving the whole file would not help; the officer has to retype that spot. (GBK bytes
        # can form stray valid UTF-8 pairs such as "ʡ", so only CJK counts as evidence.)
        return Problem(
            path, line, col, "", "yaml-encoding",
            f"文件中混有非 UTF-8 编码的内容：{where}（前面的内容是 UTF-8）。这通常是从其他文件或软件粘贴进来的"
            "GBK 等编码的文字。请删除这一处并重新输入，然后以 UTF-8 编码保存。",
        )
    for enc, label in (("gbk", "GBK"), ("gb18030", "GB18030")):
        try:
            decoded = data.decode(enc)
        except UnicodeDecodeError:
            continue
        dline = _line_col_text_line(decoded, line)
        seen = f"按 {label} 解读，该行为“{_show(dline)}”。" if dline.strip() else ""
        return Problem(
            path, line, col, "", "yaml-encoding",
            f"文件不是 UTF-8 编码：{where}。看起来文件是用 GBK/GB18030 编码保存的"
            f"（Windows 记事本、WPS 等的默认中文编码）{'，' + seen if seen else '。'}{_RESAVE}",
        )
    return Problem(
        path, line, col, "", "yaml-encoding",
        f"文件不是 UTF-8 编码：{where}，也不像 GBK/GB18030 文本（可能文件已损坏，或并非文本文件）。"
        f"报告文件只接受 UTF-8 编码的文本。{_RESAVE}",
    )


def _line_col_text_line(text: str, line: int) -> str:
    lines = re.split(r"\r\n|\r|\n", text, maxsplit=line)
    return lines[line - 1] if len(lines) >= line else ""


# --- syntax error translation --------------------------------------------------------------------

_QUOTE_HINT = "请把整个值用英文双引号括起来，例如 title: \"会议纪要: 第一次会议\"。"
_SYNTAX_ZH: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed",
     "此处出现了不该有的冒号。常见原因：冒号后缺少空格，或值里含有“: ”（时间、网址、引文等）却没有加引号，"
     "也可能是上一行缩进不对。" + _QUOTE_HINT),
    ("could not find expected ':'",
     "没有找到“字段名: 值”中的半角冒号。请检查冒号是否为半角“:”（不是全角“：”）、冒号后是否有一个空格；"
     "如果这是上一行文字的延续，请把多行文字写成“字段名: |”并在下面统一缩进。"),
    ("that cannot start any token",
     "这个字符不能作为内容的开头（常见：行首的 Tab，或以“@”“`”“%”开头的值）。"
     "缩进请只用半角空格；以特殊符号开头的值请加英文双引号。"),
    ("found a tab character",
     "这里的制表符（Tab）破坏了缩进。YAML 只能用半角空格缩进，请把 Tab 换成空格。"),
    ("did not find expected key",
     "缩进不一致：同一层级的字段必须左对齐（使用相同数量的半角空格）；"
     "也可能是上一行的值以引号开头却没有正确结束。请检查本行和上一行。"),
    ("did not find expected '-' indicator",
     "列表缩进不一致：同一列表的各项“- ”必须左对齐。"),
    ("did not find expected node content",
     "这里缺少内容：可能是多余的逗号或括号，或“- ”后面没有写值。"),
    ("did not find expected ',' or ']'",
     "方括号列表 [ … ] 没有正确结束：请检查是否缺少“]”或逗号；值中含有逗号、冒号时请加英文双引号。"),
    ("did not find expected ',' or '}'",
     "花括号 { … } 没有正确结束：请检查是否缺少“}”或逗号。"),
    ("found unexpected end of stream",
     "文件在引号或括号尚未结束时就结束了：请检查是否缺少收尾的引号或括号。"),
    ("found unknown escape character",
     "双引号内有无法识别的反斜杠转义（如 \\d）。含反斜杠的文字请改用单引号，或把反斜杠写成两个“\\\\”。"),
    ("found unexpected document indicator",
     "引号内的文字中出现了单独一行的“---”或“...”：请检查引号是否成对。"),
    ("did not find expected <document start>",
     "报告内容之后还有多余的内容，或缩进有误。请检查本行的缩进与上文是否一致。"),
    ("block sequence entries are not allowed",
     "这里不能开始“- ”列表项：列表应另起一行，缩进写在字段名下方，例如“keywords:”下一行写“  - 安全生产”。"),
    ("did not find expected comment or line break",
     "“|”或“>”后面只能直接换行：正文请从下一行开始，并比字段名多缩进两个空格。"),
    ("did not find expected alphabetic or numeric character",
     "“&”“*”“!”后面缺少名称：值以这些符号开头时请加英文双引号。"),
    ("did not find expected whitespace or line break",
     "这里缺少空格或换行：值以“!”“&”“*”等符号开头时请加英文双引号。"),
    ("found undefined tag handle", "出现了未定义的标签（以“!”开头）。报告文件不允许使用标签；若是文字请加英文双引号。"),
    ("while scanning a directive", "以“%”开头的行会被当作 YAML 指令：若是文字，请加英文双引号。"),
)


def _translate(problem: str) -> str:
    for needle, zh in _SYNTAX_ZH:
        if needle in problem:
            return zh
    return "YAML 语法错误。请检查本行和上一行的缩进（只用半角空格）、冒号（半角“:”后加空格）和引号是否成对。"


def _fullwidth_colon_line(text: str, first: int, last: int) -> tuple[int, int] | None:
    """First line in [first, last] (1-based) that looks like `key：value`; its line and colon column."""
    lines = re.split(r"\r\n|\r|\n", text, maxsplit=last)
    for n in range(max(first, 1), min(last, len(lines)) + 1):
        m = _FW_KEY.match(lines[n - 1])
        if m:
            return n, m.end()
    return None


# --- the loader ----------------------------------------------------------------------------------


def load_yaml(data: bytes, path: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Load one untrusted YAML file strictly. Never raises: failures are `Problem`s with a position."""
    try:
        loaded = _load(data, path, limits)
    except Exception as exc:  # the contract is "no traceback, ever"
        return Loaded(None, {}, [Problem(
            path, 1, 1, "", "yaml-internal",
            f"读取文件时发生内部错误（{type(exc).__name__}: {_show(str(exc), 120)}）。"
            "这不是您的错：请把该文件转交登记系统管理员。",
        )])
    if any(p.severity == "error" for p in loaded.problems):
        loaded.data = None
    loaded.problems.sort(key=lambda p: (p.line, p.column))
    return loaded


def _load(data: bytes, path: str, limits: Limits) -> Loaded:
    if not isinstance(data, bytes):
        data = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)

    # 1. Size, before spending anything on the content.
    if len(data) > limits.max_bytes:
        return Loaded(None, {}, [Problem(
            path, 1, 1, "", "yaml-too-large",
            f"文件过大：{len(data):,} 字节，超过上限 {limits.max_bytes:,} 字节（{limits.max_bytes // 1024} KB）。"
            "报告应简明扼要；附件、图片和大段材料请通过其他渠道报送，不要放进报告文件。",
        )])

    # 2. Encoding: UTF-8 only, with a specific hint for what Windows tools produce instead.
    if _utf16_like(data):
        return Loaded(None, {}, [Problem(
            path, 1, 1, "", "yaml-encoding",
            "文件是 UTF-16（记事本中称为“Unicode”或“Unicode big endian”）编码，报告文件只接受 UTF-8。" + _RESAVE,
        )])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return Loaded(None, {}, [_encoding_problem(data, path, err)])
    if text.startswith("\ufeff"):
        text = text[1:]  # marks below are then relative to what an editor shows

    # 3. Characters that must not be there at all (one C-level regex pass; no per-character loop).
    problems: list[Problem] = []
    bad = _BAD_CHAR if b"\xf3\xa0" in data else _BAD_CHAR_BMP  # U+E00xx tags are UTF-8 F3 A0 ..
    if bad.search(text):
        for m in bad.finditer(text):
            problems.append(_bad_char_problem(text, m.start(), path))
            if len(problems) >= MAX_PROBLEMS:
                break
        return Loaded(None, {}, problems)

    # 4. Odd whitespace at line starts. Judged after parsing: inside block scalars and multi-line quoted
    #    text, a leading 全角空格 is legitimate content (段首空两格).
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        found = list(_INDENT.finditer(text))
    else:
        found = list(_INDENT_LF.finditer(text))
        first = _INDENT_START.match(text)
        if first:
            found.insert(0, first)
    suspects = [
        m.start(1) for m in found
        if m.group(1) != "\t" or not _BLANK_REST.match(text, m.end(1))  # tab-only blank lines are harmless
    ]

    # libyaml reads UTF-8: the bytes as they came (without the BOM) spare it re-encoding the text.
    return _parse(text, path, limits, problems, suspects, data[3:] if data[:3] == b"\xef\xbb\xbf" else data)


def _bad_char_problem(text: str, idx: int, path: str) -> Problem:
    ch = text[idx]
    line, col = _line_col(text, idx)
    code = f"U+{ord(ch):04X}（{_char_name(ch)}）"
    if ch in _BIDI_SET:
        return Problem(
            path, line, col, "", "yaml-bidi",
            f"第{line}行第{col}列有不可见的双向文本控制字符 {code}。它会让屏幕上显示的文字顺序与实际内容不一致"
            "（“木马源”攻击），因此一律拒绝。请删除该字符：可在编辑器中开启“显示不可见字符”后查找，或把这一行重新输入一遍。",
        )
    if ch == "\ufeff":
        return Problem(
            path, line, col, "", "yaml-invisible-char",
            f"第{line}行第{col}列有多余的字节顺序标记 {code}，它只能出现在文件开头（常见于把两个文件拼接在一起）。请删除该字符。",
        )
    if ch in "\u2028\u2029":
        return Problem(
            path, line, col, "", "yaml-invisible-char",
            f"第{line}行第{col}列有特殊换行符 {code}，不同软件对它的处理不一致，会导致行号错乱。请删除它，换成普通回车换行。",
        )
    cat = unicodedata.category(ch)
    if cat == "Cc" or ch in "\ufffe\uffff":
        return Problem(
            path, line, col, "", "yaml-control-char",
            f"第{line}行第{col}列有控制字符 {code}，YAML 文件中不允许出现。它通常来自从网页、聊天软件或其他系统"
            "复制粘贴的文字，屏幕上往往看不见。请删除该字符（或把这一行重新输入一遍）后保存。",
        )
    return Problem(
        path, line, col, "", "yaml-invisible-char",
        f"第{line}行第{col}列有不可见字符 {code}。它看不见，却会让字段名或取值与看上去的不同（例如“id”不再等于“id”），"
        "因此拒绝。请删除该字符（常见于从网页或聊天软件复制的文字）。",
    )


class _Stop(Exception):
    """Enough problems for one file: stop reading it."""


_NOKEY: Any = object()  # "the open mapping is waiting for a key"
_TYPE_ZH = {int: "整数", float: "小数", bool: "布尔值（true/false）", type(None): "空值"}


def _parse(text: str, path: str, limits: Limits, problems: list[Problem], suspects: list[int],
           raw: bytes | None = None) -> Loaded:
    """`raw`: `text` encoded as UTF-8, when the caller has it (libyaml's marks count characters either way)."""
    positions: dict[tuple, tuple[int, int]] = {}
    spans: list[tuple[int, int]] = []  # (start, end) index of multi-line scalars, only if suspects exist
    want_spans = bool(suspects)
    max_depth, max_nodes, max_chars = limits.max_depth, limits.max_nodes, limits.max_scalar_chars
    fw_warn_left = 3

    def add(mark: Any, rule: str, msg: str, fld: str = "", severity: str = "error") -> None:
        line, col = _clamp(text, mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problems.append(Problem(path, line, col, fld, rule, msg, severity))  # type: ignore[arg-type]
        if len(problems) >= MAX_PROBLEMS:
            raise _Stop

    # Local names: this loop runs once per YAML node and dominates the loader's own cost.
    SCALAR, MSTART, SSTART, MEND, SEND, ALIAS = (
        ScalarEvent, MappingStartEvent, SequenceStartEvent, MappingEndEvent, SequenceEndEvent, AliasEvent)
    resolve, NOKEY, BAD_NUMBER = _resolve_plain, _NOKEY, _BAD_NUMBER
    const_get, num_start = _PLAIN_CONST.get, _NUM_START
    # The open collection is held in locals (container, its path, is it a mapping, the pending key);
    # its ancestors are saved on `stack`. `depth` is the number of open collections.
    cur: Any = None
    cur_path: tuple = ()
    cur_map = False
    cur_key: Any = NOKEY
    stack: list[tuple] = []
    depth = 0
    root: Any = None
    root_set = False
    docs = 0
    nodes = 0
    bad_keys = 0
    stop_at: int | None = None  # text index where parsing stopped on a syntax error
    completed = False  # the whole stream was read (no syntax error, no limit hit)

    # A last line of spaces without a line break: libyaml drops it from a block scalar (`|+` gives ''
    # instead of '\n'); with the break it reads it as the YAML spec does. Nothing else changes, and
    # marks on the added character are clamped back into the text by `add`.
    src = text
    if text.endswith(" "):
        rest = text.rstrip(" ")
        if not rest or rest[-1] in "\r\n":
            src = text + "\n"
            raw = raw + b"\n" if raw is not None else None
    # Constructs libyaml reads differently from the spec (see `_spec_check`): looked for only when a
    # cheap sign of them is present, so ordinary reports do not pay for a second scan.
    recheck = "#" in text and _glued_hash(text)
    props = "&" in text or "!" in text  # an anchor needs a "&", a tag a "!": else no node has either
    flow_at = -1  # depth of the outermost open flow collection, -1 outside flow
    flow_line = 0

    loader = _CParser(src if raw is None else raw)
    # Events are told apart by class through the local aliases above, which mypy does not follow.
    get_event: Callable[[], Any] = loader.get_event
    try:
        while True:
            ev = get_event()
            cls = ev.__class__
            if cls is SCALAR:
                nodes += 1
                mark = ev.start_mark
                if nodes > max_nodes:
                    _too_many(mark, max_nodes, add)
                    break
                if props and (ev.anchor is not None or ev.tag is not None):
                    _anchor_tag(ev, add)
                v = ev.value
                if len(v) > max_chars:
                    add(mark, "yaml-too-large", f"这个值过长（{len(v):,} 个字符，上限 {max_chars:,}）。请精简内容。")
                if want_spans and ev.end_mark.line != mark.line:
                    spans.append((mark.index, ev.end_mark.index))
                style = ev.style
                if style:
                    plain, value = False, v
                    # Multi-line quoted text (continuation indentation), block scalars that start with
                    # blank lines (auto-detected indentation): checked against the spec afterwards.
                    if (ev.end_mark.line != mark.line and style in "\"'") or (
                            style in "|>" and (not v or v[0] == "\n")):
                        recheck = True
                else:
                    # _resolve_plain, inlined for the usual text scalar: a constant, else a number only
                    # when it starts like one ("" is a constant, so v[0] exists here).
                    plain = True
                    value = const_get(v, v)
                    if value is v and v[0] in num_start:
                        value = resolve(v)
                        if value is BAD_NUMBER:
                            _bad_number(mark, v, add)
                            value = v
            elif cls is MSTART or cls is SSTART:
                nodes += 1
                mark = ev.start_mark
                if nodes > max_nodes:
                    _too_many(mark, max_nodes, add)
                    break
                if props and (ev.anchor is not None or ev.tag is not None):
                    _anchor_tag(ev, add)
                if depth >= max_depth:
                    add(mark, "yaml-too-deep",
                        f"嵌套层数过深（超过 {max_depth} 层）。报告的结构不需要这么多层；"
                        "请检查缩进是否逐行递增，或括号“[”“{”是否成对。")
                    break
                value = {} if cls is MSTART else []
                plain = False
            elif cls is MEND or cls is SEND:
                if stack:
                    cur, cur_path, cur_map, cur_key = stack.pop()
                depth -= 1
                if depth == flow_at:  # the outermost flow collection closed: did it span lines?
                    if ev.end_mark.line != flow_line:
                        recheck = True
                    flow_at = -1
                continue
            elif cls is ALIAS:
                nodes += 1
                mark = ev.start_mark
                add(mark, "yaml-alias",
                    f"不允许使用引用“*{_show(ev.anchor or '')}”（YAML 别名）。报告中的每个值都请直接写出来。")
                value, plain = None, False
            elif cls is DocumentStartEvent:
                docs += 1
                if docs > 1:
                    add(ev.start_mark, "yaml-multi-document",
                        f"文件中有第二个 YAML 文档（从第{ev.start_mark.line + 1}行的“---”开始）。每个文件只能包含一份报告："
                        "请删除多余的“---”，或把第二份报告另存为新文件。")
                    break
                continue
            elif ev is None or cls is StreamEndEvent:
                completed = True
                break
            else:
                continue

            if flow_at >= 0 and not recheck:
                # `[?x]`, `{ ?x: 1 }`, `[-]`: a node at or right after one of these in flow context
                # (see _spec_check).
                i = mark.index
                if src[i:i + 1] in _FLOW_SUSPECT or src[i - 1:i] == "?":
                    recheck = True

            # Place the node: as the root, a mapping key, a mapping value or a sequence item.
            if depth == 0:
                if root_set:  # cannot happen with a well-formed event stream; be defensive
                    break
                root, root_set, vpath = value, True, ()
                if cls is not MSTART:
                    _not_mapping(text, ev, value, add)
                    break
                positions[()] = (mark.line + 1, mark.column + 1)
            elif cur_map:
                if cur_key is NOKEY:
                    # This node is a key.
                    if value.__class__ is str and cls is SCALAR:
                        kpath = cur_path + (value,)
                        if value in cur:
                            bad_keys += 1
                            _duplicate(mark, value, kpath, positions, add)
                            cur_key = f"\x00dup{bad_keys}"  # keep building; the data is dropped anyway
                        else:
                            positions[kpath] = (mark.line + 1, mark.column + 1)
                            cur_key = value
                    else:
                        bad_keys += 1
                        _bad_key(ev, value, cur_path, add)
                        cur_key = f"\x00bad{bad_keys}"
                        if cls is MSTART or cls is SSTART:
                            # A complex key: build it on a throwaway frame so the events stay balanced.
                            stack.append((cur, cur_path, cur_map, cur_key))
                            cur, cur_path, cur_map, cur_key = value, cur_path + (cur_key,), cls is MSTART, NOKEY
                            depth += 1
                    continue
                cur[cur_key] = value
                if cls is SCALAR and not (plain and fw_warn_left and value.__class__ is str and "：" in value):
                    cur_key = NOKEY  # the usual mapping value: its path is needed for nothing more
                    continue
                vpath = cur_path + (cur_key,)
                cur_key = NOKEY
            else:
                vpath = cur_path + (len(cur),)
                cur.append(value)
                positions[vpath] = (mark.line + 1, mark.column + 1)

            if plain and fw_warn_left and value.__class__ is str and "：" in value and _FW_KEY.match(value):
                fw_warn_left -= 1
                _fullwidth_value(mark, value, vpath, add)
            if cls is MSTART or cls is SSTART:
                if flow_at < 0 and ev.flow_style:
                    flow_at, flow_line = depth, mark.line
                stack.append((cur, cur_path, cur_map, cur_key))
                cur, cur_path, cur_map, cur_key = value, vpath, cls is MSTART, NOKEY
                depth += 1
    except _Stop:
        pass
    except yaml.MarkedYAMLError as exc:
        try:
            stop_at = _syntax_problem(text, exc, add)
        except _Stop:
            stop_at = 0
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1, 1, "", "yaml-syntax", f"YAML 无法解析（{_show(str(exc), 200)}）。请检查文件内容。"))
        stop_at = 0
    finally:
        loader.dispose()

    if completed and recheck and root_set:
        with contextlib.suppress(_Stop):
            _spec_check(src, text, add)

    if not root_set and not problems and docs <= 1:
        problems.append(Problem(path, 1, 1, "", "yaml-empty", "文件是空的（或只有注释）。请按报告模板填写内容。"))

    if suspects:
        _judge_indentation(text, path, suspects, spans, stop_at, problems)

    return Loaded(root if root_set else None, positions, problems)


def _too_many(mark: Any, max_nodes: int, add: Any) -> None:
    add(mark, "yaml-too-many-nodes",
        f"文件内容条目过多（超过 {max_nodes:,} 个值）。一份报告不需要这么多数据；"
        "请精简内容，大批量数据请通过其他渠道报送。")


def _anchor_tag(ev: Any, add: Any) -> None:
    if ev.anchor is not None:
        add(ev.start_mark, "yaml-anchor",
            f"不允许使用锚点“&{_show(ev.anchor)}”。报告中的每个值都请直接写出来；"
            "如果“&”是文字的一部分，请把整个值用英文双引号括起来。")
    if ev.tag is not None:
        add(ev.start_mark, "yaml-tag",
            f"不允许使用 YAML 标签“{_show(_short_tag(ev.tag))}”：标签能改变值的类型，甚至让程序构造任意对象，"
            "报告文件中一律禁止。请删除它；如果“!”是文字的一部分，请把整个值用英文双引号括起来。")


def _bad_number(mark: Any, raw: str, add: Any) -> None:
    add(mark, "yaml-number",
        f"“{_show(raw)}”在 YAML 中是一个数，但不是可用的数值（无穷大、非数字，或位数过多）。"
        "如果它是文字，请把它用英文双引号括起来；如果是数值，请填写实际的数。")


def _duplicate(mark: Any, key: str, kpath: tuple, positions: dict, add: Any) -> None:
    first = positions.get(kpath, (0, 0))[0]
    add(mark, "yaml-duplicate-key",
        f"字段“{_show(key)}”重复：第{first}行已经写过，第{mark.line + 1}行又写了一次。"
        "同一层级的字段只能出现一次（否则后一个会悄悄覆盖前一个）。请删除或合并其中一个。",
        field_name(kpath))


def _bad_key(ev: Any, value: Any, parent: tuple, add: Any) -> None:
    if isinstance(ev, ScalarEvent):
        what = f"“{_show(ev.value)}”会被当作{_TYPE_ZH.get(type(value), '非文字')}"
        hint = "请改用字母开头的字段名；若确需这样写，请把它用英文双引号括起来。"
    else:
        what = "是一个列表、映射或引用"
        hint = "字段名必须是简单的文字（“?”开头的复杂键不被接受）。"
    add(ev.start_mark, "yaml-key-type", f"字段名必须是文字，这里的字段名{what}。{hint}", field_name(parent))


def _fullwidth_value(mark: Any, value: str, vpath: tuple, add: Any) -> None:
    add(mark, "yaml-fullwidth-colon",
        f"“{_show(value, 30)}”看起来是“字段名：值”，但用的是全角冒号“：”，所以整段被当成了一句文字。"
        "如果它应是一个字段，请把“：”改为半角冒号“:”并在其后加一个空格，例如“deaths: 3”。",
        field_name(vpath), "warning")


def _short_tag(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag



def _not_mapping(text: str, ev: Any, value: Any, add: Any) -> None:
    mark = ev.start_mark
    if isinstance(ev, SequenceStartEvent):
        add(mark, "yaml-not-mapping",
            "文件最外层必须是“字段名: 值”的形式，而这里是一个列表（以“- ”或“[”开头）。"
            "请去掉最外层的列表符号，每行写成“字段名: 值”。")
        return
    if isinstance(ev, ScalarEvent) and not ev.style and value is None and ev.value == "":
        add(None, "yaml-empty", "文件没有内容（只有“---”或注释）。请按报告模板填写内容。")
        return
    colon = text.find("：", mark.index) if isinstance(value, str) else -1
    if colon >= 0:
        line, col = _line_col(text, colon)
        add(_Mark(line - 1, col - 1), "yaml-not-mapping",
            f"文件最外层必须是“字段名: 值”的形式，但整个文件被读成了一段文字：第{line}行用的是全角冒号“：”。"
            "请把字段名后面的“：”改为半角冒号“:”，并在冒号后加一个空格，例如“kind: emergency”。")
        return
    add(mark, "yaml-not-mapping",
        "文件最外层必须是“字段名: 值”的形式，而整个文件被读成了一个单独的值。"
        "请检查每行是否写成“字段名: 值”（半角冒号后加一个空格）。")


@dataclass(frozen=True, slots=True)
class _Mark:
    line: int
    column: int


def _syntax_problem(text: str, exc: yaml.MarkedYAMLError, add: Any) -> int:
    mark = exc.problem_mark or exc.context_mark
    english = "; ".join(s for s in (exc.context, exc.problem) if s)
    prob = exc.problem or ""
    if "maximum nesting depth" in prob:  # libyaml's own cap (1000 levels) in its scanner
        add(mark, "yaml-too-deep",
            "嵌套层数过深（方括号或花括号层层嵌套）。请检查括号“[”“{”是否成对。"
            f"（libyaml：{english}）")
        return mark.index if mark is not None else 0
    line = mark.line + 1 if mark is not None else 1
    first = line - 2
    where = mark
    if exc.context_mark is not None and "simple key" in (exc.context or ""):
        first = min(first, exc.context_mark.line + 1)  # the would-be key that never found its ':'
        if "could not find expected ':'" in prob:
            # libyaml gives up on the line after the key (or past the end of the file); the officer
            # has to fix the key itself.
            where = exc.context_mark
    hit = _fullwidth_colon_line(text, first, line)
    if hit is not None:
        add(_Mark(hit[0] - 1, hit[1] - 1), "yaml-syntax",
            f"第{hit[0]}行用了全角冒号“：”。YAML 只认半角冒号：请改为“:”并在其后加一个空格，例如“kind: emergency”。"
            f"（libyaml：{english}）")
    else:
        add(where, "yaml-syntax", f"{_translate(prob)}（libyaml：{english}）")
    return mark.index if mark is not None else 0


_WS = " \t\r\n"
_FLOW_END = " \t\r\n,[]{}"


def _leading_spaces(text: str, idx: int) -> tuple[int, int]:
    """(index of the start of the line holding text[idx], number of spaces that line starts with)."""
    start = max(text.rfind("\n", 0, idx), text.rfind("\r", 0, idx)) + 1
    end = start
    while end < len(text) and text[end] == " ":
        end += 1
    return start, end - start


def _spec_check(src: str, text: str, add: Any) -> None:
    """Second pass over libyaml's token stream for what libyaml accepts but the YAML spec does not, and
    which other programs (the editor, a reviewer's tools) would read differently:

    - a comment glued to the text before it (`title: "纪要"#二` – libyaml drops `#二`; the spec wants
      whitespace before `#`), also after `]`, `}`, `,`, a block scalar header or a directive;
    - `?` directly followed by text in a flow collection (`[?x]`: the spec reads the string "?x",
      libyaml a mapping {x: null}), and a lone `-`, `?` or `:` as a flow item (`[-]`, invalid YAML
      that libyaml reads as the string "-");
    - continuation lines of flow collections and multi-line quoted or flow scalars that are not
      indented past the enclosing block collection (the spec's s-flow-line-prefix; libyaml ignores
      indentation there);
    - a block scalar whose leading blank lines are indented deeper than its first non-blank line
      (libyaml takes the deepest blank line as the indentation and ends the scalar early).

    Runs only after libyaml read the whole stream without error, so scanning cannot fail here.
    """
    scanner = _CParser(src)
    get_token: Callable[[], Any] = scanner.get_token  # tokens are told apart by class, as events in _parse
    indents: list[int] = []  # columns of the open block collections: libyaml's indentation stack
    flow = 0
    last_end = 0
    last_line = -1
    n = len(text)
    try:
        while True:
            tok = get_token()
            if tok is None:
                break
            cls = tok.__class__
            start, end = tok.start_mark.index, tok.end_mark.index
            if start >= n:
                break
            if start > last_end:
                _check_gap(text, last_end, start, add)
            if cls is BlockMappingStartToken or cls is BlockSequenceStartToken:
                indents.append(tok.start_mark.column)
                continue
            if cls is BlockEndToken:
                if indents:
                    indents.pop()
                continue
            if end == start:  # zero-width (a simple key's KeyToken): the real token follows
                continue
            need = indents[-1] + 1 if indents else 0  # continuation lines need this many spaces
            if flow and need and tok.start_mark.line != last_line:
                line_start, spaces = _leading_spaces(text, start)
                # The editor's parser (eemeli/yaml) lets the closing bracket of the outermost flow
                # collection sit at its parent's indentation (`k: [a,\n  b,\n]`); so do we, since
                # where a bracket stands cannot change the data.
                closing = flow == 1 and (cls is FlowSequenceEndToken or cls is FlowMappingEndToken)
                if spaces < need - closing:
                    _short_indent(text, line_start + spaces, need - closing, "flow", add)
            if cls is KeyToken and flow and end < n and text[end] not in _FLOW_END:
                add(tok.start_mark, "yaml-syntax",
                    "方括号或花括号中的“?”后面紧跟着文字（如“[?x]”）：YAML 规范把它读作文字“?x”，"
                    "而本系统使用的解析器会把它读成一个映射，两者不一致，因此不予接受。"
                    "若“?”是文字的一部分，请把这一项用英文双引号括起来，例如 [\"?x\"]。")
            elif cls is ScalarToken:
                style = tok.style
                if flow and not style and text[start] in "-?:" and (end == start + 1 or text[start + 1] in _FLOW_END):
                    add(tok.start_mark, "yaml-syntax",
                        f"方括号或花括号中单独的“{text[start]}”不是合规的 YAML 值（各软件读法不一）。"
                        f"若它是文字，请加英文双引号，例如 [\"{text[start]}\"]；若是漏写了内容，请补上。")
                elif style == "|" or style == ">":
                    _check_block_header(text, start, end, indents, add)
                elif (flow or style) and tok.end_mark.line != tok.start_mark.line and need:
                    _check_continuation(text, start, min(end, n), need, add)
            elif cls is FlowSequenceStartToken or cls is FlowMappingStartToken:
                flow += 1
            elif cls is FlowSequenceEndToken or cls is FlowMappingEndToken:
                flow -= 1
            if end > last_end:
                last_end = end
                last_line = tok.end_mark.line
    finally:
        scanner.dispose()
    if last_end < n:
        _check_gap(text, last_end, n, add)


def _check_gap(text: str, i: int, end: int, add: Any) -> None:
    """Between two tokens libyaml only skips whitespace and comments; a comment needs whitespace before it."""
    while i < end:
        ch = text[i]
        if ch in _WS:
            i += 1
            continue
        line, col = _line_col(text, i)
        if ch != "#":  # cannot happen with libyaml 0.2.5; refuse rather than lose text
            add(_Mark(line - 1, col - 1), "yaml-syntax",
                f"第{line}行第{col}列的文字“{_show(text[i:i + 20])}”被解析器跳过了，不会进入数据。"
                "请检查这一行的引号、括号和缩进。")
            return
        if i > 0 and text[i - 1] not in _WS:
            add(_Mark(line - 1, col - 1), "yaml-syntax",
                f"“#”紧跟在“{_show(text[i - 1])}”后面，前面没有空格。YAML 中“#”前有空格（或在行首）才是注释；"
                "这样写不合规范，本系统使用的解析器还会把“#”及其后的文字悄悄丢掉。"
                "如果“#”和后面的文字属于这个值，请把它们一起放进引号内，例如 title: \"会议纪要#第二次会议\"；"
                "如果是注释，请在“#”前加一个空格。")
            return
        brk = _BREAKS.search(text, i, end)
        i = brk.end() if brk else end


def _short_indent(text: str, idx: int, need: int, what: str, add: Any) -> None:
    line, col = _line_col(text, idx)
    thing = "方括号或花括号（[ ]、{ }）中的内容" if what == "flow" else "多行的引号文字"
    add(_Mark(line - 1, col - 1), "yaml-syntax",
        f"{thing}换行后，续行必须比所在字段的字段名缩进得更多（这里至少要 {need} 个半角空格，Tab 不算缩进），"
        f"第{line}行不够。其他软件会因此报错或读出不同的内容。请在第{line}行行首补足空格，或把整个值写在一行内。")


def _check_continuation(text: str, start: int, end: int, need: int, add: Any) -> None:
    """Every non-blank line after the first of a multi-line flow or quoted scalar is indented >= need."""
    for brk in _BREAKS.finditer(text, start, end):
        i = brk.end()
        if i >= end:
            break
        j = i
        while j < end and text[j] == " ":
            j += 1
        if j - i >= need:
            continue
        k = j
        while k < end and text[k] in " \t":
            k += 1
        if k < end and text[k] not in "\r\n":  # a line with content (blank lines may be shorter)
            _short_indent(text, j, need, "scalar", add)
            return


def _check_block_header(text: str, start: int, end: int, indents: list[int], add: Any) -> None:
    i = start + 1
    explicit = False
    while i < end and text[i] in "+-123456789":
        explicit = explicit or text[i] != "+" and text[i] != "-"
        i += 1
    if i < len(text) and text[i] == "#":
        line, col = _line_col(text, i)
        add(_Mark(line - 1, col - 1), "yaml-syntax",
            "“|”或“>”后面紧跟着“#”：注释前必须有空格，否则不合 YAML 规范（本系统使用的解析器会悄悄忽略它）。"
            "请在“#”前加一个空格或删除这段注释；正文从下一行开始，并比字段名多缩进两个空格。")
        return
    if explicit:
        return
    # Auto-detected indentation: the spec takes the first non-blank line's indentation and forbids
    # deeper blank lines before it; libyaml takes the deepest of those blank lines.
    min_indent = max(indents[-1] + 1 if indents else 0, 1)
    brk = _BREAKS.search(text, i)
    if brk is None:
        return
    i = brk.end()
    deepest, deepest_at = 0, -1
    while i < len(text):
        j = i
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] not in "\r\n":
            if min_indent <= j - i < deepest:
                line = _line_col(text, deepest_at)[0]
                first = _line_col(text, j)[0]
                add(_Mark(line - 1, j - i), "yaml-syntax",
                    f"“|”或“>”文字开头的空行（第{line}行）里的空格比第一行正文（第{first}行）的缩进还多，"
                    "不合 YAML 规范，各软件会读出不同的内容。请删除这些空行里的空格。")
            return
        if j - i > deepest:
            deepest, deepest_at = j - i, i
        brk = _BREAKS.search(text, j)
        if brk is None:
            return
        i = brk.end()


def _judge_indentation(
    text: str, path: str, suspects: list[int], spans: list[tuple[int, int]], stop_at: int | None,
    problems: list[Problem],
) -> None:
    """Report odd whitespace at line starts, except where it is the content of a multi-line scalar."""
    if stop_at is not None:  # after a syntax error we only know the scalars before it
        eol = _BREAKS.search(text, stop_at)  # a lone CR ends a line too
        limit = len(text) if eol is None else eol.start()
        suspects = [i for i in suspects if i <= limit]
    starts = [s for s, _ in spans]
    found: list[Problem] = []
    for idx in suspects:
        k = bisect.bisect_right(starts, idx) - 1
        if k >= 0 and spans[k][0] < idx < spans[k][1]:
            continue
        ch = text[idx]
        line, col = _line_col(text, idx)
        if ch == "\t":
            found.append(Problem(
                path, line, col, "", "yaml-tab-indent",
                f"第{line}行行首的缩进里有制表符（Tab）。YAML 不允许用 Tab 缩进，请改用半角空格（每层 2 个空格）；"
                "可在编辑器中打开“Tab 键插入空格”。",
            ))
        else:
            name = _SPACE_NAMES.get(ch) or f"特殊空格 U+{ord(ch):04X}（{_char_name(ch)}）"
            found.append(Problem(
                path, line, col, "", "yaml-fullwidth-indent",
                f"第{line}行行首的缩进里有{name}。YAML 只认半角空格缩进，这种空格会被当成文字，使字段层级错乱。"
                "请删除行首的空白，切换到英文输入法（或半角状态）后用空格键重新缩进。",
            ))
        if len(found) >= MAX_PROBLEMS:
            break
    if found:
        # A syntax error after a bad indentation is almost always its consequence: keep the cause only.
        first = found[0].line
        problems[:] = [p for p in problems if not (p.rule == "yaml-syntax" and p.line >= first)]
        problems.extend(found)
