"""Witness policies: the C2SP ``tlog-policy`` file format, parsed and evaluated.

A policy names the logs a verifier accepts, the witnesses it knows, and the quorum of witnesses
that must have cosigned a checkpoint for it to be believed::

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

Names are policy-local (they need not equal the witnesses' key names); a group or the quorum may
only refer to names defined on earlier lines, and a name may be a member of one group at most
once. Whitespace is ASCII space and tab; ``#`` starts a comment line. Log vkeys are signed-note
Ed25519 keys (type 0x01) whose name is the log origin; witness vkeys are ``cosignature/v1`` keys
(type 0x04). :func:`check_checkpoint` applies a policy to a signed checkpoint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .checkpoint import Checkpoint
from .cosignature import Cosignature, CosignatureVerifier, split_note
from .note import NoteError, NoteVerifier, open_note

__all__ = ["Policy", "PolicyError", "PolicyResult", "check_checkpoint", "parse_policy"]

_WS = re.compile(r"[ \t]+")
_MAX_ITEMS = 256


class PolicyError(ValueError):
    """The policy file is malformed; the message names the line."""


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    """A parsed policy. ``quorum`` is ``"none"`` when no cosignature is required."""

    logs: list[NoteVerifier] = field(default_factory=list)
    log_urls: dict[str, str] = field(default_factory=dict)
    witnesses: dict[str, CosignatureVerifier] = field(default_factory=dict)
    witness_urls: dict[str, str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"

    def satisfied(self, witnessed: Iterable[str]) -> bool:
        """Whether the witnesses named ``witnessed`` (policy names) meet the quorum."""
        have = set(witnessed)
        return self._holds(self.quorum, have)

    def _holds(self, name: str, have: set[str]) -> bool:
        if name == "none":
            return True
        if name in self.witnesses:
            return name in have
        group = self.groups[name]
        count = sum(1 for member in group.members if self._holds(member, have))
        return count >= group.threshold


def parse_policy(data: bytes | str) -> Policy:
    """Parse a policy file; raise :class:`PolicyError` naming the first bad line."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    for offset, byte in enumerate(raw):
        if (byte < 0x20 and byte not in (0x09, 0x0A)) or byte == 0x7F:
            raise PolicyError(f"control character 0x{byte:02x} at byte {offset}")
    parser = _Parser()
    for number, line in enumerate(raw.decode("utf-8", errors="surrogateescape").split("\n"), 1):
        words = [w for w in _WS.split(line.strip(" \t")) if w]
        if words and not words[0].startswith("#"):
            parser.line(f"line {number}", words[0], words[1:])
    if not parser.quorum_seen:
        raise PolicyError("the policy has no quorum line")
    return parser.policy


