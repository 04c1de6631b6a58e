"""Resource template values cannot walk out of a directory (the natural user code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_use import MCPServer

from .asgi import client, initialize, legacy, modern

PROBES = [
    "../../../etc/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "sub/../../secret.txt",
    "..",
    "sub/..",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2E%2E%2Fsecret.txt",
    "%252e%252e%252fsecret.txt",
    "%2fetc%2fpasswd",
    "ok.txt%00.png",
    "ok.txt\x00",
    "..\\..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    "\\\\server\\share",
    "C:\\Windows\\win.ini",
    "%5c..%5csecret.txt",
]


def _files(tmp_path: Path) -> Path:
    base = tmp_path / "public"
    (base / "sub").mkdir(parents=True)
    (base / "sub" / "ok.txt").write_text("fine")
    (base / "ok.txt").write_text("top")
    (tmp_path / "secret.txt").write_text("SECRET")
    return base


def _server(base: Path, path_checks: bool = True) -> tuple[MCPServer, list[str]]:
    server = MCPServer("files", dns_rebinding_protection=False)
    calls: list[str] = []

    @server.resource("file:///{+path}", path_checks=path_checks)
    def read(path: str) -> str:
        calls.append(path)
        return (base / path).read_text()

    return server, calls


@pytest.mark.parametrize("probe", PROBES)
async def test_each_probe_is_refused_before_the_function_runs(tmp_path: Path, probe: str) -> None:
    server, calls = _server(_files(tmp_path))
    async with client(server) as http:
        session = await initialize(http)
        answer = (await legacy(http, session, "resources/read", {"uri": f"file:///{probe}"}))[-1]
        assert answer["error"]["code"] == -32602, answer
        assert "'path'" in answer["error"]["message"]
        assert answer["error"]["data"] == {"parameter": "path"}
        modern_answer = await modern(http, "resources/read", {"uri": f"file:///{probe}"})
        assert modern_answer["error"]["code"] == -32602
    assert calls == []


async def test_safe_values_still_read(tmp_path: Path) -> None:
    server, calls = _server(_files(tmp_path))
    async with client(server) as http:
        session = await initialize(http)
        for value, text in [("sub/ok.txt", "fine"), ("ok.txt", "top"), ("sub/./ok.txt", "fine")]:
            answer = (await legacy(http, session, "resources/read", {"uri": f"file:///{value}"}))[-1]
            assert answer["result"]["contents"][0]["text"] == text
    assert calls == ["sub/ok.txt", "ok.txt", "sub/./ok.txt"]


async def test_path_checks_false_opts_out(tmp_path: Path) -> None:
    server, calls = _server(_files(tmp_path), path_checks=False)
    async with client(server) as http:
        session = await initialize(http)
        answer = (await legacy(http, session, "resources/read", {"uri": "file:///sub/../../secret.txt"}))[-1]
        assert answer["result"]["contents"][0]["text"] == "SECRET"
    assert calls == ["sub/../../secret.txt"]


async def test_a_long_refused_value_is_quoted_briefly(tmp_path: Path) -> None:
    server, _ = _server(_files(tmp_path))
    async with client(server) as http:
        session = await initialize(http)
        uri = "file:///../" + "a" * 100_000
        answer = (await legacy(http, session, "resources/read", {"uri": uri}))[-1]
        assert answer["error"]["code"] == -32602
        assert len(answer["error"]["message"]) < 400
