"""Mounting: serve another server's tools, prompts and resources through this one.

`parent.mount(child, prefix="billing")` adds an engine layer (`Engine.add_layer`) on
the parent: lists append the child's items, and a call to `billing_<name>` is handed
to the child's own handler with the prefix taken off. So the child's middleware, its
settings (`mask_errors`, page size) and its `ctx.server` stay the child's, and the
parent's middleware sees the prefixed name the client sent.

Tools and prompts get `<prefix>_<name>`. Resources and templates keep their URIs (a URI
already names its scheme; rewriting it would break links inside resource contents):
a URI the parent serves itself is the parent's, any other is asked of the child. The
mount is live: whatever the child's hub announces (list changes, `resources/updated`,
task status) the parent's hub announces too (`Hub.mirrors`), so resource subscriptions
on a mounted URI work on both eras. A task-capable tool of the child runs as a task of
the parent (`ServerRequest.task_handlers`): its record is in the parent's state, where
the client's `tasks/get` goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .request import ServerRequest

if TYPE_CHECKING:
    from .core import ServerCore

Handler = Callable[[ServerRequest], Awaitable[dict[str, Any]]]
LISTS = {
    "tools/list": "tools",
    "prompts/list": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}
NAMED = {"tools/call": "tools", "prompts/get": "prompts"}


class Mount:
    """One child under one prefix; `layer` is what the parent's engine composes."""

    def __init__(self, parent: ServerCore, child: ServerCore, prefix: str) -> None:
        if not prefix or not prefix.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"mount prefix must be letters, digits, '-' or '_', got {prefix!r}")
        self.parent = parent
        self.child = child
        self.prefix = f"{prefix}_"
        self._forward_changes()

    # ---- live -----------------------------------------------------------------------
    def _forward_changes(self) -> None:
        """Whatever the child announces (its registries' `list_changed`, its own
        `notify_list_changed()` / `notify_resource_updated()`, its tasks' status), the
        parent's hub announces to the parent's clients too."""
        child_hub, parent_hub = self.child.hub, self.parent.hub
        if parent_hub.reaches(child_hub):
            raise ValueError("mounting this server would make a cycle: it already mounts the parent")
        if parent_hub not in child_hub.mirrors:
            child_hub.mirrors.append(parent_hub)

    # ---- the layer ----------------------------------------------------------------
    def layer(self, method: str, handler: Handler, modern: bool) -> Handler:
        child_table = self.child.engine.modern_handlers if modern else self.child.engine.legacy_handlers
        if method in LISTS and method in child_table:
            return self._merged_list(method, handler, child_table)
        if method in NAMED:
            return self._named(method, handler, child_table)
        if method == "resources/read":
            return self._read(handler, child_table)
        if method == "completion/complete":
            return self._complete(handler, child_table)
        return handler

    def _merged_list(self, method: str, handler: Handler, child_table: dict[str, Handler]) -> Handler:
        key = LISTS[method]
        rename = key in ("tools", "prompts")

        async def merged(req: ServerRequest) -> dict[str, Any]:
            result = await handler(req)
            if result.get("nextCursor") is not None:
                return result  # the child's items follow the parent's last page
            items = list(result.get(key) or [])
            saved = req.params
            try:
                cursor = None
                while True:
                    req.params = {k: v for k, v in saved.items() if k != "cursor"}
                    if cursor is not None:
                        req.params["cursor"] = cursor
                    page = await child_table[method](req)
                    for item in page.get(key) or []:
                        items.append({**item, "name": self.prefix + item["name"]} if rename else item)
                    cursor = page.get("nextCursor")
                    if cursor is None:
                        break
            finally:
                req.params = saved
            return {**result, key: items}

        return merged

    def _named(self, method: str, handler: Handler, child_table: dict[str, Handler]) -> Handler:
        registry = getattr(self.child.features, NAMED[method])

        async def routed(req: ServerRequest) -> dict[str, Any]:
            name = req.params.get("name")
            if isinstance(name, str) and name.startswith(self.prefix):
                inner = name[len(self.prefix) :]
                if inner in registry:
                    if method == "tools/call" and req.task_handlers is None:  # an outer mount wins
                        req.task_handlers = self.parent.engine.tasks
                    return await _with_params(req, {**req.params, "name": inner}, child_table[method])
            return await handler(req)

        return routed

    def _read(self, handler: Handler, child_table: dict[str, Handler]) -> Handler:
        async def routed(req: ServerRequest) -> dict[str, Any]:
            uri = req.params.get("uri")
            if isinstance(uri, str) and not serves(self.parent, uri) and serves(self.child, uri):
                return await child_table["resources/read"](req)
            return await handler(req)

        return routed

    def _complete(self, handler: Handler, child_table: dict[str, Handler]) -> Handler:
        async def routed(req: ServerRequest) -> dict[str, Any]:
            ref = req.params.get("ref")
            if isinstance(ref, dict):
                name, uri = ref.get("name"), ref.get("uri")
                if isinstance(name, str) and name.startswith(self.prefix):
                    inner = name[len(self.prefix) :]
                    if inner in self.child.features.prompts:
                        params = {**req.params, "ref": {**ref, "name": inner}}
                        return await _with_params(req, params, child_table["completion/complete"])
                if isinstance(uri, str) and not serves(self.parent, uri) and serves(self.child, uri):
                    return await child_table["completion/complete"](req)
            return await handler(req)

        return routed


def serves(core: ServerCore, uri: str) -> bool:
    """True when `core` has the resource `uri` or a template matching it."""
    features = core.features
    if features.resources.get(uri) is not None:
        return True
    return any(template.match(uri) is not None for template in features.templates.values())


async def _with_params(req: ServerRequest, params: dict[str, Any], handler: Handler) -> dict[str, Any]:
    saved = req.params
    req.params = params
    try:
        return await handler(req)
    finally:
        req.params = saved
