"""What the debug paths answer while the debug routes are off: a 404 that says why.

`MCPServer(docs_path="/api-docs")` without `debug=True` (or with `DEBUG=0` set) serves
no docs; a bare 404 there looks like a wrong path. The hint names the switch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from ..core import ServerCore


def debug_off_routes(core: ServerCore) -> list[BaseRoute]:
    name = core.settings.identity.name
    paths = core.settings.paths
    if "DEBUG" in os.environ and os.environ["DEBUG"].strip():
        why = f"DEBUG={os.environ['DEBUG']} is set in the environment (it wins over debug=True)"
    else:
        why = "the server was built without debug=True"
    message = (
        f"Not Found: this is a debug route of {name!r} and the debug routes are off: {why}. "
        "Turn them on with MCPServer(..., debug=True), DEBUG=1, or `mcp-use dev` (not in production)."
    )

    async def hint(request: Request) -> JSONResponse:
        return JSONResponse({"error": "debug_routes_off", "message": message}, status_code=404)

    wanted = {paths.docs, paths.inspector, paths.openmcp}
    return [Route(path, endpoint=hint, methods=["GET"]) for path in sorted(p for p in wanted if p)]
