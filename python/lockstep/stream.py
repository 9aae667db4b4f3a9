"""A client for `lockstep stream` (wire protocol `lockstep.stream/1`, docs/stream-protocol.md).

    from lockstep.stream import StreamClient
    client = StreamClient("unix:/tmp/ls.sock", token, rank=0, world_size=1, start=(0, 0))
    for batch in client:          # Batch objects: x, y, epoch, batch, records, failed
        ...
    model.fit(client.xy(), steps_per_epoch=client.header["batchesPerEpoch"], epochs=10)  # Keras

`launch([...lockstep stream arguments...])` starts a server and reads its address and token.
Every iteration over a client opens its own connection from `start`; `client.position` is where
the next one should start to continue after the last batch received (save it with a checkpoint).
"""
import json
import os
import re
import select
import socket
import subprocess
import threading
import time

import numpy as np

from .batch import Batch, check_slice, position, xy
from .errors import StreamError

SCHEMA = "lockstep.stream/1"
DTYPES = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2"), "float32": np.dtype("<f4")}
LINE = re.compile(r"Lockstep stream at (unix:\S+|tcp://\S+) token=(\S+)")
MAX_LINE = 64 * 1024 * 1024


def read_token(token):
    """A token, or the token in file F for '@F' (what the server prints with --token-file)."""
    if isinstance(token, str) and token.startswith("@"):
        path = token[1:]
        try:
            with open(path, "r", encoding="utf-8") as f:
                return f.read().strip()
        except OSError as err:
            raise StreamError("%s: cannot read the stream token: %s" % (path, err.strerror or err)) from err
    return token


def _connect(address, timeout):
    if isinstance(address, tuple):
        host, port = address
    elif address.startswith("unix:") or (os.path.sep in address and "://" not in address):
        path = address[5:] if address.startswith("unix:") else address
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as err:
            sock.close()
            raise StreamError("cannot connect to lockstep stream at unix:%s: %s" % (path, err.strerror or err)) from err
        return sock
    else:
        m = re.match(r"^tcp://([^:/]+):(\d+)/?$", address)
        if not m:
            raise StreamError("%r is not a stream address (expected unix:PATH or tcp://127.0.0.1:PORT)" % (address,))
        host, port = m.group(1), int(m.group(2))
    try:
        return socket.create_connection((host, int(port)), timeout=timeout)
    except OSError as err:
        raise StreamError("cannot connect to lockstep stream at tcp://%s:%s: %s" % (host, port, err.strerror or err)) from err


