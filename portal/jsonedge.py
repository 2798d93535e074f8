"""How response models become JSON at the edge: pydantic writes its own JSON.

Litestar's pydantic plugin turns a response model into Python dicts and lists
(``model_dump(mode="json")``) and msgspec then encodes those. For a staff page (25 people,
a year of duties each) building the intermediate objects was ~10 % of the request's CPU
(bench/results/http.md, fourth round). pydantic's ``model_dump_json`` writes the same JSON in one
pass in Rust; msgspec embeds it unchanged (``msgspec.Raw``). The bytes differ at most in
spacing, never in values: both use JSON mode with the same defaults (no aliases, nothing
excluded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from pydantic import BaseModel


def _model_json(model: BaseModel) -> msgspec.Raw:
    return msgspec.Raw(model.model_dump_json())


#: The app's ``type_encoders``: they take precedence over the plugin's for ``BaseModel``.
TYPE_ENCODERS: dict[Any, Callable[[Any], Any]] = {BaseModel: _model_json}
