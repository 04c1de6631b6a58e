"""Shared test utilities: ports, server processes, the Node tools, the conformance CLI."""

from .conformance import (
    CONFORMANCE_RUNS,
    ConformanceResult,
    ConformanceTotals,
    load_checks,
    parse_totals,
    run_conformance_client,
    run_conformance_server,
)
from .net import free_port, port_is_open, wait_for_port
from .node import NodeTools, NodeToolsMissing, node_tools
from .process import (
    REPO_ROOT,
    ServerPool,
    ServerProcess,
    ServerStartError,
    build_env,
    python_cmd,
)

__all__ = [
    "CONFORMANCE_RUNS",
    "REPO_ROOT",
    "ConformanceResult",
    "ConformanceTotals",
    "NodeTools",
    "NodeToolsMissing",
    "ServerPool",
    "ServerProcess",
    "ServerStartError",
    "build_env",
    "free_port",
    "load_checks",
    "node_tools",
    "parse_totals",
    "port_is_open",
    "python_cmd",
    "run_conformance_client",
    "run_conformance_server",
    "wait_for_port",
]
