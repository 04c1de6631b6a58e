"""Input-required rounds (2026-07-28): input asked for by returning, not by calling.

A handler that needs input from the client raises `InputRequired` from inside
`ctx.elicit/sample/list_roots`. The engine ends the round with an `InputRequiredResult`
carrying every input asked for in it and a `requestState`: the answers so far,
sealed with an HMAC over the method, the target and the arguments, so a tampered or
replayed state is refused. On the retry, the handler runs again from the start and each
call finds its answer by key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
import warnings
from typing import Any

import orjson

from ..protocol.errors import INVALID_PARAMS, MCPError

STATE_TTL_SECONDS = 15 * 60


class InputRequired(BaseException):
    """Unwinds a handler that asked for input; BaseException so `except Exception` keeps out."""


class InputRound:
    """One input-required round of a handler: answers given so far, requests made now."""

    __slots__ = ("answers", "counter", "requests")

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requests: dict[str, dict[str, Any]] = {}
        self.counter = 0

    def next_key(self, kind: str) -> str:
        key = f"{kind}-{self.counter}"
        self.counter += 1
        return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(method: str, target: str, arguments: Any, principal: str | None) -> str:
    body = orjson.dumps([method, target, arguments, principal], option=orjson.OPT_SORT_KEYS)
    return _b64(hashlib.sha256(body).digest()[:18])


class StateSealer:
    """Seals and opens `requestState` with a server secret."""

    def __init__(self, secret: str | bytes | None = None) -> None:
        secret = secret or os.environ.get("MCP_USE_STATE_SECRET")
        self.generated = not secret
        if not secret:
            secret = secrets.token_bytes(32)
        self._key = secret.encode() if isinstance(secret, str) else secret

    def warn_if_generated(self, processes: int) -> None:
        if self.generated and processes > 1:
            warnings.warn(
                "mcp_use: no state_secret set; each process made its own, so an input-required "
                "retry that lands on another process is refused. Set MCPServer(state_secret=...) "
                "or MCP_USE_STATE_SECRET.",
                stacklevel=2,
            )

    def use_secret(self, secret: str | bytes) -> None:
        """Adopt a secret shared by every process (a `RedisState` hands it over)."""
        self._key = secret.encode() if isinstance(secret, str) else secret
        self.generated = False

    def fingerprint(self) -> str:
        """A short, one-way digest of the key, to compare processes without revealing it."""
        return hashlib.sha256(b"mcp_use-state-fp:" + self._key).hexdigest()[:16]

    def seal(
        self, method: str, target: str, arguments: Any, answers: dict[str, Any], principal: str | None = None
    ) -> str:
        """Seal the answers so far to this request and, on a protected server, to its principal."""
        payload = {
            "v": 1,
            "d": _digest(method, target, arguments, principal),
            "x": int(time.time()) + STATE_TTL_SECONDS,
            "a": answers,
        }
        body = orjson.dumps(payload)
        mac = hmac.new(self._key, body, hashlib.sha256).digest()
        return _b64(body) + "." + _b64(mac)

    def open(
        self, state: Any, method: str, target: str, arguments: Any, principal: str | None = None
    ) -> dict[str, Any]:
        """The answers sealed in `state`; -32602 when it was tampered with, expired or moved."""
        if not isinstance(state, str) or "." not in state:
            raise MCPError(INVALID_PARAMS, "Invalid requestState: not a state this server issued")
        body_text, _, mac_text = state.partition(".")
        try:
            body = _unb64(body_text)
            mac = _unb64(mac_text)
        except (ValueError, TypeError):
            raise MCPError(INVALID_PARAMS, "Invalid requestState: malformed") from None
        expected = hmac.new(self._key, body, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            raise MCPError(INVALID_PARAMS, "Invalid requestState: integrity check failed")
        payload = orjson.loads(body)
        if payload.get("x", 0) < time.time():
            raise MCPError(INVALID_PARAMS, "Invalid requestState: expired; start the request again")
        if payload.get("d") != _digest(method, target, arguments, principal):
            raise MCPError(
                INVALID_PARAMS, "Invalid requestState: it belongs to a different request or principal"
            )
        answers = payload.get("a")
        return answers if isinstance(answers, dict) else {}
