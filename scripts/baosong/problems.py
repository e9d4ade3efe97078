"""Problems are data: every stage returns them, only the CLI renders them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

SEVERITY_ZH = {"error": "错误", "warning": "警告"}


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
        field = f"{self.field}: " if self.field else ""
        return (
            f"{self.path}:{self.line}:{self.column}: {SEVERITY_ZH[self.severity]} "
            f"[{self.rule}] {field}{self.message}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def render_text(problems: list[Problem]) -> str:
    return "\n".join(p.render() for p in problems)


def render_json(problems: list[Problem]) -> str:
    return json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2)


def sort_key(p: Problem) -> tuple:
    return (p.path, p.line, p.column, p.rule)


def field_name(path: Iterable[Any]) -> str:
    """('casualties', 'deaths') -> 'casualties.deaths'; ('involved_units', 1) -> 'involved_units[1]'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
