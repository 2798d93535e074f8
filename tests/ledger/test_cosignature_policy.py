"""Cosignatures (C2SP tlog-cosignature, cosignature/v1) and witness policies (C2SP tlog-policy).

Cosignatures are checked by ``tests/support/spec_cosig.py``, written from the spec, both ways:
what the product signs verifies there, and what that code signs verifies in the product.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    load_or_create_cosigner_key,
)
from ledger.note import InvalidKeyError, KeyFileError, NoteSigner, UnknownKeyError
from ledger.policy import PolicyError, check_checkpoint, parse_policy
from tests.support.spec_cosig import spec_cosign, spec_verify, spec_vkey

ORIGIN = "esp-portal.local/ledger"


def _checkpoint(log: NoteSigner, size: int = 5, fill: int = 7) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, bytes([fill]) * 32), log)


def test_product_cosignature_verifies_with_the_spec_code() -> None:
    log = NoteSigner.generate(ORIGIN)
    witness = CosignatureSigner.generate("witness.example/w1")
    note = _checkpoint(log)
    body = note[: note.rindex("\n\n") + 1]
    cosigned = note + witness.line(body, 1_700_000_000)
    assert spec_verify(witness.verifier_key(), cosigned) == 1_700_000_000
    # The vkey is the spec's: type 0x04, the spec's key ID.
    raw = base64.b64decode(witness.verifier_key().split("+", 2)[2])
    assert witness.verifier_key() == spec_vkey("witness.example/w1", raw[1:])
    # Another body (a different root) does not verify with that line.
    other = _checkpoint(log, fill=8)
    assert spec_verify(witness.verifier_key(), other + witness.line(body, 1_700_000_000)) is None
    # Nor does a changed timestamp (it is signed).
    line = witness.line(body, 1_700_000_000)
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1
    forged = f"\u2014 witness.example/w1 {base64.b64encode(bytes(blob)).decode()}\n"
    assert spec_verify(witness.verifier_key(), note + forged) is None
    assert witness.verifier().check_line(body, forged) is None


def test_spec_made_cosignature_verifies_in_the_product() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    log = NoteSigner.generate(ORIGIN)
    note = _checkpoint(log)
    body = note[: note.rindex("\n\n") + 1]
    line = spec_cosign("w2.example", key, body, 42)
    verifier = CosignatureVerifier.from_key(spec_vkey("w2.example", public))
    found = verifier.check_line(body, line)
    assert found is not None and found.timestamp == 42 and found.name == "w2.example"
    # A checkpoint-signing (type 0x01) key is not a cosigner key.
    with pytest.raises(InvalidKeyError):
        CosignatureVerifier.from_key(log.verifier_key())


def test_key_file_round_trip_and_refusals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "w.key"
    first = load_or_create_cosigner_key(path, "w.example")
    assert (path.stat().st_mode & 0o777) == 0o600
    again = load_or_create_cosigner_key(path, "w.example")
    assert again.verifier_key() == first.verifier_key()
    assert "PRIVATE" not in repr(again)
    with pytest.raises(KeyFileError):
        load_or_create_cosigner_key(path, "other.example")
    path.chmod(0o644)
    with pytest.raises(KeyFileError):
        load_or_create_cosigner_key(path, "w.example")


def _policy_text(log: NoteSigner, witnesses: list[CosignatureSigner], tail: str) -> str:
    lines = [f"log {log.verifier_key()} https://log.example/ledger", "# witnesses"]
    lines += [f"  witness\tW{i} {w.verifier_key()}" for i, w in enumerate(witnesses)]
    return "\n".join(lines) + "\n" + tail


def _cosigned(note: str, signers: list[CosignatureSigner]) -> str:
    body = note[: note.rindex("\n\n") + 1]
    return note + "".join(s.line(body, 1000 + i) for i, s in enumerate(signers))


@pytest.mark.parametrize(
    ("tail", "present", "expected"),
    [
        ("quorum none\n", [], True),
        ("quorum W0\n", [0], True),
        ("quorum W0\n", [1], False),
        ("group G 2 W0 W1 W2\nquorum G\n", [0, 2], True),
        ("group G 2 W0 W1 W2\nquorum G\n", [1], False),
        ("group G all W0 W1 W2\nquorum G\n", [0, 1], False),
        ("group G all W0 W1 W2\nquorum G\n", [0, 1, 2], True),
        ("group G any W0 W1\nquorum G\n", [1], True),
        ("group A any W0 W1\ngroup B all A W2\nquorum B\n", [1, 2], True),
        ("group A any W0 W1\ngroup B all A W2\nquorum B\n", [0, 1], False),
    ],
)
def test_quorum_passes_and_fails(tail: str, present: list[int], expected: bool) -> None:
    log = NoteSigner.generate(ORIGIN)
    witnesses = [CosignatureSigner.generate(f"w{i}.example") for i in range(3)]
    policy = parse_policy(_policy_text(log, witnesses, tail))
    note = _cosigned(_checkpoint(log), [witnesses[i] for i in present])
    result = check_checkpoint(note, policy)
    assert result.quorum_met is expected
    assert sorted(result.cosigned_by) == sorted(f"W{i}" for i in present)


def test_cosignature_copied_to_a_forked_checkpoint_does_not_count() -> None:
    log = NoteSigner.generate(ORIGIN)
    witness = CosignatureSigner.generate("w0.example")
    policy = parse_policy(_policy_text(log, [witness], "quorum W0\n"))
    good = _cosigned(_checkpoint(log, fill=1), [witness])
    fork = _checkpoint(log, fill=2)
    stolen_line = good.splitlines()[-1] + "\n"
    assert check_checkpoint(good, policy).quorum_met
    assert not check_checkpoint(fork + stolen_line, policy).quorum_met


def test_a_checkpoint_by_an_unlisted_log_is_refused() -> None:
    log, other = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    policy = parse_policy(_policy_text(log, [], "quorum none\n"))
    with pytest.raises(UnknownKeyError):
        check_checkpoint(_checkpoint(other), policy)


@pytest.mark.parametrize(
    ("tail", "fragment"),
    [
        ("", "no quorum"),
        ("quorum W0\nquorum W0\n", "exactly one quorum"),
        ("quorum X\n", "not defined"),
        ("group G 2 W0\nquorum G\n", "between 1 and 1"),
        ("group G 0 W0\nquorum G\n", "between 1 and 1"),
        ("group G 02 W0 W1\nquorum G\n", "decimal"),
        ("group G any W0 W0\nquorum G\n", "twice"),
        ("group G any none\nquorum G\n", "not defined"),
        ("group none any W0\nquorum none\n", "reserved"),
        ("group W0 any W1\nquorum W0\n", "already defined"),
        ("quorum G\ngroup G any W0\n", "not defined"),
        ("frobnicate\nquorum none\n", "unknown keyword"),
        ("quorum none\x0b\n", "control character"),
    ],
)
def test_malformed_policies_are_refused(tail: str, fragment: str) -> None:
    log = NoteSigner.generate(ORIGIN)
    witnesses = [CosignatureSigner.generate(f"w{i}.example") for i in range(2)]
    with pytest.raises(PolicyError, match=fragment):
        parse_policy(_policy_text(log, witnesses, tail))


def test_duplicate_witness_keys_are_refused() -> None:
    log = NoteSigner.generate(ORIGIN)
    witness = CosignatureSigner.generate("w.example")
    text = f"log {log.verifier_key()}\nwitness A {witness.verifier_key()}\n"
    text += f"witness B {witness.verifier_key()}\nquorum A\n"
    with pytest.raises(PolicyError, match="duplicate"):
        parse_policy(text)


def test_settings_refuse_a_bad_witness_with_the_variable_named() -> None:
    from portal.settings import SettingsError, load_settings

    witness = CosignatureSigner.generate("w.example")
    good = load_settings(witnesses=[{"url": "https://w.example/", "key": witness.verifier_key()}])
    assert good.witnesses[0].url == "https://w.example"
    log_key = NoteSigner.generate(ORIGIN).verifier_key()
    with pytest.raises(SettingsError, match="ESP_WITNESSES"):
        load_settings(witnesses=[{"url": "https://w.example", "key": log_key}])
    with pytest.raises(SettingsError, match="ESP_WITNESSES"):
        load_settings(witnesses=[{"url": "ftp://w", "key": witness.verifier_key()}])
