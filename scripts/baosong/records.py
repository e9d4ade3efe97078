"""Typed records that flow between the register's stages. `Deadline` is what `deadlines` computes and
the register, the PR check, `baosong new` and the guide consume (it was a five-key dict read with
`["deadline_at"]`); a typo in a field is now a type error, and "go to definition" leads here.

`ReportRecord` and `IncidentRecord` are the register's records (`register.compute_register`). Their
JSON (`to_json()`, `baosong registry --format json`) is the export contract: the keys are the fields, in
field order, times as ISO 8601 with offset to the second. A new field is one line here, with a default
(so older constructors keep working) and its type: `to_json`/`from_json` derive the JSON from the type
(a datetime becomes an ISO string, a tuple a list, a nested record a dict), and FORMAT.md's field list
must name it (`tests/test_records.py`). `baosong registry`, the portal, scores, bulletins and exports
read the attributes; only the export files write the JSON form.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

_R = TypeVar("_R", bound="JsonRecord")


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a report is due, under which rule, counted from which clock; after `missed_at`, 漏报."""

    at: datetime
    rule: str              # the policy rule id, or `followup.first_within_minutes` / `followup.interval_minutes`
    clock: str             # occurred, discovered, first_arrival or previous_arrival (vocab.CLOCK_ZH)
    minutes: int           # the rule's allowance
    missed_at: datetime | None = None  # None when the policy sets no 漏报 window


# ------------------------------------------------------------------------------------------------
# Register records and their JSON


# How a field's value goes to and comes back from JSON, decided once per class from its annotation.
_PLAIN, _TIME, _TUPLE, _RECORD, _DICT = range(5)


class JsonRecord:
    """Mixin for a frozen slotted dataclass whose JSON object is its fields in order (see the module doc)."""

    __slots__ = ()

    @classmethod
    def _fields_codec(cls) -> tuple[tuple[str, int, Any], ...]:
        codec = cls.__dict__.get("_codec_cache")
        if codec is None:
            hints = typing.get_type_hints(cls)
            out: list[tuple[str, int, Any]] = []
            for f in fields(cls):  # type: ignore[arg-type]
                hint = hints[f.name]
                if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None: X decides
                    hint = next(a for a in typing.get_args(hint) if a is not type(None))
                if hint is datetime:
                    out.append((f.name, _TIME, None))
                elif isinstance(hint, type) and issubclass(hint, JsonRecord):
                    out.append((f.name, _RECORD, hint))
                elif typing.get_origin(hint) is tuple:
                    out.append((f.name, _TUPLE, None))
                elif typing.get_origin(hint) is dict:  # copied: the JSON data must not alias a frozen record
                    out.append((f.name, _DICT, None))
                else:
                    out.append((f.name, _PLAIN, None))
            codec = tuple(out)
            type.__setattr__(cls, "_codec_cache", codec)
        return codec

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data: keys in field order, times ISO 8601 to the second, tuples as lists."""
        out: dict[str, Any] = {}
        for name, kind, _ in self._fields_codec():
            value = getattr(self, name)
            if value is not None:
                if kind == _TIME:
                    value = value.isoformat(timespec="seconds")
                elif kind == _TUPLE:
                    value = list(value)
                elif kind == _RECORD:
                    value = value.to_json()
                elif kind == _DICT:
                    value = dict(value)
            out[name] = value
        return out

    @classmethod
    def from_json(cls: type[_R], data: dict[str, Any]) -> _R:
        """The record from its JSON data (`to_json`'s inverse); a key the class does not have is an error,
        a missing one takes the field's default."""
        kwargs: dict[str, Any] = {}
        for name, kind, sub in cls._fields_codec():
            if name not in data:
                continue
            value = data[name]
            if value is not None:
                if kind == _TIME:
                    value = datetime.fromisoformat(value)
                elif kind == _TUPLE:
                    value = tuple(value)
                elif kind == _RECORD:
                    value = sub.from_json(value)
                elif kind == _DICT:
                    value = dict(value)
            kwargs[name] = value
        unknown = data.keys() - {n for n, _, _ in cls._fields_codec()}
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class ReportRecord(JsonRecord):
    """One report on main, as the register judges it (FORMAT.md, "Register record fields")."""

    id: str | None
    path: str
    unit: str | None
    kind: str | None
    stage: str | None
    incident: str | None
    sequence: int | None
    title: str | None
    category: str | None
    grade_declared: str | None
    grade_computed: str | None
    occurred_at: datetime | None
    discovered_at: datetime | None
    received_at: datetime | None
    time_source: str | None
    attested: bool
    catch_up: bool
    receipt_at: datetime | None
    receipt_via: str | None
    merged_at: datetime | None
    deadline_at: datetime | None
    deadline_rule: str | None
    clock: str | None
    missed_at: datetime | None
    status: str
    delay_minutes: int | None
    delay_reason: str | None
    commit: str | None
    main_commit: str | None
    blob: str | None
    signer: str | None
    signature: str | None
    author: str | None
    signoff: str | None
    created_at: datetime | None
    phone_deadline_at: datetime | None
    phone_rule: str | None
    phone_status: str | None
    involved_units: tuple[str, ...] = ()
    forwarded_from: dict[str, Any] | None = None  # the provenance link summary (provenance.forwarded_summary)


@dataclass(frozen=True, slots=True)
class MissedFollowup(JsonRecord):
    """The pending follow-up of an open incident once `now` is past its 漏报 line (never filed: missed)."""

    sequence: int
    deadline_at: datetime
    missed_at: datetime
    rule: str


@dataclass(frozen=True, slots=True)
class IncidentRecord(JsonRecord):
    """One incident: the series of reports under a first report (FORMAT.md, "Register record fields")."""

    id: str
    unit: str | None
    title: str | None
    category: str | None
    grade: str | None
    grade_computed: str | None
    occurred_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    reports: tuple[str, ...]
    next_followup: int | None
    next_followup_due: datetime | None
    next_followup_rule: str | None
    overdue: bool
    missed_followup: MissedFollowup | None
    silent_units: tuple[str, ...]
    figures: dict[str, float]
    first_status: str
    late_reports: int
    missed_reports: int
    upward: tuple[dict[str, Any], ...] = ()  # the office's upward duties (upward.UpwardDuty.to_json)
