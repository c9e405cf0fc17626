#!/usr/bin/env bash
# Same-run A/B of the exact-hit path: builds benchmarks/RagKit.Benchmarks (with HitPath.cs) at a baseline commit in a
# temporary worktree and at the working tree, then runs them alternately.
# Usage: eng/ab-hitpath.sh <baseline-commit> [pairs] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
base="$1"; pairs="${2:-3}"; rounds="${3:-9}"
wt="$(mktemp -d)/base"
git worktree add -q --detach "$wt" "$base"
trap 'git worktree remove --force "$wt"' EXIT
cp benchmarks/RagKit.Benchmarks/HitPath.cs benchmarks/RagKit.Benchmarks/Program.cs "$wt/benchmarks/RagKit.Benchmarks/"
dotnet build -c Release "$wt/benchmarks/RagKit.Benchmarks" -nologo -v q >/dev/null
dotnet build -c Release benchmarks/RagKit.Benchmarks -nologo -v q >/dev/null
for i in $(seq "$pairs"); do
  echo -n "baseline $base: "; dotnet run -c Release --no-build --project "$wt/benchmarks/RagKit.Benchmarks" -- hitpath "$rounds"
  echo -n "this tree:        "; dotnet run -c Release --no-build --project benchmarks/RagKit.Benchmarks -- hitpath "$rounds"
done
