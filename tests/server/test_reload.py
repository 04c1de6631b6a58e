"""`server.run(..., reload=True)` started as `python server.py` restarts on code changes."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import httpx

from tests.examples.rawmcp import HttpSession, example_env
from tests.helpers import ServerProcess, free_port

SOURCE = textwrap.dedent(
    '''
    from mcp_use import MCPServer
    from starlette.middleware.cors import CORSMiddleware

    server = MCPServer(name="reloading")

    @server.tool()
    def version() -> str:
        """Which code is running."""
        return "v1"

    if {cors}:
        app = server.streamable_http_app()
        app.add_middleware(CORSMiddleware, allow_origins=["https://app.example"], allow_methods=["POST"])

    if __name__ == "__main__":
        server.run(transport="streamable-http", host="127.0.0.1", port={port}, reload=True)
    '''
)


def call_version(url: str) -> str | None:
    try:
        with HttpSession(url) as mcp:
            return mcp.call("version", {})["content"][0]["text"]
    except (httpx.HTTPError, AssertionError, KeyError):
        return None  # restarting


def wait_for_version(url: str, want: str, timeout: float = 30, touch: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    retouch = time.monotonic() + 8
    got = None
    while time.monotonic() < deadline:
        got = call_version(url)
        if got == want:
            return
        if touch is not None and time.monotonic() > retouch:
            # uvicorn's watcher starts just after its first worker: an edit made in that
            # instant can go unseen. Saving again is what a developer would do.
            touch.write_text(touch.read_text())
            retouch = time.monotonic() + 8
        time.sleep(0.2)
    raise AssertionError(f"still {got!r}, wanted {want!r}")


def run_reload(tmp_path: Path, cors: bool) -> None:
    port = free_port()
    folder = tmp_path / "app"
    folder.mkdir()
    script = folder / "server.py"
    script.write_text(SOURCE.format(port=port, cors=cors))
    with ServerProcess(
        [sys.executable, "server.py"],
        cwd=folder,
        port=port,
        env=example_env(),
        log_dir=tmp_path,
        startup_timeout=40,
    ) as srv:
        url = srv.url("/mcp")
        wait_for_version(url, "v1")
        parent = srv.pid
        # Edit the tool, as a developer would; same folder, same port.
        time.sleep(0.5)
        script.write_text(script.read_text().replace('return "v1"', 'return "v2"'))
        wait_for_version(url, "v2", touch=script)
        assert srv.is_running() and srv.pid == parent  # the reloader stays, its worker restarts
        stderr = srv.stderr_path.read_text()
        assert "Reloading on changes to *.py under" in stderr
        assert "WatchFiles detected changes in 'server.py'. Reloading..." in stderr, stderr
        # Request lines keep coming from the restarted worker (written within ~100 ms).
        deadline = time.monotonic() + 5
        while stderr.count("tools/call version ok") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            stderr = srv.stderr_path.read_text()
        assert stderr.count("tools/call version ok") >= 2, stderr
        if cors:
            preflight = httpx.options(
                url, headers={"origin": "https://app.example", "access-control-request-method": "POST"}
            )
            assert preflight.headers.get("access-control-allow-origin") == "https://app.example"


def test_reload_picks_up_a_changed_tool(tmp_path: Path) -> None:
    run_reload(tmp_path, cors=False)


def test_reload_keeps_the_users_middleware(tmp_path: Path) -> None:
    run_reload(tmp_path, cors=True)
