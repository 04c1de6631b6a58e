"""Debug routes (`debug=True` or DEBUG>=1) and JSON-RPC message logging (DEBUG>=2).

- `openmcp_path`: the machine-readable description of the server (`describe()`).
- `docs_path`: an HTML page documenting every tool, resource, template and prompt.
- `inspector_path`: a small web app (plain ES modules under `static/inspector/`, no
  build step, no CDN) that talks to this or any MCP server (other origins through the
  proxy route beside it, `inspector_proxy.py`).
- `JsonRpcLogger`: ASGI middleware around the MCP endpoints that logs every JSON-RPC
  message in and out; installed only when the debug level is 2 or more.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

if TYPE_CHECKING:
    from ..core import ServerCore

STATIC_DIR = Path(__file__).resolve().parent / "static"
INSPECTOR_DIR = STATIC_DIR / "inspector"
jsonrpc_log = logging.getLogger("mcp_use.server.jsonrpc")


# ---- /openmcp.json --------------------------------------------------------------------
def describe(core: ServerCore) -> dict[str, Any]:
    """Everything `tools/list`, `resources/list` and friends would return, in one document."""
    identity = core.settings.identity
    info: dict[str, Any] = {"title": identity.name, "version": identity.version}
    if identity.instructions or identity.info.get("description"):
        info["description"] = identity.info.get("description") or identity.instructions
    features = core.features
    return {
        "openmcp": "1.0",
        "info": info,
        "capabilities": core.engine.capabilities(modern=False),  # what a handshake sees
        "tools": [t.wire for t in features.tools.values()],
        "resources": [r.wire for r in features.resources.values()],
        "resources_templates": [t.wire for t in features.templates.values()],
        "prompts": [p.wire for p in features.prompts.values()],
    }


# ---- /docs ----------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/$defs/X`) once; hand-written schemas may use them."""
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        merged = dict(target) if isinstance(target, dict) else {}
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return merged
    return schema


def _non_null(schema: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`X | None` (anyOf with null) -> (X, nullable)."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            rest = [
                _resolve(o, root) for o in options if not (isinstance(o, dict) and o.get("type") == "null")
            ]
            if len(rest) == 1 and len(rest) < len(options):
                merged = {k: v for k, v in schema.items() if k != key}
                merged.update(rest[0])
                return merged, True
    return schema, False


def type_label(schema: Any, root: dict[str, Any] | None = None) -> str:
    """A short human name for a JSON Schema: `string`, `integer`, `array of number`, ..."""
    root = root if root is not None else (schema if isinstance(schema, dict) else {})
    schema = _resolve(schema, root)
    if not schema:
        return "any"
    schema, nullable = _non_null(schema, root)
    suffix = " or null" if nullable else ""
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"]) + suffix
    if "const" in schema:
        return "constant " + json.dumps(schema["const"]) + suffix
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " or ".join(type_label(o, root) for o in schema[key]) + suffix
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind) + suffix
    if kind == "array":
        items = schema.get("items")
        return (f"array of {type_label(items, root)}" if items else "array") + suffix
    if kind == "string" and schema.get("format"):
        return f"string ({schema['format']})" + suffix
    if kind is None and "properties" in schema:
        kind = "object"
    return str(kind or "any") + suffix


