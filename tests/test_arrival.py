"""One arrival rule (history.trusted_arrival): a report blob arrives at the earliest trusted registry
time for it — its push receipt, its post-merge receipt, or the main-line commit that merged it.

The scenario of issue 10's "Done when": one registry whose receipts are switched on part-way, with
office merge delays of 0 minutes, 1 hour and 3 days, a two-day outage of the receipt service, and a
branch pushed twice with an edited report. `check --base` (as the server runs it when a change is
merged, and as CI runs it when a branch is pushed) and `registry` give every report the same
status; the report pushed on time and merged an hour after its deadline is on time in the register,
on the portal and in the scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import trust_helpers as th
from baosong.gitrepo import RefUpdate
from baosong.prcheck import check_pr
from baosong.receipts import RECEIPTS_REF, Receipt
from baosong.receive import receive_push
from baosong.timeutil import iso, parse_datetime

UNIT, AUTHOR, HEAD = "gaj", "wanghao", "liuzhenhua"
END = "2026-12-05T12:00:00+08:00"


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{text}:00+08:00")


# ---- the rule on its own ----------------------------------------------------------------------


def receipt(when: str, via: str = "receive", tsa: str | None = None) -> Receipt:
    return Receipt("p", "b", "o", t(when), t(tsa) if tsa else None, 1, via)


def test_the_earliest_trusted_time_wins():
    from baosong.history import CATCH_UP_AFTER, trusted_arrival

    main = t("25T14:41")
    # A push receipt before the merge: the push is the arrival, however late the office merged.
    assert trusted_arrival(receipt("25T13:41", "push"), main) == (t("25T13:41"), "push", False, True)
    # A post-merge receipt a minute after the merge vouches for the merge time.
    assert trusted_arrival(receipt("25T14:42"), main) == (main, "commit", False, True)
    # Written long after the merge (an outage, or receipts switched on later): a catch-up receipt.
    # It never makes the report later than the merge that accepted it, and vouches for nothing.
    late = trusted_arrival(receipt("27T09:00"), main)
    assert late == (main, "commit", True, False)
    edge = main + CATCH_UP_AFTER
    assert trusted_arrival(Receipt("p", "b", "o", edge, None, 1), main).catch_up is False
    assert trusted_arrival(Receipt("p", "b", "o", edge + timedelta(seconds=1), None, 1), main).catch_up is True
    # No receipt: the main-line time alone, unattested.
    assert trusted_arrival(None, main) == (main, "commit", False, False)
    # An RFC 3161 stamp stands for the registry's own clock (it cannot be back-dated by the registry).
    assert trusted_arrival(receipt("25T12:00", "push", tsa="25T12:01"), main)[:2] == (t("25T12:01"), "tsa")


# ---- the scenario -----------------------------------------------------------------------------


@dataclass
class Report:
    name: str
    path: str
    branch: str
    expected: str


class Scenario:
    """A registry driven along a time line: pushes (receipted by the server hook when it is up),
    merges (checked first as the server's guard checks them), post-merge receive runs."""

    def __init__(self, reg: th.Registry) -> None:
        self.reg = reg
        self.hook = False  # the push hook (收文登记) is not installed yet
        self.job = False  # nor the post-merge receive job
        self.reports: dict[str, Report] = {}
        self.at_merge: dict[str, str] = {}  # path -> status check --base gave when the server merged it
        self.at_push: dict[str, list[str]] = {}  # path -> statuses CI gave after each push
        self.before_receipts: dict = {}
        # Caches stay out of the commits (`Registry.commit` adds everything in the work tree).
        (reg.root / ".git" / "info" / "exclude").write_text(".baosong-cache/\n")

    def write(self, name: str, day: str, n: int, when: str, expected: str, *, base: str = "main",
              doc: tuple[str, str] | None = None, **extra: object) -> Report:
        branch = f"r-{name}"
        self.reg.git("checkout", "-q", "-b", branch, base)
        extra.setdefault("created", iso(t(when) - timedelta(minutes=5)))
        path, text = doc or th.emergency(UNIT, AUTHOR, HEAD, day=day, n=n, **extra)
        self.reg.add_report(path, text, signer=AUTHOR, date=iso(t(when)))
        self.reg.checkout("main")
        report = self.reports[name] = Report(name, path, branch, expected)
        return report

    def push(self, report: Report, when: str) -> None:
        """The officer pushes the branch: the server hook receipts every new report blob it brings."""
        if self.hook:
            write_push_receipts(self.reg, report.branch, t(when))
        result = check_pr(self.reg.root, "main", t(when) + timedelta(minutes=1), report.branch)
        assert not [p for p in result.problems if p.is_error], result.problems
        self.at_push.setdefault(report.path, []).append(status(result, report.path))

    def merge(self, report: Report, when: str) -> None:
        """The office merges: the server's guard checks the change at that moment, then the job runs."""
        result = check_pr(self.reg.root, "main", t(when), report.branch)
        assert not [p for p in result.problems if p.is_error], result.problems
        for path in result.added:
            self.at_merge[path] = status(result, path)
        self.reg.merge(report.branch, date=iso(t(when)))
        if self.job:
            self.receive(iso(t(when) + timedelta(minutes=1)))

    def receive(self, now: str) -> None:
        proc = self.reg.baosong("receive", "--key", str(self.reg.world.keys["registry"]), "--now", now)
        assert proc.returncode == 0, proc.stderr

    def register(self, now: str = END) -> dict:
        proc = self.reg.baosong("registry", "--format", "json", "--now", now)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)


