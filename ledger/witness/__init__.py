"""A C2SP ``tlog-witness`` witness anyone can run, and the log's client for it.

The witness (:mod:`ledger.witness.app`, state in :mod:`ledger.witness.state`) is its own process
with its own key and its own SQLite file; it imports nothing of the portal. The client
(:mod:`ledger.witness.client`) is what the log uses to collect cosignatures.
"""
