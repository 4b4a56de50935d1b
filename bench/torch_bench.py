#!/usr/bin/env python3
"""PyTorch side of `bench/compare.sh`: the same USFM step as `usfm bench`, timed the same way.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \
        /usr/bin/python3 bench/torch_bench.py train|embed|seg --model vit-b --img-size 224 --batch 8 --steps 5

train/embed: the reference encoder in fixtures/torch/usfm_ref.py (per-block relative position
tables, as `usfm bench`), a 3-class linear head on the pooled features, cross-entropy,
clip_grad_norm_(5) and torch.optim.AdamW.

seg (default 512, batch 2): the `usfm finetune --task seg` step as `usfm bench seg` runs it. The
reference encoder's modules run block by block (final norm removed, as finalNorm: false) with
timm-style drop-path (linear 0 … --drop-path); the block outputs at taps [3, 5, 7, 11] scaled to the
depth (upernet.ts defaultOutIndices) go through the necks fpn1 (ConvTranspose2d 2×2 + BatchNorm2d +
GELU + ConvTranspose2d), fpn2 (ConvTranspose2d), identity and MaxPool2d(2), then
  --head upernet: mmseg's UPerHead (PPM 1/2/3/6, ConvModule = conv without bias + BN + ReLU,
    channels --seg-channels, 0 = the backbone width) and an FCNHead (one 3×3 ConvModule to 256 +
    conv_seg) on level 2, both bilinearly resized to the input; loss CE + softmax Dice + 0.4 · aux CE;
  --head atm: the SegViT ATM head and ATMLoss of fixtures/torch/gen_atm.py (taps [5, 7, 11] scaled,
    width = backbone width / 2, the backbone's head count, 3 layers).
mask_token is frozen; AdamW (weight decay 0.05) over BEiT layer-decay (0.65) / no-decay parameter
groups as src/train/param_groups.ts; clip_grad_norm_(5). Dropout before the classifiers is omitted
on both sides. Prints one JSON line. Never run by CI.
"""
import argparse
import hashlib
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch"))
from usfm_ref import USFMEncoder  # noqa: E402

PRESETS = {"vit-b": (768, 12, 12), "vit-s": (384, 12, 6), "vit-t": (192, 12, 3)}


def scaled_taps(taps, depth):
    """upernet.ts defaultOutIndices / atm.ts defaultAtmOutIndices (JS Math.round: halves round up)."""
    return [max(0, math.floor((k + 1) * depth / 12 + 0.5) - 1) for k in taps]


def resize(x, size):
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def drop_path(x, p, training=True):
    """timm's drop_path: per-sample keep mask [B, 1, 1] scaled by 1 / keep."""
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    return x * x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep).div_(keep)


class ConvModule(nn.Sequential):
    """mmcv ConvModule: conv (no bias) + BatchNorm2d + ReLU; state-dict names conv.*, bn.*."""

    def __init__(self, cin, cout, k, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.activate = nn.ReLU(inplace=True)


class UPerHead(nn.Module):
    """mmseg's UPerHead (PPM on the last level + FPN), as src/models/usfm/upernet.ts."""

    def __init__(self, cin, ch, classes, pool_scales=(1, 2, 3, 6)):
        super().__init__()
        self.psp_modules = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(s), ConvModule(cin, ch, 1)) for s in pool_scales])
        self.bottleneck = ConvModule(cin + len(pool_scales) * ch, ch, 3, 1)
        self.lateral_convs = nn.ModuleList([ConvModule(cin, ch, 1) for _ in range(3)])
        self.fpn_convs = nn.ModuleList([ConvModule(ch, ch, 3, 1) for _ in range(3)])
        self.fpn_bottleneck = ConvModule(4 * ch, ch, 3, 1)
        self.conv_seg = nn.Conv2d(ch, classes, 1)

    def forward(self, feats):
        top = feats[3]
        psp = [top] + [resize(m(top), top.shape[2:]) for m in self.psp_modules]
        lat = [conv(f) for conv, f in zip(self.lateral_convs, feats[:3])] + [self.bottleneck(torch.cat(psp, 1))]
        for i in range(3, 0, -1):
            lat[i - 1] = lat[i - 1] + resize(lat[i], lat[i - 1].shape[2:])
        outs = [conv(t) for conv, t in zip(self.fpn_convs, lat[:3])] + [lat[3]]
        outs = [outs[0]] + [resize(t, outs[0].shape[2:]) for t in outs[1:]]
        return self.conv_seg(self.fpn_bottleneck(torch.cat(outs, 1)))