def status(result, path: str) -> str:
    return result.late[path]["status"] if path in result.late else "on_time"


def write_push_receipts(reg: th.Registry, branch: str, when: datetime) -> None:
    """What the server's post-receive hook writes for a push of `branch` (receipts.receive_push, the
    real writer): one `"via": "push"` receipt per new report blob, a checkpoint, the ref moved by
    compare-and-swap. The branch already exists here, so the push is replayed as its creation."""
    update = RefUpdate("0" * 40, reg.head(branch), f"refs/heads/{branch}")
    result = receive_push(reg.root, reg.world.keys["registry"], when, [update], use_cache=False)
    assert not result.problems, result.problems


def followup(incident: Report, day: str, n: int, when: str, sequence: int, **extra: str) -> tuple[str, str]:
    rid = f"{UNIT}-{day}-{AUTHOR}-{n:02d}"
    first_id = incident.path.rsplit("/", 1)[1][:-5]
    doc = {"id": rid, "kind": "emergency", "unit": UNIT, "title": "续报：某路段交通事故", "created_at": iso(t(when)),
           "author": AUTHOR, "signer": HEAD, "stage": "followup" if sequence else "final", "incident": first_id,
           "description": "伤员已送医，道路已恢复通行。"}
    if sequence:
        doc["sequence"] = sequence
    doc.update(extra)
    return f"reports/{day[:4]}/{UNIT}/{rid}.yaml", th._dump(doc)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def scenario(world, tmp_path_factory):
    reg = world.registry(tmp_path_factory.mktemp("arrival") / "r")
    s = Scenario(reg)
    late = "现场核实伤亡情况耗时较长。"
    # Before receipts: only main-line times. Merge delays of 0 minutes, 1 hour and 3 days
    # (city-written: 2 hours after the event).
    r1 = s.write("r1", "20261121", 1, "21T09:39", "on_time", occurred=iso(t("21T08:00")))
    s.push(r1, "21T09:40")
    s.merge(r1, "21T09:40")
    r2 = s.write("r2", "20261121", 2, "21T11:39", "late", occurred=iso(t("21T10:00")), delay_reason=late)
    s.push(r2, "21T11:40")
    s.merge(r2, "21T12:40")
    r3 = s.write("r3", "20261121", 3, "21T13:39", "missed", occurred=iso(t("21T12:00")), delay_reason=late)
    s.push(r3, "21T13:40")
    s.merge(r3, "24T13:40")
    s.before_receipts = s.register()
    # Receipts switched on: the first receive run stamps the three old reports with its own clock.
    s.receive(iso(t("25T09:00")))
    s.hook = s.job = True
    r4 = s.write("r4", "20261125", 1, "25T11:39", "on_time", occurred=iso(t("25T10:00")))
    s.push(r4, "25T11:40")
    s.merge(r4, "25T11:40")
    r9 = s.write("r9", "20261125", 2, "25T12:19", "on_time", doc=followup(r4, "20261125", 2, "25T12:15", 0))
    s.push(r9, "25T12:20")  # a final 40 minutes after the first report: it stands for follow-up 1, due in 60
    s.merge(r9, "25T12:20")
    # The first scenario: traffic, occurred 100 minutes before the push, deadline 19 minutes after
    # it; the office merges it an hour later, 41 minutes past the deadline.
    r5 = s.write("r5", "20261125", 3, "25T13:40", "on_time", occurred=iso(t("25T12:00")),
                 created=iso(t("25T13:30")))
    s.push(r5, "25T13:41")
    r8 = s.write("r8", "20261125", 4, "25T14:29", "on_time", base=r5.branch,
                 doc=followup(r5, "20261125", 4, "25T14:25", 1))
    s.push(r8, "25T14:30")  # its follow-up, on the same branch line, within the hour
    s.merge(r5, "25T14:41")
    r6 = s.write("r6", "20261125", 5, "25T16:39", "on_time", occurred=iso(t("25T15:00")))
    s.push(r6, "25T16:40")  # merged three days later
    # A branch pushed twice: the report edited between the pushes, each blob its own push receipt.
    r7 = s.write("r7", "20261126", 1, "26T09:39", "late", occurred=iso(t("26T08:00")))
    s.push(r7, "26T09:40")
    reg.checkout(r7.branch)
    path, text = th.emergency(UNIT, AUTHOR, HEAD, day="20261126", n=1, occurred=iso(t("26T08:00")),
                              created=iso(t("26T10:05")), description="两车相撞，一人重伤。", delay_reason="补充核实伤情后更正。")
    reg.add_report(path, text, signer=AUTHOR, date=iso(t("26T10:09")))
    reg.checkout("main")
    s.push(r7, "26T10:10")
    s.merge(r7, "26T10:20")
    # Two days of outage: neither the hook nor the post-merge job runs; the reports merged then
    # keep their main-line times, and the job's catch-up receipts afterwards do not move them.
    s.hook = s.job = False
    r11 = s.write("r11", "20261126", 2, "26T14:39", "late", occurred=iso(t("26T13:00")), delay_reason=late)
    s.push(r11, "26T14:40")
    s.merge(r11, "26T15:40")
    r12 = s.write("r12", "20261126", 3, "26T17:39", "on_time", occurred=iso(t("26T16:00")))
    s.push(r12, "26T17:40")
    s.merge(r12, "26T17:40")
    s.merge(r8, "28T09:00")
    s.hook = s.job = True
    s.receive(iso(t("28T12:00")))
    s.merge(r6, "28T16:40")
    r10 = s.write("r10", "20261128", 1, "28T16:59", "missed", doc=followup(r6, "20261128", 1, "28T16:55", 0,
                                                                               delay_reason=late))
    s.push(r10, "28T17:00")  # a final three days after its first report, which was never followed up
    s.merge(r10, "28T17:10")
    return s


