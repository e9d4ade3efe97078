"""Masking of personal data before anything reaches the portal (pages, search index, downloads).

What counts as personal data here:
- 18-digit resident ID numbers (GB 11643: region code not starting with 0, a real birth date in
  19xx/20xx, a valid ISO 7064 MOD 11-2 check digit last); a number that only looks like one (wrong
  check digit, impossible date) is left alone, so serial numbers, order numbers and the like survive;
- 15-digit old-style ID numbers (region code not starting with 0) with a valid birth date (19YYMMDD);
- mainland mobile numbers `1[3-9]` + 9 digits, optionally after a 0, 86, 086 or 0086 (+86) prefix.

People write these numbers in many layouts: full-width or other Unicode digits (１３８…), groups
joined by spaces of any kind (also double, no-break, ideographic, thin), hyphens and dashes of any
kind (-, －, —, –, ‐, −), dots and middle dots (., ·, ・), slashes and underscores; grouped 3-4-4,
3-3-5, 6-8-4, 6-4-4-4, in fours, or not at all. Matching therefore runs on a normalised view:

1. A *chain* is a run of digit groups joined by separator runs of one to three separator characters
   (found in the original text by one regular expression, so text without such runs costs nothing).
2. Each character of a chain is normalised on its own (NFKC, then any Unicode decimal digit to
   ASCII), keeping for every digit the offset of the original character it came from.
3. Within a chain, spans of whole groups are judged as numbers: a number is never cut out of a
   longer run of digits, so order numbers, amounts and the like stay intact.
4. The digits to hide are replaced by `*` at their original offsets: separators, digit forms and
   everything around them are kept as written.

Not personal data: decimal numbers (`0.13812345678`, `13812345678.5`, `138123456.78`,
`300000 230.425570`: a "." is a decimal point unless the number is dotted throughout, or is two
long groups like `138.12345678`), groups of single digits (`1.35 9 3.54`), and digits in thousands
grouping (`13 800 000 000`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

MASK = "*"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _separators() -> str:
    """Every character that people put between digit groups (a regex character-class body)."""
    chars = {"\u00ad", "\u2212", "\u2500", "\u2501", "\u30fc", "\uff70",  # soft hyphen, minus, box lines, ー
             ".", "\u00b7", "\u0387", "\u2022", "\u2024", "\u2027", "\u2219", "\u22c5", "\u30fb", "\ufe52",
             "\uff0e", "\uff65",  # dots and middle dots
             "/", "\\", "\u2215", "\u2044", "\u29f8", "\uff0f", "\uff3c", "_", "\uff3f"}  # slashes, underscores
    for cp in range(0x10000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Zs", "Pd"):
            chars.add(ch)
    chars -= {"\u301c", "\u3030"}  # wave dashes mean a range (13〜15), not a join
    return "".join(re.escape(c) for c in sorted(chars))


_SEP = _separators()
# A digit group: Unicode decimal digits (\d is Unicode-aware: ASCII, full-width, other scripts),
# optionally ending in the ID check letter X (dropped again when the number is no ID: 13812345678x).
_GROUP = r"\d+[XxＸｘ]?"
_CHAIN = re.compile(f"{_GROUP}(?:[{_SEP}]{{1,3}}{_GROUP})*")
_MOBILE = re.compile(r"(?:0|86|086|0086)?(1[3-9][0-9]{9})")
# Every personal number is a chain of at least 11 characters: most texts (times, ids, prose) have none.
_LONG_RUN = re.compile(f"\\d[\\d{_SEP}XxＸｘ]{{10}}")
_MAX_SPAN_DIGITS = 22  # 0086 + 18


def _digits(text: str) -> str:
    """Normalise any Unicode decimal digits (full-width too) and the check letter to ASCII."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch in "Xx":
            out.append("X")
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def id18_valid(number: str) -> bool:
    """ISO 7064 MOD 11-2 check of an 18-character ID number (digits, last may be X), with a real birth date."""
    n = _digits(number)
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X") or n[0] == "0":
        return False
    if n[6:8] not in ("19", "20") or not _real_date(int(n[6:10]), int(n[10:12]), int(n[12:14])):
        return False
    total = sum(int(d) * w for d, w in zip(n[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == n[17]


def id15_valid(number: str) -> bool:
    """A 15-digit old ID: 6-digit region, then YYMMDD of a real date in the 1900s, then 3 digits."""
    n = _digits(number)
    if len(n) != 15 or not n.isdigit() or n[0] == "0":  # no region code starts with 0 (0086 + a mobile)
        return False
    return _real_date(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12]))


class _Group:
    __slots__ = ("digits", "offsets")

    def __init__(self) -> None:
        self.digits: list[str] = []
        self.offsets: list[int] = []  # original text offset of each digit


def _groups(text: str, start: int, end: int) -> tuple[list[_Group], list[str]]:
    """The digit groups of the chain text[start:end] and the normalised separator runs between them."""
    groups = [_Group()]
    seps: list[str] = []
    sep = ""
    for i in range(start, end):
        ch = text[i]
        norm = ch if "0" <= ch <= "9" else unicodedata.normalize("NFKC", ch)  # ASCII: no Unicode look-up
        if norm.isdecimal() or norm in ("X", "x"):
            if sep:
                seps.append(sep)
                groups.append(_Group())
                sep = ""
            for d in norm:
                groups[-1].digits.append("X" if d in "Xx" else str(unicodedata.decimal(d)))
                groups[-1].offsets.append(i)
        else:
            sep += norm
    return groups, seps


def _dots_ok(lengths: list[int], seps: list[str]) -> bool:
    """A "." between groups is a decimal point unless the number is written with dots throughout.

    300000 230.425570 (spaces, then one dot) is two numbers, the second a decimal; 131.7709.0009 is
    one number. Two groups with one dot are a decimal when either side is short (12.5, 138123456.78,
    0.13812345678); 138.12345678 and 1381234.5678 are phone layouts, since no amount has that many
    decimals.
    """
    dotted = ["." in s for s in seps]
    if not any(dotted):
        return True
    if not all(dotted):
        return False
    return len(seps) > 1 or (lengths[0] >= 3 and lengths[1] >= 4)


def _thousands(lengths: list[int]) -> bool:
    """13 800 000 000: groups of three after a short first group are an amount, not a phone number."""
    return len(lengths) >= 3 and lengths[0] <= 3 and all(n == 3 for n in lengths[1:])


def _judge(digits: str, lengths: list[int], seps: list[str]) -> range | None:
    """Which digits of a candidate number to hide (indices into `digits`), or None if it is not personal data.

    `lengths` are the digit counts of its groups, `seps` the normalised separator runs between them.
    """
    n = len(digits)
    if min(lengths) < 2 and not (len(lengths) > 1 and lengths[0] == 1 and digits[0] == "0"):
        return None  # 1.35 9 3.54 2.36: single digits are coordinates or counts, not a written number
    if n == 18 and _dots_ok(lengths, seps) and id18_valid(digits):
        return range(6, 14)  # the birth date; region and the last four stay, as public notices do
    if "X" in digits:
        return None
    if n == 15 and _dots_ok(lengths, seps) and id15_valid(digits):
        return range(6, 12)
    m = _MOBILE.fullmatch(digits)
    if m is None or _thousands(lengths):
        return None
    prefix = m.start(1)
    if prefix and lengths[0] == prefix and "." not in seps[0]:  # "+86 ", "0086-", "0 " on their own
        lengths, seps = lengths[1:], seps[1:]
    if min(lengths) < 3 or not _dots_ok(lengths, seps):
        return None  # people group a mobile number in threes, fours and more, not in twos
    return range(prefix + 3, prefix + 7)  # 138****5678


def _found(text: str) -> Iterator[tuple[int, int, list[int]]]:
    """(start, end, offsets to hide) of each personal number in `text`, in order."""
    for m in _CHAIN.finditer(text):
        if m.end() - m.start() < 11:  # fewer characters than the shortest number (a mobile) has digits
            continue
        groups, seps = _groups(text, m.start(), m.end())
        i = 0
        while i < len(groups):
            for j in range(len(groups) - 1, i - 1, -1):  # the longest span of whole groups first
                hit = _span(groups, seps, i, j)
                if hit is not None:
                    yield hit
                    i = j + 1
                    break
            else:
                i += 1


def _span(groups: list[_Group], seps: list[str], i: int, j: int) -> tuple[int, int, list[int]] | None:
    """Groups i..j judged as one number: (start, end, offsets to hide), or None."""
    if (i > 0 and "." in seps[i - 1]) or (j < len(seps) and "." in seps[j]):
        return None  # the digits after or before a decimal point (0.13812345678, 13812345678.5)
    span = groups[i:j + 1]
    digits = "".join(d for g in span for d in g.digits)
    offsets = [o for g in span for o in g.offsets]
    lengths = [len(g.digits) for g in span]
    inner = seps[i:j]
    hide = _judge(digits, lengths, inner) if 11 <= len(digits) <= _MAX_SPAN_DIGITS else None
    if hide is None and digits.endswith("X"):  # a letter after the number, not a check digit
        digits, offsets, lengths[-1] = digits[:-1], offsets[:-1], lengths[-1] - 1
        hide = _judge(digits, lengths, inner) if 11 <= len(digits) <= _MAX_SPAN_DIGITS else None
    if hide is None:
        return None
    return offsets[0], offsets[-1] + 1, [offsets[k] for k in hide]


def mask(text: str) -> str:
    """The text with ID numbers and mobile numbers masked; everything else unchanged."""
    if not isinstance(text, str) or not _LONG_RUN.search(text):
        return text
    hidden = sorted({o for _start, _end, offsets in _found(text) for o in offsets})
    if not hidden:
        return text
    parts, last = [], 0
    for o in hidden:  # the original characters at these offsets become "*"; all else is kept as written
        parts.append(text[last:o])
        parts.append(MASK)
        last = o + 1
    parts.append(text[last:])
    return "".join(parts)


def find_personal_data(text: str) -> list[str]:
    """Unmasked personal numbers in a text, as written there (for tests and audits of built output)."""
    if not _LONG_RUN.search(text):
        return []
    return [text[start:end] for start, end, _ in _found(text)]

