"""``python -m portal.screenshots OUTDIR`` as a user runs it: a subprocess building its own
throw-away SQLite portal with the demo data, driving Debian's Chromium. It must exit 0 and write
a real PNG, as wide as asked, for each main page (every page in each role's menu, and its home)
at 320 and 1280 px for each demo role."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import FAST_HASHING
from tests.web.webharness import CHROMIUM, require_browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTHS = (320, 1280)
#: Viewport height the command uses: a full-page shot is at least this tall.
VIEWPORT_HEIGHT = 900


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first, right after the
    signature (RFC 2083 section 3.2, 4.1.1)."""
    head = path.read_bytes()[:33]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", head[8:16])
    assert kind == b"IHDR" and length == 13, f"{path.name} has no IHDR first"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def main_pages() -> dict[str, set[str]]:
    """Each role's main pages as the product's own menus list them, plus its home page."""
    import portal.web.routes  # noqa: F401 - the page modules register their menu items
    from portal.web.pages import NAVIGATION

    pages = {role.value: {item.href for item in items} for role, items in NAVIGATION.items()}
    pages["anonymous"] = {"/sign-in"}
    return pages


def test_every_volume_alert_page_is_in_the_list() -> None:
    """The pages of docs/VOLUME_ALERTS.md (every GET route of the DPO's volume pages, the
    one-employer series behind a link included, not only the menu items) are shot by the
    command, with a real path (the demo's ids) that the test below then loads."""
    from litestar.handlers import HTTPRouteHandler

    from portal.screenshots import PAGES
    from portal.web.controllers.dpo_volume import DpoVolumePages

    templates = [
        DpoVolumePages.path + path
        for handler in vars(DpoVolumePages).values()
        if isinstance(handler, HTTPRouteHandler) and "GET" in handler.http_methods
        for path in handler.paths
    ]
    assert len(templates) >= 3, templates  # the controller was read, not an empty list
    shot = [urlsplit(path).path for _, path in PAGES["dpo"]]
    for template in templates:
        pattern = re.compile("^" + re.sub(r"\{\w+:\w+\}", "[^/{}]+", template) + "$")
        assert any(pattern.match(path) for path in shot), f"no screenshot of {template}"


@pytest.mark.slow
def test_screenshots_command_writes_every_page_at_both_widths(tmp_path: Path) -> None:
    require_browser()
    from portal.screenshots import FORM_PAGES, PAGES

    # Every role and every page of its menu is in the command's list.
    wanted = main_pages()
    assert set(PAGES) == set(wanted), (set(PAGES), set(wanted))
    for role, paths in wanted.items():
        listed = {urlsplit(path).path for _, path in PAGES[role]}
        assert paths <= listed, f"{role}: no screenshot of {sorted(paths - listed)}"

    out = tmp_path / "shots"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESP_")}
    # Cheap Argon2, as in every other test (the command's eight demo accounts and six sign-ins
    # cost 1-2 s of CPU each with the production parameters): the pages are what is checked.
    env.update({f"ESP_{key.upper()}": str(value) for key, value in FAST_HASHING.items()})
    result = subprocess.run(
        [sys.executable, "-m", "portal.screenshots", str(out), "--chromium", CHROMIUM],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    expected = {
        f"{role}-{name}-{width}.png"
        for role, pages in PAGES.items()
        for name, _ in pages
        for width in WIDTHS
    } | {
        f"{role}-{form[0]}-{width}.png"
        for role, forms in FORM_PAGES.items()
        for form in forms
        for width in WIDTHS
    }
    assert {p.name for p in out.iterdir()} == expected
    # stdout is exactly the files written, one path per line, so a script can use it.
    listed_on_stdout = [Path(line) for line in result.stdout.splitlines()]
    assert sorted(p.name for p in listed_on_stdout) == sorted(expected)
    assert all(p.parent == out for p in listed_on_stdout)
    for name in sorted(expected):
        width, height = png_size(out / name)
        asked = int(name.rsplit("-", 1)[1].removesuffix(".png"))
        # As wide as asked: a page wider than the viewport would make a wider full-page shot.
        assert width == asked, f"{name} is {width} px wide"
        assert VIEWPORT_HEIGHT <= height <= 40_000, f"{name} is {height} px tall"
