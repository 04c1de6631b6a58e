"""What the facade's decorators hand the registries: a record's key now, its recipe for later.

Building a record (`make_tool`, `make_resource`, `make_prompt`) builds its schema with
pydantic, and importing pydantic is most of what `import mcp_use` plus defining a server
would cost. Decorated functions are therefore registered with `Registry.add_later`: the
key (the name, or the URI) at once, so the list order and `len` are those of the
decorators; the record at the registry's first read, which an HTTP app's build does
before serving (`MCPServer._build_app`), and a stdio server's first request that lists
or calls. `MCPServer.add_tool` and its siblings still build at once and return the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .prompts import make_prompt
from .registry import Features
from .resources import is_template, make_resource
from .tools import make_tool


def tool_later(features: Features, fn: Callable[..., Any], options: dict[str, Any]) -> None:
    features.tools.add_later(options.get("name") or fn.__name__, lambda: make_tool(fn, **options))


def resource_options(options: dict[str, Any]) -> dict[str, Any]:
    """`mimeType=` (the wire's spelling) is accepted for `mime_type=`."""
    if "mimeType" in options:
        options = dict(options)
        options["mime_type"] = options.pop("mimeType")
    return options


def resource_later(features: Features, fn: Callable[..., Any], uri: str, options: dict[str, Any]) -> None:
    options = resource_options(options)
    registry = features.templates if is_template(uri) else features.resources
    registry.add_later(uri, lambda: make_resource(fn, uri, **options))


def prompt_later(features: Features, fn: Callable[..., Any], options: dict[str, Any]) -> None:
    features.prompts.add_later(options.get("name") or fn.__name__, lambda: make_prompt(fn, **options))