def _param_rows(schema: dict[str, Any], root: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    rows: list[str] = []
    schema = _resolve(schema, root)
    props = schema.get("properties")
    if not isinstance(props, dict):
        return rows
    required = set(schema.get("required") or [])
    for name, raw in props.items():
        prop = _resolve(raw, root)
        inner, _ = _non_null(prop, root)
        default = (
            f"<code>{_e(json.dumps(prop['default'], ensure_ascii=False))}</code>" if "default" in prop else ""
        )
        description = prop.get("description") or inner.get("description") or ""
        rows.append(
            "<tr>"
            f'<td data-label="Name"><code>{_e(prefix + name)}</code></td>'
            f'<td data-label="Type">{_e(type_label(prop, root))}</td>'
            f'<td data-label="Required">{"yes" if name in required else "no"}</td>'
            f'<td data-label="Default">{default}</td>'
            f'<td data-label="Description">{_e(description)}</td>'
            "</tr>"
        )
        if depth < 4:
            if inner.get("type") == "object" or "properties" in inner:
                rows.extend(_param_rows(inner, root, f"{prefix}{name}.", depth + 1))
            elif inner.get("type") == "array":
                items = _resolve(inner.get("items") or {}, root)
                if "properties" in items:
                    rows.extend(_param_rows(items, root, f"{prefix}{name}[].", depth + 1))
    return rows


def _params_table(schema: dict[str, Any]) -> str:
    rows = _param_rows(schema, schema)
    if not rows:
        return '<p class="muted">No parameters.</p>'
    return (
        '<table class="params"><thead><tr><th>Name</th><th>Type</th><th>Required</th>'
        "<th>Default</th><th>Description</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _json_block(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return f"<pre><code>{_e(text)}</code></pre>"


def _anchor(kind: str, name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return f"{kind}-{safe}"


def _heading(kind: str, item: dict[str, Any], extra: str = "") -> str:
    name = item.get("name") or ""
    title = item.get("title")
    sub = f' <span class="muted">{_e(title)}</span>' if title and title != name else ""
    return (
        f'<article class="card" id="{_e(_anchor(kind, name))}"><h3><code>{_e(name)}</code>{sub}</h3>'
        + extra
        + (f'<p class="desc">{_e(item["description"])}</p>' if item.get("description") else "")
    )


def _tool_card(item: dict[str, Any]) -> str:
    badges = ""
    annotations = item.get("annotations") or {}
    for key in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
        if annotations.get(key):
            badges += f'<span class="badge">{_e(key.removesuffix("Hint"))}</span>'
    out = _heading("tool", item, f'<div class="badges">{badges}</div>' if badges else "")
    out += "<h4>Parameters</h4>" + _params_table(item.get("inputSchema") or {})
    if item.get("outputSchema"):
        out += "<h4>Output</h4>" + _params_table(item["outputSchema"])
        out += "<details><summary>Output schema (JSON)</summary>" + _json_block(item["outputSchema"])
        out += "</details>"
    out += "<details><summary>Input schema (JSON)</summary>" + _json_block(item.get("inputSchema") or {})
    out += "</details></article>"
    return out


def _resource_card(item: dict[str, Any]) -> str:
    uri = item.get("uri") or item.get("uriTemplate") or ""
    meta = f'<p class="uri"><code>{_e(uri)}</code>'
    if item.get("mimeType"):
        meta += f' <span class="badge">{_e(item["mimeType"])}</span>'
    meta += "</p>"
    return _heading("resource" if "uri" in item else "template", item, meta) + "</article>"


def _prompt_card(item: dict[str, Any]) -> str:
    out = _heading("prompt", item)
    arguments = item.get("arguments") or []
    if arguments:
        rows = "".join(
            "<tr>"
            f'<td data-label="Name"><code>{_e(a.get("name"))}</code></td>'
            f'<td data-label="Required">{"yes" if a.get("required") else "no"}</td>'
            f'<td data-label="Description">{_e(a.get("description") or "")}</td>'
            "</tr>"
            for a in arguments
        )
        out += (
            '<h4>Arguments</h4><table class="params"><thead><tr><th>Name</th><th>Required</th>'
            f"<th>Description</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        out += '<p class="muted">No arguments.</p>'
    return out + "</article>"


def render_docs(core: ServerCore, *, inspector_url: str | None, openmcp_url: str, mcp_url: str) -> str:
    doc = describe(core)
    info = doc["info"]
    parts: list[str] = []
    toc: list[str] = []

    def section(kind: str, title: str, items: list[dict[str, Any]], render: Any) -> None:
        if not items:
            return
        links = "".join(
            f'<li><a href="#{_e(_anchor(kind, item.get("name") or ""))}">{_e(item.get("name"))}</a></li>'
            for item in items
        )
        toc.append(f"<h3>{_e(title)}</h3><ul>{links}</ul>")
        parts.append(
            f'<section id="{_e(kind)}s"><h2>{_e(title)} <span class="count">{len(items)}</span></h2>'
        )
        for item in items:
            parts.append(render(item))
        parts.append("</section>")

    section("tool", "Tools", doc["tools"], _tool_card)
    section("resource", "Resources", doc["resources"], _resource_card)
    section("template", "Resource templates", doc["resources_templates"], _resource_card)
    section("prompt", "Prompts", doc["prompts"], _prompt_card)
    if not parts:
        parts.append('<p class="muted">This server registers no tools, resources or prompts yet.</p>')

    links = [f'<a href="{_e(openmcp_url)}">openmcp.json</a>']
    if inspector_url:
        links.insert(0, f'<a href="{_e(inspector_url)}">Inspector</a>')
    description = f'<p class="lead">{_e(info["description"])}</p>' if info.get("description") else ""
    css = (STATIC_DIR / "docs.css").read_text(encoding="utf-8")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(info['title'])} — MCP docs</title><style>{css}</style></head><body>"
        f'<header><div class="wrap"><h1>{_e(info["title"])} <span class="version">v{_e(info["version"])}</span>'
        f'</h1>{description}<p class="endpoint">MCP endpoint: <code>{_e(mcp_url)}</code> · '
        + " · ".join(links)
        + "</p></div></header>"
        f'<div class="wrap layout"><nav class="toc">{"".join(toc)}</nav><main>{"".join(parts)}</main></div>'
        "</body></html>"
    )


# ---- routes ---------------------------------------------------------------------------
def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path") or "").rstrip("/")


def inspector_page(assets_url: str, config: dict[str, Any], title: str) -> HTMLResponse:
    """The inspector's HTML with its settings (`config`) inlined; `mcp-use inspect` uses it too."""
    page = (INSPECTOR_DIR / "index.html").read_text(encoding="utf-8")
    # `</` cannot close the script: orjson leaves `/` alone, so escape `<` by hand.
    config_json = orjson.dumps(config).decode().replace("<", "\\u003c")
    page = page.replace("{{ASSETS}}", html.escape(assets_url, quote=True))
    page = page.replace("{{CONFIG}}", config_json)
    page = page.replace("{{TITLE}}", html.escape(title))
    return HTMLResponse(page, headers={"cache-control": "no-store"})


def debug_routes(core: ServerCore, *, sse_only: bool = False) -> list[BaseRoute]:
    """The debug pages; `sse_only` when the app serves the legacy SSE transport, not /mcp."""
    from .inspector_login import login_routes

    paths = core.settings.paths
    name = core.settings.identity.name

    async def openmcp(request: Request) -> JSONResponse:
        return JSONResponse(describe(core))

    async def docs(request: Request) -> HTMLResponse:
        root = _prefix(request)
        page = render_docs(
            core,
            inspector_url=root + paths.inspector,
            openmcp_url=root + paths.openmcp,
            mcp_url=str(request.base_url).rstrip("/") + paths.mcp,
        )
        return HTMLResponse(page)

    inspector_root = paths.inspector.rstrip("/")
    assets_path = inspector_root + "/assets"
    proxy_path = inspector_root + "/proxy"

    async def inspector(request: Request) -> HTMLResponse:
        root = _prefix(request)
        config = {
            "mcpPath": root + (paths.sse if sse_only else paths.mcp),
            "transport": "sse" if sse_only else "http",
            "proxyPath": root + proxy_path,
            "docsPath": root + paths.docs,
            "openmcpPath": root + paths.openmcp,
            "serverName": name,
        }
        return inspector_page(root + assets_path, config, name)

    routes: list[BaseRoute] = [
        Route(paths.openmcp, endpoint=openmcp, methods=["GET"]),
        Route(paths.docs, endpoint=docs, methods=["GET"]),
        Route(inspector_root or "/", endpoint=inspector, methods=["GET"]),
        Mount(assets_path, app=StaticFiles(directory=INSPECTOR_DIR), name="mcp_use_inspector_assets"),
        *login_routes(proxy_path, core.guard, lifecycle=core.lifecycle)[0],
    ]
    if inspector_root:
        routes.append(Route(inspector_root + "/", endpoint=inspector, methods=["GET"]))
    return routes


# ---- DEBUG=2: every JSON-RPC message ----------------------------------------------------
def format_message(message: Any, pretty: bool) -> str:
    if pretty:
        return orjson.dumps(message, option=orjson.OPT_INDENT_2).decode()
    return orjson.dumps(message).decode()


def log_message(direction: str, payload: bytes | Any, pretty: bool, where: str = "") -> None:
    """Log one message (`direction` is `<-` for in, `->` for out); bytes are parsed first."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        raw = bytes(payload).strip()
        if not raw:
            return
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            jsonrpc_log.info("%s %s(not JSON) %s", direction, where, raw[:2000].decode("utf-8", "replace"))
            return
    text = format_message(payload, pretty)
    jsonrpc_log.info("%s %s%s", direction, where, ("\n" + text) if pretty else text)


class JsonRpcLogger:
    """Wraps an MCP endpoint's ASGI app; logs request bodies and JSON or SSE answers."""

    def __init__(self, app: Any, pretty: bool = False, where: str = "") -> None:
        self.app = app
        self.pretty = pretty
        self.where = f"[{where}] " if where else ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        inbound = bytearray()
        pretty = self.pretty
        where = self.where
        session = ""
        for key, value in scope.get("headers") or ():
            if key == b"mcp-session-id":
                session = value.decode("latin-1")[:8]
        if not session:
            query = scope.get("query_string") or b""
            if b"session_id=" in query:
                session = query.split(b"session_id=", 1)[1].split(b"&", 1)[0].decode("latin-1")[:8]
        label = where + (f"session={session} " if session else "")

        async def logged_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                inbound.extend(message.get("body", b""))
                if not message.get("more_body") and inbound:
                    log_message("<-", bytes(inbound), pretty, label)
            return message

        state: dict[str, Any] = {"kind": None, "buffer": bytearray(), "status": 200}

        async def logged_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message.get("status", 200)
                for key, value in message.get("headers") or ():
                    if key.lower() == b"content-type":
                        ctype = value.decode("latin-1")
                        if "event-stream" in ctype:
                            state["kind"] = "sse"
                        elif "json" in ctype:
                            state["kind"] = "json"
            elif message["type"] == "http.response.body" and state["kind"]:
                buffer: bytearray = state["buffer"]
                buffer.extend(message.get("body", b""))
                if state["kind"] == "json":
                    if not message.get("more_body"):
                        status = state["status"]
                        log_message(
                            "->", bytes(buffer), pretty, label + (f"HTTP {status} " if status >= 400 else "")
                        )
                        buffer.clear()
                else:
                    _drain_sse(buffer, pretty, label)
            await send(message)

        await self.app(scope, logged_receive, logged_send)


def _drain_sse(buffer: bytearray, pretty: bool, label: str) -> None:
    """Log each complete SSE event's data in `buffer`; keep the incomplete tail."""
    normalized = bytes(buffer).replace(b"\r\n", b"\n")
    *events, tail = normalized.split(b"\n\n")
    buffer[:] = tail
    for event in events:
        data = [line[5:].lstrip() for line in event.split(b"\n") if line.startswith(b"data:")]
        name = next((line[6:].strip() for line in event.split(b"\n") if line.startswith(b"event:")), b"")
        if not data:
            continue
        payload = b"\n".join(data)
        if name == b"endpoint":  # legacy SSE: the POST URL, not a message
            jsonrpc_log.info("-> %sendpoint %s", label, payload.decode("utf-8", "replace"))
            continue
        log_message("->", payload, pretty, label)
