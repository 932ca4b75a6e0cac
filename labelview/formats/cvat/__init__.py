"""CVAT for images 1.1 and CVAT for video 1.1 XML.

- `write.py`: annotations.xml and the images placed beside it; what it holds (`holds`).
- `shapes.py`: one object as CVAT shape elements; `labels.py`: the label spec in `<meta>`.
- `mask_rle.py`: CVAT's mask RLE (row-major runs inside the mask's box, not COCO RLE).
- `read.py`: the reader (images, tracks, tags); `read_shapes.py`: one shape element; `read_meta.py`:
  the label spec and the tasks' frames; `tracks.py`: CVAT's interpolation between keyframes.
- `detect.py`: a root `<annotations>` starting with `<version>` or `<meta>`.

See docs/formats/cvat.md for what is written, converted and dropped.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.cvat.detect import detect
from labelview.formats.cvat.mask_rle import CvatRle, cvat_rle_to_mask, mask_to_cvat_rle
from labelview.formats.cvat.read import read
from labelview.formats.cvat.write import ANNOTATIONS, CvatOptions, holds, write

FORMAT = Format(
    name="cvat",
    title="CVAT XML 1.1",
    suffixes=(".xml", ".zip"),
    detect=detect,
    read=read,
    write=write,
    options=CvatOptions,
    description="CVAT for images / for video 1.1: annotations.xml with labels, attributes,"
    " shapes, tracks and tags.",
    holds=holds,
)

__all__ = [
    "ANNOTATIONS",
    "FORMAT",
    "CvatOptions",
    "CvatRle",
    "cvat_rle_to_mask",
    "detect",
    "holds",
    "mask_to_cvat_rle",
    "read",
    "write",
]
