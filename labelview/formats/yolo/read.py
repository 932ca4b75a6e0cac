"""Reading YOLO labels: every label file of the layout (see layouts.py) parsed into rows first,
so that class ids (0- or 1-based) and the OBB rule see the whole dataset, then objects in pixels.

Bad lines are skipped with a warning located as `labels/train/a.txt:12`; the rest loads.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from labelview.cancel import checked
from labelview.formats._input import read_text
from labelview.formats._reading import BAD_VALUE, Skip, describe, integer, line, number
from labelview.formats.base import ReadContext, gc_paused
from labelview.formats.yolo.detect import LABEL_DIRS
from labelview.formats.yolo.layouts import VIDEO_SUFFIXES, Source, resolve
from labelview.formats.yolo.media import SizeCache, mp4_size, parse_size
from labelview.model import Box, Dataset, Item, Keypoints, ObjectLabel, Polygon, RotatedBox
from labelview.model.objects import Skeleton

_Row = tuple[int, int, np.ndarray, int | None, str | None]  # line, class, numbers, frame, track


@dataclass(slots=True)
class _Label:
    """One label file (or a listed image without one) after the first pass."""

    label: Path | None
    image: Path | None
    split: str
    rel_label: str
    item_id: str
    rows: list[_Row] = field(default_factory=list)

    @property
    def is_video(self) -> bool:
        return self.image is not None and self.image.suffix.lower() in VIDEO_SUFFIXES


def bool_option(value: Any) -> bool | None:
    """A reader option given as a bool or as text ("true", "0", …); None when unset."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def read(path: Path, ctx: ReadContext) -> Dataset:
    """Read a YOLO dataset (Ultralytics, Darknet or a bare label folder) into a Dataset."""
    with gc_paused():  # many small objects: the cyclic GC would triple the time
        return _read(path, ctx)


def _read(path: Path, ctx: ReadContext) -> Dataset:
    source = resolve(path, ctx)
    fallback_size = parse_size(ctx.options.get("image_size"))
    dataset = Dataset()
    dataset.meta["yolo"] = {k: v for k, v in source.meta.items() if _plain(v)}
    try:
        video_option = bool_option(ctx.options.get("dataloop_video"))
    except ValueError as error:
        raise ctx.fail("", f"option dataloop_video: {error}") from None

    # Pass 1: parse every label file into raw rows, so ids and the OBB rule see the whole dataset.
    parsed: list[_Label] = []
    total = len(source.pairs)
    seen_ids: Counter[int] = Counter()
    sizes = SizeCache()
    for index, (label, image, split) in enumerate(checked(source.pairs, ctx)):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(index, total * 2)
        rel_label = _rel(label, source.root) if label else ""
        entry = _Label(label, image, split, rel_label, _item_id(image, rel_label, source.root))
        video_lines = video_option if video_option is not None else entry.is_video
        _parse(entry, video_lines, ctx)
        seen_ids.update(row[1] for row in entry.rows)
        parsed.append(entry)

    shift = _id_shift(source, seen_ids, ctx)
    obb = _decide_obb(source, parsed, fallback_size, sizes, ctx)
    for cls in sorted(source.names):  # the whole class list, so ids survive a YOLO round trip
        _category_name(cls, source, dataset)
    unnamed: set[int] = set()
    for index, entry in enumerate(checked(parsed, ctx)):
        if index % 200 == 0:
            ctx.check_cancelled()
            ctx.progress(total + index, total * 2)
        item = _item(entry, sizes, fallback_size)
        dataset.items.append(item)
        if not entry.rows:
            continue
        if item.width is None or item.height is None:
            what = "not found" if item.image_path is None else "unreadable"
            if entry.is_video:
                what = "size unknown (no MP4 track header)"
            ctx.warn(
                "",
                f"image {what}: {len(entry.rows)} objects skipped (YOLO coordinates are relative to"
                " the image size; pass the image folder or the image_size option)",
                item=item.id,
                file=entry.rel_label,
            )
            continue
        for lineno, cls, values, frame, track in checked(entry.rows, ctx):
            where = line(lineno)
            at = {"item": item.id, "obj": str(lineno), "file": entry.rel_label}
            try:
                geometry = _geometry(values, item.width, item.height, source, obb)
            except BAD_VALUE as error:
                ctx.warn(where, describe(error), **at)
                continue
            cls -= shift
            if source.names and cls not in source.names and cls not in unnamed:
                unnamed.add(cls)
                ctx.warn(where, f"class id {cls} has no name (read as class_{cls})", **at)
            name = _category_name(cls, source, dataset)
            obj = ObjectLabel(name, geometry, id=str(lineno), frame=frame, track=track)
            outside = values.size and (values.min() < -1e-6 or values.max() > 1 + 1e-6)
            if outside and not isinstance(geometry, Keypoints):
                ctx.warn(where, "coordinates outside [0, 1] (Ultralytics rejects such files)", **at)
            item.objects.append(obj)
    ctx.progress(total * 2, total * 2)
    return dataset


