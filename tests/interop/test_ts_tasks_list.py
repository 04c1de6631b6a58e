"""The TypeScript SDK v1 client pages through our `tasks/list` (2025-11-25).

The SDK's `client.experimental.tasks.listTasks(cursor)` follows `nextCursor` until it is
absent; our server (tests/server/servers/tasks_server.py, 3 tasks a page) lists the
session's tasks in order (one TTL: creation order), each once, and refuses a cursor it
did not issue with -32602, as the spec asks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import NodeTools, ServerProcess
from tests.interop.test_typescript_sdk import CLIENTS, SDK_V1, run_node
from tests.server.tasks_wire import start_tasks_server


@pytest.fixture(scope="module")
def paged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_tasks_server(tmp_path_factory.mktemp("tasks-list"), LIST_PAGE_SIZE="3")
    yield server
    assert server.is_running(), server.describe()
    server.stop()


def test_ts_sdk_v1_follows_next_cursor_through_every_page(
    node: NodeTools, paged_server: ServerProcess
) -> None:
    out = run_node(
        node,
        CLIENTS / "ts_sdk_v1_tasks_list.mjs",
        paged_server.url("/mcp"),
        "7",
        env={"MCP_SDK_DIR": str(node.package_dir(SDK_V1))},
    )
    created = out["created"]
    assert len(set(created)) == 7
    assert [len(page) for page in out["pages"]] == [3, 3, 1]
    assert [
        task_id for page in out["pages"] for task_id in page
    ] == created  # creation order (one TTL), once each
    assert len(out["cursors"]) == 2 and len(set(out["cursors"])) == 2
    assert out["badCursor"] is not None and out["badCursor"]["code"] == -32602, out
    assert "Invalid cursor" in out["badCursor"]["message"]
