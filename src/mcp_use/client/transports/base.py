"""What a client transport is: bytes in and out, messages up to a receiver.

A transport never interprets a message beyond finding its id. The session binds a
`Receiver`: `feed()` gets every message from the server (`settle()` is its synchronous
part for a response, so a transport may answer a caller straight from the bytes it
read, in order with the rest), `fail()` settles one request
the transport knows cannot be answered (an HTTP error, a broken stream), `closed()`
says the whole connection is gone so every pending call fails at once.

The session asks a transport only what it declares here (`uses_headers`,
`modern_capable`, `call`, `cancel`, `on_initialized`), never which class it is.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Protocol

from ...protocol import jsonrpc
from ...protocol.errors import MCPError


class Receiver(Protocol):
    async def feed(self, message: jsonrpc.Message) -> None: ...

    def settle(self, message: jsonrpc.Message) -> None:
        """A response (a message with no `method`), settled at once: what `feed` does with
        one, callable from a transport's data callback with no task in between."""
        ...

    def fail(self, request_id: jsonrpc.RequestId, error: MCPError) -> None: ...

    def closed(self, error: MCPError) -> None: ...


class ClientTransport(abc.ABC):
    """One connection to one server."""

    #: HTTP transports send `Mcp-*` headers, and on 2026-07-28 one response stream per
    #: request (closing it is the cancellation); stdio has neither.
    uses_headers = False
    #: False for a transport that can only carry the handshake era (legacy HTTP+SSE).
    modern_capable = True

    def __init__(self, server: str) -> None:
        self.server = server
        self.receiver: Receiver | None = None
        self.protocol_version: str | None = None

    def bind(self, receiver: Receiver) -> None:
        self.receiver = receiver

    @abc.abstractmethod
    async def start(self) -> None:
        """Open the connection (spawn the process, open the HTTP client)."""

    @abc.abstractmethod
    async def send(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        """Send one message; a request's answer arrives later through the receiver."""

    async def call(self, message: jsonrpc.Message, headers: Mapping[str, str] | None = None) -> None:
        """Send a request the caller is about to wait for; its answer still goes to the receiver.

        A transport that can carry the whole exchange in the caller's task (an HTTP POST
        and its answer) overrides this and saves a task per call; the caller's deadline
        and cancellation then reach the exchange directly.
        """
        await self.send(message, headers)

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection and release everything (processes, sockets, tasks)."""

    def cancel(self, request_id: jsonrpc.RequestId) -> None:
        """Stop waiting on one request's response stream (HTTP); nothing on stdio."""
        return None

    def on_initialized(self) -> None:
        """Called after the legacy handshake (HTTP opens its GET stream here)."""
        return None

    @property
    def description(self) -> str:
        return type(self).__name__
