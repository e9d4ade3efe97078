"""baosong's schemas in the programs officers and CI tools really run, checked against baosong itself.

- ajv (JSON Schema draft 2020-12, with the YAML parsing of the `yaml` package the editor uses) must
  reach baosong's verdict on every example, bundled and demo report and both config files, from the
  same data: the editor and CI type every scalar alike (YAML 1.2 core) and judge it alike.
- yaml-language-server (what the Red Hat YAML extension runs in VS Code), driven over its Language
  Server Protocol on stdio: no diagnostic on any valid report, a Chinese diagnostic on the right line
  for every invalid example whose rule is a schema rule, Chinese hovers, and completion that offers
  only the fields the kind and stage at hand allow, with Chinese documentation.

The npm packages live in tests/clients (package.json + package-lock.json), installed by
scripts/test.sh with `npm ci` when node is available, as Chromium is for the portal's browser tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from baosong.schemas import Schema
from baosong.yamlload import load_yaml
from client_helpers import CLIENTS, REPO, missing, node

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _clients_installed() -> None:
    # A missing tool fails the test instead of skipping it: scripts/test.sh installs node and the
    # npm packages, so a gap here is a broken set-up that must be seen.
    why = missing()
    if why is not None:
        pytest.fail(why)

EXAMPLES = REPO / "tests" / "examples"
SCHEMAS = {name: f"schema/{name}.schema.json" for name in ("report", "units", "policy")}
CJK = re.compile(r"[\u4e00-\u9fff]")
EXPECT_RE = re.compile(r"^# expect: (\S+) line (\d+)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clients") / "demo"
    proc = subprocess.run([sys.executable, "-m", "baosong", "demo", "--out", str(out), "--reports", "1500"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def documents(demo: Path) -> list[tuple[str, str, Path]]:
    """(id, schema name, file) of every YAML document baosong's examples and registries hold."""
    docs = [(f"config/{n}.yaml", n, REPO / "config" / f"{n}.yaml") for n in ("units", "policy")]
    for base in (REPO / "reports", EXAMPLES / "valid", EXAMPLES / "invalid", demo / "reports"):
        docs += [(str(p), "report", p) for p in sorted(base.rglob("*.yaml"))]
    return docs


FIRST = REPO / "reports/2026/gaj/gaj-20260314-wanghao-01.yaml"
OPINION = REPO / "reports/2026/wxb/wxb-20260618-baiyun-01.yaml"
# Where an editor and CI are most likely to part: scalar typing and formats. Each probe is a report with
# the line starting with the given text replaced; the verdicts must agree whatever they are.
PROBES: dict[str, tuple[Path, str, str]] = {
    "seconds-missing": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14T07:42+08:00"'),
    "seconds-fraction": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14T07:42:00.25+08:00"'),
    "seconds-fraction-7": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14T07:42:00.1234567+08:00"'),
    "leap-second": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-12-31T23:59:60Z"'),
    "february-30": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-02-30T07:42:00+08:00"'),
    "lowercase-t": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14t07:42:00+08:00"'),
    "space-for-t": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14 07:42:00+08:00"'),
    "offset-hhmm": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', 'occurred_at: "2026-03-14T07:42:00+0800"'),
    "time-unquoted": (FIRST, 'occurred_at: "2026-03-14T07:42:00+08:00"', "occurred_at: 2026-03-14T07:42:00+08:00"),
    "bool-capital": (FIRST, "grade: III", "grade: III\nsensitive: False"),
    "bool-upper": (FIRST, "grade: III", "grade: III\nsensitive: TRUE\nsensitive_reason: 涉及外籍人员伤亡"),
    "bool-yes": (FIRST, "grade: III", "grade: III\nsensitive: yes"),
    "null-capital": (FIRST, "grade: III", "grade: III\ncause: Null"),
    "int-leading-zero": (FIRST, "  deaths: 4", "  deaths: 04"),
    "int-plus": (FIRST, "  deaths: 4", "  deaths: +4"),
    "int-hex": (FIRST, "  deaths: 4", "  deaths: 0x4"),
    "int-octal": (FIRST, "  deaths: 4", "  deaths: 0o4"),
    "int-as-float": (FIRST, "  deaths: 4", "  deaths: 4.0"),
    "int-exponent": (FIRST, "  deaths: 4", "  deaths: 4e0"),
    "int-underscore": (FIRST, "  deaths: 4", "  deaths: 1_000"),
    "float-exponent": (FIRST, "grade: III", "grade: III\neconomic_loss: 1e3"),
    "float-dot": (FIRST, "grade: III", "grade: III\neconomic_loss: .5"),
    "number-for-text": (FIRST, "place: ", "place: 012"),
    "code-as-number": (FIRST, "unit: gaj", "unit: 012"),
    "sexagesimal": (FIRST, "grade: III", "grade: III\ncause: 12:30"),
    "url-ftp": (OPINION, "url: https://weibo.com/7312456789/PbQx2LmZ8", "url: ftp://weibo.com/a"),
    "url-space": (OPINION, "url: https://weibo.com/7312456789/PbQx2LmZ8", 'url: "https://weibo.com/a b"'),
    "url-unicode": (OPINION, "url: https://weibo.com/7312456789/PbQx2LmZ8", "url: https://微博.com/热搜"),
}


