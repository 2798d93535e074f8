"""CSV imports, all or nothing: reading a file line by line and naming every bad line.

The one home of what every import file shares (duty records, volunteers and their employment
links): UTF-8 CSV with a header line naming the columns in any order (case-insensitive); blank
lines ignored; a line that is not UTF-8, not valid CSV, runs a quoted value over a line break or
has the wrong number of values named by its number; a header with unknown, repeated or missing
columns named column by column; and the rejection that lists every problem (line, field,
message) when anything is wrong, so nothing is written. Each import supplies its own columns and
its own checker of one line; this module streams (only a block of lines is held at a time).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from portal.errors import InvalidInput

#: At most this many problems are named one by one (a file this wrong is the wrong file).
MAX_REPORTED_ERRORS = 10_000
#: How a file may write yes and no (any case).
FLAGS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}

Row = TypeVar("Row")


@dataclass(frozen=True)
class LineError:
    """One problem with one line (``line`` 0 means the file as a whole)."""

    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


class Header:
    """Where each column is, from the header line."""

    def __init__(self, positions: dict[str, int], width: int) -> None:
        self.positions = positions
        self.width = width


@dataclass(frozen=True)
class Columns:
    """The columns a file of one kind must and may have."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: Said after an unknown column's message: why a kind of file holds only these columns.
    unknown_note: str = ""

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


def read_header(cells: list[str], columns: Columns, line: int = 1) -> Header | list[LineError]:
    names = [c.strip().lower().lstrip("\ufeff") for c in cells]
    if len(names) == 1:
        for delimiter, label in _OTHER_DELIMITERS.items():
            if delimiter in cells[0]:
                return [
                    LineError(
                        line,
                        "header",
                        f"the columns are separated by {label}, not commas: save the file "
                        "as comma-separated CSV",
                    )
                ]
    errors: list[LineError] = []
    positions: dict[str, int] = {}
    known = columns.all
    for index, name in enumerate(names):
        if name in positions:
            errors.append(LineError(line, name, f"the column '{name}' appears twice"))
        elif name not in known:
            errors.append(
                LineError(
                    line,
                    name or f"column {index + 1}",
                    f"unknown column '{name}'; the columns are {', '.join(known)}"
                    + columns.unknown_note,
                )
            )
        else:
            positions[name] = index
    for name in columns.required:
        if name not in positions:
            errors.append(LineError(line, name, f"the required column '{name}' is missing"))
    if errors:
        return errors
    return Header(positions, len(names))


def width_error(line: int, cells: list[str], header: Header) -> LineError | None:
    """The problem of a line whose number of values differs from the header's, or None."""
    if len(cells) == header.width:
        return None
    return LineError(
        line,
        "line",
        f"has {len(cells)} value{'s' if len(cells) != 1 else ''} but the header names "
        f"{header.width} columns",
    )


def date_cell(line: int, field: str, text: str, errors: list[LineError]) -> dt.date | None:
    """A day written year-month-day (``2026-03-14``), or None (a problem in ``errors`` unless
    the cell is blank: whether a blank day is allowed is the caller's rule)."""
    if not text:
        return None
    try:
        if len(text) == 10 and text[4] == text[7] == "-":  # only year-month-day
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    errors.append(
        LineError(line, field, f"'{text[:20]}' is not a date like 2026-03-14 (year-month-day)")
    )
    return None


class DecodedLines:
    """Decoded lines of a byte stream, a block at a time; a line that is not UTF-8 becomes an
    empty line and an error, so line numbers stay right."""

    BLOCK = 2000

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.errors: list[LineError] = []
        self.bad: list[int] = []
        self.number = 0

    def blocks(self) -> Iterator[list[str]]:
        source = iter(self.chunks)
        while True:
            block = list(itertools.islice(source, self.BLOCK))
            if not block:
                return
            if self.number == 0 and block[0].startswith(b"\xef\xbb\xbf"):
                block[0] = block[0][3:]
            first = self.number + 1
            self.number += len(block)
            try:  # the common case: the whole block is UTF-8
                text = b"".join(block).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                # One element per line read (each ends with its only "\n"); str.splitlines
                # would also split at characters such as U+2028 inside a value.
                parts = text.split("\n")
                if text.endswith("\n"):
                    parts.pop()
                yield parts
                continue
            yield self._one_by_one(block, first)

    def _one_by_one(self, block: list[bytes], first: int) -> list[str]:
        decoded = []
        for offset, raw in enumerate(block):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                number = first + offset
                self.bad.append(number)
                self.errors.append(
                    LineError(
                        number,
                        "line",
                        f"is not UTF-8 text (byte 0x{raw[exc.start]:02X} at character "
                        f"{exc.start + 1}); save the file as UTF-8 CSV",
                    )
                )
                decoded.append("\n")
        return decoded

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self.blocks())


