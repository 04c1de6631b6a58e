"""Reading and checking the `mcpServers` configuration.

Mistakes are reported up front, naming the server entry and the field, so a typo in
`config.json` never turns into a silent hang or a confusing connection error later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .auth.settings import OAuthSettings, parse_settings
from .errors import ConfigError

STDIO_KEYS = frozenset({"command", "args", "env", "cwd"})
HTTP_KEYS = frozenset({"url", "headers", "auth", "transport"})
COMMON_KEYS = frozenset({"timeout", "mode", "type", "description", "disabled"})
HTTP_TRANSPORTS = {"streamable-http": "streamable-http", "http": "streamable-http", "sse": "sse"}
TYPE_ALIASES = {
    "stdio": "stdio",
    "streamable-http": "streamable-http",
    "http": "streamable-http",
    "sse": "sse",
}

# What a stdio server inherits from our environment; the entry's `env` goes on top.
# Secrets in the parent's environment (API keys, tokens) do not leak to every server.
SAFE_ENV_KEYS = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "COMSPEC",
    "PATHEXT",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMDATA",
    "PROGRAMFILES",
    "USERPROFILE",
    "WINDIR",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "VIRTUAL_ENV",
    "NODE_PATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


def safe_base_env() -> dict[str, str]:
    return {k: v for k in SAFE_ENV_KEYS if (v := os.environ.get(k)) is not None}


@dataclass(frozen=True)
class ServerConfig:
    """One `mcpServers` entry, checked."""

    name: str
    timeout: float | None = None
    mode: str | None = None


@dataclass(frozen=True)
class StdioServerConfig(ServerConfig):
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None

    def full_env(self) -> dict[str, str]:
        return {**safe_base_env(), **self.env}


@dataclass(frozen=True)
class HttpServerConfig(ServerConfig):
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: str | None = None  # a bearer token
    oauth: OAuthSettings | None = None  # an "auth" object: OAuth runs for this server
    transport: str | None = None  # None: streamable HTTP, falling back to SSE


@dataclass(frozen=True)
class MemoryServerConfig(ServerConfig):
    """A server object in this process (an `MCPServer`), reached without sockets."""

    server: Any = None


def load_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {p}") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {p}: {exc.strerror or exc}") from None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"Config file {p} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"Config file {p} must hold a JSON object with an 'mcpServers' key")
    return value


def parse(config: Mapping[str, Any]) -> dict[str, ServerConfig]:
    """Check a whole config dict and return its servers by name (disabled ones left out)."""
    if not isinstance(config, Mapping):
        raise ConfigError("The config must be an object with an 'mcpServers' key")
    unknown = [k for k in config if k != "mcpServers" and not str(k).startswith(("$", "_"))]
    if unknown:
        raise ConfigError(
            f"Unknown top-level config key(s) {', '.join(map(repr, unknown))}; expected 'mcpServers'"
        )
    servers = config.get("mcpServers", {})
    if not isinstance(servers, Mapping):
        raise ConfigError("'mcpServers' must be an object mapping server names to entries")
    parsed: dict[str, ServerConfig] = {}
    for name, entry in servers.items():
        server = parse_entry(str(name), entry)
        if server is not None:
            parsed[str(name)] = server
    return parsed


def pick_entry(
    config: Mapping[str, Any], name: str | None, *, where: str = "", how: str = "name one"
) -> tuple[str, Any]:
    """The one server entry a command works on: `(name, entry)`.

    `config` is a whole config (`{"mcpServers": {...}}`, entries as written) or its
    servers by name (`parse()`'s result, or `MCPClient.servers`). `name` None picks the
    only server. Every command that takes `CONFIG [SERVER]` (`call`, `inspect`, `proxy`)
    asks here, so a mistake reads the same everywhere; `where` says which config (" in
    config.json") and `how` how to name a server on that command's line.
    """
    servers = config.get("mcpServers", {}) if "mcpServers" in config else config
    if not isinstance(servers, Mapping):
        raise ConfigError("'mcpServers' must be an object mapping server names to entries")
    names = ", ".join(map(str, servers))
    if name is None:
        if not servers:
            raise ConfigError(f"no server is configured{where}")
        if len(servers) > 1:
            raise ConfigError(f"several servers are configured{where}: {how} ({names})")
        name = str(next(iter(servers)))
    if name not in servers:
        raise ConfigError(f"server {name!r} is not configured{where} (configured: {names or 'none'})")
    return name, servers[name]


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: Any, where: str) -> Any:
    """`${VAR}` and `${VAR:-default}` replaced from the environment in every string.

    Secrets stay out of config files this way. A variable that is unset (and has no
    default) is a `ConfigError` naming it and the entry, never a silent empty string.
    """
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            found = os.environ.get(m.group(1))
            if found is not None and (found or m.group(2) is None):
                return found
            if m.group(2) is not None:
                return m.group(2)
            raise ConfigError(
                f"{where}: environment variable {m.group(1)} is not set (used as ${{{m.group(1)}}})"
            )

        return _VAR.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: expand(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def parse_entry(name: str, entry: Any) -> ServerConfig | None:
    where = f"mcpServers.{name}"
    if callable(getattr(entry, "connect_in_memory", None)):
        return MemoryServerConfig(name=name, server=entry)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: the entry must be an object (or an MCPServer, served in memory)")
    entry = expand(entry, where)
    unknown = [k for k in entry if k not in STDIO_KEYS | HTTP_KEYS | COMMON_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; stdio servers take "
            "command, args, env, cwd; HTTP servers take url, headers, auth, transport, timeout"
        )
    if entry.get("disabled") is True:
        return None
    timeout = entry.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise ConfigError(f"{where}.timeout: must be a positive number of seconds, got {timeout!r}")
    mode = entry.get("mode")
    if mode is not None and not isinstance(mode, str):
        raise ConfigError(f"{where}.mode: must be 'auto', 'legacy' or a protocol version string")
    kind = entry.get("type")
    if kind is not None and kind not in TYPE_ALIASES:
        raise ConfigError(f"{where}.type: must be one of {', '.join(TYPE_ALIASES)}, got {kind!r}")
    has_command, has_url = "command" in entry, "url" in entry
    if has_command and has_url:
        raise ConfigError(f"{where}: give either 'command' (stdio) or 'url' (HTTP), not both")
    if has_command:
        misplaced = [k for k in entry if k in HTTP_KEYS]
        if misplaced:
            raise ConfigError(f"{where}.{misplaced[0]}: only HTTP servers (with 'url') take this field")
        return _stdio(name, where, entry, timeout, mode)
    if has_url:
        misplaced = [k for k in entry if k in STDIO_KEYS]
        if misplaced:
            raise ConfigError(f"{where}.{misplaced[0]}: only stdio servers (with 'command') take this field")
        return _http(name, where, entry, timeout, mode)
    raise ConfigError(f"{where}: needs 'command' (a stdio server) or 'url' (an HTTP server)")


def _stdio(name: str, where: str, entry: Mapping[str, Any], timeout: Any, mode: Any) -> StdioServerConfig:
    command = entry["command"]
    if not isinstance(command, str) or not command.strip():
        raise ConfigError(f"{where}.command: must be a non-empty string, got {command!r}")
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, (str, int, float)) for a in args):
        raise ConfigError(f"{where}.args: must be a list of strings, got {args!r}")
    env = entry.get("env", {}) or {}
    if not isinstance(env, Mapping) or not all(isinstance(k, str) for k in env):
        raise ConfigError(f"{where}.env: must be an object of string values")
    for key, value in env.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}.env.{key}: must be a string, got {value!r}")
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ConfigError(f"{where}.cwd: must be a string path, got {cwd!r}")
    return StdioServerConfig(
        name=name,
        timeout=timeout,
        mode=mode,
        command=command,
        args=tuple(str(a) for a in args),
        env={k: str(v) for k, v in env.items()},
        cwd=cwd,
    )


def _http(name: str, where: str, entry: Mapping[str, Any], timeout: Any, mode: Any) -> HttpServerConfig:
    url = entry["url"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url: must be an http:// or https:// URL, got {url!r}")
    headers = entry.get("headers", {}) or {}
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ConfigError(f"{where}.headers: must be an object of string header values")
    auth = entry.get("auth")
    oauth = None
    if isinstance(auth, Mapping):
        oauth, auth = parse_settings(f"{where}.auth", auth), None
    elif auth is not None and not isinstance(auth, str):
        raise ConfigError(
            f"{where}.auth: must be a bearer token string or an object with a 'type', got {type(auth).__name__}"
        )
    transport = entry.get("transport", entry.get("type"))
    if transport is not None:
        if transport not in HTTP_TRANSPORTS:
            raise ConfigError(f"{where}.transport: must be 'streamable-http' or 'sse', got {transport!r}")
        transport = HTTP_TRANSPORTS[transport]
    return HttpServerConfig(
        name=name,
        timeout=timeout,
        mode=mode,
        url=url,
        headers=dict(headers),
        auth=auth,
        oauth=oauth,
        transport=transport,
    )
