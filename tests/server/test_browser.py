"""The inspector in a real headless Chromium (Debian `chromium` + Python Playwright).

Never `playwright install`: the browser is the system's /usr/bin/chromium.
Screenshots go to test-output/.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.rawmcp import example_env
from tests.helpers import REPO_ROOT, ServerProcess, free_port
from tests.helpers.browser import OUT


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    port = free_port()
    cmd = [sys.executable, str(REPO_ROOT / "examples" / "server.py"), "--port", str(port)]
    logs = tmp_path_factory.mktemp("demo")
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=logs, startup_timeout=40) as srv:
        yield srv


def open_inspector(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#status[data-state=ok]")


def call_and_wait(page: Any) -> str:
    page.click("#call-tool")
    page.wait_for_selector("#result .result-head")
    return page.inner_text("#result")


def test_inspector_calls_tools_through_forms(page: Any, demo: ServerProcess) -> None:
    open_inspector(page, demo.url("/inspector"))
    assert page.inner_text("#count-tools") == "6"
    assert "demo-server" in page.inner_text("#server-info")

    # integers
    page.click("button.item[data-name=add]")
    page.fill("[name=a]", "40")
    page.fill("[name=b]", "2")
    text = call_and_wait(page)
    assert '"result": 42' in text

    # nested object, optional nested object, array, enum, boolean
    page.click("button.item[data-name=format_contact]")
    page.fill("[name='contact.name']", "Ada")
    page.fill("[name='contact.email']", "ada@example.com")
    page.click("[data-path='contact.tags'] button.add")
    page.fill("[name='contact.tags[0]']", "math")
    page.check("[name='contact.address.__include']")
    page.fill("[name='contact.address.street']", "1 Loop St")
    page.fill("[name='contact.address.city']", "London")
    page.select_option("[name=style]", label="long")
    page.check("[name=uppercase]")
    text = call_and_wait(page)
    assert "ADA <ADA@EXAMPLE.COM> 1 LOOP ST, LONDON (NL) #MATH" in text

    # array of numbers, structured output
    page.click("button.item[data-name=statistics]")
    for i, value in enumerate(["2", "4", "9"]):
        page.click("[data-path=values] button.add")
        page.fill(f"[name='values[{i}]']", value)
    text = call_and_wait(page)
    assert "Structured content" in text and '"mean": 5' in text

    # the browser checks the schema's bounds before sending ...
    page.click("button.item[data-name=countdown]")
    page.fill("[name=steps]", "99")
    page.click("#call-tool")
    assert page.evaluate("document.querySelector('[name=steps]').validity.rangeOverflow")
    # ... raw JSON goes as is, and the server's validation error shows as an error result
    page.click("text=Edit as JSON")
    page.fill("textarea.raw", '{"steps": 99}')
    text = call_and_wait(page)
    assert page.locator("#result.is-error").count() == 1 and "steps" in text
    page.click("text=Edit as form")

    # progress notifications
    page.fill("[name=steps]", "3")
    assert "Liftoff!" in call_and_wait(page)
    events = page.inner_text("#events")
    assert "3 / 3 — step 3 of 3" in events

    # log notifications + structured output
    page.click("button.item[data-name=add_todo]")
    page.fill("[name=title]", "ship the inspector")
    page.select_option("[name=priority]", label="high")
    text = call_and_wait(page)
    assert '"priority": "high"' in text
    assert "Added todo #1: ship the inspector" in page.inner_text("#events")

    # images
    page.click("button.item[data-name=swatch]")
    page.select_option("[name=color]", label="green")
    call_and_wait(page)
    src = page.get_attribute("#result img", "src")
    assert src and src.startswith("data:image/png;base64,")
    assert page.evaluate("document.querySelector('#result img').naturalWidth") == 48

    # the JSON-RPC log saw it all
    page.click("[data-log=messages]")
    messages = page.inner_text("#messages")
    # the default era is "auto": this server speaks 2026-07-28, so no initialize
    assert "tools/call" in messages and "notifications/progress" in messages and "server/discover" in messages

    OUT.mkdir(exist_ok=True)
    page.click("[data-log=events]")
    page.screenshot(path=str(OUT / "inspector.png"), full_page=True)


def test_inspector_resources_templates_prompts(page: Any, demo: ServerProcess) -> None:
    open_inspector(page, demo.url("/inspector"))
    page.click("[data-tab=resources]")
    page.click("button.item[data-name='time://now']")
    page.click("#read-resource")
    page.wait_for_selector("#result .contents")
    assert "time://now" in page.inner_text("#result")

    page.click("button.item[data-name='notes://{topic}/{day}']")
    page.fill("[name=topic]", "mcp")
    page.fill("[name=day]", "monday")
    assert page.inner_text(".uri-preview") == "notes://mcp/monday"
    page.click("#read-template")
    page.wait_for_selector("#result .contents")
    assert "Notes for monday." in page.inner_text("#result")

    page.click("[data-tab=prompts]")
    page.click("button.item[data-name=review]")
    page.fill("[name=code]", "print(1)")
    page.click("#get-prompt")
    page.wait_for_selector("#result .message")
    assert "review this python code" in page.inner_text("#result")


def test_inspector_on_a_phone(browser: Any, demo: ServerProcess) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_inspector(page, demo.url("/inspector"))
        page.click("button.item[data-name=add]")
        page.fill("[name=a]", "1")
        assert '"result": 1' in call_and_wait(page)
        # one column, nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(OUT / "inspector-phone.png"), full_page=False)
        page.goto(demo.url("/docs"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(OUT / "docs-phone.png"), full_page=False)
    finally:
        context.close()


OTHER = textwrap.dedent(
    '''
    import sys
    from mcp_use import MCPServer
    from starlette.middleware.cors import CORSMiddleware

    server = MCPServer(name="other-server")

    @server.tool()
    def where() -> str:
        """Say which server answered."""
        return "the other server"

    app = server.streamable_http_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[sys.argv[2]],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["*"],
        expose_headers=["Mcp-Session-Id"],
    )
    server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
    '''
)


def test_inspector_pointed_at_another_server(page: Any, demo: ServerProcess, tmp_path: Path) -> None:
    script = tmp_path / "other.py"
    script.write_text(OTHER)
    port = free_port()
    origin = demo.base_url
    cmd = [sys.executable, str(script), str(port), origin]
    with ServerProcess(cmd, port=port, env=example_env(), log_dir=tmp_path) as other:
        open_inspector(page, demo.url("/inspector"))
        page.fill("#server-url", other.url("/mcp"))
        page.click("#connect")
        page.wait_for_selector("button.item[data-name=where]")
        assert "other-server" in page.inner_text("#server-info")
        page.click("button.item[data-name=where]")
        assert "the other server" in call_and_wait(page)
        assert f"url={other.url('/mcp')}".replace(":", "%3A").replace("/", "%2F") in page.url
