"""`mcp-use run | dev | list | call`."""

from __future__ import annotations

import sys
import textwrap
import time
import types
from pathlib import Path

import httpx
import pytest

from mcp_use import cli
from tests.examples.rawmcp import HttpSession, StdioSession, example_env, modern_call
from tests.helpers import ServerProcess, free_port

SERVER = textwrap.dedent(
    '''
    from mcp_use import MCPServer

    server = MCPServer(name="cli-fixture")

    @server.tool()
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    if __name__ == "__main__":
        raise SystemExit("the CLI must not run the __main__ block")
    '''
)

TWO = textwrap.dedent(
    """
    from mcp_use import MCPServer

    first = MCPServer(name="first")
    second = MCPServer(name="second")
    alias = first

    def make():
        return MCPServer(name="made")
    """
)


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    path = tmp_path / "proj" / "my_server.py"
    path.parent.mkdir()
    path.write_text(SERVER)
    return path


def mcp_use_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "mcp_use.cli", *(str(a) for a in args)]


@pytest.mark.parametrize(
    ("target", "path", "name"),
    [
        ("server.py", "server.py", None),
        ("a/b/server.py:app", "a/b/server.py", "app"),
        ("server.py:make", "server.py", "make"),
        ("C:\\x\\server.py", "C:\\x\\server.py", None),
    ],
)
def test_split_target(target: str, path: str, name: str | None) -> None:
    assert cli.split_target(target) == (Path(path), name)


def test_load_server_finds_the_instance(server_file: Path) -> None:
    server = cli.load_server(str(server_file))
    assert server.name == "cli-fixture"
    assert cli.load_server(f"{server_file}:server") is server


def test_load_server_with_several(tmp_path: Path) -> None:
    path = tmp_path / "two_servers.py"
    path.write_text(TWO)
    with pytest.raises(cli.CLIError, match=r"Several MCPServer instances.*alias, first, second"):
        cli.load_server(str(path))
    assert cli.load_server(f"{path}:second").name == "second"
    assert cli.load_server(f"{path}:make").name == "made"
    with pytest.raises(cli.CLIError, match="not an MCPServer"):
        cli.load_server(f"{path}:nothing")
    with pytest.raises(cli.CLIError, match="No such file"):
        cli.load_server(str(tmp_path / "missing.py"))


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert cli.main(["run", str(empty)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "mcp-use: error: No MCPServer instance in empty.py; name one with empty.py:<name>"
    )


def test_run_stdio(server_file: Path) -> None:
    session = StdioSession(mcp_use_cmd("run", server_file), server_file.parent.parent, example_env())
    assert session.initialize()["serverInfo"]["name"] == "cli-fixture"
    result = session.request("tools/call", {"name": "shout", "arguments": {"text": "hi"}})
    assert result["content"][0]["text"] == "HI"
    rest, _ = session.close()
    assert rest == b""


def test_run_http_with_name(server_file: Path, tmp_path: Path) -> None:
    port = free_port()
    cmd = mcp_use_cmd(
        "run", f"{server_file}:server", "--transport", "http", "--host", "127.0.0.1", "--port", port
    )
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path / "logs", cwd=tmp_path) as srv:
        with HttpSession(srv.url("/mcp")) as mcp:
            assert mcp.call("shout", {"text": "abc"})["content"][0]["text"] == "ABC"
        assert httpx.get(srv.url("/docs")).status_code == 404  # run: no debug routes


def test_run_http_workers(server_file: Path, tmp_path: Path) -> None:
    port = free_port()
    cmd = mcp_use_cmd(
        "run",
        server_file,
        "-t",
        "http",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--workers",
        2,
        "--log-level",
        "info",
    )
    # cwd elsewhere: the workers find the module through the file's folder.
    with ServerProcess(
        cmd, port=port, env=example_env(), log_dir=tmp_path / "logs", cwd=tmp_path, startup_timeout=40
    ) as srv:
        for i in range(4):
            assert (
                modern_call(srv.url("/mcp"), "shout", {"text": f"w{i}"}, i + 1)["content"][0]["text"]
                == f"W{i}"
            )
        # The port is served once the first worker is up; the second may start a little
        # later (a loaded machine): wait for it, within a bound.
        deadline = time.monotonic() + 30
        while srv.stderr_tail(60).count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.stderr_tail(60).count("Started server process") == 2, srv.stderr_tail(60)


def test_dev_prints_the_inspector_and_serves_it(server_file: Path, tmp_path: Path) -> None:
    port = free_port()
    cmd = mcp_use_cmd("dev", server_file, "--port", port)
    with ServerProcess(
        cmd, port=port, env=example_env(), log_dir=tmp_path / "logs", cwd=tmp_path, startup_timeout=40
    ) as srv:
        assert f"Inspector     http://127.0.0.1:{port}/inspector" in srv.stderr_tail(40)
        assert httpx.get(srv.url("/inspector")).status_code == 200
        assert "shout" in httpx.get(srv.url("/docs")).text
        with HttpSession(srv.url("/mcp")) as mcp:
            assert mcp.call("shout", {"text": "dev"})["content"][0]["text"] == "DEV"
        assert "Reloading on changes" in srv.stderr_tail(40)


def test_run_refuses_reload_on_stdio(server_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", str(server_file), "--reload"]) == 2
    assert "--transport http" in capsys.readouterr().err


@pytest.fixture
def fake_client_cli(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []
    module = types.ModuleType("mcp_use.client.cli")

    def list_command(target: str) -> int:
        calls.append(("list", target))
        return 0

    async def call_command(target: str, args: list[str]) -> int:
        calls.append(("call", target, args))
        return 3

    module.list_command = list_command  # type: ignore[attr-defined]
    module.call_command = call_command  # type: ignore[attr-defined]
    package = sys.modules.get("mcp_use.client") or types.ModuleType("mcp_use.client")
    monkeypatch.setitem(sys.modules, "mcp_use.client", package)
    monkeypatch.setitem(sys.modules, "mcp_use.client.cli", module)
    monkeypatch.setattr(package, "cli", module, raising=False)
    return calls


def test_list_and_call_dispatch(fake_client_cli: list[tuple]) -> None:
    assert cli.main(["list", "config.json"]) == 0
    assert cli.main(["call", "http://localhost:8000/mcp", "add", "a=1", "b=2"]) == 3
    assert fake_client_cli == [
        ("list", "config.json"),
        ("call", "http://localhost:8000/mcp", ["add", "a=1", "b=2"]),
    ]
