"""`MCPAgent`: any LangChain chat model with tool calling, driving MCP servers' tools.

The loop is ours and small: ask the model (tools bound), run the tool calls it made,
hand back their results, repeat until it answers without a tool call or `max_steps`
model turns have passed. A tool that fails is reported to the model, never raised, so
one bad call does not end the conversation. `run()`, `stream()` and `stream_events()`
are three views of the same loop.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_chunk_to_message,
)
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import TypeAdapter, ValidationError

from ..client.client import MCPClient
from ..client.session import ClientSession
from . import adapter, prompts
from .server_manager import MANAGER_TOOL_NAMES, ServerManager
from .tasks import TaskRelay, TaskStatusStep

T = TypeVar("T")


# ---- what stream() yields ---------------------------------------------------------------------
@dataclass(frozen=True)
class ToolCallStep:
    """The model asked for a tool call (yielded before the tool runs)."""

    tool: str
    arguments: dict[str, Any]
    id: str
    step: int
    thought: str = ""  # text the model wrote beside the call, if any


@dataclass(frozen=True)
class ToolResultStep:
    """A tool's answer, as the model will read it; `is_error` when the call failed."""

    tool: str
    content: str | list[Any]
    id: str
    step: int
    is_error: bool = False
    artifact: Any = None  # the raw CallToolResult, for MCP tools


@dataclass(frozen=True)
class FinalAnswer:
    """The end of a run: the model's answer (or what it had when `max_steps` ran out)."""

    text: str
    steps: int
    reached_max_steps: bool = False
    output: Any = None  # the `output_schema` instance, when one was asked for
    messages: list[BaseMessage] = field(default_factory=list, repr=False)


AgentStep = ToolCallStep | TaskStatusStep | ToolResultStep | FinalAnswer


class OutputSchemaError(ValueError):
    """The model's answer did not fit `output_schema`, even after one retry."""


