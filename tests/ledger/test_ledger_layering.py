"""The ledger is a library: it never imports the portal, and ``ledger.merkle`` needs only the
standard library (anyone can copy that one file to verify proofs offline)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "ledger"


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_ledger_module_imports_the_portal() -> None:
    modules = sorted(LEDGER.rglob("*.py"))
    assert len(modules) > 5
    offenders = {p.name: "portal" for p in modules if "portal" in _imported(p)}
    assert offenders == {}


def test_no_ledger_module_or_migration_imports_the_top_level_migrations() -> None:
    modules = sorted(LEDGER.rglob("*.py"))
    assert any(p.parent.name == "piccolo_migrations" for p in modules)
    assert [p.name for p in modules if "migrations" in _imported(p)] == []


def test_merkle_uses_the_standard_library_only() -> None:
    imported = _imported(LEDGER / "merkle.py") - {"__future__"}
    assert imported, "merkle imports something (hashlib at least)"
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
