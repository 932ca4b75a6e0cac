"""Verify a conversion: read the output back with our own reader and check it against the source.

Every image the source's labels went to (`_writing.pictures`) is paired with the read-back item
of the same name. Objects are paired by id where the target holds ids, else by box IoU (class
agnostic, so a relabelled object shows as a class change, not as one missing plus one extra).
Then, for each pair:
- geometry: a shape the target holds exactly must come back in place — the same vertices within
  a tolerance, or a pixel IoU of at least 0.999 where the vertex lists differ (a mask for a
  polygon with holes); a shape the target converts (a polyline written as its bounding box)
  must come back with the extent it was written with;
- class: the same category name;
- fields: every field the target declares it holds (`Holds.fields`) must come back equal.
Objects of kinds the target cannot hold, and fields it does not hold, are in the loss report
already and are not findings here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from labelview.cancel import checked
from labelview.formats._writing import EXACT, Holds, Picture, pictures, shape_kind
from labelview.model import Box, Dataset, Item, Keypoints, Mask, ObjectLabel
from labelview.model.classifications import flatten
from labelview.model.geometry import Point, Polygon, Polyline, RotatedBox
from labelview.ops import rle

MIN_IOU = 0.999
_MATCH_IOU = 0.3  # objects overlapping less than this are not the same object
_AREA_KINDS = frozenset({"box", "rotated_box", "polygon", "ellipse", "mask"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement between the source and the output read back."""

    item: str  # the source item's id
    image: str  # the written image name
    object: str | None  # the source object's id
    what: str  # "moved", "class changed", "field changed", "missing", "extra", "image missing"
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "image": self.image,
            "object": self.object,
            "what": self.what,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        obj = f" object {self.object}" if self.object else ""
        return f"{self.image}{obj}: {self.what}: {self.detail}"


def verify(
    source: Dataset,
    written: Dataset,
    holds: Holds,
    *,
    roots: Iterable[Path] = (),
    skipped: set[int] | frozenset[int] = frozenset(),
    reshaped: set[int] | frozenset[int] = frozenset(),
    cancel: Any = None,
) -> list[Finding]:
    """Every disagreement between `source` and `written` (the output read back) that the target's
    declared `holds` does not explain. `skipped`: id() of objects the writer reported it did not
    write (WriteReport.skip); `reshaped`: objects whose shape it reported changed
    (WriteReport.reshape), checked for all but their shape. `cancel`: as for
    `labelview.cancel.checked`.
    """
    index = _NameIndex(checked(written.items, cancel))
    findings: list[Finding] = []
    tracks = _TrackCheck()
    for item in checked(source.items, cancel):
        for picture in checked(pictures(item, roots, cancel=cancel), cancel):
            held = [
                obj
                for obj in picture.objects
                if shape_kind(obj) in holds.shapes and id(obj) not in skipped and not _empty(obj)
            ]
            if holds.sizes_from_images and picture.path is None:
                continue  # unreadable without its image; the writer reported the image missing
            match = index.find(picture.name)
            if match is None:
                if held:
                    findings.append(
                        Finding(
                            item.id,
                            picture.name,
                            None,
                            "image missing",
                            f"{len(held)} objects, no such image in the output",
                        )
                    )
                continue
            out_item, frame = match
            candidates = out_item.objects_on(frame) if frame is not None else out_item.objects
            candidates = [obj for obj in candidates if not _empty(obj)]
            findings.extend(_objects(picture, held, candidates, holds, tracks, reshaped, cancel))
            if "classifications" in holds.fields and picture.frame is None:
                given = _normal(flatten(item.classifications))
                back = _normal(flatten(out_item.classifications))
                if given != back:
                    findings.append(
                        Finding(
                            item.id,
                            picture.name,
                            None,
                            "field changed",
                            f"classifications {given} became {back}",
                        )
                    )
    if "track" in holds.fields:
        findings.extend(tracks.findings())
    return findings


