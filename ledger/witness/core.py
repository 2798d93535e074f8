"""The witness's decision on one ``add-checkpoint`` request (C2SP tlog-witness), HTTP-free.

:meth:`Witness.add_checkpoint` takes the request body and returns the status, content type and
body to answer with, following the spec's order: 400 for a malformed request, 404 for a log it
does not witness, 403 when no trusted log key signed the checkpoint, 400 when the old size is
above the checkpoint's, 409 (``text/x.tlog.size``, the size it holds) when the old size is not
the one it last cosigned or the same size comes with another root, 422 when the consistency proof
does not verify, and 200 with a ``cosignature/v1`` line otherwise. It never cosigns a smaller
tree after a larger one, nor two different trees of one size (a fork).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import structlog

from .. import merkle
from ..checkpoint import Checkpoint, CheckpointError
from ..cosignature import CosignatureSigner
from ..note import NoteError, NoteVerifier, open_note
from .state import LogState, WitnessState

__all__ = ["MAX_PROOF_LINES", "Answer", "Witness"]

log = structlog.get_logger("witness")

MAX_PROOF_LINES = 63
_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, content type, body."""

    status: int
    content_type: str
    body: str


def _text(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", message + "\n")


class Witness:
    """Cosigns checkpoints of the logs it trusts, each consistent with the last it cosigned."""

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Iterable[NoteVerifier],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = signer
        self._state = state
        self._clock = clock
        self._logs: dict[str, list[NoteVerifier]] = {}
        for verifier in logs:
            # tlog-policy: a log's key name is its origin.
            self._logs.setdefault(verifier.name, []).append(verifier)

    @property
    def logs(self) -> Mapping[str, list[NoteVerifier]]:
        return self._logs

    def add_checkpoint(self, body: bytes) -> Answer:
        if len(body) > _MAX_BODY:
            return _text(400, "request body too large")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "request body is not UTF-8")
        head, sep, note = text.partition("\n\n")
        if not sep:
            return _text(400, "no empty line between the proof and the checkpoint")
        lines = head.split("\n")
        first = lines[0]
        size_text = first.removeprefix("old ")
        if (
            first == size_text
            or not size_text.isascii()
            or not size_text.isdigit()
            or (len(size_text) > 1 and size_text[0] == "0")
        ):
            return _text(400, "the first line must be 'old <size>' in decimal")
        old_size = int(size_text)
        proof_lines = lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            return _text(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
        proof: list[bytes] = []
        for line in proof_lines:
            try:
                node = base64.b64decode(line.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                return _text(400, "a consistency proof line is not base64")
            if len(node) != merkle.HASH_SIZE:
                return _text(400, "a consistency proof line is not a 32-byte hash")
            proof.append(node)
        origin = note.split("\n", 1)[0]
        verifiers = self._logs.get(origin)
        if not verifiers:
            return _text(404, "unknown log origin")
        try:
            signed_text = open_note(note, verifiers)
            checkpoint = Checkpoint.parse(signed_text)
        except CheckpointError:
            return _text(400, "the checkpoint is malformed")
        except NoteError:
            return _text(403, "the checkpoint is not signed by a key trusted for its origin")
        if old_size > checkpoint.size:
            return _text(400, "the old size is larger than the checkpoint size")
        if old_size == 0 and proof:
            return _text(422, "the consistency proof from size 0 must be empty")

        def decide(state: LogState) -> tuple[Answer, bytes | None, int]:
            if old_size != state.size:
                return self._conflict(state, "old size is not the last cosigned size"), None, 0
            if checkpoint.size == state.size and state.root not in (None, checkpoint.root_hash):
                return self._conflict(state, "same size, different root: a fork"), None, 0
            old_root = state.root if state.root is not None else merkle.EMPTY_ROOT
            if not merkle.verify_consistency(
                old_size, checkpoint.size, proof, old_root, checkpoint.root_hash
            ):
                return _text(422, "the consistency proof does not verify"), None, 0
            line = self._signer.line(signed_text, int(self._clock()))
            answer = Answer(200, "text/plain; charset=utf-8", line)
            return answer, checkpoint.root_hash, checkpoint.size

        answer = self._state.advance(origin, decide)
        if answer.status == 200:
            log.info("witness.cosigned", origin=origin, size=checkpoint.size)
        else:
            self._state.record_refusal(origin, answer.body.strip(), text)
            log.warning(
                "witness.refused", origin=origin, status=answer.status, size=checkpoint.size
            )
        return answer

    @staticmethod
    def _conflict(state: LogState, _why: str) -> Answer:
        return Answer(409, "text/x.tlog.size", f"{state.size}\n")