class _Parser:
    """The state of one parse: what is defined so far, one method per keyword."""

    def __init__(self) -> None:
        self.policy = Policy()
        self.names: set[str] = set()
        self.keys: set[bytes] = set()
        self.quorum_seen = False

    def line(self, where: str, keyword: str, args: list[str]) -> None:
        if len(self.names) + len(self.policy.logs) > _MAX_ITEMS:
            raise PolicyError(f"{where}: too many definitions (at most {_MAX_ITEMS})")
        handlers = {
            "log": self._log,
            "witness": self._witness,
            "group": self._group,
            "quorum": self._quorum,
        }
        handler = handlers.get(keyword)
        if handler is None:
            raise PolicyError(f"{where}: unknown keyword {keyword!r}")
        handler(where, args)

    def _key(self, public_key: bytes, where: str) -> None:
        if public_key in self.keys:
            raise PolicyError(f"{where}: duplicate key")
        self.keys.add(public_key)

    def _log(self, where: str, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise PolicyError(f"{where}: expected 'log <vkey> [<url>]'")
        try:
            log = NoteVerifier.from_key(args[0])
        except NoteError as exc:
            raise PolicyError(f"{where}: bad log key: {exc}") from None
        self._key(log.public_key, where)
        self.policy.logs.append(log)
        if len(args) == 2:
            self.policy.log_urls[log.name] = args[1]

    def _witness(self, where: str, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise PolicyError(f"{where}: expected 'witness <name> <vkey> [<url>]'")
        name = _new_name(args[0], self.names, where)
        try:
            witness = CosignatureVerifier.from_key(args[1])
        except NoteError as exc:
            raise PolicyError(f"{where}: bad witness key: {exc}") from None
        self._key(witness.public_key, where)
        self.policy.witnesses[name] = witness
        if len(args) == 3:
            self.policy.witness_urls[name] = args[2]

    def _group(self, where: str, args: list[str]) -> None:
        if len(args) < 3:
            raise PolicyError(f"{where}: expected 'group <name> all|any|<k> <member>...'")
        members = args[2:]
        for member in members:
            if member not in self.names:
                raise PolicyError(f"{where}: member {member!r} is not defined above")
        name = _new_name(args[0], self.names, where)
        if len(set(members)) != len(members):
            raise PolicyError(f"{where}: a member is listed twice")
        threshold = _threshold(args[1], len(members), where)
        self.policy.groups[name] = Group(name, threshold, tuple(members))

    def _quorum(self, where: str, args: list[str]) -> None:
        if self.quorum_seen:
            raise PolicyError(f"{where}: a policy has exactly one quorum line")
        if len(args) != 1:
            raise PolicyError(f"{where}: expected 'quorum <name>'")
        if args[0] != "none" and args[0] not in self.names:
            raise PolicyError(f"{where}: quorum {args[0]!r} is not defined above")
        self.policy.quorum = args[0]
        self.quorum_seen = True


def _new_name(name: str, names: set[str], where: str) -> str:
    if name == "none":
        raise PolicyError(f"{where}: 'none' is reserved")
    if name in names:
        raise PolicyError(f"{where}: name {name!r} is already defined")
    names.add(name)
    return name


def _threshold(word: str, count: int, where: str) -> int:
    if word == "all":
        return count
    if word == "any":
        return 1
    if not word.isdigit() or not word.isascii() or (len(word) > 1 and word[0] == "0"):
        raise PolicyError(f"{where}: threshold must be all, any or a decimal number")
    k = int(word)
    if not 1 <= k <= count:
        raise PolicyError(f"{where}: threshold {k} must be between 1 and {count}")
    return k


@dataclass
class PolicyResult:
    """What a policy made of a checkpoint: the checkpoint and the valid cosignatures found."""

    checkpoint: Checkpoint
    cosigned_by: dict[str, Cosignature]
    quorum_met: bool


def check_checkpoint(note: str, policy: Policy, expected_origin: str | None = None) -> PolicyResult:
    """Verify the log signature (a policy log named as the origin) and count valid cosignatures.

    Raises a :class:`~ledger.note.NoteError` if no such log signed it (or
    :class:`~ledger.checkpoint.CheckpointError` if the body is malformed); the caller reads
    ``quorum_met`` for the witness part. Witness lines that fail to verify are not counted.
    """
    if not policy.logs:
        raise PolicyError("the policy lists no log, so no checkpoint can be accepted")
    body, lines = split_note(note)
    origin = body.split("\n", 1)[0]
    if expected_origin is not None and origin != expected_origin:
        raise PolicyError(f"checkpoint origin {origin!r} is not {expected_origin!r}")
    logs = [log for log in policy.logs if log.name == origin]
    if not logs:
        raise PolicyError(f"no log in the policy has origin {origin!r}")
    checkpoint = Checkpoint.parse(open_note(note, logs))
    cosigned: dict[str, Cosignature] = {}
    for name, verifier in policy.witnesses.items():
        for line in lines:
            found = verifier.check_line(body, line)
            if found is not None:
                cosigned[name] = found
                break
    return PolicyResult(checkpoint, cosigned, policy.satisfied(cosigned))
