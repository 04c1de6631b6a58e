"""An LLM agent using the tools of examples/server.py (started over stdio).

    pip install 'mcp-use[agent]' langchain-openai
    OPENAI_API_KEY=sk-... python examples/agent.py "What is the mean of 3, 5 and 10?"

`MCPAgent` works with any LangChain chat model that supports tool calling
(`bind_tools`): swap `ChatOpenAI` for `ChatAnthropic`, `ChatOllama`, ... Without an
OpenAI key this script says what it needs and exits.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp_use import MCPAgent, MCPClient

HERE = Path(__file__).resolve().parent
CONFIG = {
    "mcpServers": {
        "tour": {"command": sys.executable, "args": [str(HERE / "server.py"), "--transport", "stdio"]},
    }
}
DEFAULT_QUERY = "Add 19 and 23, then give me statistics for the numbers 3, 5 and 10."


async def main(query: str) -> None:
    from langchain_openai import ChatOpenAI

    from mcp_use.agents import FinalAnswer, ToolCallStep, ToolResultStep

    client = MCPClient.from_dict(CONFIG)
    async with MCPAgent(llm=ChatOpenAI(model="gpt-4o"), client=client, max_steps=8) as agent:
        async for step in agent.stream(query):
            if isinstance(step, ToolCallStep):
                print(f"-> {step.tool}({step.arguments})")
            elif isinstance(step, ToolResultStep):
                print(f"<- {'error: ' if step.is_error else ''}{step.content}")
            elif isinstance(step, FinalAnswer):
                print(f"\n{step.text}")


if __name__ == "__main__":
    if not os.environ.get("OPENAI_API_KEY"):
        print(
            "This example drives a real model: set OPENAI_API_KEY (and pip install langchain-openai)\n"
            "to run it. Nothing was done. See tests/agents/ for the same agent driven by a scripted\n"
            "model, no key needed."
        )
        sys.exit(0)
    try:
        import langchain_openai  # noqa: F401
    except ImportError:
        print("This example needs langchain-openai: pip install langchain-openai", file=sys.stderr)
        sys.exit(1)
    asyncio.run(main(" ".join(sys.argv[1:]) or DEFAULT_QUERY))
