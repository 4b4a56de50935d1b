#!/usr/bin/env bash
# A small ablation of the pretraining objective (issue: "pick defaults by a small ablation"). Each variant
# pretrains a vit-t from random init for the same short budget on the training splits of ../shared/data,
# then its encoder is evaluated twice, without touching val/test images during pretraining:
#  - frozen features on BUSI: class-balanced logistic regression and cosine k-NN (bench/linear_probe.ts),
#  - fine-tuning on 20 % of the HC18 training labels (UPerNet 64 ch, same seed and lr for every arm),
#    test Dice on other patients (usfm eval).
# Random init ("none") gets the same two evaluations. Pretraining also reports its loss on 128 held-out images of
# the HC18 and BUSI val splits every epoch (--val-data; never trained on). One line of JSON per arm goes to
# OUT/results.jsonl.
#
#   bench/pretrain_ablation.sh OUT [--epochs 8] [--epoch-length 1024] [--variants both,spatial,frequency,...]
#     [--ft-seeds 1,2,3] [--pretrain-seed 42]
#
# Variants (every other setting is the current default, recorded per line as "objective"): both (branch 1,1,1: USFM's
# dual objective), spatial (1,0,0), frequency (0,1,0), nofreqloss (1,1,1 with λ = 0), mask04 / mask075 (spatial only, mask
# ratio 0.4 / 0.75), unit16 (spatial only, 16-px mask units: one patch each), meanfill / tokenfill / noisefill (both,
# masked units filled with the image mean / replaced by the mask token / filled with noise around the mean), or
# NAME=PATH: an existing encoder checkpoint evaluated the same way without pretraining. Needs npm run build (runs
# bin/usfm.js).
# --ft-seeds 1,2,3 fine-tunes each arm with several seeds (seed 1 in OUT/ft-hc18-ARM, others in OUT/ft-hc18-ARM-sSEED)
# and scores each run on the test and on the val split (hc18_20pct_seeds: {seed: {test_dice, val_dice}}): choices
# between arms are to be made on the val scores, leaving the test split to the reported studies.
# --pretrain-seed S (default 42) pretrains every arm with seed S (data order, masks, init): a second pretraining seed of the
# same arms, in its own OUT.
set -euo pipefail
out=${1:?usage: bench/pretrain_ablation.sh OUT [--epochs E] [--epoch-length N] [--variants LIST] [--ft-epochs E] [--ft-seeds LIST] [--pretrain-seed S]}; shift
epochs=8; len=1024; variants=none,both,spatial,frequency; ft_epochs=15; ft_seeds=1; pt_seed=42
while [ $# -gt 0 ]; do
  case $1 in
    --epochs) epochs=$2; shift 2 ;;
    --epoch-length) len=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --ft-epochs) ft_epochs=$2; shift 2 ;;
    --ft-seeds) ft_seeds=$2; shift 2 ;;
    --pretrain-seed) pt_seed=$2; shift 2 ;;
    *) echo "bench/pretrain_ablation.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
data=${USFM_DATA:-$here/../shared/data}
for d in "$data/Seg/hc18" "$data/Cls/busi" "$data/Unlabeled/fetal_head"; do
  [ -d "$d" ] || { echo "bench/pretrain_ablation.sh: $d: not found (set USFM_DATA)" >&2; exit 2; }
