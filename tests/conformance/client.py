"""The conformance suite's client under test, built on our `MCPClient`.

The suite runs `python tests/conformance/client.py <mock-url>` with
`MCP_CONFORMANCE_SCENARIO`, `MCP_CONFORMANCE_PROTOCOL_VERSION` and, for some scenarios,
`MCP_CONFORMANCE_CONTEXT` set; this script does what each scenario asks of a client.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from mcp_use import MCPClient
from mcp_use.client.auth import MemoryTokenStorage
from mcp_use.client.session import ClientSession

# The client ID metadata document URL the suite's mock authorization servers expect.
CIMD_URL = "https://conformance-test.local/client-metadata.json"


async def accept_elicitation(params: Any) -> dict[str, Any]:
    """Accept every form; the client fills in the schema's defaults for what we leave out."""
    schema = params.requestedSchema or {}
    content: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("type") == "boolean" and "default" not in prop:
            content[key] = True
    return {"action": "accept", "content": content}


async def sample(params: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": {"type": "text", "text": "conformance"}, "model": "test-model"}


async def authorize(url: str) -> str:
    """The user's part, as the suite's reference clients do it: the mock approves at once,
    so fetch the authorization URL without following its redirect and return Location."""
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as response:
        location = response.headers.get("location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            raise RuntimeError(f"authorization endpoint answered HTTP {response.status} without a redirect")
        return location


def auth_config(scenario: str, context: dict[str, Any]) -> dict[str, Any]:
    """The server entry's `"auth"` object a user would write for this scenario."""
    name = scenario.removeprefix("auth/")
    if name == "pre-registration":
        return {"type": "oauth", "client_id": context["client_id"], "client_secret": context["client_secret"]}
    if name == "client-credentials-basic":
        return {
            "type": "client_credentials",
            "client_id": context["client_id"],
            "client_secret": context["client_secret"],
        }
    if name == "client-credentials-jwt":
        key = Path(tempfile.mkdtemp()) / "client-key.pem"
        key.write_text(context["private_key_pem"])
        key.chmod(0o600)
        return {
            "type": "client_credentials",
            "client_id": context["client_id"],
            "private_key_file": str(key),
            "signing_alg": context.get("signing_algorithm", "ES256"),
        }
    if name == "enterprise-managed-authorization":
        return {
            "type": "enterprise",
            "client_id": context["client_id"],
            "client_secret": context["client_secret"],
            "idp_token_endpoint": context["idp_token_endpoint"],
            "id_token": context["idp_id_token"],
            "idp_client_id": context["idp_client_id"],
        }
    if name == "wif-jwt-bearer":
        return {"type": "jwt_bearer", "assertion": context["valid_jwt"], "client_id": context["client_id"]}
    return {"type": "oauth", "client_metadata_url": CIMD_URL}


async def run(scenario: str, url: str, version: str, context: dict[str, Any]) -> int:
    entry: dict[str, Any] = {"url": url}
    if scenario.startswith("auth/"):
        entry["auth"] = auth_config(scenario, context)
    client = MCPClient(
        {"mcpServers": {"mock": entry}},
        token_storage=MemoryTokenStorage(),
        authorize=authorize,
        mode=version or "auto",
        timeout=50.0,  # per request; the suite gives a scenario 60 s on a loaded machine
        client_info={"name": "mcp-use-conformance-client", "version": "0.1.0"},
        elicitation_callback=accept_elicitation,
        sampling_callback=sample,
        roots=[{"uri": "file:///tmp", "name": "tmp"}],
    )
    async with client:
        session = client.get_session("mock")
        fallback = list_and_call if scenario.startswith("auth/") else default
        await SCENARIOS.get(scenario, fallback)(session, context)
    return 0


async def default(session: ClientSession, context: dict[str, Any]) -> None:
    await session.list_tools()


async def list_and_call(session: ClientSession, context: dict[str, Any]) -> None:
    """What an auth scenario's mock serves: list the tools, then call each (step-up is on calls)."""
    for tool in await session.list_tools():
        await session.call_tool(tool.name, {})


async def tools_call(session: ClientSession, context: dict[str, Any]) -> None:
    tools = {t.name for t in await session.list_tools()}
    if "add_numbers" in tools:
        result = await session.call_tool("add_numbers", {"a": 5, "b": 3})
        print(result.content[0].text if result.content else result)


async def elicitation_defaults(session: ClientSession, context: dict[str, Any]) -> None:
    await session.list_tools()
    await session.call_tool("test_client_elicitation_defaults", {})


async def sse_retry(session: ClientSession, context: dict[str, Any]) -> None:
    await session.list_tools()
    result = await session.call_tool("test_reconnection", {})
    print(result.content[0].text if result.content else result)


async def request_state(session: ClientSession, context: dict[str, Any]) -> None:
    await session.list_tools()
    for name in (
        "test_mrtr_echo_state",
        "test_mrtr_unrelated",
        "test_mrtr_no_state",
        "test_mrtr_no_result_type",
    ):
        await session.call_tool(name, {})


async def standard_headers(session: ClientSession, context: dict[str, Any]) -> None:
    tools = await session.list_tools()
    for tool in tools:
        await session.call_tool(tool.name, {})
    resources = await session.list_resources()
    for resource in resources:
        await session.read_resource(resource.uri)
    prompts = await session.list_prompts()
    for prompt in prompts:
        await session.get_prompt(prompt.name, {})


async def custom_headers(session: ClientSession, context: dict[str, Any]) -> None:
    await session.list_tools()
    for call in context.get("toolCalls") or []:
        await session.call_tool(call["name"], call.get("arguments") or {})


async def invalid_tool_headers(session: ClientSession, context: dict[str, Any]) -> None:
    for tool in await session.list_tools():  # the invalid ones are already left out
        await session.call_tool(tool.name, {})


async def schema_preservation(session: ClientSession, context: dict[str, Any]) -> None:
    tools = {t.name: t for t in await session.list_tools()}
    source = tools.get("json_schema_2020_12_tool")
    if source is not None and "json_schema_echo" in tools:
        await session.call_tool("json_schema_echo", {"schema": source.inputSchema})


SCENARIOS = {
    "tools_call": tools_call,
    "elicitation-sep1034-client-defaults": elicitation_defaults,
    "sse-retry": sse_retry,
    "sep-2322-client-request-state": request_state,
    "http-standard-headers": standard_headers,
    "http-custom-headers": custom_headers,
    "http-invalid-tool-headers": invalid_tool_headers,
    "json-schema-2020-12-preservation": schema_preservation,
}


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: client.py <server-url>", file=sys.stderr)
        return 2
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "")
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    return asyncio.run(run(scenario, url, version, context))


if __name__ == "__main__":
    sys.exit(main())