def test_check_and_registry_agree_on_every_report(scenario):
    s = scenario
    data = s.register()
    statuses = {r["path"]: r["status"] for r in data["reports"]}
    expected = {r.path: r.expected for r in s.reports.values()}
    assert statuses == expected
    assert s.at_merge == expected  # the check the server runs at the merge
    assert data["invalid"] == []


def test_a_report_pushed_on_time_stays_on_time_however_late_the_merge(scenario):
    s = scenario
    data = s.register()
    r5 = next(r for r in data["reports"] if r["path"] == s.reports["r5"].path)
    assert (r5["status"], r5["time_source"], r5["receipt_via"]) == ("on_time", "push", "push")
    assert r5["received_at"] == "2026-11-25T13:41:00+08:00" and r5["merged_at"] == "2026-11-25T14:41:00+08:00"
    assert r5["deadline_at"] == "2026-11-25T14:00:00+08:00"
    assert s.at_push[s.reports["r5"].path] == ["on_time"]  # CI, a minute after the push
    r6 = next(r for r in data["reports"] if r["path"] == s.reports["r6"].path)
    assert (r6["status"], r6["time_source"]) == ("on_time", "push")  # merged three days later
    # Through the CLI, as the officer sees it: passed, no lateness.
    s.reg.checkout(s.reports["r5"].branch)
    try:
        proc = s.reg.baosong("check", "--base", "main", "--now", "2026-11-25T13:42:00+08:00")
    finally:
        s.reg.checkout("main")
    assert proc.returncode == 0 and "late" not in proc.stdout, proc.stdout


