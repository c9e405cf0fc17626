#!/usr/bin/env bash
# Adds public API that is missing from src/*/PublicAPI.Unshipped.txt, taking each symbol exactly as the
# PublicApiAnalyzers report it (RS0016), and drops entries the analyzer reports as removed (RS0017).
# Run after a change or merge that adds or removes public API.
# Usage: eng/update-public-api.sh [project...]   (default: every project under src/)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then projects=(src/*/*.csproj); fi
for p in "${projects[@]}"; do
  dir="$(dirname "$p")"
  log="$(mktemp)"
  dotnet build "$p" --no-incremental -nologo -clp:NoSummary -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= > "$log" 2>&1 || true
  python3 - "$dir" "$log" <<'PY'
import re, sys, os
d, log = sys.argv[1], sys.argv[2]
text = open(log, encoding='utf-8').read()
proj = os.path.abspath(d)
added, removed = set(), set()
for line in text.splitlines():
    if f"[{proj}/" not in line and not line.startswith(proj):
        continue
    m = re.search(r"RS0016: Symbol '(.*)' is not part of the declared public API", line)
    if m: added.add(m.group(1))
    m = re.search(r"RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found", line)
    if m: removed.add(m.group(1))
path = os.path.join(d, 'PublicAPI.Unshipped.txt')
lines = [l.rstrip('\n') for l in open(path, encoding='utf-8')] if os.path.exists(path) else ['#nullable enable']
body = sorted((set(l for l in lines[1:] if l.strip()) | added) - removed)
open(path, 'w', encoding='utf-8').write('\n'.join(['#nullable enable'] + body) + '\n')
print(f"{d}: +{len(added)} -{len(removed)}")
PY
  rm -f "$log"
done
