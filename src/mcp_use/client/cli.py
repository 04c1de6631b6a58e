"""`mcp-use list` and `mcp-use call`: the client from the command line.

`target` is a config file or a server URL. `mcp-use call <target> [server] <tool>
key=value ...` coerces each value by the tool's input schema (a string parameter stays a
string; others are parsed as JSON when they parse) and exits non-zero on an error result.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

import orjson

from ..protocol.errors import MCPError
from ..protocol.types import CallToolResult, Tool
from .client import MCPClient
from .config import pick_entry
from .errors import ConfigError
from .session import ClientSession


def _client(target: str, **kwargs: Any) -> MCPClient:
    """A config file, or a server URL (which may be OAuth-protected: OAuth runs on a 401)."""
    if target.startswith(("http://", "https://")):
        return MCPClient({"mcpServers": {"default": {"url": target, "auth": {"type": "oauth"}}}}, **kwargs)
    return MCPClient(target, **kwargs)


def _oauth_servers(client: MCPClient, server: str | None) -> list[str]:
    from .config import HttpServerConfig

    names = [pick_entry(client.servers, server)[0]] if server else client.get_server_names()
    picked = [n for n in names if isinstance(client.servers[n], HttpServerConfig) and client.servers[n].oauth]
    if server and not picked:
        raise ConfigError(f'mcpServers.{server}: has no OAuth \'auth\' object (e.g. {{"type": "oauth"}})')
    return picked


async def login_command(target: str, server: str | None = None, *, open_browser: bool | None = None) -> int:
    """Authorize now and store the tokens: connect to each OAuth server of the target once."""
    from .auth import BrowserAuthorizer

    try:
        client = _client(target, authorize=BrowserAuthorizer(open_browser=open_browser))
        names = _oauth_servers(client, server)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    if not names:
        return _fail(f"{target} configures no server with an OAuth 'auth' object", 2)
    try:
        for name in names:
            await client.create_session(name)
            print(f"logged in to {name} ({client.servers[name].url})", file=sys.stderr)  # type: ignore[attr-defined]
    except MCPError as exc:
        return _fail(exc.message)
    finally:
        await client.close_all_sessions()
    return 0


async def logout_command(target: str | None = None, server: str | None = None) -> int:
    """Forget stored tokens: a target's servers (or one of them), or every record with no target."""
    from .auth import FileTokenStorage

    if target is None:
        count = await FileTokenStorage().clear()
        print(f"forgot {count} stored authorization record(s)", file=sys.stderr)
        return 0
    try:
        client = _client(target)
        names = _oauth_servers(client, server)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    for name in names:
        await client.oauth_provider(name).logout()
        print(f"logged out of {name}", file=sys.stderr)
    return 0


def _fail(message: str, code: int = 1, err: TextIO | None = None) -> int:
    print(f"error: {message}", file=err or sys.stderr)
    return code


def stdout_closed() -> int:
    """The reader of our stdout went away (`mcp-use list ... | head`): stop quietly.

    Python would print a BrokenPipeError (now, and again when it flushes stdout at
    exit); `ls | head` prints nothing, so neither do we. stdout becomes /dev/null.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    return 0


async def list_command(target: str) -> int:
    """Print every server's tools, resources, resource templates and prompts."""
    out = sys.stdout
    try:
        client = _client(target)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    try:
        async with client:
            for name, session in client.sessions.items():
                info = session.server_info
                label = f"{info.name} {info.version}" if info else name
                print(f"== {name} ({label}, protocol {session.protocol_version})", file=out)
                await _print_lists(session, out)
        out.flush()
    except BrokenPipeError:
        return stdout_closed()
    except MCPError as exc:
        return _fail(exc.message)
    except (ConfigError, OSError) as exc:
        return _fail(str(exc))
    return 0


async def _print_lists(session: ClientSession, out: TextIO) -> None:
    caps = session.server_capabilities
    tools = await session.list_tools() if caps.tools is not None else []
    print(f"Tools ({len(tools)}):", file=out)
    for tool in tools:
        print(
            f"  {tool.name}{_signature(tool)}"
            + (f" - {_first_line(tool.description)}" if tool.description else ""),
            file=out,
        )
    if caps.resources is not None:
        resources = await session.list_resources()
        templates = await session.list_resource_templates()
        print(f"Resources ({len(resources)}):", file=out)
        for r in resources:
            print(f"  {r.uri}" + (f" - {_first_line(r.description)}" if r.description else ""), file=out)
        if templates:
            print(f"Resource templates ({len(templates)}):", file=out)
            for t in templates:
                print(
                    f"  {t.uriTemplate}" + (f" - {_first_line(t.description)}" if t.description else ""),
                    file=out,
                )
    if caps.prompts is not None:
        prompts = await session.list_prompts()
        print(f"Prompts ({len(prompts)}):", file=out)
        for p in prompts:
            args = ", ".join(a.name + ("" if a.required else "?") for a in p.arguments or [])
            print(
                f"  {p.name}({args})" + (f" - {_first_line(p.description)}" if p.description else ""),
                file=out,
            )


