"""Tests for ledger.checkpoint: C2SP tlog-checkpoint bodies, signed as C2SP signed notes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    CheckpointError,
    OriginMismatchError,
    open_checkpoint,
    sign_checkpoint,
)
from ledger.note import (
    BadSignatureError,
    MalformedNoteError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    UnknownKeyError,
)

ORIGIN = "esp-portal.local/ledger"
HASH = hashlib.sha256(b"").digest()
HASH_B64 = base64.b64encode(HASH).decode()

# Go's golang.org/x/mod/sumdb/tlog TestFormatTree / TestParseTree
# (https://github.com/golang/mod/blob/master/sumdb/tlog/note_test.go): the tree hash is
# RecordHash("hello world") = SHA-256(0x00 || "hello world").
GO_TREE_TEXT = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
GO_TREE_HASH = hashlib.sha256(b"\x00hello world").digest()

# A signed tree head served by https://sum.golang.org, verifiable with the key built into the go
# command (https://github.com/golang/go/blob/master/src/cmd/go/internal/modfetch/key.go).
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n15368405\n/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=\n\n"
    "— sum.golang.org Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295Ejwd"
    "Swlzgijq5WA9d1Ded7owM=\n"
)


def test_go_tlog_vector_format_and_parse() -> None:
    cp = Checkpoint("go.sum database tree", 123456789012, GO_TREE_HASH)
    assert cp.to_text() == GO_TREE_TEXT
    assert Checkpoint.parse(GO_TREE_TEXT) == cp


def test_go_tlog_bad_trees_rejected() -> None:
    for bad in [
        "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
    ]:
        with pytest.raises(CheckpointError):
            Checkpoint.parse(bad)


def test_production_sumdb_checkpoint_opens() -> None:
    verifier = NoteVerifier.from_key(SUMDB_VKEY)
    cp = open_checkpoint(SUMDB_NOTE, verifier, "go.sum database tree")
    assert cp.size == 15368405
    assert cp.root_hash == base64.b64decode("/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=")
    with pytest.raises(OriginMismatchError):
        open_checkpoint(SUMDB_NOTE, verifier, ORIGIN)


def test_to_text_and_parse_round_trip() -> None:
    cp = Checkpoint(ORIGIN, 42, HASH)
    assert cp.to_text() == f"{ORIGIN}\n42\n{HASH_B64}\n"
    assert Checkpoint.parse(cp.to_text()) == cp
    empty = Checkpoint(ORIGIN, 0, HASH)
    assert empty.to_text().split("\n")[1] == "0"
    assert Checkpoint.parse(empty.to_text()) == empty


@given(
    size=st.integers(min_value=0, max_value=MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
)
def test_round_trip_property(size: int, root: bytes) -> None:
    cp = Checkpoint(ORIGIN, size, root)
    assert Checkpoint.parse(cp.to_text()) == cp


def test_extension_lines_parsed_and_kept() -> None:
    text = f"{ORIGIN}\n7\n{HASH_B64}\nfirst extension\n— second: with spaces\n"
    cp = Checkpoint.parse(text)
    assert cp.extensions == ("first extension", "— second: with spaces")
    assert cp.size == 7 and cp.root_hash == HASH and cp.origin == ORIGIN
    assert cp.to_text() == text
    assert Checkpoint(ORIGIN, 7, HASH).extensions == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n1\n{HASH_B64}", "newline"),
        ("", "newline"),
        (f"{ORIGIN}\n1\n", "three lines"),
        (f"{ORIGIN}\n{HASH_B64}\n", "three lines"),
        (f"\n1\n{HASH_B64}\n", "origin must not be empty"),
        (f"{ORIGIN}\n01\n{HASH_B64}\n", "leading"),
        (f"{ORIGIN}\n00\n{HASH_B64}\n", "leading"),
        (f"{ORIGIN}\n-1\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n+1\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n 1\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n1 \n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n1_000\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n0x10\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n\u0661\n{HASH_B64}\n", "decimal"),  # ARABIC-INDIC DIGIT ONE
        (f"{ORIGIN}\nten\n{HASH_B64}\n", "decimal"),
        (f"{ORIGIN}\n{2**63}\n{HASH_B64}\n", "too large"),
        (f"{ORIGIN}\n1\n{base64.b64encode(HASH[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{base64.b64encode(HASH + b'x').decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{HASH_B64.rstrip('=')}\n", "base64"),
        (f"{ORIGIN}\n1\n{HASH_B64[:-2]}!=\n", "base64"),
        (f"{ORIGIN}\n1\n{HASH_B64.replace('/', '_').replace('+', '-')}_\n", "base64"),
        (f"{ORIGIN}\n1\n {HASH_B64}\n", "base64"),
        (f"{ORIGIN}\n1\n{HASH_B64[:-2]}V=\n", "canonical"),  # non-zero padding bits
        (f"{ORIGIN}\n1\n{HASH_B64}\n\n", "extension line must not be empty"),
        (f"{ORIGIN}\r\n1\n{HASH_B64}\n", "control character"),
        (f"{ORIGIN}\n1\n{HASH_B64}\r\n", "base64"),
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_constructor_validates() -> None:
    with pytest.raises(CheckpointError, match="empty"):
        Checkpoint("", 1, HASH)
    with pytest.raises(CheckpointError, match="control"):
        Checkpoint("a\nb", 1, HASH)
    with pytest.raises(CheckpointError, match="range"):
        Checkpoint(ORIGIN, -1, HASH)
    with pytest.raises(CheckpointError, match="int"):
        Checkpoint(ORIGIN, True, HASH)
    with pytest.raises(CheckpointError, match="32 bytes"):
        Checkpoint(ORIGIN, 1, b"\x00" * 31)
    with pytest.raises(CheckpointError, match="empty"):
        Checkpoint(ORIGIN, 1, HASH, ("",))


def test_frozen() -> None:
    cp = Checkpoint(ORIGIN, 1, HASH)
    with pytest.raises(AttributeError):
        cp.size = 2  # type: ignore[misc]


# --------------------------------------------------------------------------- signed checkpoints


def test_sign_and_open() -> None:
    signer = NoteSigner.generate(ORIGIN)
    cp = Checkpoint(ORIGIN, 3, HASH)
    note = sign_checkpoint(cp, signer)
    assert note.startswith(cp.to_text() + "\n— " + ORIGIN + " ")
    verifier = NoteVerifier.from_key(signer.verifier_key())
    assert open_checkpoint(note, verifier, ORIGIN) == cp
    assert open_checkpoint(note.encode(), [verifier], ORIGIN) == cp


def test_open_checkpoint_failures() -> None:
    signer = NoteSigner.generate(ORIGIN)
    verifier = signer.verifier()
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, HASH), signer)

    with pytest.raises(BadSignatureError):
        open_checkpoint(note.replace("\n3\n", "\n4\n", 1), verifier, ORIGIN)
    with pytest.raises(UnknownKeyError):
        open_checkpoint(note, NoteSigner.generate(ORIGIN).verifier(), ORIGIN)
    with pytest.raises(OriginMismatchError, match=r"other\.example/log"):
        open_checkpoint(note, verifier, "other.example/log")
    with pytest.raises(MalformedNoteError):
        open_checkpoint(note.removesuffix("\n"), verifier, ORIGIN)
    # A correctly signed note whose body is not a checkpoint.
    with pytest.raises(CheckpointError, match="three lines"):
        open_checkpoint(signer.sign("just text\n"), verifier, ORIGIN)


def test_origin_mismatch_is_a_checkpoint_error_not_a_note_error() -> None:
    assert issubclass(OriginMismatchError, CheckpointError)
    assert not issubclass(CheckpointError, NoteError)


def test_key_name_may_differ_from_origin() -> None:
    signer = NoteSigner.generate("esp-portal.local/ledger-key-2025")
    cp = Checkpoint(ORIGIN, 9, HASH)
    assert open_checkpoint(sign_checkpoint(cp, signer), signer.verifier(), ORIGIN) == cp
