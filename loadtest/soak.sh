#!/usr/bin/env bash
# Soak benchmark (outside CI): a node in one JVM under steady connections, churn and publishes for N
# minutes, printing heap after GC and RSS every sample; exits 1 on a heap growth trend or a client
# problem (an offset seen twice or out of order). See docs/RELIABILITY.md.
#
#   loadtest/soak.sh [minutes] [connections] [publishes/s]        e.g. loadtest/soak.sh 30 500 200
#
# Other knobs (Java system properties, through SOAK_OPTS): soak.channels (100), soak.perConnection (3),
# soak.churn (connections closed and reopened per second, 10), soak.sampleSeconds (15).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
connections=${2:-500}
publishes=${3:-200}
mvn -B -q -o test-compile 2>/dev/null || mvn -B -q test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/soak.classpath >/dev/null 2>&1 \
  || mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/soak.classpath >/dev/null
exec java -Xmx${SOAK_HEAP:-512m} -XX:+UseG1GC \
  -cp "target/test-classes:target/classes:$(cat target/soak.classpath)" \
  -Dsoak.seconds=$((minutes * 60)) -Dsoak.connections="$connections" -Dsoak.publishes="$publishes" ${SOAK_OPTS:-} \
  dev.apexpulse.reliability.Soak
