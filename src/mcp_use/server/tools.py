"""Tools: a user function, its schemas, and how its return value becomes a result."""

from __future__ import annotations

import base64
import dataclasses
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from ..protocol.errors import MCPError
from .loaded import is_model, spec_types, validation_error
from .threaded import call_in_thread
from .wire import icons_wire, with_fields

if TYPE_CHECKING:  # pydantic loads with the first schema built (`make_tool`), not before
    from pydantic import ValidationError

    from . import schema as schemas


class ToolError(Exception):
    """Raise this in a tool to answer `isError: true` with a message meant for the model."""


_SCALARS = frozenset({int, float, str, bool})


def _json_default(value: Any) -> Any:
    if is_model(value):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def to_json_text(value: Any) -> str:
    return orjson.dumps(value, default=_json_default).decode()


def content_block(value: Any) -> dict[str, Any]:
    """One spec content block from a content model, a dict shaped like one, or anything else."""
    types = spec_types()
    if types is not None and isinstance(value, types.MCPModel):
        return value.to_wire()
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value
    if isinstance(value, str):
        return {"type": "text", "text": value}
    return {"type": "text", "text": to_json_text(value)}


def _is_content_list(value: Any, content_types: tuple[type, ...]) -> bool:
    return (
        isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, content_types) for v in value)
    )


# `execution.taskSupport` on the wire for each `task=` option that allows a task.
TASK_SUPPORT: dict[bool | str, str] = {True: "optional", "required": "required"}


