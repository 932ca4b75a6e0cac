"""Match the objects of one picture pair, the COCO way, then again across classes.

Similarity: keypoints against keypoints by OKS (object keypoint similarity, COCO's formula with
the category's sigmas); everything else by IoU — of rasterised pixels when the picture's size is
known and a shape is not an axis-aligned box (so rotated boxes, polygons with holes and masks
count exactly), else of bounding boxes (`labelview.evaluation.iou.iou_matrix`).

Matching at a threshold, as COCOeval does: candidates from the most confident down; each takes
the unmatched reference object of its own class with the highest similarity at or above the
threshold, preferring ordinary objects to crowd regions (`iscrowd`). A candidate that lands on a
crowd region is neither right nor wrong and is left out of the counts. Then a second,
class-agnostic pass over what is left pairs a candidate with a reference object of another class
it overlaps as well: that is a *wrong class* (one confusion-matrix cell off the diagonal), not an
unrelated miss plus an unrelated extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labelview.evaluation.iou import iou_matrix
from labelview.model import Category, Keypoints, ObjectLabel

# COCO's per-keypoint sigmas for its 17 person keypoints; any other skeleton without sigmas of its
# own gets one sigma for every point (the COCO mean, rounded).
COCO_PERSON_SIGMAS = (
    np.array(
        [
            0.26,
            0.25,
            0.25,
            0.35,
            0.35,
            0.79,
            0.79,
            0.72,
            0.72,
            0.62,
            0.62,
            1.07,
            1.07,
            0.87,
            0.87,
            0.89,
            0.89,
        ]
    )
    / 10.0
)
DEFAULT_SIGMA = 0.07


@dataclass(slots=True)
class Matches:
    """How the objects of one picture pair matched at one threshold."""

    true_positives: list[tuple[ObjectLabel, ObjectLabel, float]] = field(default_factory=list)
    wrong_class: list[tuple[ObjectLabel, ObjectLabel, float]] = field(default_factory=list)
    false_positives: list[ObjectLabel] = field(default_factory=list)  # candidate, unmatched
    false_negatives: list[ObjectLabel] = field(default_factory=list)  # reference, unmatched
    ignored: list[ObjectLabel] = field(default_factory=list)  # candidates on crowd regions


def score_of(obj: ObjectLabel) -> float:
    """A candidate's confidence; an object without one (a manual label) counts as certain."""
    return 1.0 if obj.confidence is None else float(obj.confidence)


def is_crowd(obj: ObjectLabel) -> bool:
    return bool(obj.extra and obj.extra.get("iscrowd"))


def similarity(
    candidates: Sequence[ObjectLabel],
    references: Sequence[ObjectLabel],
    size: tuple[int, int] | None,
    categories: Mapping[str, Category] | None = None,
) -> np.ndarray:
    """Candidates × references: OKS between keypoints, IoU otherwise (0 across the two)."""
    result = np.zeros((len(candidates), len(references)))
    if not candidates or not references:
        return result
    key_c = [i for i, o in enumerate(candidates) if isinstance(o.geometry, Keypoints)]
    key_r = [j for j, o in enumerate(references) if isinstance(o.geometry, Keypoints)]
    other_c = [i for i, o in enumerate(candidates) if not isinstance(o.geometry, Keypoints)]
    other_r = [j for j, o in enumerate(references) if not isinstance(o.geometry, Keypoints)]
    if other_c and other_r:
        refs = [references[j] for j in other_r]
        crowd = [is_crowd(ref) for ref in refs]
        ious = iou_matrix([candidates[i] for i in other_c], refs, size, crowd)
        result[np.ix_(other_c, other_r)] = ious
    for j in key_r:
        ref = references[j]
        sigmas = sigmas_for(ref, categories)
        for i in key_c:
            result[i, j] = oks(candidates[i].geometry, ref, sigmas)
    return result


def sigmas_for(obj: ObjectLabel, categories: Mapping[str, Category] | None) -> np.ndarray:
    count = len(obj.geometry.points)  # type: ignore[union-attr]
    category = (categories or {}).get(obj.category)
    given = category.extra.get("sigmas") if category is not None else None
    if given is not None and len(given) == count:
        return np.asarray(given, dtype=np.float64)
    if count == len(COCO_PERSON_SIGMAS):
        return COCO_PERSON_SIGMAS
    return np.full(count, DEFAULT_SIGMA)


def oks(candidate: Keypoints, reference: ObjectLabel, sigmas: np.ndarray) -> float:
    """COCO's object keypoint similarity of `candidate` against the reference keypoints.

    Scale is the reference's `area` as the source gave it, else the box of its visible points.
    """
    ref: Keypoints = reference.geometry  # type: ignore[assignment]
    if len(candidate.points) != len(ref.points):
        return 0.0
    visible = ref.visibility > 0
    if not visible.any():
        return 0.0
    area = reference.extra.get("area") if reference.extra else None
    if not area:
        pts = ref.points[visible]
        span = pts.max(axis=0) - pts.min(axis=0)
        area = float(span[0] * span[1])
    variance = (2 * sigmas) ** 2
    d2 = ((candidate.points - ref.points) ** 2).sum(axis=1)
    e = d2 / variance / (float(area) + np.spacing(1)) / 2
    return float(np.exp(-e[visible]).mean())


def match(
    candidates: Sequence[ObjectLabel],
    references: Sequence[ObjectLabel],
    size: tuple[int, int] | None,
    *,
    threshold: float = 0.5,
    categories: Mapping[str, Category] | None = None,
) -> Matches:
    """Match one picture's candidates against its references (see the module docstring)."""
    result = Matches()
    order = sorted(range(len(candidates)), key=lambda i: -score_of(candidates[i]))
    cands = [candidates[i] for i in order]
    sims = similarity(cands, references, size, categories)
    crowd = np.array([is_crowd(r) for r in references], dtype=bool)
    taken = np.zeros(len(references), dtype=bool)
    left: list[int] = []
    for ci, cand in enumerate(cands):
        best = _best(sims[ci], references, taken, crowd, threshold, cand.category)
        if best is None:
            left.append(ci)
        elif crowd[best]:
            result.ignored.append(cand)
        else:
            taken[best] = True
            result.true_positives.append((references[best], cand, float(sims[ci, best])))
    ordinary = np.zeros_like(crowd)  # crowd regions are out of the class-agnostic pass
    for ci in left:
        best = _best(sims[ci], references, taken | crowd, ordinary, threshold, None)
        if best is None:
            result.false_positives.append(cands[ci])
        else:
            taken[best] = True
            result.wrong_class.append((references[best], cands[ci], float(sims[ci, best])))
    result.false_negatives = [
        ref for j, ref in enumerate(references) if not taken[j] and not crowd[j]
    ]
    return result


def _best(
    row: np.ndarray,
    references: Sequence[ObjectLabel],
    taken: np.ndarray,
    crowd: np.ndarray,
    threshold: float,
    category: str | None,
) -> int | None:
    """The reference a candidate matches: highest similarity ≥ threshold, ordinary before crowd."""
    best, best_sim, best_crowd = None, threshold, True
    for j, ref in enumerate(references):
        if taken[j] and not crowd[j]:
            continue
        if category is not None and ref.category != category:
            continue
        sim = row[j]
        if sim < threshold:
            continue
        # COCOeval: once an ordinary match is found, crowd regions no longer compete.
        if best is not None and not best_crowd and crowd[j]:
            continue
        if best is None or (best_crowd and not crowd[j]) or sim > best_sim:
            best, best_sim, best_crowd = j, sim, bool(crowd[j])
    return best