@dataclass
class ParseOutcome:
    #: Lines read, header and blank lines included.
    lines: int = 0
    #: Lines after the header that were not blank (each one row of the file's kind).
    rows: int = 0


@dataclass(frozen=True)
class FileKind:
    """What one kind of import file is: its columns, the checker of its lines, its rows' type
    and what a row is called in messages ("duties", "volunteers")."""

    columns: Columns
    make_checker: Callable[[Header], Callable[[int, list[str]], Any]]
    row_type: type
    rows_word: str


def parse_csv(
    chunks: Iterable[bytes], kind: FileKind, outcome: ParseOutcome, errors: list[LineError]
) -> Iterator[Any]:
    """Checked rows from a byte stream split into lines, problems appended to ``errors``.

    Streams: only a block of lines is held at a time. ``outcome`` is filled in as it goes. A
    row is whatever the kind's checker returns for a good line (an instance of ``row_type``);
    for a bad line it returns the list of that line's problems.
    """
    lines = DecodedLines(chunks)
    reader = csv.reader(lines, strict=True)
    check: Callable[[int, list[str]], Any] | None = None
    row_type = kind.row_type
    seen_any = False
    read_to = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, "line", f"is not valid CSV ({exc})"))
            read_to = reader.line_num
            if check is None:
                break
            continue
        number, first = reader.line_num, read_to + 1
        read_to = number
        if number > first:  # a quoted value ran on over the end of its line
            errors.append(
                LineError(
                    first,
                    "line",
                    f"a quoted value runs on to line {number}; values may not contain line "
                    "breaks (or a closing quote is missing)",
                )
            )
            if check is None:
                break
            continue
        if not any(cells) or (len(cells) == 1 and not cells[0].strip()):
            continue
        if check is not None:
            outcome.rows += 1
            result = check(number, cells)
            if type(result) is row_type:
                yield result
            else:
                errors.extend(result)
            continue
        seen_any = True
        if any(bad < number for bad in lines.bad):  # the header line itself is unreadable
            break
        header = read_header(cells, kind.columns, number)
        if isinstance(header, list):
            errors.extend(header)
            break
        check = kind.make_checker(header)
    errors.extend(lines.errors)
    outcome.lines = lines.number
    if not seen_any and not errors:
        errors.append(LineError(0, "file", "the file is empty"))
    elif check is not None and outcome.rows == 0:
        errors.append(LineError(0, "file", f"the file has a header line but no {kind.rows_word}"))


class ImportRejected(InvalidInput):
    """The file (or batch) was rejected whole; ``errors`` names every bad line."""

    def __init__(self, errors: list[LineError], lines: int, what: str = "file") -> None:
        shown = sorted(errors, key=lambda e: (e.line, e.field))[:MAX_REPORTED_ERRORS]
        bad_lines = len({e.line for e in errors})
        unit = "line" if what == "file" else "item"
        detail = (
            f"The {what} was rejected and nothing was imported: "
            f"{bad_lines} {unit}{'s' if bad_lines != 1 else ''} with problems"
        )
        if len(errors) > len(shown):
            detail += f" (the first {len(shown)} of {len(errors)} problems are listed)"
        items: list[dict[str, Any]] = [e.as_dict() for e in shown]
        if what != "file":
            items = [
                {"item": e["line"], **{k: v for k, v in e.items() if k != "line"}} for e in items
            ]
        super().__init__(detail, errors=items)
        self.line_errors = shown  # the coordinator import pages list them
        self.total_errors = len(errors)
        self.lines = lines


def file_digest(stream: IO[bytes], block: int = 1 << 20) -> str:
    """SHA-256 of the rest of ``stream`` (streamed), then rewinds it."""
    start = stream.tell()
    digest = hashlib.sha256()
    while True:
        data = stream.read(block)
        if not data:
            break
        digest.update(data)
    stream.seek(start)
    return digest.hexdigest()
