import os

from mcp_use import MCPServer

server = MCPServer(name="monitored-server")


def check_database() -> bool:
    # Stand-in for a real check (e.g. `SELECT 1`).
    return True


def check_cache() -> bool:
    # Stand-in for a real check; CACHE_READY=0 simulates a cache that is down.
    return os.environ.get("CACHE_READY", "1") != "0"


@server.custom_route("/health", methods=["GET"])
async def health_check(request):
    """Health check endpoint"""
    return {"status": "healthy", "version": "1.0.0"}

@server.custom_route("/ready", methods=["GET"])
async def readiness_check(request):
    """Readiness check endpoint"""
    # Check if all dependencies are ready
    db_ready = check_database()
    cache_ready = check_cache()

    if db_ready and cache_ready:
        return {"status": "ready"}
    else:
        return {"status": "not ready"}, 503

server.run(transport="streamable-http", port=8000)
