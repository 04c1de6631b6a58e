"""The agent: `MCPAgent` and the MCP-to-LangChain tool adapter (needs the `[agent]` extra).

Importing this package imports langchain-core; `import mcp_use` alone never does.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "MCPAgent needs langchain-core: pip install 'mcp-use[agent]' (plus a model package, "
        "e.g. langchain-openai)"
    ) from exc

from .adapter import mcp_tool, prompt_tools, resource_tools, server_tools
from .agent import (
    AgentStep,
    FinalAnswer,
    MCPAgent,
    OutputSchemaError,
    ToolCallStep,
    ToolResultStep,
)
from .prompts import DEFAULT_SYSTEM_PROMPT_TEMPLATE, SERVER_MANAGER_SYSTEM_PROMPT_TEMPLATE
from .server_manager import ServerManager
from .tasks import TaskStatusStep

__all__ = [
    "DEFAULT_SYSTEM_PROMPT_TEMPLATE",
    "SERVER_MANAGER_SYSTEM_PROMPT_TEMPLATE",
    "AgentStep",
    "FinalAnswer",
    "MCPAgent",
    "OutputSchemaError",
    "ServerManager",
    "TaskStatusStep",
    "ToolCallStep",
    "ToolResultStep",
    "mcp_tool",
    "prompt_tools",
    "resource_tools",
    "server_tools",
]
