#!/usr/bin/env bash
# Cold `usfm embed` of one image (the engine issue's target: ≤ 6 s with a ViT-B .pth): process start,
# checkpoint read, graph build, session creation, one forward, output write — each run a fresh process.
# Prints every run's wall time and the median.
#
#   bench/cold_embed.sh [CKPT] [RUNS]
#
# CKPT defaults to fixtures/local/usfm_random_vitb.pth, a 343 MB ViT-B laid out like USFM_latest.pth
# (generate it with /usr/bin/python3 fixtures/torch/gen_full.py). Runs the compiled CLI: npm run build first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ckpt=${1:-$here/fixtures/local/usfm_random_vitb.pth}
runs=${2:-3}
[ -f "$ckpt" ] || { echo "bench/cold_embed.sh: $ckpt: not found (see the header for how to generate it)" >&2; exit 2; }
img=$(ls "$here"/samples/hc18-mini/test_set/image/*.png | head -n 1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
times=()
for i in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  node "$here/bin/usfm.js" embed --weights "$ckpt" --out "$out/e.safetensors" "$img" >/dev/null
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  times+=("$t")
  printf 'run %d  %.2f s\n' "$i" "$t"
done
printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "median %.2f s over %d cold runs (%s)\n", m, NR, "'"$(basename "$ckpt")"'"}'
