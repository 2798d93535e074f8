"""Response models are written to JSON by pydantic in one pass (``portal.jsonedge``).

Litestar's pydantic plugin dumps a response model to Python objects and msgspec encodes those;
for a staff page of 25 people that intermediate step was ~10 % of the request's CPU (issue 19).
The app now lets pydantic write the JSON itself. What must not change is the body: byte for
byte what the old path (``model_dump(mode="json")`` then msgspec) gave.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from pydantic import BaseModel

from portal.app import create_app
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
