"""The TypeScript Tasks requester `@modelcontextprotocol/ext-tasks` (client entry point)
against our server (tests/server/servers/tasks_server.py), on both eras.

- 2025-11-25: the SDK v2 client negotiates the handshake era; ext-tasks sends
  `params.task`, polls `tasks/get`, reads `tasks/result`, cancels with `tasks/cancel`,
  and answers the task's elicitation, which our server sends on the session's GET
  stream tagged with `io.modelcontextprotocol/related-task` (ext-tasks never calls
  `tasks/result` before the task is terminal).
- 2026-07-28: ext-tasks needs its adapter's `rawDispatch` and `v2RequestFraming`
  (the SDK client's codecs reject the tasks wire); the script's rawDispatch is a plain
  fetch POST. Then CreateTaskResult, tasks/get with the inlined result, tasks/cancel
  and input through tasks/update all work.
- The same through `mcp-use proxy` in front of that server (a stdio child on
  2026-07-28): the proxy carries the tasks to its target, on both front eras.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.helpers import NodeTools, ServerPool, ServerProcess
from tests.helpers.proxy import start_proxy
from tests.interop.test_typescript_sdk import CLIENTS, run_node
from tests.server.tasks_wire import SERVER, start_tasks_server

EXT_TASKS = "@modelcontextprotocol/ext-tasks"


@pytest.fixture(scope="module")
def tasks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_tasks_server(tmp_path_factory.mktemp("ext-tasks"))
    yield server
    assert server.is_running(), server.describe()
    server.stop()


@pytest.fixture(scope="module")
def proxied_tasks_server(module_server_process: ServerPool) -> ServerProcess:
    """`mcp-use proxy -- python tasks_server.py`: the task server behind our proxy."""
    env = {"MCP_USE_REDIS_URL": None, "DEBUG": None}
    return start_proxy(module_server_process, ["--", sys.executable, str(SERVER)], "proxy-tasks", env)


@pytest.mark.parametrize("served", ["tasks_server", "proxied_tasks_server"])
@pytest.mark.parametrize(("era", "version"), [("legacy", "2025-11-25"), ("modern", "2026-07-28")])
def test_ext_tasks_requester_runs_task_tools(
    node: NodeTools, request: pytest.FixtureRequest, served: str, era: str, version: str
) -> None:
    tasks_server: ServerProcess = request.getfixturevalue(served)
    assert node.package_version(EXT_TASKS).startswith("0.2.")
    modules = node.package_dir(EXT_TASKS).parent.parent
    out = run_node(
        node,
        CLIENTS / "ext_tasks_client.mjs",
        tasks_server.url("/mcp"),
        era,
        env={"MCP_NODE_MODULES": str(modules)},
    )
    assert out["negotiated"] == version, out
    # A task-backed call: created, polled through working, settled completed.
    assert out["kind"] == "task" and out["taskId"]
    assert out["statuses"][0] == "working" and out["statuses"][-1] == "completed"
    assert out["outcome"] == "completed"
    assert out["result"]["content"][0]["text"].startswith("slept 0.6s")
    # Cancelled while running: the requester sees `cancelled`.
    assert out["longKind"] == "task" and out["cancelled"] == "cancelled"
    # Input inside the task, answered through the requester's onInputRequest.
    assert out.get("askError") is None, out.get("askError")
    assert out["askKind"] == "task", out
    assert out.get("inputKinds") == ["elicitation"], out
    assert out["ask"]["content"][0]["text"] == "accept: hello Turing", out
