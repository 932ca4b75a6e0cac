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

from pathlib import Path, PurePosixPath

from labelview.formats.base import Format
from labelview.formats.yolo.detect import detect
from labelview.formats.yolo.media import mp4_size
from labelview.formats.yolo.read import bool_option, read
from labelview.formats.yolo.write import YoloOptions, flip_index, holds, write
from labelview.images import reference_parts
from labelview.model import Item

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


def frames_of(item: Item) -> list[tuple[int | None, str, Path | None]]:
    """Deprecated (the YOLO writer uses `_writing.pictures`): kept for writers not yet migrated.

    (frame, image reference, image path) for each image an item's labels go to.
    """
    # A URL's folders are the server's, not the dataset's: name the labels after the item then.
    base = item.image if item.image and "://" not in item.image else (item.name or item.id)
    indices = item.frame_indices() if item.frames or item.kind != "image" else []
    if not indices:
        return [(None, base, item.image_path)]
    declared = {frame.index: frame for frame in item.frames}
    stem = PurePosixPath(reference_parts(base).as_posix()).with_suffix("").as_posix() or item.id
    result: list[tuple[int | None, str, Path | None]] = []
    for index in indices:
        frame = declared.get(index)
        named = (frame.image or frame.name) if frame is not None else None
        if named and "://" in named:
            named = reference_parts(named).name
        reference = named or f"{stem}/frame_{index:06d}.jpg"
        result.append((index, reference, frame.image_path if frame is not None else None))
    return result


__all__ = [
    "FORMAT",
    "YoloOptions",
    "bool_option",
    "detect",
    "flip_index",
    "frames_of",
    "holds",
    "mp4_size",
    "read",
    "write",
]
