"""COCO JSON: detection, reading, writing, round trip, located warnings, real samples."""

from __future__ import annotations

import contextlib
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from labelview import formats
from labelview.convert import convert
from labelview.errors import Cancelled
from labelview.formats import coco
from labelview.formats.base import Confidence, Probe, ReadContext, WriteContext
from labelview.model import (
    Answer,
    Box,
    Category,
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
    options.setdefault("images", "none")
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
        ("0", "c.jpg", 6, 4),
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
    # The source's values the writer gives back: crowd RLE bbox/area are not recomputed.
    assert crowd.extra == {"iscrowd": 1, "bbox": [0, 4, 3, 2], "area": 6.0}
    assert crowd.geometry.source.counts == [4, 2, 4, 2, 4, 2, 30]  # uncompressed, as given
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
    # One annotation, one object: the keypoints, with the person's outline, box and area kept.
    (keypoints,) = b["5"]
    assert isinstance(keypoints.geometry, Keypoints)
    assert keypoints.geometry.points.tolist() == [[1, 0.5], [1.5, 1], [0, 0]]
    assert keypoints.geometry.visibility.tolist() == [2, 1, 0]
    assert keypoints.geometry.names == ("nose", "left_eye", "right_eye")
    assert keypoints.extra == {
        "bbox": [0, 0, 2, 4],
        "area": 8.0,
        "segmentation": [[0, 0, 2, 0, 2, 4, 0, 4]],
    }
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
    assert seen[0] == (0, 9)
    assert seen[-1] == (9, 9)


def test_cancel_stops_reading() -> None:
    path = FIXTURE / "instances.json"
    ctx = ReadContext(file=path)
    ctx.control.cancel_event = threading.Event()
    ctx.control.cancel_event.set()
    with pytest.raises(Cancelled):
        coco.read(path, ctx)


# --- writing --------------------------------------------------------------------------------------


def assert_identity(source: dict, written: dict) -> None:
    """Every annotation written back with the source's id, bbox, area, iscrowd and segmentation
    (and keypoints when given); image and category ids as the source's.
    """
    assert [i["id"] for i in written["images"]] == [i["id"] for i in source["images"]]
    given_categories = [c.get("id", c.get("id_")) for c in source["categories"]]
    assert [c["id"] for c in written["categories"]] == given_categories
    by_id = {ann["id"]: ann for ann in source["annotations"]}
    assert sorted(by_id) == sorted(ann["id"] for ann in written["annotations"])
    for ann in written["annotations"]:
        original = by_id[ann["id"]]
        for key in ("image_id", "category_id", "bbox", "area", "iscrowd", "segmentation"):
            assert ann[key] == original[key], (ann["id"], key)
        if original.get("keypoints"):
            assert ann["keypoints"] == original["keypoints"], ann["id"]
            assert ann["num_keypoints"] == original["num_keypoints"], ann["id"]
        assert ann.get("score") == original.get("score")
        if original.get("attributes"):
            assert ann["attributes"] == original["attributes"], ann["id"]
        else:
            assert "attributes" not in ann


def assert_same_masks(source: Path, output: Path) -> None:
    """pycocotools loads the output, and every annotation's mask equals the input's."""
    with contextlib.redirect_stdout(io.StringIO()):
        given, back = COCO(str(source)), COCO(str(output))
    assert sorted(given.anns) == sorted(back.anns)
    for ann_id, ann in given.anns.items():
        if not ann.get("segmentation"):
            continue
        assert np.array_equal(given.annToMask(ann), back.annToMask(back.anns[ann_id])), ann_id


def test_round_trip_is_identity_on_coco_fields(tmp_path: Path) -> None:
    source = json.loads((FIXTURE / "instances.json").read_text())
    first = _read(FIXTURE / "instances.json")
    written, report = _write(first, tmp_path / "out")
    assert report.dropped == {}
    assert_identity(source, written)
    assert written["categories"][2]["keypoints"] == ["nose", "left_eye", "right_eye"]
    assert written["categories"][2]["skeleton"] == [[1, 2], [1, 3]]  # 1-based again
    crowd = next(ann for ann in written["annotations"] if ann["id"] == 4)
    assert crowd["segmentation"]["counts"] == [4, 2, 4, 2, 4, 2, 30]  # uncompressed stays a list
    assert written["images"][0]["license"] == 1
    assert_same_masks(FIXTURE / "instances.json", tmp_path / "out" / "annotations.json")
    second = _read(tmp_path / "out" / "annotations.json")
    assert second.issues == []
    for item_a, item_b in zip(first.items, second.items, strict=True):
        assert (item_a.name, item_a.width, item_a.height) == (
            item_b.name,
            item_b.width,
            item_b.height,
        )
        assert [(o.id, o.category, o.kind, o.track, o.confidence) for o in item_a.objects] == [
            (o.id, o.category, o.kind, o.track, o.confidence) for o in item_b.objects
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
    assert report.dropped == {}  # shape conversions are reported from Holds (test_loss_report)


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
    assert report.dropped == {"masks with holes kept as RLE (COCO polygons cannot hold holes)": 1}


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
        (1, "clip/000000.jpg"),
        (2, "clip/000003.jpg"),
    ]
    assert [
        (a["image_id"], a["bbox"][0], a["attributes"]["track_id"]) for a in written["annotations"]
    ] == [
        (1, 1.0, "t1"),
        (2, 2.0, "t1"),
    ]
    assert report.items == 2  # images written: one per frame
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
    # 14 annotations, 14 objects: 12 keypoints (outline kept in extra), 2 persons whose 17
    # points are all v=0 read as their polygon.
    assert dataset.object_count == 14
    assert counts["kind"] == {"keypoints": 12, "polygon": 2}
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
    # A crowd region with labelled keypoints is one keypoints object; its RLE is kept as given.
    crowd = next(o for _, o in dataset.objects() if o.id == "2")
    assert crowd.kind == "keypoints"
    assert crowd.extra["iscrowd"] == 1
    assert crowd.extra["segmentation"] == {"counts": [0, 20, 30], "size": [10, 5]}
    assert dataset.object_count == 2


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


# --- identity on every real COCO file -------------------------------------------------------------

# Every COCO case of the samples with ids and images (the results lists are below), and the two
# COCO files written by Encord's own exporter.
IDENTITY_CASES = [
    "standard/coco/labelme_instance-seg_voc2011-3img/annotations.json",
    "standard/coco/mmpose_person-keypoints_4img/test_coco.json",
    "standard/coco/panopticapi_compressed-rle-and-panoptic_2img/panoptic_coco_detection_format.json",
    "standard/coco/datumaro_coco-instances_toy/annotations/instances_train.json",
    "standard/coco/datumaro_coco-instances_toy/annotations/instances_val.json",
    "standard/coco/datumaro_person-keypoints_toy/annotations/person_keypoints_train.json",
    "standard/coco/datumaro_person-keypoints_toy/annotations/person_keypoints_val.json",
    "encord/encord-sdk_coco-export-example_image-bboxes.coco.json",
    "encord/encord-sdk_coco-export-example_image-polygon.coco.json",
]
RESULTS_CASES = [
    "instances_val2014_fakebbox100_results.json",
    "instances_val2014_fakesegm100_results.json",
    "person_keypoints_val2014_fakekeypoints100_results.json",
]


def _convert(source: Path, out: Path, **options: object) -> tuple[dict, object]:
    report = convert(source, out, "coco", options={"coco": options}, verify=True)
    return json.loads((out / "annotations.json").read_text()), report.targets[0]


def _clean_names(written: dict) -> None:
    for image in written["images"]:
        assert "://" not in image["file_name"], image
        assert "#" not in image["file_name"], image


@pytest.mark.samples
@pytest.mark.parametrize("case", IDENTITY_CASES)
def test_sample_round_trip_keeps_every_coco_field(samples: Path, tmp_path: Path, case: str) -> None:
    source_path = samples / case
    source = json.loads(source_path.read_text())
    written, report = _convert(source_path, tmp_path / "out")
    assert_identity(source, written)
    assert_same_masks(source_path, tmp_path / "out" / "annotations.json")
    _clean_names(written)
    assert report.findings == [], "\n".join(map(str, report.findings))
    # one object per annotation: what `labelview info` counts
    assert report.objects == len(source["annotations"])


@pytest.mark.samples
def test_panoptic_segments_keep_their_ids_bbox_and_area(samples: Path, tmp_path: Path) -> None:
    source_path = samples / "standard/coco/panopticapi_compressed-rle-and-panoptic_2img"
    source = json.loads((source_path / "panoptic_examples.json").read_text())
    written, report = _convert(source_path / "panoptic_examples.json", tmp_path / "out")
    segments = {
        (ann["image_id"], segment["id"]): segment
        for ann in source["annotations"]
        for segment in ann["segments_info"]
    }
    assert len(written["annotations"]) == len(segments)
    assert [i["id"] for i in written["images"]] == [i["id"] for i in source["images"]]
    assert [c["id"] for c in written["categories"]] == [c["id"] for c in source["categories"]]
    # Segment ids are unique per image only: a repeated one gets a fresh annotation id and is
    # kept in attributes.object_id (COCO annotation ids are unique over the file).
    fresh = 0
    for ann in written["annotations"]:
        given_id = ann.get("attributes", {}).get("object_id", ann["id"])
        fresh += given_id != ann["id"]
        segment = segments[(ann["image_id"], given_id)]
        for key in ("category_id", "bbox", "area", "iscrowd"):
            assert ann[key] == segment[key], (ann["id"], key)
    assert fresh == len(segments) - len({segment_id for _, segment_id in segments})
    _clean_names(written)
    assert report.findings == []


@pytest.mark.samples
@pytest.mark.parametrize("name", RESULTS_CASES)
def test_results_lists_are_written_as_a_dataset(samples: Path, tmp_path: Path, name: str) -> None:
    path = samples / "standard/coco/cocoapi_results-format_val2014" / name
    results = json.loads(path.read_text())
    written, report = _convert(path, tmp_path / "out")
    assert len(written["annotations"]) == len(results)
    assert sorted(i["id"] for i in written["images"]) == sorted({r["image_id"] for r in results})
    assert {c["id"] for c in written["categories"]} == {r["category_id"] for r in results}
    assert [a["id"] for a in written["annotations"]] == list(range(1, len(results) + 1))
    for ann, result in zip(written["annotations"], results, strict=True):
        assert (ann["image_id"], ann["category_id"]) == (result["image_id"], result["category_id"])
        assert ann["score"] == result["score"]
        if "bbox" in result:
            assert ann["bbox"] == result["bbox"]
        if "segmentation" in result:
            assert ann["segmentation"] == result["segmentation"]
        if "keypoints" in result:
            assert ann["keypoints"] == result["keypoints"]
    with contextlib.redirect_stdout(io.StringIO()):
        COCO(str(tmp_path / "out" / "annotations.json"))
    assert report.findings == []


@pytest.mark.samples
def test_encord_boxes_keep_their_rectangle_segmentation(samples: Path, tmp_path: Path) -> None:
    path = samples / "encord/encord-sdk_coco-export-example_image-bboxes.coco.json"
    dataset = _read(path)
    assert [o.kind for _, o in dataset.objects()] == ["box", "box"]  # Encord's shape hint
    written, _ = _convert(path, tmp_path / "out")
    source = json.loads(path.read_text())
    assert [a["segmentation"] for a in written["annotations"]] == [
        a["segmentation"] for a in source["annotations"]
    ]
    assert all(len(a["segmentation"][0]) == 8 for a in written["annotations"])
    # Encord's attribute keys as it wrote them (track_id number, uuid, manual_annotation, nesting)
    assert [a["attributes"] for a in written["annotations"]] == [
        a["attributes"] for a in source["annotations"]
    ]


@pytest.mark.samples
def test_info_counts_one_object_per_keypoint_annotation(samples: Path) -> None:
    path = samples / "standard/coco/mmpose_person-keypoints_4img/test_coco.json"
    assert _read(path).object_count == len(json.loads(path.read_text())["annotations"])


# --- smaller defects ------------------------------------------------------------------------------


def test_category_keyed_id_underscore_is_read(tmp_path: Path) -> None:
    # Encord's 2022 COCO exporter keys a category's id `id_`.
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}],
        "categories": [{"id_": 4, "name": "boat", "supercategory": "polygon"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 4,
                "bbox": [1, 1, 2, 2],
                "area": 4,
                "iscrowd": 0,
                "segmentation": [[1, 1, 3, 1, 3, 3]],
            },
        ],
    }
    path = tmp_path / "encord.coco.json"
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    assert dataset.issues == []
    assert [o.category for _, o in dataset.objects()] == ["boat"]
    assert dataset.categories["boat"].id == 4
    written, _ = _write(dataset, tmp_path / "out")
    assert written["categories"][0]["id"] == 4
    assert written["annotations"][0]["category_id"] == 4