def _parse(entry: _Label, video_lines: bool, ctx: ReadContext) -> None:
    """The rows of one label file; each bad line is one located warning."""
    if entry.label is None or not entry.label.is_file():
        return
    try:
        content = read_text(entry.label, encoding="utf-8-sig", errors="replace")
    except OSError as error:
        ctx.error("", f"cannot read: {error.strerror or error}", file=entry.rel_label)
        return
    for lineno, text in enumerate(checked(content.splitlines(), ctx), 1):
        tokens = text.split()
        if not tokens:
            continue
        try:
            entry.rows.append(_row(lineno, tokens, video_lines))
        except BAD_VALUE as error:
            ctx.warn(
                line(lineno),
                f"not a YOLO label line ({describe(error)})",
                item=entry.item_id,
                file=entry.rel_label,
            )
    if not video_lines and entry.rows and _looks_like_video_lines(content):
        ctx.warn(
            "",
            "every line is `int int int x y w h`: Dataloop's video YOLO lines "
            "(frame, object id, class)? Read as polygons; pass dataloop_video=true",
            item=entry.item_id,
            file=entry.rel_label,
        )


def _row(lineno: int, tokens: list[str], video_lines: bool) -> _Row:
    frame = track = None
    if video_lines:
        # Dataloop's video lines: `frame object_id label_id cx cy w h`.
        if len(tokens) != 7:
            raise Skip(f"{len(tokens)} fields, a video line has 7")
        frame = integer(tokens[0], "frame", low=0)
        track = str(integer(tokens[1], "object id"))
        tokens = tokens[2:]
    cls = integer(tokens[0], "class id", low=0)
    try:
        values = np.array(tokens[1:], dtype=np.float64)  # numpy parses the text at C speed
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        # The slow path names the first bad number.
        values = np.array([number(t, "coordinate") for t in tokens[1:]], dtype=np.float64)
    return (lineno, cls, values, frame, track)


def _item(entry: _Label, sizes: SizeCache, fallback: tuple[int, int] | None) -> Item:
    image, is_video = entry.image, entry.is_video
    item = Item(
        id=entry.item_id,
        name=entry.item_id,
        kind="video" if is_video or any(row[3] is not None for row in entry.rows) else "image",
        image=entry.item_id if image is not None else None,
        image_path=image if image is not None and image.is_file() and not is_video else None,
    )
    if is_video:
        item.extra["video_path"] = str(image)
    if entry.split:
        item.extra["split"] = entry.split
    if entry.label is not None and not entry.label.is_file():
        item.extra["labels"] = "missing (background image)"
    size = sizes.get(item.image_path) if item.image_path is not None else None
    if size is None and is_video and image is not None:
        size = mp4_size(image)
    size = size or fallback
    if size is not None:
        item.width, item.height = size
    return item


def _is_rectangle(points: np.ndarray) -> bool:
    """True when 4 points make right angles (within 1°) at every corner."""
    for i in range(4):
        a = points[(i + 1) % 4] - points[i]
        b = points[(i + 2) % 4] - points[(i + 1) % 4]
        na, nb = np.hypot(*a), np.hypot(*b)
        if na == 0 or nb == 0:
            return False
        if abs(float(np.dot(a, b)) / (na * nb)) > math.sin(math.radians(1.0)):
            return False
    return True


def _looks_like_video_lines(text: str) -> bool:
    """Every line `int int int x y w h` with several frames: Dataloop's video flavour, unflagged."""
    frames = set()
    for row in text.splitlines():
        tokens = row.split()
        if not tokens:
            continue
        if len(tokens) != 7 or not all(t.isdigit() for t in tokens[:3]):
            return False
        frames.add(tokens[0])
    return len(frames) > 1


