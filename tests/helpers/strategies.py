"""Hypothesis strategies the property tests share."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(*, int_bits: int = 70, text_size: int = 8, leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars (integers up to `int_bits` bits, beyond 64 included by
    default), and lists and objects of them, small enough to read in a failure."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**int_bits), 2**int_bits)
        | st.floats(allow_nan=False)
        | st.text(max_size=text_size)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
        max_leaves=leaves,
    )
