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
# The committed config version (hex) the ConfigMap's membership was taken from; written by kubectl zk scale.
MEMBERSHIP_VERSION_FILE="${ZK_MEMBERSHIP_VERSION_FILE:-/opt/kubectl-zk/membership-version}"
# "<server id> <token>": kubectl zk restore-quorum names the member that restarts as the only voter.
MEMBERSHIP_RESET_FILE="${ZK_MEMBERSHIP_RESET_FILE:-/opt/kubectl-zk/membership-reset}"
# The membership restore-quorum gives the survivor; the name has no version suffix (ZooKeeper reads it as 0).
RESTORED="$CONF_DIR/zoo.cfg.dynamic.restored"

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

# hex_ge A B: hex number A >= hex number B, at any length (bash arithmetic would overflow past 63 bits).
hex_ge() {
  local a b LC_ALL=C
  a="$(tr 'A-F' 'a-f' <<<"${1#0x}" | sed 's/^0*//')"
  b="$(tr 'A-F' 'a-f' <<<"${2#0x}" | sed 's/^0*//')"
  if (( ${#a} != ${#b} )); then (( ${#a} > ${#b} )); return; fi
  [[ "$a" > "$b" || "$a" == "$b" ]]
}

has_data() { compgen -G "$DATA_DIR/version-2/snapshot.*" >/dev/null || compgen -G "$DATA_DIR/version-2/log.*" >/dev/null; }

# 1b. Quorum restore (kubectl zk restore-quorum, after a majority is lost for good):
#     the member the reset names restarts as the only voter with the data on its
#     volume, from the ConfigMap's membership (itself alone), once per token.
#     Reconfig cannot run without a quorum, so this is the rewrite of the dynamic
#     config ZooKeeper's admin guide leaves to the operator. The other members
#     were deleted with their volumes first, so no old majority can come back.
#     An empty volume is never made the only voter: that would serve an empty tree.
reset_token=""
if [[ -s "$MEMBERSHIP_RESET_FILE" ]]; then
  read -r reset_id reset_token _ < "$MEMBERSHIP_RESET_FILE" || true
  if [[ "${reset_id:-}" != "$MYID" || -z "$reset_token" || "$(cat "$CONF_DIR/membership-reset.applied" 2>/dev/null)" == "$reset_token" ]]; then reset_token=""; fi
fi
if [[ -n "$reset_token" ]]; then
  has_data || die "restore-quorum names this member ($POD_NAME) as the survivor but its data directory is empty; refusing to serve an empty tree as the only voter"
  grep -q "^server\.$MYID=" "$BOOTSTRAP_DYNAMIC" || die "restore-quorum names this member but the ConfigMap's membership does not list server.$MYID"
fi

# 2. Membership: ZooKeeper's own record of the last committed configuration wins
#    (the dynamicConfigFile= line it maintains in the static file), as long as it
#    still lists this member AND is not older than the membership kubectl-zk
#    recorded in the ConfigMap (membership-version: the committed version that
#    membership was taken from; absent or empty = no constraint). A volume kept
#    from an earlier member (scale down --keep-volumes, scale up later) holds an
#    old config that may list this member among peers that are long gone.
#    Otherwise start from the bootstrap membership in the ConfigMap.
required=""
if [[ -f "$MEMBERSHIP_VERSION_FILE" ]]; then
  required="$(tr -d '[:space:]' < "$MEMBERSHIP_VERSION_FILE")"
  required="${required#0x}"
  if [[ -n "$required" && ! "$required" =~ ^[0-9a-fA-F]+$ ]]; then
    say "ignoring membership-version '$required': not a hex version"
    required=""
  fi
fi
dynamic=""
stale=""
if [[ -n "$reset_token" ]]; then
  rm -f "$RESTORED"
  cat "$BOOTSTRAP_DYNAMIC" > "$RESTORED"
  dynamic="$RESTORED"
  say "restore-quorum (token $reset_token): restarting as the only voter with the data on this volume; the membership on the volume is set aside"
elif [[ -f "$CONF_DIR/zoo.cfg" ]]; then
  prev="$(sed -n 's/^dynamicConfigFile=//p' "$CONF_DIR/zoo.cfg" | tail -n 1)"
  # the version is the hex suffix ZooKeeper gives the file; our own .bootstrap copy counts as 0
  have="${prev##*.dynamic.}"
  [[ "$have" =~ ^[0-9a-fA-F]+$ ]] || have=0
  # data written under a membership older than the one recorded in the ConfigMap is from an earlier life of this ordinal
  if [[ -n "$required" ]] && ! hex_ge "$have" "$required"; then stale="$have"; fi
  if [[ "$prev" == "$RESTORED" && -f "$prev" ]] && grep -q "^server\.$MYID=" "$prev"; then
    # restore-quorum's membership stays until ZooKeeper commits the first reconfig after it (versions published since are younger than the data)
    dynamic="$prev"
    stale=""
    say "using the membership restore-quorum set, $(basename "$prev")"
  elif [[ -n "$prev" && -f "$prev" ]] && grep -q "^server\.$MYID=" "$prev"; then
    if [[ -z "$required" ]] || hex_ge "$have" "$required"; then
      dynamic="$prev"
      say "using the last committed membership $(basename "$prev")${required:+ (version $have, ConfigMap membership-version $required)}"
    else
      say "discarding the membership on the volume, $(basename "$prev") (version $have): older than the ConfigMap's membership-version $required (a volume kept from an earlier member?); using the bootstrap membership"
    fi
  elif [[ -n "$prev" ]]; then
    say "last membership file '$prev' is missing or does not list server.$MYID; using the bootstrap membership"
  fi
fi
if [[ -z "$dynamic" ]]; then
  [[ -f "$BOOTSTRAP_DYNAMIC" ]] || die "bootstrap membership $BOOTSTRAP_DYNAMIC is missing"
  grep -q "^server\.$MYID=" "$BOOTSTRAP_DYNAMIC" || die "bootstrap membership does not list server.$MYID; add this member with 'kubectl zk scale'"
  dynamic="$CONF_DIR/zoo.cfg.dynamic.bootstrap"
  # the ConfigMap's file is read-only (mode 0555): cp would copy that mode and fail the next time
  rm -f "$dynamic"
  cat "$BOOTSTRAP_DYNAMIC" > "$dynamic"
  if [[ -n "$stale" && -d "$DATA_DIR/version-2" ]]; then
    # rejoin as a new learner: the leader sends a snapshot. The old data is moved aside, not deleted.
    aside="$DATA_DIR/version-2.stale-$stale-$(date +%s)"
    mv "$DATA_DIR/version-2" "$aside"
    say "moved the data from the earlier membership (version $stale) aside to $(basename "$aside"); this member rejoins from the leader's snapshot"
  fi
fi

# 2b. Empty-disk guard. A voter whose data directory is empty (a wiped or new volume,
#     an emptyDir after the pod was replaced, data moved aside above) holds zxid 0:
#     if it voted at once, it and other empty members could form a majority and
#     elect an empty tree, which the members with data would then be asked to follow.
#     So when the ensemble has run before (membership-version recorded, by create
#     once its quorum served and by scale) and this member is a participant, wait
#     until some peer leads (only a leader listens on the quorum port), then start:
#     the election joins that leader and the member syncs before its acks count.
#     A majority of members without data therefore waits instead of serving an
#     empty tree. The startupProbe's budget covers this wait; after it the
#     container restarts and waits again.
if [[ -n "$required" ]] && ! has_data && grep -Eq "^server\.$MYID=[^;]*:[0-9]+:[0-9]+(:participant)?(;|$)" "$dynamic"; then
  say "data directory is empty but this member is a voter of an ensemble that has run (membership-version $required): waiting for a leader among the peers before joining"
  waited=0
  while :; do
    leader=""
    # ZooKeeper writes its dynamic file without a final newline: read the last line too
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^server\.([0-9]+)=([^:]+):([0-9]+): ]] || continue
      [[ "${BASH_REMATCH[1]}" == "$MYID" ]] && continue
      if timeout 2 bash -c "exec 3<>/dev/tcp/${BASH_REMATCH[2]}/${BASH_REMATCH[3]}" 2>/dev/null; then leader="${BASH_REMATCH[2]}"; break; fi
    done < "$dynamic"
    [[ -n "$leader" ]] && break
    if (( waited % 30 == 0 )); then say "no peer leads yet (waited ${waited}s); not starting with an empty disk as a voter (kubectl zk status shows the ensemble)"; fi
    sleep 2
    waited=$((waited + 2))
  done
  say "$leader leads: joining it; this member syncs from the leader before it counts"
fi

# 3. Static config: the ConfigMap's settings plus the membership file, in a writable place.
{
  grep -v '^dynamicConfigFile=' "$STATIC_TEMPLATE"
  echo "dataDir=$DATA_DIR"
  echo "dynamicConfigFile=$dynamic"
} > "$CONF_DIR/zoo.cfg.tmp"
mv "$CONF_DIR/zoo.cfg.tmp" "$CONF_DIR/zoo.cfg"
# the reset is done once: a later restart keeps whatever ZooKeeper commits from here
if [[ -n "$reset_token" ]]; then echo "$reset_token" > "$CONF_DIR/membership-reset.applied"; fi

# 4. JVM: heap from the pod's memory limit (set by kubectl-zk), super-user digest for reconfiguration.
heap="${ZK_HEAP_MB:-512}"
export ZK_SERVER_HEAP="$heap"
# cnxTimeout: connecting to a deleted peer times out after 1 s instead of 5 s (elections after a pod deletion: 1.7-11.3 s -> 1.6-3.6 s measured)
# DNS caching: a recreated pod comes back with a new IP under the same name. The JVM keeps an answer
# 30 s (a failed lookup 10 s); a follower then dialled the leader's old IP until initLimit ran out
# (20 s) and re-elected with backoff: a 40 s outage in the failover bench. Keep answers 1 s, failures 0.
printf 'networkaddress.cache.ttl=1\nnetworkaddress.cache.negative.ttl=0\n' > "$CONF_DIR/dns.security"
export SERVER_JVMFLAGS="-Xms${heap}m -Xmx${heap}m -XX:+ExitOnOutOfMemoryError -Dzookeeper.cnxTimeout=1000 -Djava.security.properties=$CONF_DIR/dns.security ${ZK_SUPER_DIGEST:+-Dzookeeper.DigestAuthenticationProvider.superDigest=$ZK_SUPER_DIGEST} ${SERVER_JVMFLAGS:-}"
export ZOO_LOG_DIR="${ZOO_LOG_DIR:-/logs}"

say "member $MYID ($POD_NAME), config $CONF_DIR/zoo.cfg, heap ${heap}m"
exec zkServer.sh start-foreground "$CONF_DIR/zoo.cfg"
