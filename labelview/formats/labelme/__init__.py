"""LabelMe JSON (wkentaro/labelme, with X-AnyLabeling's superset): detect, read and write.

- `detect.py`: a JSON object with "shapes" and "imagePath".
- `read.py`: the documents (image, size, embedded imageData, flags, groups);
  `read_shapes.py`: one shape as an object.
- `write.py`: one JSON per image, beside the placed image.

See docs/formats/labelme.md for the mapping and the conventions chosen.
"""

from __future__ import annotations

from pathlib import Path

from labelview.formats.base import Format, ReadContext, gc_paused
from labelview.formats.labelme.detect import detect
from labelview.formats.labelme.read import GROUP, read_documents
from labelview.formats.labelme.write import HOLDS, VERSION, LabelmeOptions, write
from labelview.model import Dataset


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read LabelMe JSON (a file or a folder of files) into a Dataset."""
    with gc_paused():
        return read_documents(path, ctx)


FORMAT = Format(
    name="labelme",
    title="LabelMe JSON",
    suffixes=(".json",),
    detect=detect,
    read=read,
    write=write,
    options=LabelmeOptions,
    description="LabelMe / X-AnyLabeling: one JSON per image with shapes",
    holds=HOLDS,
)

__all__ = ["FORMAT", "GROUP", "VERSION", "LabelmeOptions", "detect", "read", "write"]
