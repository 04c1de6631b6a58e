"""A task's record: what any process needs to answer `tasks/get`, and how it may change.

A record is plain data (it round-trips through JSON for a shared store). Its status
moves `working` <-> `input_required` until it reaches one of the terminal statuses,
after which it never changes again: a late result cannot overwrite a cancellation.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
import time
from typing import Any

WORKING = "working"
INPUT_REQUIRED = "input_required"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})
STATUSES = frozenset({WORKING, INPUT_REQUIRED}) | TERMINAL
RELATED_TASK_META = "io.modelcontextprotocol/related-task"


def new_task_id() -> str:
    """128 random bits: a task id is also the capability to read the task."""
    return secrets.token_urlsafe(16)


def iso(ts: float) -> str:
    """An RFC 3339 / ISO-8601 UTC timestamp with milliseconds."""
    moment = datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TransitionError(ValueError):
    """A status change the lifecycle forbids (anything out of a terminal status)."""


@dataclasses.dataclass(slots=True)
class TaskRecord:
    id: str
    tool: str
    owner: str  # the process running it; its liveness tells a dead task from a slow one
    scope: str  # who may see it: the principal, or "" when the server has no auth
    ttl_ms: int
    poll_ms: int
    modern: bool = True  # the era it was created on: which status notification to send
    status: str = WORKING
    message: str | None = None
    created: float = dataclasses.field(default_factory=time.time)
    updated: float = 0.0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    input_requests: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.updated:
            self.updated = self.created

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def expires_at(self) -> float:
        return self.created + self.ttl_ms / 1000

    def move(self, status: str, *, message: str | None = None) -> None:
        """Change status; TransitionError once terminal (terminal records are final)."""
        if status not in STATUSES:
            raise TransitionError(f"unknown task status {status!r}")
        if self.terminal:
            raise TransitionError(f"task {self.id} is already {self.status}")
        self.status = status
        if message is not None:
            self.message = message
        if status != INPUT_REQUIRED:
            self.input_requests = {}
        self.updated = time.time()

    # ---- the wire -------------------------------------------------------------------
    def base(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "taskId": self.id,
            "status": self.status,
            "createdAt": iso(self.created),
            "lastUpdatedAt": iso(self.updated),
        }
        if self.message is not None:
            wire["statusMessage"] = self.message
        return wire

    def modern_wire(self, *, detailed: bool) -> dict[str, Any]:
        """2026-07-28 (SEP-2663): `ttlMs`/`pollIntervalMs`; detailed inlines by status."""
        wire = self.base()
        wire["ttlMs"] = self.ttl_ms
        wire["pollIntervalMs"] = self.poll_ms
        if detailed:
            if self.status == COMPLETED and self.result is not None:
                wire["result"] = self.result
            elif self.status == FAILED and self.error is not None:
                wire["error"] = self.error
            elif self.status == INPUT_REQUIRED:
                wire["inputRequests"] = dict(self.input_requests)
        return wire

    def legacy_wire(self) -> dict[str, Any]:
        """2025-11-25's experimental `Task`: `ttl` and `pollInterval` in milliseconds."""
        wire = self.base()
        wire["ttl"] = self.ttl_ms
        wire["pollInterval"] = self.poll_ms
        return wire

    # ---- storage --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskRecord:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})
