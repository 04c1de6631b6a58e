"""The `mcp-use` command.

mcp-use run server.py[:name] [--transport stdio|http|sse] [--host H] [--port P] [--reload] [--workers N]
mcp-use dev server.py[:name] [--host H] [--port P]     # debug routes + reload, prints the inspector URL
mcp-use list <config-or-url>
mcp-use call <config-or-url> <tool> key=value ...
mcp-use login <config-or-url> [server] [--no-browser]
mcp-use logout [<config-or-url> [server]]
mcp-use inspect <config-or-url> [server] | mcp-use inspect -- COMMAND ARGS
mcp-use proxy CONFIG|URL [SERVER] [--transport http|sse|stdio] [--host H] [--port P]
mcp-use proxy [--transport ...] [--port P] -- COMMAND ARGS...   # a bare stdio command
mcp-use proxy ... --auth-jwks-uri URL --auth-issuer ISS --auth-audience AUD [--required-scopes S]
                                                        # a protected front (cli_auth.py)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server.server import MCPServer

TRANSPORT_CHOICES = ["stdio", "http", "streamable-http", "sse"]


class CLIError(Exception):
    """A problem to report in one line, without a traceback."""


def split_target(target: str) -> tuple[Path, str | None]:
    """`path/to/server.py:name` -> (path, name); a Windows drive letter is not a name."""
    path, name = target, None
    head, sep, tail = target.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail and not tail.endswith(".py"):
        path, name = head, tail
    return Path(path), name


def load_server(target: str) -> MCPServer:
    """Import `server.py` as a module (its folder on `sys.path`) and find its MCPServer."""
    from .server.server import MCPServer

    path, name = split_target(target)
    if path.is_dir():
        path = path / "server.py"
    if not path.exists():
        raise CLIError(f"No such file: {path}")
    path = path.resolve()
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = path.stem
    existing = sys.modules.get(module_name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "").resolve() == path:
        module = existing
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise CLIError(f"Cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        # Registered under its own name: reload and workers import it again by that name.
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
    if name is not None:
        value: Any = module
        for part in name.split("."):
            value = getattr(value, part, None)
        if callable(value) and not isinstance(value, MCPServer):
            value = value()  # a factory
        if not isinstance(value, MCPServer):
            raise CLIError(f"{path.name}:{name} is not an MCPServer")
        return value
    found = {attr: v for attr, v in vars(module).items() if isinstance(v, MCPServer)}
    unique = {id(v): v for v in found.values()}
    if len(unique) == 1:
        return next(iter(unique.values()))
    if not unique:
        raise CLIError(f"No MCPServer instance in {path.name}; name one with {path.name}:<name>")
    names = ", ".join(sorted(found))
    raise CLIError(f"Several MCPServer instances in {path.name} ({names}); pick one with {path.name}:<name>")


def _set_debug_env(level: int) -> None:
    try:
        current = int(os.environ.get("DEBUG", "0") or 0)
    except ValueError:
        current = 0
    if current < level:
        os.environ["DEBUG"] = str(level)


def cmd_run(args: argparse.Namespace) -> int:
    if args.debug:
        _set_debug_env(max(1, args.debug))
    server = load_server(args.target)
    transport = "streamable-http" if args.transport == "http" else args.transport
    if transport == "stdio" and (args.reload or args.workers > 1):
        raise CLIError("--reload and --workers need an HTTP transport (--transport http)")
    if args.debug and server.debug_level < args.debug:
        server.debug_level = args.debug
    server.run(
        transport=transport,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        log_level=args.log_level,
    )
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    # Before the import: the server reads DEBUG when it is built, here and after each reload.
    _set_debug_env(2 if args.verbose else 1)
    server = load_server(args.target)
    server.debug_level = max(server.debug_level, 1)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{host}:{args.port}"
    print(
        f"\n  mcp-use dev: {server.name}\n"
        f"  MCP endpoint  {base}{server.mcp_path}\n"
        f"  Inspector     {base}{server.inspector_path}\n"
        f"  Docs          {base}{server.docs_path}\n"
        f"  Reloading on changes to *.py\n",
        file=sys.stderr,
        flush=True,
    )
    server.run(
        transport="streamable-http",
        host=args.host,
        port=args.port,
        reload=not args.no_reload,
        log_level=args.log_level,
    )
    return 0


def _client_command(name: str, *call_args: Any, **call_kwargs: Any) -> int:
    try:
        from .client import cli as client_cli
    except ImportError as exc:
        raise CLIError(f"`mcp-use {name.split('_')[0]}` needs mcp_use.client.cli ({exc})") from None
    outcome = getattr(client_cli, name)(*call_args, **call_kwargs)
    if inspect.isawaitable(outcome):
        outcome = asyncio.run(outcome)  # type: ignore[arg-type]
    return outcome if isinstance(outcome, int) else 0


def cmd_list(args: argparse.Namespace) -> int:
    return _client_command("list_command", args.target)


def cmd_call(args: argparse.Namespace) -> int:
    return _client_command("call_command", args.target, [args.tool, *args.arguments])


def cmd_login(args: argparse.Namespace) -> int:
    return _client_command(
        "login_command", args.target, args.server, open_browser=False if args.no_browser else None
    )


def cmd_logout(args: argparse.Namespace) -> int:
    return _client_command("logout_command", args.target, args.server)


def proxy_target(args: argparse.Namespace) -> Any:
    """The entry `mcp-use proxy` serves: a command after `--`, a URL, or a config file."""
    from .client import config as cfg
    from .client.errors import ConfigError
    from .server.proxy_target import target_entry

    if args.command_line:
        if args.target is not None:
            raise CLIError("give either CONFIG [SERVER] or -- COMMAND ARGS..., not both")
        return {"command": args.command_line[0], "args": args.command_line[1:]}
    if args.target is None:
        raise CLIError("mcp-use proxy needs CONFIG [SERVER], a URL, or -- COMMAND ARGS...")
    try:
        if args.target.startswith(("http://", "https://")):
            return target_entry(args.target)
        return target_entry(cfg.load_file(args.target), args.server, where=f" in {args.target}")
    except ConfigError as exc:
        raise CLIError(str(exc)) from None


def cmd_proxy(args: argparse.Namespace) -> int:
    from .cli_auth import AuthOptionError, server_options
    from .server.server import MCPServer

    try:
        auth = server_options(args)
    except AuthOptionError as exc:
        raise CLIError(str(exc)) from None
    front = MCPServer.as_proxy(proxy_target(args), name=args.name, **auth)
    front.run(transport=args.transport, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from . import inspect_command

    try:
        target = inspect_command.resolve(args.target, args.server, args.command_line)
    except inspect_command.InspectTargetError as exc:
        raise CLIError(str(exc)) from None
    from .server.ports import ensure_port_free

    ensure_port_free("127.0.0.1", args.port)
    inspect_command.serve(target, args.port, args.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="mcp-use", description="Run, develop and call MCP servers.")
    parser.add_argument("--version", action="version", version=f"mcp-use {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="{run,dev,list,call,login,logout,inspect,proxy}"
    )

    run = sub.add_parser(
        "run", help="run a server from a Python file", description="Run an MCPServer from a file."
    )
    run.add_argument("target", help="path/to/server.py, or path/to/server.py:name to pick the server object")
    run.add_argument("--transport", "-t", choices=TRANSPORT_CHOICES, default="stdio", help="default: stdio")
    run.add_argument("--host", default="0.0.0.0", help="HTTP host (default: 0.0.0.0)")
    run.add_argument("--port", "-p", type=int, default=8000, help="HTTP port (default: 8000)")
    run.add_argument("--reload", action="store_true", help="restart on .py changes (HTTP)")
    run.add_argument("--workers", "-w", type=int, default=1, help="worker processes (HTTP)")
    run.add_argument(
        "--debug",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="LEVEL",
        help="debug level (1: routes, 2: messages)",
    )
    run.add_argument("--log-level", default=None, help="log level of mcp_use and uvicorn")
    run.set_defaults(func=cmd_run)

    dev = sub.add_parser(
        "dev",
        help="run a server with the inspector and auto-reload",
        description="Develop a server: debug routes on, reload on.",
    )
    dev.add_argument("target", help="path/to/server.py[:name]")
    dev.add_argument("--host", default="127.0.0.1", help="HTTP host (default: 127.0.0.1)")
    dev.add_argument("--port", "-p", type=int, default=8000, help="HTTP port (default: 8000)")
    dev.add_argument("--no-reload", action="store_true", help="do not restart on changes")
    dev.add_argument("--verbose", "-v", action="store_true", help="also log every JSON-RPC message (DEBUG=2)")
    dev.add_argument("--log-level", default=None, help="log level of mcp_use and uvicorn")
    dev.set_defaults(func=cmd_dev)

    lst = sub.add_parser("list", help="list a server's tools, resources and prompts")
    lst.add_argument("target", help="a config.json path or a server URL")
    lst.set_defaults(func=cmd_list)

    call = sub.add_parser("call", help="call a tool: mcp-use call <config-or-url> <tool> key=value ...")
    call.add_argument("target", help="a config.json path or a server URL")
    call.add_argument("tool", help="the tool's name")
    call.add_argument("arguments", nargs="*", help="key=value arguments")
    call.set_defaults(func=cmd_call)

    login = sub.add_parser("login", help="authorize with an OAuth-protected server and store the tokens")
    login.add_argument("target", help="a config.json path or a server URL")
    login.add_argument("server", nargs="?", help="one server of the config (default: all with OAuth)")
    login.add_argument("--no-browser", action="store_true", help="print the URL and read the pasted redirect")
    login.set_defaults(func=cmd_login)

    logout = sub.add_parser("logout", help="forget stored OAuth tokens (all of them without a target)")
    logout.add_argument("target", nargs="?", help="a config.json path or a server URL")
    logout.add_argument("server", nargs="?", help="one server of the config")
    logout.set_defaults(func=cmd_logout)

    inspect_ = sub.add_parser(
        "inspect",
        help="open the inspector on any server: a URL, a config entry, or -- COMMAND ARGS",
        description="Serve the web inspector on 127.0.0.1, pointed at an HTTP or stdio MCP server.",
    )
    inspect_.add_argument("target", nargs="?", help="a server URL or a config.json path")
    inspect_.add_argument("server", nargs="?", help="the config entry (when the file has several)")
    inspect_.add_argument("--port", "-p", type=int, default=6274, help="inspector port (default: 6274)")
    inspect_.add_argument("--log-level", default=None, help="log level of mcp_use and uvicorn")
    inspect_.set_defaults(func=cmd_inspect, command_line=[])

    proxy = sub.add_parser(
        "proxy",
        help="serve another MCP server through this one: mcp-use proxy CONFIG [SERVER] | -- COMMAND ARGS...",
        description="Serve a stdio command, a config entry or a URL over any transport.",
    )
    proxy.add_argument("target", nargs="?", help="a config.json path or a server URL")
    proxy.add_argument("server", nargs="?", help="the config entry to serve (when it has several)")
    proxy.add_argument("--transport", "-t", choices=TRANSPORT_CHOICES, default="http", help="default: http")
    proxy.add_argument("--host", default="127.0.0.1", help="HTTP host (default: 127.0.0.1)")
    proxy.add_argument("--port", "-p", type=int, default=8000, help="HTTP port (default: 8000)")
    proxy.add_argument("--name", default="mcp-use-proxy", help="the proxy's server name")
    proxy.add_argument("--log-level", default=None, help="log level of mcp_use and uvicorn")
    from .cli_auth import add_arguments as add_auth_arguments

    add_auth_arguments(proxy)
    proxy.set_defaults(func=cmd_proxy, command_line=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    command_line: list[str] = []
    if argv[:1] in (["proxy"], ["inspect"]) and "--" in argv:
        # `mcp-use proxy|inspect [options] -- npx server --flag`: everything after `--` is the command.
        cut = argv.index("--")
        argv, command_line = argv[:cut], argv[cut + 1 :]
        if not command_line:
            parser.error(f"{argv[0]}: nothing after --; give COMMAND ARGS...")
    args = parser.parse_args(argv)
    if command_line:
        args.command_line = command_line
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"mcp-use: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
