"""A tool's arguments are validated by its fields' own validator, as the model would.

`schema.fields_validator` validates a call's arguments without making an instance of the
arguments model (`Tool.bind`); the model's validator stays the definition. Here both
validate the same arguments for signatures of every kind (defaults, optional and union
types, constraints, nested models, enums, dates, Annotated fields, coercion in lax mode,
extra arguments): the same dict of fields, in the same order, or the same errors.
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from mcp_use import MCPServer, ToolError
from tests.helpers.strategies import json_values


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: int
    y: int = 0


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


def plain(a: int, b: int) -> int:
    return a + b


def defaults(text: str, times: int = 2, sep: str | None = None, loud: bool = False) -> str:
    return text


def constrained(
    n: Annotated[int, Field(ge=0, le=10)], name: Annotated[str, Field(min_length=2)] = "ab"
) -> int:
    return n


def nested(point: Point, points: list[Point] | None = None, tags: dict[str, int] | None = None) -> int:
    return point.x


def kinds(
    color: Color, when: datetime.date, mode: Literal["a", "b"] = "a", ratio: float = 1.0, any_: Any = None
) -> str:
    return mode


def union(value: int | str, items: list[int | str] = []) -> str:  # noqa: B006
    return str(value)


def recursive(tree: Tree) -> str:
    return tree.label


FUNCTIONS = [plain, defaults, constrained, nested, kinds, union, recursive]
ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"a": 1, "b": 2},
    {"a": "3", "b": 4.0},
    {"a": 1.5, "b": True},
    {"a": [1], "b": None},
    {"a": 1, "b": 2, "extra": "ignored"},
    {"text": "hi"},
    {"text": "hi", "times": "5", "sep": None, "loud": "yes"},
    {"text": 3},
    {"n": 11},
    {"n": 3, "name": "x"},
    {"n": "7", "name": "abc"},
    {"point": {"x": 1}},
    {"point": {"x": "a"}, "points": [{"x": 1, "y": 2}, {"y": 1}]},
    {"point": {"x": 1}, "tags": {"a": "1"}},
    {"color": "red", "when": "2026-12-02"},
    {"color": "green", "when": "yesterday", "mode": "c", "ratio": "x"},
    {"color": "blue", "when": "2026-01-01", "mode": "b", "ratio": 2, "any_": {"k": [1]}},
    {"value": 1, "items": [1, "a"]},
    {"value": None, "items": "no"},
    {"tree": {"label": "root", "children": [{"label": "leaf"}]}},
    {"tree": {"label": "root", "children": [{"children": []}]}},
]


def by_model(tool: Any, arguments: dict[str, Any]) -> Any:
    """What the model's own validator makes of the arguments (its instance's fields), or
    the error text."""
    try:
        return dict(tool.signature.model.model_validate(arguments).__dict__)
    except ValidationError as exc:
        return [(e["loc"], e["msg"], e["type"]) for e in exc.errors()]


def by_tool(tool: Any, arguments: dict[str, Any]) -> Any:
    try:
        return tool.bind(dict(arguments))
    except ToolError:
        fields = tool.signature.fields or tool.signature.model.__pydantic_validator__
        try:
            fields.validate_python(arguments)
        except ValidationError as exc:
            return [(e["loc"], e["msg"], e["type"]) for e in exc.errors()]
        raise


def tools() -> dict[str, Any]:
    server = MCPServer("bind")
    for fn in FUNCTIONS:
        server.tool()(fn)
    return {fn.__name__: server.core.features.tools.get(fn.__name__) for fn in FUNCTIONS}


TOOLS = tools()


@pytest.mark.parametrize("name", list(TOOLS))
@pytest.mark.parametrize("arguments", ARGUMENTS, ids=[str(i) for i in range(len(ARGUMENTS))])
def test_the_fields_validator_validates_as_the_model_does(name: str, arguments: dict[str, Any]) -> None:
    tool = TOOLS[name]
    ours, model = by_tool(tool, arguments), by_model(tool, arguments)
    assert ours == model
    if isinstance(model, dict):
        assert list(ours) == list(model)  # the parameters' order, for the call


def test_the_usual_signatures_skip_the_model_instance() -> None:
    assert all(TOOLS[fn.__name__].signature.fields is not None for fn in FUNCTIONS)
    assert TOOLS["plain"].bind({"a": "1", "b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(ToolError, match=r"Invalid arguments for tool 'plain': b: Field required"):
        TOOLS["plain"].bind({"a": 1})


JSONISH = json_values(int_bits=40, text_size=6, leaves=10)
KEYS = st.sampled_from(
    [
        "a",
        "b",
        "text",
        "times",
        "sep",
        "n",
        "name",
        "point",
        "points",
        "color",
        "when",
        "value",
        "items",
        "tree",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(list(TOOLS)), arguments=st.dictionaries(KEYS, JSONISH, max_size=5))
def test_any_arguments_validate_alike(name: str, arguments: dict[str, Any]) -> None:
    tool = TOOLS[name]
    assert by_tool(tool, arguments) == by_model(tool, arguments)