@dataclasses.dataclass(slots=True, eq=False)
class Tool:
    fn: Callable[..., Any]
    name: str
    title: str | None
    description: str | None
    input_schema: dict[str, Any]
    output: schemas.OutputSpec
    annotations: dict[str, Any] | None
    icons: list[dict[str, Any]] | None
    meta: dict[str, Any] | None
    signature: schemas.Signature | None  # None when the schema was hand-written
    context_param: str | None
    is_async: bool
    run_in_thread: bool
    timeout: float | None = None  # seconds; None: the server's `tool_timeout`
    task: bool | str = False  # False, True (the client may take a task) or "required"
    task_start: str = "auto"  # "manual": the task starts when the function awaits ctx.start_task()
    scopes: tuple[str, ...] = ()  # needed to call it on a protected server
    wire: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wire = with_fields(
            {"name": self.name},
            ("title", self.title),
            ("description", self.description),
            ("inputSchema", self.input_schema),  # placed here for the key order; never empty
            ("outputSchema", self.output.schema),
            ("annotations", self.annotations),
            ("icons", self.icons),
            ("_meta", self.meta),
            ("execution", {"taskSupport": TASK_SUPPORT[self.task]} if self.task else None),
        )

    def bind(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate the arguments; a `ToolError` names the fields that are wrong."""
        signature = self.signature
        if signature is None:
            return dict(arguments)
        try:
            if signature.fields is not None:  # the fields' validator: no model instance
                return signature.fields.validate_python(arguments)[0]
            # The validator itself: `model_validate` adds a Python call and option checks.
            model = signature.model.__pydantic_validator__.validate_python(arguments)
        except validation_error() as exc:  # evaluated only when the validator raised
            raise ToolError(_describe(self.name, exc)) from None
        # exactly the parameters' fields, in their order (the model is this call's own, so
        # its dict is handed on rather than copied)
        return model.__dict__

    async def run(self, kwargs: dict[str, Any], *, bounded: bool = False) -> Any:
        """Call the function. A sync one runs inline, or in a worker thread when it asked
        (`run_in_thread`) or when a deadline bounds it (`bounded`: see `threaded.py`)."""
        if self.is_async:
            return await self.fn(**kwargs)
        if self.run_in_thread or bounded:
            return await call_in_thread(self.fn, kwargs, self.name)
        return self.fn(**kwargs)

    def to_result(self, value: Any) -> dict[str, Any]:
        """Turn what the function returned into a `CallToolResult` dict."""
        output = self.output
        kind = type(value)
        if kind in _SCALARS and output.adapter is not None and output.wrap:
            # A scalar is never a spec type: the common `-> int` / `-> str` result at once
            # (an int's JSON is its `str`; a float's and a bool's are orjson's).
            text = value if kind is str else str(value) if kind is int else orjson.dumps(value).decode()
            return {
                "content": [{"type": "text", "text": text}],
                "structuredContent": {"result": value},
                "isError": False,
            }
        if isinstance(value, str) and output.adapter is None:
            return {"content": [{"type": "text", "text": value}], "isError": False}
        types = spec_types()
        if types is not None:
            if isinstance(value, types.CallToolResult):
                return value.to_wire()
            if isinstance(value, types.CONTENT_TYPES):
                return {"content": [value.to_wire()], "isError": False}
            if _is_content_list(value, types.CONTENT_TYPES):
                return {"content": [v.to_wire() for v in value], "isError": False}
        if output.adapter is not None:
            structured: Any = output.adapter.dump_python(value, mode="json")
            if self.output.wrap:
                structured = {"result": structured}
            text = orjson.dumps(structured["result"] if self.output.wrap else structured).decode()
            if self.output.wrap and isinstance(structured["result"], str):
                text = structured["result"]
            return {
                "content": [{"type": "text", "text": text}],
                "structuredContent": structured,
                "isError": False,
            }
        if value is None:
            return {"content": [], "isError": False}
        if isinstance(value, (list, tuple)):
            return {"content": [content_block(v) for v in value], "isError": False}
        if isinstance(value, dict) and isinstance(value.get("type"), str) and "content" not in value:
            return {"content": [value], "isError": False}
        return {"content": [{"type": "text", "text": to_json_text(value)}], "isError": False}


def _describe(tool: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{loc}: {err.get('msg')}")
    return f"Invalid arguments for tool '{tool}': " + "; ".join(parts)


def error_result(message: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": message}], "isError": True}


def make_tool(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    annotations: Any = None,
    icons: list[Any] | None = None,
    meta: dict[str, Any] | None = None,
    input_schema: dict[str, Any] | None = None,
    output_schema: dict[str, Any] | bool | None = None,
    structured_output: bool | None = None,
    run_in_thread: bool = False,
    timeout: float | None = None,
    task: bool | str = False,
    task_start: str = "auto",
    scopes: list[str] | None = None,
) -> Tool:
    from . import schema as schemas

    unwrapped = inspect.unwrap(fn)
    is_async = inspect.iscoroutinefunction(unwrapped) or inspect.iscoroutinefunction(fn)
    task = _task_option(task, task_start, is_async, name or fn.__name__)
    if task and not is_async:
        run_in_thread = True  # a task's body must not block the loop answering tasks/get
    if input_schema is None:
        signature = schemas.analyse(fn)
        schema = signature.input_schema
        context_param = signature.context_param
    else:
        signature = None
        schema = input_schema
        context_param = schemas.analyse(fn).context_param
    hints = schemas.resolved_hints(fn)
    if structured_output is False:
        output = schemas.OutputSpec(None, None, False)
    else:
        output = schemas.output_spec(hints.get("return", inspect.Signature.empty))
    if isinstance(output_schema, dict):
        output = schemas.OutputSpec(output_schema, output.adapter, output.wrap)
    if annotations is not None and not isinstance(annotations, dict):
        annotations = annotations.to_wire() if hasattr(annotations, "to_wire") else dict(annotations)
    doc = inspect.getdoc(fn)
    return Tool(
        fn=fn,
        name=name or fn.__name__,
        title=title,
        description=description if description is not None else doc,
        input_schema=schema,
        output=output,
        annotations=annotations,
        icons=icons_wire(icons),
        meta=meta,
        signature=signature,
        context_param=context_param,
        is_async=is_async,
        run_in_thread=run_in_thread,
        timeout=timeout,
        task=task,
        task_start=task_start,
        scopes=tuple(scopes or ()),
    )


def _task_option(task: Any, task_start: str, is_async: bool, name: str) -> bool | str:
    if task == "optional":
        task = True
    if task not in (False, True, "required"):
        raise ValueError(f"tool {name!r}: task must be True, False or 'required', not {task!r}")
    if task_start not in ("auto", "manual"):
        raise ValueError(f"tool {name!r}: task_start must be 'auto' or 'manual', not {task_start!r}")
    if task_start == "manual" and not (task and is_async):
        raise ValueError(
            f"tool {name!r}: task_start='manual' needs task=True or 'required' and an async function"
        )
    return task  # type: ignore[no-any-return]


__all__ = ["MCPError", "Tool", "ToolError", "make_tool"]
