"""The default request log: every line arrives, in today's format, off the hot path.

Real server processes (Streamable HTTP under uvicorn, stdio) are loaded and stopped with
SIGTERM or EOF, and their stderr is read back line by line; in-process tests check that
the records reach a user's own `logging` handlers with the request's time and thread,
that the logger's level and filters are respected, and how the queue behaves when
stderr cannot keep up, fails, or the process forks.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
import pytest

from mcp_use import MCPServer
from mcp_use.server import request_log
from mcp_use.server.request_log import BatchingStreamHandler, LineFormatter, RequestLog
from tests.helpers import ServerProcess, free_port

from .conftest import ACCEPT, LEGACY, MODERN, MODERN_META, initialize_message, server_env

# Today's line, as `server.run()` has always written it.
LINE = re.compile(
    r"^(\d\d:\d\d:\d\d) INFO    mcp_use\.server\.requests: (\S+) (\S*) (ok|error|complete|error -?\d+) "
    r"session=([0-9a-f]{8}|-) era=(legacy|modern) (\d+\.\d)ms$"
)
DATEFMT = "%H:%M:%S"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

SERVER = textwrap.dedent(
    """
    import sys
    from mcp_use import MCPServer
    from mcp_use.server import request_log

    if "--no-periodic-flush" in sys.argv:
        request_log.requests.interval = 3600.0  # only shutdown may write the lines

    server = MCPServer("request-log")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool()
    def boom() -> str:
        raise ValueError("boom")

    @server.tool()
    async def slow() -> str:
        import asyncio

        print("slow started", file=sys.stderr, flush=True)
        await asyncio.sleep(1.0)
        return "done"

    if sys.argv[1] == "stdio":
        server.run(transport="stdio")
    else:
        server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    """
)


def request_lines(stderr: str) -> list[re.Match[str]]:
    """The request lines of a stderr dump; any other line of that logger is a failure."""
    found = []
    for line in stderr.splitlines():
        if "mcp_use.server.requests" in line:
            match = LINE.match(line)
            assert match is not None, f"not today's request line format: {line!r}"
            found.append(match)
    return found


def start_http(tmp_path: Path, *flags: str) -> ServerProcess:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    port = free_port()
    return ServerProcess(
        [sys.executable, str(script), "http", str(port), *flags],
        port=port,
        env=server_env(),
        log_dir=tmp_path,
        name="request-log",
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=2.0).status_code < 500,
    )


def call(rid: int, name: str, arguments: dict[str, Any], modern: bool) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if modern:
        params["_meta"] = MODERN_META
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}


async def load(url: str, calls: int, concurrency: int = 16) -> dict[tuple[str, str, str], int]:
    """`calls` tools/calls per kind (legacy add, modern add, legacy boom, modern unknown
    tool), `concurrency` at a time; the count of each (name, status, era) line expected."""
    base = {"content-type": "application/json", "accept": ACCEPT}
    async with aiohttp.ClientSession() as http:
        init = initialize_message()
        async with http.post(url, data=orjson.dumps(init), headers=base) as response:
            session_id = response.headers["mcp-session-id"]
        legacy = {**base, "mcp-session-id": session_id, "mcp-protocol-version": LEGACY}
        kinds = [
            (legacy, "add", {"a": 1, "b": 2}, False),
            (
                {**base, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "add"},
                "add",
                {"a": 2, "b": 3},
                True,
            ),
            (legacy, "boom", {}, False),
            (
                {**base, "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "nope"},
                "nope",
                {},
                True,
            ),
        ]
        gate = asyncio.Semaphore(concurrency)

        async def one(
            rid: int, headers: dict[str, str], name: str, args: dict[str, Any], modern: bool
        ) -> None:
            async with (
                gate,
                http.post(url, data=orjson.dumps(call(rid, name, args, modern)), headers=headers) as r,
            ):
                body = await r.json(content_type=None)
                assert body["id"] == rid, body

        await asyncio.gather(*(one(i * 4 + k, *kind) for i in range(calls) for k, kind in enumerate(kinds)))
    return {
        ("add", "ok", "legacy"): calls,
        ("add", "complete", "modern"): calls,
        ("boom", "error", "legacy"): calls,
        ("nope", "error -32602", "modern"): calls,
    }


def tally(lines: list[re.Match[str]]) -> dict[tuple[str, str, str], int]:
    counts: dict[tuple[str, str, str], int] = {}
    for m in lines:
        assert m.group(2) == "tools/call"
        key = (m.group(3), m.group(4), m.group(6))
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---- real processes -----------------------------------------------------------------
def test_every_line_under_load_is_written_at_sigterm(tmp_path: Path) -> None:
    """With the periodic flush off, only shutdown can write the lines: SIGTERM writes all."""
    srv = start_http(tmp_path, "--no-periodic-flush").start()
    try:
        expected = asyncio.run(load(srv.url("/mcp"), 150))
        time.sleep(0.3)
        assert request_lines(srv.stderr_path.read_text()) == [], "lines were written before shutdown"
    finally:
        code = srv.stop()
    stderr = srv.stderr_path.read_text()
    assert code in (0, -15), stderr[-2000:]  # uvicorn re-raises SIGTERM once it has shut down
    lines = request_lines(stderr)
    assert tally(lines) == expected
    sessions = {m.group(5) for m in lines if m.group(6) == "legacy"}
    assert len(sessions) == 1 and "-" not in sessions
    assert {m.group(5) for m in lines if m.group(6) == "modern"} == {"-"}


def test_a_call_in_flight_at_sigterm_still_gets_its_line(tmp_path: Path) -> None:
    """uvicorn finishes in-flight calls, then dies by the re-raised signal (no atexit)."""
    srv = start_http(tmp_path, "--no-periodic-flush").start()

    async def slow_call() -> dict[str, Any]:
        headers = {
            "content-type": "application/json",
            "accept": ACCEPT,
            "mcp-protocol-version": MODERN,
            "mcp-method": "tools/call",
            "mcp-name": "slow",
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(
                srv.url("/mcp"), data=orjson.dumps(call(7, "slow", {}, True)), headers=headers
            ) as r:
                return await r.json(content_type=None)

    async def scenario() -> dict[str, Any]:
        pending = asyncio.ensure_future(slow_call())
        deadline = time.monotonic() + 20
        while "slow started" not in srv.stderr_path.read_text():
            assert time.monotonic() < deadline and not pending.done(), srv.describe()
            await asyncio.sleep(0.02)
        stopping = asyncio.get_running_loop().run_in_executor(None, srv.stop)
        answer = await pending
        await stopping
        return answer

    try:
        answer = asyncio.run(scenario())
    finally:
        srv.stop()
    assert answer["result"]["content"][0]["text"] == "done"
    lines = request_lines(srv.stderr_path.read_text())
    assert [(m.group(3), m.group(4)) for m in lines] == [("slow", "complete")], srv.describe()
    assert float(lines[0].group(7)) >= 900.0


def test_lines_reach_stderr_while_the_server_runs(tmp_path: Path) -> None:
    """The periodic flush: a request's line is on stderr within the window, not at exit."""
    with start_http(tmp_path) as srv:
        expected = asyncio.run(load(srv.url("/mcp"), 5))
        answered = time.time()
        deadline = time.monotonic() + 5.0  # 100 ms is the window; the machine is shared
        while time.monotonic() < deadline:
            lines = request_lines(srv.stderr_path.read_text())
            if len(lines) == sum(expected.values()):
                break
            time.sleep(0.02)
        waited = time.time() - answered
        assert tally(lines) == expected, srv.describe()
        assert waited < 2.0, f"lines took {waited:.2f}s to reach stderr"
        stamp = time.strftime(DATEFMT, time.localtime(answered))
        late = time.strftime(DATEFMT, time.localtime(answered - 1))
        assert lines[-1].group(1) in (stamp, late)  # the request's own time, not a later one


