#!/usr/bin/env bash
# Shows the test cluster's state: each component's PID (from $STATE/pids),
# the node, the images in containerd, and the env file.
# Exit status 0 only when every component runs and the node is Ready.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ok=0
echo "state: $STATE"
echo "cache: $CACHE_DIR"
for c in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns local-path-provisioner; do
  if pid=$(pid_of "$c"); then
    rss=$(awk '/^VmRSS/ {print int($2/1024) "Mi"}' "/proc/$pid/status" 2>/dev/null)
    printf '  %-24s running  pid %-7s rss %s\n' "$c" "$pid" "$rss"
  else
    printf '  %-24s STOPPED  (log: %s)\n' "$c" "$LOGS/$c.log"
    ok=1
  fi
done
if [[ -f $KUBECONFIG_ADMIN ]] && command -v kubectl >/dev/null; then
  ready=$(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)
  echo "node $NODE_NAME Ready: ${ready:-unknown}"
  [[ $ready == True ]] || ok=1
  kc get pods -A -o wide 2>/dev/null | sed 's/^/  /'
else
  echo "no kubeconfig at $KUBECONFIG_ADMIN"
  ok=1
fi
if running containerd; then
  echo "images:"
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q 2>/dev/null | grep -v '^sha256:' | sed 's/^/  /'
fi
if [[ -f $ENV_FILE ]]; then echo "env file: $ENV_FILE"; else echo "env file: (none)"; ok=1; fi
exit $ok
