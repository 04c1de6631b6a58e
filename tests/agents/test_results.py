"""`result_content`, the rule that the model reads each thing once, pinned by a table.

The real servers' shapes are exercised in test_third_party.py; this table covers the
shapes in between (texts that differ, a structured value that says more, no text).
"""

from __future__ import annotations

from typing import Any

import pytest

from mcp_use.agents.results import result_content
from mcp_use.protocol.types import CallToolResult

PIXEL = {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}
NOTE = "[image: image/png, 8 bytes, not shown to the model]"


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


CASES = [
    # the same JSON, or a one-key object around the text, its JSON, or the blocks: the text
    ([text('{"a": 1}')], {"a": 1}, '{"a": 1}'),
    ([text("42")], {"result": 42}, "42"),
    ([text("hello\nworld")], {"content": "hello\nworld"}, "hello\nworld"),
    ([text("[1, 2]")], {"items": [1, 2]}, "[1, 2]"),
    ([text("a"), text("b")], {"content": "a\nb"}, "a\nb"),
    ([PIXEL], {"content": [PIXEL]}, NOTE),
    # the structured value says all the text does, and more: the structured value
    ([text("done")], {"ok": True, "message": "done"}, '{"ok": true, "message": "done"}'),
    ([PIXEL, text("7")], {"n": 7, "unit": "px"}, f'{NOTE}\n{{"n": 7, "unit": "px"}}'),
    # they say different things: both; no text: the structured value
    ([text("Done.")], {"count": 3}, 'Done.\n{"count": 3}'),
    ([], {"count": 3}, '{"count": 3}'),
    ([text("plain")], None, "plain"),
    ([], None, "(the tool returned no content)"),
]


@pytest.mark.parametrize(("content", "structured", "expected"), CASES)
def test_each_thing_is_said_once(content: list[dict[str, Any]], structured: Any, expected: str) -> None:
    result = CallToolResult.model_validate({"content": content, "structuredContent": structured})
    assert result_content(result, images=False) == expected


def test_an_image_stays_an_image_beside_the_structured_value() -> None:
    result = CallToolResult.model_validate({"content": [PIXEL], "structuredContent": {"w": 1}})
    assert result_content(result, images=True) == [
        {"type": "image", "base64": PIXEL["data"], "mime_type": "image/png"},
        {"type": "text", "text": '{"w": 1}'},
    ]
