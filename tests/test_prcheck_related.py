"""PR mode finds the reports related to the added ones by a byte search (`prcheck.mentions`,
`prcheck.may_mention`) instead of judging every report: it must be exact, also for reports on main
that spell an id in every way YAML allows (escapes, folding, flow style, quoted keys, CRLF, a BOM)."""

from __future__ import annotations

import json

import pytest
import trust_helpers as th
from baosong.prcheck import may_mention, mentions
from baosong.yamlload import load_yaml

W = "gaj-20261125-wanghao-01"

# (name, YAML text whose `incident` is spelled in that way). Every one loads and gives W.
SPELLINGS = [
    ("plain", f"incident: {W}\n"),
    ("single-quoted", f"incident: '{W}'\n"),
    ("double-quoted", f'incident: "{W}"\n'),
    ("hex-escape", 'incident: "gaj-2026112\\x35-wanghao-01"\n'),
    ("unicode-escape", 'incident: "\\u0067aj-20261125-wanghao-01"\n'),
    ("long-escape", 'incident: "gaj-20261125-wanghao-0\\U00000031"\n'),
    ("escaped-line-break", 'incident: "gaj-20261125-\\\n  wanghao-01"\n'),
    ("every-char-escaped", 'incident: "' + "".join(f"\\x{ord(c):02x}" for c in W) + '"\n'),
    ("literal-block", f"incident: |-\n  {W}\n"),
    ("folded-block", f"incident: >-\n  {W}\n"),
    ("flow", f'{{"incident": {W}, kind: emergency}}\n'),
    ("flow-multi-line", f"{{kind: emergency,\n  incident:\n    {W}}}\n"),
    ("quoted-key", f'"incident": {W}\n'),
    ("escaped-key", f'"in\\x63ident": {W}\n'),
    ("explicit-key", f"? incident\n: {W}\n"),
    ("crlf", f"kind: emergency\r\nincident: \"{W}\"\r\n"),
    ("lone-cr", f"kind: emergency\rincident: {W}\r"),
    ("bom", f"\ufeffincident: {W}\n"),
    ("comment-after", f"incident: {W} # {W[:8]}\n"),
    ("indented-continuation-quoted", f'incident: "{W}\n  "\n'),  # folds to "W " — not W (checked below)
]


