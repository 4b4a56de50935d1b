"""PyTorch reference spike (not part of USFM.ts, never run by CI): does long masked-image-modeling pretraining of
a ViT-T on this project's 1,366 training images buy label efficiency at all, and how many epochs does it take?

It answers, on the lent GPU in minutes, what our CPU pretraining would need days to answer, so that the CPU
budget goes where it can pay. Same data, same splits, same objective as `usfm pretrain` (SimMIM mask-token fill,
32-px units, ratio 0.6, L1 on masked pixels; optionally the frequency band-stop branch with the same rings),
a BEiT-style ViT-T (shared relative position bias, LayerScale, mean pooling). Fine-tuning is a fixed recipe
(AdamW lr 1e-3, batch 32, cosine, layer decay 0.75 for pretrained encoders), scored on the test splits.

  /usr/bin/python3 prepare.py ../shared/data .spike/data.npz        # here, once
  python3 spike.py --data .spike/data.npz --out $OUT --budget 480   # on the GPU machine

Every result is appended to OUT/results.jsonl as soon as it exists, so a run cut short keeps what it measured.
"""
import argparse, io, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

P = argparse.ArgumentParser()
P.add_argument("--data", required=True)
P.add_argument("--out", required=True)
P.add_argument("--budget", type=float, default=480, help="seconds; a pretraining stage after the first is skipped when its measured pace says it would not fit")
P.add_argument("--plan", default="scratch,simmim:400,simmim+freq:400,simmim:1600,simmim:100")
P.add_argument("--seeds", type=int, default=3)
P.add_argument("--decay", type=float, default=0.75, help="layer-wise lr decay when fine-tuning a pretrained encoder")
P.add_argument("--tasks", default="seg,cls", help="which of the suite's tasks to run for pretrained encoders")
P.add_argument("--smoke", action="store_true", help="tiny sizes, to check the script on a CPU")
A = P.parse_args()
T0 = time.time()
DEV = "cuda" if torch.cuda.is_available() else "cpu"
S, PATCH, UNIT = 224, 16, 32
G = S // PATCH
os.makedirs(A.out, exist_ok=True)
RESULTS = os.path.join(A.out, "results.jsonl")


def log(*a):
    print(f"[{time.time() - T0:6.1f}s]", *a, flush=True)


def record(**r):
    r["t"] = round(time.time() - T0, 1)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(r) + "\n")
    log(json.dumps(r))


# ---------------------------------------------------------------- data (all of it lives on the GPU)
Z = np.load(A.data)


def images(key):
    png, off = Z[key + "_img_png"], Z[key + "_img_offsets"]
    a = np.stack([np.asarray(Image.open(io.BytesIO(png[off[i]:off[i + 1]].tobytes()))) for i in range(len(off) - 1)])
    return torch.from_numpy(a).to(DEV)


def masks(key):
    return torch.from_numpy(np.unpackbits(Z[key + "_mask"], axis=-1)[..., :S]).to(DEV)


hc_tr, hc_tr_m, hc_pat = images("hc18_training_set"), masks("hc18_training_set"), Z["hc18_training_set_patient"]
hc_te, hc_te_m = images("hc18_test_set"), masks("hc18_test_set")
bu_tr, bu_tr_y = images("busi_train"), torch.from_numpy(Z["busi_train_label"]).to(DEV)
bu_te, bu_te_y = images("busi_test"), torch.from_numpy(Z["busi_test_label"]).to(DEV)
pre = torch.cat([hc_tr, bu_tr, images("unlabeled")])  # training splits + unlabeled only, as `usfm pretrain`
MEAN, STD = pre.float().mean().item() / 255, pre.float().std().item() / 255
if A.smoke:
    pre, hc_tr, hc_tr_m, hc_pat = pre[:48], hc_tr[:40], hc_tr_m[:40], hc_pat[:40]
    hc_te, hc_te_m, bu_tr, bu_tr_y, bu_te, bu_te_y = hc_te[:8], hc_te_m[:8], bu_tr[:40], bu_tr_y[:40], bu_te[:8], bu_te_y[:8]
