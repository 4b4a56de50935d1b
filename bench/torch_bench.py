#!/usr/bin/env python3
"""PyTorch side of `bench/compare.sh`: the same USFM step as `usfm bench`, timed the same way.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \
        /usr/bin/python3 bench/torch_bench.py train|embed --model vit-b --img-size 224 --batch 8 --steps 5

Uses the reference encoder in fixtures/torch/usfm_ref.py (per-block relative position tables, as
`usfm bench`), a 3-class linear head on the pooled features, cross-entropy, clip_grad_norm_(5) and
torch.optim.AdamW. Prints one JSON line. Never run by CI.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch"))
from usfm_ref import USFMEncoder  # noqa: E402

PRESETS = {"vit-b": (768, 12, 12), "vit-s": (384, 12, 6), "vit-t": (192, 12, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["train", "embed"])
    ap.add_argument("--model", default="vit-b")
    ap.add_argument("--img-size", default="224", help="S or HxW")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="default: all CPUs, as usfm bench")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dim, depth, heads = PRESETS[a.model]
    batch = a.batch or (8 if a.what == "train" else 1)
    steps = a.steps or (5 if a.what == "train" else 10)
    h, _, w = a.img_size.partition("x")
    size = (int(h), int(w or h))
    model = USFMEncoder(dim, depth, heads, size, shared_table=False)
    for p in model.parameters():
        torch.nn.init.trunc_normal_(p, std=0.02)
    x = torch.randn(batch, 3, *size)
    out = {"model": a.model, "img_size": f"{size[0]}x{size[1]}", "batch": batch, "steps": steps,
           "torch": torch.__version__, "threads": torch.get_num_threads()}
    if a.what == "embed":
        model.eval()
        times = []
        with torch.no_grad():
            t0 = time.perf_counter()
            model(x)
            out["first_run_ms"] = (time.perf_counter() - t0) * 1e3
            model(x)
            for _ in range(steps):
                t = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t) * 1e3)
        out.update(what="embed", median_ms_per_batch=statistics.median(times), median_ms_per_image=statistics.median(times) / batch,
                   min_ms_per_batch=min(times))
    else:
        head = torch.nn.Linear(dim, 3)
        params = list(model.parameters()) + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05)
        y = torch.arange(batch) % 3

        def step():
            t = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(head(model(x)["pooled"]), y)
            loss.backward()
            t1 = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            t2 = time.perf_counter()
            return (t2 - t) * 1e3, (t1 - t) * 1e3, (t2 - t1) * 1e3, float(loss)

        t0 = time.perf_counter()
        step()
        out["first_step_ms"] = (time.perf_counter() - t0) * 1e3
        rows = [step() for _ in range(steps)]
        total = [r[0] for r in rows]
        out.update(what="train", median_ms_per_step=statistics.median(total), min_ms_per_step=min(total),
                   median_fwd_bwd_ms=statistics.median(r[1] for r in rows), median_adamw_ms=statistics.median(r[2] for r in rows),
                   final_loss=rows[-1][3])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