class FCNHead(nn.Module):
    """mmseg's FCNHead as the official auxiliary head: num_convs 1, concat_input False."""

    def __init__(self, cin, ch, classes):
        super().__init__()
        self.convs = nn.Sequential(ConvModule(cin, ch, 3, 1))
        self.conv_seg = nn.Conv2d(ch, classes, 1)

    def forward(self, x):
        return self.conv_seg(self.convs(x))


class SegModel(nn.Module):
    """USFM encoder + necks + UPerNet/FCN or ATM head; parameter names as the TypeScript model's
    (encoder.* here, at the root there; decode_head.*, auxiliary_head.*, fpn1.*, fpn2.*)."""

    def __init__(self, dim, depth, heads, size, classes, head="upernet", channels=0, drop_path_rate=0.1):
        super().__init__()
        self.encoder = USFMEncoder(dim, depth, heads, size, shared_table=False)
        self.encoder.norm = None  # finalNorm: false: the heads read raw block outputs
        self.encoder.mask_token.requires_grad_(False)  # frozen, as finetune.ts
        self.dim, self.size, self.head = dim, size, head
        self.grid = (size[0] // 16, size[1] // 16)
        self.rates = [drop_path_rate * i / (depth - 1) if depth > 1 else 0.0 for i in range(depth)]
        self.fpn1 = nn.Sequential(nn.ConvTranspose2d(dim, dim, 2, 2), nn.BatchNorm2d(dim), nn.GELU(), nn.ConvTranspose2d(dim, dim, 2, 2))
        self.fpn2 = nn.Sequential(nn.ConvTranspose2d(dim, dim, 2, 2))
        if head == "upernet":
            self.taps = scaled_taps((3, 5, 7, 11), depth)
            self.fpn4 = nn.MaxPool2d(2)
            self.decode_head = UPerHead(dim, channels or dim, classes)
            self.auxiliary_head = FCNHead(dim, 256, classes)
        else:
            import gen_atm  # the ATM reference of the golden test, sized through its module constants

            gen_atm.CLASSES, gen_atm.IN_CH, gen_atm.DIM, gen_atm.HEADS, gen_atm.LAYERS = classes, dim, dim // 2, heads, 3
            gen_atm.SIZES, gen_atm.OUT = [None] * 3, tuple(size)
            self.atm = gen_atm
            self.taps = scaled_taps((5, 7, 11), depth)
            self.decode_head = gen_atm.ATMHeadRef()

    def forward(self, x):
        enc = self.encoder
        b = x.shape[0]
        t = enc.patch_embed(x)
        t = torch.cat([enc.cls_token.expand(b, -1, -1), t], dim=1)
        blocks = []
        for blk, p in zip(enc.blocks, self.rates):
            t = t + drop_path(blk.gamma_1 * blk.attn(blk.norm1(t)), p, self.training)
            t = t + drop_path(blk.gamma_2 * blk.mlp(blk.norm2(t)), p, self.training)
            blocks.append(t)
        maps = [blocks[i][:, 1:].transpose(1, 2).reshape(b, self.dim, *self.grid) for i in self.taps]
        feats = [self.fpn1(maps[0]), self.fpn2(maps[1]), maps[2]]
        if self.head == "atm":
            return self.decode_head(feats)
        feats.append(self.fpn4(maps[3]))
        return resize(self.decode_head(feats), self.size), resize(self.auxiliary_head(feats[2]), self.size)

    def loss(self, out, y):
        if self.head == "atm":
            return atm_loss(out, y, self.atm)
        main, aux = out
        p = main.softmax(1)
        hot = F.one_hot(y, main.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
        dims = (0, 2, 3)  # Dice per class over batch and space, averaged over classes (smooth 1)
        dice = 1 - ((2 * (p * hot).sum(dims) + 1) / (p.sum(dims) + hot.sum(dims) + 1)).mean()
        return F.cross_entropy(main, y) + dice + 0.4 * F.cross_entropy(aux, y)


def atm_loss(out, labels, ref, ignore=255):
    """fixtures/torch/gen_atm.py's ATMLoss (query = class; CE with no-object weight 0.1, focal × 20 and
    Dice on the present masks, every stage) in the logits' dtype: the golden's copy runs in float64."""
    classes = ref.CLASSES
    present = []
    for lab in labels:
        cls = lab.unique()
        present.append(cls[cls != ignore])
    n = max(float(sum(len(c) for c in present)), 1.0)
    dt = out["logits"].dtype
    empty_weight = torch.ones(classes + 1, dtype=dt)
    empty_weight[-1] = 0.1
    bidx = torch.cat([torch.full_like(c, i) for i, c in enumerate(present)])
    qidx = torch.cat(present)
    target = (labels[bidx] == qidx[:, None, None]).to(dt).flatten(1)
    total = 0
    for s, (cls_logits, m) in enumerate(zip(out["cls"], out["masks"])):
        tc = torch.full(cls_logits.shape[:2], classes, dtype=torch.int64)
        tc[bidx, qidx] = qidx
        ce = F.cross_entropy(cls_logits.transpose(1, 2), tc, empty_weight)
        src = out["pred_masks"] if s == len(out["cls"]) - 1 else m
        src = resize(src[bidx, qidx][:, None], labels.shape[-2:])[:, 0].flatten(1)
        total = total + ce + 20.0 * ref.focal(src, target, n) + ref.dice(src, target, n)
    return total


def layer_id(name, depth):
    """src/train/param_groups.ts layerId (BEiT get_num_layer_for_vit with depth + 2 layers)."""
    if name in ("cls_token", "mask_token", "pos_embed") or name.startswith("patch_embed."):
        return 0
    if name.startswith("blocks."):
        return int(name.split(".")[1]) + 1
    return depth + 1


def param_groups(model, depth, lr, layer_decay=0.65, weight_decay=0.05):
    """Layer-decay lr scales and the no-decay rule (1-D, *.bias, cls/mask tokens) of param_groups.ts."""
    groups = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        local = name[len("encoder."):] if name.startswith("encoder.") else name
        scale = layer_decay ** (depth + 1 - layer_id(local, depth))
        no_decay = p.ndim <= 1 or local.endswith(".bias") or local in ("cls_token", "mask_token", "pos_embed")
        g = groups.setdefault((scale, no_decay), {"params": [], "lr": lr * scale, "weight_decay": 0.0 if no_decay else weight_decay})
        g["params"].append(p)
    return list(groups.values())


@torch.no_grad()
def init_necks_and_head_(model):
    """mmcv's ConvModule init as the TypeScript conv layers (kaimingFanOut): convolution and deconvolution
    weights normal(0, sqrt(2 / (out · k · k))), biases 0 (BatchNorm and the ATM head keep torch's inits)."""
    for name, m in model.named_modules():
        if name.startswith("encoder") or not isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            continue
        cout = m.out_channels
        m.weight.normal_(0, math.sqrt(2 / (cout * m.kernel_size[0] * m.kernel_size[1])))
        if m.bias is not None:
            m.bias.zero_()


@torch.no_grad()
def init_encoder_(enc):
    """Plausible magnitudes (timing only): weights / tables / tokens trunc_normal(.02), biases 0,
    LayerNorm weights 1, LayerScale 0.1 (as the TypeScript inits)."""
    for name, p in enc.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if leaf.startswith("gamma_"):
            p.fill_(0.1)
        elif ".norm" in f".{name}" and leaf == "weight":
            p.fill_(1.0)
        elif leaf in ("bias", "q_bias", "v_bias"):
            p.zero_()
        else:
            torch.nn.init.trunc_normal_(p, std=0.02)


def bench_seg(a, dim, depth, heads, size, batch, steps):
    if a.head == "upernet" and batch < 2:
        sys.exit("torch_bench.py seg: batch must be ≥ 2 with UPerNet (training BatchNorm on the 1×1 PPM level needs 2 values per channel)")
    model = SegModel(dim, depth, heads, size, a.classes, a.head, a.seg_channels, a.drop_path)
    init_encoder_(model.encoder)
    init_necks_and_head_(model)
    torch.set_num_threads(a.threads)  # importing gen_atm (--head atm) sets 2
    model.train()
    lr = 1e-4
    opt = torch.optim.AdamW(param_groups(model, depth, lr), lr=lr, weight_decay=0.05)
    trainable = [p for p in model.parameters() if p.requires_grad]
    x = torch.randn(batch, 3, *size)
    y = torch.randint(0, a.classes, (batch, *size))

    def step():
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.loss(model(x), y)
        loss.backward()
        t1 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(trainable, 5.0)
        opt.step()
        t2 = time.perf_counter()
        return (t2 - t) * 1e3, (t1 - t) * 1e3, (t2 - t1) * 1e3, float(loss)

    t0 = time.perf_counter()
    step()
    first = (time.perf_counter() - t0) * 1e3
    rows = [step() for _ in range(steps)]
    total = [r[0] for r in rows]
    params = sum(p.numel() for p in model.parameters())
    named = sorted((n[len("encoder."):] if n.startswith("encoder.") else n, tuple(p.shape)) for n, p in model.named_parameters())
    digest = hashlib.sha1("".join(f"{n}:{','.join(map(str, s))}\n" for n, s in named).encode()).hexdigest()[:12]
    head_width = (a.seg_channels or dim) if a.head == "upernet" else dim // 2
    return {"model": a.model, "img_size": f"{size[0]}x{size[1]}", "batch": batch, "steps": steps, "torch": torch.__version__,
            "threads": torch.get_num_threads(), "what": "seg", "head": a.head, "classes": a.classes, "channels": head_width,
            "taps": ",".join(map(str, model.taps)), "drop_path": a.drop_path, "first_step_ms": first,
            "median_ms_per_step": statistics.median(total), "min_ms_per_step": min(total),
            "median_fwd_bwd_ms": statistics.median(r[1] for r in rows), "median_adamw_ms": statistics.median(r[2] for r in rows),
            "params": params, "trainable_params": sum(p.numel() for p in trainable), "params_m": params / 1e6,
            "param_digest": digest, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "final_loss": rows[-1][3] if rows else float("nan")}


def seg_check(a, dim, depth, heads, size):
    """The loss and gradient norm of one training-mode step (no drop-path) with the weights and batch
    bench/seg_check.ts wrote: the TypeScript names are this model's without the encoder. prefix."""
    from gen_usfm import read_safetensors

    t, _ = read_safetensors(a.file)
    model = SegModel(dim, depth, heads, size, a.classes, a.head, a.seg_channels, 0.0)
    sd = model.state_dict()
    ts_name = {k: k[len("encoder."):] if k.startswith("encoder.") else k for k in sd}
    skip = ("num_batches_tracked", "relative_position_index")
    missing = [k for k in sd if ts_name[k] not in t and not k.endswith(skip)]
    extra = sorted(set(t) - set(ts_name.values()) - {"batch.x", "batch.y"})
    if missing or extra:
        sys.exit(f"seg-check: names differ: missing in the file {missing[:5]}, not in the torch model {extra[:5]}")
    model.load_state_dict({k: t[ts_name[k]] for k in sd if ts_name[k] in t}, strict=False)
    model.train()
    loss = model.loss(model(t["batch.x"]), t["batch.y"].long())
    loss.backward()
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters() if p.grad is not None))
    print(f"pytorch  loss {loss.item():.7g}  grad norm {norm.item():.7g}  ({len(sd)} state-dict entries, all loaded)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["train", "embed", "seg", "seg-check"])
    ap.add_argument("file", nargs="?", help="seg-check only: the safetensors file bench/seg_check.ts wrote")
    ap.add_argument("--model", default="vit-b")
    ap.add_argument("--img-size", help="S or HxW (default 224; seg: 512)")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="default: all CPUs, as usfm bench")
    ap.add_argument("--json", action="store_true", help="accepted for symmetry with usfm bench (output is always JSON)")
    ap.add_argument("--head", choices=["upernet", "atm"], default="upernet", help="seg only")
    ap.add_argument("--classes", type=int, default=2, help="seg only")
    ap.add_argument("--seg-channels", type=int, default=0, help="seg only: UPerNet width, 0 = backbone width")
    ap.add_argument("--drop-path", type=float, default=0.1, help="seg only")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dim, depth, heads = PRESETS[a.model]
    batch = a.batch or {"train": 8, "seg": 2}.get(a.what, 1)
    steps = a.steps or (10 if a.what == "embed" else 5)
    h, _, w = (a.img_size or ("512" if a.what.startswith("seg") else "224")).partition("x")
    size = (int(h), int(w or h))
    if a.what == "seg":
        print(json.dumps(bench_seg(a, dim, depth, heads, size, batch, steps)))
        return
    if a.what == "seg-check":
        seg_check(a, dim, depth, heads, size)
        return
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
