#!/usr/bin/env bash
# Builds the Go tools the release uses into the cache, from the pinned modules
# in krew/tools/ (the Go module proxy serves their versions; no GitHub downloads):
#   krew, validate-krew-manifest  (sigs.k8s.io/krew)  the install check, test/dist/krew.sh
#   quill                          (github.com/anchore/quill)  ad-hoc macOS signatures
# Rebuilds only when a go.mod/go.sum changed. Prints the bin directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${KZK_CACHE:-$HOME/.cache/kubectl-zk}
bin=$cache/tools/bin
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local CGO_ENABLED=0 \
  GOFLAGS='-mod=readonly -buildvcs=false'
mkdir -p "$bin"
for tool in krew quill; do
  dir=$repo/krew/tools/$tool
  stamp=$bin/.$tool.stamp
  want=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "kubectl-zk: building $tool tools from krew/tools/$tool" >&2
    (cd "$dir" && "$go" build -trimpath -o "$bin/" tool) >&2
    echo "$want" >"$stamp"
  fi
done
printf '%s\n' "$bin"
