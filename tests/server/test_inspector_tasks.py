"""The inspector runs task-backed tools, on both eras, in Debian chromium (Playwright).

A task-required tool is refused as a plain call, so the page must run it as a task:
it shows the task's status and message as they change, its Cancel button sends
`tasks/cancel` (the server's function really stops: it writes a file when cancelled),
and the status ends `cancelled`. A task that runs to the end shows `completed` and the
result. Screenshots go to test-output/.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port
from tests.helpers.browser import screenshot

SERVER = Path(__file__).resolve().parent / "servers" / "inspector_tasks.py"
ERAS = ["legacy", "modern"]


@pytest.fixture(scope="module")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tasks") / "cancelled.txt"


@pytest.fixture(scope="module")
def task_server(tmp_path_factory: pytest.TempPathFactory, marker: Path) -> Iterator[ServerProcess]:
    port = free_port()
    env = example_env(CANCELLED_FILE=str(marker))
    with ServerProcess(
        [sys.executable, str(SERVER), str(port)],
        port=port,
        env=env,
        log_dir=tmp_path_factory.mktemp("task-server"),
        startup_timeout=40,
    ) as srv:
        yield srv


def open_tool(page: Any, srv: ServerProcess, era: str, tool: str) -> None:
    page.goto(srv.url(f"/inspector?era={era}"))
    page.wait_for_selector("#status[data-state=ok]")
    page.click(f"button.item[data-name={tool}]")


@pytest.mark.parametrize("era", ERAS)
def test_a_task_shows_its_status_and_cancel_cancels_it(
    page: Any, task_server: ServerProcess, marker: Path, era: str
) -> None:
    marker.unlink(missing_ok=True)
    open_tool(page, task_server, era, "long_report")
    assert page.is_checked("#as-task") and page.is_disabled("#as-task")  # required: always a task
    page.fill("[name=pages]", "40")
    page.click("#call-tool")
    page.wait_for_selector("#task-status[data-status=working]")
    page.wait_for_function("document.getElementById('task-message').textContent.startsWith('writing page')")
    task_id = page.inner_text("#task-id")
    assert task_id
    screenshot(page, f"inspector-task-working-{era}.png")
    page.click("#cancel-task")
    page.wait_for_selector("#task-status[data-status=cancelled]", timeout=10_000)
    assert page.inner_text("#task-status") == "cancelled"
    assert page.is_disabled("#cancel-task")
    page.wait_for_selector("#result .error-box")
    assert "cancelled" in page.inner_text("#result")
    screenshot(page, f"inspector-task-cancelled-{era}.png")
    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == task_id  # the server's function was cancelled, this task's


@pytest.mark.parametrize("era", ERAS)
def test_a_task_that_ends_shows_completed_and_the_result(
    page: Any, task_server: ServerProcess, era: str
) -> None:
    open_tool(page, task_server, era, "long_report")
    page.fill("[name=pages]", "2")
    page.click("#call-tool")
    page.wait_for_selector("#result .result-head", timeout=15_000)
    assert page.inner_text("#task-status") == "completed"
    assert page.is_disabled("#cancel-task")
    assert "report of 2 pages done" in page.inner_text("#result")


@pytest.mark.parametrize("era", ERAS)
def test_an_optional_task_tool_runs_plainly_unless_asked(
    page: Any, task_server: ServerProcess, era: str
) -> None:
    open_tool(page, task_server, era, "quick_sum")
    assert not page.is_checked("#as-task")
    page.fill("[name=a]", "20")
    page.fill("[name=b]", "22")
    page.click("#call-tool")
    page.wait_for_selector("#result .result-head")
    assert "42" in page.inner_text("#result")
    assert page.locator("#task-box").count() == 0  # a plain call: no task
    page.check("#as-task")
    page.click("#call-tool")
    page.wait_for_selector("#task-status[data-status=completed]", timeout=15_000)
    page.wait_for_selector("#result .result-head")
    assert "42" in page.inner_text("#result")
