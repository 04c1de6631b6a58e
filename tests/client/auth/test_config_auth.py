"""The config's OAuth side: `${VAR}` expansion in every string and the `"auth"` objects."""

from __future__ import annotations

import pytest

from mcp_use import MCPClient
from mcp_use.client import ConfigError
from mcp_use.client.config import parse


def test_variables_expand_in_every_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_TEST_HOST", "api.example.com")
    monkeypatch.setenv("MCP_TEST_SECRET", "s3cret")
    monkeypatch.delenv("MCP_TEST_UNSET", raising=False)
    servers = parse(
        {
            "mcpServers": {
                "api": {
                    "url": "https://${MCP_TEST_HOST}/mcp",
                    "headers": {"X-Tenant": "${MCP_TEST_UNSET:-acme}"},
                    "auth": {
                        "type": "client_credentials",
                        "client_id": "svc",
                        "client_secret": "${MCP_TEST_SECRET}",
                    },
                },
                "local": {
                    "command": "python",
                    "args": ["-m", "${MCP_TEST_UNSET:-srv}"],
                    "env": {"K": "${MCP_TEST_SECRET}"},
                },
            }
        }
    )
    api, local = servers["api"], servers["local"]
    assert api.url == "https://api.example.com/mcp"  # type: ignore[attr-defined]
    assert api.headers == {"X-Tenant": "acme"}  # type: ignore[attr-defined]
    assert api.oauth.client_secret == "s3cret"  # type: ignore[attr-defined]
    assert "s3cret" not in repr(api.oauth)  # type: ignore[attr-defined]
    assert local.args == ("-m", "srv") and local.env == {"K": "s3cret"}  # type: ignore[attr-defined]


def test_missing_variable_names_it_and_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCP_TEST_NOPE", raising=False)
    with pytest.raises(ConfigError) as info:
        MCPClient(
            {
                "mcpServers": {
                    "api": {"url": "https://x/mcp", "headers": {"Authorization": "${MCP_TEST_NOPE}"}}
                }
            }
        )
    assert "MCP_TEST_NOPE" in str(info.value) and "mcpServers.api.headers.Authorization" in str(info.value)


def test_empty_variable_takes_the_default_only_with_colon_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_TEST_EMPTY", "")
    servers = parse({"mcpServers": {"a": {"url": "https://x/${MCP_TEST_EMPTY}mcp${MCP_TEST_EMPTY:-/v1}"}}})
    assert servers["a"].url == "https://x/mcp/v1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"type": "magic"}, "auth.type: must be one of"),
        ({"type": "oauth", "scope": "x"}, "unknown field(s) 'scope'"),
        ({"type": "client_credentials"}, "auth.client_id: required"),
        ({"type": "client_credentials", "client_id": "a"}, "needs 'client_secret' or 'private_key_file'"),
        (
            {"type": "client_credentials", "client_id": "a", "private_key_file": "/nonexistent/key.pem"},
            "cannot read",
        ),
        ({"type": "oauth", "callback_port": 70000}, "callback_port: must be a port number"),
        ({"type": "oauth", "scopes": [1]}, "scopes: must be a list of strings"),
        ({"type": "jwt_bearer"}, "needs 'assertion' or 'assertion_file'"),
        ({"type": "enterprise", "client_id": "a"}, "auth.client_secret: required"),
        (42, "must be a bearer token string or an object"),
    ],
)
def test_bad_auth_objects(auth: object, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse({"mcpServers": {"api": {"url": "https://x/mcp", "auth": auth}}})
    assert message in str(info.value) and "mcpServers.api" in str(info.value)


def test_auth_kinds_parse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    servers = parse(
        {
            "mcpServers": {
                "a": {
                    "url": "https://x/mcp",
                    "auth": {"type": "oauth", "scopes": "read write", "callback_port": 8765},
                },
                "b": {
                    "url": "https://x/mcp",
                    "auth": {"type": "client_credentials", "client_id": "c", "private_key_file": str(key)},
                },
                "c": {"url": "https://x/mcp", "auth": "plain-token"},
            }
        }
    )
    assert servers["a"].oauth.scopes == ("read", "write") and servers["a"].oauth.callback_port == 8765  # type: ignore[attr-defined]
    assert servers["b"].oauth.private_key.startswith("-----BEGIN")  # type: ignore[attr-defined]
    assert servers["c"].auth == "plain-token" and servers["c"].oauth is None  # type: ignore[attr-defined]
