"""Pack the spike's data into one .npz (224x224 grayscale, squash-resized; each image stored as its own
lossless PNG, masks bit-packed), small enough to travel to the lent GPU machine (64 MiB with the repo). Run here: /usr/bin/python3 prepare.py ../shared/data .spike/data.npz
Held-out splits are kept apart: pretraining sees only training splits and the unlabeled folder."""
import io, os, sys
import numpy as np
from PIL import Image

S = 224
root, out = sys.argv[1], sys.argv[2]


def load(path, mask=False):
    im = Image.open(path).convert("L")
    im = im.resize((S, S), Image.NEAREST if mask else Image.BILINEAR)
    a = np.asarray(im, dtype=np.uint8)
    return (a > 127).astype(np.uint8) if mask else a


def folder(d):
    return sorted(f for f in os.listdir(d) if f.lower().endswith((".png", ".jpg", ".jpeg")))


arrays = {}
for split in ("training_set", "test_set"):
    d = os.path.join(root, "Seg/hc18", split)
    names = folder(os.path.join(d, "image"))
    arrays[f"hc18_{split}_img"] = np.stack([load(os.path.join(d, "image", n)) for n in names])
    arrays[f"hc18_{split}_mask"] = np.packbits(np.stack([load(os.path.join(d, "mask", n), True) for n in names]), axis=-1)
    # patient id = leading number of the file name (HC18 names several scans of one patient NNN_HC, NNN_2HC, ...)
    arrays[f"hc18_{split}_patient"] = np.array([int(n.split("_")[0]) for n in names])
classes = ["benign", "malignant", "normal"]
for split in ("train", "test"):
    imgs, labels = [], []
    for c, name in enumerate(classes):
        d = os.path.join(root, "Cls/busi", split, name)
        for n in folder(d):
            imgs.append(load(os.path.join(d, n)))
            labels.append(c)
    arrays[f"busi_{split}_img"] = np.stack(imgs)
    arrays[f"busi_{split}_label"] = np.array(labels)
d = os.path.join(root, "Unlabeled/fetal_head")
arrays["unlabeled_img"] = np.stack([load(os.path.join(d, n)) for n in folder(d)])
def pngs(stack):
    """(N,H,W) uint8 -> concatenated PNG bytes and their offsets: ~35% smaller than zlib over the raw stack."""
    blobs = []
    for a in stack:
        b = io.BytesIO()
        Image.fromarray(a).save(b, "PNG", optimize=True)
        blobs.append(np.frombuffer(b.getvalue(), dtype=np.uint8))
    return np.concatenate(blobs), np.cumsum([0] + [len(b) for b in blobs])


for k in [k for k in arrays if k.endswith("_img")]:
    arrays[k + "_png"], arrays[k + "_offsets"] = pngs(arrays.pop(k))
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
np.savez_compressed(out, **arrays)
for k, v in arrays.items():
    print(k, v.shape)
print(out, os.path.getsize(out) / 2**20, "MiB")