def probes(tmp: Path) -> list[tuple[str, str, Path]]:
    out = []
    for name, (base, old, new) in PROBES.items():
        text, n = re.subn(rf"(?m)^{re.escape(old)}.*$", lambda _, new=new: new, base.read_text(encoding="utf-8"), count=1)
        assert n == 1, name
        path = tmp / f"probe-{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out.append((f"probe:{name}", "report", path))
    return out


def ajv(jobs: list[dict]) -> dict[str, dict]:
    proc = subprocess.run([node() or "node", str(CLIENTS / "ajv-check.js")], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: r for r in json.loads(proc.stdout)}


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1000 == 1000.0 (JSON has one number type), but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def test_ajv_and_baosong_read_and_judge_every_document_alike(demo: Path, tmp_path: Path) -> None:
    schemas = {name: Schema.from_file(REPO / rel) for name, rel in SCHEMAS.items()}
    jobs, ours = [], {}
    for doc_id, schema, path in documents(demo) + probes(tmp_path):
        loaded = load_yaml(path.read_bytes(), doc_id)
        if loaded.data is None:
            continue  # refused before any schema (encoding, anchors, tabs...): nothing to compare
        ours[doc_id] = (loaded.data, schemas[schema].is_valid(loaded.data))
        jobs.append({"id": doc_id, "schema": SCHEMAS[schema], "text": path.read_text(encoding="utf-8")})
    theirs = ajv(jobs)
    assert len(jobs) > 1500
    read_apart = [i for i, (data, _) in ours.items() if theirs[i]["yaml_errors"] or not same_json(data, theirs[i]["data"])]
    assert not read_apart, [(i, theirs[i]["yaml_errors"]) for i in read_apart[:5]]
    judged_apart = [(i, valid, theirs[i]["errors"][:3]) for i, (_, valid) in ours.items() if valid != theirs[i]["valid"]]
    assert not judged_apart, judged_apart[:10]
    # Both verdicts occur: the comparison means something.
    assert {valid for _, valid in ours.values()} == {True, False}
    assert ours["probe:int-leading-zero"][1] and ours["probe:bool-capital"][1] and ours["probe:float-exponent"][1]
    assert not ours["probe:seconds-missing"][1] and not ours["probe:number-for-text"][1]


def test_the_editors_parser_reads_every_suite_case_the_loader_accepts_alike() -> None:
    """The YAML test suite, as it stands and under a key: wherever baosong's loader accepts, the
    editor's parser (the `yaml` package, YAML 1.2) accepts too and gives the same data. (The other way
    round they differ only where libyaml cannot read valid YAML, or the loader refuses by design.)"""
    from test_yamlload_suite import CASES, forms

    ours = {}
    for case in CASES:
        for name, text, _ in forms(case):
            loaded = load_yaml(text.encode("utf-8"), name)
            if loaded.data is not None:
                ours[name] = (loaded.data, text)
    theirs = ajv([{"id": name, "schema": None, "text": text} for name, (_, text) in ours.items()])
    apart = [(n, text, theirs[n]["yaml_errors"][:1]) for n, (data, text) in ours.items()
             if theirs[n]["yaml_errors"] or not same_json(data, theirs[n]["data"])]
    assert not apart, apart[:5]
    assert len(ours) >= 190


# --- the language server ---------------------------------------------------------------------------

VALID = EXAMPLES / "valid" / "reports" / "2026"
KIND_EXAMPLES = {  # one valid report of every kind, stage and sign-off state
    "emergency/first": VALID / "gaj/gaj-20260314-wanghao-01.yaml",
    "emergency/first/signoff_pending": VALID / "yjj/yjj-20260618-zhengli-01.yaml",
    "emergency/followup": VALID / "yjj/yjj-20260618-zhengli-02.yaml",
    "emergency/final": VALID / "nsx/nsx-20260711-tanglin-01.yaml",
    "info": VALID / "dcq/dcq-20260408-lijing-01.yaml",
    "opinion": VALID / "wxb/wxb-20260618-baiyun-01.yaml",
    "adoption": VALID / "xxk/xxk-20260428-liuyang-01.yaml",
    "instruction": VALID / "xxk/xxk-20260927-wangli-01.yaml",
    "notice": VALID / "xxk/xxk-20260925-wangli-01.yaml",
    "correction": VALID / "dcq/dcq-20260410-lijing-01.yaml",
}


@pytest.fixture(scope="module")
def server():
    from client_helpers import LanguageServer

    with LanguageServer() as ls:
        yield ls


def schema_invalid_examples() -> list[tuple[Path, str, int]]:
    out = []
    for path in sorted((EXAMPLES / "invalid").glob("*/reports/*/*/*.yaml")):
        m = EXPECT_RE.match(path.read_text(encoding="utf-8", errors="replace"))
        assert m, path
        if m.group(1).startswith("schema-"):
            out.append((path, m.group(1), int(m.group(2))))
    return out


