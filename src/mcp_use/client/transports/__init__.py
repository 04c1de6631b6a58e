"""Client transports: stdio (a child process), Streamable HTTP, and legacy HTTP+SSE."""

from .base import Receiver, Transport
from .sse import SSETransport
from .stdio import StdioTransport
from .streamable_http import StreamableHTTPTransport

__all__ = [
    "Receiver",
    "SSETransport",
    "StdioTransport",
    "StreamableHTTPTransport",
    "Transport",
]
