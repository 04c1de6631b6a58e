from mcp_use import MCPServer

server = MCPServer(name="sse-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

server.run(
    transport="sse",
    host="0.0.0.0",
    port=8000
)
