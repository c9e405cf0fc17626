#!/usr/bin/env bash
# Regenerates src/*/PublicAPI.Unshipped.txt from the code with the analyzer's own code fix (RS0016 adds missing
# public API, RS0017 removes API that no longer exists). Run after merging branches that add public API.
# Usage: eng/update-public-api.sh [project...]   (default: every project under src/)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then projects=(src/*/*.csproj); fi
for p in "${projects[@]}"; do
  echo "== $p"
  # RS0017 first (drop removed API), then RS0016 (add new API); RS0037 adds the '#nullable enable' header.
  dotnet format analyzers "$p" --diagnostics RS0017 RS0037 --severity warn -v q || true
  dotnet format analyzers "$p" --diagnostics RS0016 --severity warn -v q || true
  dotnet build "$p" -v q -nologo | grep -E "RS00(16|17|26|27|37)" && { echo "public API files of $p still out of date"; exit 1; } || true
done
