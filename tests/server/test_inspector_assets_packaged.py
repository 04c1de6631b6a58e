"""Every file the inspector page loads is one the wheel ships (no wheel build needed).

The wheel is built by hatchling from `[tool.hatch.build.targets.wheel] packages =
["src/mcp_use"]`: every file under the package goes in, except what `.gitignore` or an
`exclude` / `only-include` setting leaves out. So the check is, without building:
the page's asset graph (index.html's `{{ASSETS}}/...`, then every relative ES module
`import ... from "./x.js"`, followed transitively) names only files that exist in the
static folder, and none of the static files is dropped by those settings. A new
`signin.js` forgotten on disk, or a `.gitignore` line such as `*.js`, fails here.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "mcp_use"
STATIC = PACKAGE / "server" / "http" / "static"
INSPECTOR = STATIC / "inspector"
ASSET = re.compile(r"\{\{ASSETS\}\}/([\w./-]+)")
IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*["'](\./[\w./-]+)["']""")


def page_assets() -> set[Path]:
    """index.html and everything it loads, transitively."""
    index = INSPECTOR / "index.html"
    found = {index}
    todo = [INSPECTOR / name for name in ASSET.findall(index.read_text())]
    while todo:
        path = todo.pop().resolve()
        if path in found:
            continue
        found.add(path)
        assert path.is_file(), f"the inspector loads {path.relative_to(INSPECTOR)}, which does not exist"
        if path.suffix == ".js":
            todo += [(path.parent / rel) for rel in IMPORT.findall(path.read_text())]
    return found


def ignored(rel: str, patterns: list[str]) -> bool:
    """.gitignore semantics for the simple patterns this repo uses (names, globs, dirs/)."""
    parts = rel.split("/")
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith(("#", "!")):
            continue
        directory = pattern.endswith("/")
        pattern = pattern.strip("/")
        candidates = parts[:-1] if directory else parts
        if "/" in pattern:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
                return True
        elif any(fnmatch.fnmatch(p, pattern) for p in candidates):
            return True
    return False


def test_the_page_loads_only_files_that_exist() -> None:
    assets = page_assets()
    names = {p.name for p in assets}
    # the modules of the features the page has: a rename must update this test
    assert {"app.js", "signin.js", "logs.js", "mcp.js", "wire.js", "style.css"} <= names, names
    on_disk = {p.resolve() for p in INSPECTOR.iterdir() if p.is_file()}
    assert assets <= on_disk
    assert on_disk - assets == set(), f"static files the page never loads: {sorted(on_disk - assets)}"


def test_the_wheel_settings_ship_every_static_file() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    hatch = project["tool"]["hatch"]["build"]
    wheel = hatch["targets"]["wheel"]
    assert "src/mcp_use" in wheel["packages"]
    for table in (hatch, wheel):
        # settings that would leave package files out; if one is added, extend this test
        assert not {"exclude", "only-include", "ignore-vcs"} & set(table), table
    patterns = (REPO / ".gitignore").read_text().splitlines()
    files = [p for p in STATIC.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) >= len(page_assets()), files
    dropped = [str(p.relative_to(REPO)) for p in files if ignored(str(p.relative_to(REPO)), patterns)]
    assert dropped == [], f".gitignore keeps these out of the wheel: {dropped}"


def test_the_ignore_check_does_drop_what_gitignore_names() -> None:
    """The matcher above is not vacuous: it recognises the repo's real patterns."""
    patterns = (REPO / ".gitignore").read_text().splitlines()
    assert ignored("src/mcp_use/__pycache__/x.pyc", patterns)
    assert ignored("build/lib/mcp_use/x.py", patterns)
    assert ignored("src/mcp_use/server/http/static/inspector/app.js", [*patterns, "*.js"])
    assert ignored("src/mcp_use/server/http/static/inspector/app.js", ["static/"])
    assert not ignored("src/mcp_use/server/http/static/inspector/app.js", patterns)
