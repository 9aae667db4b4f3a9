"""Reads one export (written by the real CLI) with every reader and reports what a test asserts.

    check_readers.py EXPORT_DIR [--decoder pil|cv2]

Prints one JSON line: per reader, the batches' positions, sizes and dtypes and a sha256 over every
batch's x and y bytes; the same digest computed straight from the npy files with numpy (no
lockstep code); and where rows disagree with their sources replayed from the plan (crop + flips,
exact pixel copies), read with Pillow independently of lockstep.decode.
"""
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

import lockstep
from lockstep.decode import use_backend

out = sys.argv[1]
if "--decoder" in sys.argv:
    use_backend(sys.argv[sys.argv.index("--decoder") + 1])


def digest_of(batches):
    h = hashlib.sha256()
    shapes = []
    for b in batches:
        for a in (b.x, b.y):
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        shapes.append([b.epoch, b.batch, len(b), str(b.x.dtype), str(b.y.dtype), [f["sampleId"] for f in b.failed]])
    return h.hexdigest(), shapes


def npy_files_digest():
    """The digest straight from npy/*.npy in name order, with numpy alone."""
    h = hashlib.sha256()
    names = sorted(n for n in os.listdir(os.path.join(out, "npy")) if n.startswith("x_"))
    for n in names:
        for a in (np.load(os.path.join(out, "npy", n)), np.load(os.path.join(out, "npy", "y_" + n[2:]))):
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(a.tobytes())
    return h.hexdigest()


def source(path, mask):
    with Image.open(path) as im:
        a = np.array(im)
    if mask:
        with open(path, "rb") as f:
            depth = f.read(25)[24]
        return a.astype(np.uint16 if depth == 16 else np.uint8)
    return a[..., :3]


def replay(rec):
    """The output the plan describes, from the source files (crop, then the flips, in order)."""
    plan = rec["plan"]
    x, y = source(rec["source"]["image"], False), source(rec["source"]["mask"], True)
    for step in plan["steps"]:
        p = step["params"]
        if step["type"] == "random_crop":
            x, y = x[p["y"] : p["y"] + p["height"], p["x"] : p["x"] + p["width"]], y[p["y"] : p["y"] + p["height"], p["x"] : p["x"] + p["width"]]
        elif step["type"] == "hflip":
            x, y = x[:, ::-1], y[:, ::-1]
        elif step["type"] == "vflip":
            x, y = x[::-1], y[::-1]
        else:
            raise SystemExit("replay knows crops and flips only, not %s" % step["type"])
    return x, y


def replay_mismatches(batches):
    bad, checked = [], 0
    for b in batches:
        for i, rec in enumerate(b.records):
            x, y = replay(rec)
            checked += 1
            if not (np.array_equal(b.x[i], x) and np.array_equal(b.y[i], y)):
                bad.append("%s (epoch %d batch %d row %d)" % (rec["sampleId"], b.epoch, b.batch, i))
    return bad, checked


result = {"decoder": lockstep.decode.backend(), "npyFiles": npy_files_digest()}
for fmt in ("npy", "webdataset", "folders"):
    batches = list(lockstep.read_export(out, fmt))
    digest, shapes = digest_of(batches)
    bad, checked = replay_mismatches(batches)
    result[fmt] = {
        "digest": digest,
        "batches": shapes,
        "replayMismatches": bad,
        "replayChecked": checked,
        "sampleIds": [[r["sampleId"] for r in b.records] for b in batches],
        "memmapped": all(isinstance(b.x, np.memmap) and isinstance(b.y, np.memmap) for b in batches),
        "maskValues16": sorted(set(int(v) for b in batches if b.y.dtype == np.uint16 for v in np.unique(b.y))),
    }

# the webdataset library's pattern: decode each member with lockstep's decoders (as
# wds.handle_extension would call them, with the member's bytes), then batch_samples regroups
from lockstep.webdataset import batch_samples, samples, shard_paths  # noqa: E402


def wds_like():
    for path, key, members in samples(shard_paths(out)):
        image = next(members[s] for s in ("jpg", "png", "webp") if s in members)
        yield lockstep.decode_image(image), lockstep.decode_mask(members["mask.png"]), json.loads(members["json"])


result["batchSamples"] = digest_of(batch_samples(wds_like()))[0]

# slices: ranks are disjoint and their union is the whole; start/stop select a range
everything = [(b.epoch, b.batch) for b in lockstep.read_npy(out)]
ranks = [[(b.epoch, b.batch) for b in lockstep.read_folders(out, rank=r, world_size=3)] for r in range(3)]
result["slices"] = {
    "all": everything,
    "ranks": ranks,
    "range": [(b.epoch, b.batch) for b in lockstep.read_webdataset(out, start=(0, 2), stop=(1, 2))],
    "rank1From": [(b.epoch, b.batch) for b in lockstep.read_npy(out, rank=1, world_size=2, start=(1, 0))],
}
# the (x, y) generator Keras's fit takes
first = next(lockstep.xy(lockstep.read_npy(out)))
result["xy"] = [type(first).__name__, len(first), str(first[0].dtype), str(first[1].dtype)]
print(json.dumps(result))