class _NameIndex:
    """Read-back items by every tail of their image path without suffix, so `clip/000003`
    finds `images/train/clip/000003.jpg`; frames of a read-back multi-frame item by their image.

    Each read-back image pairs with one source image: a second source image of the same name is
    looked for as `<name>_2`, the way writers keep names unique.
    """

    def __init__(self, items: Iterable[Item]) -> None:
        self.by_tail: dict[str, list[tuple[Item, int | None]]] = {}
        self.used: set[tuple[int, int | None]] = set()
        for item in items:
            if item.frames:
                for frame in item.frames:
                    self._add(frame.image or frame.name or "", item, frame.index)
            self._add(item.image or item.name, item, None)

    def _add(self, name: str, item: Item, frame: int | None) -> None:
        parts = _parts(name)
        for start in range(len(parts)):
            self.by_tail.setdefault("/".join(parts[start:]), []).append((item, frame))

    def find(self, name: str) -> tuple[Item, int | None] | None:
        """The read-back image for written name `name`; formats that keep only the base name
        (VOC's `<filename>`) are found by the longest tail they kept.
        """
        parts = _parts(name)
        for start in range(len(parts)):
            tail = "/".join(parts[start:])
            flat = "_".join(parts[start:])  # YOLO keeps a frame's folder as a prefix
            for key in (tail, flat, *(f"{tail}_{n}" for n in range(2, 10))):
                for entry in self.by_tail.get(key, ()):
                    mark = (id(entry[0]), entry[1])
                    if mark not in self.used:
                        self.used.add(mark)
                        return entry
        return None


def _parts(name: str) -> list[str]:
    path = PurePosixPath(name.replace("\\", "/").lower())
    parts = [part for part in path.with_suffix("").parts if part not in ("", ".", "/")]
    return parts


def _objects(
    picture: Picture,
    sources: list[ObjectLabel],
    candidates: list[ObjectLabel],
    holds: Holds,
    tracks: _TrackCheck,
    reshaped: set[int] | frozenset[int] = frozenset(),
    cancel: Any = None,
) -> list[Finding]:
    findings: list[Finding] = []
    item_id = picture.item.id
    pairs, missing, extra = _pair(sources, candidates, holds)
    missing = _pair_split(missing, extra, pairs, holds)
    parts, extra = _absorb(pairs, extra, holds)
    for src in missing:
        findings.append(
            Finding(
                item_id,
                picture.name,
                src.id,
                "missing",
                f"{src.kind} of {src.category!r} not in the output",
            )
        )
    for out in extra:
        findings.append(
            Finding(
                item_id,
                picture.name,
                None,
                "extra",
                f"{out.kind} of {out.category!r} not in the source",
            )
        )
    for src, out in checked(pairs, cancel):
        if src.category != out.category:
            findings.append(
                Finding(
                    item_id,
                    picture.name,
                    src.id,
                    "class changed",
                    f"{src.category!r} became {out.category!r}",
                )
            )
        reported = id(src) in reshaped
        moved = "" if reported else _moved(src, out, holds, picture.size, parts[id(src)])
        if moved:
            findings.append(Finding(item_id, picture.name, src.id, "moved", moved))
        for text in _field_changes(src, out, holds, picture.frame):
            findings.append(Finding(item_id, picture.name, src.id, "field changed", text))
        if src.track is not None and "track" in holds.fields:
            tracks.add(src.track, out.track, item_id, picture.name, src.id)
    return findings


def _empty(obj: ObjectLabel) -> bool:
    """A mask with no pixels: nothing a target can show, nothing to look for."""
    return isinstance(obj.geometry, Mask) and obj.geometry.area == 0


