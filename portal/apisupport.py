"""What every API route shares: the channel it records, and paging bounds no value can overflow."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import UploadFile

from ledger.entries import Channel

#: The channel an API route records: ``api`` for every caller of ``/api``, whether it came with an
#: integration token or a browser session. Pages record ``web`` themselves (they pass
#: ``channel="web"``), so the ledger tells what was shown on a page from what a program read.
API_CHANNEL: Channel = "api"


#: Bounds for paging parameters, so no value can overflow a database integer.
MAX_OFFSET = 1_000_000
MAX_INDEX = 2**53 - 1

#: Largest import file accepted by upload (a duty file of about 400 000 lines); the CLI has none.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


@dataclass
class CsvFileUpload:
    """An import form: exactly one file, in the field ``file`` (two parts named ``file``
    arrive as a list and are refused by validation, naming the field)."""

    file: UploadFile