class StreamClient:
    """Batches from `lockstep stream`, as Batch objects (iterate) or (x, y) tuples (`xy()`).

    rank/world_size: this consumer's slice (batch b of an epoch goes to rank b % world_size).
    start/stop: (epoch, batch) positions, stop exclusive (None: to the server's --epochs, or
    endless). records: ask for each sample's manifest record. even: for data-parallel training,
    leave out each epoch's batches past the last multiple of world_size, so every rank gets the
    same number of batches per epoch (DDP hangs when one rank has a step more than another).
    """

    def __init__(self, address, token, rank=0, world_size=1, start=None, stop=None, records=True, even=False, connect_timeout=30.0, read_timeout=None):
        check_slice(rank, world_size)
        self.address = address
        self.token = read_token(token)
        self.rank, self.world_size = rank, world_size
        self.start = position(start, "start") or (0, 0)
        self.stop = position(stop, "stop")
        self.records = bool(records)
        self.even = bool(even)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.header = None
        self.position = self.start
        self._sock = None

    def __repr__(self):
        return "StreamClient(%r, rank=%d, world_size=%d, start=%r, stop=%r)" % (self.address, self.rank, self.world_size, self.start, self.stop)

    def _where(self):
        return self.address if isinstance(self.address, str) else "tcp://%s:%s" % self.address

    def open(self):
        """Connects from `position` and reads the stream header (iterating does this from `start`).
        Returns the header."""
        self.close()
        sock = _connect(self.address, self.connect_timeout)
        self._sock = sock
        self._file = sock.makefile("rb")
        request = {
            "token": self.token,
            "rank": self.rank,
            "worldSize": self.world_size,
            "start": {"epoch": self.position[0], "batch": self.position[1]},
            "stop": None if self.stop is None else {"epoch": self.stop[0], "batch": self.stop[1]},
            "records": self.records,
        }
        try:
            sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
            line = self._file.readline(MAX_LINE)
        except OSError as err:
            self.close()
            raise StreamError("lockstep stream at %s: the connection failed during the handshake: %s" % (self._where(), err)) from err
        if not line.endswith(b"\n"):
            self.close()
            raise StreamError("lockstep stream at %s closed the connection without answering (a wrong token is refused this way)" % self._where())
        try:
            header = json.loads(line)
        except ValueError:
            self.close()
            raise StreamError("lockstep stream at %s answered with something that is not JSON: %r" % (self._where(), line[:200])) from None
        if "error" in header:
            err = header["error"] or {}
            self.close()
            raise StreamError("lockstep stream at %s refused: %s (%s)" % (self._where(), err.get("message"), err.get("code")), err.get("code"))
        if header.get("schema") != SCHEMA:
            self.close()
            raise StreamError("lockstep stream at %s speaks %r; this client speaks %r" % (self._where(), header.get("schema"), SCHEMA))
        if header.get("dtype") not in DTYPES:
            self.close()
            raise StreamError("lockstep stream at %s sends x as %r, which this client does not know" % (self._where(), header.get("dtype")))
        sock.settimeout(self.read_timeout)
        self.header = header
        return header

    def close(self):
        if self._sock is not None:
            try:
                self._file.close()
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        self.position = self.start
        header = self.open()
        try:
            while True:
                batch = self._frame(header)
                if batch is None:
                    return
                self.position = self._after(batch.epoch, batch.batch)
                if len(batch) == 0 or (self.even and batch.batch >= self._even_limit(header)):
                    continue  # a batch whose every source failed has no rows (as in the npy export)
                yield batch
        finally:
            self.close()

    def xy(self, transform=None):
        """(x, y) tuples, the generator Keras's `model.fit` takes; transform(x, y) -> (x, y)."""
        return xy(self, transform)

    def _even_limit(self, header):
        per_epoch = int(header["batchesPerEpoch"])
        limit = per_epoch // self.world_size * self.world_size
        if limit == 0:
            raise StreamError("an epoch has %d batches: too few for %d ranks with even=True" % (per_epoch, self.world_size))
        return limit

    def _after(self, epoch, batch):
        per_epoch = int(self.header["batchesPerEpoch"])
        return (epoch + 1, 0) if batch + 1 >= per_epoch else (epoch, batch + 1)

    def _read_into(self, view, what):
        got = 0
        while got < len(view):
            try:
                n = self._file.readinto(view[got:])
            except OSError as err:
                raise StreamError("lockstep stream at %s: reading %s failed: %s; resume with start=%r" % (self._where(), what, err, self.position)) from err
            if not n:
                raise StreamError("lockstep stream at %s closed the connection in the middle of %s (no end-of-stream frame); resume with start=%r" % (self._where(), what, self.position))
            got += n

    def _frame(self, header):
        length = bytearray(4)
        self._read_into(memoryview(length), "a frame")
        n_header = int.from_bytes(length, "little")
        if n_header == 0:
            return None
        if n_header > MAX_LINE:
            raise StreamError("lockstep stream at %s sent a frame header of %d bytes: not a lockstep.stream/1 server" % (self._where(), n_header))
        raw = bytearray(n_header)
        self._read_into(memoryview(raw), "a frame header")
        try:
            frame = json.loads(raw.decode("utf-8"))
            n = int(frame["n"])
            epoch, batch = int(frame["epoch"]), int(frame["batch"])
            ydtype = DTYPES[frame.get("maskDtype", "uint8")]
        except (ValueError, KeyError, TypeError) as err:
            raise StreamError("lockstep stream at %s sent a bad frame header (%s): %r" % (self._where(), err, bytes(raw[:200]))) from None
        h, w, c = int(header["height"]), int(header["width"]), int(header["channels"])
        x = np.empty((n, h, w, c), DTYPES[header["dtype"]])
        y = np.empty((n, h, w), ydtype)
        what = "batch (epoch %d, batch %d)" % (epoch, batch)
        self._read_into(memoryview(x).cast("B"), what)
        self._read_into(memoryview(y).cast("B"), what)
        records = frame.get("records")
        if records is not None and len(records) != n:
            raise StreamError("lockstep stream at %s: %s has %d rows but %d records" % (self._where(), what, n, len(records)))
        return Batch(epoch, batch, x, y, records, frame.get("failed") or [])


def stream(address, token, **options):
    """A generator of Batch objects from `lockstep stream` (see StreamClient for the options)."""
    return iter(StreamClient(address, token, **options))


class StreamServer:
    """A `lockstep stream` process started by `launch`; stops it on close (or leaving a `with`)."""

    def __init__(self, command, timeout=120.0, **popen):
        self.command = list(command)
        try:
            self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, **popen)
        except OSError as err:
            raise StreamError("cannot start %s: %s" % (self.command[0], err.strerror or err)) from err
        try:
            line = self._first_line(timeout)
        except BaseException:
            self.close()
            raise
        m = LINE.search(line)
        if not m:
            self.close()
            raise StreamError("%s printed %r instead of 'Lockstep stream at ADDRESS token=TOKEN'" % (" ".join(self.command), line))
        self.address = m.group(1)
        self.token = read_token(m.group(2))
        # keep reading stdout, so a server that prints more never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()

    def _first_line(self, timeout):
        out = self.process.stdout
        deadline = time.monotonic() + timeout
        buf = b""
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamError("%s printed no address within %gs" % (" ".join(self.command), timeout))
            ready, _, _ = select.select([out], [], [], left)
            if ready:
                chunk = os.read(out.fileno(), 4096)
                if not chunk:
                    code = self.process.wait()
                    raise StreamError("%s exited with status %s before printing its address (its messages are on stderr)" % (" ".join(self.command), code))
                buf += chunk
        return buf.decode("utf-8", "replace").splitlines()[0]

    def _drain(self):
        try:
            while os.read(self.process.stdout.fileno(), 65536):
                pass
        except (OSError, ValueError):
            pass

    def client(self, **options):
        """A StreamClient for this server (see StreamClient for the options)."""
        return StreamClient(self.address, self.token, **options)

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def launch(command, timeout=120.0, **popen):
    """Starts `lockstep stream ...` (command: the argument list, e.g. ['npx', 'lockstep', 'stream',
    '--project', 'proj', '--recipe', 'r.json', '--seed', '1', '--socket', '/tmp/ls.sock']) and
    returns a StreamServer once it printed its address and token."""
    return StreamServer(command, timeout=timeout, **popen)


__all__ = ["StreamClient", "StreamServer", "StreamError", "launch", "stream"]
