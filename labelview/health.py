"""An export's health: the defects a reviewer would want listed before trusting the labels.

`check(dataset)` runs every rule in `RULES` and returns findings, each naming the item (and the
object, where there is one) so the window can jump there and a CI pipeline can fail on them
(`labelview check EXPORT --fail-on warning`). Qt-free.

Rules and their levels:
- error: a box with negative width or height; an object wholly outside its image; an object of a
  class the export's category list does not declare (when it declares any).
- warning: an object partly outside its image (beyond `EDGE_TOLERANCE` px); a zero-area box or
  polygon; a degenerate polygon (fewer than 3 distinct points); two objects of one class on one
  frame overlapping at IoU > `DUPLICATE_IOU`; a missing image file; an image whose declared size
  differs from the file's; keypoints outside their object's box.
- info: an image with no labels; an object under `TINY_AREA` px²; class imbalance (the most
  frequent class over `IMBALANCE` times the least).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from labelview.model import Box, Dataset, Item, Keypoints, ObjectLabel, Polygon
from labelview.model.geometry import Point, Polyline

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")

EDGE_TOLERANCE = 1.0  # px: exporters round; a box ending at width + 0.5 is not a defect
DUPLICATE_IOU = 0.95
TINY_AREA = 16.0  # px²: 4 × 4, below what a detector can learn from
IMBALANCE = 100


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    level: Level
    message: str
    item: str | None = None  # Item.id
    item_name: str | None = None
    object: str | None = None  # ObjectLabel.id
    frame: int | None = None

    def __str__(self) -> str:
        where = self.item_name or ""
        if self.frame is not None:
            where += f" frame {self.frame}"
        if self.object is not None:
            where += f" object {self.object}"
        return f"{self.level}: {where.strip()}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "item": self.item,
            "item_name": self.item_name,
            "object": self.object,
            "frame": self.frame,
        }


Rule = Callable[[Dataset], Iterator[Finding]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def check(dataset: Dataset, rules: list[str] | None = None) -> list[Finding]:
    """Every finding of the chosen rules (all by default), errors first, in item order."""
    found: list[Finding] = []
    for name in rules or list(RULES):
        found.extend(RULES[name](dataset))
    order = {level: n for n, level in enumerate(LEVELS)}
    return sorted(found, key=lambda f: order[f.level])  # stable: item order within a level


def counts_text(findings: list[Finding]) -> str:
    """'1 error, 4 warnings, 0 info': the findings counted per level."""
    counts = {level: sum(1 for f in findings if f.level == level) for level in LEVELS}
    words = {
        "error": ("error", "errors"),
        "warning": ("warning", "warnings"),
        "info": ("info",) * 2,
    }
    return ", ".join(f"{counts[lv]:,} {words[lv][counts[lv] != 1]}" for lv in LEVELS)


def _finding(rule_name: str, level: Level, message: str, item: Item, obj=None) -> Finding:
    return Finding(
        rule_name,
        level,
        message,
        item.id,
        item.name,
        obj.id if obj is not None else None,
        obj.frame if obj is not None else None,
    )


def _objects(dataset: Dataset) -> Iterator[tuple[Item, ObjectLabel]]:
    for item in dataset.items:
        for obj in item.objects:
            if obj.geometry is not None:
                yield item, obj


# --- geometry -------------------------------------------------------------------------------------


@rule("box-size")
def _box_sizes(dataset: Dataset) -> Iterator[Finding]:
    for item, obj in _objects(dataset):
        geometry = obj.geometry
        if isinstance(geometry, Box):
            if geometry.w < 0 or geometry.h < 0:
                yield _finding(
                    "box-size",
                    "error",
                    f"negative box size {geometry.w:g}×{geometry.h:g}",
                    item,
                    obj,
                )
            elif geometry.w == 0 or geometry.h == 0:
                yield _finding(
                    "box-size", "warning", f"zero-area box {geometry.w:g}×{geometry.h:g}", item, obj
                )


@rule("outside-image")
def _outside(dataset: Dataset) -> Iterator[Finding]:
    for item, obj in _objects(dataset):
        size = item.size_of(obj.frame)
        if size is None or isinstance(obj.geometry, Keypoints):
            continue
        width, height = size
        x0, y0, x1, y1 = obj.geometry.bounds()
        if x1 < 0 or y1 < 0 or x0 > width or y0 > height:
            message = f"wholly outside the {width}×{height} image ({x0:g},{y0:g})–({x1:g},{y1:g})"
            yield _finding("outside-image", "error", message, item, obj)
        elif (
            x0 < -EDGE_TOLERANCE
            or y0 < -EDGE_TOLERANCE
            or x1 > width + EDGE_TOLERANCE
            or y1 > height + EDGE_TOLERANCE
        ):
            message = f"partly outside the {width}×{height} image ({x0:g},{y0:g})–({x1:g},{y1:g})"
            yield _finding("outside-image", "warning", message, item, obj)


@rule("degenerate-polygon")
def _degenerate(dataset: Dataset) -> Iterator[Finding]:
    for item, obj in _objects(dataset):
        if not isinstance(obj.geometry, Polygon):
            continue
        for part in obj.geometry.parts:
            distinct = len(np.unique(np.round(part.outer, 6), axis=0))
            if distinct < 3:
                message = f"polygon with {distinct} distinct point(s)"
                yield _finding("degenerate-polygon", "warning", message, item, obj)
                break
            if abs(_ring_area(part.outer)) == 0:
                yield _finding("degenerate-polygon", "warning", "zero-area polygon", item, obj)
                break


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


@rule("tiny-object")
def _tiny(dataset: Dataset) -> Iterator[Finding]:
    for item, obj in _objects(dataset):
        if isinstance(obj.geometry, (Point, Polyline, Keypoints)):
            continue
        x0, y0, x1, y1 = obj.geometry.bounds()
        area = (x1 - x0) * (y1 - y0)
        if 0 < area < TINY_AREA:
            message = f"tiny object: {x1 - x0:g}×{y1 - y0:g} px"
            yield _finding("tiny-object", "info", message, item, obj)


@rule("keypoints-outside-box")
def _keypoints_outside(dataset: Dataset) -> Iterator[Finding]:
    for item, obj in _objects(dataset):
        bbox = obj.extra.get("bbox") if obj.extra else None
        if not isinstance(obj.geometry, Keypoints) or not isinstance(bbox, list) or len(bbox) != 4:
            continue
        x, y, w, h = (float(v) for v in bbox)
        visible = obj.geometry.points[obj.geometry.visibility > 0]
        t = EDGE_TOLERANCE
        outside = (
            (visible[:, 0] < x - t)
            | (visible[:, 0] > x + w + t)
            | (visible[:, 1] < y - t)
            | (visible[:, 1] > y + h + t)
        )
        if outside.any():
            message = f"{int(outside.sum())} keypoint(s) outside the object's box"
            yield _finding("keypoints-outside-box", "warning", message, item, obj)


@rule("duplicate")
def _duplicates(dataset: Dataset) -> Iterator[Finding]:
    from labelview.evaluation.iou import iou_matrix

    for item in dataset.items:
        groups: dict[tuple[str, int | None], list[ObjectLabel]] = defaultdict(list)
        for obj in item.objects:
            if obj.geometry is not None and not isinstance(obj.geometry, (Point, Keypoints)):
                groups[(obj.category, obj.frame)].append(obj)
        for (_category, frame), objects in groups.items():
            if len(objects) < 2:
                continue
            ious = iou_matrix(objects, objects, item.size_of(frame))
            for i in range(len(objects)):
                for j in range(i + 1, len(objects)):
                    if ious[i, j] > DUPLICATE_IOU:
                        other = objects[i].id or f"#{i}"
                        message = f"duplicate of object {other} (IoU {ious[i, j]:.3f})"
                        yield _finding("duplicate", "warning", message, item, objects[j])


# --- items, images and classes --------------------------------------------------------------------


@rule("empty-image")
def _empty(dataset: Dataset) -> Iterator[Finding]:
    for item in dataset.items:
        if not item.objects and not item.classifications:
            yield _finding("empty-image", "info", "no labels", item)


@rule("missing-image")
def _missing(dataset: Dataset) -> Iterator[Finding]:
    for item in dataset.items:
        if not item.frames:
            if item.image_path is None:
                message = f"image not found: {item.image or item.name}"
                yield _finding("missing-image", "warning", message, item)
            continue
        found = sum(1 for f in item.frames if f.image_path is not None)
        if not found and item.image_path is None:
            message = f"media not found: {item.image or item.name} (no frame image either)"
            yield _finding("missing-image", "warning", message, item)
        elif found < len(item.frames) and item.image_path is None:
            missing = next(f.index for f in item.frames if f.image_path is None)
            message = f"{len(item.frames) - found} of {len(item.frames)} frame images not found, "
            message += f"the first frame {missing}"
            yield _finding("missing-image", "warning", message, item)


@rule("image-size")
def _declared_size(dataset: Dataset) -> Iterator[Finding]:
    from labelview.images import image_size

    for item in dataset.items:
        if item.image_path is None or not item.width or not item.height or item.frames:
            continue
        actual = image_size(item.image_path)
        if actual is not None and actual != (item.width, item.height):
            message = f"declared {item.width}×{item.height}, the file is {actual[0]}×{actual[1]}"
            yield _finding("image-size", "warning", message, item)


@rule("unknown-category")
def _unknown(dataset: Dataset) -> Iterator[Finding]:
    declared = dataset.meta.get("declared_categories")
    if declared is None:
        declared = [name for name, c in dataset.categories.items() if c.id is not None]
    if not declared:
        return
    known = set(declared)
    for item in dataset.items:
        for obj in item.objects:
            if obj.category not in known:
                message = f"class {obj.category!r} is not in the export's category list"
                yield _finding("unknown-category", "error", message, item, obj)


@rule("class-imbalance")
def _imbalance(dataset: Dataset) -> Iterator[Finding]:
    counts = Counter(obj.category for _, obj in _objects(dataset))
    if len(counts) < 2:
        return
    (most, high), (least, low) = counts.most_common()[0], counts.most_common()[-1]
    if high > IMBALANCE * low:
        message = f"class imbalance: {most!r} has {high:,} objects, {least!r} {low:,}"
        yield Finding("class-imbalance", "info", message)
