from mcp_use import MCPServer

server = MCPServer(
    name="web-server",
    debug=True  # Enable /docs, /inspector endpoints
)

@server.tool()
async def fetch_data(url: str) -> str:
    """Fetch data from URL"""
    import httpx
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        return response.text

if __name__ == "__main__":
    server.run(
        transport="streamable-http",
        host="0.0.0.0",
        port=8000,
        reload=True  # Auto-reload on code changes
    )
