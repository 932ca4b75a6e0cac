"""Ultralytics YOLO (detect / segment / pose / OBB), Darknet "YOLO 1.1" and Dataloop's flat YOLO
layout: detect, read and write.

- `detect.py`: a data.yaml, an obj.data, or label .txt files beside images or a names file.
- `layouts.py`: where labels, images and names are for each layout; `media.py`: image sizes.
- `read.py`: label lines to objects in pixels (ids, the OBB rule, Dataloop's video lines).
- `write.py`: data.yaml, labels, split list, images; `lines.py`: the line of each task;
  `classes.py`: class ids (category order or a label map).

See docs/formats/yolo.md for the mapping and the conventions chosen.
"""

from __future__ import annotations

from labelview.formats.base import Format
from labelview.formats.yolo.detect import detect
from labelview.formats.yolo.media import mp4_size
from labelview.formats.yolo.read import bool_option, read
from labelview.formats.yolo.write import YoloOptions, flip_index, holds, write

FORMAT = Format(
    name="yolo",
    title="Ultralytics YOLO",
    suffixes=(".yaml", ".yml", ".txt"),
    detect=detect,
    read=read,
    write=write,
    options=YoloOptions,
    description="Ultralytics YOLO detect / segment / pose / OBB (data.yaml + labels/*.txt)",
    holds=holds,
)


__all__ = [
    "FORMAT",
    "YoloOptions",
    "bool_option",
    "detect",
    "flip_index",
    "holds",
    "mp4_size",
    "read",
    "write",
]
