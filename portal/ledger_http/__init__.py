"""``/ledger/...``: the public face of the disclosure ledger (checkpoint, key, proofs, entries).

Checkpoint, key and proofs hold only hashes and are public, so anyone can audit the log without an
account. An entry's content is for the DPO, and for the volunteer it is about.
"""
