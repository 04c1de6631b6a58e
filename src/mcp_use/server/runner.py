"""`server.run()`: pick the transport, set up logging, hand HTTP to uvicorn.

Works on the `ServerCore`; the facade hands over the app to serve, the attribute
naming it (for the import string reload and workers need) and the object owning it.
Shutdown and signals are the core's `Lifecycle`, not this module's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .request_log import HANDLER_DATEFMT, HANDLER_FORMAT, BatchingStreamHandler, LineFormatter, requests

if TYPE_CHECKING:
    from .core import ServerCore

TRANSPORTS = {"stdio": "stdio", "streamable-http": "http", "http": "http", "sse": "sse"}
log = logging.getLogger("mcp_use.server")


LOGGING_ENV = "MCP_USE_LOGGING"
# uvicorn's httptools protocol, sending a response's head in the same write as its body.
HTTP_PROTOCOL = "mcp_use.server.http.uvicorn_protocol:HTTPProtocol"


def bound_address(host: str, port: int, path: str) -> str:
    """The address as bound: `0.0.0.0` is every interface, not 127.0.0.1 (saying the
    latter hides that the server is reachable from the network)."""
    if host in ("0.0.0.0", "::"):
        local = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
        return f"http://{host}:{port}{path} (all interfaces; from this machine http://{local}:{port}{path})"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def configure_logging(level: str | None, debug_level: int) -> bool:
    """Clean request lines on stderr, unless the user configured logging themselves.

    True when this call (or an earlier one) installed our handler.
    """
    package = logging.getLogger("mcp_use")
    if getattr(package, "_mcp_use_configured", False):
        return True
    if logging.getLogger().handlers or package.handlers:
        return False
    handler = BatchingStreamHandler(sys.stderr)
    requests.batching.append(handler)  # request lines reach stderr in one write per batch
    handler.setFormatter(LineFormatter(HANDLER_FORMAT, HANDLER_DATEFMT))
    package.addHandler(handler)
    package.propagate = False
    if level:
        package.setLevel(level.upper())
    else:
        package.setLevel(logging.DEBUG if debug_level >= 2 else logging.INFO)
    package._mcp_use_configured = True  # type: ignore[attr-defined]
    return True


BIND_HOST_ENV = "MCP_USE_BIND_HOST"


def configure_from_env(core: ServerCore) -> None:
    """In a process uvicorn or gunicorn started (reload, workers), log as `server.run()` would.

    `server.run()` leaves `MCP_USE_LOGGING` (and the host it binds) for the processes it
    starts; a server run as `uvicorn server:server.app` or under gunicorn logs too when
    nothing else is set up.
    """
    host = os.environ.get(BIND_HOST_ENV)
    if host:
        core.guard.bind(host)
        core.open_warning.settle()  # `server.run()` in the parent process warned already
    level = os.environ.get(LOGGING_ENV)
    if level is None:
        served = any(logging.getLogger(name).handlers for name in ("uvicorn.error", "gunicorn.error"))
        if not served:
            return
    configure_logging(level or None, core.settings.debug_level)


def warn_if_open(core: ServerCore, host: str | None) -> None:
    """Anyone who reaches a non-loopback address can call every tool of a server without auth=;
    and a protected server that does not know its own URL trusts the Host header for it.
    (Served another way, the server says it on its first request: `exposure.py`.)"""
    from .http.security import is_loopback

    if not host or is_loopback(host):
        core.open_warning.settle()  # bound to loopback: the sockets need no second look
        return
    core.open_warning.say(host)


def transport_kind(transport: str) -> str:
    """`stdio`, `http` or `sse` for a `run(transport=...)` name."""
    kind = TRANSPORTS.get(transport)
    if kind is None:
        raise ValueError(f"Unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
    return kind


def run(
    core: ServerCore,
    kind: str,
    *,
    app: Callable[[], Any],
    app_attr: str,
    owner: object,
    stdio: Callable[[], Coroutine[Any, Any, None]],
    host: str,
    port: int,
    reload: bool,
    workers: int,
    log_level: str | None,
    **uvicorn_options: Any,
) -> None:
    """Serve `kind`: `stdio()` on stdio, else `app()` on uvicorn (or, with reload or
    workers, the import string naming `owner`'s `app_attr`)."""
    settings = core.settings
    configured = configure_logging(log_level, settings.debug_level)
    if kind == "stdio":
        _run_stdio(stdio)
        return
    import uvicorn

    if core.state is not None:
        _preflight(core)
    elif workers > 1 and not reload:
        _warn_unshared(core, workers)
    core.sealer.warn_if_generated(workers)
    core.guard.bind(host)
    warn_if_open(core, host)
    options = uvicorn_config(host, port, log_level, uvicorn_options)
    from .ports import ensure_port_free

    ensure_port_free(host, port)  # a busy port is one clear line, before "serving MCP at"
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    path = settings.paths.mcp if kind == "http" else settings.paths.sse
    log.info("%s serving MCP at %s", settings.identity.name, bound_address(host, port, path))
    if settings.debug:
        log.info("Inspector: http://%s:%s%s", url_host, port, settings.paths.inspector)
    if reload or workers > 1:
        target, app_dir = _import_string(owner, app_attr)
        # The processes uvicorn starts import the server again; they log and guard the same way.
        os.environ[BIND_HOST_ENV] = host
        if configured:
            os.environ[LOGGING_ENV] = log_level or ""
        if reload:
            options.setdefault("reload_dirs", [app_dir])
            options.setdefault("reload_includes", ["*.py"])
            log.info("Reloading on changes to *.py under %s", app_dir)
        if target.endswith("_app"):
            options.setdefault("factory", True)  # `server.streamable_http_app` / `server.sse_app`
        uvicorn.run(target, app_dir=app_dir, reload=reload, workers=None if reload else workers, **options)
        return
    try:
        uvicorn.Server(uvicorn.Config(app(), **options)).run()
    except KeyboardInterrupt:
        # uvicorn shut down gracefully, then re-raised the SIGINT for its caller: for
        # `python server.py` that is a traceback and exit 130 after a clean stop. Ctrl-C
        # is how a user stops a server: exit quietly.
        log.info("%s stopped", settings.identity.name)


def uvicorn_config(host: str, port: int, log_level: str | None, given: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's options for `run()`: ours (no access log: the request log is ours;
    httptools with `HTTP_PROTOCOL`, uvloop) under whatever the caller passed."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": (log_level or "warning").lower(),
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        **given,
    }
    try:
        import httptools  # noqa: F401

        options.setdefault("http", HTTP_PROTOCOL)
    except ImportError:
        pass
    try:
        import uvloop  # noqa: F401

        options.setdefault("loop", "uvloop")
    except ImportError:
        pass
    return options


