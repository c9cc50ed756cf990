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
# $2: KILL (default), or STOP / CONT (failover-test --mode pause: freeze the
# JVM and thaw it; neither works on PID 1, which only gets signals it handles).
set -u
match=${1:-QuorumPeerMain}
want=${2:-KILL}
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
if [[ $want == STOP || $want == CONT ]]; then
  if [[ $target == 1 ]]; then echo "the ZooKeeper JVM is PID 1 here: SIG$want cannot reach it (the pod needs shareProcessNamespace)" >&2; exit 6; fi
  echo "target pid=$target signal=SIG$want"
  kill -s "$want" "$target" || exit 4
  read -r _ _ state _ < "/proc/$target/stat" 2>/dev/null || state=
  echo "state=$state"
  exit 0
fi
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
