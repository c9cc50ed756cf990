# shellcheck shell=bash
# Shared paths, versions and helpers for test/cluster/{up,down,status}.sh.
# Sourced, never executed. Other scripts (and test/e2e/lib/cluster.ts) rely on
# the path conventions below: keep them stable.

KZK_K8S_VERSION=v1.34.10          # k8s.io/kubernetes, pinned in test/cluster/go.mod
KZK_ETCD_VERSION=v3.6.5           # test/cluster/tools/etcd/go.mod
KZK_COREDNS_VERSION=v1.12.4       # test/cluster/tools/coredns/go.mod
KZK_LOCALPATH_VERSION=v0.0.30     # test/cluster/tools/local-path-provisioner/go.mod
KZK_CRICTL_VERSION=v1.34.0        # test/cluster/tools/crictl/go.mod
KZK_KUBE_ROUTER_VERSION=v2.1.0    # test/cluster/tools/kube-router/go.mod (NetworkPolicy only)

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Build cache (survives down.sh): binaries, image tarballs, Go caches.
KZK_CACHE=${KZK_CACHE:-$HOME/.cache/kubectl-zk}
CACHE_DIR=$KZK_CACHE/cluster/$KZK_K8S_VERSION
BIN=$CACHE_DIR/bin
IMAGES=$CACHE_DIR/images
GO_DIR=$KZK_CACHE/go               # GOMODCACHE and GOCACHE live here

# Cluster state (removed by down.sh).
STATE=${KZK_CLUSTER_STATE:-/var/lib/kzk-cluster}
LOGS=$STATE/logs
PIDS=$STATE/pids
PKI=$STATE/pki
KUBECONFIG_ADMIN=$STATE/kubeconfig
ENV_FILE=$STATE/env

# Network: every address lives on interfaces this cluster creates itself.
# 100.64.0.0/10 is the shared address space (RFC 6598): neither one of the
# machine's own networks nor a public range.
#
# Nodes: KZK_NODES (1..9; default 3, or the count of the cluster that is up)
# nodes, each a network namespace `kzk-node-<i>` joined to the host bridge by
# a veth (host side kzkv<i>, node side eth0 = node IP). Each node has its own
# CNI bridge (kzkcni0) with its own pod CIDR, its own containerd, kubelet,
# kube-proxy and kube-router (NetworkPolicy); the control plane, CoreDNS and
# local-path-provisioner run in the host's namespace. See README.md.
BRIDGE=kzkbr0                      # host bridge: node network, created by up.sh
BRIDGE_MAC=02:6b:7a:62:72:30       # locally administered, fixed (see up.sh)
HOST_IP=100.65.0.1                 # API server = DNS, on the host bridge
NODE_NET_PREFIX=24                 # node network 100.65.0.0/24: node <i> is 100.65.0.<10+i>
POD_CIDR=100.65.0.0/16             # all pod CIDRs; node <i>: 100.65.<i>.0/24
SVC_CIDR=100.66.0.0/16             # blackholed on the host, DNATed by kube-proxy in each node
SVC_KUBERNETES_IP=100.66.0.1
OUR_NET=100.64.0.0/10              # the only destinations a node namespace has routes for
DNS_IP=$HOST_IP                    # CoreDNS runs on the host, listening here
CNI_BRIDGE=kzkcni0                 # inside each node namespace
CLUSTER_DOMAIN=cluster.local
APISERVER_PORT=6443
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
NODES_DIR=$STATE/nodes

if [[ -z ${KZK_NODES:-} && -f $STATE/node-count ]]; then KZK_NODES=$(<"$STATE/node-count"); fi
KZK_NODES=${KZK_NODES:-3}
[[ $KZK_NODES =~ ^[1-9]$ ]] || { echo "KZK_NODES must be 1..9 (got '$KZK_NODES')" >&2; exit 2; }

node_name() { echo "kzk-node-$1"; }              # also the network namespace's name
node_ip() { echo "100.65.0.$((10 + $1))"; }
node_pod_cidr() { echo "100.65.$1.0/24"; }
node_gw() { echo "100.65.$1.1"; }                 # the node's CNI bridge address
node_zone() { local z=(a b c d e f g h i); echo "zone-${z[$1 - 1]}"; }
node_dir() { echo "$NODES_DIR/$(node_name "$1")"; }
node_sock() { echo "$(node_dir "$1")/containerd/containerd.sock"; }
node_veth() { echo "kzkv$1"; }
# nodes_up: indices of the nodes that exist (from $NODES_DIR), for down/status.
nodes_present() {
  local d
  for d in "$NODES_DIR"/kzk-node-*; do [[ -d $d ]] && echo "${d##*-}"; done
  return 0
}
# cri_ready I: node I's containerd serves the CRI (crictl version = the
# runtime Version call kubelet makes at startup). containerd answers on its
# socket (ctr version) before its CRI plugin has recovered its state; until
# then every CRI call fails with "server is not initialized yet", and a
# kubelet started then exits at once. The recovery cleans up each dead shim
# in turn, so it is slow after node-lose.sh killed the node's pods.
cri_ready() { crictl --runtime-endpoint "unix://$(node_sock "$1")" --image-endpoint "unix://$(node_sock "$1")" --timeout 5s version; }
# in_node I CMD...: run CMD in node I's network namespace (host mounts kept).
in_node() { local i=$1; shift; nsenter --net="/run/netns/$(node_name "$i")" -- "$@"; }

