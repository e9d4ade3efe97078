"""Problems are data: every stage returns them, only the CLI renders them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from baosong.vocab import SEVERITY_ZH

Severity = Literal["error", "warning"]


# Characters a terminal or a CI log would interpret rather than show: C0 controls (ESC starts colour
# and cursor sequences; a newline forges a second problem line), DEL, C1 (U+009B is a one-byte CSI),
# bidi controls (Trojan Source: a name that reads differently from what it is), invisible format
# characters, the line/paragraph separators, and lone surrogates (undecodable bytes of a git path).
_UNSAFE_BEYOND_C0 = (r"\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u206a-\u206f"
                     r"\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f")
_UNSAFE = re.compile(f"[\\x00-\\x1f{_UNSAFE_BEYOND_C0}]")
# json.dumps already escapes C0 inside strings, and C0 outside strings is the layout (newlines).
_UNSAFE_JSON = re.compile(f"[{_UNSAFE_BEYOND_C0}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Past this many characters an echoed piece of unknown content (a key, a value) is cut.
SNIPPET_CHARS = 40


def _escape_char(m: re.Match) -> str:
    ch = m.group()
    code = ord(ch)
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_safe(text: object) -> str:
    """`text` with every control, bidi and invisible character written as a visible escape (`\\x1b`).

    Everything the commands print passes through here, so a hostile file name or value can neither
    colour, move or clear a terminal or CI log, nor fake a line, nor reorder what is shown.
    """
    s = str(text)
    return _UNSAFE.sub(_escape_char, s) if _UNSAFE.search(s) else s


def snippet(text: object, limit: int = SNIPPET_CHARS) -> str:
    """Unknown content quoted in a message: escaped, and cut after `limit` characters."""
    s = terminal_safe(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def json_safe(text: str) -> str:
    """JSON text whose strings carry no raw control, bidi or invisible character.

    `json.dumps(ensure_ascii=False)` escapes only U+0000-U+001F; the rest (DEL, C1, bidi, lone
    surrogates) are written as `\\uXXXX` here, which is the same JSON value.
    """
    if not _UNSAFE_JSON.search(text):
        return text
    return _UNSAFE_JSON.sub(lambda m: "".join(
        f"\\u{u:04x}" for u in _utf16_units(m.group())), text)


def _utf16_units(ch: str) -> list[int]:
    code = ord(ch)
    if code <= 0xFFFF:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    column: int
    field: str
    rule: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self) -> str:
        field = f"{terminal_safe(self.field)}: " if self.field else ""
        return (
            f"{terminal_safe(self.path)}:{self.line}:{self.column}: {SEVERITY_ZH[self.severity]} "
            f"[{terminal_safe(self.rule)}] {field}{terminal_safe(self.message)}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def render_text(problems: list[Problem]) -> str:
    return "\n".join(p.render() for p in problems)


def render_json(problems: list[Problem]) -> str:
    return json_safe(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))


def sort_key(p: Problem) -> tuple:
    return (p.path, p.line, p.column, p.rule)


def field_name(path: Iterable[Any]) -> str:
    """('casualties', 'deaths') -> 'casualties.deaths'; ('involved_units', 1) -> 'involved_units[1]'.

    Keys come from untrusted files (a stray line of another file read as a key): each is shown as a
    bounded snippet.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = snippet(part)
            out += f".{name}" if out else name
    return out
