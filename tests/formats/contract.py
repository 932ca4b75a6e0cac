"""The contract every format is held to (the way Datumaro's TestDataFormatBase holds its formats).

- Detection: each fixture is claimed by its own format above WEAK, and by no other above WEAK.
- Reading: each fixture reads with no error and with the objects an independent count finds.
- Writing: for every writer, a dataset holding every field and shape kind gives a loss report
  naming exactly what the writer's `holds` leaves out; write → read (where we read the format) is
  identity on what it holds, checked by `labelview.verify`; so is every fixture converted to every
  writer.

`random_dataset` builds the datasets of the property tests (hypothesis draws their parameters).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image

from labelview.formats._writing import Holds
from labelview.model import (
    Answer,
    ArrayMask,
    Box,
    Category,
    Dataset,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    Relation,
    RotatedBox,
    Skeleton,
    StageEvent,
)
from labelview.model.geometry import make_part

DATA = Path(__file__).parent.parent / "data"

# Fixture → (format, items, objects), counted independently of our readers (by hand or with a
# plain JSON/XML/text count noted beside each). The files are hand-made for the tests, but for
# the real ones marked below.
FIXTURES: dict[str, tuple[str, int, int]] = {
    # 3 images, 9 annotations (one object per annotation, keypoints included)
    "coco/instances.json": ("coco", 3, 9),
    # 21 object entries, one deliberately broken
    "encord/mini.json": ("encord", 6, 20),
    "encord/reviews.json": ("encord", 1, 4),
    "ango/v3_all_tools.json": ("ango", 5, 21),
    # 13 annotations: 7 shapes (2 child points join their pose; a broken segment, 2 classes and
    # a note are not objects)
    "dataloop/item_all_types.json": ("dataloop", 1, 7),
    # 7 annotations: 2 invalid, a cuboid kept without a shape
    "segments/vector_release.json": ("segments", 1, 5),
    "datagym/legacy.json": ("datagym", 1, 2),
    # 12 shapes, one a 2-point polygon (skipped with a warning)
    "labelme/sample.json": ("labelme", 1, 11),
    # img1.xml: 3 objects (one with a bad xmin, read as a warning) and a <part>
    "voc/Annotations": ("voc", 1, 3),
    "yolo/detect_segment": ("yolo", 2, 2),
    # Public CVAT XML (provenance in cvat/README.md). 6 <image>s with 2 shapes each;
    "cvat/datumaro_export_project.xml": ("cvat", 6, 12),
    # 6 visible keyframes, and the skeleton (not outside at its last keyframe) held to the last
    # frame of the task as CVAT does: 7;
    "cvat/datumaro_for_video.xml": ("cvat", 1, 7),
    # 10 boxes on 5 frames, one of them outside: 9.
    "cvat/dagshub_sample_video.xml": ("cvat", 1, 9),
    # Real files (provenance in coco_panoptic/README.md): segments_info entries, each id found in
    # its PNG (PIL + numpy.unique, see test_coco_panoptic_read.py)
    "coco_panoptic/panopticapi/panoptic_examples.json": ("coco_panoptic", 2, 50),
    "coco_panoptic/datumaro/annotations/panoptic_val.json": ("coco_panoptic", 1, 2),
    # 14 results: 8 regions (a 2-point polygon skipped), 2 answers of regions, 4 item answers,
    # a relation; a prediction's box; task 2: a predicted polygon
    "label_studio/all_types.json": ("label_studio", 2, 8),
    # real: label-studio-converter's YOLO-OBB test export, 25 rotated rectangles in 3 tasks
    "label_studio/rotated_boxes.json": ("label_studio", 3, 25),
    # real (labelformat's test export): 16 bounding boxes in 2 rows
    "labelbox/labelformat_boxes.ndjson": ("labelbox", 2, 16),
    # labelbox-python's expected image and video exports: 3 shapes and a URL-only mask; 3 frames
    "labelbox/sdk_image_video.ndjson": ("labelbox", 2, 7),
}

CATEGORIES = ("cat", "dog", "traffic light")
SKELETON = Skeleton(names=("head", "tail", "paw"), edges=((0, 1), (1, 2)))


def exact_kinds(holds: Holds) -> list[str]:
    """The shape kinds a writer declares it writes exactly."""
    return [kind for kind in MAKERS if holds.exact(kind)]


def random_dataset(
    seed: int, kinds: list[str], folder: Path, *, every_field: bool = True, each: bool = False
) -> Dataset:
    """A dataset of 1–3 images (real PNG files in `folder`) whose objects have shapes of `kinds`
    (with `each`, the first image holds one object of every kind), and every field of the model
    (when `every_field`).
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    dataset = Dataset(format="test", source=folder / "export.json")
    for name in CATEGORIES:
        dataset.categories[name] = Category(name=name, id=CATEGORIES.index(name) + 3)
    dataset.categories["animal"] = Category(name="animal", id=9, skeleton=SKELETON)
    next_id = iter(range(1001, 10_000))
    for index in range(rng.randint(1, 3)):
        width, height = rng.randint(24, 120), rng.randint(24, 120)
        path = folder / f"image_{index}.png"
        Image.new("RGB", (width, height), (index * 40, 80, 120)).save(path)
        item = Item(
            id=str(index + 1),
            name=path.name,
            image=path.name,
            image_path=path,
            width=width,
            height=height,
        )
        chosen = [rng.choice(kinds) for _ in range(rng.randint(1, 4))] if kinds else []
        if each and index == 0:
            chosen = list(kinds)
        for kind in chosen:
            category = "animal" if kind == "keypoints" else rng.choice(CATEGORIES)
            obj = ObjectLabel(category, MAKERS[kind](rng, width, height), str(next(next_id)))
            if every_field:
                _fill(obj, rng)
            item.objects.append(obj)
        if every_field:
            item.classifications = [Answer("weather", rng.choice(["sunny", "rain"]))]
            ids = [obj.id for obj in item.objects if obj.id is not None]
            if len(ids) >= 2:
                item.relations = [Relation("next to", (ids[0], ids[1]))]
            item.history = [
                StageEvent(stage="Label", actor="a@example.com", action="submitted"),
                StageEvent(stage="Review", actor="b@example.com", action="accepted"),
            ]
            item.status = "done"
        dataset.items.append(item)
    return dataset


