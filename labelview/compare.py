"""Compare two exports of the same images (ground truth vs predictions, or two labelers).

Objects are matched per item and per category by IoU, greedily from the most confident prediction
(the way COCOeval matches): a prediction matches the unmatched reference object of its category with
the highest IoU at or above the threshold. Area shapes (boxes, rotated boxes, polygons with holes,
ellipses, masks) are compared by their rasterised pixels when the image size is known, else by their
boxes; lines, points and keypoints by their boxes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from labelview.cancel import checked
from labelview.model import Box, Dataset, Item, Mask, ObjectLabel
from labelview.ops import rle

AREA_KINDS = frozenset({"box", "rotated_box", "polygon", "ellipse", "mask"})


@dataclass(slots=True)
class ItemComparison:
    """How two versions of one item agree."""

    name: str
    reference: Item | None
    candidate: Item | None
    true_positives: list[tuple[ObjectLabel, ObjectLabel, float]] = field(default_factory=list)
    false_positives: list[ObjectLabel] = field(default_factory=list)  # in candidate, unmatched
    false_negatives: list[ObjectLabel] = field(default_factory=list)  # in reference, unmatched

    @property
    def disagreement(self) -> int:
        return len(self.false_positives) + len(self.false_negatives)


@dataclass(slots=True)
class Comparison:
    items: list[ItemComparison]
    threshold: float

    @property
    def totals(self) -> dict[str, int]:
        return {
            "tp": sum(len(i.true_positives) for i in self.items),
            "fp": sum(len(i.false_positives) for i in self.items),
            "fn": sum(len(i.false_negatives) for i in self.items),
        }

    def worst_first(self) -> list[ItemComparison]:
        """Items ordered by disagreement (most first), so reviewers visit the worst items first."""
        return sorted(self.items, key=lambda c: (-c.disagreement, c.name))


def item_key(item: Item) -> str:
    """Items of two exports match by image file name (case-insensitive, without folders)."""
    name = (item.image or item.name).replace("\\", "/").rsplit("/", 1)[-1]
    return name.lower()


def compare(
    reference: Dataset, candidate: Dataset, *, threshold: float = 0.5, cancel: Any = None
) -> Comparison:
    """Match each item of `candidate` with `reference` (by image name); count TP / FP / FN.
    `cancel`: as for `labelview.cancel.checked`.
    """
    by_key = {item_key(item): item for item in checked(candidate.items, cancel)}
    results = []
    seen = set()
    for item in checked(reference.items, cancel):
        key = item_key(item)
        seen.add(key)
        results.append(compare_items(item, by_key.get(key), threshold=threshold, cancel=cancel))
    for key, item in checked(by_key.items(), cancel):
        if key not in seen:
            results.append(compare_items(None, item, threshold=threshold, cancel=cancel))
    return Comparison(results, threshold)


def compare_items(
    reference: Item | None,
    candidate: Item | None,
    *,
    threshold: float = 0.5,
    cancel: Any = None,
) -> ItemComparison:
    """TP / FP / FN between two versions of one item (either may be missing)."""
    name = (reference or candidate).name  # type: ignore[union-attr]
    result = ItemComparison(name, reference, candidate)
    ref_objects = reference.objects if reference else []
    cand_objects = candidate.objects if candidate else []
    size = (reference.size_of() if reference else None) or (
        candidate.size_of() if candidate else None
    )
    groups: dict[tuple[str, int | None], tuple[list, list]] = defaultdict(lambda: ([], []))
    for obj in checked(ref_objects, cancel):
        groups[(obj.category, obj.frame)][0].append(obj)
    for obj in checked(cand_objects, cancel):
        groups[(obj.category, obj.frame)][1].append(obj)
    for refs, cands in checked(groups.values(), cancel):
        cands = sorted(cands, key=lambda o: -(o.confidence if o.confidence is not None else 1.0))
        ious = iou_matrix(cands, refs, size)
        taken = np.zeros(len(refs), dtype=bool)
        for ci, cand in enumerate(checked(cands, cancel)):
            best, best_iou = -1, threshold
            for ri in range(len(refs)):
                if not taken[ri] and ious[ci, ri] >= best_iou:
                    best, best_iou = ri, ious[ci, ri]
            if best >= 0:
                taken[best] = True
                result.true_positives.append((refs[best], cand, float(best_iou)))
            else:
                result.false_positives.append(cand)
        result.false_negatives.extend(ref for ri, ref in enumerate(refs) if not taken[ri])
    return result


def iou_matrix(
    candidates: Sequence[ObjectLabel],
    references: Sequence[ObjectLabel],
    size: tuple[int, int] | None,
    crowd: Sequence[bool] | None = None,
) -> np.ndarray:
    """IoU of every candidate (rows) with every reference (columns).

    `crowd[j]`: reference j is a crowd region, so its "IoU" is the share of the candidate inside
    it (COCO's rule: a detection within a crowd is not a false positive).
    """
    flags = [int(bool(c)) for c in crowd] if crowd is not None else [0] * len(references)
    if not candidates or not references:
        return np.zeros((len(candidates), len(references)))
    everything = [*candidates, *references]
    use_pixels = size is not None and any(
        o.kind in AREA_KINDS and not isinstance(o.geometry, Box) for o in everything
    )
    if use_pixels:
        width, height = size  # type: ignore[misc]
        rles = [_as_rle(o, height, width) for o in everything]
        ious = coco_mask.iou(rles[: len(candidates)], rles[len(candidates) :], flags)
    else:
        boxes = [_as_box(o) for o in everything]
        ious = coco_mask.iou(boxes[: len(candidates)], boxes[len(candidates) :], flags)
    return np.asarray(ious, dtype=np.float64).reshape(len(candidates), len(references))


def _as_box(obj: ObjectLabel) -> list[float]:
    if obj.geometry is None:
        return [0.0, 0.0, 0.0, 0.0]
    x0, y0, x1, y1 = obj.geometry.bounds()
    # Points and thin lines get a 1-pixel extent so identical ones still match.
    return [x0, y0, max(x1 - x0, 1.0), max(y1 - y0, 1.0)]


def _degenerate(geometry: object) -> bool:
    """A box without width or height (a point written as a box): compared as its 1-pixel box."""
    return isinstance(geometry, Box) and (geometry.w < 1 or geometry.h < 1)


def _as_rle(obj: ObjectLabel, height: int, width: int) -> dict:
    geometry = obj.geometry
    if isinstance(geometry, Mask):
        encoded = geometry.to_coco_rle()
    elif obj.kind in AREA_KINDS and not _degenerate(geometry):
        from labelview.ops.raster import rasterise_rle

        encoded = rasterise_rle(geometry, height, width)
    else:
        x, y, w, h = _as_box(obj)
        encoded = rle.rings_to_rle([Box(x, y, w, h).corners()], height, width)
    return {"size": encoded["size"], "counts": encoded["counts"].encode("ascii")}
