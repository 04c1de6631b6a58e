"""The server the rough-edge tests start as a user would: `python rough_edges_server.py PORT`.

Options: `--debug` (debug=True in the code), `--docs-path P`, `--many N` (N extra tools,
for output bigger than a pipe), `--cors` / `--cors-exposed` (CORSMiddleware without /
with `expose_headers=["Mcp-Session-Id"]`).
"""

from __future__ import annotations

import argparse

from mcp_use import MCPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--debug", action="store_true")
parser.add_argument("--docs-path", default="/docs")
parser.add_argument("--many", type=int, default=0)
parser.add_argument("--cors", action="store_true")
parser.add_argument("--cors-exposed", action="store_true")
opts = parser.parse_args()

server = MCPServer(name="rough", debug=opts.debug, docs_path=opts.docs_path)


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def boom() -> str:
    """Always fails."""
    raise RuntimeError("kaboom from the tool")


def _numbered(i: int):  # type: ignore[no-untyped-def]
    def numbered() -> str:
        return f"tool number {i}"

    return numbered


for i in range(opts.many):
    description = f"A generated tool, number {i}, to fill a pipe."
    server.tool(name=f"generated_tool_{i:05d}", description=description)(_numbered(i))

if opts.cors or opts.cors_exposed:
    from starlette.middleware.cors import CORSMiddleware

    extra = {"expose_headers": ["Mcp-Session-Id"]} if opts.cors_exposed else {}
    server.streamable_http_app().add_middleware(
        CORSMiddleware, allow_origins=["http://localhost:3000"], allow_headers=["*"], **extra
    )

if __name__ == "__main__":
    server.run(transport="streamable-http", host="127.0.0.1", port=opts.port)