@pytest.mark.parametrize("debug", ["0", "2"])
def test_stdio_lines_arrive_at_eof_and_stdout_stays_clean(tmp_path: Path, debug: str) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    calls = 200
    messages = [initialize_message(), {"jsonrpc": "2.0", "method": "notifications/initialized"}]
    messages += [call(i + 1, "add", {"a": i, "b": 1}, modern=i % 2 == 1) for i in range(calls)]
    proc = subprocess.run(
        [sys.executable, str(script), "stdio"],
        input=b"".join(orjson.dumps(m) + b"\n" for m in messages),
        capture_output=True,
        timeout=60,
        env={**server_env(), "DEBUG": debug, "PATH": "/usr/bin:/bin"},
    )
    stderr = proc.stderr.decode()
    answers = [orjson.loads(line) for line in proc.stdout.splitlines()]  # nothing but JSON-RPC
    assert [a["id"] for a in answers] == list(range(calls + 1)), stderr[-2000:]
    assert tally(request_lines(stderr)) == {
        ("add", "ok", "legacy"): calls // 2,
        ("add", "complete", "modern"): calls // 2,
    }
    if debug == "2":  # every JSON-RPC message is still logged, in and out
        assert stderr.count("<- stdio") == len(messages)
        assert stderr.count("-> stdio") == calls + 1
    else:
        assert "<- stdio" not in stderr


