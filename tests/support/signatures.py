"""Parse each handler's signature once per test process, not once per app.

Every test that serves the portal calls ``create_app``, and for each new app Litestar parses the
signature of all ~400 handlers again (``inspect.signature`` plus ``typing.get_type_hints``, which
compiles every string annotation anew) and builds a signature model class for each: about half
of ``create_app``'s CPU, itself the largest cost of a typical API test. Both are pure functions
of their inputs, so within one process the first result can serve every later app:

- a parse is keyed by the function (for a closure made anew per app, such as Litestar's OPTIONS
  handlers: by its code and annotations) and by the identity of every value of the namespace its
  annotations resolve against;
- a signature model is keyed by the (shared) parse it was made from and by everything else
  Litestar builds it from (dependency names, data DTO, type decoders).

Every value a key names by identity is kept alive by the memo, so an identity is never reused,
and nothing of an app (closures' cells, controller instances) is kept. Anything else falls
through to Litestar's own code. Only the test process installs this (``tests/conftest.py``):
a served portal builds its app once, and the first app of each test process still runs
Litestar's own parse; later apps get the very objects Litestar made for the first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import FunctionType, MethodType
from typing import Any

from litestar._signature.model import SignatureModel
from litestar.utils.signature import ParsedSignature

#: parse key -> (values the key names by identity, kept alive; the parse)
_parses: dict[tuple[Any, ...], tuple[tuple[Any, ...], ParsedSignature]] = {}
#: id of a memoised parse -> that parse (only these may key a signature model)
_shared: dict[int, ParsedSignature] = {}
#: model key -> (values the key names by identity; the signature model class)
_models: dict[tuple[Any, ...], tuple[tuple[Any, ...], type[SignatureModel]]] = {}
_originals: dict[str, Callable[..., Any]] = {}
stats = {"parse_hits": 0, "parse_misses": 0, "model_hits": 0, "model_misses": 0}


def _function_key(fn: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    """What a parse of ``fn`` depends on, and the objects to keep alive; None: do not memoise.

    A controller's handlers are bound to a new controller instance in every app; Litestar parses
    a bound method's function (the instance is never looked at)."""
    bound = isinstance(fn, MethodType)
    func = fn.__func__ if bound else fn
    if type(func) is not FunctionType or hasattr(func, "__wrapped__"):
        return None  # classes, callables, decorated functions: parsed every time
    if hasattr(func, "__signature__"):
        return None
    if func.__closure__ is None:
        return (bound, func), (func,)
    if func.__defaults__ is not None or func.__kwdefaults__ is not None:
        return None  # a default may be an object of one app: never kept
    annotations = tuple(func.__annotations__.items())
    key = (bound, func.__code__, func.__module__, tuple((k, id(v)) for k, v in annotations))
    return key, (func.__code__, tuple(v for _, v in annotations))


def _decoder_key(part: Any) -> tuple[Any, tuple[Any, ...]] | None:
    """A type decoder's predicate or decoder: a function, or a partial of one (the pydantic
    plugin makes a new ``partial(_dec_pydantic_v2, strict=False)`` for every app)."""
    if type(part) is FunctionType:
        return id(part), (part,)
    if isinstance(part, partial) and type(part.func) is FunctionType:
        values = (part.func, *part.args, *part.keywords.values())
        return (len(part.args), tuple(part.keywords), tuple(map(id, values))), values
    return None


def _from_fn(cls: type[ParsedSignature], fn: Any, signature_namespace: dict[str, Any]) -> Any:
    original = _originals["from_fn"]
    described = _function_key(fn) if cls is ParsedSignature else None
    if described is None:
        return original(fn, signature_namespace)
    fn_key, fn_alive = described
    items = sorted(signature_namespace.items(), key=lambda item: item[0])
    key = (fn_key, tuple((name, id(value)) for name, value in items))
    found = _parses.get(key)
    if found is not None:
        stats["parse_hits"] += 1
        return found[1]
    stats["parse_misses"] += 1
    parsed = original(fn, signature_namespace)
    _parses[key] = ((*fn_alive, *(value for _, value in items)), parsed)
    _shared[id(parsed)] = parsed
    return parsed


def _create(
    cls: type[SignatureModel],
    dependency_name_set: set[str],
    fn: Any,
    parsed_signature: ParsedSignature,
    type_decoders: Any,
    data_dto: Any = None,
) -> Any:
    original = _originals["create"]

    def build() -> Any:
        return original(
            dependency_name_set=dependency_name_set,
            fn=fn,
            parsed_signature=parsed_signature,
            type_decoders=type_decoders,
            data_dto=data_dto,
        )

    if cls is not SignatureModel or _shared.get(id(parsed_signature)) is not parsed_signature:
        return build()
    decoders = tuple(type_decoders or ())
    parts = [_decoder_key(part) for pair in decoders for part in pair]
    if None in parts:
        return build()
    key = (
        id(parsed_signature),
        getattr(fn, "__name__", None),
        getattr(fn, "__module__", None),
        frozenset(dependency_name_set),
        id(data_dto),
        tuple(part[0] for part in parts if part is not None),
    )
    found = _models.get(key)
    if found is not None:
        stats["model_hits"] += 1
        return found[1]
    stats["model_misses"] += 1
    model = build()
    alive = tuple(value for part in parts if part is not None for value in part[1])
    _models[key] = ((parsed_signature, data_dto, *alive), model)
    return model


def original(name: str) -> Callable[..., Any]:
    """Litestar's own ``from_fn`` or ``create``, as it was before :func:`install`."""
    return _originals[name]


def install() -> None:
    """Route ``ParsedSignature.from_fn`` and ``SignatureModel.create`` through the memos
    (idempotent)."""
    if _originals:
        return
    _originals["from_fn"] = ParsedSignature.from_fn
    _originals["create"] = SignatureModel.create
    ParsedSignature.from_fn = classmethod(_from_fn)  # type: ignore[method-assign,assignment]
    SignatureModel.create = classmethod(_create)  # type: ignore[method-assign,assignment]