# Images imported into containerd's k8s.io namespace (nothing can be pulled).
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
BUSYBOX_IMAGE=docker.io/kubectl-zk/busybox:1.35-debian
# ZooKeeper: one image per line, from Apache's jars, version pinned in
# scripts/zookeeper/<line>/pom.xml (the one place). Tagged as users pull the
# official image: containerd and kubelet normalise the plugin's default
# `zookeeper:<version>` to docker.io/library/zookeeper:<version>.
ZK_LINES="3.9 3.8"
zk_pinned_version() { # LINE -> the <zookeeper.version> of its pom
  sed -n 's:.*<zookeeper\.version>\([^<]*\)</zookeeper\.version>.*:\1:p' \
    "$CLUSTER_DIR/../../scripts/zookeeper/$1/pom.xml" | head -1
}
zk_image_ref() { echo "docker.io/library/zookeeper:$1"; } # VERSION -> image reference
ZK_IMAGE=$(zk_image_ref "$(zk_pinned_version 3.9)")      # the plugin's default image (3.9 line)
ZK_IMAGE_38=$(zk_image_ref "$(zk_pinned_version 3.8)")


# Sysctls the cluster may change; up.sh records their values first and
# down.sh puts them back. kubelet itself sets the vm/kernel ones.
KZK_SYSCTLS="net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet"

# Directories outside $STATE that kubelet/containerd/CNI create when missing.
# up.sh notes which of them did not exist, down.sh removes only those.
KZK_FOREIGN_DIRS="/var/log/containers /var/log/pods /var/lib/cni /run/containerd /var/run/netns /etc/cni /opt/cni"

export PATH="$BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH"

# cluster_lock: serialise up.sh/down.sh runs on this machine (one cluster per
# machine). The lock file lives in /run/lock (tmpfs, gone at reboot).
cluster_lock() {
  local f=/run/lock/kzk-cluster.lock
  [[ -d /run/lock ]] || f=/tmp/kzk-cluster.lock
  exec 9>"$f"
  if ! flock -n 9; then
    log "waiting for another up.sh/down.sh (lock $f)"
    flock -w 3600 9 || die "could not get $f within an hour"
  fi
}

# cluster_users: PIDs of live e2e processes registered in $STATE/users
# (test/e2e/lib/cluster.ts), other than $KZK_CLUSTER_USER_PID. Stale entries
# are removed.
cluster_users() {
  local f p
  for f in "$STATE"/users/*; do
    [[ -f $f ]] || continue
    p=${f##*/}
    if [[ -r /proc/$p/cmdline ]] && [[ $(tr '\0' ' ' <"/proc/$p/cmdline") == *node* ]]; then
      [[ $p == "${KZK_CLUSTER_USER_PID:-}" ]] || echo "$p"
    else
      rm -f "$f"
    fi
  done
}

