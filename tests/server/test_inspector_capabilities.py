"""The inspector as a client of any server, in Debian chromium (Playwright).

Each test drives the page the way a person would: eras, elicitation answered in a
form, sampling answered in a reply box, roots typed in the settings, cancel, ping,
history, subscriptions, completions, a bearer token and a custom header sent through
the proxy to a server on another port, a legacy-SSE server, a stdio server
(server-everything) through `mcp-use inspect`, and reconnecting after `mcp-use dev`
reloads. Screenshots go to test-output/.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import ServerProcess, free_port, node_tools
from tests.helpers.browser import screenshot

TARGET = Path(__file__).resolve().parent / "servers" / "inspector_target.py"
MCP_USE = [sys.executable, "-m", "mcp_use.cli"]


def target_cmd(port: int, *extra: str) -> list[str]:
    return [sys.executable, str(TARGET), str(port), *extra]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    port = free_port()
    logs = tmp_path_factory.mktemp("target")
    with ServerProcess(
        target_cmd(port), port=port, env=example_env(), log_dir=logs, startup_timeout=40
    ) as srv:
        yield srv


def connected(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#status[data-state=ok]")


def call(page: Any, tool: str) -> None:
    page.click(f"button.item[data-name={tool}]")
    page.click("#call-tool")


def result_text(page: Any) -> str:
    page.wait_for_selector("#result .result-head")
    return page.inner_text("#result")


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_elicitation_sampling_and_roots_answered_in_the_page(
    page: Any, target: ServerProcess, era: str
) -> None:
    page.goto(target.url(f"/inspector?era={era}"))
    page.wait_for_selector("#status[data-state=ok]")
    protocol = page.inner_text("#protocol")
    assert ("2026-07-28" in protocol) == (era == "modern"), protocol
    info = page.inner_text("#server-info")
    assert "target-server" in info and "null" not in info  # no instructions: nothing after the version

    # elicitation: a form from the requested schema
    call(page, "ask_name")
    page.wait_for_selector(".input-request[data-kind=elicitation]")
    assert "What is your name?" in page.inner_text(".input-request")
    page.fill(".input-request [name=name]", "Ada")
    page.fill(".input-request [name=age]", "36")
    screenshot(page, f"inspector-elicitation-{era}.png")
    page.click("#elicit-accept")
    assert "Hello, Ada (36)" in result_text(page)
    assert page.locator(".input-request").count() == 0

    # declining is an answer too
    call(page, "ask_name")
    page.click("#elicit-decline")
    assert "no name (decline)" in result_text(page)

    # URL mode: a link to follow, then Done
    call(page, "sign_in")
    page.wait_for_selector(".input-request[data-kind=elicitation-url]")
    assert page.get_attribute(".input-request a", "href") == "https://example.com/sign-in"
    assert page.get_attribute(".input-request a", "rel") == "noopener noreferrer"
    page.click("#elicit-url-done")
    assert "sign-in: accept" in result_text(page)

    # sampling: the person writes the model's reply
    call(page, "ask_model")
    page.wait_for_selector(".input-request[data-kind=sampling]")
    assert "Write a haiku about pipes" in page.inner_text(".input-request")
    page.fill("#sampling-reply", "water finds its way")
    page.click("#sampling-send")
    assert "model said: water finds its way" in result_text(page)

    # a refused sampling request is an error result, not a hang
    call(page, "ask_model")
    page.click("#sampling-reject")
    page.wait_for_selector("#result.is-error")

    # roots: the editable list in the settings
    page.click("#settings-toggle")
    page.fill("#roots", "file:///tmp/project | project\nfile:///tmp/other")
    page.dispatch_event("#roots", "change")
    call(page, "my_roots")
    assert "roots: file:///tmp/project, file:///tmp/other" in result_text(page)


def test_modern_requests_mirror_parameters_into_headers(page: Any, target: ServerProcess) -> None:
    """`x-mcp-header` parameters go as `Mcp-Param-*` (base64 when not ASCII); the server checks them."""
    connected(page, target.url("/inspector?era=modern"))
    for region, header in (("eu-west", "eu-west"), ("zürich", "=?base64?esO8cmljaA==?=")):
        with page.expect_request(
            lambda r: r.method == "POST" and "tools/call" in (r.post_data or "")
        ) as sent:
            page.click("button.item[data-name=regional]")
            page.fill("[name=region]", region)
            page.click("#call-tool")
        assert sent.value.headers["mcp-param-region"] == header
        assert (
            sent.value.headers["mcp-name"] == "regional" and sent.value.headers["mcp-method"] == "tools/call"
        )
        assert f"served from {region}" in result_text(page)


def test_cancel_ping_and_history(page: Any, target: ServerProcess) -> None:
    connected(page, target.url("/inspector?era=legacy"))
    call(page, "slow")
    page.wait_for_selector("#cancel-call")
    started = time.monotonic()
    page.click("#cancel-call")
    page.wait_for_selector("#result.is-error")
    assert "Cancelled" in page.inner_text("#result") and time.monotonic() - started < 5
    page.click("[data-log=messages]")
    assert "notifications/cancelled" in page.inner_text("#messages")

    page.click("#ping")
    page.click("[data-log=events]")
    page.wait_for_selector(".event-pong")
    assert "ping answered" in page.inner_text("#events")

    call(page, "bump")
    first = result_text(page)
    page.click("[data-log=history]")
    assert page.inner_text("#count-history") == "2"
    assert "tools/call bump" in page.inner_text("#history")
    page.click("#history li:first-child .rerun")
    page.wait_for_selector("#result .result-head")
    assert first != page.inner_text("#result")  # the counter moved: it really ran again
    assert page.inner_text("#count-history") == "3"


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_subscription_updates_live_and_completions(page: Any, target: ServerProcess, era: str) -> None:
    connected(page, target.url(f"/inspector?era={era}"))
    page.click("[data-tab=resources]")
    page.click("button.item[data-name='counter://value']")
    page.click("#subscribe")
    page.wait_for_selector("#subscribe.subscribed")
    page.click("#read-resource")
    page.wait_for_selector("#result .contents")
    before = page.inner_text("#result .contents")
    # another client changes it: the page hears and re-reads
    page.evaluate(
        """async (url) => {
            const { McpClient } = await import('/inspector/assets/mcp.js');
            const other = new McpClient(url, { era: 'legacy' });
            await other.connect();
            await other.request('tools/call', { name: 'bump', arguments: {} });
            await other.close();
        }""",
        target.url("/mcp"),
    )
    page.wait_for_function("(b) => document.querySelector('#result .contents')?.innerText !== b", arg=before)
    assert "resource updated: counter://value" in page.inner_text("#events")

    page.click("[data-tab=prompts]")
    page.click("button.item[data-name=greet_in]")
    page.fill("[name=language]", "es")
    page.wait_for_function(
        "document.querySelector('[data-path=language]')?.dataset.completions === 'esperanto\\nestonian'"
    )
    options = page.eval_on_selector_all("datalist option", "els => els.map(e => e.value)")
    assert options == ["esperanto", "estonian"]


def test_token_and_headers_reach_a_server_on_another_port(
    page: Any, target: ServerProcess, tmp_path: Path
) -> None:
    port = free_port()
    cmd = target_cmd(port, "--token", "s3cret", "--header", "X-Tenant:acme", "--name", "guarded-server")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as guarded:
        connected(page, target.url("/inspector"))
        page.fill("#server-url", guarded.url("/mcp"))
        page.click("#connect")
        page.wait_for_selector("#status[data-state=error]")
        assert "401" in page.inner_text("#detail") and "Token" in page.inner_text("#detail")
        # the failed connect leaves no stale server name behind
        assert "target-server" not in page.inner_text("#server-info")

        page.click("#settings-toggle")
        page.fill("#token", "s3cret")
        page.click("#connect")
        page.wait_for_selector("#status[data-state=error]")
        assert "no tenant" in page.inner_text("#detail")

        page.fill("#custom-headers", "X-Tenant: acme")
        page.click("#connect")
        page.wait_for_selector("#status[data-state=ok]")
        assert "guarded-server" in page.inner_text("#server-info")
        assert "via proxy" in page.inner_text("#server-info")
        call(page, "bump")
        assert '"result": 1' in result_text(page)
        screenshot(page, "inspector-token-proxy.png")


def test_a_legacy_sse_server(page: Any, tmp_path: Path) -> None:
    port = free_port()
    cmd = target_cmd(port, "--transport", "sse", "--name", "sse-server")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as srv:
        connected(page, srv.url("/inspector"))
        assert page.input_value("#server-url") == srv.url("/sse")
        assert page.input_value("#transport") == "sse"
        assert "sse-server" in page.inner_text("#server-info")
        call(page, "ask_name")
        page.fill(".input-request [name=name]", "Grace")
        page.click("#elicit-accept")
        assert "Hello, Grace" in result_text(page)


def test_server_everything_over_stdio_through_mcp_use_inspect(page: Any, tmp_path: Path) -> None:
    tools = node_tools()
    everything = tools.package_dir("@modelcontextprotocol/server-everything") / "dist" / "index.js"
    port = free_port()
    cmd = [*MCP_USE, "inspect", "--port", str(port), "--", str(tools.node), str(everything)]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as srv:
        connected(page, srv.url("/"))
        assert "stdio" not in page.inner_text("#detail")
        assert "2025-11-25" in page.inner_text("#protocol")  # server-everything speaks the handshake era
        page.click("button.item[data-name=echo]")
        page.fill("[name=message]", "through the bridge")
        page.click("#call-tool")
        assert "Echo: through the bridge" in result_text(page)
        # server-to-client requests cross the bridge too
        page.click("button.item[data-name=trigger-sampling-request]")
        page.fill("[name=prompt]", "say hi")
        page.click("#call-tool")
        page.wait_for_selector(".input-request[data-kind=sampling]")
        page.fill("#sampling-reply", "hi from the page")
        page.click("#sampling-send")
        assert "hi from the page" in result_text(page)
        screenshot(page, "inspector-stdio-everything.png")


SERVER_V1 = """
from mcp_use import MCPServer

