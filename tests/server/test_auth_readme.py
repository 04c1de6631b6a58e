"""The README's protected server, run as written (served in process, no network)."""

from __future__ import annotations

import re

import httpx

from tests.helpers import REPO_ROOT

from .auth_client import challenge


def readme_server():  # type: ignore[no-untyped-def]
    text = (REPO_ROOT / "README.md").read_text()
    section = text[text.index("## A protected server") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    return namespace["server"]


async def test_readme_protected_server() -> None:
    server = readme_server()
    assert server.core.features.tools.get("save").scopes == ("files:write",)
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.post("/mcp", json={}, headers={"accept": "application/json, text/event-stream"})
        assert response.status_code == 401
        metadata = "https://api.example.com/.well-known/oauth-protected-resource/mcp"
        assert challenge(response)["resource_metadata"] == metadata
        document = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert document == {
        "resource": "https://api.example.com/mcp",
        "authorization_servers": ["https://auth.example.com"],
        "bearer_methods_supported": ["header"],
        "resource_name": "api",
        "scopes_supported": ["files:write"],
    }