FORK_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from mcp_use.server import request_log
    from mcp_use.server.runner import configure_logging

    configure_logging(None, 0)
    request_log.requests.interval = 3600.0
    request_log.queue_line("tools/call", "before-fork", "ok", "-", "modern", 0.1)
    pid = os.fork()
    if pid == 0:
        request_log.queue_line("tools/call", "child", "ok", "-", "modern", 0.1)
        request_log.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    """
)


def test_a_forked_child_writes_only_its_own_lines(tmp_path: Path) -> None:
    """gunicorn forks after import: a line queued before the fork is written once."""
    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        timeout=60,
        env={**server_env(), "PATH": "/usr/bin:/bin"},
    )
    names = sorted(m.group(3) for m in request_lines(proc.stderr.decode()))
    assert names == ["before-fork", "child"], proc.stderr.decode()


# ---- in process: the records a user's handlers see ------------------------------------
class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.arrived = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.arrived:
            self.records.append(record)
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.records) >= count, timeout)


@pytest.fixture
def user_handler() -> Iterator[Collect]:
    """A handler on the `mcp_use` logger at INFO, as a user configures it."""
    package = logging.getLogger("mcp_use")
    handler = Collect()
    level = package.level
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        package.removeHandler(handler)
        package.setLevel(level)


def make_server() -> MCPServer:
    server = MCPServer("in-process")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    return server


async def modern_calls(server: MCPServer, names: list[str]) -> None:
    headers = {"content-type": "application/json", "accept": ACCEPT, "mcp-protocol-version": MODERN}
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        for i, name in enumerate(names):
            message = call(i, name, {"a": 1, "b": 2}, modern=True)
            response = await http.post(
                "/mcp",
                content=orjson.dumps(message),
                headers={**headers, "mcp-method": "tools/call", "mcp-name": name},
            )
            assert response.json()["id"] == i


async def test_a_user_handler_receives_the_records(user_handler: Collect) -> None:
    server = make_server()
    started = time.time()
    await modern_calls(server, ["add", "add"])
    ended = time.time()
    # The flusher delivers (nothing here flushes), from its own thread.
    assert await asyncio.to_thread(user_handler.wait_for, 2, 5.0)
    records = [r for r in user_handler.records if r.name == "mcp_use.server.requests"]
    assert len(records) == 2
    for record in records:
        assert record.levelno == logging.INFO
        assert re.fullmatch(r"tools/call add complete session=- era=modern \d+\.\dms", record.getMessage())
        assert started <= record.created <= ended  # when the request ended, not when written
        assert record.threadName == threading.current_thread().name
        assert record.thread == threading.get_ident()
        plain = logging.Formatter(FORMAT, DATEFMT).format(record)
        assert LineFormatter(FORMAT, DATEFMT).format(record) == plain


async def test_the_logger_level_and_filters_are_respected(user_handler: Collect) -> None:
    requests_logger = logging.getLogger("mcp_use.server.requests")

    def drop_unknown(record: logging.LogRecord) -> bool:
        return "nope" not in record.getMessage()

    requests_logger.addFilter(drop_unknown)
    try:
        server = make_server()
        await modern_calls(server, ["add", "nope", "add"])
        request_log.flush()
        messages = [r.getMessage() for r in user_handler.records if r.name == requests_logger.name]
        assert [m.split()[1] for m in messages] == ["add", "add"]
        user_handler.records.clear()
        logging.getLogger("mcp_use").setLevel(logging.WARNING)  # `log_level="warning"`
        await modern_calls(server, ["add"])
        assert len(request_log.requests) == 0  # nothing was even queued
        request_log.flush()
        assert user_handler.records == []
    finally:
        requests_logger.removeFilter(drop_unknown)


# ---- the queue and the batching handler -----------------------------------------------
class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.fail = False

    def write(self, text: str) -> int:
        if self.fail:
            raise OSError("stderr is gone")
        self.writes += 1
        return super().write(text)


def private_log(name: str) -> tuple[RequestLog, CountingStream]:
    """A `RequestLog` of its own logger, written through a `BatchingStreamHandler`."""
    logger = logging.getLogger(f"mcp_use.test.{name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    stream = CountingStream()
    handler = BatchingStreamHandler(stream)
    handler.setFormatter(LineFormatter(FORMAT, DATEFMT))
    logger.handlers = [handler]
    log = RequestLog(logger, interval=3600.0)
    log.batching.append(handler)
    return log, stream


def test_records_match_what_logger_info_would_have_made() -> None:
    """Field by field, a queued line's record is the one `logger.info` made at that time."""
    log, _ = private_log("fields")
    seen: list[logging.LogRecord] = []
    collect = Collect()
    log.logger.addHandler(collect)
    for pause in (0.0, 0.05, 0.12):  # the first record is made, the later ones copied
        time.sleep(pause)
        before = time.time()
        direct = logging.LogRecord(log.logger.name, logging.INFO, "x", 1, "m", (), None)
        log.record("tools/call", "add", "ok", "-", "modern", 0.5)
        time.sleep(0.02)
        log.flush()
        seen.append(collect.records[-1])
        record = seen[-1]
        assert before <= record.created <= time.time()
        # relativeCreated and created move together, as in any record of this process.
        assert (
            abs((record.relativeCreated - direct.relativeCreated) - (record.created - direct.created) * 1000)
            < 1
        )
        assert record.msecs == int((record.created % 1) * 1000)
        for field in ("process", "processName", "levelname", "levelno", "name"):
            assert getattr(record, field) == getattr(direct, field), field
    assert len({id(r) for r in seen}) == 3 and [r.args[1] for r in seen] == ["add"] * 3


