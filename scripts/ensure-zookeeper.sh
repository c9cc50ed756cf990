#!/usr/bin/env bash
# Provide a real Apache ZooKeeper (Apache's released jars from Maven, pinned in
# scripts/zookeeper/<line>/pom.xml, sha256-checked by scripts/zookeeper/fetch.sh)
# plus a Java 17 runtime for the integration tests. Idempotent; non-interactive
# (CI, no stdin). Installs OpenJDK 17 (the JDK) from Debian only when no Java 17 with javac is there.
#
# KZK_ZK_VERSION selects the line: 3.9 (default) or 3.8, or the line's pinned version.
# Output (stdout), one KEY=VALUE per line, for the test harness:
#   JAVA=/usr/lib/jvm/.../bin/java
#   ZK_VERSION=3.9.5
#   ZK_CLASSPATH=/…/zookeeper/3.9.5/lib/zookeeper-3.9.5.jar:...
#   ZK_LOGBACK=/…/test/cluster/image/zookeeper/logback.xml   (-Dlogback.configurationFile=…)
# Usage: eval "$(bash scripts/ensure-zookeeper.sh)"  (values contain no spaces)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

find_java17() {
  local cand
  for cand in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
    if [ -x "$cand" ]; then echo "$cand"; return 0; fi
  done
  return 1
}

# apt_install PKG...: Debian packages, non-interactively.
apt_install() {
  echo "ensure-zookeeper: installing $*" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$1" >/dev/null 2>&1; then
    $sudo apt-get update -qq </dev/null >&2
  fi
  $sudo apt-get install -y -qq --no-install-recommends "$@" </dev/null >&2
}

java=$(find_java17 || true)
# the JDK: test/integration/backup-java.test.ts recompiles manifests/backup/Backup.java with its javac
if [ -z "$java" ] || [ ! -x "$(dirname "$java")/javac" ]; then
  apt_install openjdk-17-jdk-headless
  java=$(find_java17) || { echo "ensure-zookeeper: no Java 17 after installing openjdk-17-jdk-headless" >&2; exit 1; }
fi
# Maven resolves the jars (only on a cold cache, but fetch.sh needs it then).
command -v mvn >/dev/null || apt_install maven

fetched=$(bash "$HERE/zookeeper/fetch.sh" "${KZK_ZK_VERSION:-3.9}")
version=$(sed -n 's/^ZK_VERSION=//p' <<<"$fetched")
lib=$(sed -n 's/^ZK_LIB=//p' <<<"$fetched")
[ -n "$version" ] && [ -d "$lib" ] || { printf 'ensure-zookeeper: fetch.sh printed no version/lib:\n%s\n' "$fetched" >&2; exit 1; }

cp=""
for j in "$lib"/*.jar; do cp="${cp:+$cp:}$j"; done
printf 'JAVA=%s\nZK_VERSION=%s\nZK_CLASSPATH=%s\nZK_LOGBACK=%s\n' "$java" "$version" "$cp" "$(cd "$HERE/../test/cluster/image/zookeeper" && pwd)/logback.xml"
