"""Seeded predictions made from a COCO ground truth: shifted, dropped, relabelled, extra, scored.

Works on the raw JSON (no labelview code), so pycocotools can score the same predictions as an
independent oracle.
"""

from __future__ import annotations

import copy
import random


def predictions(truth: dict, seed: int) -> list[dict]:
    """COCO results (with `score`) for the ground truth's annotations, perturbed."""
    rng = random.Random(seed)
    category_ids = [c["id"] for c in truth["categories"]]
    sizes = {image["id"]: (image["width"], image["height"]) for image in truth["images"]}
    points = next((len(a["keypoints"]) // 3 for a in truth["annotations"] if a.get("keypoints")), 0)
    results = []
    for ann in truth["annotations"]:
        if rng.random() < 0.15:
            continue  # a missed object
        dx, dy = rng.uniform(-6, 6), rng.uniform(-6, 6)
        new = {
            "image_id": ann["image_id"],
            "category_id": ann["category_id"] if rng.random() > 0.1 else rng.choice(category_ids),
            "score": rng.random(),
        }
        x, y, w, h = ann["bbox"]
        new["bbox"] = [x + dx, y + dy, w * rng.uniform(0.9, 1.1), h * rng.uniform(0.9, 1.1)]
        seg = ann.get("segmentation")
        if isinstance(seg, list) and seg:
            new["segmentation"] = [
                [v + (dx if i % 2 == 0 else dy) for i, v in enumerate(ring)] for ring in seg
            ]
        elif seg:
            new["segmentation"] = copy.deepcopy(seg)  # RLE: kept in place
        if ann.get("keypoints"):
            if not any(ann["keypoints"][2::3]):
                continue  # a detector does not predict a person with no point at all
            kps = list(ann["keypoints"])
            for i in range(0, len(kps), 3):
                if kps[i + 2] > 0:
                    kps[i] += rng.uniform(-4, 4)
                    kps[i + 1] += rng.uniform(-4, 4)
            new["keypoints"] = kps
        results.append(new)
    for image_id, (width, height) in sizes.items():  # extra detections
        for _ in range(rng.randint(0, 2)):
            w, h = rng.uniform(5, width / 3), rng.uniform(5, height / 3)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            extra = {
                "image_id": image_id,
                "category_id": rng.choice(category_ids),
                "score": rng.random() * 0.6,
                "bbox": [x, y, w, h],
                "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]],
            }
            if points:
                extra["keypoints"] = [
                    v
                    for _ in range(points)
                    for v in (rng.uniform(x, x + w), rng.uniform(y, y + h), 2)
                ]
            results.append(extra)
    return results


def as_document(truth: dict, results: list[dict]) -> dict:
    """The predictions as a whole COCO file (images and categories of the truth), for a reader."""
    annotations = []
    for index, ann in enumerate(results, start=1):
        annotations.append({"id": index, "iscrowd": 0, **ann})
    return {
        "images": truth["images"],
        "categories": truth["categories"],
        "annotations": annotations,
    }
