#!/usr/bin/env bash
# How long one CLI call takes (docs/benchmarks.md, "CLI start-up"): starts bin/sluice serve on an empty
# store (admin API on 127.0.0.1:${ADMIN_PORT:-19399}), runs each client command N times (default 10)
# through bin/sluice and prints the median wall time and CPU time (user + sys), then stops the server.
# The first call of each command writes its class data archive (in a temporary SLUICE_CACHE_DIR) and
# is not counted. Usage: bench/cli-startup.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
n=${1:-10}
work=$(mktemp -d)
export SLUICE_CACHE_DIR=$work/cache SLUICE_SERVER=http://127.0.0.1:${ADMIN_PORT:-19399}
"$root/bin/sluice" --version >/dev/null # builds when needed
"$root/bin/sluice" serve --data-dir "$work/data" --admin-address "${SLUICE_SERVER#http://}" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fsS "$SLUICE_SERVER/api/v1/status" >/dev/null 2>&1 && break; sleep 0.2; done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "$(nproc) CPUs, load $(cut -d ' ' -f 1-3 /proc/loadavg), $("$root/bin/sluice" --version)"
for cmd in "get routes" "status" "--help"; do
  "$root/bin/sluice" $cmd >/dev/null 2>&1 || true # writes the archive
  : >"$work/wall"; : >"$work/cpu"
  for _ in $(seq "$n"); do
    start=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$work/time" "$root/bin/sluice" $cmd >/dev/null 2>&1 || true
    echo $(( ($(date +%s%N) - start) / 1000000 )) >>"$work/wall"
    awk '{printf "%d\n", ($1 + $2) * 1000}' "$work/time" >>"$work/cpu"
  done
  printf 'bin/sluice %-12s wall median %5s ms, cpu median %5s ms (%s runs)\n' "$cmd" "$(median <"$work/wall")" "$(median <"$work/cpu")" "$n"
done
