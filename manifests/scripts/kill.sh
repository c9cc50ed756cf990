#!/usr/bin/env bash
# failover-test --mode kill: run by kube.exec as `bash -c <this> kubectl-zk-kill [match]` (src/ops/failover/disrupt.ts).
# Finds the ZooKeeper server's JVM in the container by reading /proc (bash
# and /proc only: procps may be absent) and kills it. The container's PID 1
# ignores SIGKILL sent from inside its own PID namespace (pid_namespaces(7));
# kubectl-zk's start.sh execs zkServer.sh, which execs java, so the JVM IS
# PID 1 and only a signal it handles works: SIGTERM (the JVM exits at once,
# code 143). A JVM that is not PID 1 (e.g. shareProcessNamespace) gets SIGKILL.
# It prints "target pid=<pid> signal=<SIG>" before the kill (the exec stream
# dies with PID 1) and "exited" once the process is gone.
# $1: what one of the JVM's arguments ends with (default QuorumPeerMain).
set -u
match=${1:-QuorumPeerMain}
target=
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
  args=()
  mapfile -d '' -t args < "$d/cmdline" 2>/dev/null || continue
  (( ${#args[@]} > 1 )) || continue
  [[ ${args[0]##*/} == java ]] || continue
  for a in "${args[@]:1}"; do
    if [[ $a == *"$match" ]]; then target=$pid; break 2; fi
  done
done
if [[ -z $target ]]; then echo "no ZooKeeper server process (a java process with an argument ending in $match) in this container" >&2; exit 3; fi
sig=KILL
[[ $target == 1 ]] && sig=TERM
echo "target pid=$target signal=SIG$sig"
sleep 0.2 2>/dev/null || true
kill -s "$sig" "$target" || exit 4
for ((i = 0; i < 200; i++)); do
  state=
  if [[ -r /proc/$target/stat ]]; then read -r _ _ state _ < "/proc/$target/stat" 2>/dev/null || state=; fi
  if [[ -z $state || $state == Z ]]; then echo exited; exit 0; fi
  sleep 0.05 2>/dev/null || true
done
echo "pid $target still running 10s after SIG$sig" >&2
exit 5
