"""Generate a synthetic COCO instances file with train2017-like cardinalities (for bench_coco.py).

    python bench/make_coco.py OUT.json [--images 100000] [--annotations 800000] [--rle 0.01]

Defaults are small (10k images, 80k annotations); pass the bigger numbers for the full-scale run.
Annotations are mostly 8–40-point polygons (a few with 2 rings), ~1 % RLE crowd masks (compressed
and uncompressed), some bbox-only, some with attributes. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

import numpy as np
import orjson
from pycocotools import mask as coco_mask


def _ring(rng: random.Random, width: int, height: int) -> tuple[list[float], list[float]]:
    points = rng.randrange(8, 41)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    radius = rng.uniform(5, min(width, height) / 4)
    ring: list[float] = []
    for k in range(points):
        angle = 2 * math.pi * k / points
        r = radius * rng.uniform(0.6, 1.0)
        ring.append(round(min(max(cx + r * math.cos(angle), 0), width), 2))
        ring.append(round(min(max(cy + r * math.sin(angle), 0), height), 2))
    xs, ys = ring[0::2], ring[1::2]
    return ring, [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def _rle(rng: random.Random, width: int, height: int, compressed: bool) -> dict:
    mask = np.zeros((height, width), dtype=np.uint8, order="F")
    x0, y0 = rng.randrange(width // 2), rng.randrange(height // 2)
    mask[y0 : y0 + rng.randrange(5, height // 2), x0 : x0 + rng.randrange(5, width // 2)] = 1
    encoded = coco_mask.encode(mask)
    if compressed:
        return {"size": [height, width], "counts": encoded["counts"].decode("ascii")}
    flat = mask.ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate(([0], change, [flat.size]))).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return {"size": [height, width], "counts": runs}


def make(images: int, annotations: int, *, rle_share: float = 0.01, seed: int = 0) -> dict:
    """The COCO dict."""
    rng = random.Random(seed)
    categories = [
        {"id": i + 1, "name": f"class{i + 1}", "supercategory": f"group{i // 10}"}
        for i in range(80)
    ]
    image_list = []
    for i in range(images):
        width, height = rng.choice(((640, 480), (640, 427), (480, 640), (500, 375)))
        image_list.append(
            {
                "id": i + 1,
                "file_name": f"{i + 1:012d}.jpg",
                "width": width,
                "height": height,
                "license": 1,
                "date_captured": "2013-11-14 16:28:13",
            }
        )
    anns = []
    for a in range(annotations):
        image = image_list[a * images // annotations]
        width, height = image["width"], image["height"]
        ann: dict = {
            "id": a + 1,
            "image_id": image["id"],
            "category_id": rng.randrange(1, 81),
            "iscrowd": 0,
        }
        roll = rng.random()
        if roll < rle_share:
            ann["segmentation"] = _rle(rng, width, height, compressed=rng.random() < 0.5)
            ann["iscrowd"] = 1
            ann["bbox"] = [0.0, 0.0, float(width), float(height)]
        elif roll < rle_share + 0.05:
            _, bbox = _ring(rng, width, height)
            ann["segmentation"] = []
            ann["bbox"] = bbox
        else:
            ring, bbox = _ring(rng, width, height)
            ann["segmentation"] = [ring]
            if rng.random() < 0.05:
                ann["segmentation"].append(_ring(rng, width, height)[0])
            ann["bbox"] = bbox
        ann["area"] = round(ann["bbox"][2] * ann["bbox"][3] * 0.7, 2)
        if rng.random() < 0.1:
            ann["attributes"] = {"occluded": rng.random() < 0.3, "colour": "red"}
        anns.append(ann)
    return {
        "info": {"description": "synthetic", "version": "1.0"},
        "licenses": [{"id": 1, "name": "CC", "url": ""}],
        "images": image_list,
        "annotations": anns,
        "categories": categories,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--annotations", type=int, default=80_000)
    parser.add_argument("--rle", type=float, default=0.01, help="share of RLE annotations")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    doc = make(args.images, args.annotations, rle_share=args.rle, seed=args.seed)
    args.out.write_bytes(orjson.dumps(doc))
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {args.images:,} images, {args.annotations:,} annotations, {size:.0f} MB")


if __name__ == "__main__":
    main()
