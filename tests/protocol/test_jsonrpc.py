"""`mcp_use.protocol.jsonrpc`: decoding, envelope builders and message classification."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_use.protocol import jsonrpc
from mcp_use.protocol.errors import INVALID_REQUEST, PARSE_ERROR, MCPError


@pytest.mark.parametrize("data", [b"{", b'{"a": }', b"", b"nul", "[1, 2", b"\xff\xfe"])
def test_loads_syntax_error_is_parse_error(data: bytes | str) -> None:
    with pytest.raises(MCPError) as info:
        jsonrpc.loads(data)
    assert info.value.code == PARSE_ERROR
    assert info.value.message.startswith("Parse error")
    assert info.value.to_error()["code"] == PARSE_ERROR


@pytest.mark.parametrize(
    ("data", "value"),
    [(b'{"a": 1}', {"a": 1}), ("[1, 2]", [1, 2]), (b"42", 42), (b'"x"', "x"), (b"null", None)],
)
def test_loads_any_json_value(data: bytes | str, value: Any) -> None:
    assert jsonrpc.loads(data) == value


def test_builders() -> None:
    assert jsonrpc.request(1, "tools/list") == {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert jsonrpc.request("a", "x", {"k": 1})["params"] == {"k": 1}
    assert jsonrpc.notification("notifications/initialized") == {
        "jsonrpc": "2.0",
        "method": "notifications/initialized",
    }
    assert jsonrpc.result(7, {"ok": True}) == {"jsonrpc": "2.0", "id": 7, "result": {"ok": True}}
    assert jsonrpc.error(3, -32601, "nope", {"d": 1}) == {
        "jsonrpc": "2.0",
        "id": 3,
        "error": {"code": -32601, "message": "nope", "data": {"d": 1}},
    }
    assert "id" not in jsonrpc.error(None, -32700, "bad")
    exc = MCPError(-32602, "bad params", {"field": "x"})
    assert jsonrpc.error_from(5, exc) == {
        "jsonrpc": "2.0",
        "id": 5,
        "error": {"code": -32602, "message": "bad params", "data": {"field": "x"}},
    }


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "ping"}, jsonrpc.REQUEST),
        ({"jsonrpc": "2.0", "id": "abc", "method": "ping", "params": {}}, jsonrpc.REQUEST),
        ({"jsonrpc": "2.0", "id": 0, "method": "ping"}, jsonrpc.REQUEST),
        ({"jsonrpc": "2.0", "method": "notifications/initialized"}, jsonrpc.NOTIFICATION),
        ({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"p": 1}}, jsonrpc.NOTIFICATION),
        ({"jsonrpc": "2.0", "id": 1, "result": {}}, jsonrpc.RESPONSE),
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "x"}}, jsonrpc.RESPONSE),
        ({"jsonrpc": "2.0", "error": {"code": -32700, "message": "x"}}, jsonrpc.RESPONSE),
    ],
)
def test_classify(message: dict[str, Any], kind: str) -> None:
    assert jsonrpc.classify(message) == kind


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ([], "must be a JSON object"),
        (42, "must be a JSON object"),
        ("ping", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": 2.0, "id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, '"method" must be a string'),
        ({"jsonrpc": "2.0", "id": 1, "method": "x", "params": [1]}, '"params" must be an object'),
        ({"jsonrpc": "2.0", "id": 1, "method": "x", "params": "p"}, '"params" must be an object'),
        ({"jsonrpc": "2.0", "id": 1.5, "method": "x"}, '"id" must be a string or an integer'),
        ({"jsonrpc": "2.0", "id": None, "method": "x"}, '"id" must be a string or an integer'),
        ({"jsonrpc": "2.0", "id": True, "method": "x"}, '"id" must be a string or an integer'),
        ({"jsonrpc": "2.0", "id": [1], "method": "x"}, '"id" must be a string or an integer'),
        ({"jsonrpc": "2.0", "result": {}}, 'a response needs an "id"'),
        ({"jsonrpc": "2.0", "id": 1}, 'missing "method"'),
    ],
)
def test_classify_rejects_with_invalid_request(message: Any, why: str) -> None:
    with pytest.raises(MCPError) as info:
        jsonrpc.classify(message)
    assert info.value.code == INVALID_REQUEST
    assert why in info.value.message


def test_mcp_error_round_trip() -> None:
    exc = MCPError.from_error({"code": -32001, "message": "timeout", "data": [1]})
    assert (exc.code, exc.message, exc.data) == (-32001, "timeout", [1])
    assert exc.to_error() == {"code": -32001, "message": "timeout", "data": [1]}
    assert MCPError.from_error({}).code == -32603
    assert "timeout" in repr(exc)
