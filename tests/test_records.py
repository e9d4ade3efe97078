"""The register's typed records: their JSON is `baosong registry --format json`, key for key and in
field order; `from_json` inverts `to_json`; FORMAT.md names exactly their fields.

The register is computed in-process from a real signed demo registry (`baosong demo`, real git and SSH
signatures) and compared with the JSON the `baosong registry` subprocess prints.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from baosong.records import IncidentRecord, JsonRecord, MissedFollowup, ReportRecord

BAOSONG = str(Path(sys.executable).parent / "baosong")
NOW = "2026-11-20T12:00:00+08:00"
FORMAT_MD = Path(__file__).resolve().parents[1] / "scripts/baosong/FORMAT.md"


def names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[object, dict]:
    """(the Register computed in-process, the JSON `baosong registry` prints) of a 300-report demo."""
    from baosong.register import build_register

    out = tmp_path_factory.mktemp("records") / "registry"
    made = subprocess.run([BAOSONG, "demo", "--out", str(out), "--reports", "300", "--seed", "5"],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    # One unreadable report on main, so that `invalid` (plain rows with arrival times) is exercised too.
    (out / "reports/2026/broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2026-11-19T08:00:00+08:00",
           "GIT_COMMITTER_DATE": "2026-11-19T08:00:00+08:00", "PATH": os.environ["PATH"]}
    for cmd in (["add", "reports/2026/broken.yaml"], ["-c", "commit.gpgsign=false", "commit", "-qm", "broken"]):
        subprocess.run(["git", *cmd], cwd=out, env=env, check=True)
    printed = subprocess.run([BAOSONG, "registry", "--format", "json", "--now", NOW], cwd=out,
                             capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    reg = build_register(out, now=datetime.fromisoformat(NOW), use_cache=False)
    return reg, json.loads(printed.stdout)


def test_the_printed_json_is_the_records_to_json_in_field_order(demo):
    reg, data = demo
    assert len(reg.reports) == len(data["reports"]) == 300 and reg.incidents
    assert all(isinstance(r, ReportRecord) for r in reg.reports)
    assert all(isinstance(i, IncidentRecord) for i in reg.incidents)
    for record, printed in zip(reg.reports + reg.incidents, data["reports"] + data["incidents"], strict=True):
        assert list(printed) == names(type(record))  # key order = field order
        assert record.to_json() == printed
    missed = [i for i in reg.incidents if i.missed_followup is not None]
    assert missed and all(isinstance(i.missed_followup, MissedFollowup) for i in missed)
    assert [list(i["missed_followup"]) for i in data["incidents"] if i["missed_followup"]] == \
        [names(MissedFollowup)] * len(missed)


def test_register_json_is_the_parsed_text(demo):
    """The portal's data (`register_json`, built from `to_json()`) is what parsing the printed text gives,
    and shares no mutable object with the records."""
    from baosong.register import register_json, register_json_text

    reg, printed = demo
    data = register_json(reg)
    assert data == json.loads(register_json_text(reg))
    assert {k: v for k, v in data.items() if k not in ("rev", "commit")} == \
        {k: v for k, v in printed.items() if k not in ("rev", "commit")}
    assert reg.invalid and data["invalid"] == printed["invalid"]
    assert isinstance(reg.invalid[0]["received_at"], datetime) and isinstance(data["invalid"][0]["received_at"], str)
    inc = next(i for i in reg.incidents if i.figures)
    row = next(i for i in data["incidents"] if i["id"] == inc.id)
    row["figures"]["deaths"] = -1
    assert inc.figures.get("deaths") != -1


def test_from_json_inverts_to_json(demo):
    reg, data = demo
    for record, printed in zip(reg.reports + reg.incidents, data["reports"] + data["incidents"], strict=True):
        again = type(record).from_json(printed)
        assert again == record
        assert json.dumps(again.to_json(), ensure_ascii=False) == json.dumps(printed, ensure_ascii=False)
    # Types survive the trip: times are aware datetimes, lists are tuples again.
    r = next(r for r in reg.reports if r.received_at is not None and r.involved_units)
    back = ReportRecord.from_json(r.to_json())
    assert isinstance(back.received_at, datetime) and back.received_at.utcoffset() is not None
    assert isinstance(back.involved_units, tuple)


def test_from_json_refuses_unknown_keys_and_defaults_missing_ones():
    t = datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    m = MissedFollowup(sequence=2, deadline_at=t, missed_at=t + timedelta(hours=1), rule="followup.interval_minutes")
    assert m.to_json() == {"sequence": 2, "deadline_at": "2026-11-20T09:30:00+08:00",
                           "missed_at": "2026-11-20T10:30:00+08:00", "rule": "followup.interval_minutes"}
    with pytest.raises(ValueError, match="deadlin_at"):
        MissedFollowup.from_json({**m.to_json(), "deadlin_at": None})

    # A field added later (issues 13/14) is one line with a default: older JSON still reads.
    @dataclasses.dataclass(frozen=True, slots=True)
    class Grown(JsonRecord):
        id: str
        at: datetime | None
        forwarded_from: tuple[str, ...] = ()

    g = Grown(id="x", at=t, forwarded_from=("a", "b"))
    assert g.to_json() == {"id": "x", "at": "2026-11-20T09:30:00+08:00", "forwarded_from": ["a", "b"]}
    assert Grown.from_json(g.to_json()) == g
    assert Grown.from_json({"id": "x", "at": None}) == Grown(id="x", at=None)


def test_records_are_frozen_and_slotted(demo):
    reg, _ = demo
    r = reg.reports[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.status = "late"  # type: ignore[misc]
    assert not hasattr(r, "__dict__")


def _documented(section: str) -> list[str]:
    """The field names of a FORMAT.md field list, in order: backticked names outside parentheses and braces."""
    while True:
        shorter = re.sub(r"\([^()]*\)|\{[^{}]*\}", "", section)
        if shorter == section:
            return re.findall(r"`([a-z_]+)`", section)
        section = shorter


def test_format_md_lists_exactly_the_record_fields_in_order():
    text = FORMAT_MD.read_text(encoding="utf-8")
    fields = text[text.index("### Register record fields"):text.index("### Deadlines (deadlines.py)")]
    assert _documented(fields[fields.index("Reports:"):fields.index("Incidents:")]) == names(ReportRecord)
    assert _documented(fields[fields.index("Incidents:"):fields.index("Summary:")]) == names(IncidentRecord)
    braces = re.search(r"`missed_followup` \(None, or `\{([^}]*)\}`", fields)
    assert braces is not None
    assert [n.strip() for n in braces.group(1).split(",")] == names(MissedFollowup)
