"""The import graph of `baosong` (the layers themselves are `lint-imports`' contract in pyproject.toml)."""

from __future__ import annotations

import grimp


def module_cycles() -> set[frozenset[str]]:
    """Pairs of modules that import each other, directly or through others (function-level imports count)."""
    graph = grimp.build_graph("baosong")
    found = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if graph.chain_exists(importer=imported, imported=importer):
                found.add(frozenset({importer, imported}))
    return found


def test_no_module_imports_back_what_imports_it():
    assert module_cycles() == set()


# ---- the code as FORMAT.md describes it, and its size limits ----

import ast  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "baosong"
# The strict YAML loader's hot loop is one function on purpose (a call per token costs ~20 %), and
# its module holds the loader whole; data tables are long by nature.
LONG_FUNCTIONS_ALLOWED = {("yamlload.py", "_parse")}
LONG_MODULES_ALLOWED = {"yamlload.py"}


def modules() -> list[str]:
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                  if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts)


def module_map_section() -> str:
    text = (PACKAGE / "FORMAT.md").read_text(encoding="utf-8")
    start = text.index("## Module map")
    return text[start:text.index("\n### ", start)]


def test_format_module_map_names_every_module_and_only_real_ones():
    section = module_map_section()
    named = {n for n in re.findall(r"`([\w/]+\.py)`", section) if not n.startswith("tests/")}
    assert sorted(set(modules()) - named) == [], "modules missing from FORMAT.md's module map"
    assert sorted(named - set(modules())) == [], "FORMAT.md's module map names modules that do not exist"


def test_no_function_over_80_lines_and_no_module_over_600():
    long_functions, long_modules = [], []
    for rel in modules():
        source = (PACKAGE / rel).read_text(encoding="utf-8")
        if source.count("\n") > 600 and rel not in LONG_MODULES_ALLOWED:
            long_modules.append((rel, source.count("\n")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80 and (rel, node.name) not in LONG_FUNCTIONS_ALLOWED:
                    long_functions.append((rel, node.name, length))
    assert long_functions == []
    assert long_modules == []


def test_no_module_imports_another_modules_private_names():
    found = []
    for rel in modules():
        for node in ast.walk(ast.parse((PACKAGE / rel).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("baosong"):
                found.extend((rel, node.module, a.name) for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__"))
    assert found == []
