#!/usr/bin/env bash
# node-restore.sh I [TIMEOUT_S]: brings back node I after node-lose.sh I: its
# veth up, containerd and kubelet started again with the exact command lines
# they had, then waits until the node is Ready (default 180 s). The node's
# pods were killed: kubelet syncs them with the API server (pods deleted
# meanwhile are cleaned up, the others restarted). A no-op for a node that is
# not lost. Exit 0 only when the node is Ready.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $EUID -eq 0 ]] || die "node-restore.sh must run as root"
[[ ${1:-} =~ ^[1-9]$ ]] || { echo "usage: node-restore.sh NODE_INDEX (1..9) [TIMEOUT_S]" >&2; exit 2; }
i=$1 n=$(node_name "$1") timeout=${2:-180}
lost=$STATE/lost/$n
if [[ ! -d $lost ]]; then
  log "$n is not lost (no $lost)"
  exit 0
fi
# restart NAME: start NAME again with its saved launch line (netns=NS PROG ARGS...)
restart() {
  local name=$1 line
  line=$(<"$lost/$name.args")
  eval "set -- $line"
  local ns=${1#netns=}
  shift
  START_NETNS=$ns start "$name" "$@"
}
ip link set "$(node_veth "$i")" up
restart "containerd-$n"
# the CRI, not only the socket: kubelet exits when the CRI is not ready yet
wait_for "containerd CRI of $n" 60 "containerd-$n" cri_ready "$i"
restart "kubelet-$n"
node_ready() { [[ $(kc --request-timeout=5s get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_for "node $n Ready" "$timeout" "kubelet-$n" node_ready "$n"
down_for=$(($(date +%s) - $(<"$lost/since")))
rm -rf "$lost"
rmdir "$STATE/lost" 2>/dev/null
log "node $n restored and Ready (it was lost for ${down_for}s)"
