"""COCO JSON: detection, reading, writing, round trip, located warnings, real samples."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from coco_support import FIXTURE, _read, _write
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from labelview import formats
from labelview.convert import convert
from labelview.formats import coco
from labelview.formats.base import Probe, WriteContext
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
)
from labelview.model.geometry import ArrayMask
from labelview.ops import rle
from labelview.output import OutputDir

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


# --- what the writer holds --------------------------------------------------------------------


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
