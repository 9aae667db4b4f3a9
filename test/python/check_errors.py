"""Damages copies of an export and reports the error each reader raises (type and message).

    check_errors.py EXPORT_DIR SCRATCH_DIR

Every bad input must give a LockstepError naming the file and the problem, never a wrong batch.
"""
import json
import os
import shutil
import sys
import warnings

import numpy as np

import lockstep

src, scratch = sys.argv[1], sys.argv[2]
result = {}


def copy(name):
    dest = os.path.join(scratch, name)
    shutil.copytree(src, dest)
    return dest


def outcome(name, fn):
    try:
        value = fn()
        result[name] = {"ok": True, "value": value}
    except lockstep.LockstepError as err:
        result[name] = {"ok": False, "type": type(err).__name__, "message": str(err)}


def manifest_lines(d):
    with open(os.path.join(d, "manifest.jsonl")) as f:
        return [json.loads(l) for l in f]


def cut(path, keep=0.5):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: int(len(data) * keep)])
    return path


# a folders image cut short: named, with the reason (not a grey-filled picture)
d = copy("cut-image")
rec = next(l for l in manifest_lines(d) if "files" in l)
result["cutImagePath"] = cut(os.path.join(d, rec["files"]["folders"]["image"]))
for decoder in ("pil", "cv2"):
    lockstep.decode.use_backend(decoder)
    outcome("cutImage_" + decoder, lambda: len(list(lockstep.read_folders(d))))
lockstep.decode.use_backend("pil")

# a mask file that is not an image at all
d = copy("bad-mask")
rec = next(l for l in manifest_lines(d) if "files" in l)
result["badMaskPath"] = os.path.join(d, rec["files"]["folders"]["mask"])
with open(result["badMaskPath"], "wb") as f:
    f.write(b"these are notes, not a mask")
outcome("badMask", lambda: len(list(lockstep.read_folders(d))))

# a WebDataset shard cut in the middle of a member
d = copy("cut-tar")
tar = os.path.join(d, rec["files"]["webdataset"]["tar"])
result["cutTarPath"] = cut(tar, 0.6)
outcome("cutTar", lambda: len(list(lockstep.read_webdataset(d))))

# a shard without the mask of one sample
d = copy("no-mask-member")
tar_path = os.path.join(d, rec["files"]["webdataset"]["tar"])
import tarfile  # noqa: E402

with tarfile.open(tar_path) as t:
    members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
gone = rec["files"]["webdataset"]["key"] + ".mask.png"
with tarfile.open(tar_path, "w") as t:
    for m, data in members:
        if m.name != gone:
            import io  # noqa: E402

            t.addfile(m, io.BytesIO(data))
result["droppedMember"] = gone
outcome("noMaskMember", lambda: len(list(lockstep.read_webdataset(d))))

# an npy batch file missing, and one whose row count disagrees with the manifest
d = copy("no-npy")
result["missingNpyPath"] = os.path.join(d, rec["files"]["npy"]["y"])
os.remove(result["missingNpyPath"])
outcome("missingNpy", lambda: len(list(lockstep.read_npy(d))))
d = copy("short-npy")
x = np.load(os.path.join(d, rec["files"]["npy"]["x"]))
y = np.load(os.path.join(d, rec["files"]["npy"]["y"]))
np.save(os.path.join(d, rec["files"]["npy"]["x"]), x[:-1])
np.save(os.path.join(d, rec["files"]["npy"]["y"]), y[:-1])
outcome("shortNpy", lambda: len(list(lockstep.read_npy(d))))

# x normalised to float32 (the export's --normalize): the dtype is read from the file
d = copy("float-x")
for b in list(lockstep.read_npy(d)):
    name = b.records[0]["files"]["npy"]["x"]
    np.save(os.path.join(d, name), ((np.asarray(b.x, np.float32) - 120.0) / 60.0).astype(np.float32))
outcome("floatX", lambda: sorted(set(str(b.x.dtype) for b in lockstep.read_npy(d))))

# npy batches without their manifest: read from the file names alone, without records
d = copy("no-manifest")
os.remove(os.path.join(d, "manifest.jsonl"))
outcome("noManifest", lambda: [[b.epoch, b.batch, len(b), b.records] for b in lockstep.read_npy(d)])
with_manifest = [[b.epoch, b.batch, len(b)] for b in lockstep.read_npy(src)]
result["noManifestSame"] = [r[:3] for r in result["noManifest"]["value"]] == with_manifest and all(
    np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) for a, b in zip(lockstep.read_npy(d), lockstep.read_npy(src))
)

# a manifest whose last line was cut by a kill: left out with a warning, the rest is read
d = copy("cut-manifest")
path = os.path.join(d, "manifest.jsonl")
with open(path, "rb") as f:
    data = f.read()
with open(path, "wb") as f:
    f.write(data[:-40])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    outcome("cutManifest", lambda: sum(len(b) for b in lockstep.read_folders(d)))
result["cutManifestWarning"] = [str(w.message) for w in caught]

# a line in the middle that is not JSON
d = copy("bad-manifest")
path = os.path.join(d, "manifest.jsonl")
with open(path) as f:
    lines = f.read().split("\n")
lines[2] = "{not json"
with open(path, "w") as f:
    f.write("\n".join(lines))
result["badManifestPath"] = path
outcome("badManifest", lambda: len(list(lockstep.read_npy(d))))

# a folder that is no export
outcome("notExport", lambda: len(list(lockstep.read_folders(scratch))))
outcome("notExportDescription", lambda: lockstep.load_description(scratch))

# bad slice arguments are refused before reading
for name, kw in (("badRank", {"rank": 2, "world_size": 2}), ("badStart", {"start": (1,)})):
    try:
        list(lockstep.read_npy(src, **kw))
        result[name] = {"ok": True}
    except ValueError as err:
        result[name] = {"ok": False, "type": "ValueError", "message": str(err)}

print(json.dumps(result))
