"""Values the 2026-07-28 HTTP transport mirrors into headers, for client and server alike.

`Mcp-Name` and `Mcp-Param-*` carry body values; a value that is not plain ASCII travels
base64-encoded inside the `=?base64?...?=` sentinel. Tool parameters opt in with an
`x-mcp-header` annotation reachable from the schema root through `properties` only.
"""

from __future__ import annotations

import base64
import binascii
import string
from typing import Any

from .errors import brief

SENTINEL_PREFIX, SENTINEL_SUFFIX = "=?base64?", "?="
HEADER_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
HEADER_TYPES = frozenset({"string", "integer", "boolean"})
HeaderParam = tuple[str, tuple[str, ...], Any]  # header name, property path, JSON type
# The params field that names a request's target (request logs, sealed state, input rounds).
NAMED_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
# What `Mcp-Name` mirrors: the named methods, and (SEP-2663) the task a `tasks/*` call is about.
NAMED_FIELDS = {
    **NAMED_METHODS,
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}


def _is_plain(text: str) -> bool:
    if not text:
        return True
    if text[0] in " \t" or text[-1] in " \t":
        return False
    if text.startswith(SENTINEL_PREFIX) and text.endswith(SENTINEL_SUFFIX):
        return False  # would read as encoded
    return text.isascii() and text.isprintable()  # every character in " " .. "~"


def encode_value(value: Any) -> str:
    """A body value as a header value: verbatim when safe ASCII, else the base64 sentinel."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = value if isinstance(value, str) else str(value)
    if _is_plain(text):
        return text
    return SENTINEL_PREFIX + base64.b64encode(text.encode("utf-8")).decode("ascii") + SENTINEL_SUFFIX


def decode_value(value: str) -> str:
    """Undo the sentinel encoding; ValueError when it does not decode."""
    if value.startswith(SENTINEL_PREFIX) and value.endswith(SENTINEL_SUFFIX) and len(value) >= 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError(f"header value {brief(value)} is not valid base64") from None
    return value


def header_params(schema: dict[str, Any], *, strict: bool = True) -> list[HeaderParam]:
    """Every `x-mcp-header` of a tool's input schema.

    `strict` (what a client does) raises ValueError for an invalid annotation, so the
    tool can be left out; otherwise invalid ones are skipped.
    """
    found: list[HeaderParam] = []
    seen: set[str] = set()

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        props = node.get("properties")
        if not isinstance(props, dict):
            return
        for key, sub in props.items():
            if not isinstance(sub, dict):
                continue
            if "x-mcp-header" in sub:
                name = sub["x-mcp-header"]
                problem = _problem(name, sub, ".".join((*path, key)), seen)
                if problem is None:
                    seen.add(name.lower())
                    found.append((name, (*path, key), sub.get("type")))
                elif strict:
                    raise ValueError(problem)
            walk(sub, (*path, key))

    walk(schema, ())
    return found


def _problem(name: Any, sub: dict[str, Any], where: str, seen: set[str]) -> str | None:
    if not isinstance(name, str) or not name:
        return f"x-mcp-header on {where!r} is empty"
    if any(ch not in HEADER_NAME_CHARS for ch in name):
        return f"x-mcp-header {name!r} on {where!r} is not a valid header name"
    if sub.get("type") not in HEADER_TYPES:
        return (
            f"x-mcp-header on {where!r} needs a string, integer or boolean parameter, not {sub.get('type')!r}"
        )
    if name.lower() in seen:
        return f"x-mcp-header {name!r} is used twice"
    return None


def value_at(arguments: Any, path: tuple[str, ...]) -> Any:
    """The argument at a property path, or None where any step is missing."""
    value = arguments
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value
