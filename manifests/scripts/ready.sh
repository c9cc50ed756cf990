#!/usr/bin/env bash
# kubectl-zk readiness: ready means "this member serves clients as part of a
# quorum" - srvr answers with a leader/follower/observer Mode line. Pods start in
# parallel and peers resolve before they are ready (publishNotReadyAddresses),
# so requiring a quorum here cannot deadlock the bootstrap.
out="$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && cat <&3' 2>/dev/null)" || exit 1
grep -Eq '^Mode: (leader|follower|observer)$' <<<"$out"
