from mcp_use import MCPServer

server = MCPServer(
    name="custom-server",
    mcp_path="/api/mcp",
    docs_path="/api/docs",
    inspector_path="/api/inspector",
    openmcp_path="/api/openmcp.json"
)

@server.tool()
def greet(name: str) -> str:
    """Greet someone"""
    return f"Hello, {name}!"

# /api/docs, /api/inspector and /api/openmcp.json are debug routes:
# start with DEBUG=1 (or pass debug=True) to serve them.
server.run(transport="streamable-http", port=8000)
