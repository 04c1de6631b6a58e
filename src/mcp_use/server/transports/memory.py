"""In memory: one client in the same process, no sockets, no pipes.

It is the stdio connection with the byte pipe taken out: every message still goes
through `jsonrpc.dumps`/`loads` (so what a test sees is exactly what a wire would carry,
never a dict the server keeps mutating), requests run as their own tasks, and the
legacy session, cancellation, server-to-client requests and listens behave as on stdio.
The client side is `mcp_use.client.transports.memory`, which finds this through
`MCPServer.connect_in_memory` (the client never imports the server).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...protocol import jsonrpc
from .stdio import StdioConnection

if TYPE_CHECKING:
    from ..core import ServerCore

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class MemoryConnection(StdioConnection):
    """`send()` a message to the server; what it answers goes to `deliver`."""

    transport_name = "memory"

    def __init__(self, core: ServerCore, deliver: Deliver) -> None:
        super().__init__(core, out=None)  # type: ignore[arg-type]
        self.deliver = deliver
        self.open = True

    async def write(self, message: jsonrpc.Message) -> None:
        if self._trace is not None:
            self._trace("->", message, self._pretty, "memory ")
        if self.open:
            await self.deliver(jsonrpc.loads(jsonrpc.dumps(message)))

    async def send(self, message: dict[str, Any]) -> None:
        """One message from the client, as the bytes a wire would carry."""
        await self.receive(jsonrpc.dumps(message))

    async def close(self) -> None:
        if not self.open:
            return
        self.open = False
        await super().close()
