"""Lockstep's training side: readers for its exports and a client for `lockstep stream`.

    import lockstep
    for batch in lockstep.read_npy("export/"):       # or read_webdataset, read_folders
        batch.x, batch.y, batch.records              # N x H x W x 3, N x H x W, manifest records
    model.fit(lockstep.xy(lockstep.read_npy("export/")), ...)   # (x, y) tuples, as Keras wants

NumPy is the only requirement: decoding JPEG/PNG/WebP (folders, webdataset) uses Pillow or
OpenCV, whichever is importable; `lockstep.pytorch` needs PyTorch.
"""
from .batch import Batch, xy
from .decode import decode_image, decode_mask
from .errors import DecodeError, DecoderMissing, ExportError, LockstepError, StreamError
from .export import load_description, read_manifest
from .folders import read_folders
from .npy import read_npy
from .stream import StreamClient, StreamServer, launch, stream
from .webdataset import read_webdataset

__version__ = "0.1.0"

READERS = {"npy": read_npy, "webdataset": read_webdataset, "folders": read_folders}


def read_export(export_dir, format="npy", **options):
    """The batches of an export in one of its formats: 'npy', 'webdataset' or 'folders'."""
    if format not in READERS:
        raise ValueError("format must be one of %s, not %r" % (", ".join(READERS), format))
    return READERS[format](export_dir, **options)


__all__ = [
    "Batch", "xy", "decode_image", "decode_mask", "read_npy", "read_webdataset", "read_folders",
    "read_export", "load_description", "read_manifest", "StreamClient", "StreamServer", "launch",
    "stream", "LockstepError", "DecodeError", "DecoderMissing", "ExportError", "StreamError", "READERS",
]