def _signature(tool: Tool) -> str:
    props = tool.inputSchema.get("properties") or {}
    required = set(tool.inputSchema.get("required") or [])
    parts = [
        f"{k}{'' if k in required else '?'}: {v.get('type', 'any')}"
        for k, v in props.items()
        if isinstance(v, dict)
    ]
    return f"({', '.join(parts)})"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


async def call_command(target: str, args: list[str]) -> int:
    """Call one tool and print its result; exit 1 on an error result or failure, 2 on bad usage."""
    try:
        client = _client(target)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    rest = list(args)
    # Two words before the key=value pairs: the first names the server.
    named = rest.pop(0) if len(rest) >= 2 and "=" not in rest[1] else None
    try:
        server, _ = pick_entry(client.servers, named, where=f" in {target}", how="name one before the tool")
    except ConfigError as exc:
        return _fail(str(exc), 2)
    if not rest or "=" in rest[0]:
        return _fail("usage: mcp-use call <config-or-url> [server] <tool> key=value ...", 2)
    tool_name, pairs = rest[0], rest[1:]
    raw: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            return _fail(f"argument {pair!r} is not key=value", 2)
        raw[key] = value
    try:
        session = await client.create_session(server)
        try:
            tools = {t.name: t for t in await session.list_tools()}
            tool = tools.get(tool_name)
            if tool is None:
                return _fail(
                    f"server {server!r} has no tool {tool_name!r} (tools: {', '.join(tools) or 'none'})", 2
                )
            unknown = unknown_arguments(raw, tool.inputSchema)
            if unknown:
                props = tool.inputSchema.get("properties") or {}
                return _fail(
                    f"tool {tool_name!r} has no parameter {', '.join(map(repr, unknown))} "
                    f"(parameters: {', '.join(props) or 'none'})",
                    2,
                )
            result = await session.call_tool(tool_name, coerce_arguments(raw, tool.inputSchema))
        finally:
            await client.close_all_sessions()
    except MCPError as exc:
        return _fail(exc.message)
    except (ConfigError, OSError) as exc:
        return _fail(str(exc))
    try:
        print_result(result, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        return stdout_closed()
    return 1 if result.isError else 0


def unknown_arguments(raw: dict[str, str], schema: dict[str, Any]) -> list[str]:
    """Keys the schema does not name (a typo would otherwise be dropped without a word).

    A schema that allows extra properties (`additionalProperties` true or a schema)
    accepts any key.
    """
    extra = schema.get("additionalProperties")
    if extra is True or isinstance(extra, dict):
        return []
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    return [key for key in raw if key not in props]


def coerce_arguments(raw: dict[str, str], schema: dict[str, Any]) -> dict[str, Any]:
    """`key=value` strings to tool arguments, using the schema's types where it gives them."""
    props = schema.get("properties") or {}
    out: dict[str, Any] = {}
    for key, text in raw.items():
        prop = props.get(key) if isinstance(props, dict) else None
        kind = prop.get("type") if isinstance(prop, dict) else None
        if kind == "string" or (isinstance(kind, list) and kind and kind[0] == "string"):
            out[key] = text
            continue
        try:
            out[key] = orjson.loads(text)
        except orjson.JSONDecodeError:
            out[key] = text
    return out


def print_result(result: CallToolResult, out: TextIO) -> None:
    shown = False
    for block in result.content:
        kind = block.type
        if kind == "text":
            print(block.text, file=out)  # type: ignore[union-attr]
        elif kind in ("image", "audio"):
            size = len(block.data) * 3 // 4  # type: ignore[union-attr]
            print(f"[{kind} {block.mimeType}, {size} bytes]", file=out)  # type: ignore[union-attr]
        elif kind == "resource_link":
            print(f"[resource link {block.uri}]", file=out)  # type: ignore[union-attr]
        elif kind == "resource":
            res = block.resource  # type: ignore[union-attr]
            text = getattr(res, "text", None)
            print(text if text is not None else f"[resource {res.uri}, blob]", file=out)
        shown = True
    if not shown and result.structuredContent is not None:
        print(orjson.dumps(result.structuredContent, option=orjson.OPT_INDENT_2).decode(), file=out)
