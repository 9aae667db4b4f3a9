"""Train-and-compare: a tiny convolutional segmentation net learns from Lockstep's batches, and
the same net learns from the same batches with each mask moved independently of its image
(the classic augmentation bug). Validation mIoU on held-out pairs tells them apart.

    train.py --val DIR --steps N RUN [RUN ...]
      RUN = NAME=FORMAT:PATH           a reader (npy | webdataset | folders) over an export folder
          | NAME=stream:COMMAND_JSON   a `lockstep stream` command (its --socket is appended)
          | NAME=misaligned-FORMAT:PATH  that reader, each mask flipped and shifted independently

Prints one JSON line: per run its validation mIoU, per-class IoU, steps, loss and seconds.
Seeded and single-threaded: the same batches give the same figures to the last digit.
"""
import argparse
import itertools
import json
import os
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import lockstep
from lockstep.stream import launch

CLASSES = 5
IGNORE = 255


def net():
    # 1,173 parameters: three 3x3 convolutions (the middle one dilated), 15x15 receptive field
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Conv2d(8, CLASSES, 3, padding=1),
    )


def to_input(x):
    x = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def misalign(y, rng):
    """Each mask flipped and shifted on its own, as when image and mask draw separate parameters."""
    y = np.array(y)
    for i in range(len(y)):
        if rng.random() < 0.5:
            y[i] = y[i, :, ::-1]
        if rng.random() < 0.5:
            y[i] = y[i, ::-1]
        y[i] = np.roll(y[i], (int(rng.integers(-16, 17)), int(rng.integers(-16, 17))), axis=(0, 1))
    return y


def batches(kind, path):
    """An endless iterator of (x, y) NumPy batches for one run."""
    if kind == "stream":
        sock = os.path.join(tempfile.mkdtemp(prefix="lockstep-train-"), "s.sock")
        server = launch(json.loads(path) + ["--socket", sock])
        passes = itertools.chain.from_iterable(itertools.repeat(server.client(records=False)))
        return ((b.x, b.y) for b in passes), server
    fmt = kind.replace("misaligned-", "")
    rng = np.random.default_rng(7)
    passes = itertools.chain.from_iterable(lockstep.read_export(path, fmt) for _ in itertools.count())
    if kind.startswith("misaligned-"):
        return ((b.x, misalign(b.y, rng)) for b in passes), None
    return ((b.x, b.y) for b in passes), None


def validation(folder):
    names = sorted(os.listdir(os.path.join(folder, "images")))
    x = np.stack([lockstep.decode_image(os.path.join(folder, "images", n)) for n in names])
    y = np.stack([lockstep.decode_mask(os.path.join(folder, "masks", n)) for n in names])
    return to_input(x), torch.from_numpy(y.astype(np.int64))


def miou(model, val):
    x, y = val
    with torch.no_grad():
        pred = model(x).argmax(1)
    ious = []
    for k in range(CLASSES):
        inter = int(((pred == k) & (y == k)).sum())
        union = int(((pred == k) | (y == k)).sum())
        ious.append(inter / union if union else None)
    present = [v for v in ious if v is not None]
    return sum(present) / len(present), ious


def train(kind, path, steps, val):
    torch.manual_seed(0)
    model = net()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    source, server = batches(kind, path)
    started = time.monotonic()
    losses = []
    try:
        for step, (x, y) in enumerate(itertools.islice(source, steps)):
            logits = model(to_input(x))
            loss = F.cross_entropy(logits, torch.from_numpy(y.astype(np.int64)), ignore_index=IGNORE)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss))
    finally:
        if server:
            server.close()
    if len(losses) != steps:
        raise SystemExit("%s gave %d batches, %d wanted" % (path, len(losses), steps))
    m, ious = miou(model, val)
    return {
        "miou": m,
        "iou": ious,
        "steps": steps,
        "loss": sum(losses[-20:]) / 20,
        "seconds": round(time.monotonic() - started, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--val", required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    val = validation(args.val)
    started = time.monotonic()
    result = {}
    for run in args.runs:
        name, _, spec = run.partition("=")
        kind, _, path = spec.partition(":")
        result[name] = train(kind, path, args.steps, val)
    result["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
