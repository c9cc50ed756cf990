#!/usr/bin/env bash
# Tears down what test/cluster/up.sh set up and leaves the machine as found:
# stops exactly the processes recorded in $STATE/pids (never by name), removes
# every pod sandbox through each node's containerd first (CNI releases IPs,
# veths, netns), unmounts everything under $STATE, deletes the nodes' network
# namespaces (with them their iptables rules, ipsets and conntrack entries),
# sweeps kube-proxy's and the CNI plugins' chains from the host's tables,
# removes the nodes' cgroups, veths, routes and the bridge, restores
# the sysctls and removes directories the cluster created, then $STATE.
# The build cache ($CACHE_DIR) is kept. Safe to run twice.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || die "down.sh must run as root"
cluster_lock
users=$(cluster_users | tr '\n' ' ')
if [[ -n $users && ${KZK_FORCE_DOWN:-} != 1 ]]; then
  log "the cluster is in use by e2e process(es) $users(registered in $STATE/users): not stopping it; KZK_FORCE_DOWN=1 stops it anyway"
  exit 3
fi
T0=$SECONDS
step() { log "==> $*"; }

# The nodes that exist: their state directories, network namespaces and
# host-side veths (a half-finished up.sh may have left only some of these).
NODE_IDX=$({
  nodes_present
  ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^kzk-node-\([1-9]\)$/\1/p'
  ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: kzkv\([1-9]\)[@:].*/\1/p'
} | sort -u)

# ---------------------------------------------------------------- processes
step "stopping cluster components"
comps=(local-path-provisioner coredns)
for i in $NODE_IDX; do
  n=$(node_name "$i")
  comps+=("kube-router-$n" "kube-proxy-$n" "kubelet-$n")
done
# kubelet, kube-proxy: the older single-node layout ran them on the host.
stop_all "${comps[@]}" kube-proxy kubelet kube-scheduler kube-controller-manager

