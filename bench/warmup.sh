#!/usr/bin/env bash
# Warm-up under load (docs/benchmarks.md, "Warm-up"): how fast a cold proxy reaches full speed.
#
# For each target (nginx as a proxy, then the gateway) the script starts the proxy cold, pinned to
# PROXY_CPU as ../shared/bench/proxy-bench pins it (the backend nginx and the load generator share
# LOAD_CPU), and starts saturating load the moment its listener accepts a connection (polled every
# 10 ms). It prints, per 1-second window counted from the moment the proxy's process was started:
# 2xx responses per second, p99 latency in ms and non-2xx/failed requests; then the steady rate (the
# median of the last 10 windows) and the second at which the target first reached >= 90 % of it
# ("first") and the second from which it never fell below 90 % again ("stays").
#
# Windows: h2load (--h1: HTTP/1.1, -c$CONC keep-alive connections, one request in flight each, like
# the harness's wrk) writes one line per request to its --log-file: its start time in µs since the
# epoch, its status and its duration. A request counts in the window in which its response ended
# (start + duration); its latency counts in that window's p99. wrk prints only totals, and
# back-to-back 1-second wrk runs would reconnect every second; this log is per request.
#
# The gateway runs as `bin/sluice serve --config-dir examples/bench` with bin/sluice's own defaults
# (its JVM flags, its AOT/CDS cache in SLUICE_CACHE_DIR). Options:
#   --seconds N       windows per target (default 60)
#   --path P          / (64 B), /1k, /64k (default /)
#   --gateway-only    skip nginx
#   --cold-cache      the gateway's first start ever: an empty SLUICE_CACHE_DIR (nothing trained)
#   --cache DIR       the gateway's SLUICE_CACHE_DIR (default: a temporary one, trained first by a
#                     throwaway serve under the same load, so the measured start is a second start)
#   --out DIR         keep the per-request logs and the gateway's output in DIR
# Environment: SLUICE_AOT (passed to bin/sluice: off = no AOT/CDS cache), SLUICE_JAVA_OPTS, CONC (64),
# LOAD_CPU (0), PROXY_CPU (1). Ports as the harness's: backend 18080, nginx 18081, gateway 18090.
# Traffic stays on 127.0.0.1.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
SECONDS_N=60 BPATH=/ NGINX=1 COLD=0 CACHE="" OUT=""
CONC=${CONC:-64} LOAD_CPU=${LOAD_CPU:-0} PROXY_CPU=${PROXY_CPU:-1}
while (($#)); do
  case $1 in
    --seconds) SECONDS_N=$2; shift 2 ;;
    --path) BPATH=$2; shift 2 ;;
    --gateway-only) NGINX=0; shift ;;
    --cold-cache) COLD=1; shift ;;
    --cache) CACHE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "warmup.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
