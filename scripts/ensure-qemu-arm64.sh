#!/usr/bin/env bash
# Lets the dist tests run the linux/arm64 executable on this linux/amd64 machine:
# Debian's qemu-user (user-mode emulation) and the arm64 C library the Bun
# runtime links against (multiarch). Idempotent; non-interactive (CI, no stdin).
# Prints the qemu-aarch64 path. Usage: qemu=$(bash scripts/ensure-qemu-arm64.sh)
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
export DEBIAN_FRONTEND=noninteractive
have() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *'install ok installed'* ]]; }
if ! have qemu-user || ! have libc6:arm64; then
  echo "ensure-qemu-arm64: installing qemu-user libc6:arm64" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq </dev/null >&2
  elif ! apt-cache show libc6:arm64 >/dev/null 2>&1; then
    $SUDO apt-get update -qq </dev/null >&2
  fi
  $SUDO apt-get install -y -qq --no-install-recommends qemu-user libc6:arm64 </dev/null >&2
fi
command -v qemu-aarch64
