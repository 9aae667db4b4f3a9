"""lockstep.pytorch: each DataLoader worker and each rank reads its own slice, items are whole
batches (never re-batched), and the tensors are the npy export's bytes.

    check_torch.py EXPORT_DIR SCRATCH_DIR SERVER_COMMAND_JSON
"""
import json
import os
import sys

import numpy as np
import torch

import lockstep
from lockstep.pytorch import ExportDataset, StreamDataset, loader
from lockstep.stream import launch

torch.manual_seed(0)
out, scratch, command = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
reference = {(b.epoch, b.batch): b for b in lockstep.read_npy(out)}
result = {}


def run(dataset, workers):
    """(positions, all tensors equal to the npy batch, shapes) of one pass of a DataLoader."""
    seen, same, shapes = [], True, set()
    for x, y, records in loader(dataset, num_workers=workers):
        pos = (records[0]["epoch"], records[0]["batch"])
        ref = reference[pos]
        seen.append(list(pos))
        shapes.add((tuple(x.shape), str(x.dtype), tuple(y.shape), str(y.dtype)))
        same = same and np.array_equal(x.numpy(), ref.x) and np.array_equal(y.numpy(), ref.y.astype(y.numpy().dtype))
    return seen, same, sorted(str(s) for s in shapes)


with launch(command + ["--socket", os.path.join(scratch, "t.sock")]) as srv:
    # rank 1 of 2 with 2 workers: worker i reads stream slice 1*2+i of 4
    ds = StreamDataset(srv.address, srv.token, rank=1, world_size=2, records=True)
    result["streamRank1Workers2"] = run(ds, 2)
    ds0 = StreamDataset(srv.address, srv.token, rank=0, world_size=2, records=True)
    result["streamRank0Workers2"] = run(ds0, 2)[0]
    # rank and world size from the environment (torchrun sets RANK and WORLD_SIZE)
    os.environ.update(RANK="1", WORLD_SIZE="3")
    result["streamEnvRank"] = run(StreamDataset(srv.address, srv.token, records=True), 0)[0]
    del os.environ["RANK"], os.environ["WORLD_SIZE"]
    ds.set_epoch(1)
    result["streamEpoch1"] = run(ds, 2)[0]

# mask_dtype=None keeps the file's dtype (uint16 as int32: torch 1.13 has no uint16)
result["keptMaskDtypes"] = sorted(set(str(y.dtype) for x, y in loader(ExportDataset(out, mask_dtype=None))))
for fmt in [f for f in ("npy", "webdataset", "folders") if os.path.isdir(os.path.join(out, "npy" if f == "npy" else "webdataset" if f == "webdataset" else "images"))]:
    result[fmt] = run(ExportDataset(out, fmt, rank=0, world_size=1, records=True), 2)
try:
    loader(ExportDataset(out), batch_size=8)
    result["batchSize"] = None
except ValueError as err:
    result["batchSize"] = str(err)
print(json.dumps(result))
