"""Tests for ledger.note: C2SP signed notes with Ed25519, verifier keys and key files."""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import pickle
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.note import (
    MAX_SIGNATURES,
    BadSignatureError,
    InvalidKeyError,
    KeyFileError,
    MalformedNoteError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    UnknownKeyError,
    is_valid_key_name,
    key_id,
    load_or_create_signing_key,
    open_note,
    verifier_key,
)

# ---------------------------------------------------------------------------------------------
# Published vectors from Go's reference implementation, golang.org/x/mod/sumdb/note:
# https://github.com/golang/mod/blob/master/sumdb/note/note_test.go (TestNewVerifier,
# TestNewSigner, TestSign, TestOpen) and the package documentation in sumdb/note/note.go.
GO_PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)
GO_ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwn"
    "WLox33WWd1RvMc+QQ=\n"
)
GO_SIGNED_NOTE = GO_TEXT + "\n" + GO_PETER_SIG  # want in Go's TestSign

# The Go checksum database's verifier key, built into the go command:
# https://github.com/golang/go/blob/master/src/cmd/go/internal/modfetch/key.go
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
# Signed tree heads served by https://sum.golang.org (quoted verbatim in public write-ups about
# the Go checksum database); signed by Google's production sumdb signer, not by any code here.
SUMDB_NOTES = [
    "go.sum database tree\n15368405\n/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=\n\n"
    "— sum.golang.org Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295Ejwd"
    "Swlzgijq5WA9d1Ded7owM=\n",
    "go.sum database tree\n3784599\n7uvxIZ67TZygcq/AehTD8iHYt81Ih+Zl2Y7vXZbfszQ=\n\n"
    "— sum.golang.org Az3grn972wXskjQrsZhVGc93fTU2uOsmSTiId1Wn1lxDCup5z4ggl1/4gaUqOkMa6cMbYv"
    "jB7hn7yemNr7Zqanol/go=\n",
]


def _decode_go_skey(skey: str) -> tuple[str, str, bytes]:
    """Decode Go's PRIVATE+KEY+<name>+<hex>+<base64(0x01||seed)> by hand (not via our parser)."""
    private, key, name, hex_id, b64 = skey.split("+", 4)
    assert (private, key) == ("PRIVATE", "KEY")
    raw = base64.b64decode(b64)
    assert raw[0] == 0x01 and len(raw) == 33
    return name, hex_id, raw[1:]


# --------------------------------------------------------------------------- interoperability


def test_go_vector_note_verifies_with_go_verifier_key() -> None:
    verifier = NoteVerifier.from_key(GO_PETER_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == bytes.fromhex("c74f20a3")
    assert verifier.verifier_key() == GO_PETER_VKEY
    assert verifier.open(GO_SIGNED_NOTE) == GO_TEXT
    assert verifier.open(GO_SIGNED_NOTE.encode("utf-8")) == GO_TEXT


def test_go_private_key_reproduces_byte_identical_signed_note() -> None:
    name, hex_id, seed = _decode_go_skey(GO_PETER_SKEY)
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    assert signer.key_id.hex() == hex_id
    assert signer.verifier_key() == GO_PETER_VKEY
    assert signer.signature_line(GO_TEXT) == GO_PETER_SIG
    assert signer.sign(GO_TEXT) == GO_SIGNED_NOTE
    # Our parser of Go's signer-key encoding agrees with the hand decoding.
    parsed = NoteSigner.from_signer_key(GO_PETER_SKEY)
    assert parsed.sign(GO_TEXT) == GO_SIGNED_NOTE
    assert parsed._signer_key() == GO_PETER_SKEY


def test_key_id_matches_go_verifier_keys() -> None:
    for vkey in (GO_PETER_VKEY, GO_ENOCH_VKEY, SUMDB_VKEY):
        name, hex_id, b64 = vkey.split("+", 2)
        raw = base64.b64decode(b64)
        pub = raw[1:]
        assert key_id(name, pub).hex() == hex_id
        # The formula from the spec, written out independently.
        assert hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4].hex() == hex_id
        assert verifier_key(name, pub) == vkey


