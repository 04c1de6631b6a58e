"""Debug routes (`debug=True` or DEBUG>=1): the machine-readable description of the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from ..server import MCPServer


def describe(server: MCPServer) -> dict[str, Any]:
    """Everything `tools/list`, `resources/list` and friends would return, in one document."""
    info: dict[str, Any] = {"title": server.name, "version": server.version}
    if server.instructions or server.info.get("description"):
        info["description"] = server.info.get("description") or server.instructions
    engine = server._engine
    return {
        "openmcp": "1.0",
        "info": info,
        "capabilities": engine.capabilities(modern=False),
        "tools": [t.wire for t in server._tools.values()],
        "resources": [r.wire for r in server._resources.values()],
        "resources_templates": [t.wire for t in server._templates.values()],
        "prompts": [p.wire for p in server._prompts.values()],
    }


def debug_routes(server: MCPServer) -> list[Route]:
    async def openmcp(request: Request) -> JSONResponse:
        return JSONResponse(describe(server))

    return [Route(server.openmcp_path, endpoint=openmcp, methods=["GET"])]
