"""The `folders` format: images/<key>.<ext> and masks/<key>.png (one epoch) or images/eEEEE/...
(several), listed by manifest.jsonl, whose lines give each output's files and batch."""
import os

import numpy as np

from .batch import Batch, Slice
from .decode import decode_image, decode_mask
from .errors import ExportError
from .export import batches_of, failure, files_of, read_manifest


def read_folders(export_dir, rank=0, world_size=1, start=None, stop=None):
    """Yields a Batch per batch of the export in `export_dir` (as the manifest groups outputs),
    decoded with Pillow (or OpenCV); `records` are the manifest lines."""
    export_dir = os.fspath(export_dir)
    want = Slice(rank, world_size, start, stop)
    manifest = os.path.join(export_dir, "manifest.jsonl")
    for epoch, batch, good, failed in batches_of(read_manifest(manifest), manifest):
        if want.past(epoch, batch):
            return
        if not good or not want.wants(epoch, batch):
            continue
        xs, ys = [], []
        for rec in sorted(good, key=lambda r: r["index"]):
            f = files_of(rec, "folders", manifest)
            image = os.path.join(export_dir, f["image"])
            mask = os.path.join(export_dir, f["mask"])
            x, y = decode_image(image), decode_mask(mask)
            if x.shape[:2] != y.shape:
                raise ExportError("%s is %dx%d but its mask %s is %dx%d" % (image, x.shape[1], x.shape[0], mask, y.shape[1], y.shape[0]))
            if xs and x.shape != xs[0].shape:
                raise ExportError("%s is %dx%d but earlier outputs of its batch are %dx%d: a batch needs one size" % (image, x.shape[1], x.shape[0], xs[0].shape[1], xs[0].shape[0]))
            xs.append(x)
            ys.append(y)
        good = sorted(good, key=lambda r: r["index"])
        yield Batch(epoch, batch, np.stack(xs), np.stack(ys), good, [failure(r) for r in failed])
