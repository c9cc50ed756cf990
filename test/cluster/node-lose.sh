#!/usr/bin/env bash
# node-lose.sh I: a simulated node loss (power gone) for node I of the test
# cluster that is up. In this order:
#   1. its veth (host side kzkvI) goes down: the node and its pods are
#      unreachable (packets to them are dropped, nothing answers or resets);
#   2. its kubelet and containerd are stopped (their launch lines are kept in
#      $STATE/lost/kzk-node-I/ for node-restore.sh);
#   3. every process of its pods (cgroup /kzk-node-I/kubepods, frozen first so
#      nothing acts between two kills) and its containerd shims are killed:
#      containerd's shims and containers survive a containerd stop, and the
#      JVM would keep serving.
# kube-proxy and kube-router keep running (they only hold iptables state in
# the node's network namespace; cut off, they retry the API server).
# The node turns NotReady once the node-lifecycle controller's grace period
# passes. node-restore.sh I brings it back; always run it afterwards.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $EUID -eq 0 ]] || die "node-lose.sh must run as root"
[[ ${1:-} =~ ^[1-9]$ ]] || { echo "usage: node-lose.sh NODE_INDEX (1..9)" >&2; exit 2; }
i=$1 n=$(node_name "$1") d=$(node_dir "$1")
lost=$STATE/lost/$n
[[ -e /run/netns/$n ]] || die "no node $n (network namespace /run/netns/$n missing)"
[[ -d $lost ]] && die "$n is already lost ($lost exists): run node-restore.sh $i"
running "kubelet-$n" && running "containerd-$n" || die "$n's kubelet or containerd is not running: nothing to lose"
mkdir -p "$lost"
cp "$PIDS/kubelet-$n.args" "$PIDS/containerd-$n.args" "$lost/"
date +%s >"$lost/since"

log "losing node $n: veth $(node_veth "$i") down"
ip link set "$(node_veth "$i")" down

# Freeze the node's pods before anything else moves, kill them, then thaw so
# the kills are delivered.
freezer=/sys/fs/cgroup/freezer/$n/kubepods
[[ -d $freezer ]] && echo FROZEN >"$freezer/freezer.state"
stop_all "kubelet-$n" "containerd-$n"
killed=0
if [[ -d $freezer ]]; then
  while read -r pid; do
    kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
  done < <(find "$freezer" -name cgroup.procs -exec cat {} + 2>/dev/null)
fi
for f in "$d"/containerd/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
  [[ -f $f ]] || continue
  pid=$(<"$f")
  if [[ -n $pid && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *containerd-shim* ]]; then
    kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
  fi
done
[[ -d $freezer ]] && echo THAWED >"$freezer/freezer.state"
log "node $n lost: kubelet and containerd stopped, $killed pod and shim processes killed, unreachable"
