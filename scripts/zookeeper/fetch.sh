#!/usr/bin/env bash
# Provide the runtime jars of one pinned Apache ZooKeeper line (scripts/zookeeper/<line>/pom.xml),
# resolved by Maven and checked against <line>/jars.sha256, in the cache:
#   ${KZK_CACHE:-$HOME/.cache/kubectl-zk}/zookeeper/<version>/lib/*.jar
# Built once; a warm run compares the stamp (pom + hash list) and re-checks every jar's sha256.
# A jar whose hash (or a jar set that) differs from jars.sha256 fails the run.
# Idempotent, non-interactive.
#
# Usage: fetch.sh [LINE|VERSION]     LINE: 3.9 (default) or 3.8; VERSION: the line's pinned version
# Output (stdout), KEY=VALUE lines: ZK_LINE=3.9  ZK_VERSION=3.9.5  ZK_LIB=/…/lib
# Maintainers bumping a version: KZK_ZK_WRITE_HASHES=1 fetch.sh LINE rewrites jars.sha256
# from what Maven resolved (review the diff before committing it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "zookeeper/fetch.sh: $*" >&2; exit 1; }

# pinned_version LINE: the <zookeeper.version> of that line's pom.
pinned_version() {
  sed -n 's:.*<zookeeper\.version>\([^<]*\)</zookeeper\.version>.*:\1:p' "$HERE/$1/pom.xml" | head -1
}

want=${1:-3.9}
line=""
for d in "$HERE"/*/pom.xml; do
  l=$(basename "$(dirname "$d")")
  if [[ $want == "$l" || $want == "$(pinned_version "$l")" ]]; then line=$l; fi
done
[[ -n $line ]] || die "unknown ZooKeeper line or version '$want' (pinned: $(for d in "$HERE"/*/pom.xml; do l=$(basename "$(dirname "$d")"); printf '%s=%s ' "$l" "$(pinned_version "$l")"; done))"
version=$(pinned_version "$line")
[[ -n $version ]] || die "$HERE/$line/pom.xml has no <zookeeper.version>"
pom=$HERE/$line/pom.xml
sums=$HERE/$line/jars.sha256

cache=${KZK_CACHE:-$HOME/.cache/kubectl-zk}/zookeeper/$version
lib=$cache/lib
stamp_now() { { cat "$pom"; cat "$sums" 2>/dev/null || true; } | sha256sum | cut -c1-16; }
stamp=$(stamp_now)

# verify DIR: the jars in DIR are exactly those of jars.sha256, with those hashes.
verify() {
  local dir=$1
  [[ -f $sums ]] || return 1
  diff <(awk '{print $2}' "$sums" | sed 's/^\*//' | sort) <(cd "$dir" && ls -1 -- *.jar | sort) >&2 || return 1
  (cd "$dir" && sha256sum --check --quiet --strict "$sums") >&2
}

if [[ -f $cache/.stamp && $(<"$cache/.stamp") == "$stamp" ]] && verify "$lib"; then
  printf 'ZK_LINE=%s\nZK_VERSION=%s\nZK_LIB=%s\n' "$line" "$version" "$lib"
  exit 0
fi

command -v mvn >/dev/null || die "mvn not found (Debian: apt-get install maven)"
mkdir -p "$(dirname "$cache")"
tmp=$(mktemp -d "$(dirname "$cache")/.fetch-$version.XXXX")
trap 'rm -rf "$tmp"' EXIT
echo "zookeeper/fetch.sh: resolving ZooKeeper $version's runtime jars with Maven ($pom)" >&2
if ! mvn -B -q -f "$pom" package -Dkzk.lib="$tmp/lib" </dev/null >"$tmp/mvn.log" 2>&1; then
  tail -n 30 "$tmp/mvn.log" >&2
  die "mvn could not resolve ZooKeeper $version's jars (log above)"
fi
if [[ ${KZK_ZK_WRITE_HASHES:-} == 1 ]]; then
  (cd "$tmp/lib" && sha256sum -- *.jar) >"$sums"
  echo "zookeeper/fetch.sh: wrote $sums ($(wc -l <"$sums") jars)" >&2
  stamp=$(stamp_now)
fi
[[ -f $sums ]] || die "$sums is missing (KZK_ZK_WRITE_HASHES=1 writes it)"
if ! verify "$tmp/lib"; then
  (cd "$tmp/lib" && sha256sum --check "$sums" 2>&1 | grep -v ': OK$') >&2 || true
  die "ZooKeeper $version: the jars Maven resolved do not match $sums (see above); refusing to use them"
fi
rm -rf "$cache"
mkdir -p "$cache"
mv "$tmp/lib" "$lib"
echo "$stamp" >"$cache/.stamp"
echo "zookeeper/fetch.sh: ZooKeeper $version: $(ls "$lib" | wc -l) jars in $lib" >&2
printf 'ZK_LINE=%s\nZK_VERSION=%s\nZK_LIB=%s\n' "$line" "$version" "$lib"