def _pair_split(
    missing: list[ObjectLabel],
    extra: list[ObjectLabel],
    pairs: list[tuple[ObjectLabel, ObjectLabel]],
    holds: Holds,
) -> list[ObjectLabel]:
    """Pair an unmatched converted source (a multi-part polygon) with the first of the parts it
    was split into (each part overlaps the whole too little to be matched by IoU).
    """
    left = []
    for src in missing:
        if holds.shapes.get(shape_kind(src)) == EXACT or src.geometry is None:
            left.append(src)
            continue
        bounds = src.geometry.bounds()
        inside = [
            out
            for out in extra
            if out.category == src.category
            and out.geometry is not None
            and _inside(out.geometry.bounds(), bounds)
        ]
        if inside:
            pairs.append((src, inside[0]))
            extra.remove(inside[0])
        else:
            left.append(src)
    return left


def _absorb(
    pairs: list[tuple[ObjectLabel, ObjectLabel]], extra: list[ObjectLabel], holds: Holds
) -> tuple[dict[int, list[ObjectLabel]], list[ObjectLabel]]:
    """Outputs a converted source was split into (a multi-part polygon written as several
    polygons): extra objects of the same class inside a converted source's extent belong to it.
    """
    parts: dict[int, list[ObjectLabel]] = {id(src): [out] for src, out in pairs}
    converted = [src for src, _ in pairs if holds.shapes.get(shape_kind(src)) != EXACT]
    left = []
    for out in extra:
        x0, y0, x1, y1 = out.geometry.bounds() if out.geometry is not None else (0, 0, 0, 0)
        owner = next(
            (
                src
                for src in converted
                if src.category == out.category and _inside((x0, y0, x1, y1), src.geometry.bounds())
            ),
            None,
        )
        if owner is None:
            left.append(out)
        else:
            parts[id(owner)].append(out)
    return parts, left