class MCPAgent:
    """Lets a LangChain chat model use the tools of the servers in an `MCPClient`.

    `llm` is any chat model that implements `bind_tools` (ChatOpenAI, ChatAnthropic,
    ChatOllama, ...). Sessions open on first use and close with `await agent.close()`
    or at the end of `async with MCPAgent(...)`.
    """

    def __init__(
        self,
        llm: BaseChatModel | Runnable[Any, Any],
        client: MCPClient | None = None,
        max_steps: int = 10,
        system_prompt: str | None = None,
        memory: bool = True,
        allowed_tools: Sequence[str] | None = None,
        disallowed_tools: Sequence[str] | None = None,
        *,
        system_prompt_template: str | None = None,
        additional_instructions: str | None = None,
        expose_resources: bool = False,
        expose_prompts: bool = False,
        use_server_manager: bool = False,
        callbacks: list[Any] | None = None,
        tool_timeout: float | None = None,
        tool_images: bool | None = None,
        use_tasks: bool = False,
    ) -> None:
        if not callable(getattr(llm, "bind_tools", None)) or (
            isinstance(llm, BaseChatModel) and type(llm).bind_tools is BaseChatModel.bind_tools
        ):
            raise TypeError(
                f"MCPAgent needs a chat model with tool calling (bind_tools); {type(llm).__name__} has none"
            )
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        self.llm = llm
        self.client = client if client is not None else MCPClient()
        self.max_steps = max_steps
        self.system_prompt = system_prompt
        self.system_prompt_template = system_prompt_template
        self.additional_instructions = additional_instructions
        self.memory = memory
        self.allowed_tools = list(allowed_tools) if allowed_tools is not None else None
        self.disallowed_tools = list(disallowed_tools or [])
        self.expose_resources = expose_resources
        self.expose_prompts = expose_prompts
        self.use_server_manager = use_server_manager
        self.callbacks = callbacks
        self.tool_timeout = tool_timeout
        self.use_tasks = use_tasks  # task-required tools always run as tasks; True: optional ones too
        self.tool_images = _model_takes_tool_images(llm) if tool_images is None else tool_images
        self._history: list[BaseMessage] = []
        self._tools: list[BaseTool] = []
        self._manager: ServerManager | None = None
        self._initialized = False

    # ---- sessions and tools -------------------------------------------------------------------
    async def initialize(self) -> None:
        """Open sessions (if none are active) and build the tools; runs once, on first use."""
        if self._initialized:
            return
        helpers = self._helper_tools(self._sessions)
        if self.use_server_manager:
            self._manager = ServerManager(self.client, self._tools_for_server)
            self._tools = helpers
        else:
            sessions = self.client.get_all_active_sessions()
            if not sessions:
                await self.client.create_all_sessions()
                sessions = self.client.get_all_active_sessions()
            found = await adapter.server_tools(
                sessions,
                timeout=self.tool_timeout,
                images=self.tool_images,
                reserved=[t.name for t in helpers],
                use_tasks=self.use_tasks,
            )
            self._tools = self._filter([*found, *helpers])
        self._initialized = True

    def _sessions(self) -> dict[str, ClientSession]:
        if self._manager is not None:
            return self._manager.active_sessions()
        return self.client.get_all_active_sessions()

    def _helper_tools(self, sessions: Any) -> list[BaseTool]:
        tools: list[BaseTool] = []
        if self.expose_resources:
            tools.extend(adapter.resource_tools(sessions, images=self.tool_images))
        if self.expose_prompts:
            tools.extend(adapter.prompt_tools(sessions))
        return tools

    async def _tools_for_server(self, name: str, session: ClientSession) -> list[BaseTool]:
        reserved = [*MANAGER_TOOL_NAMES, *(t.name for t in self._tools)]
        found = await adapter.server_tools(
            {name: session},
            timeout=self.tool_timeout,
            images=self.tool_images,
            reserved=reserved,
            use_tasks=self.use_tasks,
        )
        return self._filter(found)

    def _filter(self, tools: list[BaseTool]) -> list[BaseTool]:
        if self.allowed_tools is not None:
            tools = [t for t in tools if adapter.matches(t, self.allowed_tools)]
        return [t for t in tools if not adapter.matches(t, self.disallowed_tools)]

    @property
    def tools(self) -> list[BaseTool]:
        """The LangChain tools the model sees right now (after `initialize()`)."""
        if self._manager is not None:
            return [*self._manager.tools(), *self._tools]
        return list(self._tools)

    async def close(self) -> None:
        """Close every session of the client; the next run opens them again."""
        try:
            await self.client.close_all_sessions()
        finally:
            self._initialized = False
            self._tools = []
            self._manager = None

    async def __aenter__(self) -> MCPAgent:
        await self.initialize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- memory -------------------------------------------------------------------------------
    def get_conversation_history(self) -> list[BaseMessage]:
        return list(self._history)

    def clear_memory(self) -> None:
        """Forget earlier runs: the next `run` starts a new conversation."""
        self._history.clear()

    # ---- the system prompt --------------------------------------------------------------------
    def _system_text(self, tools: list[BaseTool], output_schema: Any) -> str:
        extra = self.additional_instructions or ""
        if self.system_prompt is not None:
            text = self.system_prompt + (f"\n\n{extra}" if extra else "")
        else:
            template = self.system_prompt_template or (
                prompts.SERVER_MANAGER_SYSTEM_PROMPT_TEMPLATE
                if self._manager is not None
                else prompts.DEFAULT_SYSTEM_PROMPT_TEMPLATE
            )
            text = prompts.render(
                template,
                tool_descriptions=prompts.describe_tools(tools),
                servers=self._manager.describe_servers() if self._manager is not None else "",
                additional_instructions=extra,
            )
        if output_schema is not None:
            text += (
                f"\nYour final answer will be converted into the structured form {_schema_name(output_schema)}; "
                "make sure it contains everything that form asks for:\n"
                f"{json.dumps(_json_schema(output_schema))}"
            )
        return text

    # ---- running ------------------------------------------------------------------------------
    @overload
    async def run(self, query: str, *, max_steps: int | None = None, output_schema: None = None) -> str: ...
    @overload
    async def run(self, query: str, *, max_steps: int | None = None, output_schema: type[T]) -> T: ...

    async def run(self, query: str, *, max_steps: int | None = None, output_schema: Any = None) -> Any:
        """Answer `query`; with `output_schema`, return an instance of it instead of text."""
        final: FinalAnswer | None = None
        async for step in self.stream(query, max_steps=max_steps, output_schema=output_schema):
            if isinstance(step, FinalAnswer):
                final = step
        assert final is not None
        return final.output if output_schema is not None else final.text

    async def stream(
        self, query: str, *, max_steps: int | None = None, output_schema: Any = None
    ) -> AsyncIterator[AgentStep]:
        """Yield each tool call, each tool result, then the `FinalAnswer`."""
        async for item in self._loop(query, max_steps=max_steps, output_schema=output_schema, events=False):
            if not isinstance(item, dict):
                yield item

    async def stream_events(
        self, query: str, *, max_steps: int | None = None, output_schema: Any = None
    ) -> AsyncIterator[dict[str, Any]]:
        """LangChain-style event dicts: the model's own `on_chat_model_*` events, ours for tools.

        Order: `on_chain_start` (name "MCPAgent"), then per turn `on_chat_model_start`,
        `on_chat_model_stream`..., `on_chat_model_end`, and per tool call `on_tool_start` /
        `on_tool_end` (between them, for a task-backed tool, `on_tool_task_status` with
        `data` `{task_id, status, message}` per status change); last `on_chain_end` whose `data.output` is the answer.
        """
        run_id = str(uuid.uuid4())
        parents = [run_id]
        yield _event("on_chain_start", "MCPAgent", run_id, [], {"input": query})
        tool_runs: dict[str, str] = {}
        async for item in self._loop(query, max_steps=max_steps, output_schema=output_schema, events=True):
            if isinstance(item, dict):
                yield {**item, "parent_ids": [*parents, *item.get("parent_ids", [])]}
            elif isinstance(item, ToolCallStep):
                tool_runs[item.id] = rid = str(uuid.uuid4())
                yield _event(
                    "on_tool_start", item.tool, rid, parents, {"input": item.arguments}, call_id=item.id
                )
            elif isinstance(item, ToolResultStep):
                rid = tool_runs.pop(item.id, str(uuid.uuid4()))
                data = {"output": item.content, "is_error": item.is_error, "artifact": item.artifact}
                yield _event("on_tool_end", item.tool, rid, parents, data, call_id=item.id)
            elif isinstance(item, TaskStatusStep):
                rid = tool_runs.get(item.id, "")
                data = {"task_id": item.task_id, "status": item.status, "message": item.message}
                yield _event("on_tool_task_status", item.tool, rid, parents, data, call_id=item.id)
            else:
                data = {
                    "output": item.output if output_schema is not None else item.text,
                    "text": item.text,
                    "steps": item.steps,
                    "reached_max_steps": item.reached_max_steps,
                }
                yield _event("on_chain_end", "MCPAgent", run_id, [], data)

    async def _loop(
        self, query: str, *, max_steps: int | None, output_schema: Any, events: bool
    ) -> AsyncIterator[AgentStep | dict[str, Any]]:
        await self.initialize()
        limit = max_steps or self.max_steps
        config: RunnableConfig = {"callbacks": self.callbacks} if self.callbacks else {}
        history = list(self._history) if self.memory else []
        new: list[BaseMessage] = [HumanMessage(content=query)]
        key: tuple[str, ...] | None = None
        model: Runnable[Any, Any] = self.llm
        by_name: dict[str, BaseTool] = {}
        system = SystemMessage(content="")
        last_text, final_text, reached = "", None, False
        step = 0
        for step in range(1, limit + 1):
            tools = self.tools
            names = tuple(t.name for t in tools)
            if names != key:  # first turn, or the server manager changed the tool set
                key = names
                model = self.llm.bind_tools(tools) if tools else self.llm  # type: ignore[attr-defined]
                by_name = {t.name: t for t in tools}
                system = SystemMessage(content=self._system_text(tools, output_schema))
            messages = [system, *history, *new]
            if events:
                ai: Any = None
                async for event in model.astream_events(messages, config=config, version="v2"):
                    yield event
                    if event["event"] == "on_chat_model_end":
                        ai = event["data"].get("output")
                if ai is None:
                    raise RuntimeError("the model ended without a message")
            else:
                ai = await model.ainvoke(messages, config=config)
            ai = _as_ai_message(ai)
            new.append(ai)
            text = _text(ai)
            if text:
                last_text = text
            if not ai.tool_calls and not ai.invalid_tool_calls:
                final_text = text
                break
            for call in ai.tool_calls:
                arguments = dict(call.get("args") or {})
                yield ToolCallStep(call["name"], arguments, str(call["id"]), step, text)
                relay: TaskRelay[ToolMessage] = TaskRelay()
                async for status in relay.drive(self._call_tool(by_name, call, config)):
                    yield TaskStatusStep(
                        call["name"], str(call["id"]), step, status.id, status.status, status.message
                    )
                result = relay.result
                assert result is not None
                new.append(result)
                yield ToolResultStep(
                    call["name"],
                    result.content,
                    result.tool_call_id,
                    step,
                    is_error=result.status == "error",
                    artifact=result.artifact,
                )
            for bad in ai.invalid_tool_calls:
                name = bad.get("name") or "unknown"
                call_id = str(bad.get("id"))
                yield ToolCallStep(name, {"_raw": bad.get("args")}, call_id, step, text)
                content = (
                    f"Error: the arguments of this call to {name!r} could not be read "
                    f"({bad.get('error') or 'not valid JSON'}); send them again as a JSON object."
                )
                new.append(ToolMessage(content=content, tool_call_id=call_id, name=name, status="error"))
                yield ToolResultStep(name, content, call_id, step, is_error=True)
        else:
            reached = True
        if final_text is None:
            note = f"(Stopped: the agent reached max_steps={limit} before the model gave a final answer.)"
            final_text = f"{last_text}\n\n{note}" if last_text else note
        output = None
        if output_schema is not None:
            output = await self._structured([system, *history, *new], output_schema, config)
        if self.memory:
            self._history.extend(new)
        yield FinalAnswer(final_text, step, reached, output, [*history, *new])

    async def _call_tool(
        self, by_name: dict[str, BaseTool], call: Any, config: RunnableConfig
    ) -> ToolMessage:
        """Run one tool call; every failure becomes an error ToolMessage for the model."""
        name, call_id = call["name"], str(call["id"])
        tool = by_name.get(name)
        if tool is None:
            available = ", ".join(by_name) or "none"
            return ToolMessage(
                content=f"Error: there is no tool named {name!r}. Available tools: {available}.",
                tool_call_id=call_id,
                name=name,
                status="error",
            )
        try:
            result = await tool.ainvoke({**call, "type": "tool_call"}, config=config)
        except Exception as exc:
            return ToolMessage(
                content=f"Error: the tool {name!r} failed: {type(exc).__name__}: {exc}",
                tool_call_id=call_id,
                name=name,
                status="error",
            )
        if isinstance(result, ToolMessage):
            return result
        return ToolMessage(content=str(result), tool_call_id=call_id, name=name)

    # ---- structured output ----------------------------------------------------------------
    async def _structured(self, messages: list[BaseMessage], schema: Any, config: RunnableConfig) -> Any:
        """Ask the model for `schema`: its structured output if it has one, else JSON; retry once."""
        adapter_ = TypeAdapter(schema)
        name = _schema_name(schema)
        try:
            structured = self.llm.with_structured_output(schema, include_raw=True)  # type: ignore[attr-defined]
        except (NotImplementedError, AttributeError, TypeError):
            structured = None
        error = ""
        for _attempt in range(2):
            retry = f"\nYour previous answer did not fit the schema: {error}\nTry again." if error else ""
            if structured is not None:
                ask = HumanMessage(content=f"Give your final answer as {name}.{retry}")
                out = await structured.ainvoke([*messages, ask], config=config)
                parsed = out.get("parsed") if isinstance(out, dict) and "raw" in out else out
                problem = out.get("parsing_error") if isinstance(out, dict) and "raw" in out else None
                if problem is None and parsed is None:
                    problem = "no structured answer was given"
                if problem is None:
                    try:
                        return adapter_.validate_python(parsed)
                    except ValidationError as exc:
                        problem = exc
                error = str(problem)
            else:
                ask = HumanMessage(
                    content=(
                        f"Give your final answer as one JSON object matching this JSON schema, "
                        f"with no other text:\n{json.dumps(_json_schema(schema))}{retry}"
                    )
                )
                reply = await self.llm.ainvoke([*messages, ask], config=config)
                try:
                    return adapter_.validate_json(_extract_json(_text(_as_ai_message(reply))))
                except (ValidationError, ValueError) as exc:
                    error = str(exc)
        raise OutputSchemaError(f"the model's answer did not fit {name} after a retry: {error}")


