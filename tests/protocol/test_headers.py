"""The 2026-07-28 header mirroring shared by client and server."""

from __future__ import annotations

import pytest

from mcp_use.protocol.headers import decode_value, encode_value, header_params, value_at


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("us-west1", "us-west1"),
        ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
        (" padded ", "=?base64?IHBhZGRlZCA=?="),
        ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
        ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
        (42, "42"),
        (True, "true"),
        (False, "false"),
    ],
)
def test_encode_matches_the_spec_examples_and_round_trips(value: object, encoded: str) -> None:
    assert encode_value(value) == encoded
    if isinstance(value, str):
        assert decode_value(encoded) == value


@pytest.mark.parametrize("bad", ["=?base64?SGVsbG8?=", "=?base64?SGVs!!!bG8=?="])
def test_decode_refuses_broken_base64(bad: str) -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        decode_value(bad)


def test_decode_keeps_lookalikes_without_the_full_sentinel() -> None:
    assert decode_value("SGVsbG8=") == "SGVsbG8="
    assert decode_value("=?base64?SGVsbG8=") == "=?base64?SGVsbG8="


SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "query": {"type": "string"},
        "nested": {"type": "object", "properties": {"tenant": {"type": "integer", "x-mcp-header": "Tenant"}}},
        "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"x-mcp-header": "X"}}}},
    },
}


def test_header_params_follow_properties_only() -> None:
    assert header_params(SCHEMA) == [
        ("Region", ("region",), "string"),
        ("Tenant", ("nested", "tenant"), "integer"),
    ]
    assert value_at({"nested": {"tenant": 7}}, ("nested", "tenant")) == 7
    assert value_at({"nested": None}, ("nested", "tenant")) is None


@pytest.mark.parametrize(
    ("prop", "why"),
    [
        ({"type": "string", "x-mcp-header": ""}, "is empty"),
        ({"type": "string", "x-mcp-header": "Bad Name"}, "not a valid header name"),
        ({"type": "number", "x-mcp-header": "Num"}, "needs a string, integer or boolean"),
    ],
)
def test_invalid_annotations_raise_when_strict_and_are_skipped_otherwise(prop: dict, why: str) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "string", "x-mcp-header": "Ok"}, "bad": prop}}
    with pytest.raises(ValueError, match=why):
        header_params(schema)
    assert header_params(schema, strict=False) == [("Ok", ("ok",), "string")]


def test_duplicate_names_are_invalid_case_insensitively() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "x-mcp-header": "Dup"},
            "b": {"type": "string", "x-mcp-header": "dup"},
        },
    }
    with pytest.raises(ValueError, match="used twice"):
        header_params(schema)
