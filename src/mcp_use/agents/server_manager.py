"""Server-manager mode: the model picks a server before it sees that server's tools.

With twenty servers configured, binding every tool would fill the context before the
user's question is read. Instead the model starts with four small tools —
`list_mcp_servers`, `connect_to_mcp_server`, `get_active_mcp_server`,
`disconnect_from_current_server` — and, once connected, sees the active server's tools
beside them. Sessions open only when the model connects to a server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from ..client.client import MCPClient
from ..client.config import HttpServerConfig, StdioServerConfig
from ..client.session import ClientSession
from ..protocol.errors import MCPError
from .adapter import async_only, tool_error_message

MANAGER_TOOL_NAMES = (
    "list_mcp_servers",
    "connect_to_mcp_server",
    "get_active_mcp_server",
    "disconnect_from_current_server",
)

ToolFactory = Callable[[str, ClientSession], Awaitable[list[BaseTool]]]


class ServerManager:
    """Holds which server is active and the tools the model sees because of it."""

    def __init__(self, client: MCPClient, make_tools: ToolFactory) -> None:
        self.client = client
        self._make_tools = make_tools
        self.active: str | None = None
        self._server_tools: dict[str, list[BaseTool]] = {}
        self._own_tools = self._build_own_tools()

    # ---- what the agent asks --------------------------------------------------------------
    def tools(self) -> list[BaseTool]:
        """The manager's four tools, then the active server's."""
        extra = self._server_tools.get(self.active, []) if self.active else []
        return [*self._own_tools, *extra]

    def active_sessions(self) -> dict[str, ClientSession]:
        """The active server's session only: resource/prompt helpers follow the model's choice."""
        if self.active is None:
            return {}
        session = self.client.get_all_active_sessions().get(self.active)
        return {self.active: session} if session is not None else {}

    def describe_servers(self) -> str:
        lines = []
        for name, server in self.client.servers.items():
            lines.append(f"- {name} ({_transport(server)}){' [active]' if name == self.active else ''}")
        return "\n".join(lines) or "(no servers configured)"

    # ---- the model's tools ----------------------------------------------------------------
    async def list_servers(self) -> str:
        if not self.client.servers:
            return "No MCP servers are configured."
        active = self.client.get_all_active_sessions()
        lines = []
        for name, server in self.client.servers.items():
            state = "active" if name == self.active else ("connected" if name in active else "not connected")
            line = f"- {name} ({_transport(server)}, {state})"
            loaded = self._server_tools.get(name)
            if loaded:
                line += ": tools " + ", ".join(t.name for t in loaded)
            lines.append(line)
        return "MCP servers:\n" + "\n".join(lines) + "\nCall connect_to_mcp_server to use one's tools."

    async def connect(self, server_name: str) -> str:
        if server_name not in self.client.servers:
            known = ", ".join(self.client.servers) or "none"
            raise ToolException(f"there is no server named {server_name!r}; the servers are: {known}")
        try:
            session = await self.client.create_session(server_name)
        except MCPError as exc:
            raise ToolException(f"could not connect to {server_name!r}: {exc.message}") from exc
        if server_name not in self._server_tools:
            try:
                self._server_tools[server_name] = await self._make_tools(server_name, session)
            except MCPError as exc:
                raise ToolException(
                    f"connected to {server_name!r} but could not list its tools: {exc.message}"
                ) from exc
        self.active = server_name
        tools = self._server_tools[server_name]
        if not tools:
            return f"Connected to {server_name!r}; it offers no tools."
        listing = "\n".join(f"- {t.name}: {_first_line(t.description)}" for t in tools)
        return f"Connected to {server_name!r}. Its tools are now available to you:\n{listing}"

    async def get_active(self) -> str:
        if self.active is None:
            return "No MCP server is active. Call list_mcp_servers, then connect_to_mcp_server."
        names = ", ".join(t.name for t in self._server_tools.get(self.active, [])) or "none"
        return f"The active MCP server is {self.active!r} (tools: {names})."

    async def disconnect(self) -> str:
        if self.active is None:
            return "No MCP server was active."
        previous, self.active = self.active, None
        return f"Stopped using {previous!r}; its tools are no longer available."

    def _build_own_tools(self) -> list[BaseTool]:
        empty: dict[str, Any] = {"type": "object", "properties": {}}

        def tool(name: str, description: str, schema: dict[str, Any], coroutine: Any) -> StructuredTool:
            return StructuredTool(
                name=name,
                description=description,
                args_schema=schema,
                coroutine=coroutine,
                func=async_only,
                handle_tool_error=tool_error_message,
                metadata={"mcp_kind": "manager"},
            )

        return [
            tool(
                "list_mcp_servers",
                "List the MCP servers you can connect to, and which one is active.",
                empty,
                self.list_servers,
            ),
            tool(
                "connect_to_mcp_server",
                "Connect to an MCP server by name; its tools then become available to you.",
                {
                    "type": "object",
                    "properties": {
                        "server_name": {"type": "string", "description": "A name from list_mcp_servers."}
                    },
                    "required": ["server_name"],
                },
                self.connect,
            ),
            tool(
                "get_active_mcp_server",
                "Say which MCP server is active and which tools it gives you.",
                empty,
                self.get_active,
            ),
            tool(
                "disconnect_from_current_server",
                "Stop using the active MCP server (its tools go away), e.g. before switching to another.",
                empty,
                self.disconnect,
            ),
        ]


def _transport(server: Any) -> str:
    if isinstance(server, StdioServerConfig):
        return "stdio"
    if isinstance(server, HttpServerConfig):
        return "sse" if server.transport == "sse" else "http"
    return "unknown transport"


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


__all__ = ["MANAGER_TOOL_NAMES", "ServerManager"]
