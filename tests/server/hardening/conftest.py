"""Fixtures for the Redis fault tests: a restartable redis-server, and server processes
sharing it (`processes`, `trio`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ServerProcess
from tests.helpers.redis import RestartableRedis

from .redis_processes import processes


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def trio(redis: RestartableRedis, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    with processes(redis, tmp_path) as servers:
        yield servers
