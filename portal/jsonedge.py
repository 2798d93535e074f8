"""How response models become JSON at the edge: pydantic writes its own JSON.

Litestar's pydantic plugin turns a response model into Python dicts and lists
(``model_dump(mode="json")``) and msgspec then encodes those. For a staff page (25 people,
a year of duties each) building the intermediate objects was ~10 % of the request's CPU
(bench/results/http.md, fourth round). pydantic's ``model_dump_json`` writes the same JSON in one
pass in Rust; msgspec embeds it unchanged (``msgspec.Raw``). The bytes differ at most in
spacing, never in values: both use JSON mode with the same defaults (no aliases, nothing
excluded).

A value may also arrive already encoded (:class:`EncodedJSON`: a staff page's duty records,
written by the database): it is spliced into the output as it is, never decoded and encoded
again (bench/results/http.md, fifth round). pydantic cannot embed raw JSON, so it writes a
placeholder string carrying this process's random nonce, and the placeholder is replaced.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
from pydantic import BaseModel

#: Placeholders are ``"esp-splice-<nonce>-<n>"``; the nonce is never sent, so no value a
#: client or a volunteer wrote can look like one.
_SPLICE = f'"esp-splice-{secrets.token_hex(16)}-'
_decode = msgspec.json.Decoder().decode


class EncodedJSON:
    """A JSON value already encoded, spliced into responses as it is (never re-encoded).

    Immutable, so one can be shared (remembered across requests). Code that reads the value
    rather than sending it gets a fresh decoded copy each time, so it behaves as the list it
    encodes and can change nothing shared; that is one decoding per touch, so a page hands its
    template :func:`decoded` data instead (decoded once).
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self) -> Any:
        """The decoded value (a new copy on every call)."""
        return _decode(self.text)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value())

    def __len__(self) -> int:
        return len(self.value())

    def __bool__(self) -> bool:
        return bool(self.value())

    def __getitem__(self, index: Any) -> Any:
        return self.value()[index]

    def __eq__(self, other: object) -> bool:
        """Equal to the value it encodes (or to another encoding of the same value)."""
        if isinstance(other, EncodedJSON):
            return bool(self.value() == other.value())
        return bool(self.value() == other)

    __hash__ = None  # type: ignore[assignment]  # stands in for a list: not hashable either

    def __repr__(self) -> str:
        return f"EncodedJSON({self.text[:60]!r}{'…' if len(self.text) > 60 else ''})"


def decoded(value: Any) -> Any:
    """``value`` for code that reads it rather than sends it (a page's template): each
    :class:`EncodedJSON` in it decoded once, the dicts, lists and tuples holding them copied.

    A template touches duty records several times (is there any? each one in turn): on the
    encoded value each touch decodes again. The copy is the request's own, so nothing a template
    does to it reaches the shared encoded value."""
    if isinstance(value, EncodedJSON):
        return value.value()
    if isinstance(value, dict):
        return {key: decoded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(decoded(item) for item in value)
    return value


def model_json(model: BaseModel) -> str:
    """``model`` as JSON text, with every :class:`EncodedJSON` in it spliced in unchanged."""
    spliced: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, EncodedJSON):
            spliced.append(value.text)
            return f"{_SPLICE[1:]}{len(spliced) - 1}"
        raise TypeError(f"Unable to serialize unknown type: {type(value)!r}")

    text = model.model_dump_json(fallback=placeholder)
    if not spliced:
        return text
    head, *tails = text.split(_SPLICE)
    parts = [head]
    for tail in tails:
        index, rest = tail.split('"', 1)
        parts += (spliced[int(index)], rest)
    return "".join(parts)


def _model_json(model: BaseModel) -> msgspec.Raw:
    return msgspec.Raw(model_json(model))


def _encoded_json(value: EncodedJSON) -> msgspec.Raw:
    return msgspec.Raw(value.text)


#: The app's ``type_encoders``: they take precedence over the plugin's for ``BaseModel``.
TYPE_ENCODERS: dict[Any, Callable[[Any], Any]] = {
    BaseModel: _model_json,
    EncodedJSON: _encoded_json,
}
