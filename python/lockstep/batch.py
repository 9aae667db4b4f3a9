"""One batch as every reader and the stream client hand it over, and the slice rules they share."""


class Batch:
    """Batch `batch` of epoch `epoch`: images `x` (N x H x W x 3, uint8, or float32 when the export
    normalised them) and masks `y` (N x H x W, uint8 or uint16), row i of both from the same sample.

    `records[i]` is row i's manifest record (sampleId, source paths and sha256, plan, ...), or None
    where the source has none; `failed` lists the samples of this batch whose source failed (their
    rows are left out, so N may be less than the batch size). `for x, y in reader` does not work on
    Batch objects; use `lockstep.xy(reader)` or `batch.x, batch.y`.
    """

    __slots__ = ("epoch", "batch", "x", "y", "records", "failed")

    def __init__(self, epoch, batch, x, y, records=None, failed=()):
        self.epoch = epoch
        self.batch = batch
        self.x = x
        self.y = y
        self.records = records
        self.failed = list(failed)

    def __len__(self):
        return self.x.shape[0]

    def __repr__(self):
        return "Batch(epoch=%d, batch=%d, x=%s %s, y=%s %s)" % (self.epoch, self.batch, self.x.dtype, tuple(self.x.shape), self.y.dtype, tuple(self.y.shape))


def xy(batches, transform=None):
    """The `(x, y)` tuples of an iterable of Batch objects: the generator Keras's `model.fit` takes
    (as the seed article's `fit_generator` did). `transform(x, y) -> (x, y)` is applied to each."""
    for b in batches:
        yield transform(b.x, b.y) if transform else (b.x, b.y)


def position(value, what):
    """(epoch, batch) from a tuple, a dict {'epoch', 'batch'} or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = (value.get("epoch"), value.get("batch"))
    try:
        epoch, batch = value
        epoch, batch = int(epoch), int(batch)
    except (TypeError, ValueError):
        raise ValueError("%s must be (epoch, batch), e.g. (3, 0), not %r" % (what, value)) from None
    if epoch < 0 or batch < 0:
        raise ValueError("%s must be non-negative, not %r" % (what, value))
    return epoch, batch


def check_slice(rank, world_size):
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError("world_size must be a positive integer, not %r" % (world_size,))
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError("rank must be an integer in 0..%d, not %r" % (world_size - 1, rank))


class Slice:
    """Which batches a consumer takes: batch b of an epoch belongs to rank b % world_size (the
    stream's rule, docs/stream-protocol.md), from `start` (inclusive) to `stop` (exclusive)."""

    def __init__(self, rank=0, world_size=1, start=None, stop=None):
        check_slice(rank, world_size)
        self.rank, self.world_size = rank, world_size
        self.start = position(start, "start") or (0, 0)
        self.stop = position(stop, "stop")

    def wants(self, epoch, batch):
        if batch % self.world_size != self.rank:
            return False
        if (epoch, batch) < self.start:
            return False
        return self.stop is None or (epoch, batch) < self.stop

    def past(self, epoch, batch):
        """True once (epoch, batch) is at or after `stop`: a reader can stop reading there."""
        return self.stop is not None and (epoch, batch) >= self.stop
