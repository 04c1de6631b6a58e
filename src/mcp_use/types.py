"""The specification's types (`from mcp_use.types import TextContent, ...`)."""

from .protocol.types import *  # noqa: F403
from .protocol.types import LoggingLevel, Role  # noqa: F401
