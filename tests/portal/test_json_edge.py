"""Response models are written to JSON by pydantic in one pass (``portal.jsonedge``).

Litestar's pydantic plugin dumps a response model to Python objects and msgspec encodes those;
for a staff page of 25 people that intermediate step was ~10 % of the request's CPU (issue 19).
The app now lets pydantic write the JSON itself. What must not change is the body: byte for
byte what the old path (``model_dump(mode="json")`` then msgspec) gave.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel

from portal.app import create_app
from portal.jsonedge import TYPE_ENCODERS, EncodedJSON, decoded, model_json
from portal.settings import Settings
from portal.vocabulary.controllers import purposes
from tests.support.served import serve_app


async def test_a_response_model_is_written_once_and_unchanged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = msgspec.json.encode((await purposes.fn()).model_dump(mode="json"))
    dumps: list[type[BaseModel]] = []
    original = BaseModel.model_dump

    def counting(self: BaseModel, *args: Any, **kwargs: Any) -> Any:
        dumps.append(type(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BaseModel, "model_dump", counting)
    app = create_app(settings, configure_logs=False)
    async with serve_app(app) as client:
        answer = await client.get("/api/purposes")
    assert answer.status_code == 200
    assert answer.content == expected
    assert dumps == []  # no intermediate Python objects: pydantic wrote the JSON


class _Page(BaseModel):
    items: list[dict[str, Any]]
    note: str


def test_encoded_json_is_spliced_unchanged() -> None:
    records = [{"starts_at": "2026-07-01T09:00:00+01:00", "hours": 6.5, "ok": True}, {"x": None}]
    text = msgspec.json.encode(records).decode()
    page = _Page(items=[{"duties": EncodedJSON(text)}, {"duties": records}], note='é "q"')
    plain = _Page(items=[{"duties": records}, {"duties": records}], note='é "q"')
    assert model_json(page) == plain.model_dump_json()
    assert msgspec.json.encode({"d": EncodedJSON(text)}, enc_hook=_hook) == msgspec.json.encode(
        {"d": records}
    )
    # It reads as the value it encodes, and hands out copies: nothing shared can be changed.
    encoded = EncodedJSON(text)
    assert encoded == records and list(encoded) == records and len(encoded) == 2
    encoded.value()[0]["hours"] = 0
    assert encoded[0]["hours"] == 6.5
    assert not EncodedJSON("[]") and EncodedJSON("[1]")


def test_decoded_reads_each_encoded_value_once_into_the_readers_own_copy() -> None:
    records = [{"hours": 6.5}, {"hours": 2.0}]
    shared = {"hours_detail": {"period": "2026", "duties": EncodedJSON(json.dumps(records))}}
    data = decoded({**shared, "names": ("a", ["b"])})
    assert data == {**shared, "names": ("a", ["b"])}
    assert type(data["hours_detail"]["duties"]) is list  # decoded: touching it decodes nothing
    assert type(data["names"]) is tuple
    data["hours_detail"]["duties"][0]["hours"] = 0
    data["hours_detail"]["duties"].clear()
    data["hours_detail"].clear()
    assert shared["hours_detail"]["duties"] == records  # the shared value is unchanged


def _hook(value: Any) -> Any:
    return TYPE_ENCODERS[EncodedJSON](value)


def test_a_value_that_looks_like_a_placeholder_is_left_alone() -> None:
    """Only placeholders carrying this process's nonce are replaced; the nonce is never sent."""
    looks_like = '"esp-splice-0123456789abcdef0123456789abcdef-0"'
    page = _Page(items=[{"duties": EncodedJSON("[1]"), "text": looks_like[1:-1]}], note="n")
    assert (
        model_json(page)
        == _Page(items=[{"duties": [1], "text": looks_like[1:-1]}], note="n").model_dump_json()
    )


def test_an_unknown_value_still_fails_to_encode() -> None:
    with pytest.raises(Exception, match="serialize"):
        model_json(_Page(items=[{"x": object()}], note="n"))
