"""Client transports: stdio (a child process), Streamable HTTP, and legacy HTTP+SSE.

HTTP goes through `http.py` (one pooled aiohttp session per owner, the one table that
translates aiohttp's errors) with credentials from an `HTTPAuth` (`http_auth.py`).
"""

from .base import ClientTransport, Receiver
from .http import HTTPPool
from .http_auth import BearerAuth, HTTPAuth
from .sse import SSEClientTransport
from .stdio import StdioClientTransport
from .streamable_http import StreamableHTTPClientTransport

__all__ = [
    "BearerAuth",
    "ClientTransport",
    "HTTPAuth",
    "HTTPPool",
    "Receiver",
    "SSEClientTransport",
    "StdioClientTransport",
    "StreamableHTTPClientTransport",
]
