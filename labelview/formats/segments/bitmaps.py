"""Segments.ai label bitmaps: instance ids from RGBA PNGs (and the SDK's 16-bit caches).

The platform encodes instance id = R + 256·G + 65536·B (alpha 255, 0 = unlabeled). The SDK's
`SegmentsDataset` caches a decoded copy as a 16-bit PNG, which clips ids above 65535; both are
read. A bitmap is opened for its header at load time and decoded once, on demand, into a small
LRU cache shared by all its instances.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from labelview.model import LazyMask, Mask
from labelview.ops.decoded import DecodedCache

_RGB_MODES = frozenset({"RGBA", "RGB"})
_ID_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


class BitmapError(ValueError):
    """A label PNG that cannot be read as instance ids."""


def decode_bitmap(path: Path) -> np.ndarray:
    """Instance ids (uint32, h × w) of a label PNG: RGBA/RGB colour-coded, or 16/32-bit ids."""
    from labelview.images import open_image

    try:
        with open_image(path, path.name) as image:  # a claimed size checked before decoding
            mode = image.mode
            if mode in _RGB_MODES:
                rgb = np.asarray(image, dtype=np.uint8)
                ids = rgb[..., 0].astype(np.uint32)
                ids |= rgb[..., 1].astype(np.uint32) << 8
                ids |= rgb[..., 2].astype(np.uint32) << 16
                return ids
            if mode in _ID_MODES:
                values = np.asarray(image)
                if values.dtype.kind == "i" and (values < 0).any():
                    raise BitmapError(f"{path.name}: negative instance ids")
                return values.astype(np.uint32)
    except (OSError, ValueError) as error:
        raise BitmapError(f"{path.name}: cannot read PNG: {error}") from error
    raise BitmapError(f"{path.name}: PNG mode {mode} holds no instance ids (expected RGBA)")


# A few decoded bitmaps, shared by the objects of one PNG.
BITMAP_CACHE = DecodedCache(decode_bitmap)


class Bitmap:
    """One located label PNG: header (size, mode) read at load time, ids decoded on demand."""

    __slots__ = ("height", "mode", "path", "width")

    def __init__(self, path: Path, width: int, height: int, mode: str) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.mode = mode

    @classmethod
    def open(cls, path: Path) -> Bitmap:
        """Read the header only; BitmapError for unreadable files and modes without ids."""
        from PIL import UnidentifiedImageError

        from labelview.images import open_image

        try:
            # Refused past limits.MAX_PIXELS: a 274-byte PNG can claim 50000×50000.
            with open_image(path, path.name) as image:
                width, height = image.size
                mode = image.mode
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise BitmapError(f"{path.name}: cannot read image: {error}") from error
        if mode not in _RGB_MODES and mode not in _ID_MODES:
            raise BitmapError(
                f"{path.name}: PNG mode {mode} holds no instance ids (expected RGBA; an 8-bit "
                "file is usually a semantic or coloured export, not the label bitmap)"
            )
        return cls(path, width, height, mode)

    @property
    def sixteen_bit(self) -> bool:
        return self.mode.startswith("I;16")

    def ids(self) -> np.ndarray:
        """The decoded instance ids (cached)."""
        return BITMAP_CACHE.get(self.path)

    def select(self, instance_id: int) -> np.ndarray:
        """The bool mask of one instance."""
        return self.ids() == instance_id

    def mask(self, instance_id: int) -> Mask:
        """A lazily decoded Mask for one instance id."""
        loader = partial(self.select, instance_id)
        source = LazyMask(loader, describe=f"{self.path.name} id {instance_id}")
        return Mask(self.height, self.width, source)
