#!/usr/bin/env bash
# Configuration changes at scale (issue "Control plane", item 5). With 10,000 routes loaded:
#   1. propagation: 100 single-route changes through the admin API, each timed until the proxy
#      routes by it;
#   2. traffic during churn: ../shared/bench/proxy-bench twice on `/` - quiet, then while bursts of
#      100 single-route changes are applied every 3 s - to compare p99. The changes are sent only while
#      the gateway is under load: proxy-bench measures nginx and HAProxy on the gateway's core while
#      the gateway idles, and they must not pay for its reconfiguration.
# The gateway is pinned to PROXY_CPU (1) and the clients to LOAD_CPU (0), as proxy-bench does.
# Usage: bench/config-churn.sh [--routes N] [--rounds N] [--warmup S]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
bench="${PROXY_BENCH:-$root/../shared/bench/proxy-bench}"
[ -x "$bench" ] || { echo "config-churn.sh: $bench not found (set PROXY_BENCH)" >&2; exit 1; }
routes=10000 rounds=3 warmup=60
while (($#)); do
  case $1 in
    --routes) routes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -DskipTests -pl sluice-server,sluice-bench -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
java="$JAVA_HOME/bin/java"
churn="$java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp $root/sluice-bench/target/benchmarks.jar io.sluice.bench.ConfigChurn"
work=$(mktemp -d /tmp/sluice-churn.XXXXXX)
trap 'rm -rf "$work"' EXIT
$churn generate "$work/config" "$routes"
admin=127.0.0.1:19900
serve() { # $1: data dir
  echo "$java $(netty_unsafe_opt "$JAVA_HOME") $(server_priority_opts) -XX:+UseSerialGC -Xms512m -Xmx512m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED \
 -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
 -cp $jar:$root/sluice-server/target/lib/* io.sluice.server.Main serve --event-loops 1 \
 --config-dir $work/config --data-dir $1 --admin-address $admin"
}

echo "== propagation: $routes routes loaded, 100 single-route changes"
taskset -c "${PROXY_CPU:-1}" bash -c "exec $(serve "$work/data-propagation")" >"$work/propagation.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fs "http://$admin/api/v1/status" >/dev/null 2>&1 && break; sleep 0.2; done
taskset -c "${LOAD_CPU:-0}" $churn propagate "http://$admin" 18090 100 >/dev/null   # warm-up
taskset -c "${LOAD_CPU:-0}" $churn propagate "http://$admin" 18090 100
kill "$pid"; wait "$pid" || true   # serve drains and exits on SIGTERM

echo "== proxy-bench, quiet ($routes routes)"
"$bench" --gateway-cmd "$(serve "$work/data-quiet")" --path / --rounds "$rounds" --warmup "$warmup" --out "$work/quiet"
echo "== proxy-bench, bursts of 100 single-route changes every 3 s while the gateway is under load ($routes routes)"
# The change client runs on the load generator's CPU, not the gateway's.
"$bench" --gateway-cmd "$(serve "$work/data-churn") & gw=\$!; taskset -c ${LOAD_CPU:-0} $churn burst http://$admin $routes 100 3 \$gw 2>>$work/bursts.log & wait" \
  --path / --rounds "$rounds" --warmup "$warmup" --out "$work/churn"
echo "bursts sent while the gateway was under load: $(grep -c '^burst' "$work/bursts.log" || true)" \
  "(each: $(grep '^burst' "$work/bursts.log" | awk '{print $6}' | sort -n | awk '{a[NR]=$1} END {if (NR) print "min " a[1] " ms, median " a[int((NR+1)/2)] " ms, max " a[NR] " ms"}'))"
