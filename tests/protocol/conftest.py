"""Unit tests of the protocol layer run against this checkout when mcp_use is not installed."""

from __future__ import annotations

import importlib.util
import sys

from tests.helpers import REPO_ROOT

if importlib.util.find_spec("mcp_use") is None:
    sys.path.insert(0, str(REPO_ROOT / "src"))
