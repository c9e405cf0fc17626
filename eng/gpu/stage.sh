#!/usr/bin/env bash
# Stages the GPU embedding benchmark for the device machine, which has no .NET and no network.
# Publishes eng/gpu/RagKit.Benchmarks.Gpu self-contained for linux-x64 (with ONNX Runtime's CUDA build), adds the
# SciFact and BANKING77 files it reads and run.sh, and splits the gzip'd tar into ~55 MB parts (a device call
# carries at most 64 MiB). DEST must be a git-ignored folder of the checkout the device tool sends, for example
# /work/main/.gpu with "/.gpu/" in that checkout's .git/info/exclude.
# Usage: eng/gpu/stage.sh DEST [DATA]   then eng/gpu/stage.sh DEST --app-only after a change to RagKit or the harness   (DATA defaults to ../shared/data next to the repository)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:?usage: stage.sh DEST [DATA]}"
data="${2:-$repo/../shared/data}"
[ "$data" = "--app-only" ] && data="$repo/../shared/data"
payload="$(mktemp -d)"
if [ "${2:-}" = "--app-only" ]; then
  trap 'rm -rf "$payload"' EXIT
  dotnet publish "$repo/eng/gpu/RagKit.Benchmarks.Gpu" -c Release -r linux-x64 --self-contained -o "$payload/bin" --nologo -v q
  tar -C "$payload/bin" -czf "$dest/app.tgz" $(cd "$payload/bin" && ls -d RagKit*)
  ls -la "$dest/app.tgz"
  exit 0
fi
trap 'rm -rf "$payload"' EXIT

mkdir -p "$payload/data/rag/scifact" "$payload/data/semantic/banking77"
dotnet publish "$repo/eng/gpu/RagKit.Benchmarks.Gpu" -c Release -r linux-x64 --self-contained \
  -o "$payload/bin" --nologo -v q
cp "$data/rag/scifact/corpus.jsonl.gz" "$payload/data/rag/scifact/"
cp "$data/semantic/banking77/train.csv" "$data/semantic/banking77/test.csv" "$payload/data/semantic/banking77/"

# RagKit's own assemblies and the harness go in app.tgz (small: re-staged alone after a code change); the .NET
# runtime, ONNX Runtime's CUDA build, the model and the data go in the parts.
mkdir -p "$payload/app"
mv "$payload"/bin/RagKit* "$payload/app/"
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$payload/app" -czf "$dest/app.tgz" .
rm -rf "$payload/app"
tar -C "$payload" -cf - . | gzip -1 | split -b 55m -d - "$dest/part"
cp "$repo/eng/gpu/run.sh" "$dest/run.sh"
ls -la "$dest"
