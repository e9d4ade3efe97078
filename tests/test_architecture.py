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
