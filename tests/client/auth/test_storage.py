"""Token storage: file permissions, atomic writes, damaged files, and the memory store."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mcp_use.client.auth import FileTokenStorage, MemoryTokenStorage
from mcp_use.client.auth.storage import default_auth_dir


async def test_file_storage_round_trip_and_permissions(tmp_path: Path) -> None:
    store = FileTokenStorage(tmp_path / "deep" / "auth")
    assert await store.get("k") is None
    await store.set("k", {"tokens": {"access_token": "secret", "expires_at": 1.5}})
    assert await store.get("k") == {"tokens": {"access_token": "secret", "expires_at": 1.5}}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o700
    (file,) = store.path.glob("*.json")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert "k" not in file.name and "secret" not in repr(store)
    await store.set("k", {"v": 2})  # replaced atomically, still 0600
    assert await store.get("k") == {"v": 2} and stat.S_IMODE(file.stat().st_mode) == 0o600
    assert not list(store.path.glob("*.tmp"))
    await store.delete("k")
    await store.delete("k")  # deleting twice is fine
    assert await store.get("k") is None


def json_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


async def test_damaged_file_reads_as_missing(tmp_path: Path) -> None:
    store = FileTokenStorage(tmp_path)
    await store.set("k", {"v": 1})
    (file,) = json_files(tmp_path)
    file.write_text("{not json")
    assert await store.get("k") is None
    await store.set("other", {"v": 2})
    assert await store.clear() == 2 and not json_files(tmp_path)


def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MCP_USE_AUTH_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_auth_dir() == tmp_path / ".mcp_use" / "auth"
    assert FileTokenStorage().path == tmp_path / ".mcp_use" / "auth"


async def test_memory_storage_copies() -> None:
    store = MemoryTokenStorage()
    value = {"a": [1]}
    await store.set("k", value)
    value["a"].append(2)
    got = await store.get("k")
    assert got == {"a": [1]}
    got["a"].append(3)  # type: ignore[index]
    assert await store.get("k") == {"a": [1]} and store.keys() == ["k"]
