#!/usr/bin/env bash
# The gateway's memory footprint with the defaults `bin/sluice serve` uses (issue "Performance II",
# goal 1). Every gateway here is started by bin/sluice serve itself (SLUICE_CLASSPATH: the built
# jars), pinned to PROXY_CPU (1) as ../shared/bench/proxy-bench pins it, so the JVM sees what a
# one-CPU container shows it; the backend nginx and the clients run on LOAD_CPU (0). Reports:
#   - idle RSS after start (VmRSS once the listener answers and the start-up work has settled), split
#     into RssAnon and RssFile;
#   - peak RSS (VmHWM) under wrk -t1 -c64 (the harness's load: CONC, WARMUP s + DUR s), with the
#     requests per second, beside an nginx proxy (1 worker, as the harness configures it) under the
#     same load on the same core;
#   - heap retained after a full GC (GC.class_histogram's total of live objects) and RSS with 0,
#     1,000 and 10,000 routes (bench/config-churn.sh's generated routes), and per 1,000 routes;
#   - RSS and heap retained with 1,000 and 10,000 idle HTTP/1.1 keep-alive connections, each having
#     sent one request (bench/H1Idle.java), and per 1,000 connections.
# The figures depend on the machine's load; label shared-machine runs as such.
#
# Usage: bench/footprint.sh [--skip-load] [--skip-routes] [--skip-connections]
# Environment: SLUICE_JAVA_OPTS (added after the launcher's defaults, as for bin/sluice), CONC (64),
# WARMUP (15), DUR (20), PROXY_CPU (1), LOAD_CPU (0), BASE_PORT (23080, below the ephemeral range: backend; +1 nginx, +10 the
# gateway, +11 its admin API).
set -euo pipefail
load=1 routes=1 conns=1
for a in "$@"; do
  case $a in
    --skip-load) load=0 ;;
    --skip-routes) routes=0 ;;
    --skip-connections) conns=0 ;;
    *) echo "usage: bench/footprint.sh [--skip-load] [--skip-routes] [--skip-connections]" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
CONC=${CONC:-64} WARMUP=${WARMUP:-15} DUR=${DUR:-20} PROXY_CPU=${PROXY_CPU:-1} LOAD_CPU=${LOAD_CPU:-0}
BASE_PORT=${BASE_PORT:-23080}
backend_port=$BASE_PORT nginx_port=$((BASE_PORT + 1)) gw_port=$((BASE_PORT + 10)) admin_port=$((BASE_PORT + 11))
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
# FOOTPRINT_NO_BUILD=1 runs what is built (for repeated runs).
[ "${FOOTPRINT_NO_BUILD:-0}" = 1 ] || (cd "$root" && ./mvnw -q -B -ntp -DskipTests -pl sluice-server,sluice-bench -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
export SLUICE_CLASSPATH="$jar:$root/sluice-server/target/lib/*"
jcmd="$JAVA_HOME/bin/jcmd"
work=$(mktemp -d /tmp/sluice-footprint.XXXXXX)
chmod 755 "$work" # nginx workers may run as another user
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $backend_port $nginx_port $gw_port $admin_port; do
  if port_open "$p"; then echo "footprint.sh: port $p is in use on 127.0.0.1 (set BASE_PORT)" >&2; exit 1; fi
done
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# Live heap after a full GC: the class histogram collects first and totals what is left.
heap_kib() { "$jcmd" "$1" GC.class_histogram | awk '$1 == "Total" {printf "%d", $3 / 1024}'; }

# ---------- backend and nginx, configured as the harness configures them ----------
nginx_conf() { # $1 = dir, $2 = server block
  mkdir -p "$1/t"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off; server_tokens off;
  client_body_temp_path $1/t/body; proxy_temp_path $1/t/proxy; fastcgi_temp_path $1/t/fcgi;
  uwsgi_temp_path $1/t/uwsgi; scgi_temp_path $1/t/scgi;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 300s;
$2
}
EOF
}
nginx_conf "$work/backend" "  server {
    listen 127.0.0.1:$backend_port backlog=4096;
    location = / { return 200 \"proxy-bench backend: hello from 127.0.0.1:18080 (64-byte body).\\n\"; }
  }"
nginx_conf "$work/nginx" "  upstream backend { server 127.0.0.1:$backend_port; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }
  server {
    listen 127.0.0.1:$nginx_port backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1; proxy_set_header Connection \"\";
      proxy_buffer_size 16k; proxy_buffers 16 16k; proxy_max_temp_file_size 0;
    }
  }"
taskset -c "$LOAD_CPU" nginx -p "$work/backend" -c "$work/backend/nginx.conf" -g 'daemon off;' >"$work/backend.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do port_open "$backend_port" && break; sleep 0.1; done
port_open "$backend_port" || { cat "$work/backend.log" >&2; exit 1; }

