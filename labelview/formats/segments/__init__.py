"""Segments.ai release files: segmentation bitmaps, vector labels and image sequences.

A release is one JSON document whose images and label bitmaps are URLs. Three generations exist
(categories under `dataset.tasks`, under a `labelsets` dict, or under `dataset.task_attributes`);
all are read. One labelset is read per call: the ground-truth one unless the reader option
`labelset` names another. The other labelsets' statuses stay in `Item.extra["other_labelsets"]`,
and a warning says which labelset was chosen whenever several carry labels.

A segmentation bitmap is an RGBA PNG with instance id = R + 256·G + 65536·B (0 = unlabeled); each
annotation becomes a Mask selecting its id, decoded once per bitmap (`bitmaps`).

Reader options (ReadContext.options): `labelset` (a labelset name), `check_bitmaps` (True: decode
every located bitmap while reading to warn about ids without annotations and annotations without
pixels; False: never; unset: only when the bitmaps are small, up to AUTO_CHECK_PIXELS in all).

Images, bitmaps and frames are found through `ctx.images` and named the way the platform's SDK
names its downloads (`locate`); the network is never used. See docs/formats/segments.md.
"""

from labelview.formats.base import Format
from labelview.formats.segments.bitmaps import BITMAP_CACHE, Bitmap, BitmapError, decode_bitmap
from labelview.formats.segments.detect import detect
from labelview.formats.segments.read import AUTO_CHECK_PIXELS, read

NAME = "segments"

FORMAT = Format(
    name=NAME,
    title="Segments.ai release",
    suffixes=(".json",),
    detect=detect,
    read=read,
    description="Segments.ai release JSON (segmentation bitmaps, vector labels, sequences)",
)

__all__ = [
    "AUTO_CHECK_PIXELS",
    "BITMAP_CACHE",
    "FORMAT",
    "NAME",
    "Bitmap",
    "BitmapError",
    "decode_bitmap",
    "detect",
    "read",
]
