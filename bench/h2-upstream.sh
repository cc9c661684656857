#!/usr/bin/env bash
# The cost of an HTTP/2 upstream: HTTP/1.1 clients (wrk) through a proxy to an h2c backend, Sluice
# (Upstream protocol: h2c) against HAProxy (`server ... proto h2`; nginx cannot proxy to an h2
# upstream), with "direct" (wrk to the backend over HTTP/1.1) as the load side's ceiling. Set up as
# ../shared/bench/proxy-bench is: the backend nginx (127.0.0.1:18080 for HTTP/1.1, 18180 h2c, one
# worker) and wrk share CPU LOAD_CPU, each proxy runs alone on CPU PROXY_CPU (HAProxy nbthread 1 on
# 127.0.0.1:18082; Sluice as bench/proxy-bench.sh starts it, one event loop, on 127.0.0.1:18090),
# targets run in interleaved rounds after a warm-up, and the table has the same columns: medians
# of rps, p50/p99, and us/req, the busy microseconds of the proxy core per request. The last line
# is `RESULT sluice_vs_haproxy_rps=... sluice_vs_haproxy_p99=... sluice_vs_haproxy_per_core=...`.
#
# Usage: bench/h2-upstream.sh [--rounds N] [--warmup S] [--path /|/1k|/64k]
# Environment: CONC (64), DUR (10 s per run), PEER_WARMUP (3 s), LOAD_CPU (0), PROXY_CPU (1),
# ADMIN_PORT (28391). Needs nginx, haproxy, wrk, curl (installed when missing, as root).
# Exit: 0 ok; 1 setup failure; 3 Sluice had errors or died.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
CONC=${CONC:-64} DUR=${DUR:-10} PEER_WARMUP=${PEER_WARMUP:-3} LOAD_CPU=${LOAD_CPU:-0} PROXY_CPU=${PROXY_CPU:-1}
ADMIN_PORT=${ADMIN_PORT:-28391}
ROUNDS=3 GW_WARMUP=15 BPATH=/
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) GW_WARMUP=$2; shift 2 ;;
    --path) BPATH=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "h2-upstream.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
done
die() { echo "h2-upstream.sh: ERROR: $*" >&2; exit 1; }
case $BPATH in /) SIZE=64 ;; /1k) SIZE=1024 ;; /64k) SIZE=65536 ;; *) die "--path must be /, /1k or /64k" ;; esac

need=()
for pair in nginx:nginx haproxy:haproxy wrk:wrk curl:curl taskset:util-linux; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -ntp -DskipTests -pl sluice-server -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)

WORK=$(mktemp -d /tmp/h2-upstream.XXXXXX); chmod 755 "$WORK"   # nginx workers run as www-data
PIDS=() GW_PID=""
cleanup() {
  local rc=$? p i
  trap - EXIT INT TERM
  [[ -n $GW_PID ]] && kill -TERM -- "-$GW_PID" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in ${GW_PID:+-$GW_PID} "${PIDS[@]}"; do
    for i in {1..100}; do kill -0 -- "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in {1..50}; do port_open "$1" && return 0; sleep 0.1; done; return 1; }
for p in 18080 18180 18082 18090 "$ADMIN_PORT"; do port_open "$p" && die "port $p is already in use on 127.0.0.1"; done

# ---------- the backend: nginx, HTTP/1.1 on 18080 (direct) and h2c on 18180 (what the proxies use)
B=$WORK/backend; mkdir -p "$B/t" "$B/www"
head -c 65536 /dev/zero | tr '\0' b >"$B/www/64k"
cat >"$B/backend.conf" <<EOF
worker_processes 1;
pid $B/nginx.pid;
error_log $B/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off; server_tokens off;
  client_body_temp_path $B/t/body; proxy_temp_path $B/t/proxy; fastcgi_temp_path $B/t/fcgi;
  uwsgi_temp_path $B/t/uwsgi; scgi_temp_path $B/t/scgi;
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 300s;
  http2_max_requests 1000000;
  server {
    listen 127.0.0.1:18080 backlog=4096;
    listen 127.0.0.1:18180 http2;
    root $B/www;
    location = / { return 200 "h2-upstream backend: hello from 127.0.0.1:18180 (64-byte body).\n"; }
    location = /1k { return 200 "$(head -c 1024 /dev/zero | tr '\0' a)"; }
    location / { }
  }
}
EOF

# ---------- HAProxy: HTTP/1.1 in, h2 (prior knowledge) to the backend
H=$WORK/haproxy; mkdir -p "$H"
cat >"$H/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 300s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:18082 backlog 4096
  default_backend be
