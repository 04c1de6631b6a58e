"""`WWW-Authenticate` parsing: a table of real challenges, and a property that it never fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_use.client.auth import challenge

CASES = [
    (
        'Bearer resource_metadata="http://x/.well-known/oauth-protected-resource/mcp"',
        "bearer",
        {"resource_metadata": "http://x/.well-known/oauth-protected-resource/mcp"},
    ),
    (
        'Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="http://x/prm"',
        "bearer",
        {"error": "insufficient_scope", "scope": "mcp:read mcp:write", "resource_metadata": "http://x/prm"},
    ),
    ('DPoP error="use_dpop_nonce", resource_metadata="http://x/prm"', "dpop", {"error": "use_dpop_nonce"}),
    ("Bearer realm=example, error=invalid_token", "bearer", {"realm": "example", "error": "invalid_token"}),
    ('Bearer error_description="a \\"quoted\\" word"', "bearer", {"error_description": 'a "quoted" word'}),
    ('Basic realm="x", Bearer scope="a"', "bearer", {"scope": "a"}),  # the Bearer one is picked
    ("bearer", "bearer", {}),
]


@pytest.mark.parametrize(("header", "scheme", "params"), CASES)
def test_challenges(header: str, scheme: str, params: dict[str, str]) -> None:
    picked = challenge.pick(header)
    assert picked is not None and picked.scheme == scheme
    for key, value in params.items():
        assert picked.params[key] == value


def test_scopes_and_several_challenges() -> None:
    found = challenge.parse('DPoP algs="ES256", Bearer scope="a b", error="insufficient_scope"')
    assert [c.scheme for c in found] == ["dpop", "bearer"]
    assert found[1].scopes == ["a", "b"] and found[1].error == "insufficient_scope"
    assert challenge.pick(None) is None and challenge.pick("") is None


@given(st.text(max_size=300))
def test_never_raises(header: str) -> None:
    for c in challenge.parse(header):
        assert c.scheme == c.scheme.lower() and isinstance(c.params, dict)