die() { echo "warmup.sh: $*" >&2; exit 1; }
[[ $SECONDS_N =~ ^[0-9]+$ ]] && ((SECONDS_N >= 12)) || die "--seconds must be a number >= 12 (the steady rate is the median of the last 10 windows), got '$SECONDS_N'"
[[ $BPATH == /* ]] || die "--path must start with /, got '$BPATH'"
((COLD == 0)) || [[ -z $CACHE ]] || die "--cold-cache and --cache are exclusive"
for tool in nginx h2load taskset curl; do command -v "$tool" >/dev/null || die "needs $tool (apt-get install nginx nghttp2-client util-linux curl)"; done

WORK=$(mktemp -d /tmp/warmup.XXXXXX); chmod 755 "$WORK"   # nginx workers run as www-data
[[ -z $OUT ]] || mkdir -p "$OUT"
PIDS=() TARGET_PID=""
stop() { # pid: TERM its process group, then KILL after 60 s (the gateway writes its AOT cache as it stops)
  local p=$1 i
  kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
  for i in {1..600}; do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$p" 2>/dev/null || true
}
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  [[ -z $TARGET_PID ]] || stop "$TARGET_PID"
  for p in "${PIDS[@]}"; do stop "$p"; done
  [[ -z $OUT ]] || cp "$WORK"/*.log "$WORK"/*.tsv "$OUT"/ 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 18080 18081 18090; do port_open "$p" && die "port $p is already in use on 127.0.0.1 (another benchmark running?)"; done

# The backend: the harness's backend nginx (/ 64 B and /1k from memory, /64k by sendfile), one worker.
B=$WORK/backend; mkdir -p "$B/t" "$B/www"
head -c 65536 /dev/zero | tr '\0' b >"$B/www/64k"
nginx_common() { # $1 = its dir
  cat <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off; server_tokens off;
  client_body_temp_path $1/t/body; proxy_temp_path $1/t/proxy; fastcgi_temp_path $1/t/fcgi;
  uwsgi_temp_path $1/t/uwsgi; scgi_temp_path $1/t/scgi;
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 300s;
EOF
}
{ nginx_common "$B"; cat <<EOF
  server {
    listen 127.0.0.1:18080 backlog=4096;
    root $B/www;
    location = / { return 200 "proxy-bench backend: hello from 127.0.0.1:18080 (64-byte body).\n"; }
    location = /1k { return 200 "$(head -c 1024 /dev/zero | tr '\0' a)"; }
    location / { }
  }
}
EOF
} >"$B/backend.conf"
# The nginx peer of the harness: one worker, upstream keep-alive, 16k proxy buffers.
N=$WORK/nginx; mkdir -p "$N/t"
{ nginx_common "$N"; cat <<EOF
  upstream backend { server 127.0.0.1:18080; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }
  server {
    listen 127.0.0.1:18081 backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffer_size 16k; proxy_buffers 16 16k;
      proxy_max_temp_file_size 0;
    }
  }
}
EOF
} >"$N/nginx.conf"
taskset -c "$LOAD_CPU" nginx -p "$B" -c "$B/backend.conf" -g 'daemon off;' >"$WORK/backend.log" 2>&1 &
PIDS+=($!)
for _ in {1..50}; do port_open 18080 && break; sleep 0.1; done
port_open 18080 || die "the backend nginx did not start: $(cat "$WORK/backend.log")"

# The gateway's build, before any clock runs: bin/sluice builds when a source is newer than the jar
# (and only then: a rebuilt jar is another AOT/CDS cache, so --cache would never be reused).
"$root/bin/sluice" --version >/dev/null || die "bin/sluice --version failed (the build?)"
if ((COLD)); then CACHE=$WORK/cache-cold; elif [[ -z $CACHE ]]; then CACHE=$WORK/cache; fi
mkdir -p "$CACHE"
gateway_cmd="cd '$root' && SLUICE_CACHE_DIR='$CACHE' exec bin/sluice serve --config-dir examples/bench --data-dir '$WORK/data-\$\$' --admin-address 127.0.0.1:0"

# run NAME PORT CMD: starts CMD cold on PROXY_CPU in its own process group, loads it from the moment
# it accepts until SECONDS_N seconds after its start, stops it; leaves the per-request log in NAME.log.
run() {
  local name=$1 port=$2 cmd=$3 t0 tl left
  t0=$(date +%s%N)
  setsid taskset -c "$PROXY_CPU" bash -c "$cmd" >"$WORK/$name-out.log" 2>&1 &
  TARGET_PID=$!
  until port_open "$port"; do
    kill -0 "$TARGET_PID" 2>/dev/null || die "$name exited before listening: $(tail -n 20 "$WORK/$name-out.log")"
    (( ($(date +%s%N) - t0) / 1000000000 < 120 )) || die "$name did not listen on :$port within 120 s"
    sleep 0.01
  done
  tl=$(date +%s%N)
  left=$(( SECONDS_N - (tl - t0) / 1000000000 ))
  ((left >= 1)) || die "$name listened only $(( (tl - t0) / 1000000 )) ms after its start, after the last window: give more --seconds"
  taskset -c "$LOAD_CPU" h2load --h1 -t1 -c"$CONC" -m1 -D "$left" --log-file="$WORK/$name.log" \
    "http://127.0.0.1:$port$BPATH" >"$WORK/$name-h2load.log" 2>&1 || true
  stop "$TARGET_PID"; TARGET_PID=""
  echo "$t0 $tl" >"$WORK/$name.start"
  grep -q . "$WORK/$name.log" || die "$name: h2load logged no request: $(tail -n 5 "$WORK/$name-h2load.log")"
}

# windows NAME: per window "second rps p99ms bad" to NAME.tsv
windows() {
  local name=$1 t0 tl
  read -r t0 tl <"$WORK/$name.start"
  awk -F'\t' -v t0="$((t0 / 1000))" -v n="$SECONDS_N" '
    { w = int(($1 + $3 - t0) / 1000000); if (w < 0 || w >= n) next
      if ($2 >= 200 && $2 < 300) print w, $3; else print w, -1 }' "$WORK/$name.log" |
    sort -k1,1n -k2,2n |
    awk -v n="$SECONDS_N" '
      { w = $1; if ($2 < 0) { bad[w]++; next } d[w, ++c[w]] = $2 }
      END { for (w = 0; w < n; w++) {
              p = c[w] ? d[w, int(c[w] * 0.99) + (c[w] * 0.99 > int(c[w] * 0.99))] / 1000 : 0
              printf "%d %d %.2f %d\n", w, c[w] + 0, p, bad[w] + 0 } }' >"$WORK/$name.tsv"
  echo "$name: listening $(( (tl - t0) / 1000000 )) ms after its start" >"$WORK/$name.listen"
}

# summary NAME: steady rps, first and sustained second at >= 90 %
summary() {
  awk -v name="$1" -v n="$SECONDS_N" '
    { r[$1] = $2 }
    END { m = 0; for (w = n - 10; w < n; w++) s[++m] = r[w]
          for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
          steady = (s[5] + s[6]) / 2; first = -1; stays = -1
          for (w = 0; w < n; w++) { if (r[w] >= 0.9 * steady) { if (first < 0) first = w + 1; if (stays < 0) stays = w + 1 } else stays = -1 }
          printf "%s: steady %.0f rps (median of the last 10 windows); >= 90%% first in second %s, stays from second %s\n", name, steady,
            (first < 0 ? "never" : first), (stays < 0 ? "never (the last window is below)" : stays) }' "$WORK/$1.tsv"
}

echo "warmup.sh $(date -u +%FT%TZ): h2load --h1 -c$CONC, path $BPATH, $SECONDS_N s from a cold start; proxy on CPU $PROXY_CPU," \
  "load+backend on CPU $LOAD_CPU; load $(cut -d ' ' -f 1-3 /proc/loadavg); SLUICE_AOT=${SLUICE_AOT:-default}$( ((COLD)) && echo ", empty cache")"
targets=()
if ((NGINX)); then
  run nginx 18081 "exec nginx -p '$N' -c '$N/nginx.conf' -g 'daemon off;'"
  windows nginx; targets+=(nginx)
fi
if ((COLD == 0)) && [[ ${SLUICE_AOT:-on} != off && -z $(ls -A "$CACHE") ]]; then
  # The cache's training run: a throwaway serve under the same load; bin/sluice writes the cache when
  # it stops. Its curve is the first start's (nothing trained yet).
  run gateway-training 18090 "$gateway_cmd"
  windows gateway-training; targets+=(gateway-training)
  echo "cache after the training run: $(ls "$CACHE" | tr '\n' ' ')"
fi
run gateway 18090 "$gateway_cmd"
windows gateway; targets+=(gateway)

printf '%6s' second; for t in "${targets[@]}"; do printf ' | %-31s' "$t: rps p99ms non2xx"; done; echo
for ((w = 0; w < SECONDS_N; w++)); do
  printf '%6d' "$((w + 1))"
  for t in "${targets[@]}"; do
    read -r _ rps p99 bad < <(sed -n "$((w + 1))p" "$WORK/$t.tsv")
    printf ' | %9s %9s %11s' "$rps" "$p99" "$bad"
  done
  echo
done
for t in "${targets[@]}"; do cat "$WORK/$t.listen"; summary "$t"; done