backend be
  server s1 127.0.0.1:18180 proto h2
EOF

# ---------- Sluice: HTTP/1.1 in, h2c to the backend
S=$WORK/sluice; mkdir -p "$S/conf" "$S/data"
cat >"$S/conf/bench.yaml" <<EOF
apiVersion: sluice.io/v1
kind: Listener
metadata: {name: bench}
spec:
  address: 127.0.0.1:18090
---
apiVersion: sluice.io/v1
kind: Upstream
metadata: {name: backend}
spec:
  endpoints: [{address: 127.0.0.1:18180}]
  protocol: h2c
  pool: {maxConnectionsPerEndpoint: 1024}
---
apiVersion: sluice.io/v1
kind: Route
metadata: {name: all}
spec:
  upstream: backend
EOF

start() { # name cpu cmd...
  local name=$1 cpu=$2; shift 2
  taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!); printf -v "PID_$name" %s $!
}
start backend "$LOAD_CPU" nginx -p "$B" -c "$B/backend.conf" -g 'daemon off;'
start haproxy "$PROXY_CPU" haproxy -db -f "$H/haproxy.cfg"
for p in 18080 18180 18082; do wait_port "$p" || { tail -n 20 "$WORK"/*.log >&2; die "nothing listens on :$p"; }; done
cmd="exec $JAVA_HOME/bin/java $(netty_unsafe_opt "$JAVA_HOME") $(server_priority_opts) -XX:+UseSerialGC -Xms256m -Xmx256m \
 -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
 -cp $jar:$root/sluice-server/target/lib/* io.sluice.server.Main serve --event-loops 1 --config-dir $S/conf --data-dir $S/data \
 --admin-address 127.0.0.1:$ADMIN_PORT"
setsid taskset -c "$PROXY_CPU" bash -c "$cmd" >"$WORK/sluice.log" 2>&1 &
GW_PID=$! PID_sluice=$!
t0=$SECONDS
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:18090$BPATH" || true) == 200 ]]; do
  kill -0 "$GW_PID" 2>/dev/null || { tail -n 30 "$WORK/sluice.log" >&2; die "Sluice exited before answering"; }
  ((SECONDS - t0 < 120)) || { tail -n 30 "$WORK/sluice.log" >&2; die "Sluice silent on :18090 for 120s"; }
  sleep 0.5
done
PID_direct=$PID_backend
URL_direct=http://127.0.0.1:18080 URL_haproxy=http://127.0.0.1:18082 URL_sluice=http://127.0.0.1:18090
TARGETS=(direct haproxy sluice)
echo "pre-flight (expect 200 and $SIZE bytes):"
for t in "${TARGETS[@]}"; do
  u="URL_$t"
  read -r code bytes < <(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{size_download}\n' "${!u}$BPATH" || true)
  echo "  $t ${!u}$BPATH -> status $code, $bytes bytes"
  [[ $code == 200 && $bytes == "$SIZE" ]] || die "$t failed pre-flight"
done

tree() { local c; echo "$1"; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$c"; done; }
ticks() { local p; for p in $(tree "$1"); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; done | awk '{s+=$12+$13} END{print s+0}'; }
cpustat() {
  awk -v a="cpu$LOAD_CPU" -v b="cpu$PROXY_CPU" '$1==a{x=$2+$3+$4+$7+$8" "$5+$6" "$9} $1==b{y=$2+$3+$4+$7+$8" "$5+$6" "$9} END{print x, y}' /proc/stat
}
cpudelta() {
  awk -v x="$1" -v y="$2" -v bt="$3" 'BEGIN{split(x,a," "); split(y,b," ");
    for (i = 0; i < 2; i++) { bu = b[3*i+1]-a[3*i+1]; id = b[3*i+2]-a[3*i+2]; st = b[3*i+3]-a[3*i+3]
      tot[i] = bu+id+st; if (tot[i] < 1) tot[i] = 1; u[i] = 100*bu/tot[i]; s += st }
    printf "%.0f %.0f %.1f %.0f", u[0], u[1], 100*s/(tot[0]+tot[1]), 100*bt/tot[0]}'
}
load() { # url seconds rawfile -> "rps p50ms p99ms non2xx sockerr"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONC" -d"${2}s" --latency "$1" >"$3" 2>&1 || true
  awk 'function ms(v) { if (v~/us$/) return v/1000; if (v~/ms$/) return v+0; if (v~/m$/) return v*60000; if (v~/s$/) return v*1000; return v }
    /^ +50%/{p50=ms($2)} /^ +99%/{p99=ms($2)} /Non-2xx or 3xx/{n=$5}
    /Socket errors:/{gsub(",",""); e=$4+$6+$8+$10} /^Requests\/sec:/{rps=$2}
    END{printf "%s %s %s %d %d\n", (rps==""?0:rps), (p50==""?"nan":p50), (p99==""?"nan":p99), n, (rps==""?-1:e)}' "$3"
}
RES=$WORK/results.tsv; : >"$RES"
echo "warm-up: sluice ${GW_WARMUP}s, others ${PEER_WARMUP}s"
for t in "${TARGETS[@]}"; do
  u="URL_$t"; w=$PEER_WARMUP; [[ $t == sluice ]] && w=$GW_WARMUP
  ((w <= 0)) || load "${!u}$BPATH" "$w" "$WORK/warmup-$t.txt" >/dev/null
done
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${TARGETS[@]}"; do
    u="URL_$t"; sleep 1
    s1=$(cpustat); b1=$(ticks "$PID_backend")
    m=$(load "${!u}$BPATH" "$DUR" "$WORK/r$r-$t.txt")
    c=$(cpudelta "$s1" "$(cpustat)" $(($(ticks "$PID_backend") - b1)))
    echo "$t $r $m $c" >>"$RES"
    read -r rps p50 p99 n2 se <<<"$m"; read -r cl cp st cb <<<"$c"
    printf '  round %d %-8s rps=%-9s p50=%-7s p99=%-7s non2xx=%s sockerr=%s cpu%s=%s%% (backend %s%%) cpu%s=%s%% steal=%s%%\n' \
      "$r" "$t" "$rps" "$p50" "$p99" "$n2" "$se" "$LOAD_CPU" "$cl" "$cb" "$PROXY_CPU" "$cp" "$st"
  done
done

BAD=0
kill -0 "$GW_PID" 2>/dev/null || { echo "!!! Sluice (pid $GW_PID) DIED during the run"; BAD=1; }
med() { sort -g | awk '{a[NR]=$1} END{if (!NR) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v t="$1" -v c="$2" '$1==t{print $c}' "$RES" | med; }
errs() { awk -v t="$1" '$1==t{s+=$6+($7<0?1:$7)} END{print s+0}' "$RES"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b+0==0 || a=="nan" || b=="nan") print "nan"; else printf "%.3f", a/b}'; }
echo
echo "h2-upstream $(date -u +%FT%TZ): wrk -c$CONC HTTP/1.1 in, h2c to the backend, ${DUR}s x $ROUNDS rounds, path $BPATH," \
  "load+backend on CPU $LOAD_CPU, proxies on CPU $PROXY_CPU; medians over rounds"
printf '%-8s %8s %13s %7s %7s %6s %5s %5s %5s %5s %7s\n' target rps rps_min..max p50ms p99ms errors \
  "cpu$LOAD_CPU" bknd "cpu$PROXY_CPU" steal "us/req"
for t in "${TARGETS[@]}"; do
  rps=$(col "$t" 3) cp=$(col "$t" 9)
  if [[ $t == direct ]]; then us=-; else us=$(awk -v c="$cp" -v r="$rps" 'BEGIN{printf "%.1f", (r > 0 ? c*1e4/r : 0)}'); fi
  printf -v "RPS_$t" %s "$rps"; printf -v "P99_$t" %s "$(col "$t" 5)"; printf -v "ERR_$t" %s "$(errs "$t")"; printf -v "US_$t" %s "$us"
  printf '%-8s %8.0f %13s %7.3f %7.3f %6s %4.0f%% %4.0f%% %4.0f%% %4.1f%% %7s\n' "$t" "$rps" \
    "$(awk -v t="$t" '$1==t{if (!n || $3<lo) lo=$3; if (!n || $3>hi) hi=$3; n++} END{printf "%.0f..%.0f", lo, hi}' "$RES")" \
    "$(col "$t" 4)" "$(col "$t" 5)" "$(errs "$t")" "$(col "$t" 8)" "$(col "$t" 11)" "$cp" "$(col "$t" 10)" "$us"
done
echo "(direct = wrk to the backend over HTTP/1.1: the load side's ceiling; us/req = busy µs of the proxy core per request)"
echo "RESULT sluice_vs_haproxy_rps=$(ratio "$RPS_sluice" "$RPS_haproxy") sluice_vs_haproxy_p99=$(ratio "$P99_sluice" "$P99_haproxy")" \
  "sluice_vs_haproxy_per_core=$(ratio "$US_haproxy" "$US_sluice") sluice_errors=$ERR_sluice haproxy_errors=$ERR_haproxy" \
  "path=$BPATH proto=http1.1-to-h2c"
((ERR_sluice == 0 && BAD == 0)) || exit 3