def _item_id(image: Path | None, rel_label: str, root: Path) -> str:
    """The image's path under the root; for media outside it, the label's path after its label
    folder with the media suffix (`annotations/sub/x.txt` + `../input/sub/x.jpg` → `sub/x.jpg`).
    """
    if image is None:
        return rel_label
    try:
        return image.relative_to(root).as_posix()
    except ValueError:
        pass
    parts = PurePosixPath(rel_label).parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in LABEL_DIRS:
            parts = parts[index + 1 :]
            break
    return str(PurePosixPath(*parts).with_suffix(image.suffix))


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")


def _id_shift(source: Source, seen: Counter[int], ctx: ReadContext) -> int:
    try:
        forced = bool_option(ctx.options.get("one_based"))
    except ValueError as error:
        raise ctx.fail("", f"option one_based: {error}") from None
    if forced is not None:
        return 1 if forced else 0
    count = len(source.names)
    if count and seen and 0 not in seen and count in seen and max(seen) == count:
        ctx.warn(
            "",
            f"class ids run 1..{count} with {count} names and no id 0: read as 1-based "
            "(Dataloop's YOLO converter); pass one_based=False to read them as 0-based",
        )
        return 1
    return 0


def _decide_obb(
    source: Source,
    parsed: list[_Label],
    fallback: tuple[int, int] | None,
    sizes: SizeCache,
    cancel: Any = None,
) -> bool:
    """True when 8-number lines are oriented boxes: the yaml `task` or the reader option decides
    when given; otherwise every 8-number line of the dataset must be a rectangle in pixels (right
    angles within 1°) and no other polygon length may occur. (8 numbers are also a 4-point
    polygon.)
    """
    if source.task is not None:
        return source.task == "obb"
    eight = 0
    for entry in checked(parsed, cancel):
        size = None
        for _lineno, _cls, values, _frame, _track in checked(entry.rows, cancel):
            if source.kpt_shape and values.size == 4 + source.kpt_shape[0] * source.kpt_shape[1]:
                continue
            if values.size == 4:
                continue
            if values.size != 8:
                return False
            if size is None:
                size = sizes.get(entry.image) or fallback or (1, 1)
            points = values.reshape(4, 2) * np.array(size, dtype=np.float64)
            if not _is_rectangle(points):
                return False
            eight += 1
    return eight > 0


def _geometry(
    values: np.ndarray, width: int, height: int, source: Source, obb: bool
) -> Box | RotatedBox | Polygon | Keypoints:
    scale = np.array([width, height], dtype=np.float64)
    n = values.size
    if source.kpt_shape is not None and n == 4 + source.kpt_shape[0] * source.kpt_shape[1]:
        k, d = source.kpt_shape
        raw = values[4:].reshape(k, d)
        points = raw[:, :2] * scale
        if d == 3:
            visibility = np.clip(np.rint(raw[:, 2]), 0, 2).astype(np.uint8)
        else:
            visibility = np.where((raw[:, 0] == 0) & (raw[:, 1] == 0), 0, 2).astype(np.uint8)
        points[visibility == 0] = 0.0
        names = source.kpt_names if len(source.kpt_names) == k else [str(i) for i in range(k)]
        return Keypoints.from_lists(points, visibility, names)
    if source.kpt_shape is not None and n != 4:
        k, d = source.kpt_shape
        raise Skip(f"{n} numbers: a pose line has {4 + k * d} (kpt_shape [{k}, {d}])")
    if n == 4:
        cx, cy, w, h = (float(v) for v in values)
        if w < 0 or h < 0:
            raise Skip(f"negative box size {w:g}×{h:g}")
        return Box((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
    if n % 2:
        raise Skip(f"{n} coordinates: not a box (4), polygon (even) or pose line")
    points = values.reshape(-1, 2) * scale
    if n == 8 and obb:
        return RotatedBox.from_corners(points)
    if len(points) < 3:
        raise Skip(f"polygon has {len(points)} points")
    return Polygon.from_points(points)


def _category_name(cls: int, source: Source, dataset: Dataset) -> str:
    name = source.names.get(cls)
    if name is None:
        name = f"class_{cls}" if source.names else str(cls)
    if name not in dataset.categories:
        category = dataset.category(name, id=cls)
        if source.kpt_shape is not None:
            k = source.kpt_shape[0]
            names = source.kpt_names if len(source.kpt_names) == k else [str(i) for i in range(k)]
            category.skeleton = Skeleton(names=tuple(names))
            if source.flip_idx is not None:
                category.extra["flip_idx"] = list(source.flip_idx)
    return name
