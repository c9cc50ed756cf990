#!/usr/bin/env bash
# Provide a real Apache ZooKeeper (Debian's libzookeeper-java 3.8.0) plus a Java 17
# runtime for the integration tests. Idempotent; non-interactive (CI, no stdin).
# Installs the apt packages only when something is missing.
#
# Output (stdout), one KEY=VALUE per line, for the test harness:
#   JAVA=/usr/lib/jvm/.../bin/java
#   ZK_VERSION=3.8.0
#   ZK_CLASSPATH=/usr/share/java/zookeeper.jar:...
# Usage: eval "$(bash scripts/ensure-zookeeper.sh)"  (values contain no spaces)
set -euo pipefail

PKGS=(libzookeeper-java openjdk-17-jre-headless libservlet-api-java libslf4j-java liblog4j1.2-java)
JARDIR=/usr/share/java

missing=()
for p in "${PKGS[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != *'install ok installed'* ]]; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-zookeeper: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only if the package lists do not know the packages yet
  if ! apt-cache show libzookeeper-java >/dev/null 2>&1; then
    $SUDO apt-get update -qq </dev/null >&2
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
fi

java=""
for cand in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
  if [ -x "$cand" ]; then java="$cand"; break; fi
done
if [ -z "$java" ]; then java="$(command -v java || true)"; fi
if [ -z "$java" ]; then echo "ensure-zookeeper: no java found" >&2; exit 1; fi

# Jars the server needs at run time (ZooKeeper + its Debian dependencies). The
# servlet API and Jetty are needed for the AdminServer; log4j 1.2 + slf4j binding
# for logging. A jar that is absent is skipped (the server then runs without it).
jars=(
  zookeeper zookeeper-jute
  slf4j-api slf4j-log4j12 log4j-1.2
  commons-cli commons-io
  netty-buffer netty-codec netty-common netty-handler netty-resolver
  netty-transport netty-transport-native-epoll netty-transport-native-unix-common
  jackson-annotations jackson-core jackson-databind
  servlet-api
  jetty9-server jetty9-servlet jetty9-http jetty9-io jetty9-util jetty9-security jetty9-util-ajax
  metrics-core snappy-java
)
cp=""
for j in "${jars[@]}"; do
  if [ -f "$JARDIR/$j.jar" ]; then cp="${cp:+$cp:}$JARDIR/$j.jar"; fi
done
if [ ! -f "$JARDIR/zookeeper.jar" ]; then echo "ensure-zookeeper: $JARDIR/zookeeper.jar missing" >&2; exit 1; fi

version="$(dpkg-query -W -f='${Version}' libzookeeper-java | sed -E 's/-.*//')"
printf 'JAVA=%s\nZK_VERSION=%s\nZK_CLASSPATH=%s\n' "$java" "$version" "$cp"
