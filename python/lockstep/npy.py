"""The `npy` format: npy/x_eEEEE_bBBBBB.npy (N x H x W x 3, uint8, or float32 when the export
normalised x) and npy/y_eEEEE_bBBBBB.npy (N x H x W, uint8 or uint16), memory-mapped.

Row i of both files is the manifest line whose `files.npy.row` is i (a failed source has no row).
Without a manifest.jsonl the files alone are read, in name order, with `records` None.
"""
import glob
import os
import re

import numpy as np

from .batch import Batch, Slice
from .errors import ExportError
from .export import batches_of, failure, files_of, read_manifest

NAME = re.compile(r"^x_e(\d{4,})_b(\d{5,})\.npy$")


def npy_names(epoch, batch):
    tag = "e%04d_b%05d" % (epoch, batch)
    return "npy/x_%s.npy" % tag, "npy/y_%s.npy" % tag


def load_pair(export_dir, xname, yname, mmap=True):
    """The x and y arrays of one batch, checked against each other."""
    arrays = []
    for rel in (xname, yname):
        path = os.path.join(export_dir, rel)
        try:
            arrays.append(np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False))
        except FileNotFoundError:
            raise ExportError("%s: missing (the manifest names it)" % path) from None
        except (OSError, ValueError) as err:
            raise ExportError("%s: not a readable .npy file: %s" % (path, err)) from err
    x, y = arrays
    xp, yp = os.path.join(export_dir, xname), os.path.join(export_dir, yname)
    if x.ndim != 4 or x.shape[3] != 3 or x.dtype not in (np.uint8, np.float32):
        raise ExportError("%s: expected N x H x W x 3 uint8 or float32, found %s %s" % (xp, x.dtype, x.shape))
    if y.ndim != 3 or y.dtype not in (np.uint8, np.uint16):
        raise ExportError("%s: expected N x H x W uint8 or uint16, found %s %s" % (yp, y.dtype, y.shape))
    if y.shape != x.shape[:3]:
        raise ExportError("%s has shape %s but %s has %s: the rows do not pair up" % (yp, y.shape, xp, x.shape))
    return x, y


def read_npy(export_dir, rank=0, world_size=1, start=None, stop=None, mmap=True):
    """Yields a Batch per npy batch of the export in `export_dir`, in output order.

    `rank`/`world_size` take batch b of each epoch when b % world_size == rank (as the stream
    does); `start`/`stop` are (epoch, batch) positions (stop exclusive). Arrays are read-only
    memory maps unless mmap=False.
    """
    export_dir = os.fspath(export_dir)
    want = Slice(rank, world_size, start, stop)
    manifest = os.path.join(export_dir, "manifest.jsonl")
    if not os.path.exists(manifest):
        yield from _files_only(export_dir, want, mmap)
        return
    for epoch, batch, good, failed in batches_of(read_manifest(manifest), manifest):
        if want.past(epoch, batch):
            return
        if not good or not want.wants(epoch, batch):
            continue
        entries = [files_of(r, "npy", manifest) for r in good]
        x, y = load_pair(export_dir, entries[0]["x"], entries[0]["y"], mmap)
        rows = [e.get("row") for e in entries]
        if any(e["x"] != entries[0]["x"] for e in entries) or sorted(rows) != list(range(len(good))) or x.shape[0] != len(good):
            raise ExportError(
                "%s: the manifest gives %d rows (%s) for epoch %d batch %d but %s has %d"
                % (manifest, len(good), rows, epoch, batch, entries[0]["x"], x.shape[0])
            )
        records = [None] * len(good)
        for rec, row in zip(good, rows):
            records[row] = rec
        yield Batch(epoch, batch, x, y, records, [failure(r) for r in failed])


def _files_only(export_dir, want, mmap):
    found = []
    for path in glob.glob(os.path.join(export_dir, "npy", "x_*.npy")):
        m = NAME.match(os.path.basename(path))
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    if not found:
        raise ExportError("%s: neither manifest.jsonl nor npy/x_*.npy batches: not an npy export" % export_dir)
    for epoch, batch in sorted(found):
        if want.past(epoch, batch):
            return
        if want.wants(epoch, batch):
            x, y = load_pair(export_dir, *npy_names(epoch, batch), mmap=mmap)
            yield Batch(epoch, batch, x, y, None)
