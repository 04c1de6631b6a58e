"""`server.run()`: pick the transport, set up logging, hand HTTP to uvicorn."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import MCPServer

TRANSPORTS = {"stdio": "stdio", "streamable-http": "http", "http": "http", "sse": "sse"}
log = logging.getLogger("mcp_use.server")


def configure_logging(level: str | None, debug_level: int) -> None:
    """Clean request lines on stderr, unless the user configured logging themselves."""
    package = logging.getLogger("mcp_use")
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    package.addHandler(handler)
    package.propagate = False
    if level:
        package.setLevel(level.upper())
    else:
        package.setLevel(logging.DEBUG if debug_level >= 2 else logging.INFO)


def run(
    server: MCPServer,
    transport: str,
    *,
    host: str,
    port: int,
    reload: bool,
    workers: int,
    log_level: str | None,
    **uvicorn_options: Any,
) -> None:
    kind = TRANSPORTS.get(transport)
    if kind is None:
        raise ValueError(f"Unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
    configure_logging(log_level, server.debug_level)
    if kind == "stdio":
        _run_stdio(server)
        return
    import uvicorn

    server._sealer.warn_if_generated(workers)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": (log_level or "warning").lower(),
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        **uvicorn_options,
    }
    try:
        import httptools  # noqa: F401

        options.setdefault("http", "httptools")
    except ImportError:
        pass
    try:
        import uvloop  # noqa: F401

        options.setdefault("loop", "uvloop")
    except ImportError:
        pass
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    path = server.mcp_path if kind == "http" else server.sse_path
    log.info("%s serving MCP at http://%s:%s%s", server.name, url_host, port, path)
    if server.debug:
        log.info("Inspector: http://%s:%s%s", url_host, port, server.inspector_path)
    if reload or workers > 1:
        target, app_dir = _import_string(server, kind)
        if reload:
            options.setdefault("reload_dirs", [app_dir])
            options.setdefault("reload_includes", ["*.py"])
        uvicorn.run(target, app_dir=app_dir, reload=reload, workers=None if reload else workers, **options)
        return
    app = server.app if kind == "http" else server.sse_app()
    uvicorn.run(app, **options)


def _run_stdio(server: MCPServer) -> None:
    try:
        import uvloop

        uvloop.run(server.run_stdio_async())
    except ImportError:
        asyncio.run(server.run_stdio_async())
    except KeyboardInterrupt:
        pass


def _import_string(server: MCPServer, kind: str) -> tuple[str, str]:
    """`module:attr.app` for uvicorn to import in each worker or reloaded process."""
    main = sys.modules.get("__main__")
    env_target = os.environ.get("MCP_USE_APP")
    if env_target:
        return env_target, os.getcwd()
    for module_name, module in list(sys.modules.items()):
        if module is None or (module_name == "__main__" and module is not main):
            continue
        for attr, value in list(vars(module).items()):
            if value is server:
                file = getattr(module, "__file__", None)
                if file is None:
                    continue
                path = Path(file).resolve()
                name = path.stem if module_name == "__main__" else module_name
                app_dir = str(path.parent) if module_name == "__main__" else os.getcwd()
                suffix = "app" if kind == "http" else "sse_app()"
                if suffix.endswith("()"):
                    raise ValueError("reload and workers need transport='streamable-http'")
                return f"{name}:{attr}.{suffix}", app_dir
    raise RuntimeError(
        "reload/workers need to import the server again: run it from a file "
        "(python server.py) or pass an import string to uvicorn"
    )
