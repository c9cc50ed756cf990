#!/usr/bin/env bash
# Environment shared by zkServer.sh and zkCli.sh in the kubectl-zk test image.
# Debian's libzookeeper-java ships only the jars; these scripts stand in for
# Apache ZooKeeper's bin/ scripts with the same variables and defaults.

# zookeeper.jar's manifest Class-Path brings its Debian dependencies (jetty,
# netty, jackson, ...). The AdminServer also needs the servlet API; logging
# goes through slf4j to log4j 1.2.
ZK_CLASSPATH_JARS="/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/servlet-api.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"

ZOOCFGDIR=${ZOOCFGDIR:-${ZOO_CONF_DIR:-/conf}}
if [[ -f $ZOOCFGDIR/zookeeper-env.sh ]]; then
  # shellcheck disable=SC1091
  . "$ZOOCFGDIR/zookeeper-env.sh"
fi
if [[ -f $ZOOCFGDIR/java.env ]]; then
  # shellcheck disable=SC1091
  . "$ZOOCFGDIR/java.env"
fi
ZOO_LOG_DIR=${ZOO_LOG_DIR:-/logs}
ZOO_LOG4J_PROP=${ZOO_LOG4J_PROP:-INFO,CONSOLE}
if [[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME:-}/bin/java ]]; then
  JAVA=$JAVA_HOME/bin/java
else
  JAVA=${JAVA:-java}
fi
# The config dir first, so a log4j.properties there wins over the default.
CLASSPATH="$ZOOCFGDIR:/etc/zookeeper:$ZK_CLASSPATH_JARS${CLASSPATH:+:${CLASSPATH}}"
