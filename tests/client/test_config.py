"""Configuration: the three constructors, and clear errors naming the entry and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_use import MCPClient
from mcp_use.client import ConfigError, HttpServerConfig, StdioServerConfig


def test_constructors(tmp_path: Path) -> None:
    cfg = {
        "mcpServers": {
            "local": {"command": "python", "args": ["s.py", 1], "env": {"K": "v"}, "cwd": "/tmp"},
            "remote": {
                "url": "https://x.test/mcp",
                "headers": {"X-A": "1"},
                "auth": "tok",
                "transport": "sse",
                "timeout": 5,
            },
        }
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    for client in (
        MCPClient(cfg),
        MCPClient.from_dict(cfg),
        MCPClient.from_config_file(path),
        MCPClient(str(path)),
        MCPClient(path),
    ):
        local, remote = client.servers["local"], client.servers["remote"]
        assert isinstance(local, StdioServerConfig) and local.args == ("s.py", "1") and local.cwd == "/tmp"
        assert local.full_env()["K"] == "v"
        assert isinstance(remote, HttpServerConfig) and remote.transport == "sse" and remote.timeout == 5
        assert dict(remote.headers) == {"X-A": "1"} and remote.auth == "tok"
    url_client = MCPClient("http://127.0.0.1:9/mcp")
    assert url_client.get_server_names() == ["default"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"mcpServers": {"a": {}}}, "mcpServers.a: needs 'command'"),
        ({"mcpServers": {"a": {"command": "x", "comand": 1}}}, "mcpServers.a: unknown field(s) 'comand'"),
        ({"mcpServers": {"a": {"command": "x", "url": "http://h"}}}, "not both"),
        ({"mcpServers": {"a": {"command": ""}}}, "mcpServers.a.command"),
        ({"mcpServers": {"a": {"command": "x", "args": "y"}}}, "mcpServers.a.args"),
        ({"mcpServers": {"a": {"command": "x", "env": {"K": 1.5, "L": None}}}}, "mcpServers.a.env.L"),
        ({"mcpServers": {"a": {"command": "x", "headers": {}}}}, "mcpServers.a.headers: only HTTP"),
        ({"mcpServers": {"b": {"url": "ftp://h"}}}, "mcpServers.b.url"),
        ({"mcpServers": {"b": {"url": "http://h", "transport": "ws"}}}, "mcpServers.b.transport"),
        ({"mcpServers": {"b": {"url": "http://h", "auth": {"token": 1}}}}, "mcpServers.b.auth"),
        ({"mcpServers": {"b": {"url": "http://h", "timeout": -1}}}, "mcpServers.b.timeout"),
        ({"mcpServers": []}, "'mcpServers' must be an object"),
        ({"servers": {}}, "Unknown top-level config key"),
    ],
)
def test_bad_config(config: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        MCPClient(config)
    assert message in str(info.value)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        MCPClient.from_config_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        MCPClient.from_config_file(bad)


async def test_unknown_session_and_mode() -> None:
    client = MCPClient({"mcpServers": {"a": {"command": "x", "mode": "1999-01-01"}}})
    with pytest.raises(ConfigError, match="No server named 'zz'"):
        await client.create_session("zz")
    with pytest.raises(KeyError, match="no active session"):
        client.get_session("a")


def test_pick_entry_names_the_mistake_precisely() -> None:
    """One picker for `call`, `inspect` and `proxy`: the only server, the named one, or a
    message that says what is configured."""
    from mcp_use.client.config import parse, pick_entry

    two = {"mcpServers": {"a": {"url": "http://127.0.0.1:1/mcp"}, "b": {"command": "cat"}}}
    assert pick_entry(two, "b") == ("b", {"command": "cat"})  # a whole config: entries as written
    name, entry = pick_entry(parse(two), "a")  # parsed servers: checked entries
    assert name == "a" and isinstance(entry, HttpServerConfig)
    assert pick_entry({"mcpServers": {"only": {"command": "cat"}}}, None) == ("only", {"command": "cat"})
    with pytest.raises(ConfigError) as unknown:
        pick_entry(two, "x", where=" in c.json")
    assert str(unknown.value) == "server 'x' is not configured in c.json (configured: a, b)"
    with pytest.raises(ConfigError) as several:
        pick_entry(parse(two), None)
    assert str(several.value) == "several servers are configured: name one (a, b)"
    with pytest.raises(ConfigError) as hinted:
        pick_entry(two, None, where=" in c.json", how="name one before the tool")
    assert str(hinted.value) == "several servers are configured in c.json: name one before the tool (a, b)"
    with pytest.raises(ConfigError) as empty:
        pick_entry({"mcpServers": {}}, None, where=" in c.json")
    assert str(empty.value) == "no server is configured in c.json"
    with pytest.raises(ConfigError) as empty_named:
        pick_entry({}, "a")
    assert str(empty_named.value) == "server 'a' is not configured (configured: none)"
    with pytest.raises(ConfigError, match="'mcpServers' must be an object"):
        pick_entry({"mcpServers": ["a"]}, None)
