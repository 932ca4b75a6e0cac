"""Image and video sizes for YOLO's normalised coordinates: a label needs its image's size."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from labelview.formats._input import open_regular
from labelview.formats._reading import BAD_VALUE, sequence, size
from labelview.images import open_image


def parse_size(value: Any) -> tuple[int, int] | None:
    """The reader option `image_size`: "WxH" (or "W,H") or a (w, h) pair; None when unusable."""
    if value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*[xX×,]\s*(\d+)\s*", value)
        value = (match[1], match[2]) if match else ()
    try:
        w, h = sequence(value, "image_size")
        width, height = size(w, "width"), size(h, "height")
    except BAD_VALUE:
        return None
    return (width, height) if width and height else None


class SizeCache:
    """Image sizes read once per file (the OBB rule and the items both need them)."""

    def __init__(self) -> None:
        self.sizes: dict[Path, tuple[int, int] | None] = {}

    def get(self, path: Path | None) -> tuple[int, int] | None:
        if path is None:
            return None
        if path not in self.sizes:
            self.sizes[path] = displayed_size(path) if path.is_file() else None
        return self.sizes[path]


def displayed_size(path: Path) -> tuple[int, int] | None:
    """(width, height) after EXIF rotation, as Ultralytics' exif_size normalises against."""
    from PIL import UnidentifiedImageError

    try:
        with open_image(path) as image:
            width, height = image.size
            if image.format == "JPEG" and image.getexif().get(0x0112) in (5, 6, 7, 8):
                return height, width  # stored rotated a quarter turn
            return width, height
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def mp4_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of an MP4/MOV's first video track from its `tkhd` box; None otherwise."""
    try:
        with open_regular(path) as handle:
            data = handle.read(4 << 20)  # moov sits at the start of web-optimised files
            if b"tkhd" not in data:
                total = path.stat().st_size
                handle.seek(max(0, total - (4 << 20)))
                data = handle.read()
    except OSError:
        return None
    start = 0
    while (index := data.find(b"tkhd", start)) >= 0:
        start = index + 4
        version = data[index + 4] if index + 4 < len(data) else 0
        # version 0: 84-byte body; version 1: 96. Width and height are the last two 16.16 fields.
        end = index + 4 + (96 if version == 1 else 84)
        if end > len(data):
            break
        width = int.from_bytes(data[end - 8 : end - 6], "big")
        height = int.from_bytes(data[end - 4 : end - 2], "big")
        if width and height:
            return width, height
    return None
