"""The strict loader against the official YAML test suite (yaml/yaml-test-suite, MIT; tests/data/yaml-test-suite).

Every case is classified twice — as it stands, and placed under a key (`k:` + the text indented by two
spaces: the loader only accepts a mapping at the root, so most cases only reach its value handling
this way) — as one of:

- `same`: accepted, and the data is exactly the suite's JSON. Exactly means equal with equal types
  (True is not 1, 1 is not 1.0) and mapping keys as sets (JSON objects are unordered). The suite's JSON
  is what a YAML 1.2 core-schema reader produces; the loader deliberately keeps YAML 1.1 look-alikes
  (yes/no, 12:30, 2001-01-23) as text, which is what the core schema does too, so no allowance is made
  for them: a suite scalar the loader typed differently would be a failure here. (The scalar typing
  itself is pinned case by case in test_yamlload.py::test_scalar_resolution.)
- `refused`: at least one error, each located inside the input (a line the file has, a column on that
  line or just after its end). Refusals by design are fine: anchors, aliases, tags, a root that is not
  a mapping, several documents, tabs in indentation, and the valid constructs libyaml cannot read.

Never an invalid case accepted, never different data, never a position outside the input. On top of
these rules, each case's verdict (with the refusing rules and the first error's position) is pinned in
`classes.tsv`, so that a PyYAML/libyaml upgrade that changes any behaviour fails here instead of
drifting. Review such a change, then rewrite the pins with `python tests/test_yamlload_suite.py --pin`.

The mutation test feeds every truncation and every one-byte deletion of each input (both forms), and the
CRLF, lone-CR and BOM variants, through the loader: no crash, no position outside the input, and the
line-break and BOM variants give the same verdict, data and positions as the original.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from baosong.yamlload import Loaded, load_yaml

DATA = Path(__file__).parent / "data" / "yaml-test-suite"
PINS = DATA / "classes.tsv"
_BREAK = re.compile(r"\r\n|\r|\n")
# Documents markers and directives stop meaning what they meant once indented under a key.
_STREAM_SYNTAX = re.compile(r"^(?:---|\.\.\.)(?:[ \t\r\n]|$)|^%", re.M)


def _cases() -> list[dict]:
    with open(DATA / "cases.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


CASES = _cases()


def _documents(text: str) -> list[Any]:
    """The suite's `json`: several documents are whitespace-separated JSON values."""
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        value, i = dec.raw_decode(text, i)
        out.append(value)


def under_key(text: str) -> str:
    parts = _BREAK.split(text)
    breaks = _BREAK.findall(text)
    out = ["k:\n"]
    for n, part in enumerate(parts):
        out.append("  " + part if part else part)
        if n < len(breaks):
            out.append(breaks[n])
    return "".join(out)


def forms(case: dict) -> list[tuple[str, str, list[Any] | None]]:
    """(name, text, expected documents or None) of each form of a case that we classify."""
    docs = _documents(case["json"]) if "json" in case else None
    result = [(case["id"], case["yaml"], docs)]
    # Under a key: only where indenting keeps the meaning (no stream syntax), for invalid cases and
    # valid ones with one document to nest (an empty stream would turn into `k: null`).
    if not _STREAM_SYNTAX.search(case["yaml"]):
        if case["fail"]:
            result.append((case["id"] + "/key", under_key(case["yaml"]), None))
        elif docs is not None and len(docs) == 1:
            result.append((case["id"] + "/key", under_key(case["yaml"]), [{"k": docs[0]}]))
    return result


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def inside(raw: bytes, line: int, column: int) -> bool:
    """Is (line, column) a place an editor shows in this file? A final line break does not open a line."""
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = _BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


def load(text: str) -> Loaded:
    return load_yaml(text.encode("utf-8"), "suite.yaml")


def classify(name: str, text: str, invalid: bool, docs: list[Any] | None) -> str:
    """The verdict as pinned; asserts the rules that hold whatever the pins say."""
    loaded = load(text)
    raw = text.encode("utf-8")
    assert not [p for p in loaded.problems if p.rule == "yaml-internal"], (name, loaded.problems)
    outside = [(p.rule, p.line, p.column) for p in loaded.problems if not inside(raw, p.line, p.column)]
    assert not outside, f"{name}: positions outside the input {outside} in {text!r}"
    if loaded.data is not None:
        assert not invalid, f"{name}: invalid YAML accepted as {loaded.data!r}: {text!r}"
        assert docs is not None, f"{name}: accepted, but the suite has no JSON to compare with: {text!r}"
        assert len(docs) == 1 and same(loaded.data, docs[0]), (
            f"{name}: accepted with different data {loaded.data!r}, the suite says {docs!r}: {text!r}")
        return "same"
    errors = [p for p in loaded.problems if p.severity == "error"]
    assert errors, (name, loaded.problems)
    rules = ",".join(sorted({p.rule for p in errors}))
    return f"refused\t{rules}\t{errors[0].line}:{errors[0].column}"


def verdicts() -> dict[str, str]:
    return {name: classify(name, text, case["fail"], docs) for case in CASES for name, text, docs in forms(case)}


