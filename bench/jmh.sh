#!/usr/bin/env bash
# Builds sluice-bench and runs its JMH benchmarks; arguments go to JMH, e.g.
#   bench/jmh.sh RouteTableBenchmark -f 1 -wi 3 -i 5 -w 2 -r 2
#   bench/jmh.sh -h
set -euo pipefail

cd "$(dirname "$0")/.."

java_major() {
  # "java -version" prints e.g. 'openjdk version "21.0.5"' or '"1.8.0_402"' to stderr.
  local version
  version=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  version=${version#1.}
  echo "${version%%[.+-]*}"
}

# Prints the feature release of the JDK in $1 (e.g. 21), or 0 if it is not a usable JDK.
jdk_major() {
  local major
  [[ -x "$1/bin/javac" ]] && major=$(java_major "$1") && [[ "$major" =~ ^[0-9]+$ ]] || major=0
  echo "$major"
}

find_jdk() {
  if [[ -n "${JAVA_HOME:-}" ]] && (( $(jdk_major "$JAVA_HOME") >= 21 )); then
    echo "$JAVA_HOME"
    return
  fi
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    major=$(jdk_major "$dir")
    if (( major > best_major )); then
      best=$dir
      best_major=$major
    fi
  done
  if (( best_major >= 21 )); then
    echo "$best"
  fi
  return 0
}

JAVA_HOME=$(find_jdk)
if [[ -z "$JAVA_HOME" ]]; then
  echo "bench/jmh.sh: needs a JDK 21 or newer: set JAVA_HOME to one (none found under /usr/lib/jvm)" >&2
  exit 1
fi
export JAVA_HOME

./mvnw -q -B -pl sluice-bench -am package -DskipTests
exec "$JAVA_HOME/bin/java" -jar sluice-bench/target/benchmarks.jar "$@"
