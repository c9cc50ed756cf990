#!/usr/bin/env bash
# zkCli.sh for the kubectl-zk test image: org.apache.zookeeper.ZooKeeperMain
# with Debian's jars. Logs go to stderr (WARN and above unless ZOO_LOG4J_PROP
# says otherwise), so stdout carries only command output.
# Usage: zkCli.sh [-server host:port] [cmd args...]   (CLIENT_JVMFLAGS honoured)
set -euo pipefail
ZOO_LOG4J_PROP=${ZOO_LOG4J_PROP:-WARN,CONSOLE}
# shellcheck source=zkEnv.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/zkEnv.sh"
# shellcheck disable=SC2086
exec "$JAVA" "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=zookeeper-cli.log" \
  "-Dzookeeper.root.logger=$ZOO_LOG4J_PROP" -cp "$CLASSPATH" ${CLIENT_JVMFLAGS:-} ${JVMFLAGS:-} \
  org.apache.zookeeper.ZooKeeperMain "$@"