def test_each_pushed_blob_has_its_own_receipt(scenario):
    s = scenario
    r7 = s.reports["r7"]
    assert s.at_push[r7.path] == ["on_time", "late"]  # the edit arrived after the deadline
    data = s.register()
    rec = next(r for r in data["reports"] if r["path"] == r7.path)
    assert (rec["status"], rec["delay_minutes"], rec["time_source"]) == ("late", 10, "push")
    listing = s.reg.git("ls-tree", "-r", "--name-only", RECEIPTS_REF, "receipts/")
    first_blob = s.reg.git("rev-parse", f"{r7.branch}~1:{r7.path}")
    assert f"/{first_blob}.json" in listing  # the version pushed first was receipted too
    # A branch edited between two pushes is not a report changed on main.
    audit = s.reg.baosong("audit")
    assert audit.returncode == 0, audit.stdout


def test_receipts_switched_on_later_or_an_outage_do_not_retime_reports(scenario):
    """The first receive run stamped three old reports days after their merges, and the job caught
    up after its outage: those are catch-up receipts, and the statuses stay what the merges said."""
    s = scenario
    before = {r["path"]: r["status"] for r in s.before_receipts["reports"]}
    data = s.register()
    after = {r["path"]: r for r in data["reports"]}
    for name in ("r1", "r2", "r3"):
        path = s.reports[name].path
        assert after[path]["status"] == before[path] == s.reports[name].expected
        assert (after[path]["time_source"], after[path]["catch_up"], after[path]["attested"]) == ("commit", True, False)
        assert after[path]["receipt_at"] == "2026-11-25T09:00:00+08:00"
    for name in ("r11", "r12"):
        r = after[s.reports[name].path]
        assert (r["time_source"], r["catch_up"], r["receipt_via"]) == ("commit", True, "receive")
    assert data["summary"]["catch_up"] == 5
    verify = s.reg.baosong("verify")
    assert verify.returncode == 0, verify.stdout
    assert verify.stdout.count("[receipt-catch-up]") == 5 and "补登回执 5 份" in verify.stdout
    table = s.reg.baosong("registry", "--now", END).stdout
    assert "合并时间·补登" in table and "收文回执" in table and "补登回执 5 份" in table


def test_the_first_scenario_on_the_portal_and_in_the_scores(scenario):
    from baosong.exports import context_scores
    from baosong.portal.data import load_context
    from baosong.portal.reports import report_html

    s = scenario
    ctx = load_context(s.reg.root, now=parse_datetime(END))
    rid = s.reports["r5"].path.rsplit("/", 1)[1][:-5]
    record = ctx.reports_by_id[rid]
    page = report_html(ctx, record, ctx.document(rid) or {}, "1")
    assert "按时" in page and "迟报" not in page
    assert "收文回执" in page and "不计入报送单位的时限" in page
    entries = context_scores(ctx).entries
    charged = {e["report"] for e in entries if e["type"] in ("late", "missed")}
    assert rid not in charged
    # The late and missed reports of the scenario are charged, each once.
    late_ids = {r.path.rsplit("/", 1)[1][:-5] for r in s.reports.values() if r.expected in ("late", "missed")}
    assert late_ids <= charged
    # A catch-up receipt shows on its report's page.
    r11 = s.reports["r11"].path.rsplit("/", 1)[1][:-5]
    assert "补登回执" in report_html(ctx, ctx.reports_by_id[r11], ctx.document(r11) or {}, "2")


def test_a_final_and_a_never_filed_followup(scenario):
    s = scenario
    data = s.register()
    by_path = {r["path"]: r for r in data["reports"]}
    r9, r10 = by_path[s.reports["r9"].path], by_path[s.reports["r10"].path]
    assert (r9["stage"], r9["status"], r9["deadline_rule"]) == ("final", "on_time", "followup.first_within_minutes")
    assert (r10["stage"], r10["status"]) == ("final", "missed")
    incidents = {i["id"]: i for i in data["incidents"]}
    r1 = s.reports["r1"].path.rsplit("/", 1)[1][:-5]
    assert incidents[r1]["missed_followup"]["sequence"] == 1  # never followed up, long past its window
    r5 = s.reports["r5"].path.rsplit("/", 1)[1][:-5]
    assert incidents[r5]["missed_followup"]["sequence"] == 2  # follow-up 1 filed, follow-up 2 never
