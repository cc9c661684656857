#!/usr/bin/env bash
# The cost of a TLS connection per request, like for like: Sluice against nginx as the shared
# harness runs it and against nginx with TLS 1.3 enabled, in interleaved rounds on one pinned core.
#
# Why this exists: `../shared/bench/proxy-bench --tls --new-conn` compares different handshakes.
# wrk keeps each connection's TLS session and offers it on the next connection, so every target
# resumes a session rather than doing a full handshake. The harness's nginx runs with nginx's default
# `ssl_protocols`, which in Debian's nginx 1.22 is TLSv1 TLSv1.1 TLSv1.2 (nginx added TLSv1.3 to the
# default in 1.23.4): it resumes TLS 1.2 sessions from tickets, symmetric crypto only. Sluice (and
# HAProxy) negotiate TLS 1.3, whose resumption is PSK with (EC)DHE: an X25519 key exchange on every
# connection and a new ticket. This script measures all three with the same client:
#   nginx-tls12   nginx exactly as the harness configures it (its default protocols)
#   nginx-tls13   the same nginx with `ssl_protocols TLSv1.2 TLSv1.3` (nginx's default since 1.23.4)
#   sluice        bench/proxy-bench.sh --tls's gateway (examples/bench-tls)
# and prints, per target, what was negotiated (protocol, resumed or not) and the pinned core's
# microseconds per request (busy time of CPU $PROXY_CPU / requests; the load generator and the
# backend run on CPU $LOAD_CPU). Lower is better; compare ratios within one run.
#
# Usage: bench/tls-handshake.sh [--rounds N] [--warmup S]   (defaults 3 rounds, 60 s gateway warm-up)
# Environment: CONC (64), DUR (10 s per run), LOAD_CPU (0), PROXY_CPU (1), PROXY_BENCH (the harness,
# for its certificate). Needs nginx, wrk and openssl; ports 18080, 18443, 18481, 18482 free.
set -euo pipefail
ROUNDS=3 WARMUP=60
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "tls-handshake.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
CONC=${CONC:-64} DUR=${DUR:-10} LOAD_CPU=${LOAD_CPU:-0} PROXY_CPU=${PROXY_CPU:-1}
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
bench="${PROXY_BENCH:-$root/../shared/bench/proxy-bench}"
certs=$(cd "$(dirname "$bench")/tls" 2>/dev/null && pwd) || { echo "tls-handshake.sh: no tls/ beside $bench (set PROXY_BENCH)" >&2; exit 1; }
for tool in nginx wrk openssl taskset curl; do
  command -v "$tool" >/dev/null || { echo "tls-handshake.sh: $tool is not installed (apt-get install nginx wrk openssl util-linux curl)" >&2; exit 1; }
done
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -ntp -DskipTests -pl sluice-server -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)

work=$(mktemp -d /tmp/sluice-tls-handshake.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

nginx_conf() { # dir server-block -> nginx.conf (one worker, as the harness runs it)
  mkdir -p "$1/t"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/t; proxy_temp_path $1/t; fastcgi_temp_path $1/t; uwsgi_temp_path $1/t; scgi_temp_path $1/t;
  keepalive_requests 1000000; keepalive_timeout 300s;
$2
}
EOF
}
nginx_conf "$work/backend" '  server { listen 127.0.0.1:18080 backlog=4096;
    location = / { return 200 "proxy-bench backend: hello from 127.0.0.1:18080 (64-byte body).\n"; } }'
proxy_server() { # port extra-directive
  printf '  upstream backend { server 127.0.0.1:18080; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }
  server {
    listen 127.0.0.1:%s ssl backlog=4096; %s
    ssl_certificate %s/cert.pem; ssl_certificate_key %s/key.pem;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }' "$1" "$2" "$certs" "$certs"
}
nginx_conf "$work/nginx-tls12" "$(proxy_server 18481 '')"
nginx_conf "$work/nginx-tls13" "$(proxy_server 18482 'ssl_protocols TLSv1.2 TLSv1.3;')"

