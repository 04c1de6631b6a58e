"""The Node tools installed by scripts/setup.sh into ``.tools/``.

``node_tools()`` returns where they are: the Node 22 binary from npm's ``node``
package, ``node_modules/.bin`` (conformance, mcp-inspector, mcp-server-everything,
...) and ``env()`` to build a subprocess environment with that ``.bin`` first on
PATH, so ``#!/usr/bin/env node`` scripts run on Node 22, not the system Node.
Set ``MCP_USE_TOOLS_DIR`` to use another install than ``<repo>/.tools``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .process import REPO_ROOT, build_env

__all__ = ["NodeTools", "NodeToolsMissing", "node_tools"]

REQUIRED_NODE_MAJOR = 22


class NodeToolsMissing(RuntimeError):
    """``.tools`` is not installed (or holds the wrong Node); run scripts/setup.sh."""


@dataclass(frozen=True)
class NodeTools:
    root: Path  # .tools
    node_modules: Path  # .tools/node_modules
    bin_dir: Path  # .tools/node_modules/.bin
    node: Path  # .tools/node_modules/.bin/node (Node 22)
    node_version: str  # "v22.x.y"

    def bin(self, name: str) -> Path:
        """Path of an executable in ``.bin`` (e.g. ``conformance``); must exist."""
        path = self.bin_dir / name
        if not path.exists():
            raise NodeToolsMissing(f"{path} not found; run scripts/setup.sh")
        return path

    def package_dir(self, package: str) -> Path:
        """``node_modules/<package>`` (e.g. ``@modelcontextprotocol/server-everything``)."""
        path = self.node_modules / package
        if not path.is_dir():
            raise NodeToolsMissing(f"{path} not found; run scripts/setup.sh")
        return path

    def package_version(self, package: str) -> str:
        data = json.loads((self.package_dir(package) / "package.json").read_text())
        return data["version"]

    def env(
        self,
        overrides: Mapping[str, str | None] | None = None,
        *,
        base: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Environment with ``.bin`` first on PATH (so ``node`` is Node 22).

        ``overrides`` are applied last (None removes a variable). npm's update
        notifier and colors are switched off for clean logs.
        """
        env = build_env(None, base=base)
        env["PATH"] = os.pathsep.join([str(self.bin_dir), env.get("PATH", "")]).rstrip(os.pathsep)
        env.setdefault("NO_UPDATE_NOTIFIER", "1")
        env.setdefault("npm_config_update_notifier", "false")
        return build_env(overrides, base=env)


def _tools_root() -> Path:
    override = os.environ.get("MCP_USE_TOOLS_DIR")
    return Path(override).resolve() if override else REPO_ROOT / ".tools"


@functools.cache
def _load(root: Path) -> NodeTools:
    node_modules = root / "node_modules"
    bin_dir = node_modules / ".bin"
    node = bin_dir / "node"
    if not node.exists():
        raise NodeToolsMissing(f"{node} not found; run scripts/setup.sh to install .tools/")
    try:
        version = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise NodeToolsMissing(f"{node} does not run ({e}); run scripts/setup.sh") from e
    if not version.startswith(f"v{REQUIRED_NODE_MAJOR}."):
        raise NodeToolsMissing(
            f"{node} is {version}, expected Node {REQUIRED_NODE_MAJOR}; run scripts/setup.sh"
        )
    return NodeTools(root=root, node_modules=node_modules, bin_dir=bin_dir, node=node, node_version=version)


def node_tools() -> NodeTools:
    """The installed Node tools (cached). Raises NodeToolsMissing if not installed."""
    return _load(_tools_root())
