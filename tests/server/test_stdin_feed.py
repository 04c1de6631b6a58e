"""The stdio server reads its pipe in the data callback (`transports/stdin_feed.py`):
lines split over many writes, many lines in one write, the limit's exact edge, a long
line arriving in pieces, a notification's backlog with more lines than the pause mark
behind it, and a last line without its newline. A real server process on real pipes.

Server: tests/server/servers/bad_input_server.py (``max_body_size=4096``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

from mcp_use.server.transports.stdin_feed import BACKLOG_PAUSE
from tests.helpers import REPO_ROOT

from .conftest import BAD_INPUT_SERVER, StdioPeer, initialize_message, server_env
from .servers.bad_input_server import MAX_BODY

INVALID_REQUEST = -32600


def write(peer: StdioPeer, data: bytes) -> None:
    """Bytes on the server's stdin exactly as given (no newline added), flushed now."""
    assert peer.proc.stdin is not None
    peer.proc.stdin.write(data)
    peer.proc.stdin.flush()


def call(id: int, a: int, b: int, pad: str = "") -> bytes:
    arguments = {"a": a, "b": b, **({"pad": pad} if pad else {})}
    message = {
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": "add", "arguments": arguments},
    }
    return orjson.dumps(message)


def padded_to(id: int, size: int) -> bytes:
    """A tools/call line of exactly `size` bytes before its newline."""
    line = call(id, 1, 2, pad="z")
    line = call(id, 1, 2, pad="z" * (1 + size - len(line)))
    assert len(line) == size
    return line


def test_a_line_dribbled_in_small_writes_is_served(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    line = call(10, 20, 22) + b"\n"
    for start in range(0, len(line), 7):
        write(stdio_peer, line[start : start + 7])
        time.sleep(0.005)  # separate reads on the server's side
    answer = stdio_peer.read()
    assert answer["id"] == 10 and answer["result"]["structuredContent"] == {"result": 42}


def test_many_lines_in_one_write_are_all_served(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    write(stdio_peer, b"".join(call(100 + i, i, 1) + b"\n" for i in range(50)) + call(150, 5, 5)[:9])
    write(stdio_peer, call(150, 5, 5)[9:] + b"\n")  # the last one ends in the next write
    answers = {
        m["id"]: m["result"]["structuredContent"]["result"] for m in (stdio_peer.read() for _ in range(51))
    }
    assert answers == {**{100 + i: i + 1 for i in range(50)}, 150: 10}


def test_the_limit_is_exact_and_a_long_line_in_pieces_is_refused_once(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    write(stdio_peer, padded_to(20, MAX_BODY) + b"\n")  # exactly at the limit: served
    # One byte over, it is refused; the error has no id, it could not be read.
    write(stdio_peer, padded_to(21, MAX_BODY + 1) + b"\n")
    first, second = stdio_peer.read(), stdio_peer.read()  # the call runs as its own task
    served, refused = (first, second) if first.get("id") == 20 else (second, first)
    assert served["id"] == 20 and "result" in served  # the line was read and the call made
    assert refused.get("id") is None and refused["error"]["code"] == INVALID_REQUEST
    assert str(MAX_BODY) in refused["error"]["message"]
    # A line far over the limit, arriving in pieces with the next line behind it in
    # the same write as its end: one error, then the next line served.
    long = padded_to(22, MAX_BODY * 3)
    for start in range(0, len(long), 1000):
        write(stdio_peer, long[start : start + 1000])
        time.sleep(0.005)
    write(stdio_peer, b"\n" + call(23, 2, 3) + b"\n")
    refused = stdio_peer.read()
    assert refused.get("id") is None and str(MAX_BODY) in refused["error"]["message"]
    served = stdio_peer.read()
    assert served["id"] == 23 and served["result"]["structuredContent"] == {"result": 5}


def test_lines_behind_a_notification_wait_their_turn_past_the_pause_mark(stdio_peer: StdioPeer) -> None:
    """A notification goes through the drain task; the lines behind it (more than make
    the feed pause the pipe) are taken after it, in order, and the pipe resumes."""
    stdio_peer.initialize()
    count = BACKLOG_PAUSE * 3
    notification = orjson.dumps({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"})
    lines = [notification] + [call(1000 + i, i, i) for i in range(count)]
    write(stdio_peer, b"\n".join(lines) + b"\n")
    answers = [stdio_peer.read() for _ in range(count)]
    assert sorted(m["id"] for m in answers) == [1000 + i for i in range(count)]
    assert all(m["result"]["structuredContent"] == {"result": 2 * (m["id"] - 1000)} for m in answers)
    assert stdio_peer.ask({"jsonrpc": "2.0", "id": 5000, "method": "ping"})["id"] == 5000


def test_a_last_line_without_newline_is_answered_at_eof(stdio_peer: StdioPeer) -> None:
    stdio_peer.initialize()
    write(stdio_peer, call(30, 3, 4))
    assert stdio_peer.proc.stdin is not None
    stdio_peer.proc.stdin.close()
    answer = stdio_peer.read()
    assert answer["id"] == 30 and answer["result"]["structuredContent"] == {"result": 7}
    assert stdio_peer.proc.wait(15) == 0


def test_stdin_from_a_regular_file_is_read_by_the_thread_reader(tmp_path: Path) -> None:
    """A file cannot be polled by the loop: the thread reader serves it, with the same
    limit, the same error for a long line, and every request answered at its end."""
    script = tmp_path / "input.jsonl"
    notification = orjson.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    lines = [orjson.dumps(initialize_message(0)), notification, call(40, 1, 1), padded_to(41, MAX_BODY + 1)]
    script.write_bytes(b"\n".join([*lines, call(42, 2, 2)]))  # the last without its newline
    with script.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, str(BAD_INPUT_SERVER)],
            stdin=stdin,
            capture_output=True,
            env={**os.environ, **server_env()},
            cwd=REPO_ROOT,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    answers = [orjson.loads(line) for line in done.stdout.splitlines()]
    by_id = {m.get("id"): m for m in answers}
    assert by_id[40]["result"]["structuredContent"] == {"result": 2}
    assert by_id[42]["result"]["structuredContent"] == {"result": 4}
    assert str(MAX_BODY) in by_id[None]["error"]["message"] and 41 not in by_id