server = MCPServer(name="reloading")

@server.tool()
def first() -> str:
    return "one"
"""


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_reconnects_and_refreshes_after_a_reload(page: Any, tmp_path: Path, era: str) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER_V1)
    port = free_port()
    cmd = [*MCP_USE, "dev", str(script), "--port", str(port)]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as srv:
        connected(page, srv.url(f"/inspector?era={era}"))
        assert page.inner_text("#count-tools") == "1"
        script.write_text(SERVER_V1 + '\n@server.tool()\ndef second() -> str:\n    return "two"\n')
        # no click: the page notices the restart, reconnects and lists again
        page.wait_for_selector("button.item[data-name=second]", timeout=40000)
        page.wait_for_selector("#status[data-state=ok]")
        call(page, "second")
        assert "two" in result_text(page)
        assert "Reconnected" in page.inner_text("#events")
        screenshot(page, f"inspector-reconnected-{era}.png")


def test_mcp_use_inspect_a_config_entry_sends_its_token(page: Any, tmp_path: Path) -> None:
    """The entry's token and headers are added by the proxy: the page never holds them."""
    port = free_port()
    cmd = target_cmd(port, "--token", "s3cret", "--header", "X-Tenant:acme", "--name", "configured-server")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path, startup_timeout=40) as guarded:
        config = tmp_path / "config.json"
        entry = {"url": guarded.url("/mcp"), "auth": "s3cret", "headers": {"X-Tenant": "acme"}}
        config.write_text(json.dumps({"mcpServers": {"guarded": entry, "other": {"command": "true"}}}))
        inspect_port = free_port()
        inspect = [*MCP_USE, "inspect", str(config), "guarded", "--port", str(inspect_port)]
        with ServerProcess(inspect, port=inspect_port, env=example_env(), log_dir=tmp_path) as srv:
            connected(page, srv.url("/"))
            assert "configured-server" in page.inner_text("#server-info")
            assert "s3cret" not in page.content()
            call(page, "bump")
            assert '"result": 1' in result_text(page)
