#!/usr/bin/env bash
# Runs RagKit's whole test suite. The Redis tests start their own redis-server processes on free loopback
# ports; this script installs Debian's redis-server first when it is missing and it can (root + apt-get).
# Without it, the Redis tests report as skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing redis-server (Debian package) for the Redis tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
      || echo "Could not install redis-server; the Redis tests will be skipped."
  else
    echo "redis-server not found and cannot be installed here; the Redis tests will be skipped."
  fi
fi

log="$(mktemp)"
set +e
dotnet test RagKit.sln -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One summary line over all test assemblies.
awk '/(Passed|Failed)!  -/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
