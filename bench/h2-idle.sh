#!/usr/bin/env bash
# Memory per idle HTTP/2 connection: starts the gateway as bench/proxy-bench.sh does (one event
# loop, SerialGC, a fixed 256 MiB heap touched up front, so RSS moves only with native memory,
# pooled buffers and what the heap cannot hide), with one h2c listener, and opens N (10000) idle h2c
# connections with bench/H2Idle.java: each completes the preface and SETTINGS, then sits. Prints the
# gateway's RSS before, after, and per connection, and the Java heap used after a full GC (jcmd),
# before and after, since the fixed heap hides what the connections cost on it.
#
# Usage: bench/h2-idle.sh [N]     Environment: PORT (28290), ADMIN_PORT (28291)
set -euo pipefail
N=${1:-10000}
PORT=${PORT:-28290} ADMIN_PORT=${ADMIN_PORT:-28291}
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -ntp -DskipTests -pl sluice-server -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
work=$(mktemp -d /tmp/sluice-h2-idle.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/conf" "$work/data"
cat >"$work/conf/gateway.yaml" <<YAML
apiVersion: sluice.io/v1
kind: Listener
metadata: {name: idle}
spec:
  address: 127.0.0.1:$PORT
  limits: {maxConnections: $((N + 100))}
  timeouts: {idle: 10m}
---
apiVersion: sluice.io/v1
kind: Upstream
metadata: {name: none}
spec:
  endpoints: [{address: 127.0.0.1:9}]
---
apiVersion: sluice.io/v1
kind: Route
metadata: {name: all}
spec:
  upstream: none
YAML
ulimit -n $((N + 1000))
"$JAVA_HOME/bin/java" $(netty_unsafe_opt "$JAVA_HOME") -XX:+UseSerialGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch \
  --enable-native-access=ALL-UNNAMED -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
  -cp "$jar:$root/sluice-server/target/lib/*" io.sluice.server.Main serve --event-loops 1 \
  --config-dir "$work/conf" --data-dir "$work/data" --admin-address 127.0.0.1:$ADMIN_PORT >"$work/gateway.log" 2>&1 &
gw=$!
pids+=("$gw")
for _ in $(seq 1 150); do
  curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$PORT/" && break
  sleep 0.2
done
# Warm the HTTP/2 path once, so that its classes and first pooled chunks are in "before".
for _ in $(seq 1 20); do curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$PORT/"; done
rss() { awk '/VmRSS/{print $2}' "/proc/$gw/status"; }
heap() { "$JAVA_HOME/bin/jcmd" "$gw" GC.run >/dev/null; "$JAVA_HOME/bin/jcmd" "$gw" GC.heap_info | awk '/^ *(DefNew|Tenured|def new generation|tenured generation)/{gsub("K","",$0); for(i=1;i<=NF;i++) if($i=="used"){u+=$(i+1)}} END{print u+0}'; }
sleep 2
heap_before=$(heap); before=$(rss)
mkfifo "$work/hold"
"$JAVA_HOME/bin/java" "$root/bench/H2Idle.java" "$PORT" "$N" <"$work/hold" >"$work/client.out" 2>&1 &
client=$!
pids+=("$client")
exec 3>"$work/hold"
for _ in $(seq 1 600); do grep -q '^ready' "$work/client.out" && break; kill -0 "$client" 2>/dev/null || { cat "$work/client.out"; exit 1; }; sleep 0.5; done
sleep 3
heap_after=$(heap); after=$(rss)
echo "idle h2c connections: $(cat "$work/client.out")"
echo "gateway RSS before: ${before} KiB, after: ${after} KiB, per connection: $(( (after - before) * 1024 / N )) bytes"
echo "gateway heap used (after full GC) before: ${heap_before} KiB, after: ${heap_after} KiB, per connection: $(( (heap_after - heap_before) * 1024 / N )) bytes"
exec 3>&-