def test_detection_reason_on_a_complete_file_says_only_the_head_was_read(tmp_path: Path) -> None:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 4, "height": 3} for i in range(5000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"images": images, "annotations": [], "categories": []}))
    reason = coco.detect(Probe.of(path)).reason
    assert "cut" not in reason
    assert "categories not in the first 64 KiB" in reason


def _ids_dataset() -> Dataset:
    dataset = Dataset()
    for name, cid in (("a", 3), ("b", 7), ("c", 9)):
        dataset.categories[name] = Category(name=name, id=cid)
    dataset.categories["d"] = Category(name="d", id="hash")
    item = Item(id="12", name="x.jpg", width=10, height=10)
    item.objects = [
        ObjectLabel("a", Box(0, 0, 1, 1), "5"),
        ObjectLabel("b", Box(0, 0, 1, 1), "5"),  # a repeated id: a fresh one
        ObjectLabel("c", Box(0, 0, 1, 1), "k3"),  # not an integer: a fresh one
        ObjectLabel("d", Box(0, 0, 1, 1), "7"),
        ObjectLabel("a", Box(0, 0, 1, 1), "007"),  # not canonical: a fresh one
    ]
    dataset.items = [item, Item(id="frame", name="y.jpg", width=4, height=4)]
    return dataset


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("source", [3, 7, 9, 10]), ("1", [1, 2, 3, 4]), ("0", [0, 1, 2, 3])],
)
def test_category_ids_option(tmp_path: Path, choice: str, expected: list[int]) -> None:
    written, _ = _write(_ids_dataset(), tmp_path / "out", category_ids=choice)
    assert [c["id"] for c in written["categories"]] == expected
    names = {c["id"]: c["name"] for c in written["categories"]}
    assert [names[a["category_id"]] for a in written["annotations"]] == ["a", "b", "c", "d", "a"]