# ---- helpers ------------------------------------------------------------------------------------
def _model_takes_tool_images(llm: Any) -> bool:
    """Whether images may go in tool results: the model's profile says so (default: no)."""
    profile = getattr(llm, "profile", None)
    if profile is None:
        bound = getattr(llm, "bound", None)  # a RunnableBinding around a chat model
        profile = getattr(bound, "profile", None)
    return bool(isinstance(profile, dict) and profile.get("image_tool_message"))


def _as_ai_message(message: Any) -> AIMessage:
    if isinstance(message, AIMessageChunk):
        message = message_chunk_to_message(message)
    if not isinstance(message, AIMessage):
        message = AIMessage(content=message.content if isinstance(message, BaseMessage) else str(message))
    for call in message.tool_calls:  # a ToolMessage must answer each call by its id
        if not call.get("id"):
            call["id"] = f"call_{uuid.uuid4().hex[:16]}"
    for bad in message.invalid_tool_calls:
        if not bad.get("id"):
            bad["id"] = f"call_{uuid.uuid4().hex[:16]}"
    return message


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def _schema_name(schema: Any) -> str:
    return getattr(schema, "__name__", None) or str(schema)


def _json_schema(schema: Any) -> dict[str, Any]:
    return TypeAdapter(schema).json_schema()


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _extract_json(text: str) -> str:
    """The JSON in a reply that may wrap it in a code fence or a sentence."""
    fenced = _FENCE.search(text)
    if fenced:
        return fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        return text[start : end + 1]
    return text.strip()


def _event(
    kind: str, name: str, run_id: str, parents: list[str], data: dict[str, Any], call_id: str | None = None
) -> dict[str, Any]:
    metadata = {"tool_call_id": call_id} if call_id else {}
    return {
        "event": kind,
        "name": name,
        "run_id": run_id,
        "parent_ids": list(parents),
        "tags": [],
        "metadata": metadata,
        "data": data,
    }


__all__ = [
    "AgentStep",
    "FinalAnswer",
    "MCPAgent",
    "OutputSchemaError",
    "TaskStatusStep",
    "ToolCallStep",
    "ToolResultStep",
]
