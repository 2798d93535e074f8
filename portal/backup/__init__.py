"""Backups of the embedded SQLite installation, and restoring them with the ledger checked.

A backup is one archive an operator can copy off the machine; a restore refuses anything it cannot
prove is that archive, and refuses to put back a ledger that does not verify. PostgreSQL is backed
up with its own tools (``pg_dump``), as docs/BACKUP.md describes.
"""