def _fill(obj: ObjectLabel, rng: random.Random) -> None:
    obj.attributes = [Answer("occluded", rng.choice([True, False])), Answer("colour", "red")]
    obj.confidence = round(rng.uniform(0.05, 1.0), 4)
    obj.source = "model"
    obj.track = str(rng.randint(1, 3))
    obj.created_by = "a@example.com"
    obj.z_order = rng.randint(0, 5)


def _box(rng: random.Random, width: int, height: int) -> Box:
    x, y = rng.uniform(0, width - 8), rng.uniform(0, height - 8)
    return Box(
        round(x, 2),
        round(y, 2),
        round(rng.uniform(2, width - x), 2),
        round(rng.uniform(2, height - y), 2),
    )


def _rotated(rng: random.Random, width: int, height: int) -> RotatedBox:
    w, h = rng.uniform(4, width / 3), rng.uniform(4, height / 3)
    return RotatedBox(
        width / 2, height / 2, round(w, 2), round(h, 2), round(rng.uniform(-80, 80), 1)
    )


def _polygon(rng: random.Random, width: int, height: int) -> Polygon:
    # A star-shaped ring around a centre: never self-intersecting.
    cx, cy = width / 2, height / 2
    count = rng.randint(3, 8)
    angles = np.sort(np.array([rng.uniform(0, 2 * np.pi) for _ in range(count)]))
    radii = np.array([rng.uniform(3, min(width, height) / 2 - 1) for _ in range(count)])
    ring = np.round(np.column_stack((cx + radii * np.cos(angles), cy + radii * np.sin(angles))), 2)
    return Polygon.from_points(ring)


def _polygon_with_holes(rng: random.Random, width: int, height: int) -> Polygon:
    outer = np.array([[2, 2], [width - 2, 2], [width - 2, height - 2], [2, height - 2]], float)
    hole = np.array([[8, 8], [8, height - 8], [width - 8, height - 8], [width - 8, 8]], float)
    return Polygon.from_points(outer, [hole])


def _multipart(rng: random.Random, width: int, height: int) -> Polygon:
    left = np.array([[1, 1], [width / 2 - 2, 1], [width / 2 - 2, height / 2]], float)
    right = np.array([[width / 2 + 2, 1], [width - 1, 1], [width - 1, height / 2]], float)
    return Polygon((make_part(left), make_part(right)))


def _polyline(rng: random.Random, width: int, height: int) -> Polyline:
    points = [(round(rng.uniform(0, width), 2), round(rng.uniform(0, height), 2)) for _ in range(3)]
    return Polyline.from_points(points)


def _point(rng: random.Random, width: int, height: int) -> Point:
    return Point(round(rng.uniform(1, width - 1), 2), round(rng.uniform(1, height - 1), 2))


def _ellipse(rng: random.Random, width: int, height: int) -> Ellipse:
    return Ellipse(width / 2, height / 2, width / 4, height / 5, 0.0)


def _keypoints(rng: random.Random, width: int, height: int) -> Keypoints:
    points = [
        (round(rng.uniform(1, width - 1), 2), round(rng.uniform(1, height - 1), 2))
        for _ in SKELETON.names
    ]
    return Keypoints.from_lists(points, [2, 1, 2], SKELETON.names)


def _mask(rng: random.Random, width: int, height: int) -> Mask:
    array = np.zeros((height, width), dtype=bool)
    x, y = rng.randint(0, width // 2), rng.randint(0, height // 2)
    array[y : y + height // 3, x : x + width // 3] = True
    return Mask(height, width, ArrayMask(array))


MAKERS = {
    "box": _box,
    "rotated_box": _rotated,
    "polygon": _polygon,
    "polygon_with_holes": _polygon_with_holes,
    "multipart_polygon": _multipart,
    "polyline": _polyline,
    "point": _point,
    "ellipse": _ellipse,
    "keypoints": _keypoints,
    "mask": _mask,
}


def every_shape() -> dict[str, object]:
    """One geometry of every shape kind, placed apart on a 64×48 image (for writers' tests)."""
    pixels = np.zeros((48, 64), dtype=bool)
    pixels[40:44, 50:60] = True
    return {
        "box": Box(2.0, 3.0, 10.0, 8.0),
        "rotated_box": RotatedBox(30.0, 10.0, 8.0, 4.0, 30.0),
        "polygon": Polygon.from_points([[1, 20], [12, 21], [5, 30]]),
        "polygon_with_holes": Polygon.from_points(
            [[20, 20], [36, 20], [36, 34], [20, 34]], holes=[[[24, 24], [30, 24], [30, 30]]]
        ),
        "multipart_polygon": Polygon(
            (make_part([[40, 2], [46, 2], [46, 8]]), make_part([[50, 2], [56, 2], [56, 8]]))
        ),
        "polyline": Polyline.from_points([[0, 46], [20, 40], [30, 45]]),
        "point": Point(33.5, 2.25),
        "ellipse": Ellipse(10.0, 40.0, 3.0, 3.0),
        "keypoints": Keypoints.from_lists([[40, 30], [44, 33]], [2, 1], ("a", "b")),
        "mask": Mask(48, 64, ArrayMask(pixels)),
    }