def test_category_ids_option_from_the_command_line_form(tmp_path: Path) -> None:
    dataset = _ids_dataset()
    dataset.source = tmp_path / "x.json"
    report = convert(
        tmp_path / "x.json",
        tmp_path / "out",
        "coco",
        dataset=dataset,
        options={"coco": {"category_ids": "1"}},
    )
    written = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert [c["id"] for c in written["categories"]] == [1, 2, 3, 4]
    assert report.targets[0].objects == 5


def test_source_ids_are_kept_and_fresh_ids_never_collide(tmp_path: Path) -> None:
    written, _ = _write(_ids_dataset(), tmp_path / "out")
    assert [a["id"] for a in written["annotations"]] == [5, 8, 9, 7, 10]
    assert [a.get("attributes", {}).get("object_id") for a in written["annotations"]] == [
        None,
        5,
        "k3",
        None,
        "007",
    ]
    assert [i["id"] for i in written["images"]] == [12, 13]  # "frame" is not an integer


def test_annotation_id_zero_is_kept_with_a_note(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("a")
    item = Item(id="0", name="a.jpg", width=4, height=4)
    item.objects = [ObjectLabel("a", Box(0, 0, 1, 1), "0"), ObjectLabel("a", Box(1, 1, 1, 1))]
    dataset.items.append(item)
    written, report = _write(dataset, tmp_path / "out")
    assert [a["id"] for a in written["annotations"]] == [0, 1]
    assert written["images"][0]["id"] == 0
    assert any("id 0" in note and "COCOeval" in note for note in report.notes)


def test_polygon_with_holes_gets_the_bbox_of_its_geometry(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("t")
    outer = [[1.3, 1.6], [8.7, 1.6], [8.7, 6.2], [1.3, 6.2]]
    holed = Polygon.from_points(outer, [[[4, 3], [6, 3], [6, 5], [4, 5]]])
    dataset.items.append(Item(id="1", name="a.png", width=10, height=8))
    dataset.items[0].objects.append(ObjectLabel("t", holed))
    written, _ = _write(dataset, tmp_path / "out")
    (ann,) = written["annotations"]
    assert isinstance(ann["segmentation"], dict)
    assert ann["bbox"] == pytest.approx([1.3, 1.6, 7.4, 4.6])
    assert ann["area"] == rle.area(ann["segmentation"])


def test_a_rectangle_polygon_stays_a_polygon(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("t")
    rectangle = Polygon.from_points([[1, 1], [5, 1], [5, 4], [1, 4]])
    dataset.items.append(Item(id="1", name="a.png", width=8, height=8))
    dataset.items[0].objects.append(ObjectLabel("t", rectangle, "3"))
    written, _ = _write(dataset, tmp_path / "out")
    assert written["annotations"][0]["segmentation"] == [[1, 1, 5, 1, 5, 4, 1, 4]]


def test_image_names_are_never_urls_or_fragments(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("t")
    remote = Item(id="a", name="pages/p1.png", image="https://bucket.s3.amazonaws.com/pages/p1.png")
    video = Item(id="v", name="clip.mp4", kind="video", width=8, height=8)
    video.objects = [ObjectLabel("t", Box(0, 0, 1, 1), frame=3)]
    remote.objects = [ObjectLabel("t", Box(0, 0, 1, 1))]
    dataset.items = [remote, video]
    written, _ = _write(dataset, tmp_path / "out")
    assert [i["file_name"] for i in written["images"]] == ["pages/p1.png", "clip/000003.jpg"]


# --- what the writer holds (COMMON rule 5) --------------------------------------------------------


def test_loss_report_names_every_field_not_written_and_held_fields_come_back(
    tmp_path: Path,
) -> None:
    from labelview import verify
    from labelview.formats._writing import SHAPE_KINDS
    from tests.formats.contract import random_dataset

    dataset = random_dataset(3, list(SHAPE_KINDS), tmp_path / "src", each=True)
    out = OutputDir(tmp_path / "out")
    options = coco.CocoOptions()
    report = formats.write("coco", dataset, out, options, WriteContext())
    out.commit()
    text = "\n".join(report.dropped)
    for unit in (
        "objects' author and time stamps",
        "z-order values",
        "relations",
        "review verdicts",
        "stage history events",
        "item statuses",
    ):
        assert f"COCO JSON cannot hold {unit}" in text
    for unit in ("attribute values", "confidence scores", "track ids", "object ids"):
        assert unit not in text
    for line in (
        "polyline written as its bounding box",
        "point written as its bounding box",
        "ellipse written as a 64-point polygon",
        "polygon with holes written as an RLE mask",
    ):
        assert any(reason.startswith(line) for reason in report.dropped), line
    back = formats.read(tmp_path / "out" / "annotations.json", format="coco")
    holds = coco.FORMAT.holds(options)
    assert verify.verify(dataset, back, holds, roots=[tmp_path / "src"]) == []
    given = {o.id: o for _, o in dataset.objects()}
    for _, obj in back.objects():
        source = given[obj.id]
        assert (obj.track is None) == (source.track is None)
        assert obj.confidence == source.confidence
        assert obj.source == source.source
        assert [(a.name, a.value) for a in obj.attributes] == [
            (a.name, a.value) for a in source.attributes
        ]
    assert [i.classifications[0].value for i in back.items] == [
        i.classifications[0].value for i in dataset.items
    ]
