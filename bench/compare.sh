#!/usr/bin/env bash
# Runs `usfm bench` and the PyTorch reference (bench/torch_bench.py) on the same step in one run and
# prints both plus the ratios. Usage: bench/compare.sh train|embed [--model vit-b] [--img-size 224] [--batch N] [--steps N]
# Needs Debian's python3-torch and libopenblas0-openmp (apt) for the PyTorch side; `npm ci` for ours.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?train or embed}; shift
ours=$(node bin/usfm.js bench "$what" "$@" --json)
echo "usfm.ts: $ours"
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then echo "PyTorch not available (apt-get install python3-torch libopenblas0-openmp): no ratio"; exit 0; fi
env=()
if grep -q avx512f /proc/cpuinfo && [ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]; then
  env=(LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX)
fi
theirs=$(env "${env[@]}" "$py" bench/torch_bench.py "$what" "$@")
echo "pytorch: $theirs"
node -e '
const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s));
const keys = a.what === "train" ? ["median_ms_per_step", "median_fwd_bwd_ms", "median_adamw_ms", "peak_rss_mb"] : ["median_ms_per_image", "peak_rss_mb"];
for (const k of keys) console.log(`${k.padEnd(20)} usfm.ts ${a[k].toFixed(1).padStart(9)}  pytorch ${b[k].toFixed(1).padStart(9)}  ratio ${(a[k] / b[k]).toFixed(3)}`);
' "$ours" "$theirs"