# remove_pods SOCKET CRICTL_CONFIG STATEDIR LABEL: every pod sandbox through
# the CRI (CNI DEL releases IPs, veths, port mappings), any other task, then
# leftover shims recorded in that containerd's state directory.
remove_pods() {
  local sock=$1 cfg=$2 sdir=$3 label=$4 ctrs ns t f pid
  if [[ -S $sock && -x $BIN/crictl ]]; then
    step "removing pod sandboxes through containerd ($label)"
    CRICTL=(crictl --config "$cfg" --runtime-endpoint "unix://$sock" --timeout 60s)
    # Kill containers at once (a pod's PID 1 may ignore SIGTERM), then remove
    # the sandboxes.
    mapfile -t ctrs < <("${CRICTL[@]}" ps -q 2>/dev/null)
    ((${#ctrs[@]})) && timeout 120 "${CRICTL[@]}" stop --timeout 0 "${ctrs[@]}" >/dev/null 2>&1
    timeout 180 "${CRICTL[@]}" rmp --all --force >&2 ||
      log "crictl rmp reported errors ($label; continuing)"
    # Anything the CRI did not own (e.g. ctr-started tasks).
    for ns in $(ctr --address "$sock" namespaces ls -q 2>/dev/null); do
      for t in $(ctr --address "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
        ctr --address "$sock" -n "$ns" tasks kill -s SIGKILL "$t" 2>/dev/null
        sleep 0.5
        ctr --address "$sock" -n "$ns" tasks delete -f "$t" 2>/dev/null
      done
    done
  fi
  for f in "$sdir"/io.containerd.runtime.v2.task/*/*/shim.pid; do
    [[ -f $f ]] || continue
    pid=$(<"$f")
    if [[ -n $pid && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == *containerd-shim* ]]; then
      log "killing leftover shim pid $pid ($f)"
      kill -KILL "$pid" 2>/dev/null
    fi
  done
}
# The nodes one after the other would take 3x as long: in parallel.
rm_pids=()
for i in $NODE_IDX; do
  n=$(node_name "$i") d=$(node_dir "$i")
  if running "containerd-$n"; then
    remove_pods "$(node_sock "$i")" "$d/crictl.yaml" "$d/containerd/state" "$n" &
    rm_pids+=("$!")
  else
    remove_pods /nonexistent /dev/null "$d/containerd/state" "$n"
  fi
done
for p in "${rm_pids[@]}"; do wait "$p"; done
# The older single-node layout's containerd on the host.
if running containerd; then
  remove_pods "$STATE/containerd/containerd.sock" "$STATE/crictl.yaml" "$STATE/containerd/state" host
fi
comps=(containerd)
for i in $NODE_IDX; do comps+=("containerd-$(node_name "$i")"); done
stop_all "${comps[@]}"
stop kube-apiserver # before etcd: it waits for etcd while shutting down
stop etcd

# ------------------------------------------------------------------ mounts
step "unmounting under $STATE"
if [[ -d $STATE ]]; then
  for pass in 1 2 3; do
    mapfile -t mnts < <(awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    ((${#mnts[@]})) || break
    for m in "${mnts[@]}"; do
      m=$(printf '%b' "${m//\\/\\x5c}") # mountinfo escapes (\040 ...) -> bytes
      umount "$m" 2>/dev/null || { [[ $pass == 3 ]] && umount -l "$m" 2>/dev/null; } || true
    done
  done
fi

# ---------------------------------------------------------------- iptables
step "removing kube-proxy and CNI iptables chains"
if [[ -x $BIN/kube-proxy ]]; then
  "$BIN/kube-proxy" --cleanup >"/tmp/kzk-kube-proxy-cleanup.$$.log" 2>&1 || true
  rm -f "/tmp/kzk-kube-proxy-cleanup.$$.log"
fi
sweep_chains() { # IPTABLES-BINARY
  local ipt=$1 table rules chains r c
  command -v "$ipt" >/dev/null || return 0
  for table in filter nat mangle raw; do
    rules=$("$ipt" -w -t "$table" -S 2>/dev/null) || continue
    # Jumps from any chain into ours, then our chains themselves.
    while read -r r; do
      [[ -n $r ]] || continue
      eval "\"$ipt\" -w -t $table ${r/-A /-D }" 2>/dev/null
    done < <(grep -E '^-A ' <<<"$rules" | grep -E -- '-j (KUBE-|CNI-)|-g (KUBE-|CNI-)' | grep -vE '^-A (KUBE-|CNI-)')
    chains=$(grep -oE '^-N (KUBE-|CNI-)[^ ]+' <<<"$rules" | cut -d' ' -f2)
    for c in $chains; do "$ipt" -w -t "$table" -F "$c" 2>/dev/null; done
    for c in $chains; do "$ipt" -w -t "$table" -X "$c" 2>/dev/null; done
  done
}
sweep_chains iptables
sweep_chains ip6tables

# ----------------------------------------------------------------- cgroups
step "removing the nodes' cgroups (/kzk-node-*, /kubepods)"
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  for c in "$h"kubepods "$h"kzk-node-[1-9]; do
    [[ -d $c ]] || continue
    find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
    [[ -d $c ]] && log "could not remove $c (still in use?)"
  done
done

# ---------------------------------------------------------------- network
step "removing node namespaces, veths, routes and bridge $BRIDGE"
for i in $NODE_IDX; do
  n=$(node_name "$i")
  if [[ -e /run/netns/$n ]]; then
    # Every process in a node's namespace is one this cluster started (a
    # component, a shim): none should be left; kill stragglers so the
    # namespace (and its iptables rules, ipsets, conntrack) goes away.
    for pid in $(ip netns pids "$n" 2>/dev/null); do
      log "killing leftover pid $pid in $n ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$n" 2>/dev/null || log "could not delete network namespace $n"
  fi
  ip link del "$(node_veth "$i")" 2>/dev/null
  ip route del "$(node_pod_cidr "$i")" 2>/dev/null
done
ip route del unreachable "$SVC_CIDR" 2>/dev/null
ip route del blackhole "$SVC_CIDR" 2>/dev/null
ip route del "$SVC_CIDR" dev "$BRIDGE" 2>/dev/null # older single-node layout
ip link del "$BRIDGE" 2>/dev/null
# Pod veths normally vanish with their netns; remove strays still on our bridge.
for l in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  ip link del "$l" 2>/dev/null
done
for ns in "$STATE"/containerd/state/io.containerd.grpc.v1.cri/netns/* "$NODES_DIR"/*/containerd/state/io.containerd.grpc.v1.cri/netns/*; do
  [[ -e $ns ]] && { umount "$ns" 2>/dev/null; rm -f "$ns"; }
done

# ------------------------------------------------------------ host restore
if [[ -f $STATE/host-before ]]; then
  step "restoring sysctls and removing directories the cluster created"
  while read -r kind a b; do
    [[ $kind == sysctl ]] && sysctl -qw "$a=$b" 2>/dev/null
  done <"$STATE/host-before"
  for d in $KZK_FOREIGN_DIRS; do
    grep -qxF "dir $d" "$STATE/host-before" && continue
    [[ -e $d ]] || continue
    case $d in
      /var/log/containers) find "$d" -maxdepth 1 -type l -lname "$STATE/*" -delete 2>/dev/null; rmdir "$d" 2>/dev/null ;;
      /run/containerd) rm -rf "$d/s" "$d/io.containerd.runtime.v2.task" 2>/dev/null; rmdir "$d/runc/k8s.io" "$d/runc" 2>/dev/null; rmdir "$d" 2>/dev/null ;;
      # `ip netns add` bind-mounts the directory onto itself; only when empty.
      /var/run/netns) if [[ -z $(ls -A "$d" 2>/dev/null) ]]; then umount "$d" 2>/dev/null; umount "$d" 2>/dev/null; rmdir "$d" 2>/dev/null; fi ;;
      *) rm -rf "$d" ;;
    esac
  done
fi

# ------------------------------------------------------------------- state
if [[ -d $STATE ]]; then
  step "removing $STATE"
  if awk -v s="$STATE/" 'index($5, s) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
    log "some mounts under $STATE are still busy; leaving the directory (run down.sh again)"
    exit 1
  fi
  rm -rf "$STATE"
fi
log "cluster down in $((SECONDS - T0))s"
