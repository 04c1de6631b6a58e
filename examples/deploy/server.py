"""The server the Docker image runs: Streamable HTTP on 0.0.0.0:8000, with a health route.

Run it without Docker too:  python server.py
With MCP_USE_REDIS_URL set (docker-compose.yml does), replicas share sessions and streams.
"""

import os
import socket

from mcp_use import MCPServer

# Bound to 0.0.0.0, DNS-rebinding protection is off by default: nginx in front is the
# only way in (the replicas publish no port), and it sets the Host header itself.
server = MCPServer(name="deployed-server", version="1.0.0")


@server.tool()
def greet(name: str) -> str:
    """Greet someone."""
    return f"Hello, {name}!"


@server.tool()
def whoami() -> str:
    """Which replica answered (the container's hostname)."""
    return socket.gethostname()


@server.custom_route("/health", methods=["GET"])
async def health(request):
    """Liveness: used by the Dockerfile's HEALTHCHECK and by nginx."""
    return {"status": "healthy", "replica": socket.gethostname()}


# For gunicorn (`gunicorn server:app --worker-class uvicorn_worker.UvicornWorker`), which
# takes a module attribute, not `server:server.app`.
app = server.app


if __name__ == "__main__":
    server.run(
        transport="streamable-http",
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8000")),
    )
