import logging

from mcp_use import MCPServer

# Configure logging
logging.basicConfig(
    level=logging.INFO,
    format='%(asctime)s - %(name)s - %(levelname)s - %(message)s'
)

server = MCPServer(
    name="monitored-server",
    pretty_print_jsonrpc=True  # Pretty print JSON-RPC logs
)

@server.tool()
def greet(name: str) -> str:
    return f"Hello, {name}!"

# DEBUG=0 python server.py: one line per MCP request
# DEBUG=1 python server.py: the same, plus /docs, /inspector and /openmcp.json
# DEBUG=2 python server.py: also every JSON-RPC message, pretty-printed
server.run(transport="streamable-http", port=8000)
