#!/usr/bin/env bash
# zkServer.sh for the kubectl-zk test image (Apache ZooKeeper's jars from Maven).
# Compatible with the way the official zookeeper image is used:
#   zkServer.sh [--config DIR] start-foreground [CFG]
#   zkServer.sh [--config DIR] start|stop|print-cmd|version [CFG]
# CFG is a path, or a file name inside $ZOOCFGDIR (default zoo.cfg).
# Honours ZOOCFGDIR, JVMFLAGS, SERVER_JVMFLAGS, ZK_SERVER_HEAP (MB, default
# 1000, only when no -Xmx is given), ZOO_LOG_DIR, ZOO_LOG_FILE, JAVA_HOME.
# Logging is logback (conf/logback.xml, or one in $ZOOCFGDIR), as in 3.8+.
set -euo pipefail

if [[ ${1:-} == --config ]]; then
  ZOOCFGDIR=$2
  shift 2
fi
# shellcheck source=zkEnv.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/zkEnv.sh"

cmd=${1:-}
ZOOCFG=$ZOOCFGDIR/zoo.cfg
if [[ -n ${2:-} ]]; then
  if [[ -f $2 || $2 == /* ]]; then ZOOCFG=$2; else ZOOCFG=$ZOOCFGDIR/$2; fi
fi

ZOO_LOG_FILE=${ZOO_LOG_FILE:-zookeeper-$(id -un 2>/dev/null || id -u)-server-$(hostname).log}
SERVER_JVMFLAGS=${SERVER_JVMFLAGS:-}
JVMFLAGS="$SERVER_JVMFLAGS ${JVMFLAGS:-}"
if [[ $JVMFLAGS != *-Xmx* ]]; then
  JVMFLAGS="-Xmx${ZK_SERVER_HEAP:-1000}m $JVMFLAGS"
fi
ZOOMAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

datadir() { sed -n 's/^[[:space:]]*dataDir[[:space:]]*=[[:space:]]*//p' "$ZOOCFG" | tail -1 | tr -d '\r'; }

java_cmd() {
  # shellcheck disable=SC2086 # JVMFLAGS is a list of flags
  set -- "$JAVA" "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=$ZOO_LOG_FILE" \
    -XX:+HeapDumpOnOutOfMemoryError "-XX:OnOutOfMemoryError=kill -9 %p" \
    -cp "$CLASSPATH" $ZOO_LOGBACK_OPT $JVMFLAGS "$ZOOMAIN" "$ZOOCFG"
  printf '%q ' "$@"
}

case $cmd in
  start-foreground)
    [[ -f $ZOOCFG ]] || { echo "zkServer.sh: config $ZOOCFG not found" >&2; exit 1; }
    echo "Using config: $ZOOCFG" >&2
    eval "exec $(java_cmd)"
    ;;
  start)
    [[ -f $ZOOCFG ]] || { echo "zkServer.sh: config $ZOOCFG not found" >&2; exit 1; }
    dd=$(datadir); pidfile=${ZOOPIDFILE:-${dd:-/tmp}/zookeeper_server.pid}
    mkdir -p "$ZOO_LOG_DIR"
    eval "nohup $(java_cmd) >'$ZOO_LOG_DIR/zookeeper.out' 2>&1 </dev/null &"
    echo $! >"$pidfile"
    echo "STARTED"
    ;;
  stop)
    dd=$(datadir); pidfile=${ZOOPIDFILE:-${dd:-/tmp}/zookeeper_server.pid}
    if [[ -f $pidfile ]]; then kill "$(<"$pidfile")" && rm -f "$pidfile"; echo STOPPED; else echo "no pid file $pidfile" >&2; exit 1; fi
    ;;
  print-cmd)
    java_cmd; echo
    ;;
  version)
    exec "$JAVA" -cp "$CLASSPATH" org.apache.zookeeper.version.VersionInfoMain
    ;;
  *)
    echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|print-cmd|version} [config]" >&2
    exit 1
    ;;
esac
