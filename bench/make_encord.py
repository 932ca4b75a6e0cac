"""Write a large synthetic Encord export (default 100k objects) for bench_encord.py.

Usage: python bench/make_encord.py [OUT.json] [--objects N]. Deterministic (seeded). The mix follows
real exports: mostly boxes and polygons (with both `polygon` and `polygons`, like 2024+ exports),
some rotated boxes, points, polylines, skeletons and full-frame bitmasks; every object has an
`object_answers` entry; image rows plus a few long videos.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labelview.ops.rle import encode_row_major

SHAPES = (
    ("bounding_box", 0.55),
    ("polygon", 0.30),
    ("rotatable_bounding_box", 0.05),
    ("point", 0.04),
    ("polyline", 0.03),
    ("skeleton", 0.02),
    ("bitmask", 0.01),
)
W, H = 1280, 720
USERS = ("ana@example.com", "ben@example.com", "cho@example.com")


def stamp(rng: np.random.Generator) -> str:
    return f"Mon, 02 Sep 2024 {rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}:00 "


def make_object(rng: np.random.Generator, shape: str, index: int, masks: list[str]) -> dict:
    x, y = (float(v) for v in rng.uniform(0, 0.8, 2))
    w, h = (float(v) for v in rng.uniform(0.02, 0.2, 2))
    obj = {
        "objectHash": f"o{index:07x}",
        "featureHash": f"f{shape[:7]}",
        "name": shape.replace("_", " ").title(),
        "value": shape,
        "color": "#D33115",
        "shape": shape,
        "confidence": 1,
        "manualAnnotation": bool(rng.random() < 0.8),
        "createdBy": USERS[index % 3],
        "createdAt": stamp(rng),
        "lastEditedBy": USERS[index % 3],
        "lastEditedAt": stamp(rng),
    }
    if shape == "bounding_box":
        obj["boundingBox"] = {
            "x": round(x, 4),
            "y": round(y, 4),
            "w": round(w, 4),
            "h": round(h, 4),
        }
    elif shape == "rotatable_bounding_box":
        obj["rotatableBoundingBox"] = {
            "x": round(x, 4),
            "y": round(y, 4),
            "w": round(w, 4),
            "h": round(h, 4),
            "theta": round(float(rng.uniform(0, 360)), 4),
        }
    elif shape in ("polygon", "polyline"):
        n = int(rng.integers(6, 20))
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        pts = np.column_stack((x + w / 2 + w / 2 * np.cos(t), y + h / 2 + h / 2 * np.sin(t))).round(
            4
        )
        obj[shape] = {str(i): {"x": float(px), "y": float(py)} for i, (px, py) in enumerate(pts)}
        if shape == "polygon":
            obj["polygons"] = [[pts.ravel().tolist()]]
    elif shape == "point":
        obj["point"] = {"0": {"x": round(x, 4), "y": round(y, 4)}}
    elif shape == "skeleton":
        obj["skeleton"] = {
            str(i): {
                "x": round(x + w * i / 7, 4),
                "y": round(y + h * (i % 3) / 2, 4),
                "name": f"point_{i}",
                "color": "#000000",
                "value": f"point_{i}",
                "featureHash": f"kp{i:06d}",
                "visibility": ("visible", "occluded", "invisible")[i % 3],
            }
            for i in range(7)
        }
    else:
        obj["bitmask"] = {
            "top": 0,
            "left": 0,
            "width": W,
            "height": H,
            "rleString": masks[index % len(masks)],
        }
    return obj


def answer(index: int) -> dict:
    return {
        "objectHash": f"o{index:07x}",
        "classifications": [
            {
                "name": "Occluded",
                "value": "occluded",
                "featureHash": "aOcclud1",
                "manualAnnotation": True,
                "answers": [{"name": "No", "value": "no", "featureHash": "oNo00001"}],
            }
        ],
    }


def make_masks(rng: np.random.Generator, count: int = 16) -> list[str]:
    yy, xx = np.mgrid[0:H, 0:W]
    masks = []
    for _ in range(count):
        cx, cy = rng.uniform(200, W - 200), rng.uniform(150, H - 150)
        rx, ry = rng.uniform(40, 180, 2)
        wobble = 1 + 0.15 * np.sin(np.arctan2(yy - cy, xx - cx) * 7)
        masks.append(encode_row_major(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < wobble))
    return masks


def row(title: str, data_type: str, labels: dict, answers: dict, index: int) -> dict:
    unit = {
        "data_hash": f"d{index:07x}",
        "data_title": title,
        "data_type": "video/mp4" if data_type == "video" else "image/jpeg",
        "data_sequence": 0,
        "data_link": f"s3://bucket/{title}",
        "width": W,
        "height": H,
        "labels": labels,
    }
    if data_type == "video":
        unit["data_fps"] = 25.0
    return {
        "label_hash": f"l{index:07x}",
        "branch_name": "main",
        "created_at": "2024-09-02 05:10:52",
        "last_edited_at": "2024-09-03 07:00:00",
        "dataset_hash": "dataset",
        "dataset_title": "bench",
        "data_title": title,
        "data_hash": unit["data_hash"],
        "data_type": data_type,
        "data_units": {unit["data_hash"]: unit},
        "object_answers": answers,
        "classification_answers": {},
        "object_actions": {},
        "label_status": "LABELLED",
    }


def generate(total: int, seed: int = 7) -> list[dict]:
    """Label rows holding `total` objects: 80% on images (40 each), 20% on videos."""
    rng = np.random.default_rng(seed)
    masks = make_masks(rng)
    names = [name for name, _ in SHAPES]
    weights = np.array([w for _, w in SHAPES])
    rows: list[dict] = []
    made = 0
    video_share = total // 5
    while made < total - video_share:
        objects, answers = [], {}
        for _ in range(min(40, total - video_share - made)):
            shape = names[rng.choice(len(names), p=weights)]
            objects.append(make_object(rng, shape, made, masks))
            answers[objects[-1]["objectHash"]] = answer(made)
            made += 1
        labels = {"objects": objects, "classifications": []}
        rows.append(row(f"img_{len(rows):06d}.jpg", "image", labels, answers, len(rows)))
    while made < total:
        labels, answers = {}, {}
        for frame in range(200):
            objects = []
            for track in range(min(25, total - made)):
                obj = make_object(rng, "bounding_box", made, masks)
                obj["objectHash"] = f"t{len(rows):03d}{track:04d}"
                objects.append(obj)
                made += 1
            if objects:
                labels[str(frame)] = {"objects": objects, "classifications": []}
        for track in range(25):
            answers[f"t{len(rows):03d}{track:04d}"] = answer(0)
        rows.append(row(f"video_{len(rows):03d}.mp4", "video", labels, answers, len(rows)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=Path("/tmp/encord_100k.json"))
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    rows = generate(args.objects)
    args.out.write_bytes(orjson.dumps(rows))
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {len(rows):,} rows, {args.objects:,} objects, {size:.1f} MB")


if __name__ == "__main__":
    main()
