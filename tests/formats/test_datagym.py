"""DataGym reader: both key generations, typed and generic geometry keys, holes, nesting, video."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import needs_writer
from PIL import Image

from labelview import formats
from labelview.errors import FormatError
from labelview.formats import datagym
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.model import Box, Point, Polygon, Polyline
from labelview.model.classifications import walk
from labelview.ops import rle


def read(path: Path, **fields: object) -> tuple:
    ctx = ReadContext(file=path, **fields)  # type: ignore[arg-type]
    return datagym.read(path, ctx), ctx.issues


def by_id(item):
    return {obj.id: obj for obj in item.objects}


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "export.json",
        "legacy.json",
        "video_project.json",
        "datagym_export_1600000000000_task-42.json",
    ],
)
def test_detects_exports(data: Path, name: str) -> None:
    verdict = datagym.detect(Probe.of(data / "datagym" / name))
    assert verdict.confidence == Confidence.CERTAIN, verdict.reason


def test_does_not_claim_other_formats_files(data: Path) -> None:
    others = [p for p in data.rglob("*") if p.is_file() and "datagym" not in p.parts]
    assert others  # at least the Segments.ai fixtures
    for path in others:
        verdict = datagym.detect(Probe.of(path))
        assert verdict.confidence <= Confidence.WEAK, (path, verdict.reason)


def test_internal_data_is_not_an_export(data: Path) -> None:
    path = data / "datagym" / "raw_label_tasks.json"
    verdict = datagym.detect(Probe.of(path))
    assert verdict.confidence == Confidence.NO
    assert verdict.reason.startswith("not a DataGym export: ")
    assert "labelTaskState" in verdict.reason
    with pytest.raises(FormatError, match=r"raw_label_tasks.json: \[0\]: not a DataGym export"):
        read(path)


def test_registry_picks_datagym(data: Path) -> None:
    assert formats.detect(data / "datagym" / "export.json").name == "datagym"


# --- image projects -------------------------------------------------------------------------------


def test_every_geometry_type_exact(data: Path) -> None:
    dataset, issues = read(data / "datagym" / "export.json")
    assert len(dataset.items) == 2
    objects = by_id(dataset.items[0])
    assert objects["sign/0"].geometry == Point(7, 9)
    assert isinstance(objects["lane/0"].geometry, Polyline)
    assert objects["lane/0"].geometry.points.tolist() == [[0, 10], [5, 20]]
    assert objects["car/0"].geometry.parts[0].outer.tolist() == [[1, 1], [9, 1], [9, 5]]
    assert objects["truck/1"].geometry == Box(3, 4, 5, 6)
    assert dataset.counts()["kind"] == {"point": 1, "polyline": 1, "polygon": 2, "box": 3}
    assert not [i for i in issues if i.level == "error" and i.where != "[3]"]


def test_segmentation_keeps_its_hole(data: Path) -> None:
    dataset, _ = read(data / "datagym" / "export.json")
    lawn = by_id(dataset.items[0])["lawn/0"].geometry
    assert isinstance(lawn, Polygon)
    assert lawn.has_holes
    assert lawn.parts[0].outer.tolist() == [[0, 0], [10, 0], [10, 8], [0, 8]]
    assert [hole.tolist() for hole in lawn.parts[0].holes] == [[[2, 2], [6, 2], [6, 5], [2, 5]]]
    assert dataset.categories["lawn"].shape == "polygon"  # a classification_type, read as geometry


def test_nested_classifications_become_answer_trees(data: Path) -> None:
    dataset, _ = read(data / "datagym" / "export.json")
    car = by_id(dataset.items[0])["car/0"]
    tree = [(path, answer.value) for path, answer in walk(car.attributes)]
    assert tree == [
        ("damage", "dent"),
        ("damage/where", ["door", "roof"]),
        ("damage/where/severity", "high"),
        ("damage/where/severity/text", "hail"),
    ]
    item = dataset.items[0]
    assert [(a.name, a.value) for a in item.classifications] == [("time", "night"), ("tags", [])]


def test_nested_geometry_links_to_its_parent(data: Path) -> None:
    dataset, _ = read(data / "datagym" / "export.json")
    item = dataset.items[0]
    plate = by_id(item)["car/0/plate/0"]
    assert plate.geometry == Box(2, 3, 4, 1)
    assert plate.extra == {"parent": "car/0"}
    assert plate.attributes[0].value == "AB 12"
    assert [(r.name, r.members) for r in item.relations] == [("nested", ("car/0", "car/0/plate/0"))]


def test_bad_input_is_located_and_the_rest_loads(data: Path) -> None:
    dataset, issues = read(data / "datagym" / "export.json")
    located = {i.where: (i.level, i.message) for i in issues}
    assert located["[1].labels.truck[0].rectangle"][0] == "warning"
    assert "null coordinates" in located["[1].labels.truck[0].rectangle"][1]
    assert "not in label_classes" in located["[1].labels.bicycle[0]"][1]
    assert by_id(dataset.items[0])["bicycle/0"].geometry == Box(1, 1, 1, 1)  # kept anyway
    assert located["[3]"][0] == "error"  # a task that is not an object is lost, and said so


def test_status_labeler_and_decoded_media_name(data: Path) -> None:
    dataset, _ = read(data / "datagym" / "export.json")
    first, second = dataset.items
    assert (first.id, first.name, first.image) == ("m-1", "garden view#1.jpg", "garden view#1.jpg")
    assert first.extra["external_media_ID"] == "garden%20view%231.jpg"
    assert first.extra["segmentations"] == ["https://app.datagym.ai/api/v1/export/bitmap/t-1/lawn"]
    assert (first.status, first.labeler) == ("completed", "user-a")
    assert [(e.actor, e.action) for e in first.history] == [("user-a", "completed")]
    assert (second.status, second.objects) == ("skipped", [])


def test_images_match_decoded_names(tmp_path: Path, data: Path) -> None:
    shutil.copy(data / "datagym" / "export.json", tmp_path / "export.json")
    Image.new("RGB", (12, 10)).save(tmp_path / "garden view#1.jpg")
    dataset, _ = read(tmp_path / "export.json")
    item = dataset.items[0]
    assert item.image_path == tmp_path / "garden view#1.jpg"
    assert (item.width, item.height) == (12, 10)


def test_legacy_keys_generic_geometry_and_radio(data: Path) -> None:
    dataset, issues = read(data / "datagym" / "legacy.json")
    [item] = dataset.items
    assert (item.id, item.name, item.status) == ("img-1", "old.jpg", "reviewed")
    objects = by_id(item)
    assert objects["bus/0"].geometry == Box(10, 20, 30, 40)
    assert objects["road/0"].geometry.parts[0].outer.tolist() == [[0, 0], [4, 0], [4, 4]]
    assert dataset.meta["classifications"] == {"weather": "select"}  # radio is a legacy select
    assert issues == []


# --- video ----------------------------------------------------------------------------------------


def test_video_project_joins_per_task_exports(data: Path) -> None:
    dataset, issues = read(data / "datagym" / "video_project.json")
    kitchen, garage = dataset.items
    assert (kitchen.kind, kitchen.width, kitchen.height) == ("video", 640, 480)
    assert kitchen.fps == pytest.approx(29.97002997)
    boxes = {obj.frame: obj for obj in kitchen.objects}
    assert sorted(boxes) == [0, 1, 2, 3, 4]  # frame 5 is a null rectangle
    assert boxes[2].geometry == Box(20, 10, 20, 10)  # halfway between keyframes 0 and 4
    assert [boxes[f].extra["keyframe"] for f in range(5)] == [True, False, False, False, True]
    assert {obj.track for obj in kitchen.objects} == {"o1"}
    assert boxes[3].attributes[0].value == "red"  # carried from keyframe 0
    assert {obj.category for obj in kitchen.objects} == {"cup"}  # the project's only class
    assert [f.index for f in kitchen.frames] == [0, 1, 2, 3, 4]
    messages = [i.message for i in issues]
    assert any("keeps only their last point" in m for m in messages)
    assert any("task-43" in m for m in messages)
    assert garage.objects == []


def test_per_task_video_export_on_its_own(data: Path) -> None:
    dataset, issues = read(data / "datagym" / "datagym_export_1600000000000_task-42.json")
    [item] = dataset.items
    assert (item.id, item.kind, len(item.objects)) == ("task-42", "video", 5)
    assert {obj.category for obj in item.objects} == {"rectangle"}
    assert any("names no class" in i.message for i in issues)


# --- real and synthetic samples -------------------------------------------------------------------


@pytest.mark.samples
def test_derived_dummy_project(samples: Path) -> None:
    path = samples / "datagym" / "datagym_export_dummy_project.derived.json"
    assert datagym.detect(Probe.of(path)).confidence == Confidence.CERTAIN
    dataset, issues = read(path)
    assert issues == []
    [item] = dataset.items
    assert item.name == "Sequenz 01.00_00_14_12.Standbild002.jpg"
    assert dataset.counts()["kind"] == {"box": 87, "polygon": 44}
    first = item.objects[0]
    assert (first.category, first.geometry) == ("cyclist", Box(2809, 844, 38, 13))


@pytest.mark.samples
def test_synthetic_samples(samples: Path) -> None:
    folder = samples / "datagym" / "synthetic"
    dataset, issues = read(folder / "image_project_all_types.synthetic.json")
    assert [i.where for i in issues] == ["[1].labels.bus[1].rectangle"]
    assert [item.status for item in dataset.items] == ["completed", "skipped", "reviewed"]
    road = by_id(dataset.items[0])["road/0"].geometry
    assert road.parts[0].holes[0].tolist() == [[300, 380], [340, 380], [340, 400], [300, 400]]
    car = by_id(dataset.items[0])["car/0"]
    assert [(p, a.value) for p, a in walk(car.attributes)] == [
        ("occlusion", "partial"),
        ("occlusion/visible_parts", ["front", "left_side"]),
    ]
    for name, objects in (
        ("legacy_image_project.synthetic.json", 2),
        ("video_project_export.synthetic.json", 0),
        ("video_task_export.synthetic.json", 4),
    ):
        dataset, issues = read(folder / name)
        assert dataset.object_count == objects, name
        assert not [i for i in issues if i.level == "error"], name


@pytest.mark.samples
@pytest.mark.parametrize(
    "name",
    [
        "dummy_project_raw/Datasets.json",
        "dummy_project_raw/LabelTasks.json",
        "dummy_project_raw/Project.json",
        "dummy_project_raw/ProjectConfiguration.json",
        "schema/JsonSchemaImportValidation.json",
    ],
)
def test_raw_files_are_refused_cleanly(samples: Path, name: str) -> None:
    path = samples / "datagym" / name
    verdict = datagym.detect(Probe.of(path))
    assert verdict.confidence == Confidence.NO
    assert verdict.reason.startswith("not a DataGym export: ")
    with pytest.raises(FormatError, match=r"not a DataGym export") as raised:
        read(path)
    assert raised.value.where in ("[0]", "top level")


# --- end to end: convert to COCO, YOLO-seg and PNG masks ------------------------------------------


@pytest.fixture
def export_with_image(tmp_path: Path, data: Path) -> Path:
    shutil.copy(data / "datagym" / "export.json", tmp_path / "export.json")
    Image.new("RGB", (12, 10)).save(tmp_path / "garden view#1.jpg")
    return tmp_path / "export.json"


def test_convert_to_coco_keeps_the_hole_as_rle(export_with_image: Path, tmp_path: Path) -> None:
    from labelview.convert import convert

    needs_writer("coco")
    convert(export_with_image, tmp_path / "coco", "coco")
    [out] = (tmp_path / "coco").glob("*.json")
    coco = json.loads(out.read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    [lawn] = [a for a in coco["annotations"] if names[a["category_id"]] == "lawn"]
    assert isinstance(lawn["segmentation"], dict)  # COCO polygons cannot hold holes
    pixels = rle.decode_coco(lawn["segmentation"])
    assert pixels.shape == (10, 12)
    assert pixels[1, 1] == 1
    assert pixels[3, 3] == 0
    assert pixels[9, 11] == 0
    assert lawn["area"] == 10 * 8 - 4 * 3
    assert lawn["bbox"] == [0, 0, 10, 8]


def test_convert_to_yolo_segment_and_png_masks(export_with_image: Path, tmp_path: Path) -> None:
    from labelview.convert import convert

    needs_writer("yolo")
    needs_writer("masks")
    convert(export_with_image, tmp_path / "yolo", "yolo", options={"yolo": {"task": "segment"}})
    [labels] = list((tmp_path / "yolo" / "labels").rglob("*.txt"))
    assert labels.name == "garden view#1.txt"
    assert len(labels.read_text().splitlines()) == 5  # car, plate, lawn, truck, bicycle
    convert(export_with_image, tmp_path / "masks", "masks")
    classes = (tmp_path / "masks" / "classes.txt").read_text().split()
    semantic = np.array(Image.open(tmp_path / "masks" / "SegmentationClass" / "garden view#1.png"))
    lawn = classes.index("lawn")
    assert semantic[0, 9] == lawn
    assert semantic[4, 2] == 0  # inside the hole, under no other shape


def test_written_image_names_are_the_uploaded_names(tmp_path: Path, data: Path) -> None:
    from labelview.formats._writing import pictures

    shutil.copy(data / "datagym" / "export.json", tmp_path / "export.json")
    (tmp_path / "media").mkdir()
    Image.new("RGB", (12, 10)).save(tmp_path / "media" / "empty.jpg")
    dataset, _ = read(tmp_path / "export.json")
    names = [pictures(item, [tmp_path])[0].name for item in dataset.items]
    # Missing: the decoded external_media_ID; found: where it was found.
    assert names == ["garden view#1.jpg", "media/empty.jpg"]
    video, _ = read(data / "datagym" / "video_project.json")
    frames = [picture.name for picture in pictures(video.items[0], [data / "datagym"])]
    assert frames[:2] == ["kitchen/000000.jpg", "kitchen/000001.jpg"]
