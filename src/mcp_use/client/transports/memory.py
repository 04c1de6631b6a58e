"""In memory: the server is an object in this process (`MCPClient(server)`).

The server object is duck-typed: anything with `connect_in_memory(deliver)` returning a
connection with `send(message)`, `close()` and an `open` flag (an `MCPServer` has
it). So the client
never imports `mcp_use.server`, and no socket, pipe or thread is involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...protocol import jsonrpc
from ..errors import ConnectError, ServerDisconnected
from .base import ClientTransport


def is_in_memory_server(value: Any) -> bool:
    """True for an object the in-memory transport can connect to (an `MCPServer`)."""
    return callable(getattr(value, "connect_in_memory", None))


class MemoryClientTransport(ClientTransport):
    def __init__(self, server: str, target: Any) -> None:
        super().__init__(server)
        if not is_in_memory_server(target):
            raise ConnectError(server, f"{type(target).__name__} cannot be connected in memory")
        self.target = target
        self.connection: Any = None

    @property
    def description(self) -> str:
        return f"in-memory {self.target!r}"

    async def start(self) -> None:
        self.connection = self.target.connect_in_memory(self._deliver)

    async def _deliver(self, message: dict[str, Any]) -> None:
        if self.receiver is not None:
            await self.receiver.feed(message)

    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        connection = self.connection
        if connection is None or not connection.open:
            raise ServerDisconnected(self.server, "the in-memory connection is closed")
        await connection.send(message)

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.close()
