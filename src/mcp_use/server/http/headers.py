"""2026-07-28 request headers: `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` must match the body."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ...protocol.errors import HEADER_MISMATCH, MCPError

NAMED_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_SAFE = {chr(c) for c in range(0x20, 0x7F)} | {"\t"}


def decode_value(value: str) -> str:
    """Undo the `=?base64?...?=` sentinel encoding; raise when it does not decode."""
    if value.startswith("=?base64?") and value.endswith("?=") and len(value) >= 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise mismatch(f"header value {value!r} is not valid base64") from None
    return value


def mismatch(detail: str) -> MCPError:
    return MCPError(HEADER_MISMATCH, f"Header mismatch: {detail}", http_status=400)


_PARAMS_CACHE: dict[int, tuple[dict[str, Any], list[tuple[str, tuple[str, ...], Any]]]] = {}


def header_params(schema: dict[str, Any]) -> list[tuple[str, tuple[str, ...], Any]]:
    """Every `x-mcp-header` reachable from the schema root through `properties` only."""
    cached = _PARAMS_CACHE.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    found = _find_params(schema)
    if len(_PARAMS_CACHE) > 4096:
        _PARAMS_CACHE.clear()
    _PARAMS_CACHE[id(schema)] = (schema, found)
    return found


def _find_params(schema: dict[str, Any]) -> list[tuple[str, tuple[str, ...], Any]]:
    found: list[tuple[str, tuple[str, ...], Any]] = []

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        props = node.get("properties")
        if not isinstance(props, dict):
            return
        for key, sub in props.items():
            if not isinstance(sub, dict):
                continue
            name = sub.get("x-mcp-header")
            if isinstance(name, str) and name:
                found.append((name.lower(), (*path, key), sub.get("type")))
            walk(sub, (*path, key))

    walk(schema, ())
    return found


def check(method: str, params: dict[str, Any], headers: dict[str, str], tool_schema: Any = None) -> None:
    """Reject (HTTP 400, -32020) a request whose headers do not say what its body says."""
    got = headers.get("mcp-method")
    if got is None:
        raise mismatch("the Mcp-Method header is required")
    if got != method:
        raise mismatch(f"Mcp-Method header value {got!r} does not match body method {method!r}")
    field = NAMED_METHODS.get(method)
    if field is not None:
        raw = headers.get("mcp-name")
        if raw is not None:
            raw = raw.strip(" \t")
        if raw is None:
            raise mismatch(f"the Mcp-Name header is required for {method}")
        name = decode_value(raw)
        body = params.get(field)
        if name != body:
            raise mismatch(f"Mcp-Name header value {name!r} does not match body {field} {body!r}")
    if tool_schema is not None:
        check_params(params.get("arguments") or {}, headers, tool_schema)


def check_params(arguments: dict[str, Any], headers: dict[str, str], schema: dict[str, Any]) -> None:
    for header, path, kind in header_params(schema):
        value: Any = arguments
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        raw = headers.get("mcp-param-" + header)
        if value is None:
            continue
        if raw is None:
            raise mismatch(f"the Mcp-Param-{header} header is required when {'.'.join(path)} is set")
        if any(ch not in _SAFE for ch in raw):
            raise mismatch(f"Mcp-Param-{header} contains invalid characters")
        text = decode_value(raw)
        if not _same(text, value, kind):
            raise mismatch(f"Mcp-Param-{header} value {text!r} does not match body value {value!r}")


def _same(text: str, value: Any, kind: Any) -> bool:
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return text == str(value)
