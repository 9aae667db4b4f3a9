"""The `webdataset` format: webdataset/NNNNNN.tar shards read with the standard `tarfile` module.

Each sample is three members KEY.jpg|png|webp (image), KEY.mask.png (labels) and KEY.json (epoch,
batch, index, sampleId, source and plan), KEY = eEEEE_bBBBBBB_iIIII. A member name splits into key
and suffix at the first dot of its base name, as the `webdataset` library splits it, so the same
shards also read there (see `python/README.md`). Shards hold whole batches in output order.
"""
import glob
import json
import os
import tarfile

import numpy as np

from .batch import Batch, Slice
from .decode import decode_image, decode_mask
from .errors import ExportError

IMAGE_SUFFIXES = ("jpg", "png", "webp")


def split_name(name):
    """(key, suffix) of a member name, split at the first dot of its base name (webdataset's rule)."""
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.partition(".")
    if not dot:
        return None, None
    return (folder + "/" if folder else "") + stem, suffix


def shard_paths(source):
    """The tar files of an export folder (sorted), or the given tar path(s)."""
    if isinstance(source, (list, tuple)):
        return [os.fspath(p) for p in source]
    source = os.fspath(source)
    if os.path.isfile(source):
        return [source]
    paths = sorted(glob.glob(os.path.join(source, "webdataset", "*.tar")))
    if not paths:
        raise ExportError("%s: no webdataset/*.tar shards: not a WebDataset export" % source)
    return paths


def check_complete(path):
    """Refuses a tar without its two zero end blocks (a shard cut short by a copy or a full disk),
    which tarfile would read as a shorter archive."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 1024))
            tail = f.read()
    except OSError as err:
        raise ExportError("%s: cannot read: %s" % (path, err.strerror or err)) from err
    if size < 1024 or size % 512 or tail.count(0) != 1024:
        raise ExportError("%s: cut short (%d bytes, no end-of-archive blocks): an incomplete shard" % (path, size))


def samples(paths):
    """Yields (tar path, key, {suffix: bytes}) per sample, members grouped by key in tar order."""
    for path in paths:
        if os.path.isfile(path):
            check_complete(path)
        try:
            tar = tarfile.open(path, mode="r|")
        except (OSError, tarfile.TarError) as err:
            raise ExportError("%s: not a readable tar: %s" % (path, err)) from err
        key, members = None, {}
        try:
            for info in tar:
                if not info.isfile():
                    continue
                k, suffix = split_name(info.name)
                if k is None:
                    raise ExportError("%s: member %s has no extension (expected KEY.png, KEY.mask.png, KEY.json)" % (path, info.name))
                if k != key:
                    if key is not None:
                        yield path, key, members
                    key, members = k, {}
                if suffix in members:
                    raise ExportError("%s: member %s appears twice" % (path, info.name))
                members[suffix] = tar.extractfile(info).read()
        except tarfile.TarError as err:
            raise ExportError("%s: corrupt or cut-short tar after sample %s: %s" % (path, key, err)) from err
        finally:
            tar.close()
        if key is not None:
            yield path, key, members


def _record(path, key, members):
    image = [s for s in IMAGE_SUFFIXES if s in members]
    missing = ([] if image else ["KEY.jpg|png|webp"]) + [s for s in ("mask.png", "json") if s not in members]
    if missing:
        raise ExportError("%s: sample %s lacks %s" % (path, key, ", ".join(m.replace("KEY", key) for m in missing)))
    try:
        rec = json.loads(members["json"].decode("utf-8"))
        int(rec["epoch"]), int(rec["batch"]), int(rec["index"])
    except (ValueError, KeyError, TypeError) as err:
        raise ExportError("%s: %s.json is not a Lockstep sample record: %s" % (path, key, err)) from None
    return rec, image[0]


def read_webdataset(source, rank=0, world_size=1, start=None, stop=None):
    """Yields a Batch per batch of the shards in `source` (an export folder, a tar path or a list
    of tar paths), decoded with Pillow (or OpenCV). `records` are the samples' KEY.json records."""
    want = Slice(rank, world_size, start, stop)
    current, group = None, []
    for path, key, members in samples(shard_paths(source)):
        rec, image_suffix = _record(path, key, members)
        pos = (rec["epoch"], rec["batch"])
        if pos != current:
            if group:
                yield _decoded(current, group)
            if want.past(*pos):
                return
            current, group = pos, []
        if want.wants(*pos):
            group.append((path, key, rec, members[image_suffix], members["mask.png"], image_suffix))
    if group:
        yield _decoded(current, group)


def _decoded(pos, group):
    rows = []
    for path, key, rec, image, mask, suffix in group:
        x = decode_image(image, "%s:%s.%s" % (path, key, suffix))
        y = decode_mask(mask, "%s:%s.mask.png" % (path, key))
        rows.append((x, y, rec, "%s: sample %s" % (path, key)))
    return stack(pos, rows)


def stack(pos, rows):
    """One Batch from decoded (x, y, record, name) rows, in record index order, sizes checked."""
    rows = sorted(rows, key=lambda r: r[2]["index"])
    first = rows[0][0]
    for x, y, rec, name in rows:
        if x.shape[:2] != y.shape:
            raise ExportError("%s has a %dx%d image and a %dx%d mask" % (name, x.shape[1], x.shape[0], y.shape[1], y.shape[0]))
        if x.shape != first.shape:
            raise ExportError("%s is %dx%d but earlier samples of its batch are %dx%d" % (name, x.shape[1], x.shape[0], first.shape[1], first.shape[0]))
    return Batch(pos[0], pos[1], np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), [r[2] for r in rows])


def batch_samples(samples):
    """A `webdataset` pipeline stage: (image, mask, record) tuples (after
    `.to_tuple("jpg;png;webp", "mask.png", "json")`) grouped back into the export's batches.
    Use as `wds.WebDataset(urls).decode(...).to_tuple(...).compose(batch_samples)`."""
    current, rows = None, []
    for n, (x, y, rec) in enumerate(samples):
        pos = (rec["epoch"], rec["batch"])
        if pos != current and rows:
            yield stack(current, rows)
            rows = []
        current = pos
        rows.append((np.asarray(x), np.asarray(y), rec, "sample %s (epoch %d, batch %d, index %d)" % (n, pos[0], pos[1], rec["index"])))
    if rows:
        yield stack(current, rows)
