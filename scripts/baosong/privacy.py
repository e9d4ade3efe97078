"""Masking of personal data before anything reaches the portal (pages, search index, downloads).

What counts as personal data here:
- 18-digit resident ID numbers (GB 11643) whose last character is a valid ISO 7064 MOD 11-2 check
  digit; a number that only looks like one (wrong check digit) is left alone, so serial numbers,
  order numbers and the like survive;
- 15-digit old-style ID numbers with a valid birth date (19YYMMDD) inside;
- mainland mobile numbers `1[3-9]` + 9 digits, optionally with a +86/0086 prefix and space or hyphen
  groups (138 1234 5678, 138-1234-5678).

Runs of digits are matched only whole: a candidate glued to further digits, or part of a decimal
number (351.828316610925310), is not an ID or a phone.
Python's `\\d` also matches full-width digits (１３８…), which are masked the same way.
"""

from __future__ import annotations

import re
from datetime import date

MASK = "*"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# Groups of 6-8-4 with an optional single space or hyphen between them (as people type them).
# Not part of a decimal number either: the fraction or integer part of 351.828316610925310 is no ID.
_ID18 = re.compile(r"(?<!\d)(?<!\d\.)(\d{6})([ -]?)(\d{8})([ -]?)(\d{3}[\dXxＸｘ])(?![\dXxＸｘ])(?!\.\d)")
_ID15 = re.compile(r"(?<!\d)(?<!\d\.)(\d{6})(\d{6})(\d{3})(?!\d)(?!\.\d)")
_MOBILE = re.compile(r"(?<![\d+])(?<!\d\.)((?:\+|00)?86[ -]?)?(1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})(?!\d)(?!\.\d)")


def _digits(text: str) -> str:
    """Normalise any Unicode decimal digits (full-width too) and the check letter to ASCII."""
    out = []
    for ch in text:
        if ch in "XxＸｘ":
            out.append("X")
        else:
            out.append(str(int(ch)) if ch.isdecimal() else ch)
    return "".join(out)


def id18_valid(number: str) -> bool:
    """ISO 7064 MOD 11-2 check of an 18-character ID number (digits, last may be X)."""
    n = _digits(number)
    if len(n) != 18 or not n[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(n[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == n[17]


def id15_valid(number: str) -> bool:
    """A 15-digit old ID: 6-digit region, then YYMMDD of a real date in the 1900s, then 3 digits."""
    n = _digits(number)
    if len(n) != 15 or not n.isdigit():
        return False
    try:
        date(1900 + int(n[6:8]), int(n[8:10]), int(n[10:12]))
    except ValueError:
        return False
    return True


def _mask_id18(m: re.Match) -> str:
    region, sep1, birth, sep2, tail = m.groups()
    if not id18_valid(region + birth + tail):
        return m.group(0)
    # Keep the region and the last four (as Chinese public notices do); hide the birth date.
    return f"{region}{sep1}{MASK * 8}{sep2}{tail}"


def _mask_id15(m: re.Match) -> str:
    region, birth, seq = m.groups()
    if not id15_valid(region + birth + seq):
        return m.group(0)
    return f"{region}{MASK * 6}{seq}"


def _mask_mobile(m: re.Match) -> str:
    prefix, head, sep1, _middle, sep2, tail = m.groups()
    return f"{prefix or ''}{head}{sep1}{MASK * 4}{sep2}{tail}"


# Every pattern above contains 3 digits, an optional separator, then 4 more: cheap to rule out.
_CANDIDATE = re.compile(r"\d{3}[ -]?\d{4}")


def mask(text: str) -> str:
    """The text with ID numbers and mobile numbers masked; everything else unchanged."""
    if not isinstance(text, str) or not _CANDIDATE.search(text):
        return text
    text = _ID18.sub(_mask_id18, text)
    text = _ID15.sub(_mask_id15, text)
    return _MOBILE.sub(_mask_mobile, text)


def find_personal_data(text: str) -> list[str]:
    """Unmasked personal numbers in a text (for tests and audits of built output)."""
    found = [m.group(0) for m in _ID18.finditer(text) if id18_valid("".join(m.group(1, 3, 5)))]
    found += [m.group(0) for m in _ID15.finditer(text) if id15_valid("".join(m.groups()))]
    found += [m.group(0) for m in _MOBILE.finditer(text)]
    return found
