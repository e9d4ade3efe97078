"""Pull-request mode (`baosong check --base main`) with real repositories and real SSH signatures."""

from __future__ import annotations

import json
import subprocess

import pytest
import trust_helpers as th

NOW = "2026-11-25T11:00:00+08:00"  # an hour after the accident: on time (city rule: 2 h)
DAY = "2026-11-25T10:40:00+08:00"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def pr_check(reg: th.Registry, now: str = NOW) -> tuple[int, list[dict], str]:
    proc = reg.baosong("check", "--base", "main", "--now", now, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def rules(problems: list[dict]) -> set[str]:
    return {p["rule"] for p in problems}


def open_pr(reg: th.Registry, files: dict[str, str], signer: str | None, date: str = DAY) -> str:
    reg.branch("pr")
    for path, text in files.items():
        reg.write(path, text)
    return reg.commit("pr", signer=signer, date=date)


def test_signed_report_by_own_unit_passes(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    open_pr(reg, dict([th.emergency("gaj", "wanghao", "liuzhenhua")]), "wanghao")
    code, problems, _ = pr_check(reg)
    assert (code, problems) == (0, [])
    text = reg.baosong("check", "--base", "main", "--now", NOW).stdout
    assert "检查通过" in text and "新增 1 个报告" in text


def test_unit_ca_certificate_is_accepted_for_its_own_unit_only(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    open_pr(reg, dict([th.info("xhq", "chenxue", "xuguoqiang")]), "chenxue-cert")
    assert pr_check(reg)[0] == 0
    reg.checkout("main")
    reg.git("branch", "-D", "pr")
    open_pr(reg, dict([th.info("gaj", "wanghao", "liuzhenhua")]), "chenxue-cert")
    code, problems, _ = pr_check(reg)
    assert code == 1 and "signature-wrong-unit" in rules(problems)


@pytest.mark.parametrize("case", ["unsigned", "unknown_key", "wrong_unit", "revoked"])
def test_bad_signatures_are_refused_naming_commit_and_key(world, tmp_path, case):
    units = world.units_doc(_revoked=[world.pub("wanghao")]) if case == "revoked" else None
    reg = world.registry(tmp_path / "r", units)
    signer = {"unsigned": None, "unknown_key": "outsider", "wrong_unit": "lijing", "revoked": "wanghao"}[case]
    commit = open_pr(reg, dict([th.emergency("gaj", "wanghao", "liuzhenhua")]), signer)
    code, problems, _ = pr_check(reg)
    assert code == 1
    rule = f"signature-{case.replace('_', '-')}"
    hits = [p for p in problems if p["rule"] == rule]
    assert hits, problems
    assert commit[:10] in hits[0]["message"]
    if signer is not None:
        fingerprint = th.run(["ssh-keygen", "-lf", f"{world.keys[signer]}.pub"]).stdout.decode().split()[1]
        assert fingerprint in hits[0]["message"]


def test_expired_key_cannot_sign_by_back_dating_the_commit(world, tmp_path):
    # wanghao left on 1 November; he back-dates his commit to October, when his key was valid.
    units = world.units_doc(wanghao={"valid_before": "2026-11-01T00:00:00+08:00"})
    reg = world.registry(tmp_path / "r", units)
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    open_pr(reg, {path: text}, "wanghao", date="2026-10-20T10:00:00+08:00")
    # git itself trusts the committer date and calls the signature good...
    (tmp_path / "allowed").write_text(f'wanghao@gaj valid-before="20261101000000" {world.pub("wanghao")}\n')
    git_view = reg.git("-c", f"gpg.ssh.allowedSignersFile={tmp_path / 'allowed'}", "log", "-1", "--format=%G?")
    assert git_view == "G"
    # ...but the check verifies at the CI clock.
    code, problems, _ = pr_check(reg)
    assert code == 1 and "signature-expired" in rules(problems)


def test_change_cannot_loosen_its_own_trust_roots(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    units = world.units_doc(wanghao={"keys": [world.pub("wanghao"), world.pub("outsider")]})
    reg.write_units(units)
    reg.commit("register my other key", signer="outsider", date=DAY)
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.add_report(path, text, signer="outsider", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    found = rules(problems)
    assert {"signature-unknown-key", "trust-root-change"} <= found
    assert any(p["path"] == "config/units.yaml" and p["rule"] == "trust-root-change" for p in problems)
    assert any(p["path"] == path and p["rule"] == "signature-unknown-key" for p in problems)


def test_trust_root_change_needs_an_admin_signature(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    reg.write("config/policy.yaml", (reg.root / "config/policy.yaml").read_text().replace(
        "missed_after_minutes: 1440", "missed_after_minutes: 99999"))
    reg.commit("loosen the missed rule", signer="wanghao", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    assert [p["path"] for p in problems if p["rule"] == "trust-root-change"] == ["config/policy.yaml"]
    # The same change signed by a registry admin passes.
    reg.git("commit", "-q", "--amend", "-S", "--no-edit", signer="wangli", date=DAY)
    assert pr_check(reg)[0] == 0


@pytest.fixture()
def merged(world, tmp_path):
    """A registry whose main already holds one accepted report."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    reg.branch("pr")
    return reg, path, text


@pytest.mark.parametrize("case, rule", [("edit", "report-modified"), ("delete", "report-deleted"),
                                        ("rename", "report-renamed"), ("mode", "report-mode-change"),
                                        ("symlink", "report-symlink")])
def test_only_additions_of_regular_files(merged, case, rule):
    reg, path, text = merged
    target = reg.root / path
    if case == "edit":
        target.write_text(text.replace("两车相撞", "三车相撞"))
    elif case == "delete":
        target.unlink()
    elif case == "rename":
        reg.git("mv", path, path.replace("-01.yaml", "-02.yaml"))
    elif case == "mode":
        target.chmod(0o755)
    else:
        target.unlink()
        target.symlink_to("/etc/passwd")
    reg.commit(case, signer="wanghao", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    assert rule in rules(problems), problems
    assert any(p["rule"] == rule and p["path"].startswith("reports/2026/gaj/") for p in problems)
    if case == "rename":
        assert "report-deleted" not in rules(problems)  # a rename gets its own message


def test_new_symlink_and_malformed_path_refused(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    (reg.root / "reports/2026/gaj").mkdir(parents=True)
    (reg.root / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml").symlink_to("../../../config/units.yaml")
    reg.write("reports/2026/gaj/notes.txt", "hello\n")
    reg.commit("odd files", signer="wanghao", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    assert {"report-symlink", "path-layout"} <= rules(problems)


def test_report_content_comes_from_git_not_the_work_tree(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    open_pr(reg, {path: text.replace('kind: "emergency"', 'kind: "nonsense"')}, "wanghao")
    reg.write(path, text)  # the work tree looks fine; the commit is what gets merged
    code, problems, _ = pr_check(reg)
    assert code == 1 and any(p["path"] == path and p["field"] == "kind" for p in problems)


def test_late_report_needs_a_reason_and_passes_with_one(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    open_pr(reg, {path: text}, "wanghao")
    late_now = "2026-11-25T13:35:00+08:00"  # deadline 12:00: 1 h 35 min late
    code, problems, _ = pr_check(reg, late_now)
    hit = [p for p in problems if p["rule"] == "late-no-reason"]
    assert code == 1 and hit
    assert "1小时35分钟" in hit[0]["message"] and "delay_reason" in hit[0]["message"]
    reg.write(path, text + 'delay_reason: "道路中断，现场信号不畅，无法及时上报。"\n')
    reg.commit("explain", signer="wanghao", date=DAY)
    code, problems, _ = pr_check(reg, late_now)
    assert code == 0
    assert [p["rule"] for p in problems] == ["late-recorded"] and problems[0]["severity"] == "warning"
    # Missed (over 24 h) is still never refused once explained.
    code, problems, _ = pr_check(reg, "2026-11-27T10:00:00+08:00")
    assert code == 0 and "漏报" in problems[0]["message"]


def test_forged_commit_date_does_not_make_a_late_report_on_time(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    open_pr(reg, {path: text}, "wanghao", date="2026-11-25T10:30:00+08:00")  # claims to be on time
    code, problems, _ = pr_check(reg, "2026-11-25T15:00:00+08:00")
    assert code == 1 and "late-no-reason" in rules(problems)


def test_shallow_clone_is_refused_with_the_fix(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    open_pr(reg, dict([th.emergency("gaj", "wanghao", "liuzhenhua")]), "wanghao")
    clone = tmp_path / "shallow"
    th.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{reg.root}", str(clone)],
           env=world.env)
    proc = subprocess.run([th.BAOSONG, "check", "--base", "origin/main", "--now", NOW], cwd=clone, env=world.env,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "shallow-clone" in proc.stdout and "git fetch --unshallow" in proc.stdout and "fetch-depth: 0" in proc.stdout


def followup(first_id: str, n: int, seq: int, created: str) -> tuple[str, str]:
    rid = f"gaj-20261125-wanghao-{n:02d}"
    text = (f'id: "{rid}"\nkind: "emergency"\nunit: "gaj"\ntitle: "续报"\ncreated_at: "{created}"\nauthor: "wanghao"\n'
            f'signer: "liuzhenhua"\nstage: "followup"\nincident: "{first_id}"\nsequence: {seq}\n'
            'description: "伤员已全部送医。"\n')
    return f"reports/2026/gaj/{rid}.yaml", text


def test_cross_file_rules_and_follow_up_duty_against_main(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    proc = reg.baosong("receive", "--key", str(world.keys["registry"]), "--now", "2026-11-25T10:45:00+08:00")
    assert proc.returncode == 0, proc.stderr
    reg.branch("pr")
    f1, t1 = followup("gaj-20261125-wanghao-01", 2, 1, "2026-11-25T11:30:00+08:00")
    f2, t2 = followup("gaj-20261125-wanghao-77", 3, 1, "2026-11-25T11:30:00+08:00")
    reg.write(f1, t1)
    reg.write(f2, t2)
    reg.commit("follow-ups", signer="wanghao", date=DAY)
    # The first follow-up is due 60 min after the first report's receipt (10:45): 11:45.
    code, problems, _ = pr_check(reg, "2026-11-25T11:40:00+08:00")
    assert code == 1
    assert {(p["path"], p["rule"]) for p in problems} == {(f2, "ref-missing")}
    code, problems, _ = pr_check(reg, "2026-11-25T12:10:00+08:00")
    late = [p for p in problems if p["rule"] == "late-no-reason"]
    assert [p["path"] for p in late] == [f1] and "followup.first_within_minutes" in late[0]["message"]


def test_late_report_with_an_invisible_reason_is_refused(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    # Four HANGUL FILLERs (category Lo) look like a blank field and passed `reason.strip()`.
    open_pr(reg, {path: text + 'delay_reason: "\u3164\u3164\u3164\u3164"\n'}, "wanghao")
    code, problems, _ = pr_check(reg, "2026-11-25T13:35:00+08:00")
    assert code == 1
    assert {"late-no-reason", "reason-text"} <= rules(problems)
    assert "late-recorded" not in rules(problems)


def test_time_at_an_odd_offset_is_refused(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", occurred="2026-11-24T14:00:00-12:00")
    open_pr(reg, {path: text}, "wanghao")
    code, problems, _ = pr_check(reg)
    hit = [p for p in problems if p["rule"] == "time-offset"]
    assert code == 1 and [p["field"] for p in hit] == ["occurred_at"]
    assert "即北京时间 2026-11-25 10:00，请写成 2026-11-25T10:00:00+08:00" in hit[0]["message"]


SERIES_STAFF = {"gaj": ("wanghao", "liuzhenhua"), "dcq": ("lijing", "sunweidong"), "xhq": ("chenxue", "xuguoqiang")}


def series_report(unit: str, stage: str, incident: str, created: str, sequence: int | None = None,
                  ) -> tuple[str, str]:
    author, head = SERIES_STAFF[unit]
    rid = f"{unit}-20261125-{author}-{2 if unit == 'gaj' else 1:02d}"
    text = (f'id: "{rid}"\nkind: "emergency"\nunit: "{unit}"\ntitle: "事件进展"\ncreated_at: "{created}"\n'
            f'author: "{author}"\nsigner: "{head}"\nstage: "{stage}"\nincident: "{incident}"\n'
            + (f"sequence: {sequence}\n" if sequence else "") + 'description: "最新处置情况。"\n')
    return f"reports/2026/{unit}/{rid}.yaml", text


def signer_of(unit: str) -> str:
    return "chenxue-cert" if unit == "xhq" else SERIES_STAFF[unit][0]


def merged_first(world, tmp_path) -> tuple[th.Registry, str]:
    """gaj's incident on main, naming dcq as involved."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", involved_units=["dcq"])
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    return reg, "gaj-20261125-wanghao-01"


@pytest.mark.parametrize(("unit", "stage", "allowed"), [
    ("dcq", "followup", True),  # involved unit: may follow up
    ("dcq", "final", False),  # ... but only the incident's own unit closes it
    ("xhq", "followup", False),  # not involved
    ("xhq", "final", False),
])
def test_only_the_incidents_own_or_involved_unit_reports_on_it(world, tmp_path, unit, stage, allowed):
    reg, incident = merged_first(world, tmp_path)
    path, text = series_report(unit, stage, incident, "2026-11-25T10:50:00+08:00",
                               1 if stage == "followup" else None)
    open_pr(reg, {path: text}, signer_of(unit))
    code, problems, _ = pr_check(reg)
    errors = [(p["path"], p["rule"]) for p in problems if p["severity"] == "error"]
    if allowed:
        assert code == 0 and errors == []
        return
    assert code == 1 and errors == [(path, "incident-unit")]
    msg = problems[[p["rule"] for p in problems].index("incident-unit")]["message"]
    assert incident in msg and "“gaj”" in msg and f"“{unit}”" in msg


def test_another_units_final_on_main_neither_closes_the_incident_nor_blocks_its_owner(world, tmp_path):
    reg, incident = merged_first(world, tmp_path)
    # xhq's final reached main without the check (older history, or a bypassed pipeline).
    foreign, text = series_report("xhq", "final", incident, "2026-11-25T10:45:00+08:00")
    reg.branch("foreign")
    reg.add_report(foreign, text, signer="chenxue-cert", date=DAY)
    reg.merge("foreign", date=DAY)
    reg.branch("pr")
    own, text = series_report("gaj", "followup", incident, "2026-11-25T10:50:00+08:00", 1)
    reg.add_report(own, text, signer="wanghao", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 0 and "after-final" not in rules(problems)
    reg.checkout("main")
    proc = reg.baosong("registry", "--format", "json", "--now", "2026-11-26T12:00:00+08:00")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    inc = next(i for i in data["incidents"] if i["id"] == incident)
    assert inc["closed_at"] is None and inc["reports"] == [incident] and inc["overdue"] is True
    invalid = [i for i in data["invalid"] if i["path"] == foreign]
    assert [p["rule"] for p in invalid[0]["problems"]] == ["incident-unit"]
    assert invalid[0]["problems"][0]["line"] == 9 and invalid[0]["received_at"]
    assert foreign not in {r["path"] for r in data["reports"]}


# --- revisions: a tag named like the base ----------------------------------------------------------------


def test_tag_named_like_the_base_is_ambiguous_not_the_pr_head(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    open_pr(reg, dict([th.emergency("gaj", "wanghao", "liuzhenhua")]), None)
    reg.git("update-ref", "refs/remotes/origin/main", "main")
    reg.git("tag", "origin/main", "HEAD")  # pushed next to the branch: points at the pull request itself
    proc = reg.baosong("check", "--base", "origin/main", "--now", NOW)
    assert proc.returncode == 1, proc.stdout  # was: "0 个提交 … 检查通过"
    assert "[rev-ambiguous]" in proc.stdout and "检查通过" not in proc.stdout
    assert "refs/tags/origin/main" in proc.stdout and "refs/remotes/origin/main" in proc.stdout
    proc = reg.baosong("check", "--base", "refs/remotes/origin/main", "--now", NOW, "--format", "json")
    assert proc.returncode == 1 and rules(json.loads(proc.stdout)) == {"signature-unsigned"}
    commit = reg.head("main")
    proc = reg.baosong("check", "--base", commit, "--now", NOW)
    assert proc.returncode == 1 and "1 个提交" in proc.stdout and "signature-unsigned" in proc.stdout


def test_revisions_resolve_strictly(world, tmp_path):
    from baosong.gitrepo import RevisionError, resolve_commit

    reg = world.registry(tmp_path / "r")
    main = reg.head()
    second = reg.commit("second", signer="wangli", date=DAY)
    assert resolve_commit(reg.root, "HEAD") == second
    assert resolve_commit(reg.root, "main~1") == main
    assert resolve_commit(reg.root, "refs/heads/main^") == main
    assert resolve_commit(reg.root, main) == main
    assert resolve_commit(reg.root, main[:8]) == main
    reg.git("tag", main[:8], second)  # a tag spelled like an abbreviated commit id
    with pytest.raises(RevisionError) as err:
        resolve_commit(reg.root, main[:8])
    assert err.value.rule == "rev-ambiguous" and f"refs/tags/{main[:8]}" in err.value.candidates
    assert resolve_commit(reg.root, main) == main  # a full id always names its object
    reg.git("tag", "HEAD", main)  # git itself reads HEAD from the git directory first
    assert resolve_commit(reg.root, "HEAD") == second
    for bad in ("--all", "-h", "nope", "main:config", "@{u}", "", "main\nx"):
        with pytest.raises(RevisionError) as err:
            resolve_commit(reg.root, bad)
        assert err.value.rule == "rev-unknown", bad
    proc = reg.baosong("check", "--base=--output=x", "--now", NOW)  # never read as an option of git
    assert proc.returncode == 1 and "[base-unknown]" in proc.stdout and not (reg.root / "x").exists()


@pytest.mark.parametrize("command", ["registry", "audit", "verify", "build", "receive", "export"])
def test_every_rev_option_refuses_an_ambiguous_name(world, tmp_path, command):
    reg = world.registry(tmp_path / "r")
    reg.git("update-ref", "refs/remotes/origin/main", "main")
    reg.commit("later", signer="wangli", date=DAY)
    reg.git("tag", "origin/main", "HEAD")
    extra = {"receive": ["--key", str(world.keys["registry"])], "build": ["--out", str(tmp_path / "site")],
             "export": ["--what", "register", "--period", "2026", "--out", str(tmp_path / "x.csv")]}
    proc = reg.baosong(command, "--rev", "origin/main", *extra.get(command, []))
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "有歧义" in proc.stderr and "refs/remotes/origin/main" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# --- evil merges: the rules are about the merged tree --------------------------------------------------


@pytest.fixture()
def stale(world, tmp_path):
    """A pull request forked from the initial registry, with one signed dcq report; main then moves on."""
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    path, text = th.info("dcq", "lijing", "sunweidong")
    reg.add_report(path, text, signer="lijing", date=DAY)
    reg.checkout("main")
    return reg


def evil_merge(reg: th.Registry, signer: str | None = "lijing") -> str:
    """`git merge -s ours main` on the pull request: a merge commit whose tree keeps the branch's files."""
    reg.checkout("pr")
    args = ["merge", "-q", "-s", "ours", "-m", "Merge main", "main"]
    if signer:
        args.insert(1, "-S")
    reg.git(*args, signer=signer, date=DAY)
    return reg.head()


def test_revocation_undone_by_an_evil_merge_is_refused(world, stale):
    reg = stale
    reg.write_units(world.units_doc(_revoked=[world.pub("wanghao")]))
    reg.commit("revoke wanghao's key", signer="wangli", date=DAY)
    evil_merge(reg)
    assert "wanghao" not in (reg.root / "config/units.yaml").read_text().split("revoked_keys")[1].split("units")[0]
    code, problems, _ = pr_check(reg)
    assert code == 1, problems  # was: passed, and the merge would have undone the revocation
    hits = [p for p in problems if p["rule"] == "trust-root-change"]
    assert [p["path"] for p in hits] == ["config/units.yaml"] and "-s ours" in hits[0]["message"]
    assert "lijing@dcq" in hits[0]["message"]


@pytest.mark.parametrize("target", ["config/policy.yaml", "schema/report.schema.json", "tools/hook.sh"])
def test_any_trust_root_reverted_by_an_evil_merge_is_refused(stale, target):
    reg = stale
    if target == "tools/hook.sh":  # tooling main gains, which the merge would drop again
        reg.write(target, "#!/bin/sh\nexec baosong check --base refs/remotes/origin/main\n")
    else:
        old = (reg.root / target).read_text()
        new = old.replace("missed_after_minutes: 1440", "missed_after_minutes: 720").replace(
            '"maxLength": 2000', '"maxLength": 1000')
        assert new != old
        reg.write(target, new)
    reg.commit(f"admin changes {target}", signer="wangli", date=DAY)
    evil_merge(reg)
    code, problems, _ = pr_check(reg)
    assert code == 1, problems
    assert [p["path"] for p in problems if p["rule"] == "trust-root-change"] == [target]


def test_admin_signed_merge_may_keep_a_trust_root(world, stale):
    reg = stale
    reg.write_units(world.units_doc(_revoked=[world.pub("wanghao")]))
    reg.commit("revoke wanghao's key", signer="wangli", date=DAY)
    evil_merge(reg, signer="wangli")  # the same merge, made and signed by a registry admin, is an admin's act
    code, problems, _ = pr_check(reg)
    assert "trust-root-change" not in rules(problems), problems


def test_base_report_deleted_by_an_evil_merge_is_refused(stale):
    reg = stale
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    evil_merge(reg)
    assert not (reg.root / path).exists()
    code, problems, _ = pr_check(reg)
    assert code == 1
    assert [(p["path"], p["rule"]) for p in problems] == [(path, "report-deleted")]


def test_base_report_modified_by_an_evil_merge_is_refused(stale):
    reg = stale
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    reg.checkout("pr")
    reg.git("merge", "-q", "--no-commit", "main")
    reg.write(path, text.replace("两车相撞", "一车侧翻"))
    reg.git("add", path)
    reg.git("-c", "core.editor=true", "commit", "-q", "-S", "--no-edit", signer="lijing", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1 and (path, "report-modified") in {(p["path"], p["rule"]) for p in problems}


@pytest.mark.parametrize("signer, rule", [(None, "signature-unsigned"), ("lijing", "signature-wrong-unit")])
def test_report_smuggled_in_a_merge_commit_is_judged_by_its_signer(stale, signer, rule):
    reg = stale
    reg.add_report("reports/2026/dcq/.gitkeep", "", signer="wangli", date=DAY)  # main moves on
    reg.checkout("pr")
    reg.git("merge", "-q", "--no-commit", "main")
    gaj, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.write(gaj, text)
    reg.git("add", gaj)
    args = ["-c", "core.editor=true", "commit", "-q", "--no-edit"] + (["-S"] if signer else [])
    reg.git(*args, signer=signer, date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    assert (gaj, rule) in {(p["path"], p["rule"]) for p in problems}, problems


def test_report_brought_back_by_an_evil_merge_is_unattributed(stale):
    # gaj's report was accepted, then withdrawn from main by an admin; a dcq officer's stale branch
    # brings it back with `merge -s ours`: no commit of the change adds it, nobody of gaj signed it.
    reg = stale
    reg.checkout("pr")
    reg.git("reset", "-q", "--hard", "main")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.checkout("main")
    reg.git("merge", "-q", "--ff-only", "pr")
    reg.git("rm", "-q", path)
    reg.commit("withdraw a report", signer="wangli", date=DAY)
    reg.checkout("pr")
    dcq, dtext = th.info("dcq", "lijing", "sunweidong")
    reg.add_report(dcq, dtext, signer="lijing", date=DAY)
    evil_merge(reg)
    code, problems, _ = pr_check(reg)
    assert code == 1, problems  # was: passed with the gaj report signed by nobody of gaj
    assert [(p["path"], p["rule"]) for p in problems] == [(path, "report-unattributed")]


def test_stale_branch_still_passes(world, stale):
    reg = stale
    reg.write_units(world.units_doc(_revoked=[world.pub("wanghao")]))
    reg.commit("revoke wanghao's key", signer="wangli", date=DAY)
    path, text = th.emergency("gaj", "liuzhenhua", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="liuzhenhua", date=DAY)
    reg.merge("first", date=DAY)
    reg.checkout("pr")
    code, problems, _ = pr_check(reg)
    assert (code, problems) == (0, [])
    text = reg.baosong("check", "--base", "main", "--now", NOW).stdout
    assert "1 个提交" in text and "新增 1 个报告" in text
    # An ordinary merge of main into the branch (signed by the officer) passes too.
    reg.git("merge", "-q", "-S", "-m", "Merge main", "main", signer="lijing", date=DAY)
    code, problems, _ = pr_check(reg)
    assert (code, problems) == (0, [])


def test_admin_change_on_a_branch_passes_and_conflicts_are_reported(stale):
    reg = stale
    reg.checkout("pr")
    policy = (reg.root / "config/policy.yaml").read_text()
    reg.write("config/policy.yaml", policy.replace("missed_after_minutes: 1440", "missed_after_minutes: 2880"))
    reg.commit("admin loosens", signer="wangli", date=DAY)
    assert pr_check(reg)[0] == 0
    reg.checkout("main")
    reg.write("config/policy.yaml", policy.replace("missed_after_minutes: 1440", "missed_after_minutes: 720"))
    reg.commit("admin tightens", signer="wangli", date=DAY)
    reg.checkout("pr")
    code, problems, _ = pr_check(reg)
    assert code == 1 and [(p["path"], p["rule"]) for p in problems] == [("config/policy.yaml", "merge-conflict")]
    assert "git merge" in problems[0]["message"] or "rebase" in problems[0]["message"]
    # Edits on both sides that git merges cleanly give content no admin signed: rebase first.
    reg.git("reset", "-q", "--hard", "HEAD~1")
    reg.write("config/policy.yaml", policy.rstrip("\n") + "\n# admin note\n")
    reg.commit("admin appends a note", signer="wangli", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1 and [(p["path"], p["rule"]) for p in problems] == [("config/policy.yaml", "trust-root-change")]
    assert "自动合并" in problems[0]["message"]


# --- a tracked .baosong-cache -------------------------------------------------------------------------------


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("where", [".baosong-cache/signatures.pickle", "reports/2026/gaj/.baosong-cache/x",
                                   "deleted-later"])
def test_tracked_cache_is_refused_whoever_signed_it(world, tmp_path, where):
    import pickle

    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    marker = tmp_path / "payload-ran"
    target = ".baosong-cache/signatures.pickle" if where == "deleted-later" else where
    reg.write(target, pickle.dumps(_Payload(str(marker))))
    reg.git("add", "-f", target)
    reg.git("commit", "-q", "-S", "-m", "cache", signer="wangli", date=DAY)  # even a registry admin
    if where == "deleted-later":
        reg.git("rm", "-q", "--cached", "-r", ".baosong-cache")
        reg.git("commit", "-q", "-S", "-m", "oops", signer="wangli", date=DAY)
    code, problems, _ = pr_check(reg)
    assert code == 1
    hits = [p for p in problems if p["rule"] == "cache-in-tree"]
    expected = "reports/2026/gaj/.baosong-cache" if where.startswith("reports/") else ".baosong-cache"
    assert [p["path"] for p in hits] == [expected], problems
    assert f"git rm -r --cached {expected}" in hits[0]["message"]
    assert not marker.exists()  # nothing was read from it


def test_another_units_follow_up_does_not_set_the_next_deadline(world, tmp_path):
    """A follow-up of a unit that may not report on the incident (it reached main past the check) is
    set aside by the register; the PR check must not count the next follow-up from its arrival."""
    reg = world.registry(tmp_path / "r")
    key = str(world.keys["registry"])
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    assert reg.baosong("receive", "--key", key, "--now", "2026-11-25T10:45:00+08:00").returncode == 0
    foreign = (path.replace("gaj", "dcq").replace("wanghao", "lijing"),
               followup("gaj-20261125-wanghao-01", 5, 1, "2026-11-25T10:55:00+08:00")[1]
               .replace('unit: "gaj"', 'unit: "dcq"').replace('author: "wanghao"', 'author: "lijing"')
               .replace('signer: "liuzhenhua"', 'signer: "sunweidong"')
               .replace("gaj-20261125-wanghao-05", "dcq-20261125-lijing-01"))
    reg.add_report(*foreign, signer="lijing", date="2026-11-25T10:56:00+08:00")  # straight onto main
    assert reg.baosong("receive", "--key", key, "--now", "2026-11-25T11:00:00+08:00").returncode == 0
    reg.branch("own")
    reg.add_report(*followup("gaj-20261125-wanghao-01", 2, 1, "2026-11-25T11:30:00+08:00"), signer="wanghao",
                   date="2026-11-25T11:31:00+08:00")
    reg.merge("own", date="2026-11-25T11:35:00+08:00")
    assert reg.baosong("receive", "--key", key, "--now", "2026-11-25T11:40:00+08:00").returncode == 0
    registered = json.loads(reg.baosong("registry", "--format", "json", "--now", "2026-11-25T12:00:00+08:00").stdout)
    assert foreign[0] in {r["path"] for r in registered["invalid"]}
    # Follow-up 2 is due 24 h after gaj's own follow-up 1 arrived (11:40), not after dcq's (11:00).
    open_pr(reg, dict([followup("gaj-20261125-wanghao-01", 3, 2, "2026-11-26T11:10:00+08:00")]), "wanghao",
            date="2026-11-26T11:15:00+08:00")
    code, problems, _ = pr_check(reg, "2026-11-26T11:20:00+08:00")
    assert "late-no-reason" not in rules(problems), problems
    code, problems, _ = pr_check(reg, "2026-11-26T11:45:00+08:00")
    assert "late-no-reason" in rules(problems)