log(f"torch {torch.__version__}", torch.cuda.get_device_name() if DEV == "cuda" else "")
log(f"device {DEV}, pretraining images {len(pre)}, HC18 train {len(hc_tr)} test {len(hc_te)}, BUSI train {len(bu_tr)} test {len(bu_te)}")


def norm(u8):
    return (u8.float().unsqueeze(1) / 255 - MEAN) / STD


def augment(x, m=None, scale=(0.67, 1.0)):
    """Random resized crop (scale, aspect 3/4-4/3) and horizontal flip, one affine grid per image."""
    n = x.shape[0]
    area = torch.empty(n, device=DEV).uniform_(*scale)
    r = torch.exp(torch.empty(n, device=DEV).uniform_(math.log(3 / 4), math.log(4 / 3)))
    w, h = torch.sqrt(area * r).clamp(max=1), torch.sqrt(area / r).clamp(max=1)
    cx, cy = (torch.rand(n, device=DEV) * 2 - 1) * (1 - w), (torch.rand(n, device=DEV) * 2 - 1) * (1 - h)
    flip = torch.where(torch.rand(n, device=DEV) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=DEV)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w * flip, cx, h, cy
    grid = F.affine_grid(theta, [n, 1, S, S], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if m is None:
        return x
    return x, F.grid_sample(m, grid, mode="nearest", align_corners=False)


# ---------------------------------------------------------------- BEiT-style ViT-T
class Attention(nn.Module):
    def __init__(s, d, heads):
        super().__init__()
        s.h = heads
        s.qkv = nn.Linear(d, 3 * d)
        s.proj = nn.Linear(d, d)

    def forward(s, x, bias):
        n, t, d = x.shape
        q, k, v = s.qkv(x).view(n, t, 3, s.h, d // s.h).permute(2, 0, 3, 1, 4)
        if hasattr(F, "scaled_dot_product_attention"):
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        else:
            o = ((q @ k.transpose(-1, -2)) * (d // s.h) ** -0.5 + bias).softmax(-1) @ v
        return s.proj(o.transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    def __init__(s, d, heads, dpr):
        super().__init__()
        s.n1, s.attn, s.n2 = nn.LayerNorm(d), Attention(d, heads), nn.LayerNorm(d)
        s.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        s.g1, s.g2 = nn.Parameter(0.1 * torch.ones(d)), nn.Parameter(0.1 * torch.ones(d))
        s.dpr = dpr

    def drop(s, y):
        if not s.training or s.dpr == 0:
            return y
        keep = (torch.rand(y.shape[0], 1, 1, device=y.device) >= s.dpr).to(y.dtype)
        return y * keep / (1 - s.dpr)

    def forward(s, x, bias):
        x = x + s.drop(s.g1 * s.attn(s.n1(x), bias))
        return x + s.drop(s.g2 * s.mlp(s.n2(x)))


class ViT(nn.Module):
    def __init__(s, d=192, depth=12, heads=3, dpr=0.1):
        super().__init__()
        s.d, s.heads = d, heads
        s.patch = nn.Conv2d(1, d, PATCH, PATCH)
        s.mask_token = nn.Parameter(torch.zeros(d))
        nn.init.trunc_normal_(s.mask_token, std=0.02)
        s.table = nn.Parameter(torch.zeros((2 * G - 1) ** 2, heads))  # shared relative position bias
        yy, xx = torch.meshgrid(torch.arange(G), torch.arange(G), indexing="ij")
        c = torch.stack([yy.flatten(), xx.flatten()])
        rel = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0) + (G - 1)
        s.register_buffer("rel_index", rel[..., 0] * (2 * G - 1) + rel[..., 1], persistent=False)
        s.blocks = nn.ModuleList(Block(d, heads, dpr * i / (depth - 1)) for i in range(depth))
        s.norm = nn.LayerNorm(d)
        s.apply(s._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(s, x, token_mask=None, taps=()):
        t = s.patch(x).flatten(2).transpose(1, 2)
        if token_mask is not None:
            t = torch.where(token_mask.unsqueeze(-1), s.mask_token.to(t.dtype), t)
        bias = s.table[s.rel_index].permute(2, 0, 1).unsqueeze(0)
        out = []
        for i, b in enumerate(s.blocks):
            t = b(t, bias)
            if i in taps:
                out.append(t)
        return s.norm(t), out

    def layer_id(s, name):
        if name.startswith("blocks."):
            return int(name.split(".")[1]) + 1
        return 0 if name.startswith(("patch", "mask_token", "table")) else len(s.blocks) + 1


# ---------------------------------------------------------------- pretraining objective (as `usfm pretrain`)
RINGS = [8, 12, 18, 27, 40, 56, 72, 88, 104, 120, 136, 152, 168]  # outer radii, protected disk d <= 4
yy, xx = torch.meshgrid(torch.arange(S, device=DEV) - S // 2, torch.arange(S, device=DEV) - S // 2, indexing="ij")
RADIUS = torch.sqrt(yy.float() ** 2 + xx.float() ** 2)
RING_OF = torch.full((S, S), -1, device=DEV, dtype=torch.long)
inner = 4.0
for k, outer in enumerate(RINGS):
    RING_OF[(RADIUS > inner) & (RADIUS <= outer)] = k
    inner = outer
RING_OF[RADIUS > RINGS[-1]] = len(RINGS) - 1  # the corners join the last ring


def band_stop(x):
    """Remove floor(0.5*13)=6 random rings of the centred DFT per image; the masked input is |IDFT|."""
    n = x.shape[0]
    drop = torch.rand(n, len(RINGS), device=DEV).argsort(1) < len(RINGS) // 2
    keep = ~torch.gather(drop, 1, RING_OF.clamp(min=0).flatten().expand(n, -1)).view(n, 1, S, S)
    keep = keep | (RING_OF < 0)
    f = torch.fft.fftshift(torch.fft.fft2(x.float()), dim=(-2, -1)) * keep
    return torch.fft.ifft2(torch.fft.ifftshift(f, dim=(-2, -1))).abs().to(x.dtype)


def log_amp(x):
    return torch.log1p(torch.fft.fft2(x.float()).abs())


class Pretrainer(nn.Module):
    def __init__(s, enc):
        super().__init__()
        s.enc = enc
        s.dec = nn.Conv2d(enc.d, PATCH * PATCH, 1)

    def forward(s, x, freq):
        n = x.shape[0]
        units = (S // UNIT) ** 2
        k = math.ceil(0.6 * units)
        um = (torch.rand(n, units, device=DEV).argsort(1) < k).float().view(n, 1, S // UNIT, S // UNIT)
        # branch per image: spatial only, frequency only, or both (1/3 each) when freq, else spatial only
        br = torch.randint(0, 3, (n,), device=DEV) if freq else torch.zeros(n, dtype=torch.long, device=DEV)
        spa, fre = br != 1, br != 0
        um = um * spa.view(n, 1, 1, 1)
        inp = torch.where(fre.view(n, 1, 1, 1), band_stop(x), x) if freq else x
        tok = F.interpolate(um, size=(G, G), mode="nearest").flatten(1).bool()
        z, _ = s.enc(inp, tok)
        pred = F.pixel_shuffle(s.dec(z.transpose(1, 2).reshape(n, -1, G, G)), PATCH)
        pm = F.interpolate(um, size=(S, S), mode="nearest")
        l_spa = ((pred.float() - x).abs() * pm).sum() / pm.sum().clamp(min=1)
        if not freq or fre.sum() == 0:
            return l_spa, torch.zeros((), device=DEV)
        l_freq = (log_amp(pred[fre]) - log_amp(x[fre])).abs().mean()
        return l_spa, l_freq


def cosine(step, total, warm, peak):
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def pretrain(epochs, freq, seed=0, bs=256, lr=1.5e-3):
    torch.manual_seed(seed)
    if A.smoke:
        bs = 8
    m = Pretrainer(ViT().to(DEV)).to(DEV)
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.05, betas=(0.9, 0.95))
    steps_per = max(1, len(pre) // bs)
    total, warm = epochs * steps_per, min(10, epochs) * steps_per
    curve, t = [], time.time()
    for step in range(total):
        for g in opt.param_groups:
            g["lr"] = cosine(step, total, warm, lr)
        idx = torch.randint(0, len(pre), (bs,), device=DEV)
        x = augment(norm(pre[idx]))
        with torch.autocast(DEV, dtype=torch.bfloat16, enabled=DEV == "cuda"):
            l_spa, l_freq = m(x, freq)
        loss = l_spa + l_freq
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
        opt.step()
        if (step + 1) % steps_per == 0:
            ep = (step + 1) // steps_per
            if ep in (1, 2, 5) or ep % max(1, epochs // 10) == 0:
                curve.append([ep, round(l_spa.item(), 4), round(l_freq.item(), 4)])
    return m.enc, curve, time.time() - t


# ---------------------------------------------------------------- fine-tuning (fixed recipe) and test metrics
class SegHead(nn.Module):
    """Four taps (blocks 3, 6, 9, 12) projected to 64 channels, merged at 1/4 scale, upsampled to the image."""

    def __init__(s, d, c=64):
        super().__init__()
        s.lat = nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, c)) for _ in range(4))
        s.fuse = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                               nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, 1, 1))

    def forward(s, taps):
        n = taps[0].shape[0]
        f = sum(F.interpolate(l(t).transpose(1, 2).reshape(n, -1, G, G), size=(S // 4, S // 4), mode="bilinear")
                for l, t in zip(s.lat, taps))
        return F.interpolate(s.fuse(f), size=(S, S), mode="bilinear")


def param_groups(enc, head, lr, decay):
    groups = {}
    depth = len(enc.blocks) + 1
    for name, p in list(enc.named_parameters()) + [("head." + n, q) for n, q in head.named_parameters()]:
        lid = enc.layer_id(name) if not name.startswith("head.") else depth
        scale = decay ** (depth - lid)
        wd = 0.0 if p.ndim == 1 or "table" in name or "mask_token" in name else 0.05
        groups.setdefault((scale, wd), []).append(p)
    return [{"params": ps, "lr_scale": sc, "weight_decay": wd} for (sc, wd), ps in groups.items()]


def finetune(task, enc_state, ratio, seed, epochs, decay, lr=1e-3, bs=32):
    torch.manual_seed(seed)
    enc = ViT().to(DEV)
    if enc_state is not None:
        enc.load_state_dict(enc_state)
    if task == "seg":
        g = np.random.default_rng(seed)
        pats = np.unique(hc_pat)
        chosen = set(g.choice(pats, max(1, round(ratio * len(pats))), replace=False).tolist())
        sel = torch.tensor([i for i, p in enumerate(hc_pat) if p in chosen], device=DEV)
        X, Y = hc_tr[sel], hc_tr_m[sel]
        head = SegHead(enc.d).to(DEV)
    else:
        X, Y = bu_tr, bu_tr_y
        head = nn.Sequential(nn.LayerNorm(enc.d), nn.Linear(enc.d, 3)).to(DEV)
        cw = (len(Y) / (3 * torch.bincount(Y, minlength=3).float())).to(DEV)  # balanced class weights
    opt = torch.optim.AdamW(param_groups(enc, head, lr, decay), lr=lr)
    steps_per = max(1, math.ceil(len(X) / bs))
    total = epochs * steps_per
    enc.train(), head.train()
    for step in range(total):
        for gr in opt.param_groups:
            gr["lr"] = cosine(step, total, max(1, total // 10), lr) * gr["lr_scale"]
        idx = torch.randint(0, len(X), (min(bs, len(X)),), device=DEV)
        with torch.autocast(DEV, dtype=torch.bfloat16, enabled=DEV == "cuda"):
            if task == "seg":
                x, y = augment(norm(X[idx]), Y[idx].unsqueeze(1).float())
                _, taps = enc(x, taps=(2, 5, 8, 11))
                logit = head(taps).float()
                p = logit.sigmoid()
                dice = 1 - (2 * (p * y).sum((1, 2, 3)) + 1) / (p.sum((1, 2, 3)) + y.sum((1, 2, 3)) + 1)
                loss = F.binary_cross_entropy_with_logits(logit, y) + dice.mean()
            else:
                z, _ = enc(augment(norm(X[idx])))
                loss = F.cross_entropy(head(z.mean(1)).float(), Y[idx], weight=cw)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(enc.parameters()) + list(head.parameters()), 5.0)
        opt.step()
    enc.eval(), head.eval()
    with torch.no_grad(), torch.autocast(DEV, dtype=torch.bfloat16, enabled=DEV == "cuda"):
        if task == "seg":
            ds = []
            for i in range(0, len(hc_te), 64):
                _, taps = enc(norm(hc_te[i:i + 64]), taps=(2, 5, 8, 11))
                p = (head(taps).float() > 0).float()
                y = hc_te_m[i:i + 64].unsqueeze(1).float()
                ds.append((2 * (p * y).sum((1, 2, 3)) / (p.sum((1, 2, 3)) + y.sum((1, 2, 3))).clamp(min=1)))
            return {"dice": round(torch.cat(ds).mean().item(), 4), "n_train": len(X)}
        z, _ = enc(norm(bu_te))
        pred = head(z.mean(1)).argmax(1)
        recalls = [((pred == c) & (bu_te_y == c)).sum().item() / max(1, (bu_te_y == c).sum().item()) for c in range(3)]
        return {"bal_acc": round(float(np.mean(recalls)), 4), "n_train": len(X)}


# (task, label ratio, epochs): the 20 % HC18 and all-label BUSI runs for every encoder; 100 % HC18 from scratch
# is the target the issue sets for 20 % pretrained.
SUITE = [("seg", 0.2, 100), ("cls", 1.0, 30)]
TARGET = [("seg", 1.0, 30)]


def evaluate(name, enc_state, decay, suite):
    for task, ratio, epochs in suite:
        for seed in range(1, A.seeds + 1):
            t = time.time()
            r = finetune(task, enc_state, ratio, seed, 1 if A.smoke else epochs, decay)
            record(kind="finetune", encoder=name, task=task, ratio=ratio, epochs=epochs, seed=seed, decay=decay,
                   seconds=round(time.time() - t, 1), **r)


est_pre = None  # seconds per pretraining epoch, measured
for item in A.plan.split(","):
    left = A.budget - (time.time() - T0)
    if item == "scratch":
        evaluate("scratch", None, 1.0, SUITE + TARGET)
        continue
    kind, epochs = item.split(":")
    epochs = 1 if A.smoke else int(epochs)
    if est_pre is not None and est_pre * epochs + 60 > left:
        log(f"skipped {item}: ~{est_pre * epochs:.0f}s of pretraining + evaluation would not fit in {left:.0f}s")
        continue
    enc, curve, sec = pretrain(epochs, freq=kind == "simmim+freq")
    est_pre = sec / epochs
    record(kind="pretrain", encoder=item, epochs=epochs, seconds=round(sec, 1), curve=curve)
    evaluate(item, enc.state_dict(), A.decay, [t for t in SUITE if t[0] in A.tasks.split(',')])
log("done")
