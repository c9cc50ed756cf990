#!/usr/bin/env bash
# kubectl-zk liveness: the server process answers ruok with imok. A member that is
# only electing a leader, or syncing from one, still answers (the client port is
# open from the end of the data load on), so neither gets it killed.
#
# `live.sh startup` is the startupProbe (liveness and readiness wait for it): it
# passes once the member has loaded its data and is past its first sync, i.e. it
# serves (srvr Mode), or it waits in an election for a quorum (AdminServer
# zabstate "election": nothing to sync yet, liveness takes over). Before that the
# JVM may be reading a large snapshot (client port closed), start.sh may be
# waiting for a leader (empty-disk guard), or the leader is sending a snapshot.
out="$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf ruok >&3 && cat <&3' 2>/dev/null)" || exit 1
[[ "$out" == imok ]] || exit 1
[[ "${1:-}" == startup ]] || exit 0
srvr="$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && cat <&3' 2>/dev/null)"
grep -Eq '^Mode: (leader|follower|observer)$' <<<"$srvr" && exit 0
zab="$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /commands/zabstate HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && cat <&3' 2>/dev/null)"
grep -Eq '"zabstate" *: *"election"' <<<"$zab"
