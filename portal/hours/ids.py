"""Time-ordered UUIDs (RFC 9562 version 7) for rows written in bulk.

Still opaque UUID strings to every client, but new ids sort after old ones, so a bulk insert
appends to the primary-key index instead of writing all over it (a large share of an import's
cost with random version 4 ids).
"""

from __future__ import annotations

import os
import time

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62


def uuid7_text() -> str:
    """A new version 7 UUID in canonical text form."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | _VERSION
        | ((rand >> 62) & 0xFFF) << 64
        | _VARIANT
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7_many(count: int) -> list[str]:
    """``count`` version 7 UUIDs, strictly increasing (a 12-bit counter after the time)."""
    millis = time.time_ns() // 1_000_000
    noise = os.urandom(8 * count).hex()
    variant = "89ab"
    counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
    stamp = f"{millis & 0xFFFF_FFFF_FFFF:012x}"
    out = []
    for n in range(count):
        if counter > 0xFFF:
            millis += 1
            counter = 0
            stamp = f"{millis & 0xFFFF_FFFF_FFFF:012x}"
        r = noise[16 * n : 16 * n + 16]
        out.append(
            f"{stamp[:8]}-{stamp[8:]}-7{counter:03x}-{variant[int(r[0], 16) & 3]}{r[1:4]}-{r[4:]}"
        )
        counter += 1
    return out
