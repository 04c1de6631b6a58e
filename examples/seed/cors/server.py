from starlette.middleware.cors import CORSMiddleware

from mcp_use import MCPServer

server = MCPServer(name="api-server")

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

# Get the underlying ASGI app and add CORS
app = server.streamable_http_app()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://your-app.com"],
    allow_credentials=True,
    allow_methods=["GET", "POST"],
    allow_headers=["*"],
)

if __name__ == "__main__":
    # Serves `app`, the app above with its CORS middleware.
    server.run(transport="streamable-http", port=8000)
