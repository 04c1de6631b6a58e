"""`mcp_use.server.input_rounds.StateSealer`: requestState is sealed, bound to its request, and expires."""

from __future__ import annotations

import base64

import orjson
import pytest

from mcp_use.protocol.errors import INVALID_PARAMS, MCPError
from mcp_use.server import input_rounds
from mcp_use.server.input_rounds import StateSealer

ARGS = {"city": "Paris", "days": 3}
ANSWERS = {"elicitation-0": {"action": "accept", "content": {"name": "Ada"}}}


def refused(sealer: StateSealer, state: object, *request: object, why: str) -> None:
    with pytest.raises(MCPError) as info:
        sealer.open(state, *request)  # type: ignore[arg-type]
    assert info.value.code == INVALID_PARAMS
    assert why in info.value.message, info.value.message


def test_round_trip() -> None:
    sealer = StateSealer("secret")
    state = sealer.seal("tools/call", "forecast", ARGS, ANSWERS)
    assert isinstance(state, str) and "." in state
    assert sealer.open(state, "tools/call", "forecast", ARGS) == ANSWERS
    # Argument order does not matter (the digest sorts keys).
    assert sealer.open(state, "tools/call", "forecast", {"days": 3, "city": "Paris"}) == ANSWERS


def test_same_secret_other_instance_opens_it() -> None:
    state = StateSealer(b"shared").seal("prompts/get", "p", None, {})
    assert StateSealer("shared").open(state, "prompts/get", "p", None) == {}


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_USE_STATE_SECRET", "from-env")
    sealer = StateSealer()
    assert sealer.generated is False
    state = sealer.seal("tools/call", "t", {}, {"k": {}})
    assert StateSealer("from-env").open(state, "tools/call", "t", {}) == {"k": {}}


def test_generated_secret_is_per_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCP_USE_STATE_SECRET", raising=False)
    a, b = StateSealer(), StateSealer()
    assert a.generated and b.generated
    state = a.seal("tools/call", "t", {}, {})
    refused(b, state, "tools/call", "t", {}, why="integrity check failed")


def test_other_secret_is_refused() -> None:
    state = StateSealer("one").seal("tools/call", "t", ARGS, ANSWERS)
    refused(StateSealer("two"), state, "tools/call", "t", ARGS, why="integrity check failed")


def test_tampered_body_is_refused() -> None:
    sealer = StateSealer("secret")
    state = sealer.seal("tools/call", "t", ARGS, ANSWERS)
    body_text, mac_text = state.split(".")
    body = orjson.loads(base64.urlsafe_b64decode(body_text + "=" * (-len(body_text) % 4)))
    body["a"] = {"elicitation-0": {"action": "accept", "content": {"name": "Mallory"}}}
    forged = base64.urlsafe_b64encode(orjson.dumps(body)).rstrip(b"=").decode() + "." + mac_text
    refused(sealer, forged, "tools/call", "t", ARGS, why="integrity check failed")


def test_tampered_mac_is_refused() -> None:
    sealer = StateSealer("secret")
    body_text, mac_text = sealer.seal("tools/call", "t", ARGS, ANSWERS).split(".")
    flipped = ("A" if mac_text[0] != "A" else "B") + mac_text[1:]
    refused(sealer, f"{body_text}.{flipped}", "tools/call", "t", ARGS, why="integrity check failed")


@pytest.mark.parametrize("state", [None, 42, "", "no-dot-here", {"a": 1}])
def test_not_a_state_is_refused(state: object) -> None:
    refused(StateSealer("secret"), state, "tools/call", "t", ARGS, why="Invalid requestState")


def test_malformed_base64_is_refused() -> None:
    refused(StateSealer("secret"), "!!!.???", "tools/call", "t", ARGS, why="Invalid requestState")


@pytest.mark.parametrize(
    "request_",
    [
        ("tools/call", "other_tool", ARGS),
        ("prompts/get", "forecast", ARGS),
        ("tools/call", "forecast", {"city": "Rome", "days": 3}),
        ("tools/call", "forecast", None),
    ],
    ids=["other-target", "other-method", "other-arguments", "no-arguments"],
)
def test_state_of_another_request_is_refused(request_: tuple) -> None:
    sealer = StateSealer("secret")
    state = sealer.seal("tools/call", "forecast", ARGS, ANSWERS)
    refused(sealer, state, *request_, why="different request")


def test_expired_state_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = StateSealer("secret")
    now = 1_900_000_000.0
    monkeypatch.setattr(input_rounds.time, "time", lambda: now)
    state = sealer.seal("tools/call", "t", ARGS, ANSWERS)
    monkeypatch.setattr(input_rounds.time, "time", lambda: now + input_rounds.STATE_TTL_SECONDS - 1)
    assert sealer.open(state, "tools/call", "t", ARGS) == ANSWERS
    monkeypatch.setattr(input_rounds.time, "time", lambda: now + input_rounds.STATE_TTL_SECONDS + 1)
    refused(sealer, state, "tools/call", "t", ARGS, why="expired")


def test_warns_when_generated_secret_meets_several_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCP_USE_STATE_SECRET", raising=False)
    with pytest.warns(UserWarning, match="state_secret"):
        StateSealer().warn_if_generated(4)
    StateSealer("set").warn_if_generated(4)  # no warning with a secret
