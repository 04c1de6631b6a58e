from mcp_use import MCPServer

server = MCPServer(
    name="secure-server",
    dns_rebinding_protection=True  # Only accept localhost connections
)

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

server.run(
    transport="streamable-http",
    host="127.0.0.1",
    port=8000
)
