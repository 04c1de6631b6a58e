"""MCPAgent end to end: a scripted chat model driving real MCP servers (no network).

Each test checks both halves of a tool call: the server really ran it with the
scripted arguments (a file on disk, a value only the server knows) and its answer
reached the model's next turn (the messages the scripted model received).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from mcp_use import MCPAgent, MCPClient
from mcp_use.agents import FinalAnswer, OutputSchemaError, ToolCallStep, ToolResultStep
from tests.helpers import REPO_ROOT, ServerProcess

from .conftest import ScriptedChatModel, call, calls, everything_entry, scripted, stdio_entry


def tool_messages(messages: list[Any]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


# ---- one server, each transport ------------------------------------------------------------
async def test_stdio_tool_runs_and_its_result_reaches_the_model(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    llm = scripted(call("write_note", path=str(note), text="hello from the agent"), "I wrote the note.")
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm=llm, client=client) as agent:
        answer = await agent.run("Write 'hello from the agent' to the note file.")
        assert "write_note" in [t.name for t in agent.tools]
    assert answer == "I wrote the note."
    assert note.read_text() == "hello from the agent"
    first, second = llm.turn(0), llm.turn(1)
    assert isinstance(first[0], SystemMessage) and "- write_note: Write `text`" in first[0].content
    assert first[-1] == HumanMessage(content="Write 'hello from the agent' to the note file.")
    [result] = tool_messages(second)
    assert result.content == f"alpha wrote 20 characters to {note}"
    assert result.tool_call_id == "call_write_note" and result.status == "success"
    assert llm.bound[0][:3] == ["write_note", "add", "whoami"]
    assert client.get_all_active_sessions() == {}  # closed by `async with`


async def test_http_server_and_structured_content(http_server: ServerProcess) -> None:
    llm = scripted(call("add", a=20, b=22), "It is 42.")
    client = MCPClient.from_dict({"mcpServers": {"web": {"url": http_server.url("/mcp")}}})
    agent = MCPAgent(llm, client)
    try:
        assert client.get_all_active_sessions() == {}
        assert await agent.run("What is 20 + 22?") == "It is 42."
        assert list(client.get_all_active_sessions()) == ["web"]  # opened on first use
    finally:
        await agent.close()
    [result] = tool_messages(llm.turn(1))
    assert result.content == "42"  # the text block; structuredContent {"result": 42} is the same JSON
    assert result.artifact.structuredContent == {"result": 42}
    assert client.get_all_active_sessions() == {}


async def test_stream_yields_calls_results_and_the_answer(tmp_path: Path) -> None:
    llm = scripted(
        calls(("add", {"a": 1, "b": 2}), ("whoami", {})),
        call("fail", say="Let me try the failing tool.", message="on purpose"),
        "All done.",
    )
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client) as agent:
        steps = [s async for s in agent.stream("go")]
    kinds = [type(s).__name__ for s in steps]
    assert kinds == [
        "ToolCallStep",
        "ToolResultStep",
        "ToolCallStep",
        "ToolResultStep",
        "ToolCallStep",
        "ToolResultStep",
        "FinalAnswer",
    ]
    assert steps[0] == ToolCallStep("add", {"a": 1, "b": 2}, "call_0_add", 1)
    assert isinstance(steps[1], ToolResultStep) and steps[1].content == "3" and not steps[1].is_error
    assert steps[3].content == "I am server alpha"  # type: ignore[union-attr]
    assert steps[4].thought == "Let me try the failing tool." and steps[4].step == 2  # type: ignore[union-attr]
    assert steps[5].is_error and steps[5].content == "Error: alpha refused: on purpose"  # type: ignore[union-attr]
    final = steps[-1]
    assert isinstance(final, FinalAnswer) and final.text == "All done." and final.steps == 3
    assert not final.reached_max_steps


async def test_everything_server_echo_and_images() -> None:
    """The reference TypeScript server: text results, and images only when the model takes them."""
    script = [calls(("echo", {"message": "ping 7"}), ("get-tiny-image", {})), "Echoed."]
    client = MCPClient.from_dict({"mcpServers": {"everything": everything_entry()}})
    try:
        llm = scripted(*script)
        agent = MCPAgent(llm, client, tool_images=True)
        assert await agent.run("echo ping 7 and show me an image") == "Echoed."
        echo, image = tool_messages(llm.turn(1))
        assert echo.content == "Echo: ping 7"
        blocks = image.content
        assert isinstance(blocks, list)
        pictures = [b for b in blocks if isinstance(b, dict) and b.get("type") == "image"]
        assert len(pictures) == 1 and pictures[0]["mime_type"] == "image/png" and pictures[0]["base64"]

        # A model whose profile does not say it takes images in tool results gets a note instead.
        llm = scripted(*script)
        agent = MCPAgent(llm, client)
        assert agent.tool_images is False
        await agent.run("again")
        _, image = tool_messages(llm.turn(1))
        assert isinstance(image.content, str) and "[image: image/png," in image.content
    finally:
        await client.close_all_sessions()


# ---- several servers -----------------------------------------------------------------------
async def test_colliding_names_are_namespaced_and_unique_ones_are_not() -> None:
    llm = scripted(calls(("alpha__whoami", {}), ("beta__whoami", {}), ("beta_only", {})), "Two servers.")
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha"), "beta": stdio_entry("beta")}})
    async with MCPAgent(llm, client) as agent:
        assert await agent.run("who are you both?") == "Two servers."
        names = set(llm.bound[0])
    assert {"alpha__whoami", "beta__whoami", "alpha__add", "beta__add", "alpha_only", "beta_only"} <= names
    assert "whoami" not in names and "beta__beta_only" not in names
    results = [m.content for m in tool_messages(llm.turn(1))]
    assert results == ["I am server alpha", "I am server beta", "only on beta"]


async def test_server_manager_connects_on_demand() -> None:
    llm = scripted(
        call("list_mcp_servers"),
        call("connect_to_mcp_server", server_name="beta"),
        call("whoami"),
        call("get_active_mcp_server"),
        call("disconnect_from_current_server"),
        call("whoami", id_="call_whoami_again"),
        "beta answered.",
    )
    servers = {name: stdio_entry(name) for name in ("alpha", "beta", "gamma")}
    client = MCPClient.from_dict({"mcpServers": servers})
    agent = MCPAgent(llm, client, use_server_manager=True)
    try:
        assert await agent.run("ask beta who it is") == "beta answered."
        # Only the server the model picked was ever started.
        assert list(client.get_all_active_sessions()) == ["beta"]
    finally:
        await agent.close()
    manager_tools = [
        "list_mcp_servers",
        "connect_to_mcp_server",
        "get_active_mcp_server",
        "disconnect_from_current_server",
    ]
    assert llm.bound[0] == manager_tools  # the model starts with the four small tools only
    assert llm.bound[1][:4] == manager_tools and "whoami" in llm.bound[1] and "write_note" in llm.bound[1]
    assert len(llm.bound) == 3 and llm.bound[2] == manager_tools  # rebound after connect, disconnect
    listing = tool_messages(llm.turn(1))[-1].content
    assert "alpha (stdio, not connected)" in listing and "gamma" in listing
    connected = tool_messages(llm.turn(2))[-1].content
    assert "Connected to 'beta'" in connected and "- whoami:" in connected
    assert tool_messages(llm.turn(3))[-1].content == "I am server beta"
    assert "'beta'" in tool_messages(llm.turn(4))[-1].content
    assert "whoami" in llm.turn(3)[0].content  # the system prompt lists the new tools
    assert "no longer available" in tool_messages(llm.turn(5))[-1].content
    gone = tool_messages(llm.turn(6))[-1]
    assert gone.status == "error" and "no tool named 'whoami'" in gone.content


# ---- the loop's edges ----------------------------------------------------------------------
async def test_max_steps_stops_and_says_so() -> None:
    llm = scripted(*[call("whoami", id_=f"c{i}", say=f"try {i}") for i in range(5)])
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client, max_steps=3) as agent:
        steps = [s async for s in agent.stream("loop forever")]
    final = steps[-1]
    assert isinstance(final, FinalAnswer) and final.reached_max_steps and final.steps == 3
    assert final.text.startswith("try 2") and "max_steps=3" in final.text
    assert len(llm.received) == 3
    assert len([s for s in steps if isinstance(s, ToolResultStep)]) == 3


async def test_tool_errors_are_reported_and_the_loop_goes_on() -> None:
    llm = scripted(
        call("fail", message="bad input"),
        call("no_such_tool"),
        call("slow", seconds=5),
        call("add", a=1, b=1),
        "Recovered.",
    )
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client, tool_timeout=0.5) as agent:
        assert await agent.run("try things") == "Recovered."
    failed = tool_messages(llm.turn(1))[-1]
    assert failed.status == "error" and failed.content == "Error: alpha refused: bad input"
    unknown = tool_messages(llm.turn(2))[-1]
    assert unknown.status == "error" and "no tool named 'no_such_tool'" in unknown.content
    timed_out = tool_messages(llm.turn(3))[-1]
    assert timed_out.status == "error" and "did not answer within 0.5s" in timed_out.content
    after = tool_messages(llm.turn(4))[-1]  # the session still works after the timeout
    assert after.status == "success" and after.content == "2"


async def test_memory_across_runs_and_clear_memory() -> None:
    llm = scripted("Hello Ada.", "Your name is Ada.", "I don't know.", "Nothing remembered.")
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client) as agent:
        await agent.run("My name is Ada.")
        assert await agent.run("What is my name?") == "Your name is Ada."
        texts = [m.content for m in llm.turn(1)[1:]]
        assert texts == ["My name is Ada.", "Hello Ada.", "What is my name?"]
        agent.clear_memory()
        await agent.run("What is my name?")
        assert [type(m).__name__ for m in llm.turn(2)] == ["SystemMessage", "HumanMessage"]
        agent.memory = False
        await agent.run("again")
        assert len(llm.turn(3)) == 2 and agent.get_conversation_history()[-1].content == "I don't know."


# ---- output_schema ---------------------------------------------------------------------------
class SumAnswer(BaseModel):
    total: int
    explanation: str


async def test_output_schema_with_structured_output_and_one_retry() -> None:
    llm = scripted(
        call("add", a=2, b=3),
        "The sum is 5.",
        call("SumAnswer", total="five", explanation="2 + 3"),  # invalid: retried once
        call("SumAnswer", total=5, explanation="2 + 3"),
    )
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client) as agent:
        answer = await agent.run("add 2 and 3", output_schema=SumAnswer)
    assert answer == SumAnswer(total=5, explanation="2 + 3")
    assert "SumAnswer" in llm.turn(0)[0].content  # the schema is announced up front
    assert tool_messages(llm.turn(1))[-1].content == "5"
    assert llm.bound[-1] == ["SumAnswer"]
    retry = llm.turn(3)[-1]
    assert isinstance(retry, HumanMessage) and "did not fit the schema" in retry.content


class JsonOnlyModel(ScriptedChatModel):
    """A tool-calling model without structured output: the agent asks for JSON instead."""

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


async def test_output_schema_json_fallback() -> None:
    llm = JsonOnlyModel(
        messages=iter(
            [
                call("add", a=40, b=2),
                "42",
                "not json at all",  # the first answer fails validation: asked once more
                'Here:\n```json\n{"total": 42, "explanation": "40+2"}\n```',
            ]
        )
    )
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client) as agent:
        answer = await agent.run("add 40 and 2", output_schema=SumAnswer)
        assert answer == SumAnswer(total=42, explanation="40+2")
        assert '"total"' in llm.turn(2)[-1].content  # the JSON schema was in the request
        assert "did not fit the schema" in llm.turn(3)[-1].content

        llm.messages = iter(["7", "nope", "still nope"])
        with pytest.raises(OutputSchemaError, match="SumAnswer"):
            await agent.run("again", output_schema=SumAnswer)


# ---- events, callbacks, prompts, filters, opt-in resources -----------------------------------
async def test_stream_events() -> None:
    llm = scripted(call("add", say="Adding now", a=3, b=4), "The answer is 7.")
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    async with MCPAgent(llm, client) as agent:
        events = [e async for e in agent.stream_events("3+4?")]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "on_chain_start" and kinds[-1] == "on_chain_end"
    assert kinds.count("on_chat_model_start") == 2 and kinds.count("on_chat_model_end") == 2
    assert "on_chat_model_stream" in kinds
    start = next(e for e in events if e["event"] == "on_tool_start")
    end = next(e for e in events if e["event"] == "on_tool_end")
    assert start["name"] == "add" and start["data"]["input"] == {"a": 3, "b": 4}
    assert end["data"]["output"] == "7" and end["run_id"] == start["run_id"]
    assert kinds.index("on_tool_end") < len(kinds) - 1 - kinds[::-1].index("on_chat_model_start")
    assert events[-1]["data"]["output"] == "The answer is 7."
    root = events[0]["run_id"]
    assert all(root in e["parent_ids"] for e in events[1:-1])
    assert tool_messages(llm.turn(1))[-1].content == "7"  # the streamed tool call really ran


class Recorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.model_starts = 0
        self.tool_starts: list[str] = []

    async def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.model_starts += 1

    async def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self.tool_starts.append(serialized.get("name") if serialized else kwargs.get("name"))


async def test_callbacks_template_and_tool_filters() -> None:
    recorder = Recorder()
    llm = scripted(call("whoami"), "done")
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    template = 'Tools: {tool_descriptions}\nReply as {"json": true}.\n{additional_instructions}'
    async with MCPAgent(
        llm,
        client,
        allowed_tools=["whoami", "add", "write_note"],
        disallowed_tools=["write_note"],
        system_prompt_template=template,
        additional_instructions="Be brief.",
        callbacks=[recorder],
    ) as agent:
        await agent.run("who?")
    assert llm.bound[0] == ["add", "whoami"]
    system = llm.turn(0)[0].content
    assert system.startswith("Tools: - add: Add two integers.\n- whoami: The name of this server.\n")
    assert 'Reply as {"json": true}.' in system and system.rstrip().endswith("Be brief.")
    assert recorder.model_starts == 2 and recorder.tool_starts == ["whoami"]

    llm = scripted("ok")
    async with MCPAgent(
        llm, client, system_prompt="Only this.", additional_instructions="And this."
    ) as agent:
        await agent.run("hi")
    assert llm.turn(0)[0].content == "Only this.\n\nAnd this."


async def test_resources_and_prompts_only_when_asked_for() -> None:
    client = MCPClient.from_dict({"mcpServers": {"alpha": stdio_entry("alpha")}})
    llm = scripted("ok")
    async with MCPAgent(llm, client) as agent:
        await agent.run("hi")
    assert not {"list_mcp_resources", "read_mcp_resource", "get_mcp_prompt"} & set(llm.bound[0])

    llm = scripted(
        calls(
            ("list_mcp_resources", {}),
            ("read_mcp_resource", {"uri": "notes://readme"}),
            ("list_mcp_prompts", {}),
            ("get_mcp_prompt", {"name": "greeting", "arguments": {"person": "Bo"}}),
        ),
        "The password is swordfish.",
    )
    async with MCPAgent(llm, client, expose_resources=True, expose_prompts=True) as agent:
        assert await agent.run("what is the password?") == "The password is swordfish."
    listing, read, prompts, prompt = (m.content for m in tool_messages(llm.turn(1)))
    assert "notes://readme (readme) [text/plain]" in listing
    assert read == "[resource notes://readme]\nreadme of alpha: the password is swordfish"
    assert "greeting(person)" in prompts
    assert "user: Please greet Bo warmly." in prompt


def test_needs_a_tool_calling_model() -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    with pytest.raises(TypeError, match="bind_tools"):
        MCPAgent(llm=GenericFakeChatModel(messages=iter([])), client=MCPClient())


def test_seed_snippet_runs_as_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """examples/seed/stdio/client.py: `MCPAgent(llm=ChatOpenAI(model="gpt-4o"), client=client)`."""
    if importlib.util.find_spec("langchain_openai") is None:

        class ChatOpenAI(ScriptedChatModel):
            model: str = ""
            messages: Any = Field(default_factory=lambda: iter(["unused"]))

        fake = types.ModuleType("langchain_openai")
        fake.ChatOpenAI = ChatOpenAI  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "langchain_openai", fake)
    else:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    example = REPO_ROOT / "examples" / "seed" / "stdio"
    monkeypatch.chdir(example)
    namespace: dict[str, Any] = {"__name__": "seed_client"}
    exec(compile((example / "client.py").read_text(), "client.py", "exec"), namespace)
    assert isinstance(namespace["agent"], MCPAgent)
    assert namespace["agent"].client is namespace["client"]


# ---- examples/agent.py ------------------------------------------------------------------------
EXAMPLE = REPO_ROOT / "examples" / "agent.py"


def test_example_without_a_key_explains_and_exits_0() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "OPENAI_API_KEY" in done.stdout and "Nothing was done" in done.stdout


async def test_example_main_with_a_scripted_chat_openai(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's own code path, with `langchain_openai.ChatOpenAI` replaced by a script."""

    class ChatOpenAI(ScriptedChatModel):
        model: str = ""
        messages: Any = Field(
            default_factory=lambda: iter([call("add", a=19, b=23), AIMessage(content="19 + 23 = 42")])
        )

    fake = types.ModuleType("langchain_openai")
    fake.ChatOpenAI = ChatOpenAI  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langchain_openai", fake)
    spec = importlib.util.spec_from_file_location("agent_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main("add 19 and 23")
    out = capsys.readouterr().out
    assert "-> add({'a': 19, 'b': 23})" in out and "<- 42" in out and out.rstrip().endswith("19 + 23 = 42")


# ---- in memory -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_agent_over_an_in_memory_server(mode: str) -> None:
    """`MCPClient(server)`: the agent uses a server object of this process, no sockets."""
    from mcp_use import MCPServer

    server = MCPServer(name="calc")

    @server.tool()
    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    client = MCPClient(server, mode=mode)
    try:
        llm = scripted(call("multiply", a=6, b=7), "It is 42.")
        agent = MCPAgent(llm, client)
        assert await agent.run("what is 6 times 7?") == "It is 42."
        [answer] = tool_messages(llm.turn(1))
        assert answer.content == "42"
    finally:
        await client.close_all_sessions()
