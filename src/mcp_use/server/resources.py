"""Resources with fixed URIs and RFC 6570 URI templates, and what a read returns."""

from __future__ import annotations

import base64
import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..protocol.errors import INVALID_PARAMS, MCPError
from .loaded import spec_types, validation_error
from .template_values import check_values
from .tools import to_json_text
from .wire import icons_wire, with_fields

if TYPE_CHECKING:  # pydantic loads with the first schema built (`make_resource`), not before
    from . import schema as schemas

_VAR = re.compile(r"\{([+#./;?&]?)([A-Za-z0-9_,*]+)\}")


def is_template(uri: str) -> bool:
    return _VAR.search(uri) is not None


def compile_template(template: str) -> tuple[re.Pattern[str], list[str]]:
    """A regex that matches URIs of an RFC 6570 template (levels 1-3, as servers use them)."""
    names: list[str] = []
    pattern = ""
    pos = 0
    for match in _VAR.finditer(template):
        pattern += re.escape(template[pos : match.start()])
        operator, spec = match.group(1), match.group(2)
        vars_ = [v.rstrip("*") for v in spec.split(",")]
        if operator in ("+", "#"):
            part = "(?P<{}>.+?)"
        elif operator in ("?", "&"):
            pieces = [f"{v}=(?P<{v}>[^&]*)" for v in vars_]
            pattern += ("\\?" if operator == "?" else "&") + "&".join(pieces)
            names.extend(vars_)
            pos = match.end()
            continue
        else:
            part = "(?P<{}>[^/?#]+)"
        prefix = {"": "", ".": "\\.", "/": "/", ";": ";"}.get(operator, "")
        sep = {"": ",", ".": "\\.", "/": "/", ";": ";"}.get(operator, ",")
        pattern += prefix + sep.join(part.format(v) for v in vars_)  # type: ignore[union-attr]
        names.extend(vars_)
        pos = match.end()
    pattern += re.escape(template[pos:])
    return re.compile(f"^{pattern}$"), names


@dataclasses.dataclass(slots=True, eq=False)
class Resource:
    fn: Callable[..., Any]
    uri: str
    name: str
    title: str | None
    description: str | None
    mime_type: str | None
    annotations: dict[str, Any] | None
    icons: list[dict[str, Any]] | None
    meta: dict[str, Any] | None
    size: int | None
    signature: schemas.Signature
    pattern: re.Pattern[str] | None = None
    path_checks: bool = True
    scopes: tuple[str, ...] = ()  # needed to call it on a protected server
    wire: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wire = with_fields(
            {"uriTemplate" if self.pattern else "uri": self.uri, "name": self.name},
            ("title", self.title),
            ("description", self.description),
            ("mimeType", self.mime_type),
            ("size", self.size),
            ("annotations", self.annotations),
            ("icons", self.icons),
            ("_meta", self.meta),
        )

    @property
    def is_template(self) -> bool:
        return self.pattern is not None

    def match(self, uri: str) -> dict[str, str] | None:
        if self.pattern is None:
            return {} if uri == self.uri else None
        m = self.pattern.match(uri)
        return m.groupdict() if m else None

    def bind(self, values: dict[str, str]) -> dict[str, Any]:
        """Template values as the function's arguments; unsafe path values refused first."""
        if self.path_checks:
            check_values(values)
        try:
            model = self.signature.model.model_validate(values)
        except validation_error() as exc:  # evaluated only when the validator raised
            raise MCPError(
                INVALID_PARAMS, f"Invalid resource URI parameters: {exc.errors()[0]['msg']}"
            ) from None
        return {name: model.__dict__[name] for name in self.signature.params}

    def contents(self, uri: str, value: Any) -> list[dict[str, Any]]:
        """The `contents` of a read: str is text, bytes a base64 blob, models as given."""
        types = spec_types()
        kinds: tuple[type, ...] = (dict,)
        if types is not None:
            kinds = (types.TextResourceContents, types.BlobResourceContents, dict)
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, kinds) for v in value):
            return [self._one(uri, v) for v in value]
        return [self._one(uri, value)]

    def _one(self, uri: str, value: Any) -> dict[str, Any]:
        if hasattr(value, "to_wire"):
            return value.to_wire()
        if isinstance(value, dict) and ("text" in value or "blob" in value):
            return {"uri": uri, **value}
        item: dict[str, Any] = {"uri": uri}
        if isinstance(value, (bytes, bytearray, memoryview)):
            item["mimeType"] = self.mime_type or "application/octet-stream"
            item["blob"] = base64.b64encode(bytes(value)).decode()
            return item
        if isinstance(value, str):
            text = value
        else:
            text = to_json_text(value)
        item["mimeType"] = self.mime_type or ("text/plain" if isinstance(value, str) else "application/json")
        item["text"] = text
        return item


def make_resource(
    fn: Callable[..., Any],
    uri: str,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    mime_type: str | None = None,
    annotations: Any = None,
    icons: list[Any] | None = None,
    meta: dict[str, Any] | None = None,
    size: int | None = None,
    path_checks: bool = True,
    scopes: list[str] | None = None,
) -> Resource:
    from . import schema as schemas

    signature = schemas.analyse(fn)
    pattern = None
    if is_template(uri):
        pattern, names = compile_template(uri)
        missing = [p for p in signature.params if p not in names and _required(signature, p)]
        if missing:
            raise ValueError(f"Resource template {uri!r} lacks parameters {missing} of {fn.__name__}")
    elif signature.params and any(_required(signature, p) for p in signature.params):
        raise ValueError(f"Resource {uri!r} has no URI parameters, but {fn.__name__} requires arguments")
    if annotations is not None and hasattr(annotations, "to_wire"):
        annotations = annotations.to_wire()
    return Resource(
        fn=fn,
        uri=uri,
        name=name or getattr(fn, "__name__", uri),
        title=title,
        description=description if description is not None else inspect.getdoc(fn),
        mime_type=mime_type,
        annotations=annotations,
        icons=icons_wire(icons),
        meta=meta,
        size=size,
        signature=signature,
        pattern=pattern,
        path_checks=path_checks,
        scopes=tuple(scopes or ()),
    )


def _required(signature: schemas.Signature, name: str) -> bool:
    return signature.model.model_fields[name].is_required()
