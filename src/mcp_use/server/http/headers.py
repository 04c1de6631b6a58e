"""2026-07-28 request headers: `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` must match the body."""

from __future__ import annotations

from typing import Any

from ...protocol import headers as mirrored
from ...protocol.errors import HEADER_MISMATCH, MCPError, brief

_SAFE = {chr(c) for c in range(0x20, 0x7F)} | {"\t"}


def decode_value(value: str) -> str:
    """Undo the `=?base64?...?=` sentinel encoding; a 400 -32020 when it does not decode."""
    try:
        return mirrored.decode_value(value)
    except ValueError as why:
        raise mismatch(str(why)) from None


def mismatch(detail: str) -> MCPError:
    return MCPError(HEADER_MISMATCH, f"Header mismatch: {detail}", http_status=400)


_PARAMS_CACHE: dict[int, tuple[dict[str, Any], list[mirrored.HeaderParam]]] = {}


def header_params(schema: dict[str, Any]) -> list[mirrored.HeaderParam]:
    """The schema's `x-mcp-header` parameters (lower-cased names), cached per schema."""
    cached = _PARAMS_CACHE.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    found = [(name.lower(), path, kind) for name, path, kind in mirrored.header_params(schema, strict=False)]
    if len(_PARAMS_CACHE) > 4096:
        _PARAMS_CACHE.clear()
    _PARAMS_CACHE[id(schema)] = (schema, found)
    return found


def check(method: str, params: dict[str, Any], headers: dict[str, str], tool_schema: Any = None) -> None:
    """Reject (HTTP 400, -32020) a request whose headers do not say what its body says."""
    got = headers.get("mcp-method")
    if got is None:
        raise mismatch("the Mcp-Method header is required")
    if got != method:
        raise mismatch(f"Mcp-Method header value {brief(got)} does not match body method {brief(method)}")
    field = mirrored.NAMED_FIELDS.get(method)
    if field is not None:
        raw = headers.get("mcp-name")
        if raw is not None:
            raw = raw.strip(" \t")
        if raw is None:
            raise mismatch(f"the Mcp-Name header is required for {method}")
        name = decode_value(raw) if raw.startswith(mirrored.SENTINEL_PREFIX) else raw
        body = params.get(field)
        if name != body:
            raise mismatch(f"Mcp-Name header value {brief(name)} does not match body {field} {brief(body)}")
    if tool_schema is not None and header_params(tool_schema):
        check_params(params.get("arguments") or {}, headers, tool_schema)


def check_params(arguments: dict[str, Any], headers: dict[str, str], schema: dict[str, Any]) -> None:
    for header, path, kind in header_params(schema):
        value = mirrored.value_at(arguments, path)
        raw = headers.get("mcp-param-" + header)
        if value is None:
            continue
        if raw is None:
            raise mismatch(f"the Mcp-Param-{header} header is required when {'.'.join(path)} is set")
        if any(ch not in _SAFE for ch in raw):
            raise mismatch(f"Mcp-Param-{header} contains invalid characters")
        text = decode_value(raw)
        if not _same(text, value, kind):
            raise mismatch(f"Mcp-Param-{header} value {brief(text)} does not match body value {brief(value)}")


def _same(text: str, value: Any, kind: Any) -> bool:
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return text == str(value)
