#!/usr/bin/env bash
# Shows the test cluster's state: each component's PID (from $STATE/pids),
# per node its containerd, kubelet, kube-proxy, kube-router, network
# namespace, Ready condition, zone and images, then the pods and the env file.
# Exit status 0 only when every component runs and every node is Ready.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ok=0
show() { # COMPONENT
  local pid rss
  if pid=$(pid_of "$1"); then
    rss=$(awk '/^VmRSS/ {print int($2/1024) "Mi"}' "/proc/$pid/status" 2>/dev/null)
    printf '  %-34s running  pid %-7s rss %s\n' "$1" "$pid" "$rss"
  else
    printf '  %-34s STOPPED  (log: %s)\n' "$1" "$LOGS/$1.log"
    ok=1
  fi
}
echo "state: $STATE"
echo "cache: $CACHE_DIR"
if [[ ! -f $STATE/node-count ]]; then
  echo "no cluster (no $STATE/node-count)"
  exit 1
fi
nodes=$(seq 1 "$(<"$STATE/node-count")")
for c in etcd kube-apiserver kube-controller-manager kube-scheduler coredns local-path-provisioner; do show "$c"; done
have_kc=0
[[ -f $KUBECONFIG_ADMIN ]] && command -v kubectl >/dev/null && have_kc=1
for i in $nodes; do
  n=$(node_name "$i")
  echo "node $n ($(node_ip "$i"), pods $(node_pod_cidr "$i"), $(node_zone "$i"))"
  if [[ -e /run/netns/$n ]]; then echo "  network namespace $n present"; else echo "  network namespace $n MISSING"; ok=1; fi
  for c in containerd kubelet kube-proxy kube-router; do show "$c-$n"; done
  if ((have_kc)); then
    ready=$(kc get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
    zone=$(kc get node "$n" -o 'jsonpath={.metadata.labels.topology\.kubernetes\.io/zone}' 2>/dev/null)
    echo "  Ready: ${ready:-unknown}  zone label: ${zone:-none}"
    [[ $ready == True ]] || ok=1
  fi
  if running "containerd-$n"; then
    echo "  images: $(ctr --address "$(node_sock "$i")" -n k8s.io images ls -q 2>/dev/null | grep -v '^sha256:' | tr '\n' ' ')"
  fi
done
if ((have_kc)); then
  kc get pods -A -o wide 2>/dev/null | sed 's/^/  /'
else
  echo "no kubeconfig at $KUBECONFIG_ADMIN"
  ok=1
fi
if [[ -f $ENV_FILE ]]; then echo "env file: $ENV_FILE"; else echo "env file: (none)"; ok=1; fi
exit $ok
