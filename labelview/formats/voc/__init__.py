"""Pascal VOC XML (with Dataloop's and Datumaro's variants): detect, read and write.

- `detect.py`: an `<annotation>` root, or a devkit folder of segmentation PNGs only.
- `read.py`: Annotations/*.xml; `read_masks.py`: SegmentationObject/ + SegmentationClass/ PNGs.
- `write.py`: the XML, labelmap and image list; `segmentation.py`: the segmentation PNGs.

See docs/formats/voc.md for the mapping and the conventions chosen.
"""

from __future__ import annotations

from pathlib import Path

from labelview.formats.base import Format, ReadContext, gc_paused
from labelview.formats.voc.detect import detect
from labelview.formats.voc.read import PART_OF, read_annotations, xml_files
from labelview.formats.voc.read_masks import read_masks_only
from labelview.formats.voc.write import VocOptions, holds, write
from labelview.model import Dataset


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read Pascal VOC XML (a file or a folder) into a Dataset."""
    with gc_paused():  # a million XML elements and objects: the cyclic GC would triple the time
        files = xml_files(path, ctx)
        if not files and path.is_dir():
            return read_masks_only(path, ctx)
        return read_annotations(path, files, ctx)


FORMAT = Format(
    name="voc",
    title="Pascal VOC XML",
    suffixes=(".xml",),
    detect=detect,
    read=read,
    write=write,
    options=VocOptions,
    description="Pascal VOC: one <annotation> XML per image (Annotations/*.xml)",
    holds=holds,
)

__all__ = ["FORMAT", "PART_OF", "VocOptions", "detect", "read", "write"]
