"""Run a test module's subject-map tests once per core (Python reference, and C when built).

A module-scoped autouse fixture (hypothesis refuses function-scoped ones under ``@given``) makes
every map the module creates take one core, then puts the default back. Under ``CI=true`` the
native core must be there: a build that silently fell back to Python would otherwise pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ledger.subjectmap import NATIVE_CORE, PYTHON_CORE, MapCore, set_default_core

CORES = [
    pytest.param(PYTHON_CORE, id="python"),
    pytest.param(
        NATIVE_CORE,
        id="native",
        marks=pytest.mark.skipif(
            NATIVE_CORE is None and os.environ.get("CI") != "true",
            reason="ledger._mapcore was not built (no C compiler or OpenSSL headers)",
        ),
    ),
]


def each_core(request: pytest.FixtureRequest) -> Iterator[MapCore]:
    """The body of a module's ``map_core`` fixture: ``request.param`` made the default."""
    core: MapCore | None = request.param
    if core is None:
        pytest.fail("CI=true and ledger._mapcore is not built: the native map core is missing")
    previous = set_default_core(core)
    try:
        yield core
    finally:
        set_default_core(previous)
