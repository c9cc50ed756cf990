#!/usr/bin/env bash
# kubectl-zk: starts one ZooKeeper member. Run as the container's command, so it
# works with any image that has bash and a ZooKeeper distribution with
# zkServer.sh on PATH (the official `zookeeper` image first of all); the image's
# own entrypoint and ZOO_* settings are not used.
set -euo pipefail

die() { echo "kubectl-zk start: fatal: $*" >&2; exit 1; }
say() { echo "kubectl-zk start: $*" >&2; }

: "${POD_NAME:?POD_NAME must be set from metadata.name}"
DATA_DIR="${ZK_DATA_DIR:-/data}"
CONF_DIR="$DATA_DIR/conf"          # ZooKeeper rewrites its config at runtime: it must be writable and survive restarts
STATIC_TEMPLATE="${ZK_STATIC_TEMPLATE:-/opt/kubectl-zk/zoo.cfg}"
BOOTSTRAP_DYNAMIC="${ZK_BOOTSTRAP_DYNAMIC:-/opt/kubectl-zk/zoo.cfg.dynamic}"

ORDINAL="${POD_NAME##*-}"
[[ "$ORDINAL" =~ ^[0-9]+$ ]] || die "cannot take an ordinal from pod name '$POD_NAME'"
MYID=$((ORDINAL + 1))

mkdir -p "$DATA_DIR" "$CONF_DIR"

# 1. myid: written once; a volume that belongs to another member is never reused silently.
if [[ -f "$DATA_DIR/myid" ]]; then
  existing="$(tr -d '[:space:]' < "$DATA_DIR/myid")"
  [[ "$existing" == "$MYID" ]] || die "the data volume holds myid $existing but this pod ($POD_NAME) is member $MYID; refusing to start on another member's data"
else
  echo "$MYID" > "$DATA_DIR/myid"
fi

# 2. Membership: ZooKeeper's own record of the last committed configuration wins
#    (the dynamicConfigFile= line it maintains in the static file), as long as it
#    still lists this member; otherwise start from the bootstrap membership that
#    kubectl-zk keeps in the ConfigMap.
dynamic=""
if [[ -f "$CONF_DIR/zoo.cfg" ]]; then
  prev="$(sed -n 's/^dynamicConfigFile=//p' "$CONF_DIR/zoo.cfg" | tail -n 1)"
  if [[ -n "$prev" && -f "$prev" ]] && grep -q "^server\.$MYID=" "$prev"; then
    dynamic="$prev"
    say "using the last committed membership $(basename "$prev")"
  elif [[ -n "$prev" ]]; then
    say "last membership file '$prev' is missing or does not list server.$MYID; using the bootstrap membership"
  fi
fi
if [[ -z "$dynamic" ]]; then
  [[ -f "$BOOTSTRAP_DYNAMIC" ]] || die "bootstrap membership $BOOTSTRAP_DYNAMIC is missing"
  grep -q "^server\.$MYID=" "$BOOTSTRAP_DYNAMIC" || die "bootstrap membership does not list server.$MYID; add this member with 'kubectl zk scale'"
  dynamic="$CONF_DIR/zoo.cfg.dynamic.bootstrap"
  cp "$BOOTSTRAP_DYNAMIC" "$dynamic"
fi

# 3. Static config: the ConfigMap's settings plus the membership file, in a writable place.
{
  grep -v '^dynamicConfigFile=' "$STATIC_TEMPLATE"
  echo "dataDir=$DATA_DIR"
  echo "dynamicConfigFile=$dynamic"
} > "$CONF_DIR/zoo.cfg.tmp"
mv "$CONF_DIR/zoo.cfg.tmp" "$CONF_DIR/zoo.cfg"

# 4. JVM: heap from the pod's memory limit (set by kubectl-zk), super-user digest for reconfiguration.
heap="${ZK_HEAP_MB:-512}"
export ZK_SERVER_HEAP="$heap"
export SERVER_JVMFLAGS="-Xms${heap}m -Xmx${heap}m -XX:+ExitOnOutOfMemoryError ${ZK_SUPER_DIGEST:+-Dzookeeper.DigestAuthenticationProvider.superDigest=$ZK_SUPER_DIGEST} ${SERVER_JVMFLAGS:-}"
export ZOO_LOG_DIR="${ZOO_LOG_DIR:-/logs}"

say "member $MYID ($POD_NAME), config $CONF_DIR/zoo.cfg, heap ${heap}m"
exec zkServer.sh start-foreground "$CONF_DIR/zoo.cfg"
