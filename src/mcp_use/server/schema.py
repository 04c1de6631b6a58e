"""JSON Schemas from Python signatures, and validators built once per function.

Pydantic does the work; this module decides which parameters are the user's arguments
(not the injected `Context`), and inlines `$ref`s so every client can read the schema.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic_core import SchemaValidator

from .json_refs import inline_refs
from .loaded import spec_types

_PRIMITIVES = (int, float, bool, str)


class ArgumentsModel(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="ignore")


@dataclasses.dataclass(slots=True)
class Signature:
    """What a user function takes, as MCP sees it."""

    model: type[BaseModel]
    input_schema: dict[str, Any]
    context_param: str | None
    params: tuple[str, ...]
    hints: dict[str, Any]
    # The model's fields' own validator (`fields_validator`), or None: the model's.
    fields: SchemaValidator | None = None


def _is_context(annotation: Any) -> bool:
    from .context import Context

    if annotation is Context:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_context(a) for a in typing.get_args(annotation))
    return inspect.isclass(annotation) and issubclass(annotation, Context)


def resolved_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return get_type_hints(fn, include_extras=True)
    except Exception:
        return dict(getattr(fn, "__annotations__", {}))


def analyse(fn: Callable[..., Any], *, skip: tuple[str, ...] = ()) -> Signature:
    """Build the arguments model and input schema of `fn`."""
    sig = inspect.signature(fn)
    hints = resolved_hints(fn)
    fields: dict[str, Any] = {}
    context_param = None
    names = []
    for name, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or name in skip:
            continue
        annotation = hints.get(name, param.annotation)
        if annotation is not inspect.Parameter.empty and _is_context(annotation):
            context_param = name
            continue
        if annotation is inspect.Parameter.empty:
            annotation = Any
        default = param.default
        if default is inspect.Parameter.empty:
            fields[name] = (annotation, ...)
        elif isinstance(default, FieldInfo):
            fields[name] = (annotation, default)
        else:
            fields[name] = (annotation, default)
        names.append(name)
    model = create_model(f"{getattr(fn, '__name__', 'fn')}Arguments", __base__=ArgumentsModel, **fields)
    schema = inline_refs(model.model_json_schema())
    schema.pop("title", None)
    schema.setdefault("properties", {})
    return Signature(model, schema, context_param, tuple(names), hints, fields_validator(model))


def fields_validator(model: type[BaseModel]) -> SchemaValidator | None:
    """The validator of `model`'s fields alone, with the model's config: it validates
    arguments into `(fields dict, extra, fields set)` exactly as the model's validator
    does, without making a model instance per call (a third of a plain call's
    validation). Parameters of model types put the model in a `definitions` schema: the
    fields then keep those definitions. None for any other shape, whose instance's dict
    is then used."""
    schema: Any = model.__pydantic_core_schema__
    definitions = None
    if schema.get("type") == "definitions":
        schema, definitions = schema.get("schema", {}), schema.get("definitions")
    if schema.get("type") != "model" or schema.get("schema", {}).get("type") != "model-fields":
        return None
    fields = schema["schema"]
    if definitions is not None:
        fields = {"type": "definitions", "schema": fields, "definitions": definitions}
    return SchemaValidator(fields, schema.get("config"))


@dataclasses.dataclass(slots=True)
class OutputSpec:
    """How a function's return value becomes structured content."""

    schema: dict[str, Any] | None
    adapter: TypeAdapter[Any] | None
    wrap: bool  # primitives and lists travel as {"result": value}


def output_spec(annotation: Any) -> OutputSpec:
    """The output schema a return annotation implies, or none for plain/content returns."""
    if annotation in (inspect.Parameter.empty, inspect.Signature.empty, None, type(None), Any, str):
        return OutputSpec(None, None, False)
    if _is_content_annotation(annotation):
        return OutputSpec(None, None, False)
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(_portable_typeddict(annotation))
        schema = inline_refs(adapter.json_schema(mode="serialization"))
    except Exception:
        return OutputSpec(None, None, False)
    if schema.get("type") == "object" or _is_structured(annotation):
        # A model's, dataclass's or TypedDict's `title` (its class name) stays, as in the
        # SDK: clients name the types they rebuild from an output schema after it.
        if schema.get("type") != "object":
            return OutputSpec(_wrap(schema), adapter, True)
        return OutputSpec(schema, adapter, False)
    return OutputSpec(_wrap(schema), adapter, True)


def _portable_typeddict(annotation: Any) -> Any:
    """pydantic refuses `typing.TypedDict` before Python 3.12: rebuild it as typing_extensions'."""
    if sys.version_info >= (3, 12) or not typing.is_typeddict(annotation):
        return annotation
    if type(annotation).__module__ != "typing":
        return annotation
    import typing_extensions

    hints = get_type_hints(annotation, include_extras=True)
    required = annotation.__required_keys__
    fields = {k: v if k in required else typing_extensions.NotRequired[v] for k, v in hints.items()}
    return typing_extensions.TypedDict(annotation.__name__, fields)  # type: ignore[operator]


def _wrap(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema.pop("title", None)
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}


def _is_structured(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    if inspect.isclass(origin):
        if issubclass(origin, BaseModel) or dataclasses.is_dataclass(origin):
            return True
        if issubclass(origin, dict):
            return True
        if typing.is_typeddict(origin):
            return True
    return False


def _is_content_annotation(annotation: Any) -> bool:
    spec = spec_types()
    if spec is None:
        return False

    def check(tp: Any) -> bool:
        if inspect.isclass(tp) and issubclass(tp, spec.MCPModel):
            return True
        origin = typing.get_origin(tp)
        if origin is None:
            return False
        return any(check(arg) for arg in typing.get_args(tp))

    return check(annotation)


def is_primitive(value: Any) -> bool:
    return isinstance(value, _PRIMITIVES)
