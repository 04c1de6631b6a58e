"""JSON-RPC 2.0 envelopes on plain dicts, encoded and decoded once with orjson."""

from __future__ import annotations

import json
from typing import Any

import orjson

from .errors import INVALID_REQUEST, PARSE_ERROR, MCPError

JSONRPC = "2.0"
Message = dict[str, Any]
RequestId = str | int


def dumps(value: Any) -> bytes:
    """Encode with orjson; an integer beyond 64 bits (a client's id, echoed) goes through
    the standard library instead, which writes it exactly."""
    try:
        return orjson.dumps(value)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> Any:
    """Decode one JSON value; a syntax error becomes a -32700 `MCPError`.

    orjson reads an integer beyond 64 bits as a float: an `id` that came out a float is
    read again with the standard library, so the answer carries the client's exact id.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MCPError(PARSE_ERROR, f"Parse error: {exc}") from None
    if isinstance(value, dict) and isinstance(value.get("id"), float):
        value = json.loads(data)
    return value


def request(id: RequestId, method: str, params: dict[str, Any] | None = None) -> Message:
    msg: Message = {"jsonrpc": JSONRPC, "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def notification(method: str, params: dict[str, Any] | None = None) -> Message:
    msg: Message = {"jsonrpc": JSONRPC, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def result(id: RequestId | None, value: dict[str, Any]) -> Message:
    return {"jsonrpc": JSONRPC, "id": id, "result": value}


def error(id: RequestId | None, code: int, message: str, data: Any = None) -> Message:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    msg: Message = {"jsonrpc": JSONRPC, "error": err}
    if id is not None:
        msg["id"] = id
    return msg


def error_from(id: RequestId | None, exc: MCPError) -> Message:
    msg: Message = {"jsonrpc": JSONRPC, "error": exc.to_error()}
    if id is not None:
        msg["id"] = id
    return msg


REQUEST, NOTIFICATION, RESPONSE = "request", "notification", "response"


def classify(msg: Any) -> str:
    """Say what kind of message `msg` is, or raise -32600 naming what is wrong with it."""
    if not isinstance(msg, dict):
        raise MCPError(INVALID_REQUEST, "Invalid Request: a message must be a JSON object")
    if msg.get("jsonrpc") != JSONRPC:
        raise MCPError(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"')
    method = msg.get("method")
    if method is not None:
        if not isinstance(method, str):
            raise MCPError(INVALID_REQUEST, 'Invalid Request: "method" must be a string')
        params = msg.get("params")
        if params is not None and not isinstance(params, dict):
            raise MCPError(INVALID_REQUEST, 'Invalid Request: "params" must be an object')
        if "id" not in msg:
            return NOTIFICATION
        id_ = msg["id"]
        if isinstance(id_, bool) or not isinstance(id_, (str, int)):
            raise MCPError(INVALID_REQUEST, 'Invalid Request: "id" must be a string or an integer')
        return REQUEST
    if "result" in msg or "error" in msg:
        if "id" not in msg and "error" not in msg:
            raise MCPError(INVALID_REQUEST, 'Invalid Request: a response needs an "id"')
        return RESPONSE
    raise MCPError(INVALID_REQUEST, 'Invalid Request: missing "method"')
