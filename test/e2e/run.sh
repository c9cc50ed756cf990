#!/usr/bin/env bash
# Runs the e2e suite as two mocha processes in parallel against one cluster (the suite
# is mostly waiting on ZooKeeper and Kubernetes, so two runs share 2 cores well).
# Brings the cluster up first (so the two processes never race to start it) and down at
# the end when this script started it (KZK_KEEP_CLUSTER=1 keeps it). Each process's
# output goes to its own file, printed whole at the end (mocha's summary lines intact).
# Group A holds the long fault tests; B the rest. Any file not listed in A or X goes to B.
# Group X changes the cluster itself (cordons a node; node-loss loses one for a few minutes): it runs alone, after A and B.
set -uo pipefail
cd "$(dirname "$0")/../.."
A=(lock-evict-signal harden-sync harden-kept failover-modes backup-schedule zookeeper-versions restore-quorum tls tls-enable tls-from-secret)
X=(node-placement node-loss)
MOCHA=(npx mocha --exit --timeout 600000)

keep=${KZK_KEEP_CLUSTER:-0}
started_here=0
if ! bash test/cluster/status.sh >/dev/null 2>&1; then
  bash test/cluster/up.sh >&2 || { echo "error: the test cluster did not come up" >&2; exit 1; }
  started_here=1
fi
export KZK_KEEP_CLUSTER=1

a=(); b=(); x=()
for f in test/e2e/*.test.ts; do
  base=$(basename "$f" .test.ts)
  if [[ " ${A[*]} " == *" $base "* ]]; then a+=("$f"); elif [[ " ${X[*]} " == *" $base "* ]]; then x+=("$f"); else b+=("$f"); fi
done
out=$(mktemp -d)
"${MOCHA[@]}" "${a[@]}" >"$out/a.log" 2>&1 & pa=$!
"${MOCHA[@]}" "${b[@]}" >"$out/b.log" 2>&1 & pb=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
"${MOCHA[@]}" "${x[@]}" >"$out/x.log" 2>&1; rx=$?
echo "::: e2e group A (${a[*]}) exited $ra"; cat "$out/a.log"
echo "::: e2e group B (${b[*]}) exited $rb"; cat "$out/b.log"
echo "::: e2e group X, alone (${x[*]}) exited $rx"; cat "$out/x.log"
if [ "$started_here" = 1 ] && [ "$keep" != 1 ]; then bash test/cluster/down.sh >&2; fi
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && [ "$rx" -eq 0 ]
