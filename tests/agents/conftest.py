"""Fixtures for the agent tests: a scripted LangChain chat model and real MCP servers.

`ScriptedChatModel` is langchain-core's `GenericFakeChatModel` with `bind_tools` (it
records the tool names each time and returns itself) and a record of every message
list the agent sent it, so a test can check that a tool's result reached the model.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCallChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field

from tests.helpers import REPO_ROOT, ServerPool, ServerProcess, free_port, node_tools

SERVER = Path(__file__).resolve().parent / "servers" / "agent_server.py"
ENV = {"PYTHONPATH": str(REPO_ROOT / "src"), "PYTHONUNBUFFERED": "1"}


class ScriptedChatModel(GenericFakeChatModel):
    """Answers with the scripted messages in order; remembers what it was sent."""

    received: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[list[str]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound.append([getattr(t, "name", None) or getattr(t, "__name__", str(t)) for t in tools])
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.received.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kw)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Word by word, like the parent, but keeping the tool calls (as a real model streams them)."""
        import json

        self.received.append(list(messages))
        message = next(self.messages)
        if isinstance(message, str):
            message = AIMessage(content=message)
        words = message.content.split(" ") if isinstance(message.content, str) and message.content else []
        for i, word in enumerate(words):
            text = word if i == 0 else " " + word
            if run_manager:
                run_manager.on_llm_new_token(text)
            yield ChatGenerationChunk(message=AIMessageChunk(content=text, id=message.id))
        chunks = [
            ToolCallChunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
            for i, c in enumerate(message.tool_calls)
        ]
        if chunks or not words:
            yield ChatGenerationChunk(
                message=AIMessageChunk(content="", tool_call_chunks=chunks, id=message.id)
            )

    def turn(self, n: int) -> list[BaseMessage]:
        return self.received[n]


def call(name: str, /, *, id_: str | None = None, say: str = "", **args: Any) -> AIMessage:
    """An AIMessage asking for one tool call (`say`: text beside it; `args`: the tool's)."""
    return AIMessage(content=say, tool_calls=[{"name": name, "args": args, "id": id_ or f"call_{name}"}])


def calls(*pairs: tuple[str, dict[str, Any]]) -> AIMessage:
    """An AIMessage asking for several tool calls in one turn."""
    return AIMessage(
        content="",
        tool_calls=[{"name": n, "args": a, "id": f"call_{i}_{n}"} for i, (n, a) in enumerate(pairs)],
    )


def scripted(*messages: AIMessage | str) -> ScriptedChatModel:
    return ScriptedChatModel(
        messages=iter([m if isinstance(m, AIMessage) else AIMessage(content=m) for m in messages])
    )


def stdio_entry(name: str) -> dict[str, Any]:
    """Config entry: our agent server over stdio, named `name`."""
    return {"command": sys.executable, "args": [str(SERVER), "--name", name], "env": ENV}


def everything_entry() -> dict[str, Any]:
    tools = node_tools()
    script = tools.package_dir("@modelcontextprotocol/server-everything") / "dist" / "index.js"
    return {"command": str(tools.node), "args": [str(script), "stdio"]}


@pytest.fixture(scope="module")
def http_server(module_server_process: ServerPool) -> ServerProcess:
    """Our agent server over streamable HTTP, named "web"."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    return module_server_process(
        [sys.executable, str(SERVER), "--name", "web", "--transport", "http", "--port", str(port)],
        port=port,
        env=ENV,
        ready=lambda: httpx.get(url, timeout=2.0).status_code < 500,
        name="agent-server-http",
    )
