"""MCPAgent with task-backed tools: a scripted model calls them on our server, both eras.

A tool with `task="required"` is refused as a plain call, so these tests pass only if
the agent really runs it through the task API; the server's own answer (which names
the task id) reaching the model proves the result came back, and the stream's
`TaskStatusStep`s show the statuses the server reported while it ran.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from mcp_use import MCPAgent, MCPClient
from mcp_use.agents import TaskStatusStep, ToolResultStep
from tests.helpers import ServerProcess

from .conftest import call, scripted, stdio_entry

MODES = ["legacy", "2026-07-28"]


def stdio(mode: str) -> MCPClient:
    return MCPClient.from_dict({"mcpServers": {"alpha": {**stdio_entry("alpha"), "mode": mode}}})


@pytest.mark.parametrize("mode", MODES)
async def test_a_task_required_tool_runs_as_a_task_and_its_statuses_stream(mode: str) -> None:
    llm = scripted(call("build_report", pages=3), "The report is built.")
    async with MCPAgent(llm, stdio(mode)) as agent:
        steps = [s async for s in agent.stream("Build a 3-page report.")]
    statuses = [s for s in steps if isinstance(s, TaskStatusStep)]
    [result] = [s for s in steps if isinstance(s, ToolResultStep)]
    assert not result.is_error, result.content
    found = re.fullmatch(r"alpha built a 3-page report in task (\S+)", str(result.content))
    assert found, result.content
    task_id = found.group(1)
    assert {s.task_id for s in statuses} == {task_id}
    assert all(s.tool == "build_report" and s.id == "call_build_report" and s.step == 1 for s in statuses)
    assert statuses[0].status == "working" and statuses[-1].status == "completed"
    messages = [s.message for s in statuses if s.status == "working" and s.message]
    assert messages and set(messages) <= {"page 1 of 3", "page 2 of 3", "page 3 of 3"}
    assert messages == sorted(messages)  # in the order the server reported them
    # the order in the stream: the call, its statuses, then its result
    kinds = [type(s).__name__ for s in steps]
    assert kinds[0] == "ToolCallStep" and kinds[-2:] == ["ToolResultStep", "FinalAnswer"]
    assert set(kinds[1:-2]) == {"TaskStatusStep"}


@pytest.mark.parametrize("mode", MODES)
async def test_the_tool_timeout_bounds_the_task_and_cancels_it_on_the_server(mode: str) -> None:
    llm = scripted(call("endless_job"), call("cancelled_tasks"), "It took too long.")
    async with MCPAgent(llm, stdio(mode), tool_timeout=1.5) as agent:
        steps = [s async for s in agent.stream("Run the endless job.")]
    results = [s for s in steps if isinstance(s, ToolResultStep)]
    timed_out, cancelled = results
    assert timed_out.is_error
    assert "did not finish within 1.5s (it was cancelled)" in str(timed_out.content)
    [task_id] = {s.task_id for s in steps if isinstance(s, TaskStatusStep)}
    assert task_id in str(cancelled.content).split(",")  # the server's function was cancelled


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("use_tasks", [False, True])
async def test_an_optional_task_tool_uses_a_task_only_when_asked(mode: str, use_tasks: bool) -> None:
    llm = scripted(call("maybe_task"), "Done.")
    async with MCPAgent(llm, stdio(mode), use_tasks=use_tasks) as agent:
        steps = [s async for s in agent.stream("go")]
    [result] = [s for s in steps if isinstance(s, ToolResultStep)]
    statuses = [s for s in steps if isinstance(s, TaskStatusStep)]
    if use_tasks:
        assert result.content != "task id: None" and str(result.content).startswith("task id: ")
        assert statuses and statuses[-1].status == "completed"
    else:
        assert result.content == "task id: None" and statuses == []


@pytest.mark.parametrize("mode", MODES)
async def test_stream_events_over_http_carry_task_statuses(http_server: ServerProcess, mode: str) -> None:
    llm = scripted(call("build_report", pages=2), "Built.")
    client = MCPClient.from_dict({"mcpServers": {"web": {"url": http_server.url("/mcp"), "mode": mode}}})
    async with MCPAgent(llm, client) as agent:
        events: list[dict[str, Any]] = [e async for e in agent.stream_events("Build 2 pages.")]
    names = [e["event"] for e in events]
    start, end = names.index("on_tool_start"), names.index("on_tool_end")
    between = [e for e in events[start + 1 : end] if e["event"] == "on_tool_task_status"]
    assert between and between[-1]["data"]["status"] == "completed"
    assert {e["run_id"] for e in between} == {events[start]["run_id"]}
    assert {e["metadata"]["tool_call_id"] for e in between} == {"call_build_report"}
    assert (
        "web built a 2-page report in task " + between[0]["data"]["task_id"] == events[end]["data"]["output"]
    )
