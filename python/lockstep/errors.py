"""The errors this package raises. Each message names the file (or address) and the problem."""


class LockstepError(Exception):
    """Base class: every error raised by this package on bad input."""


class DecodeError(LockstepError):
    """An image or mask file that cannot be decoded (corrupt, cut short, wrong kind)."""


class DecoderMissing(LockstepError):
    """Neither Pillow nor OpenCV is importable, and an encoded image had to be decoded."""


class ExportError(LockstepError):
    """An export folder or file that does not have the layout or content Lockstep writes."""


class StreamError(LockstepError):
    """`lockstep stream` refused the connection, answered with an error, or broke off."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code