def test_a_full_queue_is_written_by_the_request_that_fills_it() -> None:
    """stderr not keeping up: the request finding the queue full waits for the write."""
    log, stream = private_log("full")
    log.max_pending = 10
    for i in range(25):
        log.record("tools/call", f"t{i}", "ok", "-", "modern", 0.5)
    assert stream.getvalue().count("\n") == 20 and len(log) == 5
    assert stream.writes == 2  # one write per batch of ten
    log.flush()
    names = [line.split()[4] for line in stream.getvalue().splitlines()]
    assert names == [f"t{i}" for i in range(25)]  # every line, in order


def test_a_failing_stream_does_not_stop_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    log, stream = private_log("failing")
    stream.fail = True
    log.record("tools/call", "lost", "ok", "-", "modern", 0.5)
    log.flush()  # reported through logging's error hook, not raised
    assert "Logging error" in capsys.readouterr().err
    stream.fail = False
    log.record("tools/call", "kept", "ok", "-", "legacy", 0.5)
    log.flush()
    assert [line.split()[4] for line in stream.getvalue().splitlines()] == ["kept"]


def test_a_failing_user_filter_costs_only_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    log, stream = private_log("filter")

    def picky(record: logging.LogRecord) -> bool:
        if "bad" in record.getMessage():
            raise RuntimeError("filter bug")
        return True

    log.logger.addFilter(picky)
    for name in ("before", "bad", "after"):
        log.record("tools/call", name, "ok", "-", "modern", 0.5)
    log.flush()
    assert "RuntimeError: filter bug" in capsys.readouterr().err
    assert [line.split()[4] for line in stream.getvalue().splitlines()] == ["before", "after"]


def test_other_records_on_the_handler_are_written_at_once() -> None:
    """Only the flusher's batch is held back: a warning from anywhere is written now."""
    log, stream = private_log("direct")
    log.logger.warning("right away")
    assert stream.getvalue().endswith("mcp_use.test.direct: right away\n")


def test_line_formatter_matches_the_plain_formatter_across_seconds() -> None:
    ours = LineFormatter(FORMAT, DATEFMT)
    plain = logging.Formatter(FORMAT, DATEFMT)
    base = float(int(time.time()))
    for offset in (0.0, 0.4, 0.999, 1.0, 1.5, 61.0, 3600.2, 0.3):
        record = logging.makeLogRecord({"name": "x", "levelno": 20, "levelname": "INFO", "msg": "m"})
        record.created = base + offset
        record.msecs = (offset - int(offset)) * 1000
        assert ours.format(record) == plain.format(record)
    record.created = base
    assert LineFormatter(FORMAT).format(record) == logging.Formatter(FORMAT).format(record)  # no datefmt


