"""A 2026-07-28 front's input-required rounds over a call still running on the target.

The forwarded call runs in a task of its own. When the target asks for input (an
input request of its own 2026-07-28 round, or a legacy server-to-client request), the
front request ends with an input-required round holding every question asked at that
moment, under the target's own keys when it gave them (`client.inbound.INPUT_KEY`), and the call is
parked. Its id rides in the front's sealed `requestState` (an entry of the kept
answers), so the retry that carries the answers finds its own call, whoever else uses
the same keys. A question the retry does not answer is asked again; a parked call
nobody resumes is cancelled after `input_timeout` (in this process only).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol.errors import INVALID_REQUEST, MCPError
from .input_rounds import InputRequired
from .proxy_routing import FrontCall, Question
from .request import ServerRequest

MARKER = "mcp-use-proxy-call"  # the kept answer naming the parked call


class Parked:
    __slots__ = ("call", "deadline", "questions", "task")

    def __init__(
        self, call: FrontCall, task: asyncio.Task[Any], questions: dict[str, Question], ttl: float
    ) -> None:
        self.call, self.task, self.questions = call, task, questions
        self.deadline = time.monotonic() + ttl


class ParkedCalls:
    def __init__(self, input_timeout: float) -> None:
        self.input_timeout = input_timeout
        self.parked: dict[str, Parked] = {}

    async def round(
        self, req: ServerRequest, reader: Any, start: Callable[[FrontCall], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """One front round: a new call, or the parked one this retry answers."""
        self.expire()
        answers = req.round.answers if req.round is not None else {}
        marker = answers.get(MARKER)
        parked = self.parked.pop(str(marker.get("id")), None) if isinstance(marker, dict) else None
        unanswered: dict[str, Question] = {}
        if parked is not None:
            call, task = parked.call, parked.task
            call.use(req)
            for key, question in parked.questions.items():
                if question.answer.done():
                    continue
                if isinstance(answers.get(key), dict):
                    question.answer.set_result(answers[key])
                else:
                    unanswered[key] = question
        else:
            call = FrontCall(req, reader)
            task = asyncio.ensure_future(start(call))
        return await self._wait(call, task, req, unanswered)

    async def _wait(
        self, call: FrontCall, task: asyncio.Task[Any], req: ServerRequest, questions: dict[str, Question]
    ) -> dict[str, Any]:
        parked = False
        try:
            if not questions:
                asked = asyncio.ensure_future(call.asks.get())
                try:
                    await asyncio.wait({task, asked}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    asked.cancel()
                if task.done():
                    return task.result()  # type: ignore[no-any-return]
                questions = await _gather(call, asked.result())
            if req.round is None:
                for question in questions.values():
                    question.answer.set_exception(
                        MCPError(INVALID_REQUEST, f"{req.method} cannot ask the client for input")
                    )
                return await task  # type: ignore[no-any-return]
            call_id = secrets.token_urlsafe(12)
            self.parked[call_id] = Parked(call, task, questions, self.input_timeout)
            parked = True
            for key, question in questions.items():
                req.round.requests[key] = {"method": question.method, "params": question.params}
            req.round.answers[MARKER] = {"id": call_id}  # kept, so sealed into requestState
            raise InputRequired()
        finally:
            if not parked and not task.done():
                task.cancel()  # the front request was cancelled: so is the target's

    def expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, p in self.parked.items() if p.deadline < now]:
            parked = self.parked.pop(key)
            for question in parked.questions.values():
                if not question.answer.done():
                    question.answer.set_exception(TimeoutError("the client did not answer in time"))
            parked.task.cancel()

    def close(self) -> None:
        for parked in self.parked.values():
            parked.task.cancel()
        self.parked.clear()


async def _gather(call: FrontCall, first: Question) -> dict[str, Question]:
    """The first question and those asked with it (a target's round asks them all at
    once; they reach the queue within a few turns of the loop)."""
    found = [first]
    for _ in range(3):
        await asyncio.sleep(0)
        while not call.asks.empty():
            found.append(call.asks.get_nowait())
    questions: dict[str, Question] = {}
    for question in found:
        key = question.key if question.key and question.key != MARKER else f"proxy-{secrets.token_urlsafe(9)}"
        while key in questions:
            key = f"{key}-{secrets.token_urlsafe(4)}"
        questions[key] = question
    return questions


__all__ = ["MARKER", "ParkedCalls"]
