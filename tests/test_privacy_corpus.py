"""Masking against a generated corpus of layouts: digit forms × separators × groupings × prefixes.

Fast tests judge `privacy.mask` on every layout in several contexts; the slow one places the whole
corpus in report fields of a real registry, runs a real `baosong build` (MkDocs) and the register
exports, and scans every output file, normalised, for the bare digits of any corpus number.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from baosong.privacy import find_personal_data, mask
from portal_helpers import NOW, _yaml, git, run
from privacy_corpus import ORDINARY, corpus, leaks, normalised, output_texts

CORPUS = corpus()
CONTEXTS = ("{}", "联系电话{}。", "电话：{}，", "身份证号 {} 。", "（{}）", "{}、{}", "a{}b")


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 200
    assert len({layout.digits for layout in CORPUS}) == len(CORPUS)  # one number per layout
    kinds = {layout.kind for layout in CORPUS}
    assert kinds == {"id18", "mobile"}
    assert any(layout.digits.endswith("X") for layout in CORPUS)
    assert len({layout.name.split("/")[2] for layout in CORPUS}) >= 20  # separators


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_layout_is_masked_in_place(context):
    for layout in CORPUS:
        text = context.format(layout.text, layout.text)
        out = mask(text)
        assert layout.digits not in normalised(out), (layout.name, text, out)
        assert find_personal_data(text), (layout.name, text)
        # Only digits become "*"; separators, digit forms and the words around stay as written.
        assert len(out) == len(text)
        changed = [(a, b) for a, b in zip(text, out, strict=True) if a != b]
        assert all(b == "*" and unicodedata.normalize("NFKC", a).isdecimal() for a, b in changed), changed
        assert len(changed) == context.count("{}") * (8 if layout.kind == "id18" else 4), (layout.name, out)


def test_the_issue_examples_are_masked():
    for text in ("１３４７７０６０００６", "133－7707－0007", "133\u30007707\u30000007", "133\u00a07707\u00a00007",
                 "131.7709.0009", "152/7712/0012", "156—7715—0015", "133  7707  0007", "133 770 70007",
                 "013477060006", "+86 134 7706 0006", "0086-134-7706-0006", "110105-1949-1231-002X",
                 "1101 0519 4912 3100 2X"):
        out = mask(text)
        assert out.count("*") == (8 if len(normalised(text).replace("*", "")) >= 18 else 4), (text, out)
        assert find_personal_data(out) == [], (text, out)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_are_not_masked(text):
    for context in ("{}", "据统计，{}。", "（{}）"):
        assert mask(context.format(text)) == context.format(text)


# --- the whole corpus through a real build --------------------------------------------------------

PEOPLE = {"author": "wanghao", "reviewer": "majun", "signer": "liuzhenhua"}
ORDINARY_ID = "gaj-20261120-wanghao-60"


def corpus_reports() -> dict[str, dict]:
    """Emergency first reports (one layout in each title, the rest in descriptions and measures) and
    an information report with the ordinary numbers that must survive."""
    layouts = list(CORPUS)
    n = 30
    reports: dict[str, dict] = {}
    for k in range(n):
        rid = f"gaj-20261120-wanghao-{20 + k:02d}"
        mine = layouts[k::n]
        reports[rid] = {
            "id": rid, "kind": "emergency", "unit": "gaj", "title": f"交通事故联系人{mine[0].text}",
            "created_at": f"2026-11-20T12:{k:02d}:00+08:00", **PEOPLE, "stage": "first", "category": "traffic",
            "occurred_at": "2026-11-20T11:00:00+08:00", "place": f"青溪镇{mine[1].text}号路口",
            "description": "；".join(f"当事人{i}证件及电话：{layout.text}" for i, layout in enumerate(mine[2:-2])),
            "casualties": {"deaths": 0, "serious_injuries": 1, "injuries": 2, "missing": 0},
            "grade": "IV", "trend": f"平稳，值班电话{mine[-2].text}", "measures": f"已处置，联系人 {mine[-1].text} 。",
        }
    reports[ORDINARY_ID] = {
        "id": ORDINARY_ID, "kind": "info", "unit": "gaj", "title": "数字不应被遮盖的工作动态",
        "created_at": "2026-11-20T13:00:00+08:00", **PEOPLE, "info_type": "dynamic",
        "body": "\n\n".join(f"第{i}项：{text}" for i, text in enumerate(ORDINARY)),
    }
    return reports


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, Path, dict[str, dict]]:
    root = tmp_path_factory.mktemp("corpus")
    repo = root / "registry"
    proc = run("demo", "--out", str(repo), "--reports", "60", "--seed", "11")
    assert proc.returncode == 0, proc.stderr
    reports = corpus_reports()
    for rid, doc in reports.items():
        path = repo / "reports" / "2026" / "gaj" / f"{rid}.yaml"
        path.write_text(_yaml(doc), encoding="utf-8")
    git(repo, "add", "reports")
    git(repo, "commit", "-q", "-m", "reports with personal numbers in every layout")
    site = root / "site"
    proc = run("build", "--repo", str(repo), "--out", str(site), "--now", NOW, timeout=900)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    exports = root / "exports"
    for fmt in ("csv", "xlsx", "json"):
        proc = run("export", "--repo", str(repo), "--what", "register", "--period", "2026-11", "--format", fmt,
                   "--now", NOW, "--out", str(exports / f"register-2026-11.{fmt}"))
        assert proc.returncode == 0, proc.stderr
    return repo, site, exports, reports


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    return []


@pytest.mark.slow
def test_no_number_of_the_corpus_survives_in_any_output_file(built):
    _, site, exports, reports = built
    texts = output_texts(site) + output_texts(exports)
    # The register data files also as the site script reads them: decoded, JSON escapes undone.
    data_files = (sorted(site.glob("registers/*.rows.json")) + sorted(site.glob("units/*.rows.json"))
                  + sorted(site.glob("incidents/*.rows.json")))
    assert data_files
    texts += [(f"{path.relative_to(site)}:decoded", "\n".join(_strings(json.loads(path.read_text(encoding="utf-8")))))
              for path in data_files]
    found = leaks(texts, CORPUS)
    assert found == [], f"{len(found)} leaks, e.g. {found[:10]}"
    # Not vacuous: the corpus did reach the outputs, masked. Every report has its page, every layout
    # is on a report or incident page, every title is in the register downloads.
    for rid in reports:
        assert (site / "reports" / f"{rid}.html").is_file(), rid
    register_texts = [t for name, t in texts if "register" in name and not name.endswith(".html")]
    assert len(register_texts) >= 6  # the portal's CSV and XLSX parts, the three exports
    for rid, doc in reports.items():
        if doc["kind"] == "emergency":
            title = normalised(mask(doc["title"]))
            assert "*" in title
            for name in ("register-2026-11.csv", "register-2026-11.json", "downloads/register.csv",
                         "registers/2026-11.rows.json:decoded", "units/gaj.rows.json:decoded"):
                assert any(title in normalised(t) for n, t in texts if n.endswith(name)), (rid, name)
    pages = "\n".join(t for name, t in texts if name.startswith(("reports/", "incidents/")))
    flat_pages = normalised(pages)
    shown = sum(normalised(mask(layout.text)) in flat_pages for layout in CORPUS)
    assert shown == len(CORPUS)


@pytest.mark.slow
def test_ordinary_numbers_survive_the_build(built):
    _, site, _, _ = built
    page = dict(output_texts(site))[f"reports/{ORDINARY_ID}.html"]
    for text in ORDINARY:
        assert " ".join(text.split()) in " ".join(page.split()), text
