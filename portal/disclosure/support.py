"""Small helpers of the disclosure domain: the channel a request came by, paging bounds."""

from __future__ import annotations

from ledger.entries import Channel
from portal.auth.identity import Identity


def channel_of(identity: Identity) -> Channel:
    return "api" if identity.via == "token" else "web"


#: Bounds for paging parameters, so no value can overflow a database integer.
MAX_OFFSET = 1_000_000
MAX_INDEX = 2**53 - 1
