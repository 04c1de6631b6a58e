"""Prompts: a function's arguments become prompt arguments, its return value messages."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..protocol.errors import INVALID_PARAMS, MCPError
from .loaded import spec_types, validation_error
from .tools import content_block
from .wire import icons_wire, with_fields

if TYPE_CHECKING:  # pydantic loads with the first schema built (`make_prompt`), not before
    from . import schema as schemas


@dataclasses.dataclass(slots=True, eq=False)
class Prompt:
    fn: Callable[..., Any]
    name: str
    title: str | None
    description: str | None
    icons: list[dict[str, Any]] | None
    meta: dict[str, Any] | None
    signature: schemas.Signature
    scopes: tuple[str, ...] = ()  # needed to call it on a protected server
    wire: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        props = self.signature.input_schema.get("properties", {})
        required = set(self.signature.input_schema.get("required", []))
        arguments = []
        for arg in self.signature.params:
            entry: dict[str, Any] = {"name": arg}
            prop = props.get(arg, {})
            if prop.get("title") and prop.get("title") != arg.replace("_", " ").title():
                entry["title"] = prop["title"]
            if prop.get("description"):
                entry["description"] = prop["description"]
            entry["required"] = arg in required
            arguments.append(entry)
        self.wire = with_fields(
            {"name": self.name},
            ("title", self.title),
            ("description", self.description),
            ("icons", self.icons),
            ("_meta", self.meta),
        )
        self.wire["arguments"] = arguments

    def bind(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            model = self.signature.model.model_validate(arguments)
        except validation_error() as exc:  # evaluated only when the validator raised
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            raise MCPError(INVALID_PARAMS, f"Invalid arguments for prompt '{self.name}': {detail}") from None
        return {name: model.__dict__[name] for name in self.signature.params}

    def to_result(self, value: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.description:
            result["description"] = self.description
        result["messages"] = messages(value)
        return result


def messages(value: Any) -> list[dict[str, Any]]:
    """Prompt messages from a str, a message, content, or a list of any of those."""
    if isinstance(value, (list, tuple)):
        return [_message(v) for v in value]
    return [_message(value)]


def _message(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"role": "user", "content": {"type": "text", "text": value}}
    types = spec_types()
    if types is not None:
        if isinstance(value, types.PromptMessage):
            return value.to_wire()
        if isinstance(value, types.CONTENT_TYPES):
            return {"role": "user", "content": value.to_wire()}
    if isinstance(value, dict) and "role" in value:
        content = value.get("content")
        if isinstance(content, str):
            content = {"type": "text", "text": content}
        elif hasattr(content, "to_wire"):
            content = content.to_wire()
        else:
            content = content_block(content)
        return {"role": value["role"], "content": content}
    return {"role": "user", "content": content_block(value)}


def make_prompt(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    icons: list[Any] | None = None,
    meta: dict[str, Any] | None = None,
    scopes: list[str] | None = None,
) -> Prompt:
    from . import schema as schemas

    return Prompt(
        fn=fn,
        name=name or fn.__name__,
        title=title,
        description=description if description is not None else inspect.getdoc(fn),
        icons=icons_wire(icons),
        meta=meta,
        signature=schemas.analyse(fn),
        scopes=tuple(scopes or ()),
    )
