"""COCO JSON (instances, keypoints, panoptic boxes, results lists): reader and writer.

- `detect.py`: top-level keys from the head of the file.
- `read.py`: categories, images, the annotation pass; `read_annotation.py` the annotations off
  the fast path; `read_shapes.py` polygon batches and RLE; `attributes.py` the `attributes` object.
- `write.py`: `annotations.json` with the source's ids and values kept as given.

How each COCO field maps to the model, and back: docs/formats/coco.md.
"""

from labelview.formats.base import Format
from labelview.formats.coco.detect import detect
from labelview.formats.coco.read import read
from labelview.formats.coco.write import CocoOptions, holds, write

FORMAT = Format(
    name="coco",
    title="COCO JSON",
    suffixes=(".json",),
    detect=detect,
    read=read,
    write=write,
    options=CocoOptions,
    holds=holds,
    description="COCO instances / keypoints (polygons, RLE, keypoints, attributes); results lists",
)

__all__ = ["FORMAT", "CocoOptions", "detect", "read", "write"]
