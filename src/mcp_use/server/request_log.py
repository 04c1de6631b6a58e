"""The default request log: one line per request, queued on the hot path, written in batches.

Building a `logging.LogRecord` (caller lookup, thread and process fields), formatting it
and one `write` to stderr per request cost as much CPU as the request itself. So a
request leaves only a tuple in a queue (`RequestLog.record`), and a background thread
turns the queue into ordinary records at least every `FLUSH_SECONDS`: they go through
`logging.getLogger("mcp_use.server.requests").handle(...)`, so the logger's filters,
level, propagation and every handler a user configured see the same records, with the
request's own time, as before. The stderr handler `server.run()` installs
(`BatchingStreamHandler`) writes each batch with one `write`. A crash loses at most the
last window. A normal exit (`atexit`) flushes what is left, and so does
`Lifecycle.begin_shutdown` on SIGTERM/SIGINT, which also makes every later line (calls
still in flight) write through at once: uvicorn ends by re-raising the signal, and a
process killed by it runs no `atexit`.
If the queue ever holds `MAX_PENDING` lines (stderr blocked), the request that finds it
full flushes it itself, and so waits for stderr as every request did before.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
import traceback
from collections import deque
from typing import Any

FLUSH_SECONDS = 0.1
MAX_PENDING = 50_000
LOGGER_NAME = "mcp_use.server.requests"
LINE_FORMAT = "%s %s %s session=%s era=%s %.1fms"
# The format `server.run()` gives its stderr handler (runner.configure_logging).
HANDLER_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
HANDLER_DATEFMT = "%H:%M:%S"

# (time.time(), thread ident, method, name, status, session, era, duration in ms)
Entry = tuple[float, int, str, str, str, str, str, float]
get_ident = threading.get_ident


class BatchingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A `StreamHandler` that, inside a flush of the request log, keeps the formatted lines
    and writes them in one call at the end of the batch; elsewhere it is a plain one."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._batch_thread: int | None = None
        self._lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self._batch_thread != threading.get_ident():
            super().emit(record)
            return
        try:
            self._lines.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)

    def begin_batch(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._batch_thread = threading.get_ident()

    def end_batch(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._batch_thread = None
            lines, self._lines = self._lines, []
            if lines:
                self.write_text("".join(lines))

    def write_text(self, text: str) -> None:
        """One batch's lines in one write (the caller holds the lock or owns the batch)."""
        try:
            self.stream.write(text)
            self.flush()
        except Exception:
            # Like `emit`: report through logging's own error hook, never raise.
            self.handleError(logging.makeLogRecord({"msg": "request log batch", "levelno": 20}))

    def plain_line_formatter(self) -> LineFormatter | None:
        """Its formatter, when nothing but the line format `server.run()` installs would
        touch a request record on its way to the stream (so the line can be formatted
        without a record); else None."""
        formatter = self.formatter
        if (
            type(self) is not BatchingStreamHandler
            or self.filters
            or self.level > logging.INFO
            or type(formatter) is not LineFormatter
            or type(formatter._style) is not logging.PercentStyle
            or formatter._fmt != HANDLER_FORMAT
            or formatter.datefmt != HANDLER_DATEFMT
        ):
            return None
        return formatter


