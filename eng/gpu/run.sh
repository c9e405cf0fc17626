#!/usr/bin/env bash
# Runs on the device machine once every part staged by stage.sh has been copied to /root/stage (one part per call:
#   mkdir -p /root/stage && cp .gpu/partNN /root/stage/ ), and app.tgz with the last one.
# Unpacks, points the loader at CUDA 13 and cuDNN 9, and runs the benchmark; output goes to $OUT/bench.txt.
# Usage: bash .gpu/run.sh [--quick] [--no-cpu]
set -euo pipefail
rm -rf /root/run && mkdir -p /root/run
cat /root/stage/part* | gunzip | tar -C /root/run -xf -
tar -C /root/run/bin -xzf /root/stage/app.tgz
export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:/usr/lib/x86_64-linux-gnu:/root/run/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DOTNET_gcServer=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nvidia-smi dmon -s u -d 1 > "${OUT:-/tmp}/dmon.txt" 2>&1 &
dmon=$!
set +e
/root/run/bin/RagKit.Benchmarks.Gpu /root/run/data "$@" > "${OUT:-/tmp}/bench.txt" 2>&1
status=$?
set -e
kill "$dmon" 2>/dev/null || true
cat "${OUT:-/tmp}/bench.txt"
exit "$status"