SECRET_ENV = "MCP_USE_STATE_SECRET"


def _warn_unshared(core: ServerCore, workers: int) -> None:
    """Several processes, no shared state: say loudly what breaks; share the secret at least."""
    if core.sealer.generated and not os.environ.get(SECRET_ENV):
        # The workers import the server again and read it, so modern-era retries work anywhere.
        os.environ[SECRET_ENV] = secrets.token_hex(32)
        core.sealer.use_secret(os.environ[SECRET_ENV])
    log.warning(
        "mcp_use: %d worker processes and no shared state: legacy-era (2025-11-25 and older) "
        "sessions break across processes -- a request that lands on another process than the "
        "one that ran `initialize` gets 404 'Session not found', and with it Last-Event-ID "
        "resumption, server-to-client requests (elicitation, sampling, roots), cancellation, "
        "subscriptions and list_changed notifications. Modern-era (2026-07-28) requests still "
        "work. Set MCPServer(state=RedisState(url)) or MCP_USE_REDIS_URL.",
        workers,
    )


def _preflight(core: ServerCore) -> None:
    """Refuse to start when the shared state disagrees (name or secret) or is unreachable."""
    from .state.redis import StateConflict

    try:
        asyncio.run(core.state.preflight(core.settings.identity.name, core.sealer))
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "redis":
            raise
        # One line with the fix, not a connection error: the extra is not installed.
        raise SystemExit(
            "mcp_use: RedisState needs the redis client, which is not installed: pip install 'mcp-use[redis]'"
        ) from None
    except StateConflict as exc:
        log.error("%s", exc)
        raise SystemExit(str(exc)) from None
    except Exception as exc:
        message = f"mcp_use: shared state unreachable at start-up: {exc}"
        log.error("%s", message)
        raise SystemExit(message) from None


def _run_stdio(stdio: Callable[[], Coroutine[Any, Any, None]]) -> None:
    try:
        import uvloop

        uvloop.run(stdio())
    except ImportError:
        asyncio.run(stdio())
    except KeyboardInterrupt:
        pass


def _import_string(owner: object, app_attr: str) -> tuple[str, str]:
    """`module:attr.app` for uvicorn to import in each worker or reloaded process."""
    main = sys.modules.get("__main__")
    env_target = os.environ.get("MCP_USE_APP")
    if env_target:
        return env_target, os.getcwd()
    for module_name, module in list(sys.modules.items()):
        if module is None or (module_name == "__main__" and module is not main):
            continue
        for attr, value in list(vars(module).items()):
            if value is owner:
                file = getattr(module, "__file__", None)
                if file is None:
                    continue
                path = Path(file).resolve()
                name = path.stem if module_name == "__main__" else module_name
                # The folder the module's top-level package (or the script) lives in.
                depth = module_name.count(".") if module_name != "__main__" else 0
                if path.name == "__init__.py":
                    depth += 1
                app_dir = str(path.parents[depth])
                return f"{name}:{attr}.{app_attr}", app_dir
    raise RuntimeError(
        "reload/workers need to import the server again: run it from a file "
        "(python server.py) or pass an import string to uvicorn"
    )
