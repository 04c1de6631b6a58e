"""The README's "Long-running tools: tasks" snippet, run as written, then driven by our
client on both eras (served by uvicorn in this process on a free loopback port)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn

from mcp_use import MCPClient
from tests.helpers import REPO_ROOT, free_port, wait_for_port

pytestmark = pytest.mark.timeout(60)


def _snippet() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    start = text.index("## Long-running tools: tasks")
    body = text.index("```python", start) + len("```python")
    return text[body : text.index("```", body)]


async def test_readme_tasks_snippet_runs_on_both_eras() -> None:
    namespace: dict[str, Any] = {"__name__": "readme_tasks"}
    exec(compile(_snippet(), "README.md", "exec"), namespace)
    server = namespace["server"]
    port = free_port()
    serving = uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning"))
    runner = asyncio.create_task(serving.serve())
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port)

        async def accept(params: Any) -> dict[str, Any]:
            return {"action": "accept", "content": {}}

        for mode, version in (("auto", "2026-07-28"), ("legacy", "2025-11-25")):
            entry = {"mcpServers": {"jobs": {"url": f"http://127.0.0.1:{port}/mcp"}}}
            async with MCPClient(entry, mode=mode, elicitation_callback=accept, timeout=20) as client:
                session = client.get_session("jobs")
                assert session.protocol_version == version
                report = await session.call_tool("build_report", {"pages": 3}, task=True)
                assert report.content[0].text.endswith("has 3 pages")
                task = await session.start_task("build_report", {"pages": 2})
                assert (await task.status()).status in ("working", "completed")
                assert (await task.result()).content[0].text == f"report {task.id} has 2 pages"
                assert (await session.call_tool("delete_all", {}, task=True)).content[0].text == "deleted"
    finally:
        serving.should_exit = True
        await runner
