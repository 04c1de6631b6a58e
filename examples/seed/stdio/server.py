from mcp_use import MCPServer

server = MCPServer(name="cli-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

if __name__ == "__main__":
    server.run(transport="stdio")
