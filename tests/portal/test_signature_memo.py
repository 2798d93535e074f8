"""The suite's memo of Litestar's handler parses (tests/support/signatures.py): a later app gets
the first app's parse and signature model of each handler, and both are exactly what Litestar
makes afresh for that app's handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition
from litestar.utils.helpers import unwrap_partial
from litestar.utils.signature import ParsedSignature

from portal.app import create_app
from tests.conftest import TestDatabase, make_settings
from tests.support import signatures


def _app(tmp_path: Path) -> Litestar:
    path = tmp_path / "unused.sqlite3"  # create_app does not connect; no database is needed
    url = f"sqlite:///{path}"
    return create_app(make_settings(TestDatabase("sqlite", url, url), tmp_path / "data"))


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                found[(route.path, method)] = handler
    return found


def _field(field: FieldDefinition) -> tuple[Any, ...]:
    return (
        field.name,
        field.raw,
        field.annotation,
        field.default,
        field.kwarg_definition,
        field.extra,
        field.metadata,
    )


def _parse(parsed: ParsedSignature) -> tuple[Any, ...]:
    return (
        tuple((name, _field(field)) for name, field in parsed.parameters.items()),
        _field(parsed.return_type),
        parsed.original_signature,
    )


def _model(model: Any) -> tuple[Any, ...]:
    return (
        model.__name__,
        model.__module__,
        tuple((f.name, f.type, f.default) for f in msgspec.structs.fields(model)),
        model._dependency_name_set,
        tuple((name, _field(field)) for name, field in model._fields.items()),
        model._return_annotation,
        model._headers_from_connection,
        model._data_dto,
    )


def test_a_later_app_reuses_the_first_apps_parses(tmp_path: Path) -> None:
    first, later = _handlers(_app(tmp_path)), _handlers(_app(tmp_path))
    assert first.keys() == later.keys()
    ours = [key for key, handler in later.items() if handler.fn.__module__.startswith("portal.")]
    assert len(ours) > 150, "the portal's own handlers"
    for key in ours:
        assert later[key].parsed_fn_signature is first[key].parsed_fn_signature, key
        assert later[key].signature_model is first[key].signature_model, key


def test_every_reused_parse_is_what_litestar_makes_afresh(tmp_path: Path) -> None:
    _app(tmp_path)
    handlers = _handlers(_app(tmp_path))
    from_fn = signatures.original("from_fn")
    create = signatures.original("create")
    for key, handler in handlers.items():
        fresh = from_fn(unwrap_partial(handler.fn), handler.resolve_signature_namespace())
        assert _parse(handler.parsed_fn_signature) == _parse(fresh), key
        model = create(
            dependency_name_set=handler.dependency_name_set,
            fn=handler.fn,
            parsed_signature=fresh,
            type_decoders=handler.resolve_type_decoders(),
            data_dto=handler.resolve_data_dto(),
        )
        assert _model(handler.signature_model) == _model(model), key