def test_go_open_vectors_unknown_signature_ignored_when_a_known_one_verifies() -> None:
    peter = NoteVerifier.from_key(GO_PETER_VKEY)
    enoch = NoteVerifier.from_key(GO_ENOCH_VKEY)
    msg = GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG
    assert peter.open(msg) == GO_TEXT
    assert enoch.open(msg) == GO_TEXT
    assert open_note(msg, [peter, enoch]) == GO_TEXT
    with pytest.raises(UnknownKeyError, match="no signature by a known key"):
        open_note(msg, [])
    # Duplicated signatures, plus a corrupt unknown one, as in Go's TestOpen.
    corrupt_enoch = GO_ENOCH_SIG[:60] + "ABCD" + GO_ENOCH_SIG[60:]
    msg = GO_TEXT + "\n" + GO_PETER_SIG * 2 + GO_ENOCH_SIG * 2 + corrupt_enoch
    assert peter.open(msg) == GO_TEXT


def test_go_open_vector_invalid_signature_by_known_key() -> None:
    peter = NoteVerifier.from_key(GO_PETER_VKEY)
    bad = GO_TEXT + "\n" + GO_PETER_SIG[:60] + "ABCD" + GO_PETER_SIG[60:]
    with pytest.raises(BadSignatureError, match=r"PeterNeumann\+c74f20a3"):
        peter.open(bad)


@pytest.mark.parametrize(
    "msg",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + GO_PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + GO_PETER_SIG,
        GO_TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
        "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        GO_TEXT + "\n" + GO_PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + GO_PETER_SIG * (MAX_SIGNATURES + 1),
    ],
)
def test_go_open_vectors_malformed(msg: str) -> None:
    with pytest.raises(MalformedNoteError):
        NoteVerifier.from_key(GO_PETER_VKEY).open(msg)


def test_invalid_utf8_bytes_are_malformed() -> None:
    msg = b"\xff" + (GO_TEXT + "\n" + GO_PETER_SIG).encode()
    with pytest.raises(MalformedNoteError, match="UTF-8"):
        NoteVerifier.from_key(GO_PETER_VKEY).open(msg)


def test_exactly_max_signatures_accepted() -> None:
    msg = GO_TEXT + "\n" + GO_PETER_SIG * MAX_SIGNATURES
    assert NoteVerifier.from_key(GO_PETER_VKEY).open(msg) == GO_TEXT


@pytest.mark.parametrize("note", SUMDB_NOTES)
def test_production_sum_golang_org_checkpoints_verify(note: str) -> None:
    text = NoteVerifier.from_key(SUMDB_VKEY).open(note)
    assert text.startswith("go.sum database tree\n")
    with pytest.raises(BadSignatureError):
        NoteVerifier.from_key(SUMDB_VKEY).open(note.replace("database", "datahase", 1))


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "text",
    [
        "hello\n",
        "\n",
        "line one\n\nline three after a blank line\n",
        "ends with blank lines\n\n\n",
        "Unicode: Ognuno sta solo sul cuor della terra — è subito sera ✓\n",
    ],
)
def test_round_trip(text: str) -> None:
    signer = NoteSigner.generate("esp-portal.local/ledger")
    note = signer.sign(text)
    assert note.startswith(text + "\n— esp-portal.local/ledger ")
    assert NoteVerifier.from_key(signer.verifier_key()).open(note) == text
    assert signer.verifier().open(note) == text


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x0A)))
def test_round_trip_property(body: str) -> None:
    text = "".join(ch for ch in body if ch == "\n" or ch >= " ") + "\n"
    signer = NoteSigner.from_seed("prop", b"\x07" * 32)
    assert signer.verifier().open(signer.sign(text)) == text


def test_sign_rejects_bad_text() -> None:
    signer = NoteSigner.generate("k")
    with pytest.raises(MalformedNoteError, match="newline"):
        signer.sign("no newline")
    with pytest.raises(MalformedNoteError, match="control character"):
        signer.sign("tab\there\n")
    with pytest.raises(MalformedNoteError, match="control character"):
        signer.sign("crlf\r\n")
    with pytest.raises(MalformedNoteError):
        signer.sign("lone \ud800 surrogate\n")


