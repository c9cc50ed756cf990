#!/usr/bin/env bash
# Proves the built ZooKeeper images without a Kubernetes cluster: imports
# $IMAGES/zookeeper.tar into a private containerd (its own root, state and
# socket under a temp dir; stopped at the end) and runs each image with runc
#   1. as `kubectl zk create` runs it: the plugin's real start.sh as the
#      container command, uid/gid 1000, read-only root filesystem, the
#      ConfigMap's files from `kubectl zk create --dry-run` mounted read-only
#      on /opt/kubectl-zk, /data /tmp /logs writable (a 1-member ensemble whose
#      peer address is the container's loopback);
#   2. with its own ENTRYPOINT and CMD, as root (the official image's path:
#      chown, re-exec as zookeeper, zoo.cfg and myid from ZOO_* variables);
# and checks, from inside the container's own network namespace (loopback
# only), that srvr reports the image's version and the AdminServer answers
# /commands/ruok on 8080.
# Needs: containerd, ctr, runc, jq, the built plugin (npm run build) and Node on PATH.
# Usage: check-zookeeper.sh [IMAGE...]   (default: $ZK_IMAGE $ZK_IMAGE_38)
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# not lib.sh's die: this is no up.sh run, nothing goes to $STATE
die() { log "FAILED: $*"; exit 1; }
REPO=$(cd "$CLUSTER_DIR/../.." && pwd)
[[ -f $IMAGES/zookeeper.tar ]] || die "no $IMAGES/zookeeper.tar: run test/cluster/build.sh zookeeper"
[[ -f $REPO/dist/main.js ]] || die "the plugin is not built: npm run build"
for t in containerd ctr runc jq node; do command -v "$t" >/dev/null || die "$t not found"; done
[[ $# -gt 0 ]] || set -- "$ZK_IMAGE" "$ZK_IMAGE_38"

W=$(mktemp -d /tmp/kzk-image-check.XXXX)
CTD_PID=""
cleanup() {
  if [[ -n $CTD_PID ]]; then kill -TERM "$CTD_PID" 2>/dev/null || true; wait "$CTD_PID" 2>/dev/null || true; fi
  umount -R "$W/ctd/root" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/ctd"
cat >"$W/ctd/config.toml" <<CFG
version = 2
root = "$W/ctd/root"
state = "$W/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/ctd/containerd.sock"
[ttrpc]
  address = "$W/ctd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/ctd/opt"
CFG
containerd --config "$W/ctd/config.toml" </dev/null >"$W/ctd/containerd.log" 2>&1 &
CTD_PID=$!
C=(ctr -a "$W/ctd/containerd.sock" -n k8s.io)
wait_for "private containerd" 30 - "${C[@]}" version
"${C[@]}" images import "$IMAGES/zookeeper.tar" >"$W/import.log" 2>&1 || { cat "$W/import.log" >&2; die "ctr images import failed"; }
log "imported: $("${C[@]}" images ls -q | tr '\n' ' ')"

m() { printf 'type=bind,src=%s,dst=%s,options=rbind:%s' "$1" "$2" "$3"; }
# probe ID VERSION: srvr and the AdminServer, from inside the container (bash /dev/tcp, no curl in the image)
probe() {
  "${C[@]}" task exec --exec-id "srvr-$RANDOM" "$1" bash -c '
    for i in $(seq 1 120); do
      out=$( (exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && cat <&3) 2>/dev/null || true)
      grep -q "^Mode: " <<<"$out" && break
      sleep 0.5
    done
    grep -E "^(Zookeeper version|Mode):" <<<"$out"
    exec 4<>/dev/tcp/127.0.0.1/8080 && printf "GET /commands/ruok HTTP/1.0\r\n\r\n" >&4 && tr -d "\r" <&4 | grep -E "^HTTP/1.1 200|\"command\" : \"ruok\""
    printf "java processes of uid 1000: %s\n" "$(pgrep -u 1000 -c java)"' >"$W/probe.out" 2>&1 || true
  cat "$W/probe.out"
  grep -q "^Zookeeper version: $2-" "$W/probe.out" && grep -q '^HTTP/1.1 200' "$W/probe.out" && grep -q '"command" : "ruok"' "$W/probe.out" &&
    grep -q '^java processes of uid 1000: 1$' "$W/probe.out"
}
stop_task() {
  "${C[@]}" task kill -s KILL "$1" >/dev/null 2>&1 || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do "${C[@]}" task delete "$1" >/dev/null 2>&1 && break; sleep 0.5; done
  "${C[@]}" container delete "$1" >/dev/null 2>&1 || true
}

for img in "$@"; do
  version=${img##*:}
  R=$W/$version
  mkdir -p "$R"/{opt,data,tmp,logs,data2,datalog2,logs2}
  (cd "$REPO" && KUBECONFIG=/nonexistent node bin/kubectl-zk create zk -n check --replicas 1 --image "$img" --dry-run -o json) >"$R/objects.json"
  jq -r '.items[] | select(.kind=="ConfigMap") | .data | keys[]' "$R/objects.json" | while read -r k; do
    jq -r --arg k "$k" '.items[] | select(.kind=="ConfigMap") | .data[$k]' "$R/objects.json" >"$R/opt/$k"
  done
  digest=$(jq -r '.items[] | select(.kind=="Secret") | .stringData.digest' "$R/objects.json")
  # the pod's DNS name does not resolve here: the member's peer address is its loopback
  sed -i -E 's/=[^:=]+:2888:3888/=127.0.0.1:2888:3888/' "$R/opt/zoo.cfg.dynamic"
  chmod 0555 "$R/opt"; chmod 0444 "$R"/opt/*
  chown 1000:1000 "$R/data" "$R/tmp" "$R/logs"

  id=kzk-check-start-$version
  log "$img: the plugin's start.sh as uid 1000, read-only root"
  "${C[@]}" run -d --read-only --log-uri "file://$R/start.log" \
    --mount "$(m "$R/opt" /opt/kubectl-zk ro)" --mount "$(m "$R/data" /data rw)" --mount "$(m "$R/tmp" /tmp rw)" --mount "$(m "$R/logs" /logs rw)" \
    --env POD_NAME=zk-0 --env POD_NAMESPACE=check --env ZK_DATA_DIR=/data --env ZK_HEAP_MB=128 --env "ZK_SUPER_DIGEST=$digest" --env ZOO_LOG_DIR=/logs \
    "$img" "$id" setpriv --reuid=1000 --regid=1000 --clear-groups bash /opt/kubectl-zk/start.sh
  if ! probe "$id" "$version"; then tail -n 30 "$R/start.log" >&2; stop_task "$id"; die "$img does not serve under start.sh"; fi
  stop_task "$id"

  id=kzk-check-entry-$version
  log "$img: its own entrypoint and CMD, as root"
  "${C[@]}" run -d --log-uri "file://$R/entry.log" \
    --mount "$(m "$R/data2" /data rw)" --mount "$(m "$R/datalog2" /datalog rw)" --mount "$(m "$R/logs2" /logs rw)" \
    --env ZOO_4LW_COMMANDS_WHITELIST=srvr,ruok "$img" "$id"
  if ! probe "$id" "$version"; then tail -n 30 "$R/entry.log" >&2; stop_task "$id"; die "$img does not serve with its entrypoint"; fi
  "${C[@]}" task exec --exec-id "cfg-$RANDOM" "$id" bash -c 'grep -q "^admin.enableServer=true$" /conf/zoo.cfg && [ "$(cat /data/myid)" = 1 ] && [ "$(stat -c %u /data/version-2)" = 1000 ]' ||
    { stop_task "$id"; die "$img: the entrypoint did not write zoo.cfg/myid or did not drop to uid 1000"; }
  stop_task "$id"
  log "$img: OK"
done
