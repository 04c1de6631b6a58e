"""The inspector's connection across time and tabs, in Debian chromium (Playwright).

- cancelling a running call on the 2026-07-28 era (the page closes the call's stream,
  and the server really stops the tool);
- a legacy-SSE server's page reconnecting after the server process restarts;
- several pages on one `mcp-use inspect -- COMMAND`: one server process per page
  session, each page's own conversation (its elicitation answered in its own tab),
  and a page that leaves stops its process.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port
from tests.helpers.browser import new_page, screenshot
from tests.server.test_inspector_capabilities import call, result_text

TARGET = Path(__file__).resolve().parent / "servers" / "inspector_target.py"
MCP_USE = [sys.executable, "-m", "mcp_use.cli"]


def target(port: int, tmp_path: Path, *extra: str) -> ServerProcess:
    cmd = [sys.executable, str(TARGET), str(port), *extra]
    return ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40)


def test_cancel_a_running_call_on_the_2026_era(page: Any, tmp_path: Path) -> None:
    with target(free_port(), tmp_path) as srv:
        page.goto(srv.url("/inspector?era=modern"))
        page.wait_for_selector("#status[data-state=ok]")
        assert "2026-07-28" in page.inner_text("#protocol")
        call(page, "slow")
        page.wait_for_selector("#cancel-call")
        time.sleep(0.5)  # the call is running on the server
        started = time.monotonic()
        page.click("#cancel-call")
        page.wait_for_selector("#result.is-error")
        assert "Cancelled" in page.inner_text("#result") and time.monotonic() - started < 5
        screenshot(page, "inspector-cancel-modern.png")
        # the server stopped the tool (closing the stream cancels a 2026-07-28 request)
        deadline = time.monotonic() + 10
        while True:
            call(page, "cancelled_calls")
            page.wait_for_selector("#result .result-head")
            if '"result": 1' in page.inner_text("#result") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert '"result": 1' in page.inner_text("#result")


def test_an_sse_server_page_reconnects_after_the_server_restarts(page: Any, tmp_path: Path) -> None:
    port = free_port()
    with target(port, tmp_path / "first", "--transport", "sse", "--name", "sse-before") as srv:
        page.goto(srv.url("/inspector"))
        page.wait_for_selector("#status[data-state=ok]")
        assert page.input_value("#transport") == "sse"
        assert "sse-before" in page.inner_text("#server-info")
    # the server is gone; the page notices, then finds the new process on the same port
    page.wait_for_selector("#status[data-state=busy]", timeout=20000)
    with target(port, tmp_path / "second", "--transport", "sse", "--name", "sse-after"):
        page.wait_for_selector("#status[data-state=ok]", timeout=30000)
        page.wait_for_function(
            "document.querySelector('#server-info').innerText.includes('sse-after')", timeout=20000
        )
        assert "Reconnected" in page.inner_text("#events")
        page.click("button.item[data-name=regional]")
        page.fill("[name=region]", "after the restart")
        page.click("#call-tool")
        assert "served from after the restart" in result_text(page)
        screenshot(page, "inspector-sse-reconnected.png")


STDIO_SERVER = textwrap.dedent(
    '''
    import os
    from mcp_use import Context, MCPServer

    server = MCPServer(name="stdio-tabs")

    @server.tool()
    def pid() -> str:
        """The server process's id."""
        return f"pid={os.getpid()}"

    @server.tool()
    async def ask(ctx: Context) -> str:
        """Ask this page's user a question."""
        answer = await ctx.elicit("Who are you?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return f"hello {answer.data['name']} from pid={os.getpid()}"

    server.run(transport="stdio")
    '''
)


def pid_of(page: Any) -> int:
    call(page, "pid")
    match = re.search(r"pid=(\d+)", result_text(page))
    assert match, page.inner_text("#result")
    return int(match.group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): look at its state
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def test_two_pages_on_one_stdio_command_get_a_process_each(browser: Any, tmp_path: Path) -> None:
    script = tmp_path / "stdio_tabs.py"
    script.write_text(STDIO_SERVER)
    port = free_port()
    cmd = [*MCP_USE, "inspect", "--port", str(port), "--", sys.executable, str(script)]
    with (
        ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as srv,
        new_page(browser) as one,
        new_page(browser) as two,
    ):
        one.goto(srv.url("/?era=legacy"))
        two.goto(srv.url("/?era=modern"))
        for page in (one, two):
            page.wait_for_selector("#status[data-state=ok]")
        assert "2025-11-25" in one.inner_text("#protocol") and "2026-07-28" in two.inner_text("#protocol")
        pid_one, pid_two = pid_of(one), pid_of(two)
        assert pid_one != pid_two and alive(pid_one) and alive(pid_two)

        # both ask at once; each question shows in its own page, each answer goes back to it
        call(one, "ask")
        call(two, "ask")
        for page, name in ((one, "Ada"), (two, "Grace")):
            page.wait_for_selector(".input-request[data-kind=elicitation]")
            page.fill(".input-request [name=name]", name)
        screenshot(two, "inspector-stdio-two-pages.png")
        one.click("#elicit-accept")
        two.click("#elicit-accept")
        assert f"hello Ada from pid={pid_one}" in result_text(one)
        assert f"hello Grace from pid={pid_two}" in result_text(two)

        # the first page leaves: its session ends and its process stops; the other stays
        one.goto("about:blank")
        deadline = time.monotonic() + 15
        while alive(pid_one) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(pid_one), "the left page's server process is still running"
        assert alive(pid_two) and pid_of(two) == pid_two
    # and the bridge stops every child at exit
    deadline = time.monotonic() + 15
    while alive(pid_two) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid_two)
