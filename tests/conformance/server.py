"""Fixture server for the official MCP conformance suite (server mode).

Run:  python tests/conformance/server.py --port 3001
Then: conformance server --url http://127.0.0.1:3001/mcp --requirements 2025-11-25
      conformance server --url http://127.0.0.1:3001/mcp --requirements 2026-07-28

Every name and text below is fixed by @modelcontextprotocol/conformance 0.2.0-alpha.12;
see /work/notes/conformance-server.md for the scenario-by-scenario extraction.

The same fixture serves both protocol eras: on 2025-11-25 `ctx.elicit/sample/list_roots`
send server-to-client requests, on 2026-07-28 they become InputRequiredResult rounds keyed
by `key=`.

Rules the suite imposes on this file:
- every tool and prompt has a non-empty description (tools-list, prompts-list);
- `test_simple_text` is registered FIRST: http-header-validation calls tools[0] with `{}`;
- `test://static-text` is the first resource: `caching` reads resources[0];
- no return annotations on tools, so no tool grows an outputSchema/structuredContent.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import struct
from typing import Annotated, Any

from pydantic import Field

from mcp_use import Context, MCPError, MCPServer, ToolError
from mcp_use.types import (
    AudioContent,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    TextContent,
    TextResourceContents,
)

# --------------------------------------------------------------------------- media

# 1x1 red pixel PNG.
PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PNG_BYTES = base64.b64decode(PNG_BASE64)


def _wav(samples: int = 8, rate: int = 8000) -> bytes:
    """A minimal valid mono 8-bit PCM WAV file."""
    data = bytes([128]) * samples
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


WAV_BASE64 = base64.b64encode(_wav()).decode("ascii")

# --------------------------------------------------------------------------- helpers


def _caps(ctx: Context) -> dict[str, Any]:
    """The capabilities the client declared (initialize on legacy, _meta on 2026-07-28)."""
    caps = ctx.client_capabilities or {}
    if hasattr(caps, "model_dump"):
        caps = caps.model_dump(exclude_none=True)
    return dict(caps)


def _sampled_text(result: Any) -> str:
    content = getattr(result, "content", None)
    if isinstance(content, list):
        content = content[0] if content else None
    text = getattr(content, "text", None)
    if text is None and isinstance(content, dict):
        text = content.get("text")
    return str(text) if text is not None else str(content)


def _roots_text(roots: Any) -> str:
    roots = getattr(roots, "roots", roots) or []
    uris = [str(getattr(r, "uri", None) or (r.get("uri") if isinstance(r, dict) else r)) for r in roots]
    return ", ".join(uris) if uris else "(none)"


def _field(data: Any, name: str, default: Any = None) -> Any:
    if isinstance(data, dict):
        return data.get(name, default)
    return getattr(data, name, default)


def _json(data: Any) -> str:
    if hasattr(data, "model_dump"):
        data = data.model_dump()
    return json.dumps(data, separators=(",", ":"), default=str)


NAME_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}
CONFIRM_SCHEMA = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
}

# --------------------------------------------------------------------------- server

server = MCPServer(
    "mcp-use-conformance-fixture",
    version="1.0.0",
    instructions="Fixture server for the MCP conformance suite.",
    dns_rebinding_protection=True,
)

# ---- content tools (tools-call-*), test_simple_text must stay first ------------------


@server.tool(name="test_simple_text", description="Returns a simple text response.")
async def test_simple_text():
    return "This is a simple text response for testing."


@server.tool(name="test_image_content", description="Returns a 1x1 PNG image.")
async def test_image_content():
    return ImageContent(type="image", data=PNG_BASE64, mimeType="image/png")


@server.tool(name="test_audio_content", description="Returns a tiny WAV audio clip.")
async def test_audio_content():
    return AudioContent(type="audio", data=WAV_BASE64, mimeType="audio/wav")


@server.tool(name="test_embedded_resource", description="Returns an embedded text resource.")
async def test_embedded_resource():
    return EmbeddedResource(
        type="resource",
        resource=TextResourceContents(
            uri="test://embedded-resource",
            mimeType="text/plain",
            text="This is an embedded resource content.",
        ),
    )


@server.tool(name="test_multiple_content_types", description="Returns text, image and resource content.")
async def test_multiple_content_types():
    return [
        TextContent(type="text", text="Multiple content types test:"),
        ImageContent(type="image", data=PNG_BASE64, mimeType="image/png"),
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(
                uri="test://mixed-content-resource",
                mimeType="application/json",
                text='{"test":"data","value":123}',
            ),
        ),
    ]


@server.tool(name="test_tool_with_logging", description="Sends three info log messages while running.")
async def test_tool_with_logging(ctx: Context):
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Tool with logging executed successfully"


@server.tool(name="test_tool_with_progress", description="Reports progress 0, 50 and 100 of 100.")
async def test_tool_with_progress(ctx: Context):
    await ctx.report_progress(0, 100, "Started")
    await asyncio.sleep(0.05)
    await ctx.report_progress(50, 100, "Halfway")
    await asyncio.sleep(0.05)
    await ctx.report_progress(100, 100, "Done")
    return "Tool with progress executed successfully"


@server.tool(name="test_error_handling", description="Always fails with a tool error.")
async def test_error_handling():
    return CallToolResult(
        content=[TextContent(type="text", text="This tool intentionally returns an error for testing")],
        isError=True,
    )


# ---- legacy-era server-to-client requests (become input-required rounds on 2026) ------


@server.tool(name="test_sampling", description="Asks the client's model to answer a prompt.")
async def test_sampling(prompt: str, ctx: Context):
    result = await ctx.sample(prompt, max_tokens=100)
    return f"LLM response: {_sampled_text(result)}"


@server.tool(name="test_elicitation", description="Asks the user for a username and email.")
async def test_elicitation(message: str, ctx: Context):
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    result = await ctx.elicit(message, schema)
    return f"User response: <action: {result.action}, content: {_json(result.data)}>"


@server.tool(
    name="test_elicitation_sep1034_defaults",
    description="Elicitation whose schema has defaults for every primitive type (SEP-1034).",
)
async def test_elicitation_sep1034_defaults(ctx: Context):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verified user", "default": True},
        },
        "required": [],
    }
    result = await ctx.elicit("Please review and update the form fields with defaults", schema)
    return f"Elicitation completed: action={result.action}, content={_json(result.data)}"


@server.tool(
    name="test_elicitation_sep1330_enums",
    description="Elicitation with all five enum schema variants (SEP-1330).",
)
async def test_elicitation_sep1330_enums(ctx: Context):
    schema = {
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Untitled single-select",
                "enum": ["option1", "option2", "option3"],
            },
            "titledSingle": {
                "type": "string",
                "description": "Titled single-select",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"},
                ],
            },
            "legacyEnum": {
                "type": "string",
                "description": "Legacy titled enum",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "description": "Untitled multi-select",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
            },
            "titledMulti": {
                "type": "array",
                "description": "Titled multi-select",
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"},
                    ]
                },
            },
        },
        "required": [],
    }
    result = await ctx.elicit("Please select options from the enum fields", schema)
    return f"Elicitation completed: action={result.action}, content={_json(result.data)}"


@server.tool(
    name="test_reconnection",
    description="Closes the SSE stream mid-call; the result arrives after the client reconnects (SEP-1699).",
)
async def test_reconnection(ctx: Context):
    await asyncio.sleep(0.05)
    await ctx.close_sse_stream()
    # Finish after the stream is gone, so the result must be replayed on the GET
    # that carries Last-Event-ID.
    await asyncio.sleep(0.2)
    return "Reconnection test completed"


# ---- JSON Schema 2020-12 (json-schema-2020-12) ------------------------------------------

JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@server.tool(
    name="json_schema_2020_12_tool",
    description="Tool with JSON Schema 2020-12 features",
    input_schema=JSON_SCHEMA_2020_12,
)
async def json_schema_2020_12_tool(**arguments: Any):
    return f"Received: {_json(arguments)}"


# ---- 2026-07-28 stateless probes (server-stateless) ----------------------------------------


@server.tool(
    name="test_missing_capability",
    description="Needs the client's sampling capability; without it the server answers -32021.",
)
async def test_missing_capability(ctx: Context):
    result = await ctx.sample("Say hello", max_tokens=10)
    return f"Sampling answered: {_sampled_text(result)}"


@server.tool(
    name="test_streaming_elicitation",
    description="Needs user input; on 2026-07-28 it answers with an InputRequiredResult.",
)
async def test_streaming_elicitation(ctx: Context):
    result = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    return f"Hello, {_field(result.data, 'name', 'stranger')}!"


@server.tool(
    name="test_logging_tool",
    description="Logs a message; nothing may reach a client that did not ask for a log level.",
)
async def test_logging_tool(ctx: Context):
    await ctx.info("test_logging_tool ran")
    return "Logging tool executed"


_dynamic = itertools.count(1)


@server.tool(
    name="test_trigger_tool_change",
    description="Registers a new tool at run time, so the tool list changes.",
)
async def test_trigger_tool_change():
    n = next(_dynamic)
    name = f"dynamic_tool_{n}"

    async def dynamic_tool():
        return f"{name} called"

    server.tool(name=name, description=f"Tool added at run time (#{n}).")(dynamic_tool)
    return f"Registered tool {name}"


@server.tool(
    name="test_trigger_prompt_change",
    description="Registers a new prompt at run time, so the prompt list changes.",
)
async def test_trigger_prompt_change():
    n = next(_dynamic)
    name = f"dynamic_prompt_{n}"

    async def dynamic_prompt():
        return f"{name} text"

    server.prompt(name=name, description=f"Prompt added at run time (#{n}).")(dynamic_prompt)
    return f"Registered prompt {name}"


@server.tool(
    name="test_x_mcp_header",
    description="Has a parameter mirrored into the Mcp-Param-Region header (SEP-2243).",
)
async def test_x_mcp_header(
    region: Annotated[
        str,
        Field(description="Deployment region", json_schema_extra={"x-mcp-header": "Region"}),
    ],
):
    return f"Region: {region}"


# ---- input-required results (2026-07-28, SEP-2322) ------------------------------------------


@server.tool(
    name="test_input_required_result_elicitation",
    description="Asks the user's name through one elicitation (key user_name).",
)
async def test_input_required_result_elicitation(ctx: Context):
    result = await ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name")
    if result.action != "accept":
        return f"Elicitation {result.action}"
    return f"Hello, {_field(result.data, 'name', '')}!"


@server.tool(
    name="test_input_required_result_sampling",
    description="Asks the client's model a question through one sampling request (key capital_question).",
)
async def test_input_required_result_sampling(ctx: Context):
    result = await ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"Sampling result: {_sampled_text(result)}"


@server.tool(
    name="test_input_required_result_list_roots",
    description="Asks the client for its roots (key client_roots).",
)
async def test_input_required_result_list_roots(ctx: Context):
    roots = await ctx.list_roots(key="client_roots")
    return f"Client roots: {_roots_text(roots)}"


@server.tool(
    name="test_input_required_result_request_state",
    description="One confirmation round whose requestState the server validates (key confirm).",
)
async def test_input_required_result_request_state(ctx: Context):
    result = await ctx.elicit("Please confirm", CONFIRM_SCHEMA, key="confirm")
    return f"state-ok: confirmed={_field(result.data, 'ok')}"


@server.tool(
    name="test_input_required_result_multiple_inputs",
    description="Asks for elicitation, sampling and roots in a single round.",
)
async def test_input_required_result_multiple_inputs(ctx: Context):
    user, greeting, roots = await asyncio.gather(
        ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name"),
        ctx.sample("Generate a greeting", max_tokens=50, key="greeting"),
        ctx.list_roots(key="client_roots"),
    )
    return f"name={_field(user.data, 'name')}; greeting={_sampled_text(greeting)}; roots={_roots_text(roots)}"


@server.tool(
    name="test_input_required_result_multi_round",
    description="Two elicitation rounds (step1 then step2), then a result.",
)
async def test_input_required_result_multi_round(ctx: Context):
    first = await ctx.elicit("Step 1: What is your name?", NAME_SCHEMA, key="step1")
    second = await ctx.elicit(
        "Step 2: What is your favorite color?",
        {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]},
        key="step2",
    )
    return f"Hello, {_field(first.data, 'name')}! Your favorite color is {_field(second.data, 'color')}."


@server.tool(
    name="test_input_required_result_tampered_state",
    description="One confirmation round; a tampered requestState is rejected.",
)
async def test_input_required_result_tampered_state(ctx: Context):
    result = await ctx.elicit("Please confirm", CONFIRM_SCHEMA, key="confirm")
    return f"Confirmed: {_field(result.data, 'ok')}"


@server.tool(
    name="test_input_required_result_capabilities",
    description="Asks only for the kinds of input the client declared it supports.",
)
async def test_input_required_result_capabilities(ctx: Context):
    caps = _caps(ctx)
    asks: list[Any] = []
    labels: list[str] = []
    if "sampling" in caps:
        asks.append(ctx.sample("What is 2 + 2?", max_tokens=20, key="math_question"))
        labels.append("sampling")
    if "elicitation" in caps:
        asks.append(ctx.elicit("What is your name?", NAME_SCHEMA, key="user_name"))
        labels.append("elicitation")
    if "roots" in caps:
        asks.append(ctx.list_roots(key="client_roots"))
        labels.append("roots")
    if not asks:
        return "The client declared no input capabilities"
    await asyncio.gather(*asks)
    return f"Received input for: {', '.join(labels)}"


# --------------------------------------------------------------------------- resources


@server.resource(
    "test://static-text",
    name="static-text",
    description="A static text resource",
    mime_type="text/plain",
)
async def static_text():
    return "This is the content of the static text resource."


@server.resource(
    "test://static-binary",
    name="static-binary",
    description="A static binary resource (1x1 PNG)",
    mime_type="image/png",
)
async def static_binary():
    return PNG_BYTES


@server.resource(
    "test://template/{id}/data",
    name="template-data",
    description="A resource template with an id parameter",
    mime_type="application/json",
)
async def template_data(id: str):
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"}, separators=(",", ":"))


@server.resource(
    "test://watched-resource",
    name="watched-resource",
    description="A resource clients may subscribe to",
    mime_type="text/plain",
)
async def watched_resource():
    return "Watched resource content"


# --------------------------------------------------------------------------- prompts


@server.prompt(name="test_simple_prompt", description="A simple prompt without arguments")
async def test_simple_prompt():
    return "This is a simple prompt for testing."


@server.prompt(name="test_prompt_with_arguments", description="A prompt with two required arguments")
async def test_prompt_with_arguments(
    arg1: Annotated[str, Field(description="First test argument")],
    arg2: Annotated[str, Field(description="Second test argument")],
):
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@server.prompt(
    name="test_prompt_with_embedded_resource",
    description="A prompt that embeds a resource",
)
async def test_prompt_with_embedded_resource(
    resourceUri: Annotated[str, Field(description="URI of the resource to embed")],
):
    return [
        {
            "role": "user",
            "content": EmbeddedResource(
                type="resource",
                resource=TextResourceContents(
                    uri=resourceUri,
                    mimeType="text/plain",
                    text="Embedded resource content for testing.",
                ),
            ),
        },
        {
            "role": "user",
            "content": TextContent(type="text", text="Please process the embedded resource above."),
        },
    ]


@server.prompt(name="test_prompt_with_image", description="A prompt with image content")
async def test_prompt_with_image():
    return [
        {"role": "user", "content": ImageContent(type="image", data=PNG_BASE64, mimeType="image/png")},
        {"role": "user", "content": TextContent(type="text", text="Please analyze the image above.")},
    ]


@server.prompt(
    name="test_input_required_result_prompt",
    description="A prompt that first asks the user for context (key user_context)",
)
async def test_input_required_result_prompt(ctx: Context):
    result = await ctx.elicit(
        "What context should the prompt use?",
        {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]},
        key="user_context",
    )
    return f"Use this context: {_field(result.data, 'context', '')}"


# --------------------------------------------------------------------------- tasks
# The io.modelcontextprotocol/tasks extension (SEP-2663) scenarios' fixture tools.


@server.tool(name="greet", description="Says hello (a plain tool: never a task).")
async def greet(name: str):
    return f"Hello, {name}!"


@server.tool(
    name="slow_compute", description="Sleeps `seconds`, then answers (may run as a task).", task=True
)
async def slow_compute(ctx: Context, seconds: float = 1, label: str = ""):
    await ctx.report_progress(0, seconds, f"computing {label}".strip())
    await asyncio.sleep(seconds)
    return f"Computed {label or 'result'} after {seconds:g}s"


@server.tool(name="failing_job", description="Fails with a tool error after about a second.", task="required")
async def failing_job():
    await asyncio.sleep(1)
    raise ToolError("failing_job failed, as it always does")


@server.tool(name="protocol_error_job", description="Fails with a protocol (JSON-RPC) error.", task=True)
async def protocol_error_job():
    await asyncio.sleep(0.2)
    raise MCPError(-32603, "protocol_error_job hit an internal failure")


@server.tool(name="confirm_delete", description="Asks the user to confirm, then 'deletes' a file.", task=True)
async def confirm_delete(filename: str, ctx: Context):
    answer = await ctx.elicit(
        f"Delete {filename}?",
        {"type": "object", "properties": {"confirm": {"type": "boolean"}}, "required": ["confirm"]},
    )
    confirmed = answer.action == "accept" and bool((answer.content or {}).get("confirm"))
    return f"Deleted {filename}" if confirmed else f"Kept {filename}"


@server.tool(name="multi_input", description="Asks for two inputs at once, then answers.", task=True)
async def multi_input(ctx: Context):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "confirm": {"type": "boolean"}}}
    first, second = await asyncio.gather(
        ctx.elicit("First input?", schema, key="first"), ctx.elicit("Second input?", schema, key="second")
    )
    names = [(a.content or {}).get("name", a.action) for a in (first, second)]
    return "Got " + " and ".join(str(n) for n in names)


@server.tool(
    name="test_tool_with_task",
    description="Asks for user_name in an input round, then runs as a task that greets them.",
    task="required",
    task_start="manual",
)
async def test_tool_with_task(ctx: Context):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    answer = await ctx.elicit("What is your name?", schema, key="user_name")
    name = (answer.content or {}).get("name", "nobody")
    await ctx.start_task()
    await asyncio.sleep(0.2)
    return f"Hello, {name}! (from task {ctx.task_id})"


# --------------------------------------------------------------------------- completion

COMPLETIONS = {
    "arg1": ["paris", "park", "party", "test", "testValue1"],
    "arg2": ["world", "testValue2"],
    "id": ["123", "456"],
    "resourceUri": ["test://example-resource", "test://static-text"],
}


@server.completion()
async def complete(ref: Any, argument: Any, context: Any):
    name = _field(argument, "name", "") or ""
    value = _field(argument, "value", "") or ""
    return [v for v in COMPLETIONS.get(name, []) if v.startswith(value)]


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    server.run(transport="streamable-http", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
