"""The import graph of `baosong` (the layers themselves are `lint-imports`' contract in pyproject.toml)."""

from __future__ import annotations

import grimp

# The one cycle left, also ignored in pyproject.toml's acyclic contract: receipts.receive() needs
# history's arrivals. It goes when receipts.py is split (issue 12, step 1).
KNOWN_CYCLES = {frozenset({"baosong.history", "baosong.receipts"})}


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
    cycles = module_cycles()
    assert cycles >= KNOWN_CYCLES, "a known cycle is gone: remove it from KNOWN_CYCLES and pyproject.toml"
    assert cycles - KNOWN_CYCLES == set()