# ---------- the gateway, through the launcher ----------
# $1 = name; the config is $work/$1/conf. Sets gw (the JVM's pid: taskset and bin/sluice exec it).
start_gateway() {
  mkdir -p "$work/$1/data"
  taskset -c "$PROXY_CPU" "$root/bin/sluice" serve --config-dir "$work/$1/conf" --data-dir "$work/$1/data" \
    --admin-address "127.0.0.1:$admin_port" >"$work/$1/gateway.log" 2>&1 &
  gw=$!
  pids+=("$gw")
  local i
  for i in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$gw_port/" || true) == 200 ]] && break
    kill -0 "$gw" 2>/dev/null || { tail -n 30 "$work/$1/gateway.log" >&2; exit 1; }
    sleep 0.2
  done
  # Start-up work (the store's first sync, class loading, the JIT's first compilations) settles, and
  # the JVM's periodic native trim (every 5 s, JDK 22+) returns what start-up freed: measured 3 s
  # after the first answer, idle RSS swung by 20 MiB between runs.
  sleep 12
}
stop_gateway() { kill "$gw"; wait "$gw" 2>/dev/null || true; }
# The bench config (examples/bench) on this script's ports; $2 = extra routes (0: none).
make_config() {
  mkdir -p "$work/$1/conf"
  if (($2 == 0)); then
    sed -e "s/18090/$gw_port/; s/18080/$backend_port/" "$root/examples/bench/gateway.yaml" >"$work/$1/conf/gateway.yaml"
  else
    "$JAVA_HOME/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$root/sluice-bench/target/benchmarks.jar" \
      io.sluice.bench.ConfigChurn generate "$work/$1/gen" "$2"
    sed -e "s/18090/$gw_port/; s/18080/$backend_port/" "$work/$1/gen/bench.yaml" >"$work/$1/conf/bench.yaml"
  fi
}
wrk_rps() { taskset -c "$LOAD_CPU" wrk -t1 -c"$CONC" -d"$2s" "$1" | awk '/^Requests\/sec/ {printf "%d", $2}'; }

echo "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"
echo "launcher defaults on CPU $PROXY_CPU: $(taskset -c "$PROXY_CPU" bash -c 'source "$1/bin/find-java"; server_memory_opts "$JAVA_HOME"' - "$root")"
[ -n "${SLUICE_JAVA_OPTS:-}" ] && echo "SLUICE_JAVA_OPTS: $SLUICE_JAVA_OPTS"
rows=()
make_config base 0
start_gateway base
idle_rss=$(kib "$gw" VmRSS) idle_heap=$(heap_kib "$gw")
# Anonymous memory (heap, metaspace, code, malloc) and file pages (libjvm.so, the CDS archive or AOT
# cache, mapped while classes load): the cache moves class metadata from the one to the other.
rows+=("idle after start | $(mib "$idle_rss") (anon $(mib "$(kib "$gw" RssAnon)") + file $(mib "$(kib "$gw" RssFile)")) | $(mib "$idle_heap") |")
if ((load)); then
  wrk_rps "http://127.0.0.1:$gw_port/" "$WARMUP" >/dev/null
  rps=$(wrk_rps "http://127.0.0.1:$gw_port/" "$DUR")
  rows+=("peak under wrk -c$CONC (${WARMUP}s + ${DUR}s, $rps rps) | $(mib "$(kib "$gw" VmHWM)") (VmHWM) | $(mib "$(heap_kib "$gw")") |")
fi
stop_gateway
if ((load)); then
  taskset -c "$PROXY_CPU" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
  ngx=$!
  pids+=("$ngx")
  for _ in $(seq 1 50); do port_open "$nginx_port" && break; sleep 0.1; done
  wrk_rps "http://127.0.0.1:$nginx_port/" 3 >/dev/null
  nrps=$(wrk_rps "http://127.0.0.1:$nginx_port/" "$DUR")
  # Master and worker: the harness sums VmHWM over the process tree.
  nrss=0
  for p in $ngx $(ps -o pid= --ppid "$ngx"); do nrss=$((nrss + $(kib "$p" VmHWM))); done
  rows+=("nginx peak under the same load ($nrps rps) | $(mib "$nrss") (VmHWM) | n/a |")
  kill "$ngx"
fi
if ((routes)); then
  for n in 1000 10000; do
    make_config "routes$n" "$n"
    start_gateway "routes$n"
    r=$(kib "$gw" VmRSS) h=$(heap_kib "$gw")
    rows+=("$n routes, idle | $(mib "$r") | $(mib "$h") |")
    rows+=("  per 1,000 routes | $(mib $(((r - idle_rss) * 1000 / n))) | $(mib $(((h - idle_heap) * 1000 / n))) |")
    stop_gateway
  done
fi
if ((conns)); then
  make_config conns 0
  # Room for the connections: the listener's connection limit and an idle timeout longer than the run.
  sed -i "s|^  address: 127.0.0.1:$gw_port|&\n  limits: {maxConnections: 11000}\n  timeouts: {idle: 10m}|" "$work/conns/conf/gateway.yaml"
  ulimit -n 20000
  start_gateway conns
  r0=$(kib "$gw" VmRSS) h0=$(heap_kib "$gw")
  mkfifo "$work/hold"
  taskset -c "$LOAD_CPU" "$JAVA_HOME/bin/java" "$root/bench/H1Idle.java" "$gw_port" / 1000 10000 <"$work/hold" >"$work/client.out" 2>&1 &
  client=$!
  pids+=("$client")
  exec 3>"$work/hold"
  for n in 1000 10000; do
    for _ in $(seq 1 1200); do
      grep -q "^ready $n\$" "$work/client.out" && break
      kill -0 "$client" 2>/dev/null || { cat "$work/client.out" >&2; exit 1; }
      sleep 0.25
    done
    sleep 2
    r=$(kib "$gw" VmRSS) h=$(heap_kib "$gw")
    rows+=("$n idle HTTP/1.1 connections | $(mib "$r") | $(mib "$h") |")
    rows+=("  per 1,000 connections | $(mib $(((r - r0) * 1000 / n))) | $(mib $(((h - h0) * 1000 / n))) |")
    echo >&3
  done
  exec 3>&-
  stop_gateway
fi
echo
echo "| gateway (bin/sluice serve defaults, pinned to CPU $PROXY_CPU) | RSS MiB | heap retained MiB |"
echo "|---|---|---|"
printf '| %s\n' "${rows[@]}"