start() { # cpu cmd... ; stays in the foreground so that $! is the process
  local cpu=$1; shift
  taskset -c "$cpu" "$@" >>"$work/processes.log" 2>&1 &
  pids+=($!)
}
start "$LOAD_CPU" nginx -p "$work/backend" -c "$work/backend/nginx.conf" -g 'daemon off;'
start "$PROXY_CPU" nginx -p "$work/nginx-tls12" -c "$work/nginx-tls12/nginx.conf" -g 'daemon off;'
start "$PROXY_CPU" nginx -p "$work/nginx-tls13" -c "$work/nginx-tls13/nginx.conf" -g 'daemon off;'
# The gateway as bench/proxy-bench.sh starts it (one event loop, SerialGC, fixed heap, one arena).
start "$PROXY_CPU" "$JAVA_HOME/bin/java" $(netty_unsafe_opt "$JAVA_HOME") $(server_priority_opts) -XX:+UseSerialGC -Xms256m -Xmx256m \
  -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED ${SLUICE_BENCH_JAVA_OPTS:-} \
  -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1 \
  -cp "$jar:$root/sluice-server/target/lib/*" io.sluice.server.Main serve --event-loops 1 \
  --config-dir "$root/examples/bench-tls" --data-dir "$work/data" --cert-dir "$certs" --admin-address 127.0.0.1:0
declare -A url=([nginx-tls12]=https://127.0.0.1:18481/ [nginx-tls13]=https://127.0.0.1:18482/ [sluice]=https://127.0.0.1:18443/)
targets=(nginx-tls12 nginx-tls13 sluice)
for t in "${targets[@]}"; do
  for ((i = 0; i < 240; i++)); do
    [[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "${url[$t]}" || true) == 200 ]] && break
    sleep 0.5
  done
  [[ $i -lt 240 ]] || { tail -n 30 "$work/processes.log" >&2; echo "tls-handshake.sh: $t does not answer ${url[$t]}" >&2; exit 1; }
done

# What each target negotiates with a client that offers its last session, as wrk does.
negotiated() { # url -> "TLSv1.x new|resumed"
  local hp=${1#https://}; hp=${hp%/} req="$work/request.txt"
  printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$hp" >"$req"
  openssl s_client -connect "$hp" -ign_eof -sess_out "$work/s.pem" <"$req" >/dev/null 2>&1 || true
  openssl s_client -connect "$hp" -ign_eof -sess_in "$work/s.pem" <"$req" 2>/dev/null |
    awk '/^(New|Reused), /{sub(",", "", $2); print $2, ($1 == "Reused," ? "resumed" : "new"); exit}'
}
busy() { awk -v c="cpu$PROXY_CPU" '$1==c{print $2+$3+$4+$7+$8}' /proc/stat; }
run() { # target seconds -> "requests busy-ticks"
  local b0 b1 n
  b0=$(busy)
  n=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONC" -d"$2s" -H 'Connection: close' "${url[$1]}" | awk '/requests in/{print $1}')
  b1=$(busy)
  echo "${n:-0} $((b1 - b0))"
}

echo "tls-handshake $(date -u +%FT%TZ): wrk -c$CONC ${DUR}s, Connection: close, $ROUNDS rounds; load+backend on CPU $LOAD_CPU, proxies on CPU $PROXY_CPU"
for t in "${targets[@]}"; do printf '  %-12s negotiates %s\n' "$t" "$(negotiated "${url[$t]}")"; done
echo "warm-up: sluice ${WARMUP}s, nginx 3s"
run sluice "$WARMUP" >/dev/null
run nginx-tls12 3 >/dev/null
run nginx-tls13 3 >/dev/null
hz=$(getconf CLK_TCK)
declare -A us
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${targets[@]}"; do
    sleep 1
    read -r n ticks <<<"$(run "$t" "$DUR")"
    v=$(awk -v n="$n" -v k="$ticks" -v hz="$hz" 'BEGIN{printf "%.1f", n ? 1e6 * k / hz / n : 0}')
    us[$t]+="$v "
    printf '  round %d %-12s requests=%-7s us/req=%s\n' "$r" "$t" "$n" "$v"
  done
done
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
s=$(med <<<"${us[sluice]}") n12=$(med <<<"${us[nginx-tls12]}") n13=$(med <<<"${us[nginx-tls13]}")
echo
printf '%-12s %10s %22s\n' target "us/req" "sluice_vs_it_per_core"
printf '%-12s %10s %22s\n' nginx-tls12 "$n12" "$(awk -v a="$n12" -v b="$s" 'BEGIN{printf "%.3f", a/b}')"
printf '%-12s %10s %22s\n' nginx-tls13 "$n13" "$(awk -v a="$n13" -v b="$s" 'BEGIN{printf "%.3f", a/b}')"
printf '%-12s %10s\n' sluice "$s"
echo "(medians over rounds; per core = the other's us/req over Sluice's, > 1 means Sluice costs less)"
