# The page's snippet uses top-level `await`, which works in a notebook or
# `python -m asyncio`; in a script, put it in an async function:
import asyncio

from mcp_use import MCPClient


async def main() -> None:
    client = MCPClient.from_config_file("config.json")
    await client.create_all_sessions()

    session = client.get_session("web-server")
    result = await session.call_tool("fetch_data", {"url": "https://example.com"})
    print(result.content[0].text[:200])
    await client.close_all_sessions()


if __name__ == "__main__":
    asyncio.run(main())
