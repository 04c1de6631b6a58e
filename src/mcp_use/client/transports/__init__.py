"""Client transports: stdio (a child process), Streamable HTTP, legacy HTTP+SSE, and
in-memory (an `MCPServer` in this process).

HTTP goes through `http.py` (one pooled aiohttp session per owner, the one table that
translates aiohttp's errors) with credentials from an `HTTPAuth` (`http_auth.py`).
"""

from .base import ClientTransport, Receiver
from .http import HTTPPool
from .http_auth import BearerAuth, HTTPAuth
from .memory import MemoryClientTransport
from .sse import SSEClientTransport
from .stdio import StdioClientTransport
from .streamable_http import StreamableHTTPClientTransport

__all__ = [
    "BearerAuth",
    "ClientTransport",
    "HTTPAuth",
    "HTTPPool",
    "MemoryClientTransport",
    "Receiver",
    "SSEClientTransport",
    "StdioClientTransport",
    "StreamableHTTPClientTransport",
]