@pytest.mark.parametrize(("name", "text"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_every_spelling_of_an_id_is_found(name, text):
    data = text.encode()
    loaded = load_yaml(data, "x.yaml")
    assert loaded.data is not None, loaded.problems
    if name == "indented-continuation-quoted":
        assert loaded.data["incident"] != W  # folding adds a space: no id
        return
    assert loaded.data["incident"] == W
    assert may_mention(mentions(data), {W})
    assert may_mention(mentions(data), {"dcq-20261125-lijing-01", W})


@pytest.mark.parametrize("text", [
    'incident: "gaj-20261125-\n  wanghao-01"\n',  # a folded line break is a space
    "incident: gaj-20261125-\n  wanghao-01\n",
    "incident: >\n  gaj-20261125-\n  wanghao-01\n",
    "incident: 'gaj-20261125-''wanghao-01'\n",
])
def test_folded_spellings_never_make_an_id(text):
    loaded = load_yaml(text.encode(), "x.yaml")
    assert loaded.data is None or loaded.data["incident"] != W


def test_the_search_keeps_out_reports_that_cannot_hold_the_id():
    other = b'id: dcq-20261125-lijing-01\nincident: "gaj-20261125-wanghao-02"\ndescription: "gaj-2026"\n'
    assert not may_mention(mentions(other), {W})
    assert may_mention(mentions(other), {"dcq-20261125-lijing-01"})
    assert may_mention(mentions(other), {"gaj-20261125-wanghao-02"})
    # a comment naming the id makes the report a candidate; judging it in full then keeps it out
    assert may_mention(mentions(other + f"# {W}\n".encode()), {W})
    # an id at the very start or end of the blob, next to non-ASCII text
    assert may_mention(mentions(W.encode()), {W})
    assert may_mention(mentions(f"事件{W}".encode()), {W})
    assert not may_mention(mentions(f"事件{W[:-1]}".encode()), {W})
    assert mentions(b"") == ""
    assert mentions(b"a: \"\\n\"\n") is None  # a backslash: always a candidate


# --- end to end: real repositories, signed commits ------------------------------------------------------

DAY = "2026-11-25T10:40:00+08:00"
NOW = "2026-11-25T11:40:00+08:00"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def followup_text(rid: str, incident_line: str, seq: int, created: str, *, crlf: bool = False,
                  extra: str = "") -> str:
    lines = [f'id: "{rid}"', 'kind: "emergency"', 'unit: "gaj"', 'title: "续报"', f'created_at: "{created}"',
             'author: "wanghao"', 'signer: "liuzhenhua"', 'stage: "followup"', incident_line, f"sequence: {seq}",
             'description: "伤员已全部送医。"']
    return ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n") + extra


HOSTILE = {
    "plain": (f"incident: {W}", False),
    "hex-escape": ('incident: "gaj-2026112\\x35-wanghao-01"', False),
    "unicode-escape": ('incident: "\\u0067aj-20261125-wanghao-01"', False),
    "escaped-line-break": ('incident: "gaj-20261125-\\\n  wanghao-01"', False),
    "literal-block": (f"incident: |-\n  {W}", False),
    "escaped-key-crlf": (f'"in\\x63ident": \'{W}\'', True),
}


def pr_check(reg: th.Registry) -> tuple[int, list[dict]]:
    proc = reg.baosong("check", "--base", "main", "--now", NOW, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def main_with(reg: th.Registry, files: dict[str, str]) -> None:
    reg.branch("old")
    for path, text in files.items():
        reg.write(path, text)
    reg.commit("reports on main", signer="wanghao", date=DAY)
    reg.merge("old", date=DAY)


@pytest.mark.parametrize("spelling", sorted(HOSTILE))
def test_incident_member_spelled_any_way_on_main_is_found(world, tmp_path, spelling):
    reg = world.registry(tmp_path / "r")
    first, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    line, crlf = HOSTILE[spelling]
    on_main = "reports/2026/gaj/gaj-20261125-wanghao-02.yaml"
    main_with(reg, {first: text, on_main: followup_text("gaj-20261125-wanghao-02", line, 1,
                                                        "2026-11-25T10:50:00+08:00", crlf=crlf)})
    reg.branch("pr")
    added = "reports/2026/gaj/gaj-20261125-wanghao-03.yaml"
    reg.add_report(added, followup_text("gaj-20261125-wanghao-03", f'incident: "{W}"', 1,
                                        "2026-11-25T11:30:00+08:00"), signer="wanghao", date=DAY)
    for _ in range(2):  # cold, then with the search kept in the cache
        code, problems = pr_check(reg)
        assert code == 1
        assert (added, "sequence-duplicate") in {(p["path"], p["rule"]) for p in problems}


def test_comment_naming_an_id_does_not_relate_a_report(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    first, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    second, text2 = th.emergency("gaj", "wanghao", "liuzhenhua", n=4)
    other = "reports/2026/gaj/gaj-20261125-wanghao-02.yaml"
    main_with(reg, {first: text, second: text2,
                    other: followup_text("gaj-20261125-wanghao-02", 'incident: "gaj-20261125-wanghao-04"', 1,
                                         "2026-11-25T10:50:00+08:00", extra=f"# 参见 {W}\n")})
    reg.branch("pr")
    added = "reports/2026/gaj/gaj-20261125-wanghao-03.yaml"
    reg.add_report(added, followup_text("gaj-20261125-wanghao-03", f"incident: {W}", 1,
                                        "2026-11-25T11:30:00+08:00"), signer="wanghao", date=DAY)
    code, problems = pr_check(reg)
    assert "sequence-duplicate" not in {p["rule"] for p in problems}


@pytest.mark.parametrize("spelling", ["plain", "escaped"])
def test_duplicate_id_on_main_under_another_file_name_is_found(world, tmp_path, spelling):
    # A report on main whose file name is not its id (it reached main without the check): the tree
    # listing alone would not find it; the byte search does.
    reg = world.registry(tmp_path / "r")
    rid = "gaj-20261125-wanghao-05"
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=5)
    misnamed = "reports/2026/gaj/gaj-20261125-wanghao-06.yaml"
    if spelling == "escaped":
        text = text.replace(rid, "gaj-20261125-wang\\x68ao-05")
        assert rid not in text and "\\x68" in text
    main_with(reg, {misnamed: text})
    reg.branch("pr")
    reg.add_report(path, th.emergency("gaj", "wanghao", "liuzhenhua", n=5)[1], signer="wanghao", date=DAY)
    code, problems = pr_check(reg)
    assert code == 1
    hits = [p for p in problems if p["rule"] == "id-duplicate"]
    assert [p["path"] for p in hits] == [path] and misnamed in hits[0]["message"]
