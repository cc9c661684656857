#!/usr/bin/env bash
# Runs ../shared/bench/proxy-bench against Sluice on examples/bench (listener 127.0.0.1:18090 ->
# upstream 127.0.0.1:18080). Arguments pass through, e.g. --path /1k --rounds 5 --warmup 60.
#
# --tls (anywhere; passed on to the harness, which then loads over HTTPS) serves examples/bench-tls:
# HTTPS on 127.0.0.1:18443 with the harness's certificate (tls/ beside proxy-bench), which is the
# certificate directory (--cert-dir) the config's Secret names its files in.
#
# --tls12 (first argument) is --tls with examples/bench-tls12: the listener capped at TLS 1.2, as the
# harness's nginx peer is, so that --tls12 --new-conn compares the same handshake (a TLS 1.2 ticket
# resumption) on both sides.
#
# --filters (first argument) serves examples/bench-filters instead: the same route with five filters
# (ip-restriction, key-auth, rate-limit, header, cors). Its key-auth takes the key from the query,
# since the harness's load generator sends no headers, so ?apikey=bench-key-0001 is added to the
# --path given (default /); every target gets that URL, and the backend answers it like the path.
#
# --wasm (first argument) serves examples/bench-wasm: the same route with a header-setting
# proxy-wasm plugin (sluice-wasm/src/test/wasm/setheader); --java-header (first argument) serves
# examples/bench-java-header: the same header edits with the built-in header filter. The gateway
# then starts in the repository root, where bench-wasm's module path is relative to.
# --wasm-rust (first argument) serves examples/bench-wasm-rust: the same edits by a plugin built with
# the proxy-wasm Rust SDK (sluice-wasm/src/test/wasm/setheader-rust); --wasm-raw (first argument)
# serves examples/bench-wasm-raw: by one written against the ABI without an SDK (setheader-raw).
#
# The gateway runs as the harness pins it, alone on one core, and is started by `bin/sluice serve`
# with the launcher's own defaults (bin/find-java, server_memory_opts and server_priority_opts): on
# the one CPU it then sees, one event loop, SerialGC with a 16 MiB young generation, a heap that
# grows from 32 MiB, one pooled-buffer arena; control-plane and JIT threads at a lower OS priority.
# What is measured is what a user runs; the script adds only the config dir, a fresh data dir and
# the TLS certificates.
set -euo pipefail
config=bench
tls=0
tls12=0
if [[ ${1:-} == --tls12 ]]; then
  shift
  tls12=1
  set -- --tls "$@"
fi
for a in "$@"; do [[ $a == --tls ]] && tls=1; done
if [[ ${1:-} == --filters ]]; then
  shift
  config=bench-filters
  args=() path=/
  while (($#)); do
    if [[ $1 == --path ]]; then path=$2; shift 2; else args+=("$1"); shift; fi
  done
  set -- "${args[@]}" --path "$path?apikey=bench-key-0001"
elif [[ ${1:-} == --wasm ]]; then
  shift
  config=bench-wasm
elif [[ ${1:-} == --wasm-rust ]]; then
  shift
  config=bench-wasm-rust
elif [[ ${1:-} == --wasm-raw ]]; then
  shift
  config=bench-wasm-raw
elif [[ ${1:-} == --java-header ]]; then
  shift
  config=bench-java-header
fi
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
bench="${PROXY_BENCH:-$root/../shared/bench/proxy-bench}"
[ -x "$bench" ] || { echo "proxy-bench.sh: $bench not found (set PROXY_BENCH)" >&2; exit 1; }
extra=""
if ((tls)); then
  [[ $config == bench ]] || { echo "proxy-bench.sh: --tls and --$config are exclusive" >&2; exit 1; }
  config=bench-tls
  ((tls12)) && config=bench-tls12
  certs=$(cd "$(dirname "$bench")/tls" && pwd)
  extra="--cert-dir $certs"
fi
source "$root/bin/find-java"
JAVA_HOME=$(find_jdk) || exit 1
export JAVA_HOME
(cd "$root" && ./mvnw -q -B -DskipTests -pl sluice-server -am package)
jar=$(ls "$root"/sluice-server/target/sluice-server-*.jar | grep -v -- '-tests.jar' | head -n 1)
# SLUICE_BENCH_JAVA_OPTS adds JVM options after the launcher's (so they win; it is the launcher's
# SLUICE_JAVA_OPTS), e.g. -XX:StartFlightRecording=filename=/tmp/sluice.jfr for a profile, or
# -XX:CompilerThreadPriority=0.
# SLUICE_BENCH_CONFIG replaces the config directory (e.g. examples/bench-observability: access log on).
config=$(cd "${SLUICE_BENCH_CONFIG:-$root/examples/$config}" && pwd)
# A fresh store each run, so that nothing left by an earlier run is served.
data=$(mktemp -d /tmp/sluice-bench-data.XXXXXX)
# SLUICE_AOT=off: the package step above writes a new jar each run, so serve's AOT cache (keyed by the
# jars) would be recorded anew by every run and written at its stop; the harness measures the steady
# state after its own warm-up, and bench/warmup.sh measures what the cache buys at start.
cmd="cd $root && SLUICE_AOT=off SLUICE_CLASSPATH='$jar:$root/sluice-server/target/lib/*' SLUICE_JAVA_OPTS='${SLUICE_BENCH_JAVA_OPTS:-}' \
 exec bin/sluice serve --config-dir $config --data-dir $data $extra"
exec "$bench" --gateway-cmd "$cmd" "$@"
