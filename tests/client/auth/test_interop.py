"""Our OAuth client against real protected servers and their authorization servers.

- the TypeScript SDK's own protected example (`simpleStreamableHttp --oauth
  --oauth-strict`, strict RFC 8707 resource checks), on the legacy era and in auto mode;
- the official Python SDK's MCPServer hosting its authorization server, for what needs
  refresh tokens: a second client on the same storage connects without asking, a token
  that expired while the process was down is refreshed without asking, and so is one
  the server rejects with a 401.
"""

from __future__ import annotations

import asyncio
import logging
import stat
import time
from pathlib import Path

import pytest

from mcp_use import MCPClient
from mcp_use.client.auth import FileTokenStorage, MemoryTokenStorage
from tests.client.auth.conftest import FetchAuthorizer, refuse, start_sdk_oauth
from tests.helpers import ServerPool


def oauth_config(url: str) -> dict:
    return {"mcpServers": {"protected": {"url": url, "auth": {"type": "oauth"}}}}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_typescript_sdk_protected_server(ts_oauth: str, authorizer: FetchAuthorizer, mode: str) -> None:
    async with MCPClient(
        oauth_config(ts_oauth), mode=mode, token_storage=MemoryTokenStorage(), authorize=authorizer
    ) as client:
        session = client.get_session("protected")
        names = {t.name for t in await session.list_tools()}
        assert "greet" in names
        result = await session.call_tool("greet", {"name": "OAuth"})
        assert not result.isError
        assert "OAuth" in result.content[0].text
        assert session.protocol_version == "2025-11-25" or session.protocol_version.startswith("2025")
    assert len(authorizer.calls) == 1
    asked = authorizer.calls[0]
    assert "code_challenge_method=S256" in asked and "resource=" in asked and "state=" in asked


async def whoami(client: MCPClient) -> str:
    result = await client.get_session("protected").call_tool("whoami", {})
    assert not result.isError, result
    return result.content[0].text


