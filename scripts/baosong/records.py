"""Typed records that flow between the register's stages. `Deadline` is what `deadlines` computes and
the register, the PR check, `baosong new` and the guide consume (it was a five-key dict read with
`["deadline_at"]`); a typo in a field is now a type error, and "go to definition" leads here.

The register's report and incident records are still dicts (their JSON is the export contract); they
carry a deadline as `deadline_at`, `deadline_rule`, `clock`, `missed_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a report is due, under which rule, counted from which clock; after `missed_at`, 漏报."""

    at: datetime
    rule: str              # the policy rule id, or `followup.first_within_minutes` / `followup.interval_minutes`
    clock: str             # occurred, discovered, first_arrival or previous_arrival (vocab.CLOCK_ZH)
    minutes: int           # the rule's allowance
    missed_at: datetime | None = None  # None when the policy sets no 漏报 window
