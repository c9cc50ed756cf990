#!/usr/bin/env bash
# Environment shared by zkServer.sh and zkCli.sh in the kubectl-zk test image.
# Maven carries Apache ZooKeeper's jars but not the release tarball's bin/
# scripts; these stand in for them, with the same variables and defaults, in
# the tarball's layout: /apache-zookeeper-<version>-bin/{bin,lib,conf}.

ZOOBINDIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
ZOOKEEPER_PREFIX=$(dirname "$ZOOBINDIR")
ZOOCFGDIR=${ZOOCFGDIR:-${ZOO_CONF_DIR:-$ZOOKEEPER_PREFIX/conf}}
if [[ -f $ZOOCFGDIR/zookeeper-env.sh ]]; then
  # shellcheck disable=SC1091
  . "$ZOOCFGDIR/zookeeper-env.sh"
fi
if [[ -f $ZOOCFGDIR/java.env ]]; then
  # shellcheck disable=SC1091
  . "$ZOOCFGDIR/java.env"
fi
ZOO_LOG_DIR=${ZOO_LOG_DIR:-$ZOOKEEPER_PREFIX/logs}
if [[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME:-}/bin/java ]]; then
  JAVA=$JAVA_HOME/bin/java
else
  JAVA=${JAVA:-java}
fi
# The config dir is on the classpath, as in the release: logback reads the
# logback.xml there (the image has one in /conf, like the official image).
# Without one there, the distribution's conf/logback.xml is used.
CLASSPATH="$ZOOCFGDIR:$ZOOKEEPER_PREFIX/lib/*${CLASSPATH:+:${CLASSPATH}}"
ZOO_LOGBACK_OPT=""
if [[ ! -f $ZOOCFGDIR/logback.xml && -f $ZOOKEEPER_PREFIX/conf/logback.xml ]]; then
  ZOO_LOGBACK_OPT="-Dlogback.configurationFile=$ZOOKEEPER_PREFIX/conf/logback.xml"
fi