def _inside(inner: tuple, outer: tuple, slack: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _box_iou(a: tuple, b: tuple) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return 1.0 if union <= 0 else w * h / union


def _rounded(bounds: tuple) -> list[float]:
    return [round(float(v), 2) for v in bounds]


def _union_bounds(objects: list[ObjectLabel]) -> tuple[float, float, float, float]:
    bounds = [obj.geometry.bounds() for obj in objects if obj.geometry is not None]
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def _pair(
    sources: list[ObjectLabel], candidates: list[ObjectLabel], holds: Holds
) -> tuple[list[tuple[ObjectLabel, ObjectLabel]], list[ObjectLabel], list[ObjectLabel]]:
    pairs = []
    left = list(sources)
    free = list(candidates)
    if "object id" in holds.fields:
        by_id: dict[str, list[ObjectLabel]] = defaultdict(list)
        for out in free:
            if out.id is not None:
                by_id[out.id].append(out)
        unpaired = []
        for src in left:
            found = by_id.get(src.id) if src.id is not None else None
            if found:
                pairs.append((src, found.pop(0)))
            else:
                unpaired.append(src)
        taken = {id(out) for _, out in pairs}
        left = unpaired
        free = [out for out in free if id(out) not in taken]
    if left and free:
        ious = coco_mask.iou([_box(o) for o in left], [_box(o) for o in free], [0] * len(free))
        ious = np.asarray(ious, dtype=np.float64).reshape(len(left), len(free))
        # Same-class pairs first: two identical boxes of different classes pair by class.
        same = np.array([[a.category == b.category for b in free] for a in left], dtype=float)
        ranked = np.where(ious >= _MATCH_IOU, ious + same, ious)
        # Identical shapes of one class (a target without ids): the one whose held fields agree.
        for i, j in zip(*np.nonzero(ious >= _MATCH_IOU), strict=True):
            if not _field_changes(left[i], free[j], holds, None):
                ranked[i, j] += 1e-3
        order = np.dstack(np.unravel_index(np.argsort(-ranked, axis=None), ious.shape))[0]
        used_left: set[int] = set()
        used_free: set[int] = set()
        for i, j in order:
            if ious[i, j] < _MATCH_IOU:
                break
            if i in used_left or j in used_free:
                continue
            used_left.add(int(i))
            used_free.add(int(j))
            pairs.append((left[i], free[j]))
        left = [obj for i, obj in enumerate(left) if i not in used_left]
        free = [obj for j, obj in enumerate(free) if j not in used_free]
    return pairs, left, free


def _box(obj: ObjectLabel) -> list[float]:
    if obj.geometry is None:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0, x1, y1 = obj.geometry.bounds()
    # Points and lines get a one-pixel extent so identical ones still overlap.
    return [x0 - 0.5 * (x1 == x0), y0 - 0.5 * (y1 == y0), max(x1 - x0, 1.0), max(y1 - y0, 1.0)]


def _tolerance(size: tuple[int, int] | None) -> float:
    # Normalised formats (YOLO) write 6 decimals: half a millionth of the image's side.
    side = max(size) if size else 0
    return max(1e-3, 2e-6 * side)


def _moved(
    src: ObjectLabel,
    out: ObjectLabel,
    holds: Holds,
    size: tuple[int, int] | None,
    parts: list[ObjectLabel],
) -> str:
    """Why `out` (with the other `parts` a converted source was split into) is not where `src`
    was (empty when it is).
    """
    kind = shape_kind(src)
    tolerance = _tolerance(size)
    clip = _clipper(holds, size)
    if holds.shapes.get(kind) != EXACT:
        if out.kind == "mask" and src.kind in _AREA_KINDS and len(parts) == 1 and size:
            # Rasterised (a panoptic segment, an RLE for a polygon with holes): the pixels the
            # source covers, which a small shape's extent does not tell.
            iou = _pixel_iou(src, out, size)
            return "" if iou >= MIN_IOU else f"IoU {iou:.4f} with the source's pixels"
        # Converted (written as a box, a polygon, …): the extent must survive.
        # Converted (written as a box, a rotated rectangle, a polygon…): the output must cover
        # the source's extent, and not be much bigger than it.
        a, b = _clipped_bounds(src.geometry.bounds(), clip), _union_bounds(parts)
        slack = tolerance if out.kind == "box" else max(tolerance, 1.0)
        if _inside(a, b, slack) and _box_iou(a, b) >= 0.5:
            return ""
        return f"extent {_rounded(a)} became {_rounded(b)}"
    vertices_a, vertices_b = _vertices(src), _vertices(out)
    if vertices_a is not None and clip is not None:
        vertices_a = np.clip(vertices_a, 0, clip)
    if vertices_a is not None and vertices_b is not None and vertices_a.shape == vertices_b.shape:
        worst = float(np.abs(vertices_a - vertices_b).max()) if vertices_a.size else 0.0
        if worst <= tolerance:
            return _visibility_change(src, out)
        if src.kind not in _AREA_KINDS:
            return f"points moved by up to {worst:.3g} px"
    if src.kind in _AREA_KINDS and out.kind in _AREA_KINDS and size is not None:
        iou = _pixel_iou(src, out, size)
        return "" if iou >= MIN_IOU else f"IoU {iou:.4f} with the source"
    a, b = _clipped_bounds(src.geometry.bounds(), clip), out.geometry.bounds()
    worst = max(abs(x - y) for x, y in zip(a, b, strict=True))
    return "" if worst <= tolerance else f"extent moved by {worst:.3g} px"


def _clipper(holds: Holds, size: tuple[int, int] | None) -> np.ndarray | None:
    """The image's far corner when the target clips coordinates to the image (and says so)."""
    return np.array(size, dtype=np.float64) if holds.clips and size else None


def _clipped_bounds(bounds: tuple, clip: np.ndarray | None) -> tuple:
    if clip is None:
        return bounds
    x0, y0, x1, y1 = bounds
    w, h = float(clip[0]), float(clip[1])
    return (min(max(x0, 0), w), min(max(y0, 0), h), min(max(x1, 0), w), min(max(y1, 0), h))


def _vertices(obj: ObjectLabel) -> np.ndarray | None:
    geometry = obj.geometry
    if isinstance(geometry, Box):
        return np.array(
            [[geometry.x, geometry.y], [geometry.x + geometry.w, geometry.y + geometry.h]]
        )
    if isinstance(geometry, RotatedBox):
        return np.sort(geometry.corners(), axis=0)
    if isinstance(geometry, Polygon):
        return np.concatenate([_canonical(ring) for ring in geometry.rings()])
    if isinstance(geometry, Polyline):
        return geometry.points
    if isinstance(geometry, Point):
        return np.array([[geometry.x, geometry.y]])
    if isinstance(geometry, Keypoints):
        labelled = geometry.visibility > 0
        return geometry.points[labelled]
    return None


def _canonical(ring: np.ndarray) -> np.ndarray:
    """A ring started at its smallest vertex, counter-clockwise: writers may restart or reverse."""
    ring = np.asarray(ring, dtype=np.float64)
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    if len(ring) < 3:
        return ring
    x, y = ring[:, 0], ring[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 0:
        ring = ring[::-1]
    start = int(np.lexsort((ring[:, 1], ring[:, 0]))[0])
    return np.roll(ring, -start, axis=0)


def _visibility_change(src: ObjectLabel, out: ObjectLabel) -> str:
    a, b = src.geometry, out.geometry
    changed = isinstance(a, Keypoints) and isinstance(b, Keypoints)
    changed = changed and not np.array_equal(a.visibility, b.visibility)
    return "keypoint visibility changed" if changed else ""


def _pixel_iou(src: ObjectLabel, out: ObjectLabel, size: tuple[int, int]) -> float:
    width, height = size
    a, b = _rle(src, height, width), _rle(out, height, width)
    if not coco_mask.area(a) and not coco_mask.area(b):
        return 1.0  # two empty masks are the same mask
    return float(np.asarray(coco_mask.iou([a], [b], [0])).ravel()[0])


def _rle(obj: ObjectLabel, height: int, width: int) -> dict:
    geometry = obj.geometry
    if isinstance(geometry, Mask) and (geometry.height, geometry.width) == (height, width):
        encoded = geometry.to_coco_rle()
    else:
        from labelview.ops.raster import rasterise

        encoded = rle.encode_coco(rasterise(geometry, height, width))
    return {"size": encoded["size"], "counts": encoded["counts"].encode("ascii")}


def _field_changes(
    src: ObjectLabel, out: ObjectLabel, holds: Holds, frame: int | None
) -> list[str]:
    changes = []
    fields = holds.fields
    if "attributes" in fields:
        given = _normal(flatten(src.attributes, frame))
        back = _normal(flatten(out.attributes, frame))
        if given != back:
            changes.append(f"attributes {given} became {back}")
    if "confidence" in fields and not _same_number(src.confidence, out.confidence):
        changes.append(f"confidence {src.confidence} became {out.confidence}")
    if "source" in fields and src.source is not None and src.source != out.source:
        changes.append(f"source {src.source} became {out.source}")
    if "object id" in fields and src.id is not None and src.id != out.id:
        changes.append(f"id {src.id} became {out.id}")
    if "z order" in fields and src.z_order is not None and src.z_order != out.z_order:
        changes.append(f"z order {src.z_order} became {out.z_order}")
    return changes


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _normal(values: dict[str, Any]) -> dict[str, Any]:
    """Attribute values compared the way text formats write them (`true`, `3`, `3.0` agree)."""
    return {key: _scalar(value) for key, value in values.items()}


def _scalar(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_scalar(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        try:
            return float(lowered)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


class _TrackCheck:
    """Tracks may be renumbered by a writer, but objects of one source track must stay one
    output track and vice versa.
    """

    def __init__(self) -> None:
        self.forward: dict[str, str | None] = {}
        self.backward: dict[str, str] = {}
        self.broken: list[Finding] = []

    def add(self, given: str, back: str | None, item: str, image: str, obj: str | None) -> None:
        known = self.forward.setdefault(given, back)
        owner = self.backward.setdefault(back, given) if back is not None else None
        if back is None or known != back or owner != given:
            self.broken.append(
                Finding(item, image, obj, "field changed", f"track {given} became {back}")
            )

    def findings(self) -> list[Finding]:
        return self.broken