def test_tampered_text_fails() -> None:
    signer = NoteSigner.generate("example.com/log")
    note = signer.sign("size 10\n")
    with pytest.raises(BadSignatureError):
        signer.verifier().open(note.replace("10", "11", 1))


def test_tampered_signature_fails() -> None:
    signer = NoteSigner.generate("example.com/log")
    note = signer.sign("size 10\n")
    head, b64 = note.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[10] ^= 0x01
    tampered = f"{head} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(BadSignatureError, match="invalid signature"):
        signer.verifier().open(tampered)
    # A truncated signature for a known key is a bad signature too.
    short = f"{head} {base64.b64encode(bytes(raw[:20])).decode()}\n"
    with pytest.raises(BadSignatureError):
        signer.verifier().open(short)


def test_wrong_key_is_unknown() -> None:
    signer = NoteSigner.generate("example.com/log")
    other = NoteSigner.generate("example.com/log")  # same name, different key and key ID
    note = signer.sign("text\n")
    with pytest.raises(UnknownKeyError, match=r"example\.com/log\+"):
        other.verifier().open(note)
    renamed = NoteSigner.from_seed("example.com/other", b"\x01" * 32)
    with pytest.raises(UnknownKeyError):
        renamed.verifier().open(NoteSigner.from_seed("example.com/log", b"\x01" * 32).sign("t\n"))


def test_same_name_and_key_id_but_different_key_must_verify() -> None:
    """A signature whose name and key ID match a known key is checked, never ignored."""
    signer = NoteSigner.generate("n")
    note = signer.sign("t\n")
    impostor = NoteSigner.generate("n")
    line = impostor.signature_line("t\n")
    prefix, b64 = line.rstrip("\n").rsplit(" ", 1)
    raw = signer.key_id + base64.b64decode(b64)[4:]  # impostor's signature under signer's ID
    forged = f"t\n\n{prefix} {base64.b64encode(raw).decode()}\n"
    with pytest.raises(BadSignatureError):
        signer.verifier().open(forged)
    assert signer.verifier().open(note) == "t\n"


def test_errors_are_note_errors() -> None:
    for cls in (MalformedNoteError, UnknownKeyError, BadSignatureError, InvalidKeyError):
        assert issubclass(cls, NoteError)
    assert issubclass(KeyFileError, NoteError)


def test_duplicate_identical_verifiers_accepted() -> None:
    a = NoteVerifier.from_key(GO_PETER_VKEY)
    assert open_note(GO_SIGNED_NOTE, [a, NoteVerifier.from_key(GO_PETER_VKEY)]) == GO_TEXT


# --------------------------------------------------------------------------- key strings


def test_key_names() -> None:
    assert is_valid_key_name("esp-portal.local/ledger")
    assert is_valid_key_name("PeterNeumann")
    for bad in ["", "a b", "a+b", "a\tb", "a\nb", "a\u00a0b", "a\u2003b", "a\x00b", "\ud800"]:
        assert not is_valid_key_name(bad), bad
        with pytest.raises(InvalidKeyError):
            NoteSigner.generate(bad)


