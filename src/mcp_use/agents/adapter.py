"""MCP tools, resources and prompts as LangChain tools.

Each MCP tool becomes a `StructuredTool` whose `args_schema` is the tool's own
`inputSchema` dict (langchain-core passes dict schemas to `bind_tools` unchanged, so
the model sees exactly what the server published). A call's `CallToolResult` becomes
the `ToolMessage` content (see `results`: each thing said once, images where the model
takes them) with the result itself kept as the message's `artifact`. A tool's failure —
`isError`, a timeout, a dead server — is raised as `ToolException`, which LangChain
turns into a `ToolMessage` with `status="error"`: the model reads it, the loop goes on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from ..client.errors import ClientError, RequestTimedOut
from ..client.session import ClientSession
from ..protocol.errors import MCPError
from ..protocol.types import CallToolResult, GetPromptResult, ReadResourceResult, Tool
from .results import Content, collapse, content_blocks, error_text, resource_parts, result_content
from .tasks import call_as_task, runs_as_task

# What OpenAI, Anthropic and Gemini all accept as a function name.
_BAD_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
MAX_NAME = 64
SEPARATOR = "__"


def tool_error_message(exc: ToolException) -> str:
    return f"Error: {exc}"


def safe_name(name: str) -> str:
    """A name every provider accepts as a function name (letters, digits, `_`, `-`, <= 64)."""
    cleaned = _BAD_NAME_CHARS.sub("_", name).strip("_") or "tool"
    return cleaned[:MAX_NAME]


def exposed_names(
    tools_by_server: Mapping[str, Sequence[str]], reserved: Iterable[str] = ()
) -> dict[tuple[str, str], str]:
    """Map (server, tool) to the name the model sees.

    A tool keeps its own name unless another server (or a reserved name, such as the
    agent's own helper tools) has the same one; then it becomes `server__tool`.
    """
    counts = Counter(safe_name(t) for tools in tools_by_server.values() for t in set(tools))
    taken = set(reserved)
    for name in taken:
        counts[name] += 1
    result: dict[tuple[str, str], str] = {}
    for server, tools in tools_by_server.items():
        for tool in tools:
            base = safe_name(tool)
            name = base if counts[base] == 1 else safe_name(f"{server}{SEPARATOR}{tool}")
            unique, n = name, 1
            while unique in taken:  # two servers whose names differ only in bad characters
                n += 1
                suffix = f"_{n}"
                unique = name[: MAX_NAME - len(suffix)] + suffix
            taken.add(unique)
            result[(server, tool)] = unique
    return result


# ---- tools ----------------------------------------------------------------------------------
def _drop_nulls(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Drop `null` for optional parameters: models send them, servers' validators refuse them."""
    required = set(schema.get("required") or ())
    return {k: v for k, v in arguments.items() if v is not None or k in required}


def _schema(tool: Tool) -> dict[str, Any]:
    schema = dict(tool.inputSchema or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


def mcp_tool(
    session: ClientSession,
    tool: Tool,
    *,
    name: str | None = None,
    timeout: float | None = None,
    images: bool = False,
    use_tasks: bool = False,
) -> StructuredTool:
    """One MCP tool as a LangChain tool that calls it on `session`.

    A task-required tool (or, with `use_tasks`, one that allows a task) runs as a task
    (see `tasks`): the wait is bounded by `timeout` as a whole."""
    schema = _schema(tool)
    exposed = name or safe_name(tool.name)
    server = session.name
    call_kw: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    as_task = runs_as_task(tool, use_tasks)

    async def call(**arguments: Any) -> tuple[Content, CallToolResult]:
        args = _drop_nulls(arguments, schema)
        try:
            if as_task:
                result = await call_as_task(session, tool.name, args, timeout)
            else:
                result = await session.call_tool(tool.name, args, **call_kw)
        except TimeoutError as exc:
            raise ToolException(
                f"the task of {tool.name!r} on server {server!r} did not finish within {timeout:g}s "
                "(it was cancelled)"
            ) from exc
        except RequestTimedOut as exc:
            raise ToolException(
                f"the tool {tool.name!r} on server {server!r} did not answer within {exc.timeout:g}s"
            ) from exc
        except ClientError as exc:  # its message names the server, the method and the tool
            raise ToolException(exc.message) from exc
        except MCPError as exc:
            raise ToolException(f"calling {tool.name!r} on server {server!r} failed: {exc.message}") from exc
        if result.isError:
            raise ToolException(error_text(result))
        return result_content(result, images=images), result

    description = tool.description or tool.title or f"The {tool.name} tool of the {server} MCP server."
    return StructuredTool(
        name=exposed,
        description=description,
        args_schema=schema,
        coroutine=call,
        func=async_only,
        response_format="content_and_artifact",
        handle_tool_error=tool_error_message,
        metadata={"mcp_server": server, "mcp_name": tool.name, "mcp_kind": "tool", "mcp_task": as_task},
    )


def async_only(**_: Any) -> Any:
    raise NotImplementedError("MCP tools are async: call them with `ainvoke`")


# ---- resources and prompts (opt-in) --------------------------------------------------------
ResourceFinder = Callable[[], Mapping[str, ClientSession]]


def _pick_session(sessions: Mapping[str, ClientSession], server: str | None, what: str) -> ClientSession:
    if server:
        if server not in sessions:
            raise ToolException(f"no connected server named {server!r} (servers: {', '.join(sessions)})")
        return sessions[server]
    if len(sessions) == 1:
        return next(iter(sessions.values()))
    raise ToolException(
        f"several servers are connected ({', '.join(sessions)}): name the `server` for {what}"
    )


_SERVER_ARG = {
    "type": "string",
    "description": "The server to ask (needed only when several servers are connected).",
}


def resource_tools(get_sessions: ResourceFinder, *, images: bool = False) -> list[StructuredTool]:
    """`list_mcp_resources` and `read_mcp_resource`: resources reachable by the model on request."""

    async def list_resources() -> str:
        lines: list[str] = []
        for server, session in get_sessions().items():
            if session.server_capabilities.resources is None:
                continue
            try:
                resources = await session.list_resources()
                templates = await session.list_resource_templates()
            except MCPError as exc:
                lines.append(f"server {server}: could not list resources ({exc.message})")
                continue
            for r in resources:
                about = f" — {r.description}" if r.description else ""
                mime = f" [{r.mimeType}]" if r.mimeType else ""
                lines.append(f"server {server}: {r.uri} ({r.name}){mime}{about}")
            for t in templates:
                about = f" — {t.description}" if t.description else ""
                lines.append(f"server {server}: template {t.uriTemplate} ({t.name}){about}")
        return "\n".join(lines) or "No resources."

    async def read_resource(uri: str, server: str | None = None) -> Content:
        sessions = get_sessions()
        if not server and len(sessions) > 1:
            server = await _owner_of(sessions, uri)
        session = _pick_session(sessions, server, f"resource {uri}")
        try:
            result: ReadResourceResult = await session.read_resource(uri)
        except MCPError as exc:
            raise ToolException(f"reading {uri} failed: {exc.message}") from exc
        return collapse(resource_parts(result.contents, images=images)) or "(empty resource)"

    return [
        StructuredTool(
            name="list_mcp_resources",
            description="List the resources (documents, data) the connected MCP servers offer, with their URIs.",
            args_schema={"type": "object", "properties": {}},
            coroutine=list_resources,
            func=async_only,
            handle_tool_error=tool_error_message,
            metadata={"mcp_kind": "resources"},
        ),
        StructuredTool(
            name="read_mcp_resource",
            description="Read one MCP resource by its URI (see list_mcp_resources).",
            args_schema={
                "type": "object",
                "properties": {
                    "uri": {"type": "string", "description": "The resource URI."},
                    "server": _SERVER_ARG,
                },
                "required": ["uri"],
            },
            coroutine=read_resource,
            func=async_only,
            handle_tool_error=tool_error_message,
            metadata={"mcp_kind": "resources"},
        ),
    ]


async def _owner_of(sessions: Mapping[str, ClientSession], uri: str) -> str | None:
    for server, session in sessions.items():
        if session.server_capabilities.resources is None:
            continue
        try:
            if any(r.uri == uri for r in await session.list_resources()):
                return server
        except MCPError:
            continue
    return None


def prompt_tools(get_sessions: ResourceFinder) -> list[StructuredTool]:
    """`list_mcp_prompts` and `get_mcp_prompt`: the servers' prompt templates, on request."""

    async def list_prompts() -> str:
        lines: list[str] = []
        for server, session in get_sessions().items():
            if session.server_capabilities.prompts is None:
                continue
            try:
                prompts = await session.list_prompts()
            except MCPError as exc:
                lines.append(f"server {server}: could not list prompts ({exc.message})")
                continue
            for p in prompts:
                args = ", ".join(a.name + ("" if a.required else "?") for a in (p.arguments or []))
                about = f" — {p.description}" if p.description else ""
                lines.append(f"server {server}: {p.name}({args}){about}")
        return "\n".join(lines) or "No prompts."

    async def get_prompt(
        name: str, arguments: dict[str, Any] | None = None, server: str | None = None
    ) -> str:
        sessions = get_sessions()
        if not server and len(sessions) > 1:
            for candidate, session in sessions.items():
                if session.server_capabilities.prompts is None:
                    continue
                try:
                    if any(p.name == name for p in await session.list_prompts()):
                        server = candidate
                        break
                except MCPError:
                    continue
        session = _pick_session(sessions, server, f"prompt {name}")
        try:
            result: GetPromptResult = await session.get_prompt(name, arguments or {})
        except MCPError as exc:
            raise ToolException(f"getting prompt {name!r} failed: {exc.message}") from exc
        lines = [f"{result.description}\n" if result.description else ""]
        for message in result.messages:
            body = collapse(content_blocks([message.content], images=False))
            lines.append(f"{message.role}: {body}")
        return "\n".join(line for line in lines if line)

    return [
        StructuredTool(
            name="list_mcp_prompts",
            description="List the prompt templates the connected MCP servers offer, with their arguments.",
            args_schema={"type": "object", "properties": {}},
            coroutine=list_prompts,
            func=async_only,
            handle_tool_error=tool_error_message,
            metadata={"mcp_kind": "prompts"},
        ),
        StructuredTool(
            name="get_mcp_prompt",
            description="Fill in one MCP prompt template and return its messages (see list_mcp_prompts).",
            args_schema={
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The prompt's name."},
                    "arguments": {
                        "type": "object",
                        "description": "The prompt's arguments, as strings.",
                        "additionalProperties": {"type": "string"},
                    },
                    "server": _SERVER_ARG,
                },
                "required": ["name"],
            },
            coroutine=get_prompt,
            func=async_only,
            handle_tool_error=tool_error_message,
            metadata={"mcp_kind": "prompts"},
        ),
    ]


RESOURCE_TOOL_NAMES = ("list_mcp_resources", "read_mcp_resource")
PROMPT_TOOL_NAMES = ("list_mcp_prompts", "get_mcp_prompt")


def matches(tool: BaseTool, patterns: Iterable[str]) -> bool:
    """Whether `tool` is named by any of `patterns` (its exposed name, MCP name or `server__tool`)."""
    meta = tool.metadata or {}
    names = {tool.name}
    if "mcp_name" in meta:
        names.add(meta["mcp_name"])
        names.add(f"{meta['mcp_server']}{SEPARATOR}{meta['mcp_name']}")
    return any(p in names for p in patterns)


async def server_tools(
    sessions: Mapping[str, ClientSession],
    *,
    timeout: float | None = None,
    images: bool = False,
    reserved: Iterable[str] = (),
    use_tasks: bool = False,
) -> list[StructuredTool]:
    """Every tool of every session, named `server__tool` only where names collide."""
    listed: dict[str, list[Tool]] = {}
    for server, session in sessions.items():
        # A server that does not advertise tools has none to offer (the session would refuse).
        has_tools = session.server_capabilities.tools is not None
        listed[server] = await session.list_tools() if has_tools else []
    names = exposed_names({s: [t.name for t in tools] for s, tools in listed.items()}, reserved)
    return [
        mcp_tool(
            sessions[server],
            tool,
            name=names[(server, tool.name)],
            timeout=timeout,
            images=images,
            use_tasks=use_tasks,
        )
        for server, tools in listed.items()
        for tool in tools
    ]


__all__ = [
    "PROMPT_TOOL_NAMES",
    "RESOURCE_TOOL_NAMES",
    "SEPARATOR",
    "content_blocks",
    "exposed_names",
    "matches",
    "mcp_tool",
    "prompt_tools",
    "resource_parts",
    "result_content",
    "safe_name",
    "server_tools",
]
