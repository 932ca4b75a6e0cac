"""The segmentation PNGs of the VOC writer: SegmentationClass/<name>.png (class index, labelmap
order, 0 = background) and SegmentationObject/<name>.png (the object's number in the XML), both
palette PNGs in the devkit's colour map.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from labelview.model import ObjectLabel
from labelview.output import OutputDir

VOID = "__ignore__"  # labelme's label for regions to ignore; VOC paints those 255
MAX_CLASSES = 254  # 0 is background and 255 void in an 8-bit index PNG


def write_segmentation(
    out: OutputDir,
    stem: str,
    painted: Iterable[tuple[int, ObjectLabel]],
    classes: dict[str, int],
    size: tuple[int, int],
    colours: list[tuple[int, int, int]],
) -> bool:
    """Paint `painted` (object number, object) into both PNGs. Larger shapes are painted first so
    small ones on top of them stay visible. `colours`: the class PNG's palette, index by index (the
    colours labelmap.txt declares). True when a region to ignore (255) was painted.
    """
    from PIL import Image

    from labelview.ops.raster import rasterise

    width, height = size
    class_map = np.zeros((height, width), dtype=np.uint8)
    object_map = np.zeros((height, width), dtype=np.uint8)
    masks = [(number, obj, rasterise(obj.geometry, height, width)) for number, obj in painted]
    masks.sort(key=lambda entry: -int(entry[2].sum()))
    void = False
    for number, obj, pixels in masks:
        if obj.category == VOID:
            class_map[pixels] = object_map[pixels] = 255
            void = True
            continue
        class_map[pixels] = classes[obj.category]
        object_map[pixels] = min(number, MAX_CLASSES)
    devkit = [channel for index in range(256) for channel in palette(index)]
    by_class = list(devkit)
    for index, colour in enumerate(colours):
        by_class[3 * index : 3 * index + 3] = colour
    for folder, array, flat in (
        ("SegmentationClass", class_map, by_class),
        ("SegmentationObject", object_map, devkit),
    ):
        image = Image.fromarray(array, mode="P")
        image.putpalette(flat)
        staged, _final = out.staged_path(f"{folder}/{stem}.png")
        image.save(staged, "PNG")
    return void


def palette(index: int) -> tuple[int, int, int]:
    """The VOC colour map (bit-interleaved), as in the devkit's VOClabelcolormap."""
    r = g = b = 0
    c = index
    for j in range(8):
        r |= ((c >> 0) & 1) << (7 - j)
        g |= ((c >> 1) & 1) << (7 - j)
        b |= ((c >> 2) & 1) << (7 - j)
        c >>= 3
    return r, g, b
