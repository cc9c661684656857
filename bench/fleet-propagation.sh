#!/usr/bin/env bash
# The fleet's Done-when measurements (issue "Fleet mode"): on one machine, a one-member etcd (the
# measurement is of propagation through the watch, not of raft), a control plane and N data-plane
# `sluice serve` processes, ROUTES routes loaded through the control plane; then
#   1. propagation: CHANGES one-route changes, each timed per node from sending the apply until the
#      node routes by it (its listener polled every PROBE_MS ms) and until its membership record
#      shows the revision (a watch on P/nodes/; the record lags the data plane by up to 250 ms);
#   2. the same with WATCHERS more etcd watches of P/revisions/ (in-process jetcd clients): etcd's
#      CPU time per change, watcher count and database size, with and without them;
#   3. a joining node: from process start until it routes the latest change / its record shows it.
# Prints a summary table. Driver: sluice-bench's io.sluice.bench.FleetPropagation.
# Usage: bench/fleet-propagation.sh [--nodes 10] [--routes 10000] [--changes 50] [--watchers 100] [--probe-ms 2]
# The data-plane JVMs' options: SLUICE_FLEET_DP_OPTS (default below), the control plane's: SLUICE_FLEET_CP_OPTS.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
args=()
while (($#)); do
  case $1 in
    --nodes|--routes|--changes|--watchers|--probe-ms) args+=("$1" "$2"); shift 2 ;;
    *) echo "unknown option: $1 (expected --nodes, --routes, --changes, --watchers, --probe-ms)" >&2; exit 2 ;;
  esac
done
etcd=$(command -v etcd) || { echo "fleet-propagation.sh: etcd not found: apt-get install etcd-server" >&2; exit 1; }
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -ntp -DskipTests -Dsluice.image.skip -pl sluice-server,sluice-bench -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
java="$JAVA_HOME/bin/java"
common="$(netty_unsafe_opt "$JAVA_HOME") $(server_priority_opts) --enable-native-access=ALL-UNNAMED \
-Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1"
# 10 data planes, a control plane, etcd and the driver share the machine (2 cores here): each data
# plane gets a small heap, the serial collector, C1 only (C2 in 10 JVMs would compile for minutes) and
# sizes its thread pools for one CPU.
dp_opts=${SLUICE_FLEET_DP_OPTS:-"-XX:+UseSerialGC -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -XX:ActiveProcessorCount=1"}
cp_opts=${SLUICE_FLEET_CP_OPTS:-"-XX:+UseSerialGC -Xms128m -Xmx512m"}
work=$(mktemp -d /tmp/sluice-fleet.XXXXXX)
driver_pid=
cleanup() {
  # The driver stops the processes it started (its children) on SIGTERM.
  if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then kill "$driver_pid"; wait "$driver_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) CPUs, $(uptime)"
echo "data-plane JVM options: $dp_opts"
"$java" $(netty_unsafe_opt "$JAVA_HOME") --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx512m -cp "$root/sluice-bench/target/classes:$jar:$root/sluice-server/target/lib/*" \
  io.sluice.bench.FleetPropagation --java "$java" --classpath "$jar:$root/sluice-server/target/lib/*" \
  --jvm-opts "$common $dp_opts" --cp-jvm-opts "$common $cp_opts" --etcd "$etcd" --work "$work" "${args[@]}" &
driver_pid=$!
status=0
wait "$driver_pid" || status=$?
driver_pid=
if [ "$status" != 0 ]; then for f in "$work"/*.log; do echo "--- $f"; tail -n 15 "$f"; done; fi
echo "machine after: $(uptime)"
exit $status
