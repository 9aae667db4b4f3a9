"""PyTorch datasets over `lockstep stream` and over exports, one slice per worker and per rank.

    from lockstep.pytorch import StreamDataset, loader
    ds = StreamDataset("unix:/tmp/ls.sock", token)          # rank/world from torch.distributed
    for epoch in range(10):
        ds.set_epoch(epoch)
        for x, y in loader(ds, num_workers=2):              # x: N x H x W x 3 uint8, y: N x H x W long
            ...

Items are whole batches: DataLoader worker i of k within distributed rank r of n reads slice
r*k + i of n*k (batch b of an epoch when b % (n*k) == r*k + i), so the ranks' slices are disjoint
and together cover every epoch. Use `loader()` or DataLoader(ds, batch_size=None): a batch_size
would re-batch batches. The DataLoader takes one item from each worker in turn, so batches come
in batch order when every slice has as many batches per epoch (StreamDataset(even=True) drops
each epoch's remainder to make it so); otherwise a slice with one batch more per epoch runs ahead.
"""
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from .batch import check_slice, position


def distributed_slice(rank=None, world_size=None):
    """(rank, world_size): given, else torch.distributed's (when initialised), else the RANK and
    WORLD_SIZE environment variables (torchrun sets them), else (0, 1)."""
    if rank is not None and world_size is not None:
        check_slice(rank, world_size)
        return rank, world_size
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        found = dist.get_rank(), dist.get_world_size()
    elif "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        found = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    else:
        found = 0, 1
    found = (found[0] if rank is None else rank, found[1] if world_size is None else world_size)
    check_slice(*found)
    return found


def worker_slice(rank, world_size):
    """The slice of this DataLoader worker: (rank * k + i, world_size * k)."""
    info = get_worker_info()
    if info is None:
        return rank, world_size
    return rank * info.num_workers + info.id, world_size * info.num_workers


def to_tensor(a, dtype=None):
    """A NumPy batch as a tensor, cast to `dtype` if given (uint16 becomes int32 otherwise: torch
    before 2.3 has no uint16)."""
    if a.dtype == np.uint16:
        a = a.astype(np.int32)
    elif not a.flags.writeable:
        a = np.array(a)  # a read-only memory map: torch wants memory it may write
    t = torch.from_numpy(a)
    return t if dtype is None else t.to(dtype)


class _SlicedDataset(IterableDataset):
    def __init__(self, rank=None, world_size=None, start=None, stop=None, records=False, transform=None, mask_dtype=torch.long):
        super().__init__()
        self.mask_dtype = mask_dtype
        self.rank, self.world_size = rank, world_size
        self.start, self.stop = position(start, "start"), position(stop, "stop")
        self.with_records = records
        self.transform = transform
        self.epoch = None

    def set_epoch(self, epoch):
        """Iterate over epoch `epoch` only (from `start` if it falls inside it); None: everything."""
        self.epoch = None if epoch is None else int(epoch)

    def _range(self):
        start, stop = self.start, self.stop
        if self.epoch is not None:
            start = max(start or (0, 0), (self.epoch, 0))
            stop = min(stop, (self.epoch + 1, 0)) if stop else (self.epoch + 1, 0)
        return start, stop

    def _batches(self, rank, world_size, start, stop):
        raise NotImplementedError

    def __iter__(self):
        rank, world_size = worker_slice(*distributed_slice(self.rank, self.world_size))
        start, stop = self._range()
        for b in self._batches(rank, world_size, start, stop):
            x, y = to_tensor(b.x), to_tensor(b.y, self.mask_dtype)
            if self.transform:
                x, y = self.transform(x, y)
            yield (x, y, b.records) if self.with_records else (x, y)


class StreamDataset(_SlicedDataset):
    """Batches from `lockstep stream` at `address` (unix:PATH or tcp://127.0.0.1:PORT) with
    `token` ('@FILE' reads it from FILE). Each worker opens its own connection. Items are
    (x, y) tensors, or (x, y, records) with records=True; transform(x, y) -> (x, y) runs in the
    worker. even=True gives every slice the same number of batches per epoch (for DDP).
    mask_dtype: the masks' tensor dtype (default torch.long, what cross_entropy takes, the same for
    every batch although the wire sends uint8 or uint16 per batch); None keeps uint8 / int32."""

    def __init__(self, address, token, rank=None, world_size=None, start=None, stop=None, records=False, transform=None, even=False, mask_dtype=torch.long, **client):
        super().__init__(rank, world_size, start, stop, records, transform, mask_dtype)
        self.address, self.token, self.even, self.client = address, token, even, client

    def _batches(self, rank, world_size, start, stop):
        from .stream import StreamClient

        return StreamClient(self.address, self.token, rank=rank, world_size=world_size, start=start, stop=stop, records=self.with_records, even=self.even, **self.client)


class ExportDataset(_SlicedDataset):
    """Batches of an export folder in format 'npy', 'webdataset' or 'folders', sliced like the
    stream (a rank or worker whose slice is empty yields nothing)."""

    def __init__(self, export_dir, format="npy", rank=None, world_size=None, start=None, stop=None, records=False, transform=None, mask_dtype=torch.long):
        super().__init__(rank, world_size, start, stop, records, transform, mask_dtype)
        from . import READERS

        if format not in READERS:
            raise ValueError("format must be one of %s, not %r" % (", ".join(READERS), format))
        self.export_dir, self.format = os.fspath(export_dir), format

    def _batches(self, rank, world_size, start, stop):
        from . import READERS

        return READERS[self.format](self.export_dir, rank=rank, world_size=world_size, start=start, stop=stop)


def loader(dataset, num_workers=0, **options):
    """A DataLoader that hands out the dataset's batches as they are (batch_size=None)."""
    if options.get("batch_size") is not None:
        raise ValueError("the items are whole batches already: leave batch_size out (it would re-batch them)")
    options.pop("batch_size", None)
    return DataLoader(dataset, batch_size=None, num_workers=num_workers, **options)
