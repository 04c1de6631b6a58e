"""The agent's default system prompts.

Templates use `{tool_descriptions}`, `{servers}` and `{additional_instructions}`;
they are filled by plain replacement (not `str.format`), so a template may contain
other braces — JSON examples, say — untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

from langchain_core.tools import BaseTool

DEFAULT_SYSTEM_PROMPT_TEMPLATE = """You are a helpful assistant that can use tools from MCP (Model Context Protocol) servers.
Call a tool whenever it helps with the user's request. When a tool answers with an error, read it and either fix the call or explain the problem to the user.
When you have the answer, reply with it directly, without calling more tools.

Tools available to you:
{tool_descriptions}
{additional_instructions}"""

SERVER_MANAGER_SYSTEM_PROMPT_TEMPLATE = """You are a helpful assistant that can use tools from several MCP (Model Context Protocol) servers.
A server's tools are not loaded until you connect to it: call list_mcp_servers to see the servers, connect_to_mcp_server to load one's tools, then call those tools. Use disconnect_from_current_server before switching to an unrelated server.
When a tool answers with an error, read it and either fix the call or explain the problem to the user.
When you have the answer, reply with it directly, without calling more tools.

MCP servers:
{servers}

Tools available to you now:
{tool_descriptions}
{additional_instructions}"""


def describe_tools(tools: Iterable[BaseTool]) -> str:
    """One line per tool: its name and the first line of its description."""
    lines = []
    for tool in tools:
        text = (tool.description or "").strip()
        first = text.splitlines()[0] if text else ""
        lines.append(f"- {tool.name}: {first}" if first else f"- {tool.name}")
    return "\n".join(lines) or "(none)"


def render(
    template: str, *, tool_descriptions: str, servers: str = "", additional_instructions: str = ""
) -> str:
    text = (
        template.replace("{tool_descriptions}", tool_descriptions)
        .replace("{servers}", servers)
        .replace("{additional_instructions}", additional_instructions)
    )
    return text.rstrip() + "\n"


__all__ = [
    "DEFAULT_SYSTEM_PROMPT_TEMPLATE",
    "SERVER_MANAGER_SYSTEM_PROMPT_TEMPLATE",
    "describe_tools",
    "render",
]
