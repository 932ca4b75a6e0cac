"""AP, mAP@[.5:.95], AP50 and PR curves, computed by COCOeval's rules (faster-coco-eval).

The paired pictures are turned into one COCO ground-truth document and one results list (every
candidate with its confidence; a manual label without one counts 1.0) and evaluated by
`faster_coco_eval.COCOeval_faster`, a C++ implementation of `pycocotools.cocoeval.COCOeval` that
gives the same numbers (the tests hold it to pycocotools on fixtures and real samples). We build
the documents; the arithmetic is COCO's.

Which IoU: `segm` (pixel masks) when any shape is more than a box and every picture with objects
has a known size; else `bbox`; `keypoints` (OKS) in addition when both sides have keypoints.
A reference object's `area` and `iscrowd` are the source's where it gave them (COCO), so the
small/medium/large bins agree with the source's own evaluation.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelview.evaluation.iou import AREA_KINDS, as_rle
from labelview.evaluation.matching import COCO_PERSON_SIGMAS, DEFAULT_SIGMA, is_crowd, score_of
from labelview.evaluation.pairing import PicturePair
from labelview.model import Box, Category, Keypoints, ObjectLabel

STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "AP_small",
    "AP_medium",
    "AP_large",
    "AR1",
    "AR10",
    "AR100",
    "AR_small",
    "AR_medium",
    "AR_large",
)


@dataclass(slots=True)
class APResult:
    iou_type: str  # "bbox", "segm" or "keypoints"
    stats: dict[str, float]  # COCOeval's summary (STAT_NAMES; -1 where undefined)
    per_class: dict[str, float | None] = field(default_factory=dict)  # AP@[.5:.95] per class
    per_class_50: dict[str, float | None] = field(default_factory=dict)
    # precision at each of COCO's 101 recall points, IoU 0.5, per class (None where undefined)
    pr_curves: dict[str, list[float] | None] = field(default_factory=dict)
    keypoints: dict[str, float] | None = None  # the keypoints summary, when computed

    @property
    def mean_ap(self) -> float:
        return self.stats["AP"]

    def to_json(self) -> dict[str, Any]:
        return {
            "iou_type": self.iou_type,
            "stats": self.stats,
            "per_class": self.per_class,
            "per_class_ap50": self.per_class_50,
            "keypoints": self.keypoints,
        }


def documents(
    pairs: Sequence[PicturePair], categories: Mapping[str, Category], iou_type: str
) -> tuple[dict, list[dict], dict[str, int]]:
    """COCO ground truth, results and category ids for the pairs (see the module docstring)."""
    used: dict[str, int] = {}
    images, truth, results = [], [], []
    for image_id, p in enumerate(pairs, start=1):
        width, height = p.size or (0, 0)
        images.append({"id": image_id, "width": width, "height": height})
        for obj in p.reference.objects if p.reference else ():
            if obj.geometry is None:
                continue
            if not _fits(obj, iou_type):
                skeleton = _unlabelled_person(obj, iou_type, categories)
                if skeleton:  # COCO ignores a person without keypoints rather than missing it
                    ann = _annotation(obj, image_id, used, "bbox", width, height)
                    ann["keypoints"], ann["num_keypoints"] = [0.0] * (3 * skeleton), 0
                    ann["iscrowd"], ann["id"] = 1 if is_crowd(obj) else 0, len(truth) + 1
                    truth.append(ann)
                continue
            ann = _annotation(obj, image_id, used, iou_type, width, height)
            ann["iscrowd"] = 1 if is_crowd(obj) else 0
            area = obj.extra.get("area") if obj.extra else None
            ann["area"] = float(area) if isinstance(area, (int, float)) else ann["area"]
            ann["id"] = len(truth) + 1
            truth.append(ann)
        for obj in p.candidate.objects if p.candidate else ():
            if obj.geometry is None or not _fits(obj, iou_type):
                continue
            ann = _annotation(obj, image_id, used, iou_type, width, height)
            ann["score"] = score_of(obj)
            results.append(ann)
    ids = {name: i for i, name in enumerate(used, start=1)}
    for ann in (*truth, *results):
        ann["category_id"] = ids[ann.pop("_category")]
    cats = [{"id": ids[name], "name": name} for name in ids]
    if iou_type == "keypoints":
        for cat in cats:
            cat["keypoints"] = [str(i) for i in range(_keypoint_count(truth, cat["id"]))]
    return {"images": images, "annotations": truth, "categories": cats}, results, ids


def compute(
    pairs: Sequence[PicturePair],
    categories: Mapping[str, Category],
    iou_type: str | None = None,
) -> APResult | None:
    """COCO's AP summary for the pairs, or None when there is nothing to score.

    `iou_type` ("bbox" or "segm") overrides the choice the module docstring describes.
    """
    objects = [
        o
        for p in pairs
        for side in (p.reference, p.candidate)
        if side is not None
        for o in side.objects
        if o.geometry is not None
    ]
    if not objects:
        return None
    if iou_type is None:
        iou_type = "bbox"
        areas = [o for o in objects if o.kind in AREA_KINDS and not isinstance(o.geometry, Box)]
        sized = all(p.size for p in pairs if (p.reference and p.reference.objects))
        if areas and sized:
            iou_type = "segm"
    result = _run(pairs, categories, iou_type)
    if result is None:
        return None
    ref_kp = any(
        isinstance(o.geometry, Keypoints) for p in pairs if p.reference for o in p.reference.objects
    )
    cand_kp = any(
        isinstance(o.geometry, Keypoints) for p in pairs if p.candidate for o in p.candidate.objects
    )
    if ref_kp and cand_kp:
        keypoints = _run(pairs, categories, "keypoints")
        if keypoints is not None:
            result.keypoints = keypoints.stats
    return result


def _run(
    pairs: Sequence[PicturePair], categories: Mapping[str, Category], iou_type: str
) -> APResult | None:
    from faster_coco_eval import COCO, COCOeval_faster

    truth, results, ids = documents(pairs, categories, iou_type)
    if not truth["annotations"] and not results:
        return None
    sigmas = _sigmas(truth, categories, ids) if iou_type == "keypoints" else None
    with contextlib.redirect_stdout(io.StringIO()):  # COCOeval prints its summary table
        gt = COCO(truth)
        dt = gt.loadRes(results) if results else COCO({**truth, "annotations": []})
        evaluator = COCOeval_faster(gt, dt, iou_type, kpt_oks_sigmas=sigmas)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [float(s) for s in evaluator.stats]
    names = STAT_NAMES if iou_type != "keypoints" else _KEYPOINT_STATS
    result = APResult(iou_type, dict(zip(names, stats, strict=False)))
    precision = np.asarray(evaluator.eval["precision"])  # [T, R, K, A, M]
    by_id = {v: k for k, v in ids.items()}
    for k, cat_id in enumerate(evaluator.params.catIds):
        name = by_id[cat_id]
        block = precision[:, :, k, 0, -1]
        valid = block[block > -1]
        result.per_class[name] = float(valid.mean()) if valid.size else None
        at50 = precision[0, :, k, 0, -1]
        valid50 = at50[at50 > -1]
        result.per_class_50[name] = float(valid50.mean()) if valid50.size else None
        result.pr_curves[name] = [float(v) for v in at50] if valid50.size else None
    return result


_KEYPOINT_STATS = (
    "AP",
    "AP50",
    "AP75",
    "AP_medium",
    "AP_large",
    "AR",
    "AR50",
    "AR75",
    "AR_medium",
    "AR_large",
)


def _fits(obj: ObjectLabel, iou_type: str) -> bool:
    is_keypoints = isinstance(obj.geometry, Keypoints)
    if iou_type == "keypoints":
        return is_keypoints
    if iou_type == "segm" and is_keypoints:  # a COCO person: its outline came with the points
        return _given_segmentation(obj) is not None
    return True


def _unlabelled_person(obj: ObjectLabel, iou_type: str, categories: Mapping[str, Category]) -> int:
    """Points of the skeleton when `obj` is an object of a keypoint class with no point labelled
    (COCO's `num_keypoints: 0`), for a keypoints evaluation; else 0.
    """
    if iou_type != "keypoints" or isinstance(obj.geometry, Keypoints):
        return 0
    category = categories.get(obj.category)
    skeleton = category.skeleton if category is not None else None
    return len(skeleton.names) if skeleton is not None else 0


def _given_segmentation(obj: ObjectLabel) -> Any:
    seg = obj.extra.get("segmentation") if obj.extra else None
    return seg if seg else None


def _segmentation_rle(obj: ObjectLabel, height: int, width: int) -> dict:
    """The object's pixels as compressed RLE: the source's own segmentation where it kept one
    beside another shape (COCO keypoints), else the shape rasterised.
    """
    from pycocotools import mask as coco_mask

    given = _given_segmentation(obj) if isinstance(obj.geometry, Keypoints) else None
    if given is None:
        return as_rle(obj, height, width)
    if isinstance(given, list):
        return coco_mask.merge(coco_mask.frPyObjects(given, height, width))
    if isinstance(given.get("counts"), list):
        return coco_mask.frPyObjects(given, height, width)
    return {"size": given["size"], "counts": given["counts"].encode("ascii")}


def _annotation(
    obj: ObjectLabel, image_id: int, used: dict, iou_type: str, width: int, height: int
) -> dict:
    used.setdefault(obj.category, len(used) + 1)
    given = obj.extra.get("bbox") if obj.extra else None  # the source's, as COCOeval reads it
    if isinstance(given, list) and len(given) == 4:
        bbox = [float(v) for v in given]
    elif isinstance(obj.geometry, Box):
        bbox = [obj.geometry.x, obj.geometry.y, obj.geometry.w, obj.geometry.h]
    else:
        x0, y0, x1, y1 = obj.geometry.bounds()  # type: ignore[union-attr]
        bbox = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
    ann: dict[str, Any] = {
        "image_id": image_id,
        "_category": obj.category,
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
    }
    if iou_type == "segm":
        from pycocotools import mask as coco_mask

        encoded = _segmentation_rle(obj, height, width)
        ann["segmentation"] = {"size": encoded["size"], "counts": encoded["counts"].decode()}
        ann["area"] = float(coco_mask.area(encoded))
    elif iou_type == "keypoints":
        geometry: Keypoints = obj.geometry  # type: ignore[assignment]
        flat = np.column_stack([geometry.points, geometry.visibility]).ravel()
        ann["keypoints"] = [float(v) for v in flat]
        ann["num_keypoints"] = int((geometry.visibility > 0).sum())
    return ann


def _keypoint_count(annotations: list[dict], cat_id: int) -> int:
    for ann in annotations:
        if ann["category_id"] == cat_id:
            return len(ann["keypoints"]) // 3
    return 0


def _sigmas(truth: dict, categories: Mapping[str, Category], ids: dict[str, int]) -> list[float]:
    """One sigma list for the run (COCOeval takes one): the first keypoint category's."""
    for name, cat_id in ids.items():
        count = _keypoint_count(truth["annotations"], cat_id)
        if not count:
            continue
        given = categories.get(name).extra.get("sigmas") if categories.get(name) else None
        if given is not None and len(given) == count:
            return [float(s) for s in given]
        if count == len(COCO_PERSON_SIGMAS):
            return [float(s) for s in COCO_PERSON_SIGMAS]
        return [DEFAULT_SIGMA] * count
    return [DEFAULT_SIGMA]