def read_pins() -> dict[str, str]:
    pins = {}
    for line in PINS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, verdict = line.split("\t", 1)
            pins[name] = verdict
    return pins


def write_pins() -> None:
    got = verdicts()
    lines = ["# yaml-test-suite case (/key: placed under a key)\tverdict of baosong's loader (see tests/test_yamlload_suite.py)"]
    lines += [f"{name}\t{verdict}" for name, verdict in got.items()]
    PINS.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the suite ------------------------------------------------------------------------------------------


def test_the_suite_data_is_complete():
    assert len(CASES) == 402
    assert sum(c["fail"] for c in CASES) == 94
    assert (DATA / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_every_case_is_accepted_with_the_suites_data_or_refused_with_a_located_problem():
    got = verdicts()
    pins = read_pins()
    changed = [f"{n}: pinned {pins.get(n)!r}, now {got.get(n)!r}" for n in sorted(set(got) | set(pins))
               if got.get(n) != pins.get(n)]
    assert not changed, (
        "the loader's verdict changed (PyYAML/libyaml upgrade or a loader change?). Review, then run "
        "`python tests/test_yamlload_suite.py --pin`:\n" + "\n".join(changed))


def test_the_verdicts_cover_both_outcomes_and_every_invalid_case_is_refused():
    pins = read_pins()
    invalid = {c["id"] for c in CASES if c["fail"]}
    assert all(pins[n].startswith("refused") for n in pins if n.split("/")[0] in invalid)
    accepted = [n for n, v in pins.items() if v == "same"]
    # Under a key, most valid cases reach the loader's value handling and are accepted.
    assert len([n for n in accepted if n.endswith("/key")]) >= 120 and len(accepted) >= 190


# --- mutations ------------------------------------------------------------------------------------------


def _mutation_bases() -> list[tuple[str, bytes]]:
    out = []
    for case in CASES:
        out.append((case["id"], case["yaml"].encode("utf-8")))
        out.append((case["id"] + "/key", under_key(case["yaml"]).encode("utf-8")))
    return out


def _verdict(loaded: Loaded) -> tuple:
    return loaded.data, [(p.rule, p.line, p.column) for p in loaded.problems]


def _everything(loaded: Loaded) -> tuple:
    return (repr(loaded.data), list(loaded.positions.items()),
            [(p.line, p.column, p.field, p.rule, p.message, p.severity) for p in loaded.problems])


def test_libyaml_reads_the_bytes_as_it_reads_the_text(monkeypatch):
    """The loader hands libyaml the file's bytes (sparing it re-encoding the text): every suite input, in
    both forms and with CRLF, lone CR and a BOM, gives the same data, positions and problems as when
    libyaml is given the decoded text."""
    from baosong import yamlload

    inputs = []
    for case in CASES:
        for _name, text, _docs in forms(case):
            raw = text.encode("utf-8")
            lf = raw.replace(b"\r\n", b"\n")
            inputs += [raw, lf.replace(b"\n", b"\r\n"), lf.replace(b"\n", b"\r"), b"\xef\xbb\xbf" + raw]
    from_bytes = [_everything(load_yaml(raw, "t.yaml")) for raw in inputs]
    real = yamlload._parse
    monkeypatch.setattr(yamlload, "_parse", lambda text, path, limits, problems, suspects, raw=None:
                        real(text, path, limits, problems, suspects))
    from_text = [_everything(load_yaml(raw, "t.yaml")) for raw in inputs]
    assert len(inputs) > 2000 and from_bytes == from_text


@pytest.mark.slow
def test_mutations_never_crash_nor_point_outside_the_input():
    bad: list[str] = []

    def check(raw: bytes, what: str) -> Loaded:
        loaded = load_yaml(raw, "m.yaml")
        for p in loaded.problems:
            if p.rule == "yaml-internal" or not inside(raw, p.line, p.column):
                bad.append(f"{what}: {p.rule} at {p.line}:{p.column} in {raw!r}")
        if loaded.data is not None and not isinstance(loaded.data, dict):
            bad.append(f"{what}: data {loaded.data!r}")
        return loaded

    count = 0
    for name, raw in _mutation_bases():
        for i in range(len(raw)):
            check(raw[:i], f"{name} cut at {i}")
            check(raw[:i] + raw[i + 1:], f"{name} without byte {i}")
            count += 2
        original = _verdict(check(raw, name))
        lf = raw.replace(b"\r\n", b"\n")
        for variant, changed in (("CRLF", lf.replace(b"\n", b"\r\n")), ("CR", lf.replace(b"\n", b"\r")),
                                 ("BOM", b"\xef\xbb\xbf" + raw)):
            if _verdict(check(changed, f"{name} {variant}")) != original:
                bad.append(f"{name} {variant}: {_verdict(load_yaml(changed, 'm.yaml'))} != {original}")
            count += 1
        if len(bad) > 20:
            break
    assert not bad, "\n".join(bad[:20])
    assert count > 80_000


if __name__ == "__main__":
    if sys.argv[1:] == ["--pin"]:
        write_pins()
        print(f"wrote {PINS}")
    else:
        sys.exit("usage: python tests/test_yamlload_suite.py --pin")
