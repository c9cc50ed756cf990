#!/usr/bin/env bash
# zkCli.sh for the kubectl-zk test image: org.apache.zookeeper.ZooKeeperMain.
# Logs go to stderr at WARN and above (ZOO_CLI_LOG_THRESHOLD), so stdout
# carries only command output.
# Usage: zkCli.sh [-server host:port] [cmd args...]   (CLIENT_JVMFLAGS honoured)
set -euo pipefail
# shellcheck source=zkEnv.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/zkEnv.sh"
# shellcheck disable=SC2086
exec "$JAVA" "-Dzookeeper.log.dir=$ZOO_LOG_DIR" "-Dzookeeper.log.file=zookeeper-cli.log" \
  "-Dzookeeper.console.threshold=${ZOO_CLI_LOG_THRESHOLD:-WARN}" -cp "$CLASSPATH" $ZOO_LOGBACK_OPT ${CLIENT_JVMFLAGS:-} ${JVMFLAGS:-} \
  org.apache.zookeeper.ZooKeeperMain "$@"
