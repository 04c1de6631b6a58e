"""Checks against modules the server never imports on its own: pydantic and the spec types.

A value cannot be an instance of a class nobody loaded. Until user code, or a schema
built for one of its functions, imported pydantic, nothing is a pydantic model; until
someone imported `mcp_use.types`, nothing is a spec content object. So these checks ask
`sys.modules` instead of importing, and `import mcp_use` plus building a server stays
free of both (pydantic's import is most of that cost; see `tests/test_import_cost.py`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


def spec_types() -> Any:
    """The spec types module (`mcp_use.protocol.types`) once anyone imported it, else None."""
    return sys.modules.get("mcp_use.protocol.types")


def _base_model() -> Any:
    main = sys.modules.get("pydantic.main")  # where `BaseModel` lives: loaded with any model
    return None if main is None else main.BaseModel


def is_model(value: Any) -> bool:
    """`value` is a pydantic model instance."""
    base = _base_model()
    return base is not None and isinstance(value, base)


def is_model_class(value: Any) -> bool:
    """`value` is a pydantic model class."""
    base = _base_model()
    return base is not None and isinstance(value, type) and issubclass(value, base)


def validation_error() -> type[ValidationError]:
    """pydantic's `ValidationError`, for `except validation_error() as exc:` around a
    validator's call. Python evaluates an `except` expression only once something was
    raised, so the success path pays nothing, and a validator exists only after its
    schema was built, i.e. after pydantic was imported: this import is a dict lookup."""
    from pydantic import ValidationError

    return ValidationError
