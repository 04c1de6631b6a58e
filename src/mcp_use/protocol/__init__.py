"""The transport-agnostic protocol engine shared by client and server."""

from .correlator import ConnectionClosed, Correlator, RequestTimeout
from .errors import MCPError
from .versions import LATEST_LEGACY, LATEST_MODERN, LEGACY_VERSIONS, MODERN_VERSIONS, SUPPORTED_VERSIONS

__all__ = [
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "LEGACY_VERSIONS",
    "MODERN_VERSIONS",
    "SUPPORTED_VERSIONS",
    "ConnectionClosed",
    "Correlator",
    "MCPError",
    "RequestTimeout",
]
