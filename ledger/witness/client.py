"""The log's side of C2SP tlog-witness: submit a checkpoint, get back a verified cosignature.

:class:`WitnessClient` remembers the size it believes the witness holds (0 at first). A 409
answer tells it the real one; it then builds a consistency proof from that size and tries once
more. A witness ahead of the log (a size larger than the checkpoint's) cannot be satisfied and
is reported, since it means the witness saw a tree the log no longer shows. A returned line is
kept only if it verifies against the witness key the log was configured with.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

import httpx

from ..cosignature import Cosignature, CosignatureVerifier, split_note

__all__ = ["WitnessClient", "WitnessError"]

ProofSource = Callable[[int, int], Awaitable[list[bytes]]]


class WitnessError(Exception):
    """The witness did not cosign; the message says why (status and reason, no personal data)."""


class WitnessClient:
    """Talks to one witness at ``url`` (its submission prefix) whose key is ``verifier``."""

    def __init__(self, url: str, verifier: CosignatureVerifier, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.verifier = verifier
        self.known_size = 0
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        # One client, kept: tlog-witness asks for keep-alive, and building an httpx client
        # (its TLS context) costs tens of milliseconds.
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(timeout=self._timeout)
        return self._http

    async def aclose(self) -> None:
        """Close the kept HTTP connection (call on the event loop that used it)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def cosign(
        self, note: str, tree_size: int, proof: ProofSource
    ) -> tuple[str, Cosignature]:
        """The witness's cosignature line for ``note`` (size ``tree_size``), verified.

        ``proof(old, new)`` gives the RFC 6962 consistency proof between two sizes.
        Raises :class:`WitnessError` when the witness refuses, is unreachable or answers badly.
        """
        text, _ = split_note(note)
        client = self._client()
        for _attempt in range(3):
            old = self.known_size
            if old > tree_size:
                raise WitnessError(
                    f"the witness holds size {old}, beyond this checkpoint's {tree_size}"
                )
            hashes = await proof(old, tree_size) if 0 < old < tree_size else []
            body = f"old {old}\n" + "".join(
                base64.b64encode(h).decode("ascii") + "\n" for h in hashes
            )
            body += "\n" + note
            try:
                response = await client.post(
                    f"{self.url}/add-checkpoint", content=body.encode("utf-8")
                )
            except httpx.HTTPError as exc:
                raise WitnessError(f"witness unreachable: {type(exc).__name__}") from None
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                "text/x.tlog.size"
            ):
                held = response.text.strip()
                if not held.isdigit() or int(held) == old:
                    raise WitnessError(f"witness conflict at size {held!r}: a fork?")
                self.known_size = int(held)
                continue
            if response.status_code != 200:
                reason = response.text.strip()[:200]
                raise WitnessError(f"witness refused with {response.status_code}: {reason}")
            for line in response.text.split("\n"):
                found = self.verifier.check_line(text, line)
                if found is not None:
                    self.known_size = tree_size
                    return line + "\n", found
            raise WitnessError("the witness answered 200 without a valid cosignature")
        raise WitnessError("the witness kept answering 409")
