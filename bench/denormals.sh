#!/usr/bin/env bash
# Training throughput with IEEE denormals against denormals flushed to zero (USFM_FLUSH_DENORMALS=0 / 1; the
# `usfm` command flushes by default, see src/runtime/node.ts). Denormals appear as a run trains, so this continues
# a real run from its saved state instead of timing fresh weights: each try copies RUN_DIR (a finetune run
# folder stopped mid-training, with its resume/ state) and runs `usfm finetune --resume` on the copy for SECONDS.
# The two settings alternate ROUNDS times (this VM drifts over minutes). Per try: the median images/s between
# consecutive progress lines of one epoch (wall clock at each line; the first interval, with graph compilation,
# is left out). Prints every try, each setting's median and the ratio.
#
#   bench/denormals.sh RUN_DIR [SECONDS=90] [ROUNDS=2]
#
# A run to continue: any finetune run stopped with Ctrl-C or SIGTERM, e.g. the BUSI one of
# docs/label-efficiency/README.md ("A longer schedule"), stopped around epoch 20. Runs the compiled CLI: npm run build first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
run=${1:?usage: bench/denormals.sh RUN_DIR [SECONDS] [ROUNDS]}
secs=${2:-90}
rounds=${3:-2}
[ -f "$run/state.json" ] || { echo "bench/denormals.sh: $run: no state.json (not a finetune run folder stopped mid-training)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The median of the numbers on stdin (whitespace-separated), nan for none.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
declare -A rates
for r in $(seq 1 "$rounds"); do
  for flush in 0 1; do
    rm -rf "$tmp/run" && cp -r "$run" "$tmp/run"
    USFM_FLUSH_DENORMALS=$flush timeout -s TERM "$secs" node "$here/bin/usfm.js" finetune --resume "$tmp/run" 2>&1 \
      | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$tmp/log" || true
    # "T epoch E/N   SEEN/TOTAL loss …" (T: the wall clock stamped on each line): images per second between consecutive lines of the same epoch.
    rate=$(awk '$2 == "epoch" && $4 ~ /\// { split($4, s, "/"); e = $3; if (e == pe && s[1] > ps) { n++; if (n > 1) print (s[1] - ps) / ($1 - pt) } pe = e; ps = s[1]; pt = $1 }' "$tmp/log" | median)
    printf 'round %d  USFM_FLUSH_DENORMALS=%d  %s img/s\n' "$r" "$flush" "$rate"
    rates[$flush]+="$rate "
  done
done
m0=$(echo "${rates[0]}" | median)
m1=$(echo "${rates[1]}" | median)
awk -v a="$m0" -v b="$m1" 'BEGIN { printf "median img/s: IEEE denormals %.2f, flushed %.2f; flushed / IEEE = %.2f\n", a, b, b / a }'
