import uvicorn

from mcp_use import MCPServer

server = MCPServer(name="prod-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

if __name__ == "__main__":
    # uvicorn starts several workers only from an import string ("module:attribute"):
    # given the app object itself with workers=4 it prints an error and exits, since
    # each worker process has to import the app on its own. This file is server.py,
    # so the app is "server:server.app".
    uvicorn.run(
        "server:server.app",
        host="0.0.0.0",
        port=8000,
        workers=4,  # Multiple worker processes
        log_level="info"
    )
