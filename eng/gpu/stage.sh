#!/usr/bin/env bash
# Stages the GPU embedding benchmark for the device machine, which has no .NET and no network.
# Publishes eng/gpu/RagKit.Benchmarks.Gpu self-contained for linux-x64 (with ONNX Runtime's CUDA build), adds the
# SciFact and BANKING77 files it reads and run.sh, and splits the gzip'd tar into ~55 MB parts (a device call
# carries at most 64 MiB). DEST must be a git-ignored folder of the checkout the device tool sends, for example
# /work/main/.gpu with "/.gpu/" in that checkout's .git/info/exclude.
# Usage: eng/gpu/stage.sh DEST [DATA]   (DATA defaults to ../shared/data next to the repository)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:?usage: stage.sh DEST [DATA]}"
data="${2:-$repo/../shared/data}"
payload="$(mktemp -d)"
trap 'rm -rf "$payload"' EXIT

mkdir -p "$payload/data/rag/scifact" "$payload/data/semantic/banking77"
dotnet publish "$repo/eng/gpu/RagKit.Benchmarks.Gpu" -c Release -r linux-x64 --self-contained \
  -o "$payload/bin" --nologo -v q
cp "$data/rag/scifact/corpus.jsonl.gz" "$payload/data/rag/scifact/"
cp "$data/semantic/banking77/train.csv" "$data/semantic/banking77/test.csv" "$payload/data/semantic/banking77/"

rm -rf "$dest"
mkdir -p "$dest"
tar -C "$payload" -cf - . | gzip -1 | split -b 55m -d - "$dest/part"
cp "$repo/eng/gpu/run.sh" "$dest/run.sh"
ls -la "$dest"
