#!/usr/bin/env bash
# kubectl-zk liveness: the server process answers ruok with imok. A member that is
# only electing a leader still answers, so an election never gets it killed.
out="$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf ruok >&3 && cat <&3' 2>/dev/null)" || exit 1
[[ "$out" == imok ]]
