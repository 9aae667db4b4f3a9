"""Decoding the encoded files of an export (folders, WebDataset) into NumPy arrays.

`decode_image` gives H x W x 3 uint8 RGB; `decode_mask` gives H x W class indices, uint8 or
uint16 as the PNG stores them (a 16-bit mask stays 16-bit; Pillow 9 opens it as 32-bit mode 'I',
so the bit depth is read from the PNG header, not from Pillow's mode). Pillow is used when
importable, else OpenCV; with neither, the first decode raises `DecoderMissing` saying so (the npy
format and the stream need no decoder). `LOCKSTEP_DECODER=pil|cv2` picks one explicitly.

A file cut short (no JPEG end marker, no PNG IEND chunk) is refused before decoding: OpenCV would
otherwise return a grey-filled picture with only a warning, which must never become training data.
"""
import io
import os
import struct

import numpy as np

from .errors import DecodeError, DecoderMissing

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_backend = None


def _load_backend(name):
    if name == "pil":
        from PIL import Image  # noqa: F401

        return "pil"
    if name == "cv2":
        import cv2  # noqa: F401

        return "cv2"
    raise ValueError("LOCKSTEP_DECODER must be 'pil' or 'cv2', not %r" % name)


def backend():
    """The decoder in use: 'pil' or 'cv2' (chosen on first use)."""
    global _backend
    if _backend is None:
        forced = os.environ.get("LOCKSTEP_DECODER")
        names = [forced] if forced else ["pil", "cv2"]
        problems = []
        for name in names:
            try:
                _backend = _load_backend(name)
                break
            except ImportError as err:
                problems.append("%s: %s" % ({"pil": "Pillow (PIL)", "cv2": "OpenCV (cv2)"}.get(name, name), err))
        if _backend is None:
            raise DecoderMissing(
                "lockstep: cannot decode JPEG/PNG/WebP files: %s. Install Pillow (pip install pillow; "
                "Debian: apt install python3-pil) or OpenCV (pip install opencv-python-headless; Debian: "
                "apt install python3-opencv). The npy format and `lockstep stream` need neither."
                % ("; ".join(problems) if forced else "neither Pillow (PIL) nor OpenCV (cv2) is importable")
            )
    return _backend


def use_backend(name):
    """Pick the decoder ('pil' or 'cv2') for this process; raises ImportError if it is missing."""
    global _backend
    _backend = _load_backend(name)


def png_header(data):
    """(width, height, bit depth, colour type) of PNG bytes, or None if `data` is no PNG."""
    if len(data) < 33 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


def _check_complete(data, name):
    """Refuses JPEG/PNG bytes that were cut short."""
    if len(data) == 0:
        raise DecodeError("%s: empty file" % name)
    if data[:2] == b"\xff\xd8":
        if data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
            raise DecodeError("%s: JPEG cut short (no end-of-image marker)" % name)
    elif data[:8] == PNG_SIGNATURE:
        if data[-12:-4] != b"\x00\x00\x00\x00IEND":
            raise DecodeError("%s: PNG cut short (no IEND chunk at the end)" % name)


def _read(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<bytes>"
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            return f.read(), path
    except OSError as err:
        raise DecodeError("%s: cannot read: %s" % (path, err.strerror or err)) from err


def _reason(err):
    """The decoder's complaint, without Pillow's 'cannot identify image file <_io.BytesIO at 0x...>'."""
    if type(err).__name__ == "UnidentifiedImageError":
        return "not an image file Pillow knows (JPEG, PNG, WebP, ...)"
    return str(err) or type(err).__name__


def decode_image(source, name=None):
    """An encoded image (path or bytes) as H x W x 3 uint8 RGB."""
    data, default = _read(source)
    name = name or default
    _check_complete(data, name)
    try:
        if backend() == "pil":
            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                im.load()
                return np.array(im if im.mode == "RGB" else im.convert("RGB"))
        import cv2

        flags = cv2.IMREAD_COLOR | getattr(cv2, "IMREAD_IGNORE_ORIENTATION", 0)
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        if bgr is None:
            raise ValueError("OpenCV could not decode it")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    except (DecoderMissing, DecodeError):
        raise
    except Exception as err:
        raise DecodeError("%s: not a decodable image: %s" % (name, _reason(err))) from err


def decode_mask(source, name=None):
    """An encoded mask (path or bytes) as H x W class indices: uint8, or uint16 for 16-bit PNGs."""
    data, default = _read(source)
    name = name or default
    _check_complete(data, name)
    png = png_header(data)
    depth = png[2] if png else 8
    if depth == 16 and png[3] != 0:
        raise DecodeError("%s: a 16-bit mask must be single-channel grey (PNG colour type %d)" % (name, png[3]))
    try:
        if backend() == "pil":
            labels = _mask_pil(data, name)
        else:
            labels = _mask_cv2(data, name, png)
    except (DecoderMissing, DecodeError):
        raise
    except Exception as err:
        raise DecodeError("%s: not a decodable mask: %s" % (name, _reason(err))) from err
    if depth == 16:
        return labels.astype(np.uint16, copy=False)
    if labels.dtype != np.uint8:
        if labels.size and (labels.min() < 0 or labels.max() > 255):
            raise DecodeError("%s: mask values outside 0..255 in an 8-bit file" % name)
        labels = labels.astype(np.uint8)
    return labels


def _mask_pil(data, name):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        # 'P' gives the palette indices (the classes), never the palette's colours
        if im.mode in ("L", "P", "I", "I;16", "I;16B", "1"):
            return np.array(im)
        raise DecodeError("%s: a mask must be single-channel class indices, but the file is %s" % (name, im.mode))


def _mask_cv2(data, name, png):
    import cv2

    if png and png[3] == 3:
        raise DecodeError("%s: a palette PNG: OpenCV expands palettes to colours; install Pillow to read its class indices" % name)
    labels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if labels is None:
        raise DecodeError("%s: OpenCV could not decode it" % name)
    if labels.ndim != 2:
        raise DecodeError("%s: a mask must be single-channel class indices, but the file has %d channels" % (name, labels.shape[2]))
    return labels
