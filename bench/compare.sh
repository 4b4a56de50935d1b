#!/usr/bin/env bash
# Runs `usfm bench` and the PyTorch reference (bench/torch_bench.py) on the same step in one run and
# prints both plus the ratios.
#
#   bench/compare.sh train|embed|seg [--rounds R] [--model vit-b] [--img-size S] [--batch N] [--steps N] [--threads T]
#                                    [--head upernet|atm] [--classes K] [--seg-channels C] [--drop-path P]   (seg only)
#
# --rounds R (default 1) alternates the two sides R times (usfm.ts, pytorch, usfm.ts, pytorch, …) and
# reports the median over rounds of each side's per-run median (this VM drifts 10–20 % over minutes).
# seg also prints both parameter counts and a digest of the sorted parameter names and shapes, and
# exits 1 after the table when they differ.
# Needs Debian's python3-torch and libopenblas0-openmp (apt) for the PyTorch side; `npm ci` (which
# builds dist/) for ours: this runs the compiled CLI, so `npm run build` after editing src/.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?train, embed or seg}; shift
case $what in train|embed|seg) ;; *) echo "usage: bench/compare.sh train|embed|seg [--rounds R] [usfm bench options]" >&2; exit 2 ;; esac
rounds=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a value}; shift 2 ;;
    --rounds=*) rounds=${1#*=}; shift ;;
    --json) shift ;; # added below
    *) args+=("$1"); shift ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive integer, got '$rounds'" >&2; exit 2; }
if [ ! -f dist/cli/bench.js ]; then echo "dist/ is missing: run npm run build" >&2; exit 2; fi
if [ "$what" = seg ] && ! grep -q benchSeg dist/cli/bench.js; then echo "dist/ predates usfm bench seg: run npm run build" >&2; exit 2; fi
if [ -n "$(find src -name '*.ts' -newer dist/cli/main.js -print -quit)" ]; then
  echo "warning: src/ has files newer than dist/: the compiled CLI may be stale (npm run build)" >&2
fi
py=/usr/bin/python3
torch_ok=1
"$py" -c 'import torch' 2>/dev/null || torch_ok=0
env=()
if grep -q avx512f /proc/cpuinfo && [ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]; then
  env=(LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX)
fi
ours=()
theirs=()
for ((r = 1; r <= rounds; r++)); do
  o=$(node bin/usfm.js bench "$what" ${args[@]+"${args[@]}"} --json)
  echo "usfm.ts: $o"
  ours+=("$o")
  if [ $torch_ok = 1 ]; then
    t=$(env ${env[@]+"${env[@]}"} "$py" bench/torch_bench.py "$what" ${args[@]+"${args[@]}"})
    echo "pytorch: $t"
    theirs+=("$t")
  fi
done
if [ $torch_ok = 0 ]; then echo "PyTorch not available (apt-get install python3-torch libopenblas0-openmp): no ratio"; exit 0; fi
node -e '
const n = Number(process.argv[1]);
const runs = process.argv.slice(2).map((s) => JSON.parse(s));
const [ours, theirs] = [runs.slice(0, n), runs.slice(n)];
const med = (xs) => { const s = [...xs].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const what = ours[0].what;
const keys = what === "embed" ? ["median_ms_per_image", "peak_rss_mb"]
  : ["median_ms_per_step", "median_fwd_bwd_ms", "median_adamw_ms", ...(what === "seg" ? ["first_step_ms"] : []), "peak_rss_mb"];
if (n > 1) console.log(`medians over ${n} alternating rounds (range in brackets)`);
const fmt = (xs) => med(xs).toFixed(1).padStart(9) + (n > 1 ? ` [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`.padEnd(16) : "");
for (const k of keys) {
  const [a, b] = [ours.map((r) => r[k]), theirs.map((r) => r[k])];
  console.log(`${k.padEnd(20)} usfm.ts ${fmt(a)}  pytorch ${fmt(b)}  ratio ${(med(a) / med(b)).toFixed(3)}`);
}
if (what === "seg") {
  const [a, b] = [ours[0], theirs[0]];
  console.log(`${"gflops".padEnd(20)} usfm.ts ${med(ours.map((r) => r.gflops)).toFixed(1).padStart(9)}  (${a.gflop_per_step.toFixed(1)} GFLOP per step: 3 × forward convs, linears, attention)`);
  const same = a.params === b.params && a.trainable_params === b.trainable_params && a.param_digest === b.param_digest;
  console.log(`${"params".padEnd(20)} usfm.ts ${a.params} (trainable ${a.trainable_params}, names/shapes ${a.param_digest})  pytorch ${b.params} (trainable ${b.trainable_params}, names/shapes ${b.param_digest})  ${same ? "equal" : "MISMATCH"}`);
  console.log(`${"final_loss".padEnd(20)} usfm.ts ${a.final_loss.toFixed(4)}  pytorch ${b.final_loss.toFixed(4)}  (different random weights and batch: same scale expected, not equality)`);
  if (!same) process.exitCode = 1;
}
' "$rounds" "${ours[@]}" "${theirs[@]}"
