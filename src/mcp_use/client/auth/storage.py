"""Where tokens and client registrations live between runs.

A record is a JSON-able dict keyed by (authorization server issuer, resource): the
client registration at that issuer and the tokens it granted for that resource, with
the expiry as an absolute UNIX time (so a restart knows whether the token is still
good). `FileTokenStorage` writes one 0600 file per key under a 0700 directory
(`~/.mcp_use/auth/` by default), atomically; `MemoryTokenStorage` is for tests and
short-lived processes. Any object with async `get/set/delete(key)` works too.
Nothing here logs a record: they hold secrets.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

import orjson


class TokenStorage(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def set(self, key: str, value: dict[str, Any]) -> None: ...
    async def delete(self, key: str) -> None: ...


def record_key(issuer: str, resource: str) -> str:
    return f"oauth|{issuer}|{resource}"


def pointer_key(server_url: str) -> str:
    """The key of the small record saying which (issuer, resource) a server URL uses."""
    return f"server|{server_url}"


class MemoryTokenStorage:
    """Records in a dict of this process (copies in and out, so callers cannot alias)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = self._data.get(key)
        return orjson.loads(raw) if raw is not None else None

    async def set(self, key: str, value: dict[str, Any]) -> None:
        self._data[key] = orjson.dumps(value)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._data)

    def __repr__(self) -> str:
        return f"<MemoryTokenStorage {len(self._data)} record(s)>"


def default_auth_dir() -> Path:
    return Path(os.environ.get("MCP_USE_AUTH_DIR") or Path.home() / ".mcp_use" / "auth")


class FileTokenStorage:
    """One JSON file per key (named by the key's SHA-256), mode 0600, in a 0700 directory."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_auth_dir()

    def _file(self, key: str) -> Path:
        return self.path / (hashlib.sha256(key.encode()).hexdigest()[:40] + ".json")

    async def get(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._read, self._file(key))

    async def set(self, key: str, value: dict[str, Any]) -> None:
        await asyncio.to_thread(self._write, self._file(key), {"key": key, "value": value})

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._file(key).unlink, missing_ok=True)

    async def clear(self) -> int:
        """Forget every record (what `mcp-use logout` does with no server); returns how many."""
        return await asyncio.to_thread(self._clear)

    def _clear(self) -> int:
        if not self.path.is_dir():
            return 0
        files = list(self.path.glob("*.json"))
        for f in files:
            f.unlink(missing_ok=True)
        return len(files)

    @staticmethod
    def _read(file: Path) -> dict[str, Any] | None:
        try:
            data = orjson.loads(file.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError):
            return None  # a damaged file is as good as none: the flow runs again
        value = data.get("value") if isinstance(data, dict) else None
        return value if isinstance(value, dict) else None

    def _write(self, file: Path, data: dict[str, Any]) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, orjson.dumps(data))
        finally:
            os.close(fd)
        os.replace(tmp, file)

    def __repr__(self) -> str:
        return f"<FileTokenStorage {self.path}>"


__all__ = ["FileTokenStorage", "MemoryTokenStorage", "TokenStorage", "pointer_key", "record_key"]