log() { printf '[kzk-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# tail_log COMPONENT [LINES]: print the end of a component's log on stderr.
tail_log() {
  local f=$LOGS/$1.log
  if [[ -f $f ]]; then
    printf -- '----- last %s lines of %s -----\n' "${2:-40}" "$f" >&2
    tail -n "${2:-40}" "$f" >&2
    printf -- '----- end of %s -----\n' "$f" >&2
  fi
}

# die MESSAGE [COMPONENT...]: fail, showing the named components' log tails.
die() {
  local msg=$1; shift
  local c
  for c in "$@"; do tail_log "$c"; done
  log "FAILED: $msg"
  # test/e2e/lib/cluster.ts repeats this after the log tails it prints, so the
  # reason is the last thing in a CI log that keeps only the tail.
  [[ -d $STATE ]] && printf '%s\n' "$msg" >"$STATE/up-failed" 2>/dev/null
  exit 1
}

# pid_of NAME: the recorded PID if that process is still alive.
pid_of() {
  local f=$PIDS/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  # Guard against PID reuse: the process must run the recorded program.
  [[ -f $PIDS/$1.exe && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(<"$PIDS/$1.exe")" ]] || return 1
  echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

# Components started by this shell (start): NAME -> PID, so that a component
# that died under wait_for can be reaped and its exit status reported.
declare -A STARTED_PIDS=()

# how_it_ended NAME: sets ENDED to how the process of a component this shell
# started ended (exit status or signal), or to what /proc shows when it is
# still there. Not in $(...): only this shell can reap its child.
how_it_ended() {
  local pid=${STARTED_PIDS[$1]:-} rc
  ENDED="pid ${pid:-unknown}"
  [[ -n $pid ]] || return 0
  if [[ -d /proc/$pid ]]; then
    ENDED+=" still there: exe $(readlink "/proc/$pid/exe" 2>&1), $(grep '^State:' "/proc/$pid/status" 2>/dev/null | tr -s '\t ' ' ')"
    return 0
  fi
  wait "$pid" 2>/dev/null
  rc=$?
  if ((rc > 128 && rc < 128 + 65)); then
    ENDED+=" killed by SIG$(kill -l "$((rc - 128))")"
  else
    ENDED+=" exited with status $rc"
  fi
}

# start NAME PROGRAM ARGS...: start a long-running component in its own
# session, logging to $LOGS/NAME.log, PID in $PIDS/NAME.pid. No-op if running.
# With START_NETNS=NS it runs in that network namespace (nsenter --net: the
# host's mount namespace stays, so kubelet's and containerd's mounts are the
# same for both and visible to down.sh); nsenter execs, the PID is the
# component's.
start() {
  local name=$1 prog=$2; shift 2
  local args ns=${START_NETNS:-}
  args=$(printf '%q ' ${ns:+"netns=$ns"} "$prog" "$@")
  if running "$name"; then
    if [[ -f $PIDS/$name.args && "$(<"$PIDS/$name.args")" == "$args" ]]; then
      log "$name already running (pid $(pid_of "$name"))"
      return 0
    fi
    log "$name runs with other arguments: restarting it"
    stop "$name"
  fi
  local exe
  exe=$(readlink -f "$(command -v "$prog")") || die "$prog not found" "$name"
  mkdir -p "$LOGS" "$PIDS"
  printf '\n===== %s starting %s =====\n' "$(date -Is)" "$name" >>"$LOGS/$name.log"
  if [[ -n $ns ]]; then
    setsid nsenter --net="/run/netns/$ns" -- "$exe" "$@" </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &
  else
    setsid "$exe" "$@" </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &
  fi
  local pid=$! k
  STARTED_PIDS[$name]=$pid
  echo "$pid" >"$PIDS/$name.pid"
  echo "$exe" >"$PIDS/$name.exe"
  printf '%s' "$args" >"$PIDS/$name.args"
  # Until setsid (and nsenter) have exec'ed, /proc/PID/exe is bash or setsid
  # and pid_of would call the component dead (seen on a loaded machine).
  for ((k = 0; k < 100; k++)); do
    [[ -d /proc/$pid && "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "$exe" ]] || break
    sleep 0.05
  done
  log "started $name (pid $pid)"
}

# stop NAME: TERM the recorded process, KILL after 20s. Only that PID.
stop() {
  local name=$1 pid i
  if pid=$(pid_of "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      [[ -d /proc/$pid ]] || break
      sleep 0.2
    done
    if [[ -d /proc/$pid ]]; then
      log "$name did not exit after 20s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$PIDS/$name.pid" "$PIDS/$name.exe" "$PIDS/$name.args"
}

# stop_all NAME...: like stop, for several components at once (TERM to all,
# then wait up to 20s for all, KILL what is left).
stop_all() {
  local name pid i alive pids=()
  for name in "$@"; do
    if pid=$(pid_of "$name"); then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for ((i = 0; i < 100; i++)); do
    alive=0
    for pid in "${pids[@]}"; do [[ -d /proc/$pid ]] && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    if [[ -d /proc/$pid ]]; then
      log "pid $pid did not exit after 20s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$PIDS/$name.pid" "$PIDS/$name.exe" "$PIDS/$name.args"; done
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMPONENT COMMAND...: poll COMMAND until
# it succeeds; fail with COMPONENT's log tail on timeout or if it died.
wait_for() {
  local desc=$1 timeout=$2 comp=$3; shift 3
  local deadline=$((SECONDS + timeout))
  while :; do
    if [[ -n $comp && $comp != - ]] && ! running "$comp"; then
      how_it_ended "$comp"
      die "$comp exited while waiting for $desc ($ENDED)" "$comp"
    fi
    "$@" >/dev/null 2>&1 && break
    if [[ -n $comp && $comp != - ]] && ! running "$comp"; then
      how_it_ended "$comp"
      die "$comp exited while waiting for $desc ($ENDED)" "$comp"
    fi
    if ((SECONDS >= deadline)); then
      if [[ -n $comp && $comp != - ]]; then die "timed out after ${timeout}s waiting for $desc" "$comp"; fi
      die "timed out after ${timeout}s waiting for $desc"
    fi
    sleep 0.5
  done
}

# write_cfg FILE [COMPONENT]: write stdin to FILE only when the content
# differs (some components watch their config file and exit when it changes);
# when it did change and COMPONENT runs, stop it so up.sh restarts it with the
# new configuration.
write_cfg() {
  local f=$1 comp=${2:-}
  mkdir -p "$(dirname "$f")"
  cat >"$f.new"
  if [[ -f $f ]] && cmp -s "$f" "$f.new"; then
    rm -f "$f.new"
    return 0
  fi
  mv "$f.new" "$f"
  if [[ -n $comp ]] && running "$comp"; then
    log "$f changed: restarting $comp"
    stop "$comp"
  fi
}

kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