async def test_second_client_on_the_same_storage_does_not_ask(
    sdk_oauth: str, authorizer: FetchAuthorizer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = tmp_path / "auth"
    async with MCPClient(
        oauth_config(sdk_oauth), token_storage=FileTokenStorage(store), authorize=authorizer
    ) as c1:
        assert await whoami(c1) == "codes=1 refreshes=0"
        token = c1.oauth_provider("protected").tokens.access_token  # type: ignore[union-attr]
    assert len(authorizer.calls) == 1
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    files = list(store.glob("*.json"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    async with MCPClient(
        oauth_config(sdk_oauth), token_storage=FileTokenStorage(store), authorize=refuse
    ) as c2:
        assert await whoami(c2) == "codes=1 refreshes=0"
        assert c2.oauth_provider("protected").tokens.access_token == token  # type: ignore[union-attr]
    assert token not in caplog.text  # tokens are never logged


async def _stored_record(storage: FileTokenStorage, url: str) -> tuple[str, dict]:
    pointer = await storage.get(f"server|{url}")
    assert pointer is not None
    key = f"oauth|{pointer['issuer']}|{pointer['resource']}"
    record = await storage.get(key)
    assert record is not None and "refresh_token" in record["tokens"]
    return key, record


async def _logged_in(
    url: str, authorizer: FetchAuthorizer, folder: Path
) -> tuple[FileTokenStorage, str, dict]:
    """Log in once (the user is asked), then return the storage, the record's key and the record."""
    storage = FileTokenStorage(folder / "auth")
    async with MCPClient(oauth_config(url), token_storage=storage, authorize=authorizer) as client:
        await whoami(client)
    key, record = await _stored_record(storage, url)
    return storage, key, record


async def test_expired_token_is_refreshed_without_asking(
    sdk_oauth: str, authorizer: FetchAuthorizer, tmp_path: Path
) -> None:
    storage, key, record = await _logged_in(sdk_oauth, authorizer, tmp_path)
    assert record["tokens"]["expires_at"] > time.time() + 3000  # absolute, about an hour ahead
    record["tokens"]["expires_at"] = time.time() - 5  # as if the process had been down for an hour
    await storage.set(key, record)
    async with MCPClient(oauth_config(sdk_oauth), token_storage=storage, authorize=refuse) as client:
        assert await whoami(client) == "codes=1 refreshes=1"
        fresh = client.oauth_provider("protected").tokens
        assert fresh is not None and fresh.access_token != record["tokens"]["access_token"]
    _, after = await _stored_record(storage, sdk_oauth)
    assert after["tokens"]["access_token"] == fresh.access_token
    assert after["tokens"]["refresh_token"] != record["tokens"]["refresh_token"]  # rotated


async def test_token_rejected_with_401_is_refreshed_without_asking(
    sdk_oauth: str, authorizer: FetchAuthorizer, tmp_path: Path
) -> None:
    storage, key, record = await _logged_in(sdk_oauth, authorizer, tmp_path)
    record["tokens"]["access_token"] = "revoked-by-the-server"
    await storage.set(key, record)
    async with MCPClient(oauth_config(sdk_oauth), token_storage=storage, authorize=refuse) as client:
        assert await whoami(client) == "codes=1 refreshes=1"
    assert len(authorizer.calls) == 1


async def test_short_lived_token_expires_and_is_refreshed_in_real_time(
    server_process: ServerPool, authorizer: FetchAuthorizer
) -> None:
    url = start_sdk_oauth(server_process, ttl=3)
    async with MCPClient(
        oauth_config(url), token_storage=MemoryTokenStorage(), authorize=authorizer
    ) as client:
        assert await whoami(client) == "codes=1 refreshes=0"
        assert await whoami(client) == "codes=1 refreshes=0"  # a 3 s token is not renewed on every call
        await asyncio.sleep(3.5)  # the server now refuses the old token
        assert await whoami(client) == "codes=1 refreshes=1"
    assert len(authorizer.calls) == 1


class BrokenStorage(MemoryTokenStorage):
    async def set(self, key: str, value: dict) -> None:
        raise OSError(28, "No space left on device")


async def test_storage_that_cannot_save_does_not_break_the_connection(
    sdk_oauth: str, authorizer: FetchAuthorizer, caplog: pytest.LogCaptureFixture
) -> None:
    async with MCPClient(
        oauth_config(sdk_oauth), token_storage=BrokenStorage(), authorize=authorizer
    ) as client:
        assert await whoami(client) == "codes=1 refreshes=0"
    assert "could not store tokens: OSError" in caplog.text


@pytest.mark.parametrize("mode", ["auto", "2026-07-28", "legacy"])
async def test_python_sdk_protected_server_on_each_era(
    sdk_oauth: str, authorizer: FetchAuthorizer, mode: str
) -> None:
    async with MCPClient(
        oauth_config(sdk_oauth), mode=mode, token_storage=MemoryTokenStorage(), authorize=authorizer
    ) as client:
        assert await whoami(client) == "codes=1 refreshes=0"
        version = client.get_session("protected").protocol_version
    assert (version == "2026-07-28") is (mode != "legacy"), version


async def revoke(url: str, token: str, client: dict) -> None:
    """Revoke an access token at the SDK's /revoke, authenticating as our registered client."""
    import base64

    import aiohttp

    revoke_url = url.removesuffix("/mcp") + "/revoke"
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    form = {"token": token, "client_id": client["client_id"], "client_secret": client["client_secret"]}
    async with aiohttp.ClientSession() as http:
        async with http.post(revoke_url, data=form, headers={"Authorization": f"Basic {basic}"}) as response:
            assert response.status == 200, await response.text()


async def test_concurrent_calls_refused_at_once_share_one_refresh(
    sdk_oauth: str, authorizer: FetchAuthorizer, tmp_path: Path
) -> None:
    storage = FileTokenStorage(tmp_path / "auth")
    async with MCPClient(oauth_config(sdk_oauth), token_storage=storage, authorize=authorizer) as client:
        assert await whoami(client) == "codes=1 refreshes=0"
        _, record = await _stored_record(storage, sdk_oauth)
        await revoke(sdk_oauth, record["tokens"]["access_token"], record["client"])
        results = await asyncio.gather(*(whoami(client) for _ in range(6)))
        assert all(r.startswith("codes=1 refreshes=") for r in results)
        assert await whoami(client) == "codes=1 refreshes=1"
    assert len(authorizer.calls) == 1


async def _refusal(url: str, token: str) -> tuple[int, dict[str, str]]:
    """What the server answers a request carrying `token`: its status and headers (a real 401)."""
    import aiohttp

    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"authorization": f"Bearer {token}", "accept": "application/json, text/event-stream"}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as response:
        return response.status, dict(response.headers)


async def test_the_refused_token_decides_between_resend_and_refresh(
    sdk_oauth: str, authorizer: FetchAuthorizer, tmp_path: Path
) -> None:
    """The transport tells the provider which token a refused request carried: a 401 for a
    token already replaced is answered by resending with the current one (no refresh), a
    401 for the current token refreshes at once, however new that token is (no grace
    window), and concurrent 401s for one token share one refresh."""
    storage = FileTokenStorage(tmp_path / "auth")
    async with MCPClient(oauth_config(sdk_oauth), token_storage=storage, authorize=authorizer) as client:
        assert await whoami(client) == "codes=1 refreshes=0"
        provider = client.oauth_provider("protected")
        _, record = await _stored_record(storage, sdk_oauth)
        first = record["tokens"]["access_token"]
        await revoke(sdk_oauth, first, record["client"])
        # Six calls in flight with the revoked token: one refresh between them.
        assert {r for r in await asyncio.gather(*(whoami(client) for _ in range(6)))} <= {
            "codes=1 refreshes=1"
        }
        second = provider.tokens.access_token  # type: ignore[union-attr]
        assert second != first

        # A late 401 for the first token: resend with the second, no refresh.
        status, headers = await _refusal(sdk_oauth, first)
        assert status == 401 and "resource_metadata=" in headers["WWW-Authenticate"]
        assert await provider.on_response(status, headers, "POST", sdk_oauth, authorization=f"Bearer {first}")
        assert provider.tokens.access_token == second  # type: ignore[union-attr]
        assert await whoami(client) == "codes=1 refreshes=1"

        # The current token refused, six times at once: one refresh, all six told to resend.
        await revoke(sdk_oauth, second, record["client"])
        status, headers = await _refusal(sdk_oauth, second)
        assert status == 401
        answers = await asyncio.gather(
            *(
                provider.on_response(status, headers, "POST", sdk_oauth, authorization=f"Bearer {second}")
                for _ in range(6)
            )
        )
        assert answers == [True] * 6
        third = provider.tokens.access_token  # type: ignore[union-attr]
        assert third not in (first, second)

        # The brand-new third token refused before any success: refreshed again at once.
        await revoke(sdk_oauth, third, record["client"])
        status, headers = await _refusal(sdk_oauth, third)
        assert await provider.on_response(status, headers, "POST", sdk_oauth, authorization=f"Bearer {third}")
        assert provider.tokens.access_token not in (first, second, third)  # type: ignore[union-attr]
        assert await whoami(client) == "codes=1 refreshes=3"
    assert len(authorizer.calls) == 1