# ---- the plain path: lines formatted straight from the queue ------------------------
ENTRIES = [
    ("tools/call", "add", "ok", "1a2b3c4d", "legacy", 0.04),
    ("tools/list", "", "complete", "-", "modern", 12.345),
    ("resources/read", "file:///a%20b", "error -32602", "-", "modern", 1000.0),
]


def logged_lines(log: RequestLog, stream: CountingStream) -> tuple[list[str], list[float]]:
    """Queue ENTRIES on `log`, flush, and return the lines written and each entry's time."""
    times = []
    for entry in ENTRIES:
        log.record(*entry)
        times.append(log._pending[-1][0])
        time.sleep(0.01)
    log.flush()
    return stream.getvalue().splitlines(), times


def expected_line(
    log: RequestLog, created: float, args: tuple[Any, ...], formatter: logging.Formatter
) -> str:
    """What `logger.info(LINE_FORMAT, *args)` at `created` would have written through `formatter`."""
    record = log.logger.makeRecord(log.logger.name, logging.INFO, "x", 1, request_log.LINE_FORMAT, args, None)
    record.created = created
    record.msecs = int((created % 1) * 1000) + 0.0
    return formatter.format(record)


def test_the_plain_path_writes_what_logging_would() -> None:
    """Our stderr handler alone: the lines skip `LogRecord`, byte for byte the same text."""
    log, stream = private_log("plain")
    assert log._plain_handlers() is not None
    lines, times = logged_lines(log, stream)
    plain = logging.Formatter(FORMAT, DATEFMT)
    assert lines == [expected_line(log, t, e, plain) for t, e in zip(times, ENTRIES, strict=True)]
    assert stream.writes == 1


def test_the_plain_path_honours_the_formatter_clock() -> None:
    """A formatter set to UTC (`converter = time.gmtime`) stamps the lines in UTC."""
    log, stream = private_log("utc")
    log.logger.handlers[0].formatter.converter = time.gmtime  # type: ignore[union-attr]
    lines, times = logged_lines(log, stream)
    assert [line[:8] for line in lines] == [time.strftime(DATEFMT, time.gmtime(t)) for t in times]


def test_anything_configured_beside_our_handler_takes_the_logging_path() -> None:
    """A handler filter, another format, a second handler up the chain or a record
    factory each see (or shape) every line: then the records go through `logging`."""
    seen: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        seen.append(record)
        return record.args[1] != "add"  # type: ignore[index]

    log, stream = private_log("handler-filter")
    log.logger.handlers[0].addFilter(keep)
    assert log._plain_handlers() is None
    lines, times = logged_lines(log, stream)
    plain = logging.Formatter(FORMAT, DATEFMT)
    assert len(seen) == 3
    assert lines == [expected_line(log, t, e, plain) for t, e in zip(times, ENTRIES, strict=True)][1:]

    log, stream = private_log("other-format")
    other = logging.Formatter("%(levelname)s|%(message)s")
    log.logger.handlers[0].setFormatter(other)
    assert log._plain_handlers() is None
    lines, times = logged_lines(log, stream)
    assert lines == [expected_line(log, t, e, other) for t, e in zip(times, ENTRIES, strict=True)]

    log, stream = private_log("propagating")
    log.logger.propagate = True  # the `mcp_use.test` chain up to a handler of the user's
    collect = Collect()
    logging.getLogger("mcp_use.test").addHandler(collect)
    try:
        assert log._plain_handlers() is None
        lines, _ = logged_lines(log, stream)
        assert len(lines) == 3 and [r.args for r in collect.records] == ENTRIES
    finally:
        logging.getLogger("mcp_use.test").removeHandler(collect)

    made: list[logging.LogRecord] = []
    default = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = default(*args, **kwargs)
        record.tag = "mine"  # type: ignore[attr-defined]
        made.append(record)
        return record

    log, stream = private_log("factory")
    logging.setLogRecordFactory(factory)
    try:
        assert log._plain_handlers() is None
        lines, _ = logged_lines(log, stream)
    finally:
        logging.setLogRecordFactory(default)
    assert len(lines) == 3 and [r.args for r in made] == ENTRIES
