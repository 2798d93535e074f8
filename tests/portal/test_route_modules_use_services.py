"""Route modules never read volunteer data themselves: only the gate (a service) does."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

from portal.app import create_app
from portal.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_MODULE = "portal.organisations.tables"


def _handler_modules(tmp_path: Path) -> set[str]:
    settings = load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.sqlite3")
    app = create_app(settings, configure_logs=False)
    modules = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            modules.add(handler.fn.__module__)
    return modules


def _imports_volunteer(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == FORBIDDEN_MODULE:
            names = {alias.name for alias in node.names}
            if "Volunteer" in names or "*" in names:
                found.append(f"line {node.lineno}: from {node.module} import Volunteer")
        elif isinstance(node, ast.ImportFrom) and node.module == "portal.organisations":
            if any(alias.name == "tables" for alias in node.names):
                found.append(f"line {node.lineno}: from portal.organisations import tables")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == FORBIDDEN_MODULE:
                    found.append(f"line {node.lineno}: import {alias.name}")
    return found


def test_no_route_module_imports_the_volunteer_table(tmp_path: Path) -> None:
    modules = _handler_modules(tmp_path)
    modules |= {"portal.routes"}
    assert "portal.employer.controllers" in modules and "portal.dpo.controllers" in modules
    offenders = {}
    for name in sorted(modules):
        module = sys.modules[name]
        path = Path(inspect.getfile(module))
        if ROOT not in path.parents:
            continue  # Litestar's own handlers (e.g. the OpenAPI schema)
        found = _imports_volunteer(path)
        if found:
            offenders[name] = found
    assert not offenders, offenders


def test_every_controllers_module_in_the_tree_is_checked_too() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "portal").rglob("controllers.py"))
        if (found := _imports_volunteer(path))
    }
    assert not offenders, offenders


def test_the_gate_is_the_only_disclosure_module_reading_volunteer_rows() -> None:
    readers = sorted(
        str(path.relative_to(ROOT))
        for folder in ("disclosure", "employer", "dpo", "agreements")
        for path in (ROOT / "portal" / folder).rglob("*.py")
        if "Volunteer" in path.read_text(encoding="utf-8")
        and "Volunteer." in path.read_text(encoding="utf-8")
    )
    # services.py reads only the caller's own pseudonym (the volunteer is the subject).
    assert readers == ["portal/disclosure/gate.py", "portal/disclosure/services.py"]
