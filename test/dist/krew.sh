#!/usr/bin/env bash
# Installs the packaged linux/amd64 plugin with the real krew (built from its Go
# module, scripts/build-tools.sh) into a throwaway KREW_ROOT, then runs it the
# way users do: through kubectl's plugin discovery, with no Node.js on PATH.
#   bash test/dist/krew.sh        (packages linux-amd64 first if dist/release lacks it)
# Prints one line per check and a mocha-style "N passing" / "N failing" summary.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
cache=${KZK_CACHE:-$HOME/.cache/kubectl-zk}
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json | head -1)
archive=dist/release/kubectl-zk_v${version}_linux_amd64.tar.gz
manifest=dist/release/zk.yaml
passed=0; failed=0
ok()   { passed=$((passed + 1)); echo "  ✓ $*"; }
fail() { failed=$((failed + 1)); echo "  ✗ $*"; }
# KZK_KREW_SUMMARY=plain (test/dist/dist.test.ts) keeps mocha-style counts out of a mocha run's log
summary() {
  if [ "${KZK_KREW_SUMMARY:-}" = plain ]; then echo "krew.sh: $passed passed, $failed failed"; return; fi
  echo; echo "  $passed passing"; [ "$failed" -eq 0 ] || echo "  $failed failing"
}
die() { fail "$*"; summary; exit 1; }

kubectl_bin=${KZK_KUBECTL:-$(ls -d "$cache"/cluster/*/bin/kubectl 2>/dev/null | sort -V | tail -1)}
[ -x "$kubectl_bin" ] || die "no built kubectl in $cache/cluster/*/bin (npm run cluster:up builds it)"
if [ ! -f "$archive" ] || [ ! -f "$manifest" ]; then
  echo "packaging linux-amd64 (npm run package -- --target linux-amd64)"
  eval "$(bash scripts/ensure-node.sh --env)"
  npm run --silent package -- --target linux-amd64 >/dev/null || die "npm run package failed"
fi
tools=$(bash scripts/build-tools.sh) || die "scripts/build-tools.sh failed"

echo "kubectl $(basename "$(dirname "$(dirname "$kubectl_bin")")"), krew v0.4.4, $archive"
out=$("$tools/validate-krew-manifest" -manifest "$manifest" -skip-install 2>&1) \
  && ok "validate-krew-manifest accepts $manifest" || fail "validate-krew-manifest: $out"

built_commit=$(sed -n 's/^  "commit": "\(.*\)",$/\1/p' dist/release/release.json)
root=$(mktemp -d "${TMPDIR:-/tmp}/kzk-krew.XXXXXX")
trap 'rm -rf "$root"' EXIT
# PATH = krew's bin + a directory holding only kubectl, krew (as the kubectl-krew
# plugin), git (krew's index) and the few utilities this script uses: no node, no repo bin/
mkdir -p "$root/tools" "$root/home"
ln -s "$tools/krew" "$root/tools/kubectl-krew"
ln -s "$kubectl_bin" "$root/tools/kubectl"
for u in git cp readlink dirname basename grep head tr rm mkdir cat; do ln -s "$(command -v "$u")" "$root/tools/$u"; done
# a local index holding this manifest: `krew list/info/uninstall` want an initialised index
git init -q "$root/index" && mkdir "$root/index/plugins" && cp "$manifest" "$root/index/plugins/zk.yaml"
git -C "$root/index" add plugins && git -C "$root/index" -c user.name=kzk -c user.email=kzk@localhost commit -qm index
export KREW_ROOT=$root/krew KREW_NO_UPGRADE_CHECK=1 KREW_DEFAULT_INDEX_URI=$root/index HOME=$root/home
export PATH=$KREW_ROOT/bin:$root/tools
unset KUBECONFIG

if command -v node >/dev/null; then fail "node is on PATH ($(command -v node))"; else ok "no node on PATH"; fi
out=$(kubectl krew update 2>&1) && ok "kubectl krew update (local index)" || fail "kubectl krew update: $out"
i=$(kubectl krew info zk 2>&1) && grep -q "^VERSION: v$version" <<<"$i" && grep -q "^CAVEATS:" <<<"$i" && ok "kubectl krew info zk (from the local index)" || fail "kubectl krew info zk: $i"
out=$(kubectl krew install --manifest="$repo/$manifest" --archive="$repo/$archive" 2>&1) \
  && ok "kubectl krew install --manifest --archive" || die "kubectl krew install: $out"
[ -L "$KREW_ROOT/bin/kubectl-zk" ] && ok "krew linked $KREW_ROOT/bin/kubectl-zk" || fail "no kubectl-zk link in $KREW_ROOT/bin"
list=$(kubectl krew list 2>&1); grep -Eq "^(detached/)?zk$" <<<"$list" && ok "kubectl krew list shows $list" || fail "kubectl krew list: $list"
plugins=$(kubectl plugin list 2>&1); grep -q "$KREW_ROOT/bin/kubectl-zk" <<<"$plugins" && ok "kubectl plugin list finds it" || fail "kubectl plugin list: $plugins"

v=$(kubectl zk version 2>&1) && grep -q "^kubectl-zk v$version (commit $built_commit)" <<<"$v" \
  && ok "kubectl zk version: $(head -1 <<<"$v")" || fail "kubectl zk version: $v"
grep -q "(single executable)" <<<"$v" && ok "runs as a single executable ($(grep runtime: <<<"$v" | tr -s ' '))" || fail "not a single executable: $v"
j=$(kubectl zk version -o json 2>&1) && grep -q '"packaged": true' <<<"$j" && ok "kubectl zk version -o json" || fail "kubectl zk version -o json: $j"
h=$(kubectl zk --help 2>&1) && grep -q '\$ kubectl zk \[COMMAND\]' <<<"$h" && grep -q "^  create " <<<"$h" \
  && ok "kubectl zk --help lists the commands" || fail "kubectl zk --help: $h"
d=$(kubectl zk create zk --dry-run -n kzk-krew -o yaml 2>&1) && grep -q "^kind: StatefulSet" <<<"$d" \
  && ok "kubectl zk create --dry-run renders the embedded manifests" || fail "create --dry-run: $d"
kubectl zk frobnicate >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "an unknown command exits 2" || fail "unknown command exited $rc"

# completion: the shim krew cannot link, copied as the caveat says
store=$(dirname "$(readlink -f "$KREW_ROOT/bin/kubectl-zk")")
cp "$store/kubectl_complete-zk" "$KREW_ROOT/bin/"
c=$(kubectl __complete zk st 2>/dev/null) && grep -q "^status" <<<"$c" \
  && ok "kubectl __complete zk st → status (via kubectl_complete-zk)" || fail "kubectl __complete zk st: $c"
c=$(kubectl __complete zk create zk --image-pull-policy '' 2>/dev/null) && grep -q "^IfNotPresent" <<<"$c" \
  && ok "kubectl __complete zk create zk --image-pull-policy ''" || fail "flag value completion: $c"

out=$(kubectl krew uninstall zk 2>&1) && [ ! -e "$KREW_ROOT/bin/kubectl-zk" ] \
  && ok "kubectl krew uninstall zk" || fail "kubectl krew uninstall: $out"
summary
[ "$failed" -eq 0 ]
