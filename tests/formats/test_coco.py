"""COCO JSON: detection, reading, writing, round trip, located warnings, real samples."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from labelview import formats
from labelview.errors import Cancelled
from labelview.formats import coco
from labelview.formats.base import Confidence, Probe, ReadContext, WriteContext
from labelview.model import (
    Answer,
    Box,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Skeleton,
)
from labelview.model.geometry import ArrayMask
from labelview.ops import rle
from labelview.output import OutputDir

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "coco"


def _read(path: Path) -> Dataset:
    return formats.read(path, format="coco")


def _write(dataset: Dataset, folder: Path, **options: object) -> tuple[dict, object]:
    out = OutputDir(folder)
    report = coco.write(dataset, out, coco.CocoOptions(**options), WriteContext())
    out.commit()
    return json.loads((folder / "annotations.json").read_text()), report


def _objects(dataset: Dataset, name: str) -> dict[str, list[ObjectLabel]]:
    item = next(item for item in dataset.items if item.name == name)
    found: dict[str, list[ObjectLabel]] = {}
    for obj in item.objects:
        found.setdefault(obj.id, []).append(obj)
    return found


# --- detection ------------------------------------------------------------------------------------


def test_detects_its_own_file_as_certain() -> None:
    verdict = coco.detect(Probe.of(FIXTURE / "instances.json"))
    assert verdict.confidence == Confidence.CERTAIN
    assert formats.detect(FIXTURE / "instances.json").name == "coco"


def test_detects_a_head_cut_before_categories(tmp_path: Path) -> None:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 4, "height": 3} for i in range(5000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"info": {}, "images": images, "annotations": [], "categories": []}))
    probe = Probe.of(path)
    assert len(probe.head) < probe.size  # the head really is cut inside images[]
    assert coco.detect(probe).confidence == Confidence.LIKELY


def test_detects_a_results_list_and_not_other_json(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps([{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1]}]))
    assert coco.detect(Probe.of(results)).confidence == Confidence.LIKELY
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"annotations": [{"label": "a", "type": "box"}], "name": "x"}))
    assert coco.detect(Probe.of(other)).confidence == Confidence.WEAK
    text = tmp_path / "labels.txt"
    text.write_text("0 0.5 0.5 0.1 0.1\n")
    assert coco.detect(Probe.of(text)).confidence == Confidence.NO


def test_other_formats_fixtures_are_at_most_weak() -> None:
    data = FIXTURE.parent
    checked = 0
    for path in sorted(data.rglob("*")):
        is_coco = "coco" in path.relative_to(data).parts or path.name.endswith(".coco.json")
        if path.is_file() and not is_coco:
            assert coco.detect(Probe.of(path)).confidence <= Confidence.WEAK, path
            checked += 1
    assert checked > 0


@pytest.mark.samples
def test_other_platforms_samples_are_at_most_weak(samples: Path) -> None:
    checked = 0
    for path in sorted(samples.rglob("*.json")):
        relative = path.relative_to(samples).as_posix()
        if relative.startswith("standard/coco/") or path.name.endswith(".coco.json"):
            continue
        assert coco.detect(Probe.of(path)).confidence <= Confidence.WEAK, relative
        checked += 1
    assert checked > 10


# --- reading --------------------------------------------------------------------------------------


def test_reads_images_and_categories() -> None:
    dataset = _read(FIXTURE / "instances.json")
    assert [(i.id, i.name, i.width, i.height) for i in dataset.items] == [
        ("10", "images/a.jpg", 8, 6),
        ("11", "b.png", 5, 4),
    ]
    assert dataset.items[0].extra == {"license": 1}
    assert list(dataset.categories) == ["cat", "dog", "person"]
    assert [c.id for c in dataset.categories.values()] == [1, 3, 5]
    person = dataset.categories["person"]
    assert person.skeleton == Skeleton(
        names=("nose", "left_eye", "right_eye"), edges=((0, 1), (0, 2))
    )
    assert dataset.categories["cat"].supercategory == "animal"
    assert dataset.issues == []


def test_reads_every_geometry_kind() -> None:
    dataset = _read(FIXTURE / "instances.json")
    a = _objects(dataset, "images/a.jpg")
    (cat,) = a["1"]
    assert isinstance(cat.geometry, Polygon)
    assert cat.geometry.parts[0].outer.tolist() == [[1, 1], [4, 1], [4, 3], [1, 3]]
    assert [(x.name, x.value) for x in cat.attributes] == [("occluded", False), ("colour", "red")]
    assert cat.track == "7"
    (dog,) = a["2"]
    assert len(dog.geometry.parts) == 2  # two rings: a union of two parts, not a hole
    assert dog.geometry.parts[1].outer.tolist() == [[5.5, 3], [7.5, 3], [7.5, 4.5], [5.5, 4.5]]
    (crowd,) = a["4"]
    assert isinstance(crowd.geometry, Mask)
    assert crowd.extra == {"iscrowd": 1}
    expected = np.zeros((6, 8), dtype=bool)
    expected[4:6, 0:3] = True
    assert np.array_equal(crowd.geometry.decode(), expected)
    assert crowd.geometry.area == 6
    assert crowd.geometry.bbox() == (0.0, 4.0, 3.0, 2.0)
    (rotated,) = a["7"]
    assert rotated.geometry == RotatedBox(3.0, 2.5, 2.0, 1.0, 90.0)

    b = _objects(dataset, "b.png")
    (ring,) = b["3"]
    mask = ring.geometry.decode()
    assert mask.shape == (4, 5)
    assert mask[0:3, 1:4].sum() == 8
    assert not mask[1, 2]
    keypoints, outline = b["5"]  # keypoints and the person's polygon share the annotation id
    assert isinstance(keypoints.geometry, Keypoints)
    assert keypoints.geometry.points.tolist() == [[1, 0.5], [1.5, 1], [0, 0]]
    assert keypoints.geometry.visibility.tolist() == [2, 1, 0]
    assert keypoints.geometry.names == ("nose", "left_eye", "right_eye")
    assert keypoints.extra == {"bbox": [0, 0, 2, 4]}
    assert isinstance(outline.geometry, Polygon)
    (scored,) = b["6"]
    assert scored.geometry == Box(3.0, 2.5, 1.5, 1.5)
    assert (scored.confidence, scored.source) == (0.875, "model")


def test_bad_objects_are_skipped_with_located_warnings() -> None:
    dataset = _read(FIXTURE / "broken.json")
    messages = [f"{issue.where}: {issue.message}" for issue in dataset.issues]
    assert messages == [
        "annotations[0]: polygon has 2 points",
        "annotations[1]: RLE runs sum to 11, expected height·width = 12",
        "annotations[2]: image_id 99 not in images",
        "annotations[3].segmentation: a flat list of numbers, not a list of rings: "
        "read as one ring",
        "annotations[4]: category_id 42 not in categories",
        "annotations[5]: polygon ring has an odd count of numbers (7)",
        "annotations[7]: polygon has null, NaN or infinite coordinates",
        "annotations[8]: not a JSON object: 'not an annotation'",
    ]
    assert all(issue.file == "broken.json" for issue in dataset.issues)
    # The rest still loads: the flat ring (4) and the good polygon (7).
    objects = dataset.items[0].objects
    assert [obj.id for obj in objects] == ["4", "7"]
    assert objects[0].geometry.parts[0].outer.tolist() == [[0, 0], [2, 0], [2, 2]]


def test_unreadable_file_fails_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"images": [{"id": 1,')
    with pytest.raises(formats.FormatError, match=r"cut\.json"):
        _read(path)
    other = tmp_path / "other.json"
    other.write_text('{"name": 1}')
    with pytest.raises(formats.FormatError, match="not a COCO file"):
        _read(other)


def test_string_ids_and_ints_written_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "dataloop.json"
    doc = {
        "images": [{"id": "64a1f", "file_name": "x/y.jpg", "width": 4, "height": 4}, {"id": 7}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": "ann-1", "image_id": "64a1f", "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 2, "image_id": "7", "category_id": "1", "bbox": [1, 1, 1, 1]},
            # Dataloop writes boxes with `segmentation: [[]]`.
            {
                "id": 3,
                "image_id": "7",
                "category_id": 1,
                "segmentation": [[]],
                "bbox": [0, 1, 2, 3],
            },
        ],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    assert [obj.id for obj in dataset.items[0].objects] == ["ann-1"]
    assert [(o.id, o.geometry) for o in dataset.items[1].objects] == [
        ("2", Box(1, 1, 1, 1)),
        ("3", Box(0, 1, 2, 3)),
    ]
    assert [issue.where for issue in dataset.issues] == ["images[1]"]  # no size


def test_zero_based_skeleton_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "dataloop.json"
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}],
        "categories": [
            {"id": 1, "name": "p", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [0, 1]]},
            {"id": 2, "name": "q", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3]]},
        ],
        "annotations": [],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    assert dataset.categories["p"].skeleton.edges == ((1, 2), (0, 1))
    assert dataset.categories["q"].skeleton.edges == ((0, 1), (1, 2))
    assert [issue.where for issue in dataset.issues] == ["categories[0].skeleton"]
    assert "0-based" in dataset.issues[0].message


def test_encord_shape_hints_and_rle_size_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "encord.coco.json"
    doc = {
        "images": [{"id": 0, "file_name": "images/h.jpg", "width": 10, "height": 8}],
        "categories": [
            {"id": 1, "name": "Box", "supercategory": "bounding_box"},
            {"id": 2, "name": "Line", "supercategory": "polyline"},
            {"id": 3, "name": "Point", "supercategory": "point", "keypoints": "keypoint"},
            {"id": 4, "name": "Mask", "supercategory": "bitmask"},
        ],
        "annotations": [
            {
                "id": 0,
                "image_id": 0,
                "category_id": 1,
                "bbox": [1, 2, 3, 4],
                "segmentation": [[1, 2, 4, 2, 4, 6, 1, 6]],
                "attributes": {"track_id": 0},
            },
            {
                "id": 1,
                "image_id": 0,
                "category_id": 2,
                "bbox": [0, 0, 5, 5],
                "area": 0,
                "segmentation": [[0, 0, 2, 3, 5, 5, 5, 5, 2, 3, 0, 0]],
            },
            {
                "id": 2,
                "image_id": 0,
                "category_id": 3,
                "bbox": [7, 1, 0, 0],
                "segmentation": [[7, 1]],
                "keypoints": [7, 1, 2],
                "num_keypoints": 1,
            },
            {
                "id": 3,
                "image_id": 0,
                "category_id": 4,
                "bbox": [0, 0, 1, 1],
                "segmentation": {"size": [2, 3], "counts": "06"},
                "iscrowd": 1,
            },
        ],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    box, line, point, mask = dataset.items[0].objects
    assert (box.geometry, box.track) == (Box(1, 2, 3, 4), "0")
    assert isinstance(line.geometry, Polyline)
    assert line.geometry.points.tolist() == [[0, 0], [2, 3], [5, 5]]
    assert point.geometry == Point(7.0, 1.0)
    assert (mask.geometry.height, mask.geometry.width) == (2, 3)
    assert mask.geometry.decode().all()
    assert [f"{i.where}: {i.message}" for i in dataset.issues] == [
        "annotations[3].segmentation: RLE size [h, w] = [2, 3] differs from the image's 10×8"
    ]


def test_results_list_is_read_as_predictions(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    results = [
        {"image_id": 42, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5},
        {"image_id": 42, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.25},
    ]
    path.write_text(json.dumps(results))
    dataset = _read(path)
    assert [item.name for item in dataset.items] == ["42"]
    assert list(dataset.categories) == ["1", "3"]
    assert [(o.category, o.geometry, o.confidence) for o in dataset.items[0].objects] == [
        ("3", Box(1, 2, 3, 4), 0.5),
        ("1", Box(0, 0, 1, 1), 0.25),
    ]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = FIXTURE / "instances.json"
    ctx = ReadContext(file=path)
    ctx.control.on_progress = lambda done, total: seen.append((done, total))
    coco.read(path, ctx)
    assert seen[0] == (0, 7)
    assert seen[-1] == (7, 7)


def test_cancel_stops_reading() -> None:
    path = FIXTURE / "instances.json"
    ctx = ReadContext(file=path)
    ctx.control.cancel_event = threading.Event()
    ctx.control.cancel_event.set()
    with pytest.raises(Cancelled):
        coco.read(path, ctx)


# --- writing --------------------------------------------------------------------------------------


def test_round_trip_is_identity_on_coco_fields(tmp_path: Path) -> None:
    source = json.loads((FIXTURE / "instances.json").read_text())
    first = _read(FIXTURE / "instances.json")
    written, report = _write(first, tmp_path / "out")
    assert report.dropped == {}
    assert [c["id"] for c in written["categories"]] == [1, 2, 3]
    assert written["categories"][2]["keypoints"] == ["nose", "left_eye", "right_eye"]
    assert written["categories"][2]["skeleton"] == [[1, 2], [1, 3]]  # 1-based again
    assert [a["id"] for a in written["annotations"]] == list(range(1, 8))
    assert [(i["id"], i["file_name"]) for i in written["images"]] == [
        (1, "images/a.jpg"),
        (2, "b.png"),
    ]
    by_name = {ann["id"]: ann for ann in source["annotations"]}
    category_names = {c["id"]: c["name"] for c in source["categories"]}
    new_names = {c["id"]: c["name"] for c in written["categories"]}
    assert len(written["annotations"]) == len(source["annotations"])
    for ann in written["annotations"]:
        original = by_name[int(ann.get("attributes", {}).get("object_id", ann["id"]))]
        assert new_names[ann["category_id"]] == category_names[original["category_id"]]
        assert ann["iscrowd"] == original["iscrowd"]
        assert ann.get("score") == original.get("score")
        assert ann.get("keypoints") == original.get("keypoints")
        assert ann.get("num_keypoints") == original.get("num_keypoints")
        seg, orig_seg = ann["segmentation"], original["segmentation"]
        if isinstance(orig_seg, dict):
            _height, _width = orig_seg["size"]
            assert np.array_equal(rle.decode_coco(seg), rle.decode_coco(orig_seg))
            assert isinstance(seg["counts"], str)
        elif original.get("attributes", {}).get("rotation"):
            continue  # checked in test_rotated_box_round_trip
        else:
            assert seg == orig_seg
            assert ann["bbox"] == pytest.approx(original["bbox"])
        assert ann["area"] == pytest.approx(original["area"])
    second = _read(tmp_path / "out" / "annotations.json")
    assert second.issues == []
    for item_a, item_b in zip(first.items, second.items, strict=True):
        assert (item_a.name, item_a.width, item_a.height) == (
            item_b.name,
            item_b.width,
            item_b.height,
        )
        assert [(o.category, o.kind, o.track, o.confidence) for o in item_a.objects] == [
            (o.category, o.kind, o.track, o.confidence) for o in item_b.objects
        ]
        assert [[(x.name, x.value) for x in o.attributes] for o in item_a.objects] == [
            [(x.name, x.value) for x in o.attributes] for o in item_b.objects
        ]


def test_rotated_box_round_trip(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("boat")
    box = RotatedBox(50.0, 40.0, 20.0, 10.0, 30.0)
    dataset.items.append(Item(id="1", name="a.jpg", width=100, height=80))
    dataset.items[0].objects.append(ObjectLabel("boat", box))
    written, _ = _write(dataset, tmp_path / "out")
    (ann,) = written["annotations"]
    corners = np.array(ann["segmentation"][0]).reshape(-1, 2)
    assert corners == pytest.approx(box.corners())
    x0, y0, x1, y1 = box.bounds()
    assert ann["bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0])
    assert ann["attributes"] == {"rotation": 30.0}
    back = _read(tmp_path / "out" / "annotations.json").items[0].objects[0].geometry
    assert isinstance(back, RotatedBox)
    assert (back.cx, back.cy, back.w, back.h, back.angle) == pytest.approx((50, 40, 20, 10, 30))


def test_writer_keeps_holes_as_rle_and_reports_lossy_shapes(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("thing")
    item = Item(id="1", name="sub/a.jpg", width=10, height=8)
    holed = Polygon.from_points(
        [[1, 1], [9, 1], [9, 7], [1, 7]], [[[4, 3], [6, 3], [6, 5], [4, 5]]]
    )
    item.objects = [
        ObjectLabel("thing", holed, "h"),
        ObjectLabel("thing", Polyline.from_points([[0, 0], [3, 4]]), "l"),
        ObjectLabel("thing", Point(2.0, 3.0), "p"),
        ObjectLabel("thing", Ellipse(5.0, 4.0, 3.0, 2.0), "e"),
        ObjectLabel("new", Box(0, 0, 2, 2), "b", attributes=[Answer("size", "big")]),
    ]
    dataset.items.append(item)
    written, report = _write(dataset, tmp_path / "out")
    holes, line, point, ellipse, box = written["annotations"]
    assert holes["iscrowd"] == 0
    mask = rle.decode_coco(holes["segmentation"])
    assert int(mask.sum()) == 48 - 4
    assert not mask[3:5, 4:6].any()
    assert holes["area"] == 44
    assert holes["bbox"] == [1, 1, 8, 6]
    assert (line["segmentation"], line["bbox"]) == ([], [0, 0, 3, 4])
    assert point["bbox"] == [2, 3, 0, 0]
    assert len(ellipse["segmentation"][0]) == 128
    assert box["attributes"] == {"size": "big", "object_id": "b"}
    assert written["categories"][-1]["name"] == "new"
    assert report.dropped == {
        "polyline has no COCO shape: written as its bounding box": 1,
        "point has no COCO shape: written as its bounding box": 1,
        "ellipse written as a 64-point polygon": 1,
    }


def test_polygon_area_is_pycocotools_rasterised(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("t")
    triangle = Polygon.from_points([[0.5, 0.5], [6.2, 1.1], [2.3, 5.7]])
    dataset.items.append(Item(id="1", name="a.png", width=8, height=8))
    dataset.items[0].objects.append(ObjectLabel("t", triangle))
    written, _ = _write(dataset, tmp_path / "out")
    flat = triangle.parts[0].outer.ravel().tolist()
    expected = coco_mask.area(coco_mask.frPyObjects([flat], 8, 8)[0])
    assert written["annotations"][0]["area"] == float(expected)


def test_masks_as_polygons_option(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("m")
    block = np.zeros((6, 7), dtype=bool)
    block[1:4, 2:6] = True
    ring = block.copy()
    ring[2, 3] = False
    item = Item(id="1", name="a.png", width=7, height=6)
    item.objects = [
        ObjectLabel("m", Mask(6, 7, ArrayMask(block))),
        ObjectLabel("m", Mask(6, 7, ArrayMask(ring))),
    ]
    dataset.items.append(item)
    written, report = _write(dataset, tmp_path / "out", masks="polygon")
    solid, holed = written["annotations"]
    assert solid["segmentation"] == [[2, 1, 6, 1, 6, 4, 2, 4]]
    assert solid["area"] == 12
    assert solid["bbox"] == [2, 1, 4, 3]
    assert np.array_equal(rle.decode_coco(holed["segmentation"]), ring)  # the hole forces RLE
    assert report.dropped == {"mask with holes kept as RLE (COCO polygons cannot hold holes)": 1}


def test_multi_frame_item_is_one_image_per_frame(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("car")
    video = Item(id="v", name="clip.mp4", kind="video", width=20, height=10)
    video.frames = [Frame(index=0), Frame(index=3, image="frames/3.jpg")]
    video.objects = [
        ObjectLabel("car", Box(1, 1, 2, 2), "a", frame=0, track="t1"),
        ObjectLabel("car", Box(2, 1, 2, 2), "a", frame=3, track="t1"),
    ]
    dataset.items.append(video)
    written, report = _write(dataset, tmp_path / "out")
    assert [(i["id"], i["file_name"]) for i in written["images"]] == [
        (1, "clip.mp4#0"),
        (2, "frames/3.jpg"),
    ]
    assert [
        (a["image_id"], a["bbox"][0], a["attributes"]["track_id"]) for a in written["annotations"]
    ] == [
        (1, 1.0, "t1"),
        (2, 2.0, "t1"),
    ]
    assert report.items == 1
    assert report.objects == 2


def test_keypoints_without_skeleton_and_images_copied(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG fake")
    dataset = Dataset()
    dataset.category("hand")
    item = Item(id="1", name="a.png", width=10, height=10, image_path=image)
    points = Keypoints.from_lists([[1, 2], [3, 4]], [2, 1])
    item.objects = [ObjectLabel("hand", points, "k")]
    dataset.items.append(item)
    written, _ = _write(dataset, tmp_path / "out", images="copy")
    (ann,) = written["annotations"]
    assert ann["keypoints"] == [1, 2, 2, 3, 4, 1]
    assert ann["num_keypoints"] == 2
    assert ann["bbox"] == [1, 2, 2, 2]
    assert written["categories"][0]["keypoints"] == ["1", "2"]
    assert (tmp_path / "out" / "images" / "a.png").read_bytes() == b"\x89PNG fake"


# --- real samples ---------------------------------------------------------------------------------


@pytest.mark.samples
def test_mmpose_person_keypoints(samples: Path) -> None:
    dataset = _read(samples / "standard/coco/mmpose_person-keypoints_4img/test_coco.json")
    counts = dataset.counts()
    assert len(dataset.items) == 4
    assert counts["kind"]["polygon"] == 14
    person = dataset.categories["person"]
    assert len(person.skeleton.names) == 17
    assert len(person.skeleton.edges) == 19
    assert person.skeleton.edges[0] == (15, 13)  # [16, 14] 1-based
    visibility = np.concatenate(
        [o.geometry.visibility for _, o in dataset.objects() if o.kind == "keypoints"]
    )
    # Persons whose 17 points are all v=0 carry no keypoints object.
    assert (visibility == 2).sum() == 164
    assert (visibility == 1).sum() == 17
    assert dataset.issues == []


@pytest.mark.samples
def test_labelme_rings_are_parts_of_one_object(samples: Path) -> None:
    dataset = _read(samples / "standard/coco/labelme_instance-seg_voc2011-3img/annotations.json")
    parts = sorted(len(o.geometry.parts) for _, o in dataset.objects())
    assert len(parts) == 12
    assert parts[-2:] == [2, 4]
    assert dataset.categories["_background_"].id == 0


@pytest.mark.samples
def test_datumaro_keypoints_and_uncompressed_crowd(samples: Path) -> None:
    folder = samples / "standard/coco/datumaro_person-keypoints_toy/annotations"
    dataset = _read(folder / "person_keypoints_val.json")
    assert dataset.categories["a"].skeleton.edges == ((0, 1), (1, 2))
    assert dataset.categories["a"].skeleton.names == ("1", "2", "3")
    crowd = next(o for _, o in dataset.objects() if o.kind == "mask")
    assert crowd.extra == {"iscrowd": 1}
    assert crowd.geometry.decode()[:, 0].all()
    assert crowd.geometry.area == 20


@pytest.mark.samples
def test_panoptic_detection_format_compressed_rle(samples: Path) -> None:
    folder = samples / "standard/coco/panopticapi_compressed-rle-and-panoptic_2img"
    dataset = _read(folder / "panoptic_coco_detection_format.json")
    masks = [o for _, o in dataset.objects()]
    assert len(masks) == 50
    assert all(o.kind == "mask" for o in masks)
    assert sum(1 for o in masks if o.extra and o.extra.get("iscrowd")) == 3
    assert "0" in {o.id for o in masks}
    assert dataset.categories["person"].color == (220, 20, 60)


@pytest.mark.samples
def test_encord_coco_export(samples: Path) -> None:
    dataset = _read(samples / "encord/encord-sdk_coco-export-example_image-bboxes.coco.json")
    boxes = [o for _, o in dataset.objects()]
    assert [o.kind for o in boxes] == ["box", "box"]
    assert boxes[0].geometry.x == pytest.approx(2713.1290800192946)
    assert boxes[0].source == "manual"
    assert boxes[0].track is not None


@pytest.mark.samples
def test_cocoapi_results_files(samples: Path) -> None:
    folder = samples / "standard/coco/cocoapi_results-format_val2014"
    boxes = _read(folder / "instances_val2014_fakebbox100_results.json")
    assert boxes.object_count == 734
    assert len(boxes.items) == 99
    assert all(o.confidence is not None for _, o in boxes.objects())
    segm = _read(folder / "instances_val2014_fakesegm100_results.json")
    assert segm.object_count == 734
    assert segm.counts()["kind"] == {"mask": 734}


def _standard_doc(annotations: list[dict], **image: object) -> dict:
    return {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10, **image}],
        "categories": [{"id": 1, "name": "Line", "supercategory": "polyline"}],
        "annotations": annotations,
    }


def test_plain_annotation_follows_encord_shape_hint(tmp_path: Path) -> None:
    # Exactly the seven standard keys (the reader's fast path) must still honour the hint.
    ann = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [0, 0, 5, 5],
        "area": 0,
        "iscrowd": 0,
        "segmentation": [[0, 0, 2, 3, 5, 5, 5, 5, 2, 3, 0, 0]],
    }
    path = tmp_path / "hint.json"
    path.write_text(json.dumps(_standard_doc([ann])))
    (obj,) = _read(path).items[0].objects
    assert isinstance(obj.geometry, Polyline)
    assert obj.geometry.points.tolist() == [[0, 0], [2, 3], [5, 5]]


def test_image_attributes_that_are_not_an_object_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "attrs.json"
    path.write_text(json.dumps(_standard_doc([], attributes=["night", "rain"])))
    dataset = _read(path)
    assert dataset.items[0].extra["attributes"] == ["night", "rain"]
    assert any("attributes" in issue.where for issue in dataset.issues)


def test_huge_integer_coordinate_is_one_warning(tmp_path: Path) -> None:
    good = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [1, 1, 2, 2],
        "area": 4,
        "iscrowd": 0,
        "segmentation": [[1, 1, 3, 1, 3, 3, 1, 3]],
    }
    huge = {**good, "id": 2, "segmentation": [[1, 1, 10**400, 1, 3, 3]]}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(_standard_doc([good, huge])))
    dataset = _read(path)
    assert [obj.id for obj in dataset.items[0].objects] == ["1"]
    assert [issue.where for issue in dataset.issues] == ["annotations[1]"]
