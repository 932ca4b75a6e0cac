"""Resource limits: how much of anything an input may make labelview allocate, walk or expand.

A file may claim anything (a 274-byte PNG can declare 50000×50000 pixels, a 2 MB zip can expand
to 4 GB, a track can claim a billion frames). Every reader and writer checks a claim against
these limits *before* allocating, and turns a refusal into a located issue: that object, member
or image is skipped and the rest loads.

Each limit can be raised for one run with an environment variable of the same name prefixed
with `LABELVIEW_` (e.g. `LABELVIEW_MAX_PIXELS=400000000` for gigapixel aerial images).
"""

from __future__ import annotations

import os


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(f"LABELVIEW_{name}")
    try:
        return max(1, int(raw)) if raw else default
    except ValueError:
        return default


# Decoded pixels of one image, mask or bitmap (width × height). 100 MP is a 10000×10000 frame —
# beyond any camera or drone image we have seen in an annotation export, and at 4 bytes per pixel
# still well under a laptop's memory.
MAX_PIXELS = _limit("MAX_PIXELS", 100_000_000)

# Bytes one archive member or gzip stream may expand to, and the expansion ratio allowed once a
# member is past RATIO_FROM bytes. Real JSON exports compress 5–20×; bombs compress 1000×.
MAX_MEMBER_BYTES = _limit("MAX_MEMBER_BYTES", 4 * 1024**3)
MAX_RATIO = _limit("MAX_RATIO", 200)
RATIO_FROM = 64 * 1024**2

# Bytes read from one input file (JSON, XML, text) into memory.
MAX_FILE_BYTES = _limit("MAX_FILE_BYTES", 8 * 1024**3)

# Nesting depth of JSON and XML documents (orjson stops at 1024 too).
MAX_DEPTH = 1024

# Files looked at when walking an input folder.
MAX_FILES_WALKED = _limit("MAX_FILES_WALKED", 5_000_000)

# Frames one track or video may expand to when the item does not say how many it has.
MAX_FRAMES = _limit("MAX_FRAMES", 10_000_000)

# How far outside its image a coordinate may lie (as a multiple of the image's larger side)
# before it is an error rather than a sloppy annotation; and an absolute bound when the image
# size is not known.
MAX_EXTENT_FACTOR = 100
MAX_COORDINATE = 1e7


class Refused(OSError, ValueError):
    """An input (a file, an archive member, an image, a claimed size) refused by a limit above or
    because it is not a regular file inside the input.

    Both an OSError (a reader's "cannot read this file" handler catches it) and a ValueError (a
    reader's per-object `BAD_VALUE` handler catches it), so whichever a reader has around the
    read, only that file or object is skipped.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.strerror = message

    def __str__(self) -> str:
        return self.message


def over(limit: str) -> str:
    """How a refusal names the limit it hit and how to raise it."""
    return f"over the limit of {globals()[limit]:,} (LABELVIEW_{limit})"


def check_pixels(width: int, height: int, what: str = "image") -> None:
    """Refused when a claimed width × height is not a sane pixel count, before anything is
    allocated for it.
    """
    if width < 0 or height < 0:
        raise Refused(f"{what} claims a negative size {width}×{height}")
    if width * height > MAX_PIXELS:
        pixels = width * height
        raise Refused(f"{what} claims {width}×{height} = {pixels:,} pixels, {over('MAX_PIXELS')}")
