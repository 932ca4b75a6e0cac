"""CVAT's own mask RLE (not COCO's): run lengths over the pixels of the mask's tight box
[left, top, width, height], row by row; runs alternate background/foreground and the first one is
background (possibly 0); they sum to width·height.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from labelview.model.geometry import MaskSource


def mask_to_cvat_rle(mask: np.ndarray) -> tuple[list[int], int, int, int, int] | None:
    """(runs, left, top, width, height) of a bool mask in CVAT's RLE; None when it is empty."""
    from labelview.ops import rle

    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(cols[0]), int(cols[-1]) + 1
    crop = mask[top:bottom, left:right]
    return rle.runs_of(crop.ravel(order="C")), left, top, right - left, bottom - top


def cvat_rle_to_mask(
    runs: Iterable[int], left: int, top: int, width: int, height: int, image: tuple[int, int]
) -> np.ndarray:
    """Decode CVAT's RLE back to a bool mask of the image size (height, width) (for checks)."""
    runs = [int(run) for run in runs]
    if sum(runs) != width * height:
        raise ValueError(f"CVAT RLE runs sum to {sum(runs)}, expected {width * height}")
    values = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    out = np.zeros(image, dtype=bool)
    # A box reaching past the image (a sloppy export) keeps the pixels inside it.
    crop = values.reshape(height, width)[: max(0, image[0] - top), : max(0, image[1] - left)]
    out[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return out


class CvatRle(MaskSource):
    """A mask as CVAT's XML keeps it: runs over its own box [left, top, width, height], decoded
    into the image on demand.
    """

    __slots__ = ("height", "left", "runs", "top", "width")

    def __init__(self, runs: list[int], left: int, top: int, width: int, height: int) -> None:
        self.runs = runs
        self.left, self.top, self.width, self.height = left, top, width, height

    def decode(self, height: int, width: int) -> np.ndarray:
        return cvat_rle_to_mask(
            self.runs, self.left, self.top, self.width, self.height, (height, width)
        )

    def area(self, height: int, width: int, mask: object) -> int:
        return int(sum(self.runs[1::2]))
