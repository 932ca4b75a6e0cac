"""CVAT for images 1.1 XML (write only).

- `write.py`: annotations.xml and the images placed beside it; what it holds (`holds`).
- `shapes.py`: one object as CVAT shape elements; `labels.py`: the label spec in `<meta>`.
- `mask_rle.py`: CVAT's mask RLE (row-major runs inside the mask's box, not COCO RLE).
- `detect.py`: never claims a file (there is no CVAT reader).

See docs/formats/cvat.md for what is written, converted and dropped.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.cvat.detect import detect
from labelview.formats.cvat.mask_rle import cvat_rle_to_mask, mask_to_cvat_rle
from labelview.formats.cvat.write import ANNOTATIONS, CvatOptions, holds, write

FORMAT = Format(
    name="cvat",
    title="CVAT for images 1.1 XML",
    suffixes=(".xml",),
    detect=detect,
    read=None,
    write=write,
    options=CvatOptions,
    description="CVAT for images 1.1: annotations.xml with labels, attributes, shapes and tags.",
    holds=holds,
)

__all__ = [
    "ANNOTATIONS",
    "FORMAT",
    "CvatOptions",
    "cvat_rle_to_mask",
    "detect",
    "holds",
    "mask_to_cvat_rle",
    "write",
]
