#!/usr/bin/env bash
# What observability costs, measured A/B on this noisy 2-core machine: two gateways from the same
# build run side by side, pinned to CPU 1 like bench/proxy-bench.sh pins one; "off" has
# -Dsluice.metrics=false and no access log, "on" records metrics and writes an access log to a file.
# wrk (CPU 0) loads them in alternating rounds against an nginx backend (CPU 0). Besides rps, it
# reads each gateway's own CPU time (/proc/PID/stat) per request: other processes landing on CPU 1
# lower a round's rps but not the gateway's CPU per request, so that ratio is the robust one.
#
#   bench/observability-cost.sh [rounds (default 6)] [seconds per round (default 10)]
# ON_CONFIG=examples/bench measures metrics alone (no access log) as "on".
# Ports 18280 (backend), 18290 (off), 18291 (on): apart from proxy-bench's, so both can coexist.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
ROUNDS=${1:-6} DUR=${2:-10} WARMUP=${WARMUP:-60} CONC=${CONC:-64}
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk (bench/proxy-bench.sh installs them)" >&2; exit 1; }
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -DskipTests -pl sluice-server -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
work=$(mktemp -d /tmp/sluice-obs-cost.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/backend/t" "$work/off" "$work/on"
cat >"$work/backend/nginx.conf" <<NGX
worker_processes 1; pid $work/backend/nginx.pid; error_log $work/backend/error.log;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path $work/backend/t; proxy_temp_path $work/backend/t;
  fastcgi_temp_path $work/backend/t; uwsgi_temp_path $work/backend/t; scgi_temp_path $work/backend/t;
  keepalive_requests 1000000; keepalive_timeout 300s; tcp_nodelay on;
  server { listen 127.0.0.1:18280 backlog=4096;
    location = / { return 200 "proxy-bench backend: hello from 127.0.0.1:18080 (64-byte body).\n"; } }
}
NGX
sed -e 's/18090/18290/; s/18080/18280/' "$root/examples/bench/gateway.yaml" >"$work/off/gateway.yaml"
sed -e 's/18090/18291/; s/18080/18280/' "${ON_CONFIG:-$root/examples/bench-observability}/gateway.yaml" >"$work/on/gateway.yaml"

taskset -c 0 nginx -p "$work/backend" -c "$work/backend/nginx.conf" -g 'daemon off;' & pids+=($!)
java_cmd() {
  echo "$JAVA_HOME/bin/java $1 $(netty_unsafe_opt "$JAVA_HOME") $(server_priority_opts) -XX:+UseSerialGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED \
 -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
 -cp $jar:$root/sluice-server/target/lib/* io.sluice.server.Main serve --event-loops 1 --config-dir $2 --data-dir $2-data \
 --log-dir $work/access"
}
taskset -c 1 $(java_cmd -Dsluice.metrics=false "$work/off") >"$work/off.log" 2>&1 & pid_off=$!; pids+=($pid_off)
taskset -c 1 $(java_cmd "" "$work/on") >"$work/on.log" 2>&1 & pid_on=$!; pids+=($pid_on)
for port in 18280 18290 18291; do
  for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
run() { # name port pid seconds -> "rps cpu_us_per_request p99"
  local t0 out; t0=$(ticks "$3")
  out=$(taskset -c 0 wrk -t1 -c"$CONC" -d"$4s" --latency "http://127.0.0.1:$2/")
  local t1; t1=$(ticks "$3")
  awk -v dt=$((t1 - t0)) -v hz="$hz" -v d="$4" '
    function ms(v) { if (v~/us$/) return v/1000; if (v~/ms$/) return v+0; if (v~/s$/) return v*1000; return v }
    /^ +99%/{p99=ms($2)} /^Requests\/sec:/{rps=$2}
    END{printf "%.0f %.2f %.2f\n", rps, dt * 1e6 / hz / (rps * d), p99}' <<<"$out"
}
echo "warm-up: ${WARMUP}s each, in alternating slices"
for _ in 1 2 3; do run off 18290 "$pid_off" $((WARMUP / 3)) >/dev/null; run on 18291 "$pid_on" $((WARMUP / 3)) >/dev/null; done
echo "round  off_rps  off_us/req  off_p99ms   on_rps  on_us/req  on_p99ms   (load: $(cut -d' ' -f1-3 /proc/loadavg))"
: >"$work/results"
for r in $(seq 1 "$ROUNDS"); do
  # Alternate which goes first, so drift hits both alike.
  if ((r % 2)); then a=$(run off 18290 "$pid_off" "$DUR"); sleep 1; b=$(run on 18291 "$pid_on" "$DUR")
  else b=$(run on 18291 "$pid_on" "$DUR"); sleep 1; a=$(run off 18290 "$pid_off" "$DUR"); fi
  echo "$a $b" >>"$work/results"
  read -r ar ac ap br bc bp <<<"$a $b"
  printf '%5d %8s %11s %10s %8s %10s %9s\n' "$r" "$ar" "$ac" "$ap" "$br" "$bc" "$bp"
done
lines=$(wc -l <"$work/access/access.log" 2>/dev/null || echo 0)
med() { sort -g | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m() { awk -v c="$1" '{print $c}' "$work/results" | med; }
printf 'median  off %s rps %s us/req | on %s rps %s us/req | access log lines written: %s (load: %s)\n' \
  "$(m 1)" "$(m 2)" "$(m 4)" "$(m 5)" "$lines" "$(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$(m 1)" -v b="$(m 4)" -v c="$(m 2)" -v d="$(m 5)" \
  'BEGIN{printf "RESULT on_vs_off_rps=%.3f off_vs_on_cpu_per_request=%.3f\n", b / a, c / d}'