def test_go_mangled_verifier_keys_rejected() -> None:
    """Every proper substring and every single-byte change of a key is refused (Go's test)."""
    b = GO_PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if i != 0 or j != len(b):
                with pytest.raises(InvalidKeyError):
                    NoteVerifier.from_key(b[i:j])
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(InvalidKeyError):
            NoteVerifier.from_key(mangled)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        # From Go's TestNewVerifier: wrong length key and unknown algorithm, key hash adjusted.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "base64",  # also non-canonical: 'Y' before '==' has non-zero trailing bits
        ),
        (
            "PeterNeumann+6e7e4e8e+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
            "32 bytes",
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm"),
        ("", "expected"),
        ("PeterNeumann", "expected"),
        ("PeterNeumann+c74f20a3", "expected"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hex"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hex"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        (GO_PETER_VKEY + "\n", "base64"),
        (" " + GO_PETER_VKEY, "key name"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX", "does not match"),
        ("PeterNeumann+c74f20a3+", "base64"),
    ],
)
def test_malformed_verifier_keys(vkey: str, message: str) -> None:
    with pytest.raises(InvalidKeyError, match=message):
        NoteVerifier.from_key(vkey)


def test_go_mangled_signer_keys_rejected() -> None:
    b = GO_PETER_SKEY
    for i in range(len(b)):
        mangled = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(InvalidKeyError):
            NoteSigner.from_signer_key(mangled)
    for j in range(len(b)):
        with pytest.raises(InvalidKeyError):
            NoteSigner.from_signer_key(b[:j])


def test_signer_key_error_messages_do_not_leak_key() -> None:
    secret = GO_PETER_SKEY.rsplit("+", 1)[1]
    for mangled in [GO_PETER_SKEY[:-2] + "==", GO_PETER_SKEY.replace("c74f20a3", "c74f20a4")]:
        with pytest.raises(InvalidKeyError) as info:
            NoteSigner.from_signer_key(mangled)
        assert secret[:20] not in str(info.value)


# --------------------------------------------------------------------------- secrecy


def test_repr_does_not_contain_key_material() -> None:
    signer = NoteSigner.from_signer_key(GO_PETER_SKEY)
    _, _, seed = _decode_go_skey(GO_PETER_SKEY)
    secret_forms = [
        seed.hex(),
        base64.b64encode(seed).decode(),
        base64.b64encode(b"\x01" + seed).decode(),
        repr(seed),
    ]
    for shown in (repr(signer), str(signer), f"{signer}", f"{signer!r}"):
        assert "PeterNeumann" in shown and "c74f20a3" in shown
        for form in secret_forms:
            assert form not in shown
    assert not hasattr(signer, "__dict__")
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with pytest.raises(TypeError):
        copy.copy(signer)


# --------------------------------------------------------------------------- key files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.key"
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        signer = load_or_create_signing_key(path, "esp-portal.local/ledger")
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    content = path.read_text()
    assert content.startswith("PRIVATE+KEY+esp-portal.local/ledger+")
    assert content.endswith("\n") and content.count("\n") == 1
    assert signer.name == "esp-portal.local/ledger"
    assert [p.name for p in path.parent.iterdir()] == ["ledger.key"]  # no temp file left


def test_key_reused_across_loads(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    first = load_or_create_signing_key(path, "esp-portal.local/ledger")
    second = load_or_create_signing_key(path, "esp-portal.local/ledger")
    assert first.verifier_key() == second.verifier_key()
    note = first.sign("x\n")
    assert second.sign("x\n") == note  # Ed25519 is deterministic: same key
    assert NoteVerifier.from_key(second.verifier_key()).open(note) == "x\n"


def test_key_file_is_go_compatible(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(GO_PETER_SKEY + "\n")
    path.chmod(0o600)
    signer = load_or_create_signing_key(path, "PeterNeumann")
    assert signer.verifier_key() == GO_PETER_VKEY
    assert signer.sign(GO_TEXT) == GO_SIGNED_NOTE


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_group_or_world_readable_key_file_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ledger.key"
    load_or_create_signing_key(path, "n")
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="group or others") as info:
        load_or_create_signing_key(path, "n")
    assert "chmod 600" in str(info.value)
    assert path.read_text().rsplit("+", 1)[1][:20] not in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage\n",
        b"\xff\xfe\n",
        b"PRIVATE+KEY+n+00000000+AAAA\n",
        (GO_PETER_SKEY[:-4] + "AAAA\n").encode(),  # key does not match its key ID
        b"x" * 10000,
    ],
)
def test_malformed_key_file_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ledger.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=r"malformed|too large"):
        load_or_create_signing_key(path, "PeterNeumann")


def test_key_file_for_other_name_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(GO_PETER_SKEY + "\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=r"'PeterNeumann'.*'esp-portal\.local/ledger'"):
        load_or_create_signing_key(path, "esp-portal.local/ledger")


def test_key_file_that_is_a_directory_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.mkdir(mode=0o700)
    with pytest.raises((KeyFileError, IsADirectoryError)):
        load_or_create_signing_key(path, "n")


def test_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "ledger.key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        signers = list(pool.map(lambda _: load_or_create_signing_key(path, "n"), range(16)))
    assert len({s.verifier_key() for s in signers}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.key"]