class LineFormatter(logging.Formatter):
    """A `Formatter` that formats each second's `asctime` once: with a `datefmt` (no
    sub-second fields in `time.strftime`) the text depends on the whole second only."""

    _cached: tuple[int, str | None, str] = (-1, None, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if not datefmt:
            return super().formatTime(record, datefmt)
        return self.stamp(record.created, datefmt)

    def stamp(self, created: float, datefmt: str) -> str:
        """`formatTime` of a record made at `created`, computed once per second."""
        second = int(created)
        cached = self._cached
        if cached[0] == second and cached[1] == datefmt:
            return cached[2]
        text = time.strftime(datefmt, self.converter(created))
        self._cached = (second, datefmt, text)
        return text


class RequestLog:
    """The queue of request lines and the thread that hands them to `logging`."""

    def __init__(self, logger: logging.Logger, interval: float = FLUSH_SECONDS) -> None:
        self.logger = logger
        self.interval = interval
        self.max_pending = MAX_PENDING
        self.batching: list[BatchingStreamHandler] = []
        self._reset()

    def _reset(self) -> None:
        self._pending: deque[Entry] = deque()
        self._lock = threading.Lock()  # one flush at a time, lines in order
        self._thread: threading.Thread | None = None
        self._template: dict[str, Any] | None = None  # per process: it holds the pid
        self._write_through = False

    def __len__(self) -> int:
        """Lines queued and not yet handed to `logging`."""
        return len(self._pending)

    def record(self, method: str, name: str, status: str, session: str, era: str, ms: float) -> None:
        """Queue one request's line: a tuple, nothing formatted, no I/O."""
        pending = self._pending
        pending.append((time.time(), get_ident(), method, name, status, session, era, ms))
        if self._thread is None:
            self._start()
        if len(pending) >= self.max_pending or self._write_through:
            # The flusher cannot keep up (stderr blocked), or the process is ending.
            self.flush()

    def shutting_down(self) -> None:
        """The process is ending: write what is queued, and every later line at once."""
        self._write_through = True
        self.flush()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name="mcp_use-request-log", daemon=True)
            self._thread = thread
            thread.start()

    def _run(self) -> None:
        interval = self.interval
        due = time.monotonic() + interval
        while True:
            time.sleep(max(0.0, due - time.monotonic()))
            due += interval
            self.flush()

    def flush(self) -> None:
        """Hand every queued line to the logger's handlers, in order; safe from any thread."""
        pending = self._pending
        if not pending:
            return
        with self._lock:
            plain = self._plain_handlers()
            if plain is not None:
                self._write_plain(plain, pending)
                return
            handlers = list(self.batching)
            for handler in handlers:
                handler.begin_batch()
            # queued with the ident alone (cheaper on the hot path): named once per batch
            thread_names = {thread.ident: thread.name for thread in threading.enumerate()}
            try:
                while pending:
                    try:
                        self._emit(pending.popleft(), thread_names)
                    except Exception:
                        # A user's filter or record factory failed on this line: say so
                        # as `logging` does for a failing handler, and go on with the rest.
                        if logging.raiseExceptions:
                            traceback.print_exc(file=sys.stderr)
            finally:
                for handler in handlers:
                    handler.end_batch()

    def _plain_handlers(self) -> list[tuple[BatchingStreamHandler, LineFormatter]] | None:
        """The handlers a request record would reach, when each is one of our stderr
        handlers with the stock format and nothing else (no filter, no record factory,
        no other handler up the chain) could see the record: then formatting the lines
        straight from the queue writes what `logging` would, at a fifth of the cost.
        None when anything else is configured: the lines then go through `logging`."""
        logger = self.logger
        if logger.disabled or logger.filters or logging.getLogRecordFactory() is not logging.LogRecord:
            return None
        found: list[tuple[BatchingStreamHandler, LineFormatter]] = []
        node: logging.Logger | None = logger
        while node is not None:
            for handler in node.handlers:
                if logging.INFO < handler.level:
                    continue  # it would skip the record anyway
                formatter = (
                    handler.plain_line_formatter() if isinstance(handler, BatchingStreamHandler) else None
                )
                if formatter is None:
                    return None
                found.append((handler, formatter))  # type: ignore[arg-type]
            node = node.parent if node.propagate else None
        return found or None  # no handler at all: `logging`'s last resort decides

    def _write_plain(
        self, plain: list[tuple[BatchingStreamHandler, LineFormatter]], pending: deque[Entry]
    ) -> None:
        entries = [pending.popleft() for _ in range(len(pending))]
        head = f" {logging.getLevelName(logging.INFO):<7} {self.logger.name}: ".replace("%", "%%")
        for handler, formatter in plain:
            # One `%` per line: the time stamp, the fixed head and the request's fields.
            line = "%s" + head + LINE_FORMAT + handler.terminator.replace("%", "%%")
            parts = []
            second, stamped = -1, ""
            for e in entries:
                if int(e[0]) != second:  # the stamp changes once a second (`LineFormatter.stamp`)
                    second, stamped = int(e[0]), formatter.stamp(e[0], HANDLER_DATEFMT)
                parts.append(line % (stamped, e[2], e[3], e[4], e[5], e[6], e[7]))
            text = "".join(parts)
            with handler.lock:  # type: ignore[union-attr]
                handler.write_text(text)

    def _emit(self, entry: Entry, thread_names: dict[int | None, str]) -> None:
        created, ident, method, name, status, session, era, ms = entry
        record = self._new_record(created, (method, name, status, session, era, ms))
        # The request's own thread, not the flusher's (one that has ended since is named
        # as `threading` names a thread it did not start).
        record.thread = ident
        record.threadName = thread_names.get(ident) or f"Dummy-{ident}"
        self.logger.handle(record)

    def _new_record(self, created: float, args: tuple[Any, ...]) -> logging.LogRecord:
        """A record as `logger.info` would make it at `created`, without its cost: a copy
        of one template (the fields that never change), unless a user installed their own
        record factory, which then makes every record."""
        factory = logging.getLogRecordFactory()
        if factory is not logging.LogRecord or self._template is None:
            record = factory(
                self.logger.name, logging.INFO, __file__, CALL_LINE, LINE_FORMAT, args, None, "record"
            )
            record.relativeCreated -= (record.created - created) * 1000
            record.created = created
            if factory is logging.LogRecord:
                self._template = dict(record.__dict__)
        else:
            record = logging.LogRecord.__new__(logging.LogRecord)
            template = self._template
            record.__dict__.update(template)
            record.args = args
            record.relativeCreated = template["relativeCreated"] + (created - template["created"]) * 1000
            record.created = created
        record.msecs = int((created - int(created)) * 1000) + 0.0
        return record

    def after_fork(self) -> None:
        """In a forked child: the parent writes its own queue; start empty, no thread."""
        self._reset()


CALL_LINE = RequestLog.record.__code__.co_firstlineno
requests = RequestLog(logging.getLogger(LOGGER_NAME))
queue_line = requests.record
flush = requests.flush
atexit.register(flush)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=requests.after_fork)
