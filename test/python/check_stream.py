"""The stream client against a server command (the stand-in, or the real `lockstep stream`).

    check_stream.py EXPORT_DIR SCRATCH_DIR SERVER_COMMAND_JSON [real]

SERVER_COMMAND_JSON is the server's argument list without its address option; --socket PATH or
--port 0 is appended. Prints one JSON line of what the test asserts: the batches received compared
with the npy export's files (read with lockstep.read_npy, itself tested against numpy), slices,
resume points and the errors for a wrong token, a refused request, a crash and a bad address.
"""
import json
import os
import sys

import numpy as np

import lockstep
from lockstep.stream import StreamClient, launch

out, scratch, command = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
real = len(sys.argv) > 4 and sys.argv[4] == "real"
reference = {(b.epoch, b.batch): b for b in lockstep.read_npy(out)}
result = {}


def same(batch):
    ref = reference.get((batch.epoch, batch.batch))
    return bool(
        ref is not None
        and batch.x.dtype == ref.x.dtype and batch.y.dtype == ref.y.dtype
        and np.array_equal(batch.x, ref.x) and np.array_equal(batch.y, ref.y)
    )


def positions(batches):
    return [[b.epoch, b.batch] for b in batches]


def error_of(fn):
    try:
        fn()
        return None
    except lockstep.StreamError as err:
        return str(err)


def server(*extra, socket_name=None):
    where = ["--socket", os.path.join(scratch, socket_name)] if socket_name else ["--port", "0"]
    return launch(command + where + list(extra))


with server(socket_name="a.sock") as srv:
    result["address"] = srv.address
    client = srv.client()
    got = list(client)
    result["header"] = {k: client.header[k] for k in ("schema", "batchSize", "height", "width", "channels", "dtype", "batchesPerEpoch", "epochs", "seed")}
    result["all"] = positions(got)
    result["allSame"] = [same(b) for b in got]
    result["recordsSame"] = all(
        [r["sampleId"] for r in b.records] == [r["sampleId"] for r in reference[(b.epoch, b.batch)].records]
        and all(r["plan"] == q["plan"] for r, q in zip(b.records, reference[(b.epoch, b.batch)].records))
        for b in got
    )
    result["failed"] = {"%d/%d" % (b.epoch, b.batch): [f["sampleId"] for f in b.failed] for b in got if b.failed}
    result["ranks"] = [positions(srv.client(rank=r, world_size=3)) for r in range(3)]
    result["ranksSame"] = all(same(b) for r in range(3) for b in srv.client(rank=r, world_size=3, records=False))
    result["noRecords"] = [b.records for b in srv.client(records=False, stop=(0, 1))]
    result["stop"] = positions(srv.client(stop=(1, 0)))
    # a trainer stops after two batches, saves client.position, and resumes there later
    first = srv.client()
    taken = []
    for b in first:
        taken.append(b)
        if len(taken) == 2:
            break
    saved = first.position
    result["savedPosition"] = list(saved)
    # iterating a client again starts again from its start (as re-reading an export does)
    result["again"] = [len(list(first)), list(first.position)]
    rest = list(srv.client(start=saved))
    result["resumed"] = positions(taken) + positions(rest)
    result["resumedSame"] = all(same(b) for b in taken + rest)
    result["startMidRank"] = positions(srv.client(rank=1, world_size=2, start=(0, 2)))
    result["even"] = [positions(srv.client(rank=r, world_size=2, even=True)) for r in range(2)]
    xy = next(srv.client().xy())
    result["xy"] = [type(xy).__name__, len(xy), list(xy[0].shape), str(xy[0].dtype), list(xy[1].shape)]
    result["wrongToken"] = error_of(lambda: list(StreamClient(srv.address, "not-the-token")))

with server() as srv:
    result["tcpAddress"] = srv.address
    result["tcpSame"] = all(same(b) for b in srv.client(records=False))

if not real:
    token_file = os.path.join(scratch, "token")
    with server("--token-file", token_file) as srv:
        result["tokenFileMode"] = oct(os.stat(token_file).st_mode & 0o777)
        result["tokenFile"] = len(list(srv.client(stop=(0, 2))))
    with server("--refuse", "BUSY") as srv:
        result["refused"] = error_of(lambda: list(srv.client()))
    with server("--die-after", "2") as srv:
        crashed = srv.client()
        seen = []
        result["crash"] = error_of(lambda: seen.extend(crashed))
        result["crashSeen"] = positions(seen)
        result["crashPosition"] = list(crashed.position)

result["noServer"] = error_of(lambda: list(StreamClient("unix:" + os.path.join(scratch, "nobody.sock"), "t")))
result["badAddress"] = error_of(lambda: list(StreamClient("http://example", "t")))
result["exitsEarly"] = error_of(lambda: launch(["node", "-e", "process.exit(4)"]))
result["printsOther"] = error_of(lambda: launch(["node", "-e", "console.log('hello')"]))
print(json.dumps(result))
