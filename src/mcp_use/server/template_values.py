"""Checks on resource template values before a user function sees them.

A template such as `file:///{+path}` hands the client's text to code like
`(BASE / path).read_text()`. Python's `Path` joins an absolute value by replacing the
base and resolves `..` segments on the file system, so a value that is absolute, walks
up, or carries a NUL byte escapes the directory the author meant. These checks refuse
such values (and their percent-encoded forms, decoded a few times over) with -32602
naming the parameter; `@server.resource(uri, path_checks=False)` opts one resource out.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..protocol.errors import INVALID_PARAMS, MCPError

_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_DECODE_ROUNDS = 3  # %252e%252e (double-encoded) still counts; deeper nesting is refused
_QUOTE_LIMIT = 120


def unsafe_reason(value: str) -> str | None:
    """Why `value` cannot be used as a path piece, or None when it is safe."""
    forms = [value]
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(forms[-1], errors="replace")
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    else:
        if unquote(forms[-1], errors="replace") != forms[-1]:
            return "it is percent-encoded too many times"
    for form in forms:
        if "\x00" in form:
            return "it contains a NUL byte"
        if form.startswith(("/", "\\")) or _DRIVE.match(form):
            return "it is an absolute path"
        if ".." in _SEPARATORS.split(form):
            return "it contains a '..' segment"
    return None


def check_values(values: dict[str, str]) -> None:
    """Refuse (-32602) the first unsafe template value, naming its parameter."""
    for name, value in values.items():
        reason = unsafe_reason(value)
        if reason is not None:
            shown = value if len(value) <= _QUOTE_LIMIT else value[:_QUOTE_LIMIT] + "..."
            raise MCPError(
                INVALID_PARAMS,
                f"Invalid value for URI parameter {name!r}: {reason} ({shown!r})",
                {"parameter": name},
            )
