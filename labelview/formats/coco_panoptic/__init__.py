"""COCO panoptic: `segments_info` plus one PNG per image (segment id = R + 256·G + 256²·B).

- `detect.py`: the COCO keys plus a panoptic sign (`segments_info`, `isthing`, the PNG folder).
- `read.py`: images and categories as COCO reads them, one mask object per segment.
- `write.py`: `panoptic.json` + `panoptic/<stem>.png` from any masks, polygons and boxes.
- `pixels.py`: the PNG header check (before decoding), id decoding and encoding.

How each field maps to the model, and back: docs/formats/coco_panoptic.md.
"""

from labelview.formats.base import Format
from labelview.formats.coco_panoptic.detect import detect
from labelview.formats.coco_panoptic.read import read
from labelview.formats.coco_panoptic.write import PanopticOptions, holds, write

FORMAT = Format(
    name="coco_panoptic",
    title="COCO panoptic",
    suffixes=(".json",),
    detect=detect,
    read=read,
    write=write,
    options=PanopticOptions,
    holds=holds,
    description="COCO panoptic segmentation: segments_info JSON + per-image segment-id PNGs",
)

__all__ = ["FORMAT", "PanopticOptions", "detect", "read", "write"]
