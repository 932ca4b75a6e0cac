"""The panoptic PNG: one RGB image per picture, pixel = segment id = R + 256·G + 256²·B (0 = no
segment). Read: the header is checked (size against `limits.MAX_PIXELS`, RGB 8-bit) before any
decoding, and the ids are decoded on demand into a small cache shared by the segments of one PNG.
Written: an id map as an RGB PNG.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np

from labelview import limits
from labelview.model import LazyMask, Mask
from labelview.ops.decoded import DecodedCache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SEGMENT_ID = 256**3 - 1
_COLOUR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale with alpha", 6: "RGBA"}


class PanopticPngError(ValueError):
    """A panoptic PNG that cannot be used (unreadable, too big, not RGB)."""


def png_header(path: Path) -> tuple[int, int]:
    """(width, height) the PNG claims, from its IHDR chunk alone; PanopticPngError when it is not
    an 8-bit RGB(A) PNG or claims more than MAX_PIXELS pixels.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(33)
    except OSError as error:
        raise PanopticPngError(f"cannot read: {error.strerror or error}") from error
    if len(head) < 26 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise PanopticPngError("not a PNG file")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if width <= 0 or height <= 0:
        raise PanopticPngError(f"PNG claims a size of {width}×{height}")
    if width * height > limits.MAX_PIXELS:
        raise PanopticPngError(
            f"PNG claims {width}×{height} pixels, more than the limit of {limits.MAX_PIXELS:,}"
            " (raise it with LABELVIEW_MAX_PIXELS)"
        )
    if colour not in (2, 6) or depth != 8:
        kind = _COLOUR_TYPES.get(colour, f"colour type {colour}")
        raise PanopticPngError(
            f"PNG is {depth}-bit {kind}: segment ids need an 8-bit RGB PNG (R + 256·G + 256²·B)"
        )
    return width, height


def decode_ids(path: Path) -> np.ndarray:
    """Segment ids (uint32, height × width) of a panoptic PNG whose header was checked."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise PanopticPngError(f"{path.name}: cannot decode the PNG: {error}") from error
    ids = rgb[..., 0].astype(np.uint32)
    ids |= rgb[..., 1].astype(np.uint32) << 8
    ids |= rgb[..., 2].astype(np.uint32) << 16
    return ids


def encode_ids(ids: np.ndarray) -> bytes:
    """An RGB PNG of a uint32 id map (ids up to MAX_SEGMENT_ID)."""
    from PIL import Image

    rgb = np.empty((*ids.shape, 3), dtype=np.uint8)
    rgb[..., 0] = ids & 0xFF
    rgb[..., 1] = (ids >> 8) & 0xFF
    rgb[..., 2] = (ids >> 16) & 0xFF
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


# A few decoded id maps: every segment of a PNG selects its pixels from the same one.
ID_CACHE = DecodedCache(decode_ids, max_entries=4)


class SegmentPixels:
    """The loader of one segment's mask: the pixels of its PNG holding its id."""

    __slots__ = ("path", "segment_id")

    def __init__(self, path: Path, segment_id: int) -> None:
        self.path = path
        self.segment_id = segment_id

    def __call__(self) -> np.ndarray:
        return ID_CACHE.get(self.path) == self.segment_id


class SegmentMask(LazyMask):
    """A segment's pixels, decoded on demand; area and bbox counted on the decoded pixels (the
    RLE fallbacks of MaskSource cost a Python loop per run).
    """

    __slots__ = ()

    def area(self, height: int, width: int, mask: Mask) -> int:
        return int(np.count_nonzero(self.decode(height, width)))

    def bbox(self, height: int, width: int, mask: Mask) -> tuple[float, float, float, float]:
        pixels = self.decode(height, width)
        rows = np.flatnonzero(pixels.any(axis=1))
        if not rows.size:
            return 0.0, 0.0, 0.0, 0.0
        cols = np.flatnonzero(pixels.any(axis=0))
        return (
            float(cols[0]),
            float(rows[0]),
            float(cols[-1] - cols[0] + 1),
            float(rows[-1] - rows[0] + 1),
        )


def segment_mask(path: Path, segment_id: int, width: int, height: int) -> Mask:
    """The lazily decoded Mask of segment `segment_id` of the PNG at `path`."""
    source = SegmentMask(SegmentPixels(path, segment_id), f"{path.name} id {segment_id}")
    return Mask(height, width, source)