def test_every_schema_rule_example_gets_a_chinese_diagnostic_on_its_line(server) -> None:
    examples = schema_invalid_examples()
    assert len(examples) >= 6
    uris = [server.open(path) for path, _, _ in examples]
    found = server.wait_diagnostics(uris)
    for (path, rule, line), uri in zip(examples, uris, strict=True):
        on_line = [d for d in found[uri] if d["range"]["start"]["line"] + 1 == line]
        assert on_line, (path.name, rule, line, found[uri])
        assert any(CJK.search(d["message"]) for d in on_line), (rule, [d["message"] for d in on_line])


def test_no_diagnostic_on_any_valid_report(server, demo: Path) -> None:
    files = [*sorted((EXAMPLES / "valid").rglob("*.yaml")), *sorted((REPO / "reports").rglob("*.yaml")),
             *sorted((demo / "reports").rglob("*.yaml"))]
    kinds = {re.search(r"^kind: (\w+)", p.read_text(encoding="utf-8"), re.M).group(1) for p in files}
    assert kinds == {"emergency", "info", "opinion", "adoption", "instruction", "notice", "correction", "request",
                     "decline", "duty_period", "daily"}
    uris = [server.open(p) for p in files]
    found = server.wait_diagnostics(uris, timeout=600)
    noisy = {u: [d["message"] for d in found[u]] for u in uris if found[u]}
    for uri in uris:
        server.close(uri)
    assert not noisy, list(noisy.items())[:5]
    assert len(uris) > 1500


@pytest.mark.parametrize("state", sorted(KIND_EXAMPLES))
def test_hover_shows_the_chinese_title_and_description(server, state: str) -> None:
    path = KIND_EXAMPLES[state]
    text = path.read_text(encoding="utf-8")
    schema = json.loads((REPO / SCHEMAS["report"]).read_text(encoding="utf-8"))
    uri = server.open(path)
    for n, line in enumerate(text.splitlines()):
        m = re.match(r"([a-z_]+):", line)
        if not m:
            continue
        hover = server.hover(uri, n, 1)
        assert hover, (state, m.group(1))
        shown = hover["contents"]["value"] if isinstance(hover["contents"], dict) else str(hover["contents"])
        shown = re.sub(r"\\(.)", r"\1", shown)  # markdown escapes: \[ \_
        prop = schema["properties"][m.group(1)]
        assert prop["title"] in shown and prop["description"][:20] in shown, (m.group(1), shown)
    server.close(uri)


@pytest.mark.parametrize("state", sorted(KIND_EXAMPLES))
def test_completion_offers_exactly_the_fields_the_kind_and_stage_allow(server, state: str) -> None:
    from baosong.newreport import field_rules

    path = KIND_EXAMPLES[state]
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    schema = json.loads((REPO / SCHEMAS["report"]).read_text(encoding="utf-8"))
    doc = load_yaml(text.encode("utf-8"), path.name).data
    allowed = set(schema["properties"]) - field_rules(schema, doc).forbidden - set(doc)
    uri = server.open(path, text)
    items = server.completion(uri, len(text.split("\n")) - 1, 0)
    server.close(uri)
    offered = [i["label"] for i in items if i.get("kind") == 10]  # CompletionItemKind.Property
    assert sorted(offered) == sorted(allowed), (state, set(offered) - allowed, allowed - set(offered))
    for item in items:
        if item.get("kind") == 10:
            doc_text = item.get("documentation")
            doc_text = doc_text.get("value", "") if isinstance(doc_text, dict) else doc_text or ""
            assert CJK.search(doc_text), (item["label"], item)


def test_enum_values_are_offered_with_their_chinese_labels(server) -> None:
    path = KIND_EXAMPLES["emergency/first"]
    text = re.sub(r"(?m)^category: \w+$", "category: ", path.read_text(encoding="utf-8"))
    line = text.split("\n").index("category: ")
    uri = server.open(path, text)
    items = server.completion(uri, line, len("category: "))
    server.close(uri)
    docs = {i["label"]: i.get("documentation") for i in items}
    assert docs.get("traffic") == "道路交通事故" and docs.get("accident") == "事故灾难（生产安全事故）", docs


def test_config_files_get_no_diagnostic_with_the_readme_settings() -> None:
    from client_helpers import LanguageServer

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    settings = json.loads(re.search(r'```json\n(\{\n  "yaml.schemas".*?\n\})\n```', readme, re.S).group(1))
    with LanguageServer(schemas=settings["yaml.schemas"]) as ls:
        uris = [ls.open(REPO / "config" / name) for name in ("units.yaml", "policy.yaml")]
        found = ls.wait_diagnostics(uris)
        assert found == {u: [] for u in uris}
        # ... and the schema does apply: a wrong value in policy.yaml is flagged in Chinese.
        policy = (REPO / "config" / "policy.yaml").read_text(encoding="utf-8")
        broken = re.sub(r"(?m)^(\s*dynamic:) \d+", r"\1 很多", policy, count=1)
        assert broken != policy
        uri = uris[1]
        ls.change(uri, broken)
        messages = [d["message"] for d in ls.wait_diagnostics([uri])[uri]]
        assert messages and all(CJK.search(m) for m in messages), messages
