"""Raw JSON-RPC helpers for the example tests: no MCPClient, just httpx and pipes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import REPO_ROOT, build_env

EXAMPLES = REPO_ROOT / "examples"
SEED = EXAMPLES / "seed"
SRC = str(REPO_ROOT / "src")
ACCEPT = "application/json, text/event-stream"
LEGACY = "2025-11-25"
MODERN = "2026-07-28"


def example_env(**extra: str | None) -> dict[str, str]:
    """Our package importable; DEBUG unset unless asked for."""
    path = os.environ.get("PYTHONPATH")
    overrides: dict[str, str | None] = {
        "PYTHONPATH": SRC + (os.pathsep + path if path else ""),
        "DEBUG": None,
        "MCP_USE_LOGGING": None,
    }
    overrides.update(extra)
    return build_env(overrides)


def copy_example(name: str, dest: Path, port: int | None = None) -> Path:
    """A copy of `examples/seed/<name>` with port 8000 replaced by `port`."""
    target = dest / name
    shutil.copytree(SEED / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    if port is not None:
        for file in target.iterdir():
            if file.suffix in (".py", ".json"):
                text = file.read_text(encoding="utf-8")
                text = re.sub(r"port=8000\b", f"port={port}", text)
                text = text.replace("localhost:8000", f"127.0.0.1:{port}")
                file.write_text(text, encoding="utf-8")
    return target


def sse_messages(text: str) -> list[dict[str, Any]]:
    out = []
    for event in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in event.split("\n") if line.startswith("data:")]
        if data:
            try:
                out.append(json.loads("\n".join(data)))
            except ValueError:
                pass
    return out


def answer(response: httpx.Response, request_id: Any) -> dict[str, Any]:
    """The response to `request_id` in a JSON or SSE answer."""
    ctype = response.headers.get("content-type", "")
    if "event-stream" in ctype:
        for message in sse_messages(response.text):
            if message.get("id") == request_id and "method" not in message:
                return message
        raise AssertionError(f"no response to {request_id} in {response.text!r}")
    return response.json()


class HttpSession:
    """A legacy-era session over Streamable HTTP (initialize, then Mcp-Session-Id)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.client = httpx.Client(timeout=15, headers=headers or {})
        self.session_id: str | None = None
        self.next_id = 1
        self.init_result: dict[str, Any] = {}

    def __enter__(self) -> HttpSession:
        message = self.request_raw(
            "initialize",
            {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "example-test", "version": "0"},
            },
        )
        assert message.status_code == 200, message.text
        self.session_id = message.headers["mcp-session-id"]
        self.init_result = answer(message, 1)["result"]
        self.notify("notifications/initialized")
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def headers(self) -> dict[str, str]:
        h = {"content-type": "application/json", "accept": ACCEPT}
        if self.session_id:
            h["mcp-session-id"] = self.session_id
            h["mcp-protocol-version"] = LEGACY
        return h

    def request_raw(self, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.next_id += 1
        return self.client.post(self.url, json=message, headers=self.headers())

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = self.next_id
        response = self.request_raw(method, params)
        assert response.status_code == 200, response.text
        message = answer(response, request_id)
        assert "result" in message, message
        return message["result"]

    def notify(self, method: str) -> None:
        r = self.client.post(self.url, json={"jsonrpc": "2.0", "method": method}, headers=self.headers())
        assert r.status_code == 202, r.text

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": tool, "arguments": arguments})


def modern_call(url: str, tool: str, arguments: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
    """One stateless 2026-07-28 tools/call (works whichever worker answers)."""
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {
            "name": tool,
            "arguments": arguments,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    headers = {
        "content-type": "application/json",
        "accept": ACCEPT,
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": tool,
    }
    response = httpx.post(url, json=message, headers=headers, timeout=15)
    assert response.status_code == 200, response.text
    return answer(response, request_id)["result"]


class StdioSession:
    """A legacy-era session with a server process over its stdin and stdout."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.next_id = 1

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("server closed stdout: " + self.stderr())
            message = json.loads(line)  # every stdout line must be a JSON-RPC message
            if message.get("id") == request_id and "method" not in message:
                assert "result" in message, message
                return message["result"]

    def initialize(self) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "example-test", "version": "0"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    def close(self) -> tuple[bytes, str]:
        """Close stdin (the server exits), return (rest of stdout, stderr)."""
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out, err.decode("utf-8", "replace")

    def stderr(self) -> str:
        self.proc.kill()
        _, err = self.proc.communicate()
        return err.decode("utf-8", "replace")
