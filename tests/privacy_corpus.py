"""A generated corpus of personal numbers in the layouts people write them, and an output scanner.

Layouts are the product of digit forms × separators × groupings (× prefixes for mobiles), each with
its own number: valid 18-digit IDs (real birth date, correct MOD 11-2 check digit, some ending in X)
and mainland mobile numbers. The scanner normalises built output on its own terms (NFKC, every digit
to ASCII, every joining character dropped) and looks for the bare digits of any corpus number.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import random
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

DIGIT_FORMS = {
    "ascii": lambda s: s,
    "fullwidth": lambda s: s.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"} | {ord("X"): "Ｘ"}),
    "mixed": lambda s: "".join(chr(0xFF10 + int(c)) if i % 2 and c.isdigit() else c for i, c in enumerate(s)),
    "math": lambda s: s.translate({ord(c): 0x1D7CE + int(c) for c in "0123456789"}),  # 𝟎-𝟗 (NFKC → 0-9)
}
SEPARATORS = ["", " ", "  ", "-", "－", "—", "–", "‐", "−", ".", "/", "·", "・", "\u3000", "\u00a0", "\u2009",
              "\u202f", " - ", "_", "／", "．"]
MOBILE_GROUPINGS = [(3, 4, 4), (3, 3, 5), (3, 8), (7, 4), (4, 4, 3)]
MOBILE_PREFIXES = ["", "+86", "+86 ", "0086", "0086-", "86", "0", "(+86) ", "+86-", "０"]
ID_GROUPINGS = [(6, 8, 4), (6, 4, 4, 4), (4, 4, 4, 4, 2), (6, 6, 6)]
REGIONS = ["110105", "440304", "330106", "510104", "320102", "420111", "610113", "350203"]


@dataclass(frozen=True)
class Layout:
    kind: str      # "id18" or "mobile"
    digits: str    # the number itself (ASCII digits, X)
    text: str      # as written in a report
    name: str      # form/separator/grouping/prefix, for messages


def _check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _group(digits: str, grouping: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in grouping:
        out.append(digits[i:i + n])
        i += n
    assert i == len(digits)
    return sep.join(out)


def corpus(seed: int = 20261120) -> list[Layout]:
    rnd = random.Random(seed)
    used: set[str] = set()

    def fresh(make) -> str:
        while True:
            value = make()
            if value not in used:
                used.add(value)
                return value

    def id18(want_x: bool) -> str:
        while True:
            born = date(1950, 1, 1) + timedelta(days=rnd.randrange(20000))
            first = f"{rnd.choice(REGIONS)}{born:%Y%m%d}{rnd.randrange(1000):03d}"
            check = _check_digit(first)
            if (check == "X") == want_x:
                return first + check

    def mobile() -> str:
        return f"1{rnd.choice('3456789')}{rnd.randrange(10)}{rnd.randrange(10**8):08d}"

    out: list[Layout] = []
    k = 0
    for form_name, form in DIGIT_FORMS.items():
        for sep in SEPARATORS:
            for grouping in ([(11,)] if sep == "" else MOBILE_GROUPINGS):
                number = fresh(mobile)
                prefix = MOBILE_PREFIXES[k % len(MOBILE_PREFIXES)]
                k += 1
                text = form(prefix) + form(_group(number, grouping, sep))
                out.append(Layout("mobile", number, text, f"mobile/{form_name}/{sep!r}/{grouping}/{prefix!r}"))
            for grouping in ([(18,)] if sep == "" else ID_GROUPINGS):
                want_x = k % 4 == 0
                number = fresh(lambda want_x=want_x: id18(want_x))
                k += 1
                written = _group(number, grouping, sep)
                if number.endswith("X") and k % 3 == 0:
                    written = written[:-1] + "x"
                out.append(Layout("id18", number, form(written), f"id18/{form_name}/{sep!r}/{grouping}"))
    return out


# --- ordinary numbers that must survive masking exactly as written ---------------------------------

ORDINARY = [
    "2026-11-20", "2026/11/20", "2026.11.20", "2026年11月20日", "13:45", "2026-11-20 13:45",
    "直接经济损失1,380,000.50元", "13 800 000 000 元", "金额13800000000000元", "351.828316610925310",
    "0.13812345678", "13812345678.5", "比例13.8%", "共13人受伤", "IP 192.168.1.100", "版本1.2.3",
    "订单号213812345678999", "流水号1138123456789", "合同编号110105194912310021",
    "编号110105-1949-1231-0021", "区号0571", "伤亡3/12", "第2026-0012号",
    "坐标300000 230.425570", "1.35 9 3.54 2.36", "经度135.123456", "138 123 456 789",
]


# --- scanning built output ----------------------------------------------------------------------

# Characters that may join the digit groups of a number: dropped before searching. Everything else
# that is not a digit (letters, CJK, '*', commas, colons, quotes, line breaks) separates.
_JOINERS = set(".·・•‧∙⋅/\\∕⁄／＼_＿-−‐‑‒–—―－ー()（）+")


def _normalise(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch in "Xx":
            out.append("X")
        elif ch == "*":
            out.append("*")
        elif ch in _JOINERS or unicodedata.category(ch) in ("Zs", "Pd", "Pc") and ch != "\n":
            continue
        else:
            out.append("|")
    return "".join(out)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


_TAG = re.compile(r"<[^>]*>")


def output_texts(root: Path) -> list[tuple[str, str]]:
    """(name, text as a reader sees it) of every file under `root`: markup stripped, entities decoded,
    JSON strings decoded, XLSX parts and .gz files opened. Binary files (fonts, images) are skipped."""
    out: list[tuple[str, str]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(path.relative_to(root))
        data = path.read_bytes()
        parts: list[tuple[str, bytes]] = [(name, data)]
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                parts = [(f"{name}:{n}", z.read(n)) for n in z.namelist()]
        elif path.suffix == ".gz":
            parts = [(name, gzip.decompress(data))]
        for part_name, raw in parts:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                continue
            if part_name.endswith(".json"):
                with contextlib.suppress(ValueError):
                    text = "\n".join(_strings(json.loads(text)))
            text = html.unescape(_TAG.sub("|", text))
            out.append((part_name, text))
    return out


def leaks(texts: list[tuple[str, str]], numbers: list[Layout]) -> list[str]:
    """'file: layout' for every corpus number whose digits appear anywhere in the normalised output."""
    found = []
    for name, text in texts:
        flat = _normalise(text)
        for layout in numbers:
            if layout.digits in flat:
                found.append(f"{name}: {layout.name} {layout.text!r}")
    return found


def normalised(text: str) -> str:
    return _normalise(text)
