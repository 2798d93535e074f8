"""Every handler and dependency provider is declared in the explicit Litestar style.

Litestar 2.25 warns (LitestarDeprecationWarning) when the app is built with a handler that uses
the inferred style, which stops working in Litestar 3.0: a dependency without
``NamedDependency[...]``, a ``data`` body without ``JSONBody[...]`` (or another body marker), a
path parameter without ``FromPath[...]``, a query parameter declared as ``= Parameter(query=...)``.
Building the app here with every warning recorded makes a new handler in the old style fail CI.
No database is needed: nothing connects until start-up.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from litestar.exceptions import LitestarDeprecationWarning

from portal.app import create_app
from portal.settings import load_settings


def test_building_the_app_raises_no_litestar_deprecation_warning(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/unused.sqlite3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(settings)

    deprecated = sorted(
        {str(w.message) for w in caught if issubclass(w.category, LitestarDeprecationWarning)}
    )
    assert not deprecated, "handlers in the deprecated Litestar style:\n" + "\n".join(deprecated)