done
usfm() { node "$here/bin/usfm.js" "$@"; }
mkdir -p "$out"
for v in ${variants//,/ }; do
  enc=none; ckpt=
  case $v in
    *=*) ckpt=${v#*=}; v=${v%%=*}; flags=(); [ -f "$ckpt" ] || { echo "bench/pretrain_ablation.sh: $ckpt: not found" >&2; exit 2; } ;;
    none) flags=() ;;
    both) flags=(--branch 1,1,1) ;;
    spatial) flags=(--branch 1,0,0) ;;
    frequency) flags=(--branch 0,1,0) ;;
    nofreqloss) flags=(--branch 1,1,1 --lambda-freq 0) ;;
    mask04) flags=(--branch 1,0,0 --mask-ratio 0.4) ;;
    mask075) flags=(--branch 1,0,0 --mask-ratio 0.75) ;;
    unit16) flags=(--branch 1,0,0 --mask-unit 16) ;;
    meanfill) flags=(--branch 1,1,1 --fill mean) ;;
    tokenfill) flags=(--branch 1,1,1 --fill token) ;;
    noisefill) flags=(--branch 1,1,1 --fill noise) ;;
    *) echo "bench/pretrain_ablation.sh: unknown variant $v" >&2; exit 2 ;;
  esac
  if [ -n "$ckpt" ]; then enc=$ckpt
  elif [ "$v" != none ]; then
    run=$out/pretrain-$v
    if [ -f "$run/options.json" ] && ! node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).seed === Number(process.argv[2]) ? 0 : 1)' "$run/options.json" "$pt_seed"; then
      echo "bench/pretrain_ablation.sh: $run/options.json: pretrained with another seed than --pretrain-seed $pt_seed (use another OUT)" >&2; exit 2
    fi
    if [ ! -f "$run/encoder.safetensors" ] || ! grep -q "\"epoch\":$epochs[,}]" "$run/metrics.jsonl" 2>/dev/null; then
      # A run stopped mid-way (even inside its first epoch) has its options and resume state: continue it.
      if [ -f "$run/options.json" ]; then usfm pretrain --resume "$run"
      else
        usfm pretrain --data "$data/Seg/hc18,$data/Cls/busi,$data/Unlabeled/fetal_head" --model vit-t --img-size 224 \
          --epochs "$epochs" --epoch-length "$len" --seed "$pt_seed" --warmup-epochs 1 --grid-every "$epochs" --out "$run" "${flags[@]}" \
          --val-data "$data/Seg/hc18/val_set,$data/Cls/busi/val"
      fi
    fi
    enc=$run/encoder.safetensors
  fi
  probe=$(node --import tsx "$here/bench/linear_probe.ts" --data "$data/Cls/busi" --weights "$enc")
  for seed in ${ft_seeds//,/ }; do
    ft=$out/ft-hc18-$v; [ "$seed" = 1 ] || ft=$ft-s$seed
    if [ ! -f "$ft/eval.json" ]; then
      rm -rf "$ft"
      usfm finetune --task seg --data "$data/Seg/hc18" --weights "$enc" --model vit-t --label-ratio 0.2 --epochs "$ft_epochs" \
        --lr 0.0128 --layer-decay 1 --seg-channels 64 --val-every 5 --seed "$seed" --out "$ft" >"$ft.log" 2>&1
      usfm eval --run "$ft" --data "$data/Seg/hc18" --json >"$ft/eval.json.tmp" && mv "$ft/eval.json.tmp" "$ft/eval.json"
    fi
    if [ ! -f "$ft/eval-val.json" ]; then
      usfm eval --run "$ft" --data "$data/Seg/hc18" --split val --json >"$ft/eval-val.json.tmp" && mv "$ft/eval-val.json.tmp" "$ft/eval-val.json"
    fi
  done
  ft=$out/ft-hc18-$v; [ "${ft_seeds%%,*}" = 1 ] || ft=$ft-s${ft_seeds%%,*}
  node -e '
    const [v, flags, probe, evalPath, pre, base, seeds] = process.argv.slice(1);
    const fs = require("fs");
    const e = JSON.parse(fs.readFileSync(evalPath, "utf8"));
    const dice = (f) => JSON.parse(fs.readFileSync(f, "utf8")).summary.dice.mean;
    const bySeed = Object.fromEntries(seeds.split(",").map((s) => {
      const dir = s === "1" ? base : `${base}-s${s}`;
      return [s, { test_dice: dice(`${dir}/eval.json`), val_dice: dice(`${dir}/eval-val.json`) }];
    }));
    const last = pre ? fs.readFileSync(pre, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.loss !== undefined).pop() : null;
    // The whole objective the run trained with (options.json keeps every setting), so defaults that change later stay on record.
    const opts = pre ? JSON.parse(fs.readFileSync(require("path").join(require("path").dirname(pre), "options.json"), "utf8")) : null;
    console.log(JSON.stringify({ variant: v, flags, objective: opts ? opts.objective : undefined, pretrain_seed: opts ? opts.seed : undefined, pretrain_last: last, probe: JSON.parse(probe), hc18_20pct: e.summary,
      hc18_checkpoint: e.weights, hc18_20pct_seeds: bySeed }));
  ' "$v" "${ckpt:-${flags[*]:-}}" "$probe" "$ft/eval.json" "$( [ "$v" = none ] || [ -n "$ckpt" ] || echo "$out/pretrain-$v/metrics.jsonl")" \
    "$out/ft-hc18-$v" "$ft_seeds" >>"$out/results.jsonl"
  tail -n 1 "$out/results.jsonl"
done
